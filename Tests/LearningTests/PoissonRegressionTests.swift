import LinearAlgebra
import Testing
import TestSupport

@testable import Learning

@Suite("Poisson regression")
struct PoissonRegressionTests {
    /// Counts drawn from a known log-linear mean.
    static func problem(rows: Int, features: Int, seed: UInt64) -> (Matrix<Double>, [Double], [Double]) {
        var rng = SeededGenerator(seed: seed)
        let x: Matrix<Double> = randomMatrix(rows, features, using: &rng)
        let truth: [Double] = randomVector(features, using: &rng)
        let y = (0..<rows).map { i -> Double in
            var z = 0.2
            for k in 0..<features { z += x[i, k] * truth[k] }
            // Knuth's product of uniforms.
            let limit = Kernels.exponential(-Kernels.exponential(z))
            var product = rng.nextUniform(), count = 0.0
            while product > limit {
                count += 1
                product *= rng.nextUniform()
            }
            return count
        }
        return (x, y, truth)
    }

    @Test(arguments: [(20, 2), (150, 5)])
    func gradientMatchesFiniteDifferences(rows: Int, features: Int) {
        let (x, y, _) = Self.problem(rows: rows, features: features, seed: UInt64(rows))
        var rng = SeededGenerator(seed: 3)
        let theta: [Double] = randomVector(features + 1, using: &rng)
        var gradient = [Double](repeating: 0, count: features + 1), scratch = gradient
        let value = PoissonRegression.objective(design: x, targets: y, l2Strength: 0.1, parameters: theta, gradient: &gradient)
        // The definition, term by term.
        var naive = 0.0
        for i in 0..<rows {
            var z = theta[features]
            for k in 0..<features { z += x[i, k] * theta[k] }
            naive += Kernels.exponential(z) - y[i] * z
        }
        naive /= Double(rows)
        for k in 0..<features { naive += 0.05 * theta[k] * theta[k] }
        #expect(isClose(value, naive, absolute: 1e-12, relative: 1e-12))
        let h = 1e-6
        for j in theta.indices {
            var plus = theta, minus = theta
            plus[j] += h
            minus[j] -= h
            let numeric =
                (PoissonRegression.objective(design: x, targets: y, l2Strength: 0.1, parameters: plus, gradient: &scratch)
                    - PoissonRegression.objective(design: x, targets: y, l2Strength: 0.1, parameters: minus, gradient: &scratch))
                / (2 * h)
            #expect(abs(numeric - gradient[j]) < 1e-7)
        }
    }

    @Test func fitReachesTheOptimumAndRecoversTheTruth() throws {
        let (x, y, truth) = Self.problem(rows: 20_000, features: 3, seed: 17)
        let (model, report) = try PoissonRegression.fit(
            design: x, targets: y, l2Strength: 0, options: SolverOptions(gradientTolerance: 1e-7, maxIterations: 100))
        #expect(report.converged)
        #expect(report.gradientNorm <= 1e-7)
        #expect(maxAbsDifference(model.coefficients, truth) < 0.05)
        #expect(abs(model.intercept - 0.2) < 0.05)
    }

    @Test func badTargetsAreRefused() {
        let x = Matrix<Double>(rowCount: 2, columnCount: 1)
        #expect(throws: LearningError.self) { _ = try PoissonRegression.fit(design: x, targets: [1, -1], l2Strength: 0) }
        #expect(throws: LearningError.self) { _ = try PoissonRegression.fit(design: x, targets: [1], l2Strength: 0) }
    }
}

@Suite("Poisson regression with weights")
struct WeightedPoissonRegressionTests {
    /// A row whose target is the mean of s periods, weighted s, is those s rows: the fit on grouped rows equals the
    /// fit on every row (the slow reference), and the weighted gradient matches finite differences.
    @Test func groupedRowsFitAsTheirPeriods() throws {
        var rng = SeededGenerator(seed: 41)
        let partners = 60, features = 3
        let x: Matrix<Double> = randomMatrix(partners, features, using: &rng)
        var expanded: [[Double]] = [], targets: [Double] = []
        var groupedTargets: [Double] = [], weights: [Double] = []
        for p in 0..<partners {
            let periods = 1 + Int(rng.nextUniform() * 12)
            var sum = 0.0
            for _ in 0..<periods {
                let y = Double(Int(rng.nextUniform() * 4))
                expanded.append((0..<features).map { x[p, $0] })
                targets.append(y)
                sum += y
            }
            groupedTargets.append(sum / Double(periods))
            weights.append(Double(periods))
        }
        var all = Matrix<Double>(rowCount: expanded.count, columnCount: features)
        for (i, row) in expanded.enumerated() { for k in 0..<features { all[i, k] = row[k] } }
        let options = SolverOptions(gradientTolerance: 1e-10, maxIterations: 100)
        let (reference, _) = try PoissonRegression.fit(design: all, targets: targets, l2Strength: 0.05, options: options)
        let (grouped, _) = try PoissonRegression.fit(
            design: x, targets: groupedTargets, weights: weights, l2Strength: 0.05, options: options)
        #expect(maxAbsDifference(reference.coefficients, grouped.coefficients) < 1e-8)
        #expect(abs(reference.intercept - grouped.intercept) < 1e-8)

        let theta: [Double] = randomVector(features + 1, using: &rng)
        var gradient = [Double](repeating: 0, count: features + 1), scratch = gradient
        let value = PoissonRegression.objective(
            design: x, targets: groupedTargets, weights: weights, l2Strength: 0.05, parameters: theta, gradient: &gradient)
        let expandedValue = PoissonRegression.objective(
            design: all, targets: targets, l2Strength: 0.05, parameters: theta, gradient: &scratch)
        // The objectives differ by a constant (Σ y·z is linear in the targets, and the means keep the sums).
        #expect(isClose(value, expandedValue, absolute: 1e-10, relative: 1e-10))
        let h = 1e-6
        for j in theta.indices {
            var plus = theta, minus = theta
            plus[j] += h
            minus[j] -= h
            let numeric =
                (PoissonRegression.objective(
                    design: x, targets: groupedTargets, weights: weights, l2Strength: 0.05, parameters: plus,
                    gradient: &scratch)
                    - PoissonRegression.objective(
                        design: x, targets: groupedTargets, weights: weights, l2Strength: 0.05, parameters: minus,
                        gradient: &scratch)) / (2 * h)
            #expect(abs(numeric - gradient[j]) < 1e-7)
        }
        #expect(throws: LearningError.self) {
            _ = try PoissonRegression.fit(design: x, targets: groupedTargets, weights: [1], l2Strength: 0)
        }
        #expect(throws: LearningError.self) {
            _ = try PoissonRegression.fit(
                design: x, targets: groupedTargets, weights: weights.map { _ in 0 }, l2Strength: 0)
        }
    }
}
