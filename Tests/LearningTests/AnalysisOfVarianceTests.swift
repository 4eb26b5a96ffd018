import LinearAlgebra
import Testing
import TestSupport

@testable import Learning

@Suite("Analysis of variance")
struct AnalysisOfVarianceTests {
    /// The F density, integrated by Simpson's rule (the slow reference for the survival function).
    static func survivalByIntegration(_ f: Double, _ d1: Int, _ d2: Int) -> Double {
        let a = Double(d1), b = Double(d2)
        let logConstant =
            Distributions.logGamma((a + b) / 2) - Distributions.logGamma(a / 2) - Distributions.logGamma(b / 2)
            + (a / 2) * Kernels.logarithm(a / b)
        func density(_ x: Double) -> Double {
            guard x > 0 else { return d1 == 2 ? Kernels.exponential(logConstant) : 0 }
            return Kernels.exponential(
                logConstant + (a / 2 - 1) * Kernels.logarithm(x) - ((a + b) / 2) * Kernels.logarithm(1 + a * x / b))
        }
        // P(F > f) = 1 − ∫₀^f density; substitute x = f·u² near 0 to tame the density's singularity when d1 = 1.
        let steps = 20_000
        var sum = 0.0
        for i in 0...steps {
            let u = Double(i) / Double(steps)
            let weight = i == 0 || i == steps ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0)
            sum += weight * density(f * u * u) * 2 * f * u
        }
        return 1 - sum / (3 * Double(steps))
    }

    @Test(arguments: [(0.5, 2, 5), (3.0, 2, 21), (1.2, 3, 10), (4.5, 5, 30), (0.1, 4, 8), (8.0, 2, 4)])
    func fSurvivalMatchesTheIntegratedDensity(f: Double, d1: Int, d2: Int) {
        let p = Distributions.fSurvival(f, d1, d2)
        #expect(abs(p - Self.survivalByIntegration(f, d1, d2)) < 1e-6, "F(\(d1), \(d2)) at \(f)")
        if d1 == 2 {
            // The closed form for two numerator degrees of freedom.
            let closed = Kernels.exponential(-(Double(d2) / 2) * Kernels.logarithm(1 + 2 * f / Double(d2)))
            #expect(abs(p - closed) < 1e-12)
        }
    }

    @Test func statisticMatchesItsDefinition() {
        var rng = SeededGenerator(seed: 5)
        let groups = (0..<30).map { $0 % 3 }
        let values = groups.map { Double($0) * 0.3 + rng.nextGaussian() }
        let anova = AnalysisOfVariance(values: values, groups: groups, groupCount: 3)
        // By hand: group means, then the two sums of squares.
        var between = 0.0, within = 0.0
        let mean = values.reduce(0, +) / 30
        for g in 0..<3 {
            let members = values.indices.filter { groups[$0] == g }.map { values[$0] }
            let m = members.reduce(0, +) / Double(members.count)
            between += Double(members.count) * (m - mean) * (m - mean)
            within += members.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        }
        let f = (between / 2) / (within / 27)
        #expect(isClose(anova.statistic, f, absolute: 1e-12, relative: 1e-12))
        #expect(anova.betweenDegrees == 2 && anova.withinDegrees == 27)
        #expect(abs(anova.pValue - Distributions.fSurvival(f, 2, 27)) < 1e-15)
        // A group never observed, or no within-group degrees of freedom: no test.
        #expect(AnalysisOfVariance(values: [1, 2], groups: [0, 0], groupCount: 2).pValue == 1)
        #expect(AnalysisOfVariance(values: [1, 2], groups: [0, 1], groupCount: 2).pValue == 1)
    }

    /// Under equal means, p < 0.05 about 5% of the time.
    @Test func pValuesAreUniformUnderTheNull() {
        var rng = SeededGenerator(seed: 8)
        var rejections = 0
        let trials = 2000
        for _ in 0..<trials {
            let groups = (0..<12).map { $0 % 3 }
            let values = groups.map { _ in rng.nextGaussian() }
            if AnalysisOfVariance(values: values, groups: groups, groupCount: 3).pValue < 0.05 { rejections += 1 }
        }
        let rate = Double(rejections) / Double(trials)
        #expect(abs(rate - 0.05) < 0.015, "rejection rate \(rate)")
    }
}
