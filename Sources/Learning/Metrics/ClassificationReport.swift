/// Every metric of `Metrics` for one set of predicted probabilities, ready to encode as JSON.
///
/// JSON keys are the property names. `averagePrecision` is the step-wise area under the precision–recall
/// curve (scikit-learn's `average_precision_score`); the key is deliberately not `prAUC`, a name also used for
/// the trapezoidal area, which differs.
public struct ClassificationReport: Codable, Sendable, Equatable, Hashable {
    /// Rows scored (zero-weight rows included).
    public var rowCount: Int
    /// Rows labelled positive (zero-weight rows included).
    public var positiveCount: Int
    public var rocAUC: Double
    public var averagePrecision: Double
    public var logLoss: Double
    public var brierScore: Double
    /// Over `Metrics.calibration`'s default 10 bins.
    public var expectedCalibrationError: Double
    /// `Metrics.lift` with topFraction 0.1.
    public var liftTopDecile: Double
    /// The non-empty bins of the 10-bin calibration.
    public var reliability: [ReliabilityBin]

    public init(
        rowCount: Int, positiveCount: Int, rocAUC: Double, averagePrecision: Double, logLoss: Double,
        brierScore: Double, expectedCalibrationError: Double, liftTopDecile: Double, reliability: [ReliabilityBin]
    ) {
        self.rowCount = rowCount
        self.positiveCount = positiveCount
        self.rocAUC = rocAUC
        self.averagePrecision = averagePrecision
        self.logLoss = logLoss
        self.brierScore = brierScore
        self.expectedCalibrationError = expectedCalibrationError
        self.liftTopDecile = liftTopDecile
        self.reliability = reliability
    }
}

extension Metrics {
    /// All metrics at once, from one validation and one sort: each field equals the metric's own function
    /// on the same input (probabilities serve as the scores for the ranking metrics).
    /// - Complexity: O(n log n).
    /// - Throws: `MetricsError` for mismatched lengths, no rows, a probability outside [0, 1], a bad weight,
    ///   and `.noPositives` / `.noNegatives` (the AUC needs both classes).
    public static func report(
        labels: [Bool], probabilities: [Double], weights: [Double]? = nil
    ) throws(MetricsError) -> ClassificationReport {
        let sums = try checkedClassWeights(
            labels: labels, values: probabilities, weights: weights, valuesAreProbabilities: true)
        try requireBothClasses(sums)
        let groups = ScoreGroups(labels: labels, scores: probabilities, weights: weights)
        let calibration = calibration(labels, probabilities, weights, sums, binCount: 10)
        return ClassificationReport(
            rowCount: labels.count,
            positiveCount: labels.count { $0 },
            rocAUC: rocAUC(groups, sums),
            averagePrecision: averagePrecision(groups, sums),
            logLoss: logLoss(labels, probabilities, weights, sums),
            brierScore: brierScore(labels, probabilities, weights, sums),
            expectedCalibrationError: calibration.expectedCalibrationError,
            liftTopDecile: lift(groups, sums, rowCount: labels.count, topFraction: 0.1),
            reliability: calibration.bins)
    }
}
