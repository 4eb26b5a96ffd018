/// Mean and sample standard deviation (n − 1 in the denominator) of per-fold values, as in "0.81 ± 0.02".
public struct MeanAndDeviation: Codable, Sendable, Equatable, Hashable {
    public var mean: Double
    /// Sample standard deviation √(Σ(xᵢ − mean)² / (n − 1)); 0 for a single value.
    public var standardDeviation: Double

    public init(mean: Double, standardDeviation: Double) {
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// Two passes (mean, then squared deviations from it), which stays accurate when the spread is small.
    /// - Precondition: `values` is not empty (a programmer error: every k-fold run has at least two folds).
    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "MeanAndDeviation needs at least one value")
        let mean = values.reduce(0, +) / Double(values.count)
        var squares = 0.0
        for value in values { squares += (value - mean) * (value - mean) }
        self.mean = mean
        self.standardDeviation = values.count > 1 ? (squares / Double(values.count - 1)).squareRoot() : 0
    }
}
