/// One point of a ROC curve: classifying every row with score ≥ `threshold` as positive gives these rates.
public struct ROCPoint: Sendable, Equatable, Hashable {
    /// Weighted share of the negatives at or above the threshold.
    public var falsePositiveRate: Double
    /// Weighted share of the positives at or above the threshold (recall).
    public var truePositiveRate: Double
    /// The score cut-off; `+infinity` for the first point (0, 0), where nothing is classified positive.
    public var threshold: Double

    public init(falsePositiveRate: Double, truePositiveRate: Double, threshold: Double) {
        self.falsePositiveRate = falsePositiveRate
        self.truePositiveRate = truePositiveRate
        self.threshold = threshold
    }
}

extension Metrics {
    /// ROC AUC = P(score of a random positive > score of a random negative) + ½·P(tie), exactly, with
    /// weights: Σ_{i positive, j negative} w_i·w_j·([s_i > s_j] + ½·[s_i = s_j]) / (W₊·W₋).
    ///
    /// Equals the trapezoidal area under `rocCurve`, and scikit-learn's `roc_auc_score`.
    /// - Complexity: O(n log n).
    /// - Throws: `MetricsError` for mismatched lengths, no rows, a non-finite score, a bad weight, and
    ///   `.noPositives` / `.noNegatives` when a class has no weight (the AUC is undefined).
    public static func rocAUC(
        labels: [Bool], scores: [Double], weights: [Double]? = nil
    ) throws(MetricsError) -> Double {
        let sums = try checkedClassWeights(
            labels: labels, values: scores, weights: weights, valuesAreProbabilities: false)
        try requireBothClasses(sums)
        return rocAUC(ScoreGroups(labels: labels, scores: scores, weights: weights), sums)
    }

    static func rocAUC(_ groups: ScoreGroups, _ sums: ClassWeights) -> Double {
        // Each negative in a group beats nothing and loses to every positive above it; ties count half.
        var positivesAbove = 0.0
        var area = 0.0
        for group in 0..<groups.count {
            let positives = groups.positiveWeights[group]
            area += groups.negativeWeights[group] * (positivesAbove + 0.5 * positives)
            positivesAbove += positives
        }
        return min(1, max(0, area / (sums.positive * sums.negative)))
    }

    /// ROC curve: the point (0, 0) at threshold +infinity, then one point per distinct score, highest first,
    /// ending at (1, 1). Rates are weighted. Tied scores move the curve diagonally, so the trapezoidal
    /// area under these points is `rocAUC`. (Unlike scikit-learn's default, collinear points are kept.)
    /// - Complexity: O(n log n); the result has (distinct scores + 1) points.
    /// - Throws: as `rocAUC`.
    public static func rocCurve(
        labels: [Bool], scores: [Double], weights: [Double]? = nil
    ) throws(MetricsError) -> [ROCPoint] {
        let sums = try checkedClassWeights(
            labels: labels, values: scores, weights: weights, valuesAreProbabilities: false)
        try requireBothClasses(sums)
        let groups = ScoreGroups(labels: labels, scores: scores, weights: weights)
        var points = [ROCPoint(falsePositiveRate: 0, truePositiveRate: 0, threshold: .infinity)]
        points.reserveCapacity(groups.count + 1)
        var truePositives = 0.0
        var falsePositives = 0.0
        for group in 0..<groups.count {
            truePositives += groups.positiveWeights[group]
            falsePositives += groups.negativeWeights[group]
            points.append(
                ROCPoint(
                    falsePositiveRate: min(1, falsePositives / sums.negative),
                    truePositiveRate: min(1, truePositives / sums.positive),
                    threshold: groups.scores[group]))
        }
        return points
    }

    /// Average precision, the step-wise area under the precision–recall curve, as scikit-learn's
    /// `average_precision_score`: AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct scores taken as thresholds,
    /// highest first, with R₀ = 0 and tied scores entering together. Pₙ and Rₙ are the (weighted) precision
    /// and recall of "score ≥ threshold n".
    ///
    /// It is not the trapezoidal PR AUC, which over-rates interpolated precision. With no negatives it is 1.
    /// - Complexity: O(n log n).
    /// - Throws: `MetricsError` for mismatched lengths, no rows, a non-finite score, a bad weight, and
    ///   `.noPositives` when the positives have no weight (recall is undefined).
    public static func averagePrecision(
        labels: [Bool], scores: [Double], weights: [Double]? = nil
    ) throws(MetricsError) -> Double {
        let sums = try checkedClassWeights(
            labels: labels, values: scores, weights: weights, valuesAreProbabilities: false)
        guard sums.positive > 0 else { throw .noPositives }
        return averagePrecision(ScoreGroups(labels: labels, scores: scores, weights: weights), sums)
    }

    static func averagePrecision(_ groups: ScoreGroups, _ sums: ClassWeights) -> Double {
        var truePositives = 0.0
        var falsePositives = 0.0
        var sum = 0.0
        for group in 0..<groups.count {
            let positives = groups.positiveWeights[group]
            truePositives += positives
            falsePositives += groups.negativeWeights[group]
            // A group without positive weight leaves recall unchanged and adds nothing.
            if positives > 0 {
                sum += (positives / sums.positive) * (truePositives / (truePositives + falsePositives))
            }
        }
        return min(1, max(0, sum))
    }

    /// Lift in the top fraction: the positive rate among the highest-scored ⌈topFraction·n⌉ rows divided by
    /// the overall positive rate. 1 means no better than random; 1 / (overall positive rate) is the most
    /// possible.
    ///
    /// Ties at the cut-off: the tie group that straddles it is included fractionally, every member with the
    /// same fraction (the share of the group needed to fill the top), which is the expectation over all
    /// orderings of the ties; so the result does not depend on the input order.
    ///
    /// Rounding: a product topFraction·n within 1e-9 (relative) of a whole number counts as that number, so
    /// 0.07·100 gives 7 rows rather than the 8 that floating point's 7.000000000000001 would.
    ///
    /// With weights the top is ⌈topFraction·n⌉/n of the total weight, filled from the highest score down, and
    /// both rates are weighted. (So, unlike the other metrics, lift with integer weights need not equal lift on
    /// repeated rows: the rounding is to whole rows of the data given.)
    /// - Complexity: O(n log n).
    /// - Throws: `MetricsError` for mismatched lengths, no rows, a non-finite score, a bad weight,
    ///   `.invalidTopFraction` unless 0 < topFraction ≤ 1, and `.noPositives` (the overall rate would be 0).
    public static func lift(
        labels: [Bool], scores: [Double], weights: [Double]? = nil, topFraction: Double = 0.1
    ) throws(MetricsError) -> Double {
        guard topFraction > 0 && topFraction <= 1 else { throw .invalidTopFraction(topFraction) }
        let sums = try checkedClassWeights(
            labels: labels, values: scores, weights: weights, valuesAreProbabilities: false)
        guard sums.positive > 0 else { throw .noPositives }
        let groups = ScoreGroups(labels: labels, scores: scores, weights: weights)
        return lift(groups, sums, rowCount: labels.count, topFraction: topFraction)
    }

    /// ⌈fraction·rowCount⌉, with products within 1e-9 (relative) of a whole number taken as that number.
    static func rowsInTop(fraction: Double, rowCount: Int) -> Int {
        let exact = fraction * Double(rowCount)
        let nearest = exact.rounded()
        let rows = abs(exact - nearest) <= 1e-9 * max(1, exact) ? nearest : exact.rounded(.up)
        return min(rowCount, max(1, Int(rows)))
    }

    static func lift(_ groups: ScoreGroups, _ sums: ClassWeights, rowCount: Int, topFraction: Double) -> Double {
        let rows = rowsInTop(fraction: topFraction, rowCount: rowCount)
        // Unweighted, this is exactly `rows`; weighted, the same share of the total weight.
        let topWeight = Double(rows) * (sums.total / Double(rowCount))
        var remaining = topWeight
        var positivesInTop = 0.0
        for group in 0..<groups.count where remaining > 0 {
            let positives = groups.positiveWeights[group]
            let groupWeight = positives + groups.negativeWeights[group]
            guard groupWeight > 0 else { continue }
            if groupWeight <= remaining {
                positivesInTop += positives
                remaining -= groupWeight
            } else {
                positivesInTop += positives * (remaining / groupWeight)
                remaining = 0
            }
        }
        let takenWeight = topWeight - max(0, remaining)
        return (positivesInTop / takenWeight) / (sums.positive / sums.total)
    }
}
