import LinearAlgebra

/// One equal-width probability bin of a reliability diagram.
public struct ReliabilityBin: Codable, Sendable, Equatable, Hashable {
    /// The bin holds probabilities p with lower ≤ p < upper (the last bin also holds p = 1).
    public var lower: Double
    public var upper: Double
    /// Total weight of the rows in the bin (the row count when unweighted); always > 0.
    public var count: Double
    /// Weighted mean of the predicted probabilities in the bin.
    public var meanPredicted: Double
    /// Weighted share of positives in the bin.
    public var observedRate: Double

    public init(lower: Double, upper: Double, count: Double, meanPredicted: Double, observedRate: Double) {
        self.lower = lower
        self.upper = upper
        self.count = count
        self.meanPredicted = meanPredicted
        self.observedRate = observedRate
    }
}

/// Calibration of predicted probabilities over equal-width bins.
public struct CalibrationReport: Codable, Sendable, Equatable, Hashable {
    /// ECE = Σ_b (n_b / n)·|observedRate_b − meanPredicted_b| over the non-empty bins, n weighted.
    public var expectedCalibrationError: Double
    /// The number of equal-width bins over [0, 1], empty ones included.
    public var binCount: Int
    /// The non-empty bins, lowest first (empty bins are left out, as in scikit-learn's `calibration_curve`).
    public var bins: [ReliabilityBin]

    public init(expectedCalibrationError: Double, binCount: Int, bins: [ReliabilityBin]) {
        self.expectedCalibrationError = expectedCalibrationError
        self.binCount = binCount
        self.bins = bins
    }
}

extension Metrics {
    /// Probabilities are clipped to [ε, 1 − ε] before the logarithm, as scikit-learn's `log_loss` did with its
    /// long-standing default, so a confident mistake costs about 34.5 rather than infinity.
    public static let logLossClip = 1e-15

    /// Mean negative log-likelihood: −(1/W)·Σ wᵢ·(yᵢ·log pᵢ + (1 − yᵢ)·log(1 − pᵢ)), W = Σ wᵢ, with pᵢ clipped
    /// to [1e-15, 1 − 1e-15] (`logLossClip`).
    /// - Complexity: O(n).
    /// - Throws: `MetricsError` for mismatched lengths, no rows, a probability outside [0, 1], a bad weight,
    ///   or zero total weight. One class alone is fine.
    public static func logLoss(
        labels: [Bool], probabilities: [Double], weights: [Double]? = nil
    ) throws(MetricsError) -> Double {
        let sums = try checkedClassWeights(
            labels: labels, values: probabilities, weights: weights, valuesAreProbabilities: true)
        return logLoss(labels, probabilities, weights, sums)
    }

    static func logLoss(_ labels: [Bool], _ probabilities: [Double], _ weights: [Double]?, _ sums: ClassWeights) -> Double {
        var sum = 0.0
        for index in labels.indices {
            let p = min(1 - logLossClip, max(logLossClip, probabilities[index]))
            let loss = labels[index] ? -Kernels.logarithm(p) : -Kernels.logarithm(1 - p)
            sum += (weights?[index] ?? 1) * loss
        }
        return sum / sums.total
    }

    /// Brier score, the mean squared error of the probabilities: (1/W)·Σ wᵢ·(pᵢ − yᵢ)², in [0, 1].
    /// - Complexity: O(n).
    /// - Throws: as `logLoss`.
    public static func brierScore(
        labels: [Bool], probabilities: [Double], weights: [Double]? = nil
    ) throws(MetricsError) -> Double {
        let sums = try checkedClassWeights(
            labels: labels, values: probabilities, weights: weights, valuesAreProbabilities: true)
        return brierScore(labels, probabilities, weights, sums)
    }

    static func brierScore(_ labels: [Bool], _ probabilities: [Double], _ weights: [Double]?, _ sums: ClassWeights) -> Double {
        var sum = 0.0
        for index in labels.indices {
            let error = probabilities[index] - (labels[index] ? 1 : 0)
            sum += (weights?[index] ?? 1) * error * error
        }
        return sum / sums.total
    }

    /// Reliability diagram and expected calibration error over `binCount` equal-width bins of [0, 1]:
    /// bin b holds b/binCount ≤ p < (b+1)/binCount, and p = 1 goes in the last bin. Per non-empty bin: the
    /// (weighted) count, mean predicted probability and observed positive rate;
    /// ECE = Σ_b (n_b / n)·|observedRate_b − meanPredicted_b|.
    /// - Complexity: O(n + binCount).
    /// - Throws: `.invalidBinCount` unless binCount ≥ 1, and as `logLoss`.
    public static func calibration(
        labels: [Bool], probabilities: [Double], weights: [Double]? = nil, binCount: Int = 10
    ) throws(MetricsError) -> CalibrationReport {
        guard binCount >= 1 else { throw .invalidBinCount(binCount) }
        let sums = try checkedClassWeights(
            labels: labels, values: probabilities, weights: weights, valuesAreProbabilities: true)
        return calibration(labels, probabilities, weights, sums, binCount: binCount)
    }

    /// The lower edge of bin `bin` of `binCount`: bin/binCount, the one value both binning and reporting use.
    static func binLowerEdge(_ bin: Int, binCount: Int) -> Double {
        Double(bin) / Double(binCount)
    }

    /// The bin of probability p ∈ [0, 1]: the b with lower edge ≤ p < next lower edge (the last bin takes 1).
    /// p·binCount can round across an edge, so the guess is corrected against the edges themselves.
    static func binIndex(of p: Double, binCount: Int) -> Int {
        var bin = min(binCount - 1, max(0, Int(p * Double(binCount))))
        if bin > 0 && p < binLowerEdge(bin, binCount: binCount) {
            bin -= 1
        } else if bin < binCount - 1 && p >= binLowerEdge(bin + 1, binCount: binCount) {
            bin += 1
        }
        return bin
    }

    static func calibration(
        _ labels: [Bool], _ probabilities: [Double], _ weights: [Double]?, _ sums: ClassWeights, binCount: Int
    ) -> CalibrationReport {
        var binWeights = [Double](repeating: 0, count: binCount)
        var predictedSums = [Double](repeating: 0, count: binCount)
        var positiveSums = [Double](repeating: 0, count: binCount)
        for index in labels.indices {
            let p = probabilities[index]
            let weight = weights?[index] ?? 1
            let bin = binIndex(of: p, binCount: binCount)
            binWeights[bin] += weight
            predictedSums[bin] += weight * p
            if labels[index] { positiveSums[bin] += weight }
        }
        var bins: [ReliabilityBin] = []
        var error = 0.0
        for bin in 0..<binCount where binWeights[bin] > 0 {
            let count = binWeights[bin]
            let reliability = ReliabilityBin(
                lower: binLowerEdge(bin, binCount: binCount),
                upper: binLowerEdge(bin + 1, binCount: binCount),
                count: count,
                meanPredicted: predictedSums[bin] / count,
                observedRate: positiveSums[bin] / count)
            error += (count / sums.total) * abs(reliability.observedRate - reliability.meanPredicted)
            bins.append(reliability)
        }
        return CalibrationReport(expectedCalibrationError: error, binCount: binCount, bins: bins)
    }
}
