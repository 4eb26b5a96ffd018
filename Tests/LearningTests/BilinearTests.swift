import Foundation
import LinearAlgebra
import Testing
import TestSupport

@testable import Learning

/// The bilinear objective against the explicit outer-product design it avoids forming.
@Suite("Bilinear logistic model")
struct BilinearTests {
    /// Φ (n×a) and Ψ (n×b) with a constant 1 in column 0, labels drawn from a random W.
    static func problem(rows n: Int, left a: Int, right b: Int, seed: UInt64) -> (
        Matrix<Double>, Matrix<Double>, [Bool], [Double]
    ) {
        var rng = SeededGenerator(seed: seed)
        var phi = Matrix<Double>(rowCount: n, columnCount: a), psi = Matrix<Double>(rowCount: n, columnCount: b)
        for i in 0..<n {
            phi.storage[i * a] = 1
            psi.storage[i * b] = 1
            for j in 1..<a { phi.storage[i * a + j] = rng.nextGaussian() }
            for j in 1..<b { psi.storage[i * b + j] = rng.nextUniform() < 0.3 ? 1 : 0 }
        }
        let w = (0..<(a * b)).map { _ in 0.5 * rng.nextGaussian() }
        var labels: [Bool] = []
        for i in 0..<n {
            var m = 0.0
            for j in 0..<a { for l in 0..<b { m += phi.storage[i * a + j] * w[j * b + l] * psi.storage[i * b + l] } }
            labels.append(rng.nextUniform() < Kernels.sigmoid(m))
        }
        return (phi, psi, labels, w)
    }

    /// The objective written out with naive loops.
    static func naiveValue(
        _ phi: Matrix<Double>, _ psi: Matrix<Double>, _ y: [Bool], _ s: [Double], _ w: [Double], _ lambda: Double
    ) -> Double {
        let a = phi.columnCount, b = psi.columnCount, n = phi.rowCount
        var loss = 0.0, total = 0.0
        for i in 0..<n {
            var m = 0.0
            for j in 0..<a { for l in 0..<b { m += phi.storage[i * a + j] * w[j * b + l] * psi.storage[i * b + l] } }
            loss += s[i] * (Kernels.log1pexp(m) - (y[i] ? m : 0))
            total += s[i]
        }
        var penalty = 0.0
        for j in 1..<w.count { penalty += w[j] * w[j] }
        return loss / total + 0.5 * lambda * penalty
    }

    @Test(arguments: [1, 2])
    func valueMatchesNaiveLoopsAndGradientMatchesFiniteDifferences(workers: Int) throws {
        let (phi, psi, labels, _) = Self.problem(rows: 301, left: 5, right: 4, seed: 11)
        var rng = SeededGenerator(seed: 12)
        let weights = (0..<301).map { _ in rng.nextUniform() * 2 }
        let objective = try BilinearObjective(
            left: phi, right: psi, labels: labels, sampleWeights: weights, l2Strength: 0.03, workerCount: workers)
        let theta = (0..<20).map { _ in rng.nextGaussian() * 0.4 }
        var gradient = [Double](repeating: 0, count: 20)
        let value = objective.value(at: theta, gradient: &gradient)
        #expect(isClose(value, Self.naiveValue(phi, psi, labels, weights, theta, 0.03), absolute: 1e-12, relative: 1e-11))
        for j in 0..<20 {
            var plus = theta, minus = theta
            plus[j] += 1e-6
            minus[j] -= 1e-6
            let numeric =
                (Self.naiveValue(phi, psi, labels, weights, plus, 0.03) - Self.naiveValue(phi, psi, labels, weights, minus, 0.03))
                / 2e-6
            #expect(abs(numeric - gradient[j]) < 1e-7, "∂f/∂θ\(j): \(gradient[j]) vs \(numeric)")
        }
    }

    @Test func lowRankGradientMatchesFiniteDifferences() throws {
        let (phi, psi, labels, _) = Self.problem(rows: 257, left: 6, right: 5, seed: 21)
        let rank = 2
        let objective = try BilinearObjective(left: phi, right: psi, labels: labels, l2Strength: 0.01, form: .lowRank(rank))
        #expect(objective.parameterCount == (6 + 5) * rank)
        var rng = SeededGenerator(seed: 22)
        let theta = (0..<objective.parameterCount).map { _ in rng.nextGaussian() * 0.5 }
        var gradient = [Double](repeating: 0, count: theta.count)
        let value = objective.value(at: theta, gradient: &gradient)
        // The value equals the full form's loss at W = U·Vᵀ plus the factor penalty.
        let w = objective.interaction(theta).storage
        var factorPenalty = 0.0, wPenalty = 0.0
        for t in theta { factorPenalty += t * t }
        for j in 1..<w.count { wPenalty += w[j] * w[j] }
        let naive = Self.naiveValue(phi, psi, labels, [Double](repeating: 1, count: 257), w, 0.01) - 0.005 * wPenalty
        #expect(isClose(value, naive + 0.005 * factorPenalty, absolute: 1e-12, relative: 1e-11))
        for j in theta.indices {
            var plus = theta, minus = theta
            plus[j] += 1e-6
            minus[j] -= 1e-6
            let numeric = (objective.value(at: plus) - objective.value(at: minus)) / 2e-6
            #expect(abs(numeric - gradient[j]) < 1e-7, "∂f/∂θ\(j): \(gradient[j]) vs \(numeric)")
        }
    }

    /// The same minimiser as a plain logistic regression on the explicit outer-product design (φᵢ⊗ψᵢ without the
    /// constant 1⊗1 column, which becomes the unpenalised intercept).
    @Test func fitMatchesLogisticRegressionOnTheOuterProductDesign() throws {
        let (phi, psi, labels, _) = Self.problem(rows: 2000, left: 4, right: 5, seed: 31)
        let lambda = 1e-3
        let options = SolverOptions(gradientTolerance: 1e-10, maxIterations: 2000)
        let (bilinear, report) = try BilinearLogisticRegression.fit(
            left: phi, right: psi, labels: labels, configuration: BilinearConfiguration(l2Strength: lambda, options: options))
        #expect(report.converged)
        var design = Matrix<Double>(rowCount: 2000, columnCount: 19)
        for i in 0..<2000 {
            for k in 1..<20 {
                design.storage[i * 19 + k - 1] = phi.storage[i * 4 + k / 5] * psi.storage[i * 5 + k % 5]
            }
        }
        let (plain, _) = try LogisticRegression.fit(
            design: design, labels: labels,
            configuration: LogisticRegressionConfiguration(l2Strength: lambda, solver: .newton, options: options))
        #expect(abs(bilinear[0, 0] - plain.intercept) < 1e-6)
        for k in 1..<20 { #expect(abs(bilinear.interaction[k] - plain.coefficients[k - 1]) < 1e-6) }
        let p = try bilinear.probabilities(left: phi, right: psi)
        let q = try LogisticRegression.fit(
            design: design, labels: labels,
            configuration: LogisticRegressionConfiguration(l2Strength: lambda, solver: .newton, options: options)
        ).model.probabilities(for: design)
        #expect(maxAbsDifference(p, q) < 1e-7)
    }

    @Test func lowRankRecoversARankOneInteraction() throws {
        var rng = SeededGenerator(seed: 41)
        let n = 20_000, a = 8, b = 7
        var phi = Matrix<Double>(rowCount: n, columnCount: a), psi = Matrix<Double>(rowCount: n, columnCount: b)
        let u = (0..<a).map { _ in rng.nextGaussian() }, v = (0..<b).map { _ in rng.nextGaussian() }
        var labels: [Bool] = []
        for i in 0..<n {
            phi.storage[i * a] = 1; psi.storage[i * b] = 1
            for j in 1..<a { phi.storage[i * a + j] = rng.nextGaussian() }
            for j in 1..<b { psi.storage[i * b + j] = rng.nextGaussian() }
            var left = 0.0, right = 0.0
            for j in 0..<a { left += phi.storage[i * a + j] * u[j] }
            for j in 0..<b { right += psi.storage[i * b + j] * v[j] }
            labels.append(rng.nextUniform() < Kernels.sigmoid(left * right))
        }
        let (model, report) = try BilinearLogisticRegression.fit(
            left: phi, right: psi, labels: labels,
            configuration: BilinearConfiguration(
                l2Strength: 1e-5, form: .lowRank(1), options: SolverOptions(gradientTolerance: 1e-7)))
        #expect(report.converged)
        var worst = 0.0
        for j in 0..<a { for l in 0..<b { worst = max(worst, abs(model[j, l] - u[j] * v[l])) } }
        #expect(worst < 0.15, "largest |Ŵ − uvᵀ| = \(worst)")
    }

    @Test func penaltyWeightsScaleEachEntrysShare() throws {
        let (phi, psi, labels, _) = Self.problem(rows: 200, left: 3, right: 4, seed: 61)
        var rng = SeededGenerator(seed: 62)
        let omega = (0..<12).map { _ in rng.nextUniform() * 5 }
        let objective = try BilinearObjective(left: phi, right: psi, labels: labels, l2Strength: 0.2, penaltyWeights: omega)
        let plain = try BilinearObjective(left: phi, right: psi, labels: labels, l2Strength: 0, unpenalizedIntercept: false)
        let theta = (0..<12).map { _ in rng.nextGaussian() }
        var gradient = [Double](repeating: 0, count: 12), plainGradient = gradient
        let value = objective.value(at: theta, gradient: &gradient)
        let loss = plain.value(at: theta, gradient: &plainGradient)
        var penalty = 0.0
        for j in 1..<12 { penalty += omega[j] * theta[j] * theta[j] }  // W₀₀ stays unpenalised
        #expect(isClose(value, loss + 0.1 * penalty, absolute: 1e-13, relative: 1e-12))
        #expect(isClose(gradient[0], plainGradient[0], absolute: 1e-14, relative: 1e-12))
        for j in 1..<12 {
            #expect(isClose(gradient[j], plainGradient[j] + 0.2 * omega[j] * theta[j], absolute: 1e-13, relative: 1e-12))
        }
        #expect(throws: LearningError.self) {
            try BilinearObjective(left: phi, right: psi, labels: labels, l2Strength: 0.2, penaltyWeights: [1, 2])
        }
        #expect(throws: LearningError.self) {
            try BilinearObjective(
                left: phi, right: psi, labels: labels, l2Strength: 0.2, form: .lowRank(2), penaltyWeights: omega)
        }
    }

    /// Φ with a constant, a one-hot group of `groupSize` columns (split off as indicators) and `numericCount` signed
    /// numeric columns; Ψ as in `problem`.
    static func indicatorProblem(rows n: Int, groupSize: Int, numericCount: Int, right b: Int, seed: UInt64) -> (
        Matrix<Double>, Matrix<Double>, [Bool]
    ) {
        var rng = SeededGenerator(seed: seed)
        let a = 1 + groupSize + numericCount
        var phi = Matrix<Double>(rowCount: n, columnCount: a), psi = Matrix<Double>(rowCount: n, columnCount: b)
        var labels: [Bool] = []
        for i in 0..<n {
            phi.storage[i * a] = 1
            let group = Int(rng.nextUniform() * Double(groupSize))
            phi.storage[i * a + 1 + group] = 1
            for j in 0..<numericCount { phi.storage[i * a + 1 + groupSize + j] = rng.nextGaussian() }
            psi.storage[i * b] = 1
            for j in 1..<b { psi.storage[i * b + j] = j % 2 == 0 ? rng.nextGaussian() : (rng.nextUniform() < 0.3 ? 1 : 0) }
            let m = 0.8 * phi.storage[i * a + a - 1] * psi.storage[i * b + 2] + (group == 0 ? 1 : -0.3) * psi.storage[i * b + 1]
            labels.append(rng.nextUniform() < Kernels.sigmoid(m))
        }
        return (phi, psi, labels)
    }

    @Test(arguments: [1, 2])
    func hessianProductMatchesFiniteDifferencesOfTheGradient(workers: Int) throws {
        let (phi, psi, labels) = Self.indicatorProblem(rows: 403, groupSize: 10, numericCount: 1, right: 5, seed: 71)
        let a = phi.columnCount, b = psi.columnCount, p = a * b
        var rng = SeededGenerator(seed: 72)
        let weights = (0..<403).map { _ in rng.nextUniform() * 2 }
        let omega = (0..<p).map { _ in 0.5 + rng.nextUniform() }
        let objective = try BilinearObjective(
            left: phi, right: psi, labels: labels, sampleWeights: weights, l2Strength: 0.02, penaltyWeights: omega,
            workerCount: workers)
        #expect(objective.indicators != nil, "the one-hot group should be split off")
        let theta = (0..<p).map { _ in rng.nextGaussian() * 0.5 }
        var gradient = [Double](repeating: 0, count: p)
        _ = objective.value(at: theta, gradient: &gradient)
        for trial in 0..<3 {
            let v = (0..<p).map { _ in rng.nextGaussian() }
            var product = [Double](repeating: 0, count: p)
            _ = objective.value(at: theta, gradient: &gradient)
            objective.hessianProduct(v, into: &product)
            let h = 1e-5
            var plus = [Double](repeating: 0, count: p), minus = plus
            _ = objective.value(at: zip(theta, v).map { $0 + h * $1 }, gradient: &plus)
            _ = objective.value(at: zip(theta, v).map { $0 - h * $1 }, gradient: &minus)
            for j in 0..<p {
                let numeric = (plus[j] - minus[j]) / (2 * h)
                #expect(abs(numeric - product[j]) < 1e-8, "trial \(trial), (∇²f·v)\(j): \(product[j]) vs \(numeric)")
            }
        }
    }

    /// The formed Hessian's upper triangle against Hessian-vector products with the unit vectors, for a dense Φ and one
    /// with an indicator group and signed numeric columns (negative weights in the formation).
    @Test(arguments: [(false, 1), (true, 1), (true, 2)])
    func formedHessianMatchesHessianProducts(indicators: Bool, workers: Int) throws {
        let (phi, psi, labels): (Matrix<Double>, Matrix<Double>, [Bool])
        if indicators {
            (phi, psi, labels) = Self.indicatorProblem(rows: 600, groupSize: 10, numericCount: 2, right: 4, seed: 81)
        } else {
            let (f, s, y, _) = Self.problem(rows: 600, left: 4, right: 5, seed: 82)
            (phi, psi, labels) = (f, s, y)
        }
        let p = phi.columnCount * psi.columnCount
        var rng = SeededGenerator(seed: 83)
        let objective = try BilinearObjective(
            left: phi, right: psi, labels: labels, l2Strength: 0.05, penaltyWeights: (0..<p).map { _ in rng.nextUniform() },
            workerCount: workers)
        #expect(objective.formsHessian)
        #expect((objective.indicators != nil) == indicators)
        let theta = (0..<p).map { _ in rng.nextGaussian() * 0.3 }
        var gradient = [Double](repeating: 0, count: p)
        _ = objective.value(at: theta, gradient: &gradient)
        var hessian = Matrix<Double>(rowCount: p, columnCount: p)
        objective.formHessian(into: &hessian)
        var worst = 0.0, largest = 0.0
        for column in 0..<p {
            var unit = [Double](repeating: 0, count: p), product = unit
            unit[column] = 1
            objective.hessianProduct(unit, into: &product)
            for row in 0...column {  // the upper triangle: row ≤ column
                worst = max(worst, abs(hessian[row, column] - product[row]))
                largest = max(largest, abs(product[row]))
            }
        }
        #expect(worst < 1e-13 * max(1, largest), "largest |H − ∇²f·e| = \(worst)")
        // A Cholesky factor of it solves the Newton system as the products define it.
        let factor = try CholeskyFactor(factoring: hessian)
        let step = try factor.solving(gradient)
        var back = [Double](repeating: 0, count: p)
        objective.hessianProduct(step, into: &back)
        #expect(maxAbsDifference(back, gradient) < 1e-10)
    }

    /// Over `hessianRowLimit` rows, the Hessian is the exact one of the evenly spaced rows it samples (their weights
    /// renormalised), plus the same penalty.
    @Test func sampledHessianIsTheHessianOfTheSampledRows() throws {
        let (phi, psi, labels) = Self.indicatorProblem(rows: 600, groupSize: 10, numericCount: 2, right: 4, seed: 85)
        var rng = SeededGenerator(seed: 86)
        let weights = (0..<600).map { _ in 0.5 + rng.nextUniform() }
        let kept = Array(stride(from: 0, to: 600, by: 3))
        let sampled = try BilinearObjective(
            left: phi, right: psi, labels: labels, sampleWeights: weights, l2Strength: 0.05, workerCount: 2)
        sampled.hessianRowLimit = 200
        let reference = try BilinearObjective(
            left: phi.gatheringRows(kept), right: psi.gatheringRows(kept), labels: kept.map { labels[$0] },
            sampleWeights: kept.map { weights[$0] }, l2Strength: 0.05, workerCount: 1)
        reference.hessianRowLimit = nil
        let p = sampled.parameterCount
        let theta = (0..<p).map { _ in rng.nextGaussian() * 0.3 }
        var gradient = [Double](repeating: 0, count: p)
        var estimate = Matrix<Double>(rowCount: p, columnCount: p), exact = estimate
        _ = sampled.value(at: theta, gradient: &gradient)
        sampled.formHessian(into: &estimate)
        _ = reference.value(at: theta, gradient: &gradient)
        reference.formHessian(into: &exact)
        var worst = 0.0
        for row in 0..<p { for column in row..<p { worst = max(worst, abs(estimate[row, column] - exact[row, column])) } }
        #expect(worst < 1e-14, "largest difference \(worst)")
    }

    /// Newton-CG and L-BFGS reach the same minimiser, with ‖∇f‖∞ under the tolerance, on random problems.
    @Test(arguments: [UInt64(1), 2, 3])
    func newtonCGReachesTheLBFGSOptimum(seed: UInt64) throws {
        let (phi, psi, labels) = Self.indicatorProblem(rows: 3000, groupSize: 9, numericCount: 3, right: 6, seed: 90 + seed)
        let lambda = 1 / 3000.0
        // L-BFGS's line search stalls near 2e-10 here, so it is held to 1e-9 and Newton-CG to 1e-10.
        let fits = try [(SolverKind.newtonCG, 1e-10), (.lbfgs, 1e-9)].map { solver, tolerance in
            try BilinearLogisticRegression.fit(
                left: phi, right: psi, labels: labels,
                configuration: BilinearConfiguration(
                    l2Strength: lambda, solver: solver,
                    options: SolverOptions(gradientTolerance: tolerance, maxIterations: 5000)))
        }
        let (newton, lbfgs) = (fits[0], fits[1])
        #expect(newton.report.solver == .newtonCG && lbfgs.report.solver == .lbfgs)
        #expect(newton.report.converged && lbfgs.report.converged)
        #expect(newton.report.gradientNorm <= 1e-10)
        #expect(newton.report.iterations < 30, "Newton-CG took \(newton.report.iterations) iterations")
        #expect(isClose(newton.report.objective, lbfgs.report.objective, absolute: 1e-14, relative: 1e-12))
        #expect(maxAbsDifference(newton.model.interaction, lbfgs.model.interaction) < 1e-6)
        // Its gradient at the reported W, recomputed, is as small as reported.
        let objective = try BilinearObjective(left: phi, right: psi, labels: labels, l2Strength: lambda)
        var gradient = [Double](repeating: 0, count: objective.parameterCount)
        _ = objective.value(at: newton.model.interaction, gradient: &gradient)
        #expect(gradient.map(abs).max()! <= 1e-10)
    }

    @Test func solverChoiceFollowsTheForm() throws {
        let (phi, psi, labels, _) = Self.problem(rows: 400, left: 3, right: 4, seed: 95)
        let full = try BilinearLogisticRegression.fit(
            left: phi, right: psi, labels: labels, configuration: BilinearConfiguration(l2Strength: 0.01))
        #expect(full.report.solver == .newtonCG && full.report.converged)
        let lowRank = try BilinearLogisticRegression.fit(
            left: phi, right: psi, labels: labels, configuration: BilinearConfiguration(l2Strength: 0.01, form: .lowRank(2)))
        #expect(lowRank.report.solver == .lbfgs)
        #expect(throws: LearningError.self) {
            try BilinearLogisticRegression.fit(
                left: phi, right: psi, labels: labels, configuration: BilinearConfiguration(l2Strength: 0.01, solver: .newton))
        }
        #expect(throws: LearningError.self) {
            try BilinearLogisticRegression.fit(
                left: phi, right: psi, labels: labels,
                configuration: BilinearConfiguration(l2Strength: 0.01, form: .lowRank(2), solver: .newtonCG))
        }
    }

    @Test func configurationWithoutASolverDecodesAsAuto() throws {
        let json =
            #"{"l2Strength":0.5,"form":{"full":{}},"options":{"gradientTolerance":1e-6,"maxIterations":50,"historySize":5},"seed":3}"#
        let decoded = try JSONDecoder().decode(BilinearConfiguration.self, from: Data(json.utf8))
        #expect(decoded.solver == .auto && decoded.l2Strength == 0.5 && decoded.seed == 3 && decoded.penaltyWeights == nil)
        let again = try JSONDecoder().decode(BilinearConfiguration.self, from: try JSONEncoder().encode(decoded))
        #expect(again == decoded)
    }

    @Test func badInputIsRejected() throws {
        let (phi, psi, labels, _) = Self.problem(rows: 10, left: 3, right: 3, seed: 51)
        #expect(throws: LearningError.self) {
            try BilinearObjective(left: phi, right: psi, labels: Array(labels.prefix(9)), l2Strength: 0)
        }
        #expect(throws: LearningError.self) { try BilinearObjective(left: phi, right: psi, labels: labels, l2Strength: -1) }
        #expect(throws: LearningError.self) {
            try BilinearObjective(left: phi, right: psi, labels: labels, l2Strength: 0, form: .lowRank(0))
        }
        var broken = phi
        broken.storage[3 * 3] = 0  // row 3 lost its constant
        #expect(throws: LearningError.self) { try BilinearObjective(left: broken, right: psi, labels: labels, l2Strength: 0) }
        broken = phi
        broken.storage[4] = .nan
        #expect(throws: LearningError.self) { try BilinearObjective(left: broken, right: psi, labels: labels, l2Strength: 0) }
        #expect(throws: LearningError.self) {
            try BilinearLogisticRegression.fit(
                left: phi, right: psi, labels: [Bool](repeating: true, count: 10),
                configuration: BilinearConfiguration(l2Strength: 0.1))
        }
    }
}
