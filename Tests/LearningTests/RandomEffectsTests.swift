import Foundation
import Learning
import Testing
import TestSupport

@Suite struct RandomEffectsTests {
    /// With equal sampling variances s², REML has a closed form: μ̂ = ȳ and τ̂² = max(0, Σ(y − ȳ)²/(k − 1) − s²).
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64]) func equalVariancesMatchTheClosedForm(seed: UInt64) throws {
        var rng = RepeatableRandomNumberGenerator(seed: seed)
        let k = 5 + Int(rng.uniform(0, 20))
        let s2 = rng.uniform(0.01, 1), tau2 = seed.isMultiple(of: 2) ? 0 : rng.uniform(0, 2)
        let y = (0..<k).map { _ in 0.3 + (tau2 + s2).squareRoot() * rng.nextGaussian() }
        let fit = try RandomEffects.fit(estimates: y, variances: [Double](repeating: s2, count: k))
        let mean = y.reduce(0, +) / Double(k)
        let sampleVariance = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(k - 1)
        #expect(isClose(fit.mean, mean, absolute: 1e-12))
        #expect(isClose(fit.betweenVariance, max(0, sampleVariance - s2), absolute: 1e-8), "τ² \(fit.betweenVariance)")
        #expect(isClose(fit.meanVariance, (s2 + fit.betweenVariance) / Double(k), absolute: 1e-8))
    }

    /// With unequal variances, τ̂² maximises the REML log-likelihood: no point of a fine grid over [0, 4·τ̂² + 1] is higher.
    @Test(arguments: [11, 12, 13, 14, 15, 16] as [UInt64]) func remlIsTheMaximiserOnAGrid(seed: UInt64) throws {
        var rng = RepeatableRandomNumberGenerator(seed: seed)
        let k = 4 + Int(rng.uniform(0, 30))
        let tau2 = rng.uniform(0, 0.5)
        let s2 = (0..<k).map { _ in rng.uniform(0.01, 1) }
        let y = s2.map { -0.2 + ($0 + tau2).squareRoot() * rng.nextGaussian() }
        let fit = try RandomEffects.fit(estimates: y, variances: s2)
        let best = RandomEffects.remlLogLikelihood(y, s2, fit.betweenVariance)
        let top = 4 * fit.betweenVariance + 1
        for step in 0...4000 {
            let t = top * Double(step) / 4000
            #expect(RandomEffects.remlLogLikelihood(y, s2, t) <= best + 1e-9, "τ² \(t) beats \(fit.betweenVariance)")
        }
        let pooled = RandomEffects.pooled(y, s2, fit.betweenVariance)
        #expect(isClose(fit.mean, pooled.mean, absolute: 1e-12) && isClose(fit.meanVariance, pooled.variance, absolute: 1e-12))
    }

    /// Calibration against the simulation's truth: over 400 seeded draws of 40 units with unequal noise, REML's τ̂² is 0
    /// on most draws and near 0 on average when the true τ² is 0 (only the truncation at 0 lifts it), and its mean is
    /// within 15% of the true τ² when that is 0.05. A fit that mistook noise for spread would fail the first half.
    @Test(arguments: [0.0, 0.05]) func remlRecoversTheTrueBetweenVariance(truth: Double) throws {
        var rng = RepeatableRandomNumberGenerator(seed: 77)
        var total = 0.0, zeros = 0
        let draws = 400
        for _ in 0..<draws {
            let s2 = (0..<40).map { _ in rng.uniform(0.01, 0.2) }
            let y = s2.map { 0.25 + ($0 + truth).squareRoot() * rng.nextGaussian() }
            let fit = try RandomEffects.fit(estimates: y, variances: s2)
            total += fit.betweenVariance
            if fit.betweenVariance == 0 { zeros += 1 }
        }
        let mean = total / Double(draws)
        if truth == 0 {
            #expect(mean < 0.01, "mean τ̂² \(mean) with true τ² 0")
            #expect(zeros * 5 >= draws * 2, "τ̂² = 0 on \(zeros) of \(draws) draws")
        } else {
            #expect(abs(mean - truth) < 0.15 * truth, "mean τ̂² \(mean) with true τ² \(truth)")
        }
    }

    /// τ² = 0 (estimates that agree more than their noise): every unit's posterior is the pooled value.
    /// τ² huge (estimates far apart, tiny noise): every unit's posterior is its own estimate.
    @Test func shrinkageLimits() throws {
        let s2 = [0.04, 0.09, 0.01, 0.25]
        let agreeing = [0.20, 0.21, 0.19, 0.205]
        let pooledFit = try RandomEffects.fit(estimates: agreeing, variances: s2)
        #expect(pooledFit.betweenVariance == 0)
        for (y, v) in zip(agreeing, s2) {
            let posterior = pooledFit.posterior(estimate: y, variance: v)
            #expect(isClose(posterior.mean, pooledFit.mean, absolute: 1e-15))
            #expect(isClose(posterior.variance, pooledFit.meanVariance, absolute: 1e-15))
        }
        let apart = [-300.0, 5, 400, 1000]
        let tiny = [1e-4, 2e-4, 1e-4, 3e-4]
        let spreadFit = try RandomEffects.fit(estimates: apart, variances: tiny)
        #expect(spreadFit.betweenVariance > 1e4)
        for (y, v) in zip(apart, tiny) {
            let posterior = spreadFit.posterior(estimate: y, variance: v)
            #expect(abs(posterior.mean - y) < 1e-6)
            #expect(isClose(posterior.variance, v, relative: 1e-6))
        }
    }

    /// Known μ (Var μ̂ = 0): the posterior is the conjugate normal one, precision 1/τ² + 1/s², mean (μ/τ² + y/s²)/precision.
    /// μ with a flat prior: the posterior of θ₁ given all the estimates, by numeric integration over (μ, θ₁) of
    /// Πⱼ₌₂ N(yⱼ; μ, sⱼ² + τ²)·N(θ₁; μ, τ²)·N(y₁; θ₁, s₁²).
    @Test func posteriorMatchesTheConjugateClosedFormAndANumericIntegral() {
        let known = RandomEffects(mean: 0.1, meanVariance: 0, betweenVariance: 0.04)
        let posterior = known.posterior(estimate: 0.5, variance: 0.09)
        let precision = 1 / 0.04 + 1 / 0.09
        #expect(isClose(posterior.mean, (0.1 / 0.04 + 0.5 / 0.09) / precision, absolute: 1e-14))
        #expect(isClose(posterior.variance, 1 / precision, absolute: 1e-14))

        let y = [0.5, 0.1, -0.2], s2 = [0.09, 0.04, 0.16], tau2 = 0.05
        let pooled = RandomEffects.pooled(y, s2, tau2)
        let fit = RandomEffects(mean: pooled.mean, meanVariance: pooled.variance, betweenVariance: tau2)
        let closed = fit.posterior(estimate: y[0], variance: s2[0])
        func logNormal(_ x: Double, _ m: Double, _ v: Double) -> Double { -0.5 * (x - m) * (x - m) / v - 0.5 * log(v) }
        var total = 0.0, first = 0.0, second = 0.0
        let n = 800, low = -3.0, high = 3.0, h = (high - low) / Double(n)
        for i in 0...n {
            let mu = low + Double(i) * h
            var base = logNormal(y[1], mu, s2[1] + tau2) + logNormal(y[2], mu, s2[2] + tau2)
            base += 0
            for j in 0...n {
                let theta = low + Double(j) * h
                let w = exp(base + logNormal(theta, mu, tau2) + logNormal(y[0], theta, s2[0]))
                total += w
                first += w * theta
                second += w * theta * theta
            }
        }
        let mean = first / total
        #expect(abs(closed.mean - mean) < 1e-6, "\(closed.mean) vs \(mean)")
        #expect(abs(closed.variance - (second / total - mean * mean)) < 1e-6)
    }

    @Test func badInputIsRefused() {
        #expect(throws: LearningError.emptyData) { try RandomEffects.fit(estimates: [], variances: []) }
        #expect(throws: LearningError.self) { try RandomEffects.fit(estimates: [1, 2], variances: [1]) }
        #expect(throws: LearningError.self) { try RandomEffects.fit(estimates: [1, 2], variances: [1, 0]) }
        #expect(throws: LearningError.self) { try RandomEffects.fit(estimates: [1, .nan], variances: [1, 1]) }
    }
}

@Suite struct ProbabilityOfBestTests {
    @Test func normalQuantileInvertsTheDistributionFunction() {
        for p in [1e-9, 1e-4, 0.01, 0.0243, 0.1, 0.3, 0.5, 0.77, 0.9, 0.99, 1 - 1e-6] {
            #expect(abs(ProbabilityOfBest.normalCDF(ProbabilityOfBest.normalQuantile(p)) - p) < 1e-12 * max(1, p / 1e-3))
        }
        #expect(abs(ProbabilityOfBest.normalQuantile(0.9) - 1.2815515655446004) < 1e-12)
    }

    /// Options with nondecreasing values of their own normal draw (affine, sigmoid-shaped, constant): the
    /// integral against the share of 400,000 seeded Monte Carlo draws in which each option is best.
    @Test(arguments: [21, 22, 23, 24] as [UInt64]) func probabilitiesMatchMonteCarlo(seed: UInt64) {
        var rng = RepeatableRandomNumberGenerator(seed: seed)
        let count = 2 + Int(rng.uniform(0, 5))
        var functions: [(Double) -> Double] = []
        for i in 0..<count {
            let centre = rng.uniform(-1, 1), scale = rng.uniform(0.1, 1.5), amplitude = rng.uniform(0.5, 3)
            switch i % 3 {
            case 0: functions.append { centre + scale * $0 }
            case 1: functions.append { amplitude / (1 + exp(-(centre + scale * $0))) - amplitude / 2 }
            default: functions.append { _ in centre * 0.5 }
            }
        }
        let nodes = ProbabilityOfBest.nodes
        let tables = functions.map { f in nodes.map(f) }
        let integral = ProbabilityOfBest.probabilities(tables)
        #expect(abs(integral.reduce(0, +) - 1) < 2e-3)
        var wins = [Double](repeating: 0, count: count)
        let draws = 400_000
        for _ in 0..<draws {
            var best = 0, bestValue = -Double.infinity
            for (i, f) in functions.enumerated() {
                let v = f(rng.nextGaussian())
                if v > bestValue { (best, bestValue) = (i, v) }
            }
            wins[best] += 1
        }
        for i in 0..<count {
            let share = wins[i] / Double(draws)
            let error = (share * (1 - share) / Double(draws)).squareRoot()
            #expect(abs(integral[i] - share) < 4 * error + 3e-3, "option \(i): \(integral[i]) vs \(share)")
        }
    }

    @Test func tiesAndCertainties() {
        let n = ProbabilityOfBest.nodes.count
        let same = ProbabilityOfBest.probabilities([[Double](repeating: 1, count: n), [Double](repeating: 1, count: n)])
        #expect(isClose(same[0], 0.5, absolute: 1e-12) && isClose(same[1], 0.5, absolute: 1e-12))
        let apart = ProbabilityOfBest.probabilities([[Double](repeating: 2, count: n), ProbabilityOfBest.nodes])
        // The second is best when Z > 2.
        #expect(abs(apart[1] - (1 - ProbabilityOfBest.normalCDF(2))) < 1e-3)
        #expect(abs(apart[0] + apart[1] - 1) < 1e-3)
    }

    /// Thompson sampling chooses each option about as often as its probability of being best (seeded, 200,000 draws).
    @Test(arguments: [31, 32, 33] as [UInt64]) func thompsonFrequenciesMatchTheProbabilities(seed: UInt64) {
        var rng = RepeatableRandomNumberGenerator(seed: seed)
        let count = 3 + Int(rng.uniform(0, 4))
        let nodes = ProbabilityOfBest.nodes
        let tables: [[Double]] = (0..<count).map { i in
            let centre = rng.uniform(-0.5, 0.5), scale = i == count - 1 ? 0 : rng.uniform(0.2, 1)
            return nodes.map { centre + scale * $0 + 0.1 * scale * $0 * abs($0) }
        }
        let probabilities = ProbabilityOfBest.probabilities(tables)
        var chosen = [Double](repeating: 0, count: count)
        let draws = 200_000
        var stream = RepeatableRandomNumberGenerator(seed: seed &* 7)
        for _ in 0..<draws { chosen[ProbabilityOfBest.thompsonChoice(tables, using: &stream)] += 1 }
        for i in 0..<count {
            let share = chosen[i] / Double(draws)
            let error = (probabilities[i] * (1 - probabilities[i]) / Double(draws)).squareRoot()
            #expect(abs(share - probabilities[i]) < 4 * error + 3e-3, "option \(i): \(share) vs \(probabilities[i])")
        }
    }
}

@Suite struct QiniCurveTests {
    /// Against a naive recount of every prefix, on seeded random units.
    @Test(arguments: [41, 42, 43] as [UInt64]) func matchesANaiveRecount(seed: UInt64) {
        var rng = RepeatableRandomNumberGenerator(seed: seed)
        let n = 50 + Int(rng.uniform(0, 100))
        let scores = (0..<n).map { _ in (rng.uniform(0, 10)).rounded() }
        let treated = (0..<n).map { _ in rng.nextUniform() < 0.4 }
        let outcomes = (0..<n).map { _ in rng.nextGaussian() }
        let curve = QiniCurve(scores: scores, treated: treated, outcomes: outcomes)
        let order = (0..<n).sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        #expect(curve.values.count == n + 1 && curve.values[0] == 0)
        for k in 1...n {
            let top = order.prefix(k)
            let t = top.filter { treated[$0] }, c = top.filter { !treated[$0] }
            let ts = t.reduce(0) { $0 + outcomes[$1] }, cs = c.reduce(0) { $0 + outcomes[$1] }
            let expected = c.isEmpty ? ts : ts - cs * Double(t.count) / Double(c.count)
            #expect(isClose(curve.values[k], expected, absolute: 1e-9))
        }
    }

    /// A score equal to the true uplift beats the reverse ranking.
    @Test func aGoodScoreHasALargerCoefficientThanItsReverse() {
        var rng = RepeatableRandomNumberGenerator(seed: 7)
        let n = 2000
        let uplift = (0..<n).map { _ in rng.uniform(-1, 1) }
        let treated = (0..<n).map { _ in rng.nextUniform() < 0.5 }
        let outcomes = (0..<n).map { (treated[$0] ? uplift[$0] : 0) + 0.3 * rng.nextGaussian() }
        let good = QiniCurve(scores: uplift, treated: treated, outcomes: outcomes)
        let bad = QiniCurve(scores: uplift.map { -$0 }, treated: treated, outcomes: outcomes)
        #expect(good.coefficient > 0 && bad.coefficient < 0)
    }
}
