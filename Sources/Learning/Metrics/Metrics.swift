/// Binary classification metrics: ranking quality (ROC AUC, ROC curve, average precision, lift) and
/// probability quality (log loss, Brier score, calibration), one at a time or all at once (`report`).
///
/// Conventions shared by every metric:
/// - `labels[i] == true` marks a positive row; `scores` are any finite reals ranked highest first,
///   `probabilities` are in [0, 1].
/// - `weights` are optional sample weights (`nil` means every row weighs 1). Each must be finite and ≥ 0.
///   For integer weights a weighted metric equals the unweighted one on the rows repeated `weight` times
///   (lift is the one exception: see `lift`).
/// - Inputs are checked before any work; bad input throws `MetricsError`, never traps. A metric that is
///   undefined for the data (an AUC with one class) throws as well.
/// - Complexity: O(n log n) for the ranking metrics (one sort), O(n) for the probability metrics.
public enum Metrics {}

// MARK: - Input checks

extension Metrics {
    /// Total weight of the positive and of the negative rows.
    struct ClassWeights: Sendable {
        var positive = 0.0
        var negative = 0.0
        var total: Double { positive + negative }
    }

    /// Checks lengths, values and weights, and returns the weight of each class.
    /// - Parameter valuesAreProbabilities: `true` requires every value in [0, 1], `false` only finite.
    /// - Throws: `MetricsError` for the first problem found, in this order: lengths, emptiness, weights,
    ///   values, zero total weight.
    static func checkedClassWeights(
        labels: [Bool], values: [Double], weights: [Double]?, valuesAreProbabilities: Bool
    ) throws(MetricsError) -> ClassWeights {
        guard labels.count == values.count else {
            throw .lengthMismatch(labels: labels.count, scores: values.count)
        }
        if let weights, weights.count != labels.count {
            throw .weightCountMismatch(labels: labels.count, weights: weights.count)
        }
        guard !labels.isEmpty else { throw .empty }
        if let weights {
            for (index, weight) in weights.enumerated() where !(weight.isFinite && weight >= 0) {
                throw .invalidWeight(index: index, value: weight)
            }
        }
        for (index, value) in values.enumerated() {
            if valuesAreProbabilities {
                guard value >= 0 && value <= 1 else { throw .probabilityOutOfRange(index: index, value: value) }
            } else {
                guard value.isFinite else { throw .nonFiniteScore(index: index, value: value) }
            }
        }
        var sums = ClassWeights()
        for index in labels.indices {
            let weight = weights?[index] ?? 1
            if labels[index] { sums.positive += weight } else { sums.negative += weight }
        }
        guard sums.total > 0 else { throw .zeroTotalWeight }
        return sums
    }

    static func requireBothClasses(_ sums: ClassWeights) throws(MetricsError) {
        guard sums.positive > 0 else { throw .noPositives }
        guard sums.negative > 0 else { throw .noNegatives }
    }
}

// MARK: - Tie groups

extension Metrics {
    /// Rows grouped by equal score, highest score first, with the weight of the positives and of the
    /// negatives in each group. Every ranking metric is a single pass over these groups, so ties are
    /// handled exactly and the result does not depend on the input order.
    /// - Complexity: O(n log n) to build.
    struct ScoreGroups: Sendable {
        /// Distinct scores, strictly decreasing.
        var scores: [Double] = []
        var positiveWeights: [Double] = []
        var negativeWeights: [Double] = []

        var count: Int { scores.count }

        /// - Precondition: inputs already checked by `checkedClassWeights`.
        init(labels: [Bool], scores rowScores: [Double], weights: [Double]?) {
            var order = Array(rowScores.indices)
            order.sort { rowScores[$0] > rowScores[$1] }
            for index in order {
                let weight = weights?[index] ?? 1
                let score = rowScores[index]
                if scores.last != score {
                    scores.append(score)
                    positiveWeights.append(0)
                    negativeWeights.append(0)
                }
                if labels[index] {
                    positiveWeights[positiveWeights.count - 1] += weight
                } else {
                    negativeWeights[negativeWeights.count - 1] += weight
                }
            }
        }
    }
}
