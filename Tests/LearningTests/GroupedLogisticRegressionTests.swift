import LinearAlgebra
import Testing
import TestSupport

@testable import Learning

/// Rows in `groupCount` groups whose true coefficients differ, with label noise (never separable).
func groupedProblem(rows: Int, features: Int, groupCount: Int, seed: UInt64) -> (Matrix<Double>, [Bool], [Int]) {
    var rng = SeededGenerator(seed: seed)
    let x: Matrix<Double> = randomMatrix(rows, features, using: &rng)
    let truths: [[Double]] = (0..<groupCount).map { _ in randomVector(features, using: &rng).map { $0 * 2 } }
    var labels: [Bool] = [], groups: [Int] = []
    for i in 0..<rows {
        let g = i % groupCount
        var z = -0.2
        for k in 0..<features { z += x[i, k] * truths[g][k] }
        labels.append(rng.nextUniform() < Kernels.sigmoid(z))
        groups.append(g)
    }
    return (x, labels, groups)
}

/// The objective by its definition: each row's margin from its group's total coefficients.
func naiveGroupedObjective(
    _ x: Matrix<Double>, _ labels: [Bool], _ groups: [Int], _ lambda: Double, _ tau: Double, _ theta: [Double]
) -> Double {
    let d = x.columnCount
    var total = 0.0
    for i in 0..<x.rowCount {
        let block = (groups[i] + 1) * (d + 1)
        var z = theta[d] + theta[block + d]
        for k in 0..<d { z += x[i, k] * (theta[k] + theta[block + k]) }
        total += Kernels.logarithm(1 + Kernels.exponential(labels[i] ? -z : z))
    }
    var shared = 0.0, deviations = 0.0
    for k in 0..<d { shared += theta[k] * theta[k] }
    for j in (d + 1)..<theta.count { deviations += theta[j] * theta[j] }
    return total / Double(x.rowCount) + lambda / 2 * shared + tau / 2 * deviations
}

@Suite("Grouped (partially pooled) logistic regression")
struct GroupedLogisticRegressionTests {
    @Test(arguments: [(40, 3, 2), (90, 5, 4), (7, 2, 3)])
    func valueGradientAndHessianMatchDefinitionAndFiniteDifferences(rows: Int, features: Int, groups g: Int) throws {
        let (x, labels, groups) = groupedProblem(rows: rows, features: features, groupCount: g, seed: UInt64(rows * 7 + g))
        let objective = try GroupedLogisticObjective(
            design: x, labels: labels, groups: groups, groupCount: g, l2Strength: 0.03, shrinkage: 0.2)
        var rng = SeededGenerator(seed: UInt64(rows))
        let theta: [Double] = randomVector(objective.parameterCount, using: &rng)
        var gradient = [Double](repeating: 0, count: objective.parameterCount)
        let value = objective.value(at: theta, gradient: &gradient)
        #expect(isClose(value, naiveGroupedObjective(x, labels, groups, 0.03, 0.2, theta), absolute: 1e-13, relative: 1e-12))
        let hessian = objective.hessian(at: theta)
        let h = 1e-6
        var scratch = gradient
        for j in 0..<objective.parameterCount {
            var plus = theta, minus = theta
            plus[j] += h
            minus[j] -= h
            let numeric =
                (objective.value(at: plus, gradient: &scratch) - objective.value(at: minus, gradient: &scratch)) / (2 * h)
            #expect(abs(numeric - gradient[j]) < 1e-7, "gradient \(j): analytic \(gradient[j]) numeric \(numeric)")
            var gPlus = gradient, gMinus = gradient
            _ = objective.value(at: plus, gradient: &gPlus)
            _ = objective.value(at: minus, gradient: &gMinus)
            for k in 0..<objective.parameterCount {
                let second = (gPlus[k] - gMinus[k]) / (2 * h)
                #expect(abs(second - hessian[k, j]) < 1e-6, "hessian \(k),\(j)")
            }
        }
    }

    @Test(arguments: [UInt64(3), 11])
    func infiniteShrinkageIsThePooledModel(seed: UInt64) throws {
        let (x, labels, groups) = groupedProblem(rows: 300, features: 4, groupCount: 3, seed: seed)
        let lambda = 0.02
        let (pooled, _) = try LogisticRegression.fit(
            design: x, labels: labels,
            configuration: LogisticRegressionConfiguration(
                l2Strength: lambda, solver: .newton, options: SolverOptions(gradientTolerance: 1e-12)))
        for tau in [Double.infinity, 1e7] {
            let (model, report) = try GroupedLogisticRegression.fit(
                design: x, labels: labels, groups: groups, groupCount: 3, l2Strength: lambda, shrinkage: tau)
            #expect(report.converged)
            for g in 0..<3 {
                #expect(maxAbsDifference(model.groupCoefficients[g], pooled.coefficients) < 1e-5, "τ \(tau) group \(g)")
                #expect(abs(model.groupIntercepts[g] - pooled.intercept) < 1e-5)
            }
        }
    }

    @Test(arguments: [UInt64(5), 8])
    func zeroShrinkageIsSeparateFits(seed: UInt64) throws {
        let (x, labels, groups) = groupedProblem(rows: 600, features: 3, groupCount: 3, seed: seed)
        let (model, report) = try GroupedLogisticRegression.fit(
            design: x, labels: labels, groups: groups, groupCount: 3, l2Strength: 0.05, shrinkage: 0)
        #expect(report.converged)
        for g in 0..<3 {
            let rows = groups.indices.filter { groups[$0] == g }
            let (separate, _) = try LogisticRegression.fit(
                design: x.gatheringRows(rows), labels: rows.map { labels[$0] },
                configuration: LogisticRegressionConfiguration(
                    l2Strength: 0, solver: .newton, options: SolverOptions(gradientTolerance: 1e-12)))
            #expect(maxAbsDifference(model.groupCoefficients[g], separate.coefficients) < 1e-4, "group \(g)")
            #expect(abs(model.groupIntercepts[g] - separate.intercept) < 1e-4)
        }
        // β carries no weight once the deviations are free.
        #expect(model.sharedCoefficients.allSatisfy { abs($0) < 1e-5 })
    }

    @Test func standardErrorsOfThePooledModelMatchTheInverseHessian() throws {
        let (x, labels, groups) = groupedProblem(rows: 400, features: 2, groupCount: 2, seed: 21)
        let (model, _) = try GroupedLogisticRegression.fit(
            design: x, labels: labels, groups: groups, groupCount: 2, l2Strength: 0, shrinkage: .infinity)
        // The 3×3 observed information Σ σ(1−σ)·[x 1][x 1]ᵀ, inverted by hand (cofactors).
        var info = [[Double]](repeating: [0, 0, 0], count: 3)
        for i in 0..<x.rowCount {
            var z = model.groupIntercepts[0]
            for k in 0..<2 { z += x[i, k] * model.groupCoefficients[0][k] }
            let w = Kernels.sigmoid(z) * (1 - Kernels.sigmoid(z))
            let a = [x[i, 0], x[i, 1], 1]
            for r in 0..<3 { for c in 0..<3 { info[r][c] += w * a[r] * a[c] } }
        }
        let m = info
        let det =
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        let inverse00 = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) / det
        let inverse11 = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det
        #expect(isClose(model.standardErrors[1][0], inverse00.squareRoot(), absolute: 0, relative: 1e-4))
        #expect(isClose(model.standardErrors[0][1], inverse11.squareRoot(), absolute: 0, relative: 1e-4))
    }

    /// How far the chosen model's group coefficients stray from their mean: large when the groups differ, small
    /// when one truth holds for every group.
    @Test func crossValidationPoolsWhenTheGroupsAgreeAndSeparatesWhenTheyDiffer() throws {
        let grid = [100.0, 10, 1, 0.1, 0.01, 0.001]
        func spread(_ x: Matrix<Double>, _ labels: [Bool], _ groups: [Int]) throws -> (tau: Double, spread: Double) {
            let chosen = try GroupedLogisticRegression.crossValidate(
                design: x, labels: labels, groups: groups, groupCount: 3, l2Grid: [0.01, 0.001], shrinkageGrid: grid,
                foldCount: 5, seed: 1)
            let (model, _) = try GroupedLogisticRegression.fit(
                design: x, labels: labels, groups: groups, groupCount: 3, l2Strength: chosen.l2Strength,
                shrinkage: chosen.shrinkage)
            var worst = 0.0
            for k in 0..<x.columnCount {
                let mean = (0..<3).reduce(0) { $0 + model.groupCoefficients[$1][k] } / 3
                for g in 0..<3 { worst = max(worst, abs(model.groupCoefficients[g][k] - mean)) }
            }
            return (chosen.shrinkage, worst)
        }
        let (x, labels, groups) = groupedProblem(rows: 1200, features: 3, groupCount: 3, seed: 4)
        let different = try spread(x, labels, groups)
        #expect(different.tau <= 0.1)
        // One truth for every group: the groups are arbitrary labels.
        let (y, sharedLabels, _) = groupedProblem(rows: 1200, features: 3, groupCount: 1, seed: 4)
        let shared = try spread(y, sharedLabels, (0..<1200).map { $0 % 3 })
        #expect(shared.tau >= 0.1)
        #expect(shared.spread < different.spread / 3, "shared \(shared) different \(different)")
    }

    @Test func badInputsAreRefusedWithTheValue() {
        let x = Matrix<Double>(rowCount: 2, columnCount: 1)
        #expect(throws: LearningError.self) {
            _ = try GroupedLogisticObjective(
                design: x, labels: [true, false], groups: [0, 2], groupCount: 2, l2Strength: 0, shrinkage: 1)
        }
        #expect(throws: LearningError.self) {
            _ = try GroupedLogisticObjective(
                design: x, labels: [true, false], groups: [0, 1], groupCount: 2, l2Strength: 0, shrinkage: -1)
        }
    }
}
