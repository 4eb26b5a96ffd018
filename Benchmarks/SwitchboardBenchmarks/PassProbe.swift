import Foundation
import Learning
import LinearAlgebra

/// Times single passes of the logistic objective (value; value+gradient; value+gradient+Hessian).
enum PassProbe {
    static func run(rows: Int, columns: Int) throws {
        let (x, labels) = LogisticBenchmark.makeData(.init(rows: rows, columns: columns), seed: 1)
        let objective = try LogisticObjective(design: x, labels: labels, l2Strength: 1 / Double(rows))
        let theta = [Double](repeating: 0.01, count: columns + 1)
        var g = theta
        var h = Matrix<Double>(rowCount: columns + 1, columnCount: columns + 1)
        let v = Bench.medianSeconds(repeats: 5) { _ = objective.value(at: theta) }
        let vg = Bench.medianSeconds(repeats: 5) { _ = objective.value(at: theta, gradient: &g) }
        let vgh = Bench.medianSeconds(repeats: 5) { _ = objective.value(at: theta, gradient: &g, hessian: &h) }
        var z = [Double](repeating: 0, count: rows)
        let w = [Double](repeating: 0.01, count: columns)
        let gemv = Bench.medianSeconds(repeats: 5) { try! BLAS.gemv(x, w, into: &z) }
        print(
            "\(rows)×\(columns): value \(Bench.fixed(v * 1000, 1)) ms, +gradient \(Bench.fixed(vg * 1000, 1)) ms, +Hessian \(Bench.fixed(vgh * 1000, 1)) ms; plain gemv \(Bench.fixed(gemv * 1000, 1)) ms"
        )
    }
}

extension PassProbe {
    static func solvers(rows: Int, columns: Int) throws {
        let (x, labels) = LogisticBenchmark.makeData(.init(rows: rows, columns: columns), seed: 2026)
        for solver in [SolverKind.lbfgs, .newton] {
            let start = DispatchTime.now().uptimeNanoseconds
            let (_, report) = try LogisticRegression.fit(
                design: x, labels: labels, configuration: .init(l2Strength: 1 / Double(rows), solver: solver)
            ) { k, f, g in
                print(
                    "  \(solver) iteration \(k) f=\(f) |g|=\(g) t=\(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)")
            }
            print("\(solver): iterations \(report.iterations), passes \(report.passes)")
        }
    }
}
