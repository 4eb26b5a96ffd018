import Foundation
import Learning
import LinearAlgebra

/// Training and prediction speed of the logistic regression against scikit-learn, on seeded synthetic dense data
/// with 20% positives; peak memory of a fit against the design matrix's size.
enum LogisticBenchmark {
    struct Shape { let rows: Int; let columns: Int }

    /// X ~ N(0, 1); y ~ Bernoulli(σ(x·w + b)) with w ~ N(0, 4/d) and b set so that about 20% are positive.
    static func makeData(_ shape: Shape, seed: UInt64) -> (Matrix<Double>, [Bool]) {
        var rng = SeededGenerator(seed: seed)
        var x = Matrix<Double>(rowCount: shape.rows, columnCount: shape.columns)
        for i in x.storage.indices { x.storage[i] = rng.nextGaussian() }
        let scale = 2 / Double(shape.columns).squareRoot()
        let w = (0..<shape.columns).map { _ in rng.nextGaussian() * scale }
        var z = [Double](repeating: 0, count: shape.rows)
        try! BLAS.gemv(x, w, into: &z)
        let sorted = z.sorted()
        let b = -sorted[Int(Double(shape.rows) * 0.85)]
        let labels = z.map { rng.nextUniform() < Kernels.sigmoid($0 + b) }
        return (x, labels)
    }

    static func run(quick: Bool) throws {
        let shapes =
            quick
            ? [Shape(rows: 100_000, columns: 64), Shape(rows: 20_000, columns: 256)]
            : [Shape(rows: 1_000_000, columns: 64), Shape(rows: 200_000, columns: 256)]
        let directory = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        print(
            "logistic regression: training to the same objective, λ = 1/n (scikit-learn C = 1), tolerance 1e-8 (ours) / 1e-10 (scikit-learn)"
        )
        var allPassed = true
        for shape in shapes {
            let (x, labels) = makeData(shape, seed: 2026)
            let xPath = "\(directory)/x.f64", yPath = "\(directory)/y.f64"
            try Bench.writeRaw(x.storage, to: xPath)
            try Bench.writeRaw(labels.map { $0 ? 1 : 0 }, to: yPath)
            let lambda = 1 / Double(shape.rows)
            let positives = labels.filter { $0 }.count
            print("\n\(shape.rows) × \(shape.columns), \(Bench.fixed(100 * Double(positives) / Double(shape.rows), 1))% positive")

            var ours: [(String, Double, SolverReport)] = []
            for solver in [SolverKind.auto, .newton, .lbfgs] {
                var report: SolverReport?
                let configuration = LogisticRegressionConfiguration(l2Strength: lambda, solver: solver)
                let seconds = try Bench.medianSeconds(repeats: 3) {
                    report = try LogisticRegression.fit(design: x, labels: labels, configuration: configuration).report
                }
                ours.append((solver.rawValue, seconds, report!))
            }
            let (model, _) = try LogisticRegression.fit(design: x, labels: labels, configuration: .init(l2Strength: lambda))
            let ourPredict = try Bench.medianSeconds(repeats: 5) { _ = try model.probabilities(for: x) }
            var margins = [Double](repeating: 0, count: shape.rows)
            let gemvFloor = try Bench.medianSeconds(repeats: 5) { try BLAS.gemv(x, model.coefficients, into: &margins) }

            let peer = try Bench.runPeer(
                "\(Bench.peersDirectory)/logistic_sklearn.py",
                [
                    "--x", xPath, "--y", yPath, "--rows", "\(shape.rows)", "--cols", "\(shape.columns)",
                    "--l2", "\(lambda)", "--repeats", "3",
                ])
            let solvers = peer["solvers"] as! [String: [String: Any]]
            var rows: [[String]] = []
            for (name, seconds, report) in ours {
                rows.append([
                    "switchboard \(name) (\(report.solver.rawValue))", Bench.fixed(seconds), "\(report.iterations)",
                    String(format: "%.12f", report.objective), "",
                ])
            }
            var bestPeer = Double.infinity, bestPeerPredict = Double.infinity
            let best = ours[0].2.objective
            for name in ["lbfgs", "newton-cholesky"] {
                guard let entry = solvers[name] else { continue }
                let seconds = entry["seconds"] as! Double, objective = entry["objective"] as! Double
                let relative = abs(objective - best) / abs(best)
                bestPeer = min(bestPeer, seconds)
                bestPeerPredict = min(bestPeerPredict, entry["predict_seconds"] as! Double)
                rows.append([
                    "scikit-learn \(name)", Bench.fixed(seconds), "\(entry["iterations"] as! Int)",
                    String(format: "%.12f", objective), String(format: "%.1e", relative),
                ])
                if relative > 1e-9 {
                    allPassed = false; print("  objective differs from scikit-learn \(name) by \(relative) (> 1e-9)")
                }
            }
            printTable(["solver", "seconds", "iterations", "objective", "rel. diff"], rows)
            let ourBest = ours[0].1
            print(
                "  training: switchboard auto \(Bench.fixed(ourBest)) s vs scikit-learn's fastest \(Bench.fixed(bestPeer)) s: "
                    + "\(Bench.fixed(bestPeer / ourBest, 2))× faster (goal ≥ 3×)")
            print(
                "  predict:  switchboard \(Bench.fixed(ourPredict * 1000, 1)) ms vs predict_proba \(Bench.fixed(bestPeerPredict * 1000, 1)) ms: "
                    + "\(Bench.fixed(bestPeerPredict / ourPredict, 2))× faster (goal ≥ 3×; a bare OpenBLAS gemv over X, "
                    + "the memory-bandwidth floor, takes \(Bench.fixed(gemvFloor * 1000, 1)) ms: ceiling \(Bench.fixed(bestPeerPredict / gemvFloor, 2))×)"
            )
            let memoryLine = try Bench.runSelf(["logistic-memory", xPath, yPath, "\(shape.rows)", "\(shape.columns)"])
            let peak = Double(memoryLine) ?? .nan
            let designBytes = Double(shape.rows * shape.columns * 8)
            print(
                "  memory:   peak RSS of a fit \(Bench.fixed(peak / 1_048_576, 0)) MiB = \(Bench.fixed(peak / designBytes, 2))× "
                    + "the design matrix (\(Bench.fixed(designBytes / 1_048_576, 0)) MiB; goal ≤ 1.5×)")
            try? FileManager.default.removeItem(atPath: xPath)
        }
        if !allPassed { throw BenchError("objectives disagree with scikit-learn") }
    }

    /// Child process: load the raw data, fit once, print the peak RSS in bytes.
    static func memory(_ arguments: [String]) throws {
        let rows = Int(arguments[2])!, columns = Int(arguments[3])!
        let x = try Matrix(rowCount: rows, columnCount: columns, storage: try Bench.readRaw(arguments[0], count: rows * columns))
        let labels = try Bench.readRaw(arguments[1], count: rows).map { $0 > 0.5 }
        if arguments.count > 4 {
            FileHandle.standardError.write(Data("loaded: peak \(Bench.peakResidentBytes() >> 20) MiB\n".utf8))
        }
        let solver = arguments.count > 4 ? SolverKind(rawValue: arguments[4]) ?? .auto : .auto
        _ = try LogisticRegression.fit(
            design: x, labels: labels, configuration: .init(l2Strength: 1 / Double(rows), solver: solver))
        print(Bench.peakResidentBytes())
    }

    static func printTable(_ header: [String], _ rows: [[String]]) {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        for row in all {
            print(
                "  "
                    + row.enumerated().map { i, cell in
                        let pad = String(repeating: " ", count: widths[i] - cell.count)
                        return i == 0 ? cell + pad : pad + cell
                    }.joined(separator: "  "))
        }
    }
}
