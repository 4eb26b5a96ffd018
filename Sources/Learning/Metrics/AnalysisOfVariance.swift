#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import LinearAlgebra

/// A one-way analysis of variance: do the means of groups of values differ by more than the values vary within
/// the groups?
///
///     F = [Σ_g n_g·(m_g − m)² / (G − 1)] / [Σ_g Σ_{i∈g} (xᵢ − m_g)² / (n − G)]
///
/// with p = P(F(G − 1, n − G) > F). Groups are 0..<groupCount; the test needs every group observed and n − G ≥ 1.
public struct AnalysisOfVariance: Sendable, Equatable {
    public var groupMeans: [Double]
    public var groupCounts: [Int]
    public var statistic: Double
    public var betweenDegrees: Int
    public var withinDegrees: Int
    /// P(F ≥ statistic) under equal means; 1 when the test cannot be made.
    public var pValue: Double

    public init(values: [Double], groups: [Int], groupCount: Int) {
        precondition(values.count == groups.count)
        var sums = [Double](repeating: 0, count: groupCount), counts = [Int](repeating: 0, count: groupCount)
        for (x, g) in zip(values, groups) {
            sums[g] += x
            counts[g] += 1
        }
        groupMeans = (0..<groupCount).map { counts[$0] > 0 ? sums[$0] / Double(counts[$0]) : .nan }
        groupCounts = counts
        let n = values.count
        betweenDegrees = groupCount - 1
        withinDegrees = n - groupCount
        guard groupCount >= 2, withinDegrees >= 1, !counts.contains(0) else {
            statistic = .nan
            pValue = 1
            return
        }
        let mean = values.reduce(0, +) / Double(n)
        var between = 0.0, within = 0.0
        for g in 0..<groupCount { between += Double(counts[g]) * (groupMeans[g] - mean) * (groupMeans[g] - mean) }
        for (x, g) in zip(values, groups) { within += (x - groupMeans[g]) * (x - groupMeans[g]) }
        let numerator = between / Double(betweenDegrees), denominator = within / Double(withinDegrees)
        if denominator <= 0 {
            statistic = numerator > 0 ? .infinity : .nan
            pValue = numerator > 0 ? 0 : 1
        } else {
            statistic = numerator / denominator
            pValue = Distributions.fSurvival(statistic, betweenDegrees, withinDegrees)
        }
    }
}

/// Distribution functions the tests need.
public enum Distributions {
    /// log Γ(x) for x > 0 (the C library's lgamma).
    public static func logGamma(_ x: Double) -> Double { lgamma(x) }

    /// The regularised incomplete beta function I_x(a, b), by Lentz's continued fraction (on the side where it
    /// converges fast, using I_x(a, b) = 1 − I_{1−x}(b, a)).
    public static func incompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let front = Kernels.exponential(
            logGamma(a + b) - logGamma(a) - logGamma(b) + a * Kernels.logarithm(x) + b * Kernels.logarithm(1 - x))
        if x > (a + 1) / (a + b + 2) { return 1 - incompleteBeta(1 - x, b, a) }
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var f = d
        for m in 1...500 {
            let m = Double(m)
            var numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            f *= d * c
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            f *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return front * f / a
    }

    /// P(F > f) for Snedecor's F with (d1, d2) degrees of freedom: I_{d2/(d2 + d1·f)}(d2/2, d1/2).
    public static func fSurvival(_ f: Double, _ d1: Int, _ d2: Int) -> Double {
        guard f > 0 else { return 1 }
        guard f.isFinite else { return 0 }
        let a = Double(d1), b = Double(d2)
        return incompleteBeta(b / (b + a * f), b / 2, a / 2)
    }
}
