import Testing
import LinearAlgebra
@testable import Learning
import TestSupport

/// A random classification problem with a known generating model and label noise.
func randomProblem(rows: Int, features: Int, seed: UInt64, weighted: Bool = false) -> (Matrix<Double>, [Bool], [Double]?) {
    var rng = SeededGenerator(seed: seed)
    let x: Matrix<Double> = randomMatrix(rows, features, using: &rng)
    let truth: [Double] = randomVector(features, using: &rng).map { $0 * 3 }
    var labels = [Bool]()
    for i in 0..<rows {
        var z = 0.3
        for j in 0..<features { z += x[i, j] * truth[j] }
        labels.append(rng.nextUniform() < Kernels.sigmoid(z))
    }
    if !labels.contains(true) { labels[0] = true }
    if !labels.contains(false) { labels[rows - 1] = false }
    let weights: [Double]? = weighted ? (0..<rows).map { _ in rng.uniform(0, 3) } : nil
    return (x, labels, weights)
}

/// The objective by its definition, one row at a time.
func naiveObjective(_ x: Matrix<Double>, _ labels: [Bool], _ weights: [Double]?, _ lambda: Double, _ theta: [Double]) -> Double {
    let d = x.columnCount
    var total = 0.0, weightSum = 0.0
    for i in 0..<x.rowCount {
        var z = theta[d]
        for j in 0..<d { z += x[i, j] * theta[j] }
        let s = weights?[i] ?? 1
        let signed = labels[i] ? z : -z
        total += s * Kernels.logarithm(1 + Kernels.exponential(-signed))
        weightSum += s
    }
    var penalty = 0.0
    for j in 0..<d { penalty += theta[j] * theta[j] }
    return total / weightSum + lambda / 2 * penalty
}

@Suite("Logistic objective and solvers")
struct LogisticRegressionTests {
    @Test(arguments: [(1, 1, false), (30, 4, false), (57, 9, true), (200, 3, true)])
    func objectiveMatchesDefinitionAndFiniteDifferences(rows: Int, features: Int, weighted: Bool) throws {
        let (x, labels, weights) = randomProblem(
            rows: rows, features: features, seed: UInt64(rows + features), weighted: weighted)
        let lambda = 0.05
        let objective = try LogisticObjective(design: x, labels: labels, sampleWeights: weights, l2Strength: lambda)
        var rng = SeededGenerator(seed: 99)
        let theta: [Double] = randomVector(features + 1, using: &rng)
        var gradient = [Double](repeating: 0, count: features + 1)
        var hessian = Matrix<Double>(rowCount: features + 1, columnCount: features + 1)
        let value = objective.value(at: theta, gradient: &gradient, hessian: &hessian)
        #expect(isClose(value, naiveObjective(x, labels, weights, lambda, theta), absolute: 1e-13, relative: 1e-12))
        let h = 1e-6
        for j in 0..<(features + 1) {
            var plus = theta, minus = theta
            plus[j] += h; minus[j] -= h
            let numeric = (objective.value(at: plus) - objective.value(at: minus)) / (2 * h)
            #expect(abs(numeric - gradient[j]) < 1e-7, "gradient \(j): analytic \(gradient[j]) numeric \(numeric)")
            var gPlus = gradient, gMinus = gradient
            _ = objective.value(at: plus, gradient: &gPlus)
            _ = objective.value(at: minus, gradient: &gMinus)
            for k in 0..<(features + 1) {
                let second = (gPlus[k] - gMinus[k]) / (2 * h)
                #expect(abs(second - hessian[k, j]) < 1e-6, "hessian \(k),\(j)")
            }
        }
    }

    @Test(arguments: [1, 2, 3, 5])
    func workerCountDoesNotChangeTheResult(workers: Int) throws {
        let (x, labels, weights) = randomProblem(rows: 1001, features: 7, seed: 5, weighted: true)
        let one = try LogisticObjective(design: x, labels: labels, sampleWeights: weights, l2Strength: 0.01, workerCount: 1)
        let many = try LogisticObjective(
            design: x, labels: labels, sampleWeights: weights, l2Strength: 0.01, workerCount: workers)
        let theta = (0..<8).map { Double($0) * 0.1 - 0.3 }
        var g1 = [Double](repeating: 0, count: 8), g2 = g1
        var h1 = Matrix<Double>(rowCount: 8, columnCount: 8), h2 = h1
        let v1 = one.value(at: theta, gradient: &g1, hessian: &h1)
        let v2 = many.value(at: theta, gradient: &g2, hessian: &h2)
        #expect(isClose(v1, v2, absolute: 1e-14))
        #expect(maxAbsDifference(g1, g2) < 1e-14)
        #expect(maxAbsDifference(h1.storage, h2.storage) < 1e-14)
    }

    @Test(arguments: [SolverKind.newton, .lbfgs], [UInt64(1), 2, 3])
    func solutionIsStationary(solver: SolverKind, seed: UInt64) throws {
        let (x, labels, weights) = randomProblem(rows: 400, features: 6, seed: seed, weighted: seed == 2)
        let configuration = LogisticRegressionConfiguration(
            l2Strength: 1e-3, solver: solver, options: SolverOptions(gradientTolerance: 1e-10))
        let (model, report) = try LogisticRegression.fit(
            design: x, labels: labels, sampleWeights: weights, configuration: configuration)
        #expect(report.converged)
        // Independently recompute the gradient at the returned point with central differences of the naive objective.
        let theta = model.coefficients + [model.intercept]
        for j in theta.indices {
            var plus = theta, minus = theta
            plus[j] += 1e-5; minus[j] -= 1e-5
            let numeric =
                (naiveObjective(x, labels, weights, 1e-3, plus) - naiveObjective(x, labels, weights, 1e-3, minus)) / 2e-5
            #expect(abs(numeric) < 1e-7)
        }
        #expect(isClose(report.objective, naiveObjective(x, labels, weights, 1e-3, theta), absolute: 1e-12))
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func newtonAndLBFGSAgree(seed: UInt64) throws {
        let (x, labels, _) = randomProblem(rows: 300, features: 12, seed: seed)
        let options = SolverOptions(gradientTolerance: 1e-11, maxIterations: 2000)
        let (newton, nReport) = try LogisticRegression.fit(
            design: x, labels: labels, configuration: .init(l2Strength: 0.01, solver: .newton, options: options))
        let (lbfgs, lReport) = try LogisticRegression.fit(
            design: x, labels: labels, configuration: .init(l2Strength: 0.01, solver: .lbfgs, options: options))
        #expect(nReport.converged && lReport.converged)
        #expect(maxAbsDifference(newton.coefficients, lbfgs.coefficients) < 1e-8)
        #expect(abs(newton.intercept - lbfgs.intercept) < 1e-8)
        #expect(isClose(nReport.objective, lReport.objective, absolute: 1e-14, relative: 1e-12))
        #expect(nReport.iterations < lReport.iterations)
    }

    @Test func unregularisedFitOnCollinearColumnsStillConverges() throws {
        // Two identical columns and λ = 0: the Hessian is singular; Newton must still reach a stationary point.
        var (x, labels, _) = randomProblem(rows: 300, features: 3, seed: 21)
        var storage = [Double]()
        for i in 0..<x.rowCount { storage += [x[i, 0], x[i, 1], x[i, 2], x[i, 0]] }
        x = try Matrix(rowCount: 300, columnCount: 4, storage: storage)
        let (_, report) = try LogisticRegression.fit(
            design: x, labels: labels,
            configuration: .init(l2Strength: 0, solver: .newton, options: SolverOptions(gradientTolerance: 1e-8)))
        #expect(report.gradientNorm < 1e-8)
    }

    @Test func zeroFeaturesFitsTheBaseRate() throws {
        let labels = [true, false, false, false]
        let (model, _) = try LogisticRegression.fit(
            design: Matrix(rowCount: 4, columnCount: 0), labels: labels, configuration: .init(l2Strength: 1))
        #expect(abs(Kernels.sigmoid(model.intercept) - 0.25) < 1e-9)
        #expect(try model.probabilities(for: Matrix(rowCount: 2, columnCount: 0)).allSatisfy { abs($0 - 0.25) < 1e-9 })
    }

    @Test func sampleWeightsEqualRowReplication() throws {
        let (x, labels, _) = randomProblem(rows: 60, features: 3, seed: 8)
        var rng = SeededGenerator(seed: 4)
        let counts = (0..<60).map { _ in Int(rng.nextUniform() * 4) }
        var rows: [Int] = [], replicatedLabels: [Bool] = []
        for i in 0..<60 { for _ in 0..<counts[i] { rows.append(i); replicatedLabels.append(labels[i]) } }
        let configuration = LogisticRegressionConfiguration(l2Strength: 0.02, options: SolverOptions(gradientTolerance: 1e-12))
        let weighted = try LogisticRegression.fit(
            design: x, labels: labels, sampleWeights: counts.map(Double.init), configuration: configuration)
        let replicated = try LogisticRegression.fit(
            design: x.gatheringRows(rows), labels: replicatedLabels, configuration: configuration)
        #expect(maxAbsDifference(weighted.model.coefficients, replicated.model.coefficients) < 1e-9)
    }

    @Test func badInputsThrowWithTheValue() {
        let x = Matrix<Double>(rowCount: 3, columnCount: 1, repeating: 1)
        #expect(throws: LearningError.invalidParameter(name: "l2Strength", value: "-1.0", requirement: "must be finite and >= 0"))
        {
            _ = try LogisticRegression.fit(design: x, labels: [true, false, true], configuration: .init(l2Strength: -1))
        }
        #expect(throws: LearningError.singleClass(label: true)) {
            _ = try LogisticRegression.fit(design: x, labels: [true, true, true], configuration: .init(l2Strength: 1))
        }
        #expect(throws: LearningError.lengthMismatch(what: "labels", expected: 3, got: 2)) {
            _ = try LogisticRegression.fit(design: x, labels: [true, false], configuration: .init(l2Strength: 1))
        }
        #expect(throws: LearningError.self) {
            _ = try LogisticRegression.fit(
                design: x, labels: [true, false, true], sampleWeights: [1, -1, 1], configuration: .init(l2Strength: 1))
        }
        var nan = x
        nan[1, 0] = .nan
        #expect(throws: LearningError.nonFiniteObjective(iteration: 0)) {
            _ = try LogisticRegression.fit(design: nan, labels: [true, false, true], configuration: .init(l2Strength: 1))
        }
        #expect(throws: LearningError.self) {
            _ = try LogisticRegression.fit(
                design: x, labels: [true, false, true],
                configuration: .init(l2Strength: 1, options: SolverOptions(gradientTolerance: 0)))
        }
    }
}
