import LinearAlgebra
import Testing
import TestSupport

@testable import Learning

/// The truncated-Newton solver on a plain logistic regression whose exact Hessian is at hand, against the
/// Cholesky Newton solver.
@Suite("Newton-CG solver")
struct NewtonCGSolverTests {
    /// `LogisticObjective` with Hessian-vector products from its exact Hessian at the last gradient pass.
    final class ExactHessianLogistic: HessianVectorObjective {
        let base: LogisticObjective
        let formsHessian: Bool
        var hessian: Matrix<Double>
        var hessianPassCount = 0
        var parameterCount: Int { base.parameterCount }
        var passCount: Int { base.passCount }

        init(_ base: LogisticObjective, formsHessian: Bool) {
            self.base = base
            self.formsHessian = formsHessian
            hessian = Matrix(rowCount: base.parameterCount, columnCount: base.parameterCount)
        }

        func value(at parameters: [Double], gradient: inout [Double]) -> Double {
            base.value(at: parameters, gradient: &gradient, hessian: &hessian)
        }

        func hessianProduct(_ vector: [Double], into product: inout [Double]) {
            hessianPassCount += 1
            product = [Double](repeating: 0, count: parameterCount)
            try! BLAS.gemv(hessian, vector, into: &product)
        }

        func formHessian(into hessian: inout Matrix<Double>) {
            hessianPassCount += 1
            hessian = self.hessian
        }
    }

    /// Correlated columns of very different scales: hard for unpreconditioned CG, one Newton system for the factor.
    static func problem(seed: UInt64) throws -> LogisticObjective {
        var rng = SeededGenerator(seed: seed)
        let n = 2000, d = 12
        var x = Matrix<Double>(rowCount: n, columnCount: d)
        var labels: [Bool] = []
        for i in 0..<n {
            let shared = rng.nextGaussian()
            var m = 0.3
            for j in 0..<d {
                let scale = Double(1 << (j % 6))
                x.storage[i * d + j] = scale * (0.7 * shared + 0.3 * rng.nextGaussian())
                m += (j % 2 == 0 ? 0.4 : -0.2) * x.storage[i * d + j] / scale
            }
            labels.append(rng.nextUniform() < Kernels.sigmoid(m))
        }
        return try LogisticObjective(design: x, labels: labels, l2Strength: 1e-3)
    }

    @Test(arguments: [true, false], [UInt64(1), 2])
    func reachesTheNewtonOptimum(preconditioned: Bool, seed: UInt64) throws {
        let options = SolverOptions(gradientTolerance: 1e-11, maxIterations: 200)
        let reference = try NewtonSolver.minimize(try Self.problem(seed: seed), options: options)
        let objective = ExactHessianLogistic(try Self.problem(seed: seed), formsHessian: preconditioned)
        let report = try NewtonCGSolver.minimize(objective, options: options)
        #expect(report.converged && report.solver == .newtonCG)
        #expect(report.gradientNorm <= 1e-11)
        #expect(isClose(report.objective, reference.objective, absolute: 1e-15, relative: 1e-13))
        #expect(maxAbsDifference(report.parameters, reference.parameters) < 1e-7)
        #expect(report.passes == objective.passCount + objective.hessianPassCount)
        if preconditioned {
            // The factor of the Hessian at θ₀ stays a good preconditioner: a handful of products per iteration.
            #expect(objective.hessianPassCount <= 6 * report.iterations, "\(objective.hessianPassCount) products")
        }
    }

    @Test func logisticRegressionTurnsNewtonCGAway() throws {
        let x = try Matrix(rows: [[0.0], [1], [2], [3]])
        #expect(throws: LearningError.self) {
            try LogisticRegression.fit(
                design: x, labels: [false, true, false, true],
                configuration: LogisticRegressionConfiguration(l2Strength: 0.1, solver: .newtonCG))
        }
    }
}
