import Foundation
import Learning
import LinearAlgebra

/// Training speed of the bilinear match model against scikit-learn's logistic regression on the explicit
/// outer-product design (the rows φᵢ⊗ψᵢ without the constant⊗constant column, which becomes sklearn's unpenalised
/// intercept): the same objective (1/n)·Σ logloss + (λ/2)·‖W‖²_F with W₀₀ unpenalised, on seeded synthetic
/// outcomes shaped like the real match features.
///
/// The explicit design of 1,000,000 outcomes is 1,000,000 × 3720 doubles (30 GB), more than this machine has, so
/// scikit-learn runs on the first rows that fit comfortably, ours on the same rows, and ours also on all of them.
/// scikit-learn runs with lbfgs and newton-cholesky, and the ratio is taken against the faster of the two (its
/// newton-cg and sag/saga solvers are not timed).
///
/// Options (after `match`): `--rows=N` (all rows), `--peer-rows=N` (the rows both fit), `--peer-solvers=a,b`.
enum MatchBenchmark {
    /// Φ: constant, then one-hot region (6), vertical (14), technology (12), size band (5), source (8), quarter (4);
    /// multi-hot required certifications (7); standardised log value, age, account size, engagement (4).
    static let leadGroups = [6, 14, 12, 5, 8, 4]
    static let leadCertifications = 7
    static let leadNumerics = 4
    /// Ψ: constant, then multi-hot verticals (14), technologies (12), certifications (7); one-hot region (6), type
    /// (7), tier (4); smoothed win, acceptance, response, renewal and pass rates in (0, 1) (5); standardised log
    /// revenue, portal logins, trainings, utilisation, tenure (5).
    static let partnerSets = [14, 12, 7]
    static let partnerGroups = [6, 7, 4]
    static let partnerRates = 5
    static let partnerNumerics = 5
    /// Outcomes pair a fresh lead with one of this many partners, drawn by a Zipf-like popularity.
    static let partnerPool = 4000
    static let leftCount = 1 + leadGroups.reduce(0, +) + leadCertifications + leadNumerics
    static let rightCount = 1 + partnerSets.reduce(0, +) + partnerGroups.reduce(0, +) + partnerRates + partnerNumerics

    struct Outcomes {
        var left: Matrix<Double>
        var right: Matrix<Double>
        var labels: [Bool]
        /// The first `rows` outcomes.
        func prefix(_ rows: Int) -> Outcomes {
            Outcomes(
                left: try! Matrix(
                    rowCount: rows, columnCount: left.columnCount, storage: Array(left.storage[0..<(rows * left.columnCount)])),
                right: try! Matrix(
                    rowCount: rows, columnCount: right.columnCount, storage: Array(right.storage[0..<(rows * right.columnCount)])),
                labels: Array(labels[0..<rows]))
        }
    }

    /// Seeded outcomes: leads and partners as described above, labels y ~ Bernoulli(σ(φᵀ·W·ψ)) for a true W made of
    /// main effects of both sides, "match" interactions (lead vertical × partner vertical, technology × technology,
    /// required × held certification, region × region), a rank-2 interaction, and an intercept set for 27% positives.
    static func makeData(rows n: Int, seed: UInt64) -> Outcomes {
        var rng = SeededGenerator(seed: seed)
        let a = leftCount, b = rightCount
        func skewed(_ count: Int, _ exponent: Double = 0.7) -> [Double] {
            var cumulative: [Double] = [], total = 0.0
            for k in 0..<count { total += 1 / pow(Double(k + 1), exponent); cumulative.append(total) }
            return cumulative.map { $0 / total }
        }
        func draw(_ cumulative: [Double], _ rng: inout SeededGenerator) -> Int {
            let u = rng.nextUniform()
            var low = 0, high = cumulative.count - 1
            while low < high {
                let mid = (low + high) / 2
                if cumulative[mid] > u { high = mid } else { low = mid + 1 }
            }
            return low
        }
        func standardise(_ matrix: inout Matrix<Double>, columns: Range<Int>) {
            let width = matrix.columnCount, count = matrix.rowCount
            for j in columns {
                var mean = 0.0, square = 0.0
                for i in 0..<count { mean += matrix.storage[i * width + j] }
                mean /= Double(count)
                for i in 0..<count { let d = matrix.storage[i * width + j] - mean; square += d * d }
                let scale = 1 / max((square / Double(count)).squareRoot(), 1e-12)
                for i in 0..<count { matrix.storage[i * width + j] = (matrix.storage[i * width + j] - mean) * scale }
            }
        }

        // Partners: a latent quality drives their rates and activity.
        var partners = Matrix<Double>(rowCount: partnerPool, columnCount: b)
        var partnerRegion = [Int](repeating: 0, count: partnerPool)
        let setChances = partnerSets.map { size -> [Double] in
            let c = skewed(size)
            return c.indices.map { $0 == 0 ? c[0] : c[$0] - c[$0 - 1] }
        }
        let groupDraws = partnerGroups.map { skewed($0, 0.5) }
        let numericStart = b - partnerNumerics
        for p in 0..<partnerPool {
            let base = p * b, quality = rng.nextGaussian()
            partners.storage[base] = 1
            var column = 1
            for chances in setChances {
                for chance in chances {
                    partners.storage[base + column] = rng.nextUniform() < min(0.6, 2.5 * chance) ? 1 : 0; column += 1
                }
            }
            for (g, cumulative) in groupDraws.enumerated() {
                let k = draw(cumulative, &rng)
                if g == 0 { partnerRegion[p] = k }
                partners.storage[base + column + k] = 1
                column += cumulative.count
            }
            for _ in 0..<partnerRates {
                let trials = 5 + Int(rng.nextUniform() * 200)
                let chance = Kernels.sigmoid(-1 + 0.8 * quality + 0.4 * rng.nextGaussian())
                var successes = 0
                for _ in 0..<trials where rng.nextUniform() < chance { successes += 1 }
                partners.storage[base + column] = (Double(successes) + 1) / (Double(trials) + 2)
                column += 1
            }
            for _ in 0..<partnerNumerics {
                partners.storage[base + column] = 0.6 * quality + 0.8 * rng.nextGaussian(); column += 1
            }
        }
        standardise(&partners, columns: numericStart..<b)
        let popularity = skewed(partnerPool, 0.8)

        // Outcomes: a lead per row, paired with a partner; most leads come from the partner's region.
        var left = Matrix<Double>(rowCount: n, columnCount: a), right = Matrix<Double>(rowCount: n, columnCount: b)
        let leadDraws = leadGroups.map { skewed($0, 0.6) }
        for i in 0..<n {
            let p = draw(popularity, &rng)
            for j in 0..<b { right.storage[i * b + j] = partners.storage[p * b + j] }
            let base = i * a
            left.storage[base] = 1
            var column = 1
            var sizeBand = 0
            for (g, cumulative) in leadDraws.enumerated() {
                var k = draw(cumulative, &rng)
                if g == 0, rng.nextUniform() < 0.7 { k = partnerRegion[p] }
                if g == 3 { sizeBand = k }
                left.storage[base + column + k] = 1
                column += cumulative.count
            }
            for _ in 0..<leadCertifications { left.storage[base + column] = rng.nextUniform() < 0.12 ? 1 : 0; column += 1 }
            left.storage[base + column] = 0.5 * Double(sizeBand) + rng.nextGaussian()
            left.storage[base + column + 1] = Kernels.exponential(0.5 * rng.nextGaussian())
            left.storage[base + column + 2] = 0.3 * Double(sizeBand) + rng.nextGaussian()
            left.storage[base + column + 3] = rng.nextGaussian()
        }
        standardise(&left, columns: (a - leadNumerics)..<a)

        // The true W (a×b).
        var w = Matrix<Double>(rowCount: a, columnCount: b)
        for j in 1..<b {
            w.storage[j] = j >= b - partnerRates - partnerNumerics ? 0.4 * rng.nextGaussian() : 0.25 * rng.nextGaussian()
        }
        for i in 1..<a { w.storage[i * b] = 0.3 * rng.nextGaussian() }
        let leadVertical = 1 + leadGroups[0], leadTechnology = leadVertical + leadGroups[1]
        let leadCertification = 1 + leadGroups.reduce(0, +)
        let partnerTechnology = 1 + partnerSets[0], partnerCertification = partnerTechnology + partnerSets[1]
        let partnerRegionColumn = partnerCertification + partnerSets[2]
        for k in 0..<leadGroups[1] { w.storage[(leadVertical + k) * b + 1 + k] += 0.9 }
        for k in 0..<leadGroups[2] { w.storage[(leadTechnology + k) * b + partnerTechnology + k] += 0.7 }
        for k in 0..<leadCertifications { w.storage[(leadCertification + k) * b + partnerCertification + k] += 0.6 }
        for k in 0..<leadGroups[0] { w.storage[(1 + k) * b + partnerRegionColumn + k] += 0.5 }
        let u = (0..<(2 * a)).map { _ in 0.3 * rng.nextGaussian() }, v = (0..<(2 * b)).map { _ in 0.3 * rng.nextGaussian() }
        for i in 1..<a { for j in 1..<b { w.storage[i * b + j] += u[2 * i] * v[2 * j] + u[2 * i + 1] * v[2 * j + 1] } }
        let margins = try! BilinearObjective.margins(left: left, right: right, interaction: w)
        // The intercept that makes the mean probability 27%, by bisection.
        var low = -20.0, high = 20.0
        for _ in 0..<60 {
            let mid = (low + high) / 2
            var mean = 0.0
            for m in margins { mean += Kernels.sigmoid(m + mid) }
            if mean / Double(n) > 0.27 { high = mid } else { low = mid }
        }
        let intercept = (low + high) / 2
        let labels = margins.map { rng.nextUniform() < Kernels.sigmoid($0 + intercept) }
        return Outcomes(left: left, right: right, labels: labels)
    }

    static func run(quick: Bool) throws {
        func option(_ name: String) -> String? {
            CommandLine.arguments.first { $0.hasPrefix("--\(name)=") }.map { String($0.dropFirst(name.count + 3)) }
        }
        let rows = option("rows").flatMap { Int($0) } ?? (quick ? 100_000 : 1_000_000)
        let peerRows = min(rows, option("peer-rows").flatMap { Int($0) } ?? (quick ? 20_000 : 200_000))
        let peerSolvers = (option("peer-solvers") ?? "lbfgs,newton-cholesky").split(separator: ",").map(String.init)
        let tolerance = 1e-8
        let a = leftCount, b = rightCount
        let directory = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        print(
            "match model: training σ(φᵀ·W·ψ) with Φ n×\(a) and Ψ n×\(b) (a constant and 60 features each) against "
                + "scikit-learn LogisticRegression (\(peerSolvers.joined(separator: ", "))) on the explicit outer-product "
                + "design (\(a * b - 1) columns and an intercept): the same objective, λ = 1/n (scikit-learn C = 1), W₀₀ "
                + "unpenalised, gradient tolerance \(tolerance) in all. Stopping rules: ours ‖∇f‖∞ ≤ tol; lbfgs L-BFGS-B's "
                + "max |projected ∇f| ≤ tol (or a relative decrease of f ≤ 64·ε); newton-cholesky max |∇f| ≤ tol and "
                + "½·(Newton decrement)² ≤ tol. All on the same f, (1/n)·Σ logloss + (λ/2)·‖W‖² without W₀₀.")
        let data = makeData(rows: rows, seed: 2026)
        let paths = (
            phi: "\(directory)/phi.f64", psi: "\(directory)/psi.f64", y: "\(directory)/y.f64",
            ours: "\(directory)/ours.f64", peer: "\(directory)/peer.f64"
        )
        let oursAllPath = "\(directory)/ours-all.f64", scipyPath = "\(directory)/scipy.f64"
        try Bench.writeRaw(data.left.storage, to: paths.phi)
        try Bench.writeRaw(data.right.storage, to: paths.psi)
        try Bench.writeRaw(data.labels.map { $0 ? 1 : 0 }, to: paths.y)
        let positives = data.labels.filter { $0 }.count
        let explicitBytes = Double(rows) * Double(a * b - 1) * 8
        print(
            "\n\(rows) outcomes, \(Bench.fixed(100 * Double(positives) / Double(rows), 1))% positive. "
                + (peerRows < rows && explicitBytes > 16e9
                    ? "Their explicit design would take \(Bench.fixed(explicitBytes / 1e9, 1)) GB, more than this machine has, so "
                    : "")
                + "scikit-learn fits the first \(peerRows) (X: \(Bench.fixed(Double(peerRows * (a * b - 1) * 8) / 1_073_741_824, 2)) GiB), "
                + "once per solver; ours fits those (median of 3) and all \(rows), each fit in a child process of its own "
                + "(times exclude loading).")

        // The same rows, λ and tolerance for all.
        var runs: [OurFit] = []
        for _ in 0..<3 { runs.append(try OurFit.run(paths, rows: peerRows, tolerance: tolerance, writing: paths.ours)) }
        let ours = runs.sorted { $0.seconds < $1.seconds }[1]
        let peer = try Bench.runPeer(
            "\(Bench.peersDirectory)/match_sklearn.py",
            [
                "--phi", paths.phi, "--psi", paths.psi, "--y", paths.y, "--rows", "\(peerRows)", "--a", "\(a)", "--b", "\(b)",
                "--l2", "\(1 / Double(peerRows))", "--tol", "\(tolerance)", "--ours", paths.ours, "--coef-out", paths.peer,
                "--solvers", peerSolvers.joined(separator: ","),
            ])
        let subset = data.prefix(peerRows)
        let check = try BilinearObjective(
            left: subset.left, right: subset.right, labels: subset.labels, l2Strength: 1 / Double(peerRows))
        let oursObjective = (
            swift: check.value(at: try Bench.readRaw(paths.ours, count: a * b)), numpy: peer["ours_objective"] as! Double
        )
        struct PeerFit {
            var solver: String, seconds: Double, iterations: Int, peak: Double
            var objective: (swift: Double, numpy: Double)
        }
        let fits = peer["fits"] as! [String: [String: Any]]
        var peerFits: [PeerFit] = []
        for solver in peerSolvers {
            let fit = fits[solver]!
            peerFits.append(
                PeerFit(
                    solver: solver, seconds: fit["seconds"] as! Double, iterations: fit["iterations"] as! Int,
                    peak: fit["peak_rss_bytes"] as! Double,
                    objective: (
                        swift: check.value(at: try Bench.readRaw("\(paths.peer).\(solver)", count: a * b)),
                        numpy: fit["objective"] as! Double
                    )))
        }
        func objective(_ x: Double) -> String { String(format: "%.13f", x) }
        func mebibytes(_ x: Double) -> String { Bench.fixed(x / 1_048_576, 0) }
        print("\n\(peerRows) outcomes (the same rows for all; λ = 1/\(peerRows)):")
        LogisticBenchmark.printTable(
            ["", "seconds", "iterations", "objective by Switchboard", "by numpy on X", "peak RSS MiB"],
            [
                [
                    "switchboard bilinear \(ours.solver)", Bench.fixed(ours.seconds),
                    "\(ours.iterations) (\(ours.passes) passes)",
                    objective(oursObjective.swift), objective(oursObjective.numpy), mebibytes(ours.peak),
                ]
            ]
                + peerFits.map { fit in
                    [
                        "scikit-learn \(fit.solver) on X", Bench.fixed(fit.seconds), "\(fit.iterations)",
                        objective(fit.objective.swift), objective(fit.objective.numpy), mebibytes(fit.peak),
                    ]
                })
        var worstRelative = 0.0
        for fit in peerFits {
            let relative = abs(oursObjective.swift - fit.objective.swift) / abs(fit.objective.swift)
            worstRelative = max(worstRelative, relative)
            let codes = max(abs(oursObjective.swift - oursObjective.numpy), abs(fit.objective.swift - fit.objective.numpy))
            print(
                "  objective: ours − scikit-learn \(fit.solver)'s = "
                    + "\(String(format: "%.2e", oursObjective.swift - fit.objective.swift)) (relative "
                    + "\(String(format: "%.1e", relative)); the two codes computing it differ by at most "
                    + "\(String(format: "%.1e", codes)))")
        }
        let best = peerFits.min { $0.seconds < $1.seconds }!
        print(
            "  training: switchboard \(Bench.fixed(ours.seconds)) s (runs: \(runs.map { Bench.fixed($0.seconds, 2) }.joined(separator: ", "))) "
                + "vs scikit-learn's fastest, \(best.solver), \(Bench.fixed(best.seconds)) s (not counting "
                + "\(Bench.fixed(peer["build_seconds"] as! Double, 1)) s to build X): \(Bench.fixed(best.seconds / ours.seconds, 1))× "
                + "faster on the same rows (goal ≥ 10×)"
                + peerFits.filter { $0.solver != best.solver }.map {
                    "; \(Bench.fixed($0.seconds / ours.seconds, 1))× against \($0.solver)"
                }.joined())
        print(
            "  work: switchboard \(ours.iterations) \(ours.solver) iterations, \(ours.passes) passes over Φ and Ψ "
                + "(\(Bench.fixed(ours.seconds / Double(ours.passes) * 1000, 1)) ms each on average; besides value-and-gradient passes they count "
                + "Hessian-vector products and the Hessian formations on at most 50,000 rows) vs "
                + peerFits.map {
                    "scikit-learn \($0.solver) \($0.iterations) iterations (\(Bench.fixed($0.seconds / Double($0.iterations) * 1000, 1)) ms each)"
                }.joined(separator: ", "))

        // All rows.
        let full = try OurFit.run(paths, rows: rows, tolerance: tolerance, writing: oursAllPath)
        print("\n\(rows) outcomes (λ = 1/\(rows)):")
        print(
            "  switchboard \(full.solver) \(Bench.fixed(full.seconds)) s, \(full.iterations) iterations (\(full.passes) passes), objective "
                + "\(objective(full.objective)), ‖∇f‖∞ \(String(format: "%.1e", full.gradientNorm)), peak RSS \(mebibytes(full.peak)) MiB"
        )
        // The strongest practical peer: scipy's L-BFGS-B on the bilinear objective itself, numpy GEMM gradients.
        let scipy = try Bench.runPeer(
            "\(Bench.peersDirectory)/match_scipy.py",
            [
                "--phi", paths.phi, "--psi", paths.psi, "--y", paths.y, "--rows", "\(rows)", "--a", "\(a)", "--b", "\(b)",
                "--l2", "\(1 / Double(rows))", "--tol", "\(tolerance)", "--ours", oursAllPath, "--coef-out", scipyPath,
            ])
        let all = try BilinearObjective(left: data.left, right: data.right, labels: data.labels, l2Strength: 1 / Double(rows))
        let scipySeconds = scipy["seconds"] as! Double
        let scipyObjective = all.value(at: try Bench.readRaw(scipyPath, count: a * b))
        let oursAllObjective = all.value(at: try Bench.readRaw(oursAllPath, count: a * b))
        let scipyRelative = (scipyObjective - oursAllObjective) / abs(oursAllObjective)
        print(
            "  scipy L-BFGS-B on the bilinear objective (numpy GEMM gradients, BLAS \(Bench.describe(scipy["blas"]))): "
                + "\(Bench.fixed(scipySeconds)) s, \(scipy["iterations"] as! Int) iterations, \(scipy["evaluations"] as! Int) "
                + "evaluations, objective \(objective(scipyObjective)) (ours \(objective(oursAllObjective)); theirs − ours "
                + "relative \(String(format: "%.1e", scipyRelative)); numpy computes ours as "
                + "\(objective(scipy["ours_objective"] as! Double))), peak RSS "
                + "\(mebibytes(Double(scipy["peak_rss_bytes"] as! Int))) MiB")
        print(
            "  training: switchboard \(Bench.fixed(full.seconds)) s vs scipy \(Bench.fixed(scipySeconds)) s: "
                + "\(Bench.fixed(scipySeconds / full.seconds, 1))× faster (goal ≥ 5× at equal objective)")
        if scipyRelative < -1e-8 {
            throw BenchError("scipy reached a lower objective than ours by \(-scipyRelative) (relative)")
        }
        if rows > peerRows {
            let extrapolated = best.seconds * Double(rows) / Double(peerRows)
            print(
                "  scikit-learn: not run on \(rows) rows; its \(peerRows)-row \(best.solver) time linearly EXTRAPOLATED to \(rows) rows is "
                    + "\(Bench.fixed(extrapolated, 0)) s, \(Bench.fixed(extrapolated / full.seconds, 1))× ours (an estimate: "
                    + "it assumes the same number of iterations)")
        }
        if worstRelative > 1e-8 { throw BenchError("objectives disagree with scikit-learn by \(worstRelative) (> 1e-8)") }
    }

    /// One fit of ours, measured in a child process.
    struct OurFit {
        var seconds: Double, iterations: Int, objective: Double, gradientNorm: Double, peak: Double, passes: Int
        var solver: String

        static func run(
            _ paths: (phi: String, psi: String, y: String, ours: String, peer: String), rows: Int, tolerance: Double,
            writing: String? = nil
        ) throws -> OurFit {
            let line = try Bench.runSelf(
                ["match-fit", paths.phi, paths.psi, paths.y, "\(rows)", "\(tolerance)"] + (writing.map { [$0] } ?? []))
            let words = line.split(separator: " ")
            let fields = words.compactMap { Double($0) }
            guard fields.count == 6, words.count == 7 else { throw BenchError("match-fit printed '\(line)'") }
            return OurFit(
                seconds: fields[0], iterations: Int(fields[1]), objective: fields[2], gradientNorm: fields[3], peak: fields[4],
                passes: Int(fields[5]), solver: String(words[6]))
        }
    }

    /// Child process: load the first `rows` outcomes, fit once with λ = 1/rows, and print the fit's seconds,
    /// iterations, objective, ‖∇f‖∞, this process's peak RSS in bytes, passes over the data and the solver; with a
    /// sixth argument, write W there.
    static func fitChild(_ arguments: [String]) throws {
        let rows = Int(arguments[3])!, tolerance = Double(arguments[4])!
        let left = try Matrix(
            rowCount: rows, columnCount: leftCount, storage: try Bench.readRaw(arguments[0], count: rows * leftCount))
        let right = try Matrix(
            rowCount: rows, columnCount: rightCount, storage: try Bench.readRaw(arguments[1], count: rows * rightCount))
        let labels = try Bench.readRaw(arguments[2], count: rows).map { $0 > 0.5 }
        let start = DispatchTime.now().uptimeNanoseconds
        let (model, report) = try BilinearLogisticRegression.fit(
            left: left, right: right, labels: labels,
            configuration: BilinearConfiguration(
                l2Strength: 1 / Double(rows), options: SolverOptions(gradientTolerance: tolerance, maxIterations: 100_000)))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if arguments.count > 5 { try Bench.writeRaw(model.interaction, to: arguments[5]) }
        print(
            "\(seconds) \(report.iterations) \(report.objective) \(report.gradientNorm) \(Bench.peakResidentBytes()) "
                + "\(report.passes) \(report.solver.rawValue)")
    }
}
