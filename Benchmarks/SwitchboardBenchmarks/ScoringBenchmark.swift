import Dispatch
import Foundation
import Learning
import LinearAlgebra
import Switchboard

/// Batch scoring speed: every lead against every partner, top 5, on encoded leads (the GEMM-bound core) against
/// (a) OpenBLAS's sgemm alone on the same shapes and (b) the way a data team would do it in numpy (float32 matmul in
/// row blocks plus argpartition); then the whole `switchboard score` command from a CSV file of 1,000,000 leads, with
/// its peak memory.
enum ScoringBenchmark {
    struct Shape { let leads: Int, partners: Int, dimensions: Int, k: Int }

    /// The score tile: leads per tile and partners per block (BilinearTopK's defaults), used by (a) too.
    static let tileRows = Int(ProcessInfo.processInfo.environment["SB_TILE_ROWS"] ?? "") ?? 256
    static let blockColumns = Int(ProcessInfo.processInfo.environment["SB_BLOCK"] ?? "") ?? 512

    static func run(quick: Bool) throws {
        let shape =
            quick
            ? Shape(leads: 20_000, partners: 2_000, dimensions: 64, k: 5)
            : Shape(leads: 100_000, partners: 10_000, dimensions: 64, k: 5)
        try core(shape)
        print()
        try endToEnd(leads: quick ? 100_000 : 1_000_000, partners: quick ? 2_000 : 10_000)
    }

    /// L (leads × d) and R (partners × d) Gaussian with a constant first column, W Gaussian / √d: scores of
    /// realistic spread (margins of a few units).
    static func makeData(_ shape: Shape, seed: UInt64) -> (left: Matrix<Double>, w: Matrix<Double>, right: Matrix<Double>) {
        var rng = SeededGenerator(seed: seed)
        let d = shape.dimensions
        func matrix(_ rows: Int, _ columns: Int, scale: Double, constant: Bool) -> Matrix<Double> {
            var m = Matrix<Double>(rowCount: rows, columnCount: columns)
            for i in 0..<rows {
                for j in 0..<columns { m.storage[i * columns + j] = constant && j == 0 ? 1 : scale * rng.nextGaussian() }
            }
            return m
        }
        return (
            matrix(shape.leads, d, scale: 1, constant: true), matrix(d, d, scale: 1 / Double(d).squareRoot(), constant: false),
            matrix(shape.partners, d, scale: 1, constant: true)
        )
    }

    /// Diagnostic (no peer): the core against the sgemm floor on the full shape, one worker and one per core, and
    /// how many rows the certificate sent to exhaustive ranking.
    static func probe() throws {
        let shape = Shape(leads: 100_000, partners: 10_000, dimensions: 64, k: 5)
        let (left, w, right) = makeData(shape, seed: 2026)
        let scorer = try BilinearTopK(interaction: w, right: right, blockSize: blockColumns)
        let all = [Int32](repeating: -1, count: shape.leads)
        for workers in [1, ProcessInfo.processInfo.activeProcessorCount] {
            var cpu = Bench.processCPUSeconds()
            let floor = sgemmFloor(shape, left: left, w: w, right: right, workers: workers)
            let floorCPU = Bench.processCPUSeconds() - cpu
            var selection: BilinearTopK.Selection?
            cpu = Bench.processCPUSeconds()
            let ours = try Bench.medianSeconds(repeats: 3) {
                selection = try scorer.select(
                    left: left, k: shape.k, masks: [], rowMasks: all, rowsPerTile: tileRows, workers: workers)
            }
            let oursCPU = Bench.processCPUSeconds() - cpu
            print(
                "workers \(workers): sgemm \(Bench.fixed(floor)) s, BilinearTopK \(Bench.fixed(ours)) s, "
                    + "\(Bench.fixed(ours / floor, 2))× the floor (CPU time \(Bench.fixed(oursCPU / floorCPU, 2))×); "
                    + "rows ranked exhaustively: \(selection!.exhaustiveRows)")
        }
    }

    /// OpenBLAS's sgemm alone on the core's shapes: U = L·W, then every lead tile × partner block, in Float32 on data
    /// already converted, split as ours is (`workers` threads; the library keeps OpenBLAS on one thread). The floor.
    static func sgemmFloor(
        _ shape: Shape, left: Matrix<Double>, w: Matrix<Double>, right: Matrix<Double>, workers: Int
    ) -> Double {
        let l32 = try! Matrix(rowCount: left.rowCount, columnCount: left.columnCount, storage: left.storage.map(Float.init))
        let w32 = try! Matrix(rowCount: w.rowCount, columnCount: w.columnCount, storage: w.storage.map(Float.init))
        let r32 = try! Matrix(rowCount: right.rowCount, columnCount: right.columnCount, storage: right.storage.map(Float.init))
        let blocks = stride(from: 0, to: shape.partners, by: blockColumns).map { start in
            let end = min(shape.partners, start + blockColumns)
            return try! Matrix(
                rowCount: end - start, columnCount: shape.dimensions,
                storage: Array(r32.storage[(start * shape.dimensions)..<(end * shape.dimensions)]))
        }
        let tiles = (shape.leads + tileRows - 1) / tileRows
        return Bench.medianSeconds(repeats: 3) {
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var u = Matrix<Float>(rowCount: tileRows, columnCount: shape.dimensions)
                var s = Matrix<Float>(rowCount: tileRows, columnCount: blockColumns)
                var tile = worker
                while tile < tiles {
                    let rows = (tile * tileRows)..<min(shape.leads, (tile + 1) * tileRows)
                    if rows.count != u.rowCount { u = Matrix(rowCount: rows.count, columnCount: shape.dimensions) }
                    try! BLAS.gemm(l32, aRows: rows, w32, into: &u)
                    for block in blocks {
                        if s.rowCount != rows.count || s.columnCount != block.rowCount {
                            s = Matrix(rowCount: rows.count, columnCount: block.rowCount)
                        }
                        try! BLAS.gemm(u, block, transposeB: true, into: &s)
                    }
                    tile += workers
                }
            }
        }
    }

    static func core(_ shape: Shape) throws {
        let (left, w, right) = makeData(shape, seed: 2026)
        let directory = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print(
            "scoring: \(shape.leads) leads × \(shape.partners) partners, \(shape.dimensions) encoded dimensions each side, "
                + "top \(shape.k) per lead; \(cores) cores")

        // (c) Switchboard from encoded leads: Double L in, top 5 with exact Double margins out.
        let scorer = try BilinearTopK(interaction: w, right: right, blockSize: blockColumns)
        var selection: BilinearTopK.Selection?
        let ours = try Bench.medianSeconds(repeats: 3) {
            selection = try scorer.select(
                left: left, k: shape.k, masks: [], rowMasks: [Int32](repeating: -1, count: shape.leads), rowsPerTile: tileRows)
        }
        // The same with eligibility: six territories, each partner in one, each lead masked to its own.
        var rng = SeededGenerator(seed: 7)
        let territory = (0..<shape.partners).map { _ in Int(rng.nextUniform() * 6) }
        let masks = (0..<6).map { t in
            ColumnMask(columnCount: shape.partners, columns: (0..<shape.partners).filter { territory[$0] == t })
        }
        let rowMasks = (0..<shape.leads).map { _ in Int32(Int(rng.nextUniform() * 6)) }
        let masked = try Bench.medianSeconds(repeats: 3) {
            _ = try scorer.select(left: left, k: shape.k, masks: masks, rowMasks: rowMasks, rowsPerTile: tileRows)
        }

        // (a) sgemm alone on the same shapes: the floor.
        let sgemm = sgemmFloor(shape, left: left, w: w, right: right, workers: cores)

        // (b) numpy.
        try Bench.writeRaw(left.storage, to: "\(directory)/left.f64")
        try Bench.writeRaw(w.storage, to: "\(directory)/w.f64")
        try Bench.writeRaw(right.storage, to: "\(directory)/right.f64")
        let peer = try Bench.runPeer(
            "\(Bench.peersDirectory)/scoring_numpy.py",
            [
                "--left", "\(directory)/left.f64", "--w", "\(directory)/w.f64", "--right", "\(directory)/right.f64",
                "--leads", "\(shape.leads)", "--partners", "\(shape.partners)", "--dimensions", "\(shape.dimensions)",
                "--k", "\(shape.k)", "--top-out", "\(directory)/numpy-top.f64",
            ])
        let numpy = peer["seconds"] as! Double
        // Agreement: the same top-k sets (numpy's Float32 may order near-ties differently).
        let theirs = try Bench.readRaw("\(directory)/numpy-top.f64", count: shape.leads * shape.k).map { Int($0) }
        var agree = 0
        for i in 0..<shape.leads {
            let mine = Set(selection!.row(i).map(\.column)), other = Set(theirs[(i * shape.k)..<((i + 1) * shape.k)])
            if mine == other { agree += 1 }
        }

        func rate(_ seconds: Double) -> String { Bench.fixed(Double(shape.leads) / seconds / 1000, 1) + "k" }
        LogisticBenchmark.printTable(
            ["", "seconds", "leads/s", "× sgemm alone"],
            [
                ["(a) OpenBLAS sgemm alone, same shapes, split per core", Bench.fixed(sgemm), rate(sgemm), "1.00"],
                ["(b) numpy float32 matmul + argpartition", Bench.fixed(numpy), rate(numpy), Bench.fixed(numpy / sgemm, 2)],
                ["(c) switchboard BilinearTopK", Bench.fixed(ours), rate(ours), Bench.fixed(ours / sgemm, 2)],
                ["    with territory masks (6)", Bench.fixed(masked), rate(masked), Bench.fixed(masked / sgemm, 2)],
            ])
        print(
            "  switchboard: \(Bench.fixed(ours / sgemm, 2))× the sgemm floor (goal ≤ 1.3×), \(Bench.fixed(numpy / ours, 1))× faster "
                + "than numpy (goal ≥ 4×); same top-\(shape.k) set as numpy for \(Bench.fixed(100 * Double(agree) / Double(shape.leads), 2))% "
                + "of leads (numpy \(peer["numpy"] as! String), \(peer["threads"] as? String ?? "?") BLAS threads)")
        if Double(agree) < 0.99 * Double(shape.leads) { throw BenchError("top-k sets disagree with numpy for too many leads") }
    }

    /// `switchboard score` on a generated CSV of `leads` incoming leads against `partners` partners, every partner
    /// eligible for every lead (the heaviest case), with the shipped model: wall and CPU time and peak RSS of the
    /// process (CSV to a file, JSON lines to a file, CSV from standard input to standard output), beside the core's
    /// own time on the same leads (`BilinearTopK` on the encoded leads, in this process) and a data team's polars +
    /// numpy script doing the same end to end (`peers/scoring_polars.py`) on the first `--peer-leads` leads.
    static func endToEnd(leads: Int, partners: Int) throws {
        let directory = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let generated = EcosystemGenerator(
            partnerCount: partners, leadCount: 2_000, periodCount: 2, incomingCount: leads, seed: 99
        ).generate()
        let incoming = "\(directory)/incoming.csv"
        try Data(RecordWriter.leads(generated.incoming).utf8).write(to: URL(fileURLWithPath: incoming))
        try Data(RecordWriter.partners(generated.ecosystem.partners).utf8)
            .write(to: URL(fileURLWithPath: "\(directory)/partners.csv"))
        let rulesJSON = #"{"territory":"any","requireCertifications":false,"ineligibleStatuses":[],"requireCapacity":false}"#
        try Data(rulesJSON.utf8).write(to: URL(fileURLWithPath: "\(directory)/rules.json"))
        let size = (try FileManager.default.attributesOfItem(atPath: incoming)[.size] as? Int) ?? 0
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("switchboard").path
        let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Models/match.json").path
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print(
            "switchboard score end to end: \(leads) leads (CSV, \(Bench.fixed(Double(size) / 1_048_576, 0)) MiB) × \(partners) "
                + "partners, every partner eligible, top 5, Models/match.json; \(cores) cores; load average "
                + Bench.loadAverage())

        // The core alone: the encoded leads (built here, not timed) through BilinearTopK, top 6 as the scorer asks.
        let match = try ModelFile.decode(
            MatchModel.self, from: Array(try Data(contentsOf: URL(fileURLWithPath: model))), file: model)
        let sortedPartners = generated.ecosystem.partners.sorted { $0.id < $1.id }
        let right = match.encoding.rightDesign(match.states(of: sortedPartners, at: match.historyEnd))
        let topK = try BilinearTopK(interaction: match.regression.matrix, right: right)
        var (coreSeconds, coreCPU) = (0.0, 0.0)
        do {
            let design = match.encoding.leftDesign(generated.incoming)
            let rowMasks = [Int32](repeating: -1, count: leads)
            let cpu = Bench.processCPUSeconds()
            coreSeconds = try Bench.medianSeconds(repeats: 1, warmUp: false) {
                _ = try topK.select(left: design, k: 6, masks: [], rowMasks: rowMasks)
            }
            coreCPU = Bench.processCPUSeconds() - cpu
        }

        let common = [
            "score", "--model", model, "--partners", "\(directory)/partners.csv", "--rules", "\(directory)/rules.json",
            "--top", "5",
        ]
        let csv = try Bench.runMeasured(executable, common + ["--leads", incoming, "--out", "\(directory)/scores.csv"])
        let written = (try FileManager.default.attributesOfItem(atPath: "\(directory)/scores.csv")[.size] as? Int) ?? 0
        let jsonl = try Bench.runMeasured(executable, common + ["--leads", incoming, "--out", "\(directory)/scores.jsonl"])
        let quoted = ([executable] + common + ["--leads", "-", "--out", "-"]).map { "'\($0)'" }.joined(separator: " ")
        // exec: the shell becomes switchboard, so the peak RSS polled is switchboard's, not the shell's.
        let piped = try Bench.runMeasured(
            "/bin/sh", ["-c", "exec \(quoted) < '\(incoming)' > '\(directory)/stdout.csv'"])
        let same = FileManager.default.contentsEqual(atPath: "\(directory)/scores.csv", andPath: "\(directory)/stdout.csv")
        try? FileManager.default.removeItem(atPath: "\(directory)/scores.jsonl")

        // The peer on the first leads (numpy's argpartition over 10,000 columns per lead is slow), as a rate.
        let peerLeads = min(leads, Bench.option("peer-leads").flatMap { Int($0) } ?? (leads >= 1_000_000 ? 100_000 : leads))
        let peerInput = "\(directory)/peer-incoming.csv"
        try Data(RecordWriter.leads(Array(generated.incoming.prefix(peerLeads))).utf8).write(to: URL(fileURLWithPath: peerInput))
        try Bench.writeRaw(match.interaction, to: "\(directory)/w.f64")
        try Bench.writeRaw(right.storage, to: "\(directory)/right.f64")
        try Data((sortedPartners.map(\.id).joined(separator: "\n") + "\n").utf8)
            .write(to: URL(fileURLWithPath: "\(directory)/partner-ids.txt"))
        try? FileManager.default.removeItem(atPath: "\(directory)/scores.csv")
        let peer = try Bench.runPeer(
            "\(Bench.peersDirectory)/scoring_polars.py",
            [
                "--leads", peerInput, "--model", model, "--w", "\(directory)/w.f64", "--right", "\(directory)/right.f64",
                "--partner-ids", "\(directory)/partner-ids.txt", "--k", "5", "--out", "\(directory)/peer.csv",
            ])
        let peerSeconds = peer["seconds"] as! Double
        let peerRate = Double(peerLeads) / peerSeconds

        func rate(_ seconds: Double) -> String { Bench.fixed(Double(leads) / seconds / 1000, 1) + "k" }
        func mib(_ bytes: Int) -> String { Bench.fixed(Double(bytes) / 1_048_576, 0) }
        LogisticBenchmark.printTable(
            ["", "wall s", "leads/s", "CPU s", "× core (wall)", "× core (CPU)", "peak RSS MiB"],
            [
                [
                    "core: BilinearTopK on encoded leads", Bench.fixed(coreSeconds, 2), rate(coreSeconds),
                    Bench.fixed(coreCPU, 1),
                    "1.00", "1.00", "",
                ],
                [
                    "switchboard score, CSV file → CSV file", Bench.fixed(csv.seconds, 2), rate(csv.seconds),
                    Bench.fixed(csv.cpuSeconds, 1), Bench.fixed(csv.seconds / coreSeconds, 2),
                    Bench.fixed(csv.cpuSeconds / coreCPU, 2), mib(csv.peakBytes),
                ],
                [
                    "  --format jsonl", Bench.fixed(jsonl.seconds, 2), rate(jsonl.seconds), Bench.fixed(jsonl.cpuSeconds, 1),
                    Bench.fixed(jsonl.seconds / coreSeconds, 2), Bench.fixed(jsonl.cpuSeconds / coreCPU, 2), mib(jsonl.peakBytes),
                ],
                [
                    "  stdin → stdout", Bench.fixed(piped.seconds, 2), rate(piped.seconds), Bench.fixed(piped.cpuSeconds, 1),
                    Bench.fixed(piped.seconds / coreSeconds, 2), Bench.fixed(piped.cpuSeconds / coreCPU, 2), mib(piped.peakBytes),
                ],
                [
                    "polars + numpy (\(peerLeads) leads)", Bench.fixed(peerSeconds, 2),
                    Bench.fixed(peerRate / 1000, 1) + "k", "", "", "", "",
                ],
            ])
        print(
            "  switchboard score: \(rate(csv.seconds)) leads/s (goal ≥ 80k), \(Bench.fixed(csv.seconds / coreSeconds, 2))× the "
                + "core's time (goal ≤ 1.3×), wrote \(mib(written)) MiB; \(Bench.fixed(Double(leads) / csv.seconds / peerRate, 1))× "
                + "the polars + numpy script's rate (read \(Bench.fixed(peer["read"] as! Double, 2)) s, encode "
                + "\(Bench.fixed(peer["encode"] as! Double, 2)) s, score \(Bench.fixed(peer["score"] as! Double, 2)) s, write "
                + "\(Bench.fixed(peer["write"] as! Double, 2)) s; numpy \(peer["numpy"] as! String), polars "
                + "\(peer["polars"] as! String), BLAS \(Bench.describe(peer["blas"]))); stdout bytes equal the file's: \(same)")
        if !same { throw BenchError("score through stdin/stdout wrote different bytes") }
        if csv.peakBytes >= 1 << 30 { throw BenchError("peak RSS \(csv.peakBytes) bytes is over 1 GiB") }
    }
}

extension Bench {
    /// Runs `executable arguments…` and returns its wall time and peak RSS (VmHWM, polled every 10 ms from
    /// /proc/<pid>/status until it exits; VmHWM only grows, so the last reading is the peak up to then).
    static func runMeasured(_ executable: String, _ arguments: [String]) throws -> (
        seconds: Double, cpuSeconds: Double, peakBytes: Int
    ) {
        let cpu = childrenCPUSeconds()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        try process.run()
        var peak = 0
        while process.isRunning {
            if let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) {
                for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
                    peak = max(peak, (line.split(separator: " ").compactMap { Int($0) }.first ?? 0) * 1024)
                }
            }
            usleep(10_000)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard process.terminationStatus == 0 else { throw BenchError("\(executable) \(arguments) failed") }
        return (seconds, childrenCPUSeconds() - cpu, peak)
    }

    /// User + system CPU seconds of the children waited for so far.
    static func childrenCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// User + system CPU seconds of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// The 1-minute load average (the machine may be shared).
    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").first.map(String.init)
            ?? "?"
    }

    /// The value of `--name=value` among the arguments.
    static func option(_ name: String) -> String? {
        CommandLine.arguments.first { $0.hasPrefix("--\(name)=") }.map { String($0.dropFirst(name.count + 3)) }
    }
}
