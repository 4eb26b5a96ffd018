/// Errors raised by the metrics and by cross-validation: inputs that disagree, values out of range, and
/// metrics that are undefined for the data given (an AUC with only one class).
///
/// Every case carries where the problem is and the offending value, so a caller can print
/// `description` as it stands.
public enum MetricsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// There are no rows at all.
    case empty
    /// `labels` and the scores or probabilities have different lengths.
    case lengthMismatch(labels: Int, scores: Int)
    /// `labels` and `weights` have different lengths.
    case weightCountMismatch(labels: Int, weights: Int)
    /// A score is NaN or infinite.
    case nonFiniteScore(index: Int, value: Double)
    /// A probability is outside [0, 1] or NaN.
    case probabilityOutOfRange(index: Int, value: Double)
    /// A sample weight is negative, NaN or infinite.
    case invalidWeight(index: Int, value: Double)
    /// Every sample weight is zero.
    case zeroTotalWeight
    /// No positive row carries weight: the metric divides by the positive total.
    case noPositives
    /// No negative row carries weight: the metric divides by the negative total.
    case noNegatives
    /// A calibration needs at least one bin.
    case invalidBinCount(Int)
    /// A lift needs a top fraction in (0, 1].
    case invalidTopFraction(Double)
    /// Stratified k-fold needs 2 ≤ foldCount ≤ the number of rows in the smaller class.
    case invalidFoldCount(requested: Int, smallestClass: Int)

    public var description: String {
        switch self {
        case .empty:
            return "no rows: a metric needs at least one labelled row"
        case let .lengthMismatch(labels, scores):
            return "labels and scores must have the same length (got \(labels) labels, \(scores) scores)"
        case let .weightCountMismatch(labels, weights):
            return "labels and weights must have the same length (got \(labels) labels, \(weights) weights)"
        case let .nonFiniteScore(index, value):
            return "score at index \(index) must be finite (got \(value))"
        case let .probabilityOutOfRange(index, value):
            return "probability at index \(index) must be in [0, 1] (got \(value))"
        case let .invalidWeight(index, value):
            return "weight at index \(index) must be finite and >= 0 (got \(value))"
        case .zeroTotalWeight:
            return "all sample weights are zero"
        case .noPositives:
            return "no positive labels (with non-zero weight): the metric is undefined"
        case .noNegatives:
            return "no negative labels (with non-zero weight): the metric is undefined"
        case let .invalidBinCount(count):
            return "binCount must be >= 1 (got \(count))"
        case let .invalidTopFraction(fraction):
            return "topFraction must be in (0, 1] (got \(fraction))"
        case let .invalidFoldCount(requested, smallestClass):
            return "the number of cross-validation folds must be between 2 and \(smallestClass) (the number of rows of the "
                + "rarer class) (got \(requested))"
        }
    }
}
