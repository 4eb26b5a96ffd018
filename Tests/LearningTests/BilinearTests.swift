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
