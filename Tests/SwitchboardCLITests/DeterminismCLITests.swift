import Foundation
import Testing

/// The bytes a command writes do not depend on chunk size, worker count or OpenBLAS's thread count.
@Suite("CLI: determinism")
struct DeterminismCLITests {
    static func path(_ relative: String) -> String { ScoreCLITests.path(relative) }

    /// (chunk rows, threads, OPENBLAS_NUM_THREADS) runs of `score`; all must write the same bytes.
    static let runs: [(chunk: String, threads: String, blas: String)] = [
        ("3000", "1", "1"), ("1", "1", "2"), ("37", "2", "1"), ("37", "3", "2"), ("3000", "2", "2"), ("3000", "3", "1"),
    ]

    @Test(arguments: ["3", "20"])
    func scoreWritesTheSameBytesForAnyChunkWorkersAndBLASThreads(top: String) throws {
        let workspace = try Workspace()
        var outputs: [String: String] = [:]
        for run in Self.runs {
            let name = "scores-\(run.chunk)-\(run.threads)-\(run.blas).csv"
            let result = try workspace.run(
                ["score"] + ScoreCLITests.inputs + [
                    "--leads", Self.path("Data/ecosystem/incoming.csv"), "--top", top, "--chunk-rows", run.chunk,
                    "--threads", run.threads, "--out", name,
                ], environment: ["OPENBLAS_NUM_THREADS": run.blas])
            #expect(result.status == 0, "\(result.stderr)")
            outputs[name] = try workspace.read(name)
        }
        let first = outputs.values.first!
        #expect(first.split(separator: "\n").count > 3000)
        for (name, text) in outputs { #expect(text == first, "\(name) differs") }
    }

    /// Each process seeds Swift's hashing afresh, so a sum taken in a dictionary's order can change its last digit
    /// from run to run (it did: `evaluate forecast`'s deal-value spread and `evaluate actions`' random choice). Five
    /// runs of each must write the same bytes.
    @Test func evaluationsWriteTheSameBytesRunAfterRun() throws {
        let workspace = try Workspace()
        let (data, models) = RecommendCLITests.sampleAndModels
        for (name, arguments) in [
            ("actions", ["evaluate", "actions", "--data", data] + models),
            ("forecast", ["evaluate", "forecast", "--data", data]),
        ] {
            var outputs: [String] = []
            for run in 0..<5 {
                let file = "\(name)-\(run).json"
                let result = try workspace.run(arguments + ["--json", file])
                #expect(result.status == 0, "\(result.stderr)")
                outputs.append(try workspace.read(file))
            }
            for (run, text) in outputs.enumerated() { #expect(text == outputs[0], "\(name): run \(run) differs") }
        }
    }

    /// `route`'s model mode (scores become the routing problem): the same plan under either OpenBLAS thread count.
    @Test func routeModelModeWritesTheSameBytesForAnyBLASThreads() throws {
        let workspace = try Workspace()
        var outputs: [String] = []
        for blas in ["1", "2"] {
            let result = try workspace.run(
                [
                    "route", "model", "--model", Self.path("Models/match.json"), "--partners",
                    Self.path("Data/ecosystem/partners.csv"),
                    "--leads", Self.path("Data/ecosystem/incoming.csv"), "--out", "plan-\(blas).csv",
                ], environment: ["OPENBLAS_NUM_THREADS": blas])
            #expect(result.status == 0, "\(result.stderr)")
            outputs.append(try workspace.read("plan-\(blas).csv"))
        }
        #expect(outputs[0] == outputs[1])
    }
}

/// Every command that writes model figures, under other CPU kernels and BLAS thread counts. About 20 s in release and
/// several minutes in a debug build (eight commands, four runs each), so `scripts/test --fast` skips it.
@Suite("CLI: the same bytes under other kernels")
struct KernelDeterminismCLITests {
    static func path(_ relative: String) -> String { ScoreCLITests.path(relative) }

    /// Every command that writes figures from a model or a fit, with its outputs named after `tag`.
    static func commands(tag: String) -> [String: (arguments: [String], outputs: [String])] {
        let eco = { (file: String) in Self.path("Data/ecosystem/\(file)") }
        let history = [
            "--outcomes", eco("outcomes.csv"), "--leads", eco("leads.csv"), "--partners", eco("partners.csv"),
        ]
        return [
            "predict": (
                [
                    "predict", "--model", Self.path("Models/leads.json"), "--data", Self.path("Data/incoming-leads.csv"),
                    "--id", "lead_id", "--out", "\(tag)-p.csv",
                ], ["\(tag)-p.csv"]
            ),
            "predict churn": (
                [
                    "predict", "churn", "--model", Self.path("Models/churn.json"), "--activity", eco("activity.csv"),
                    "--partners", eco("partners.csv"), "--out", "\(tag)-c.csv",
                ], ["\(tag)-c.csv"]
            ),
            "score": (
                ["score"] + ScoreCLITests.inputs + ["--leads", eco("incoming.csv"), "--top", "5", "--out", "\(tag)-s.csv"],
                ["\(tag)-s.csv"]
            ),
            "route model": (
                [
                    "route", "model", "--model", Self.path("Models/match.json"), "--partners", eco("partners.csv"),
                    "--leads", eco("incoming.csv"), "--out", "\(tag)-r.csv", "--prices-out", "\(tag)-prices.csv",
                ],
                ["\(tag)-r.csv", "\(tag)-prices.csv"]
            ),
            "simulate": (
                ["simulate"] + history + [
                    "--action-history", eco("action_history.csv"), "--truth", eco("truth"), "--capacity-scale", "0.5", "--model",
                    Self.path("Models/match.json"),
                    "--out", "\(tag)-sim.csv",
                ], ["\(tag)-sim.csv"]
            ),
            "recommend": (
                ["recommend"] + history + [
                    "--activity", eco("activity.csv"), "--actions", eco("actions.csv"), "--action-history",
                    eco("action_history.csv"), "--match-model", Self.path("Models/match.json"), "--churn-model",
                    Self.path("Models/churn.json"), "--out", "\(tag)-rec.csv", "--todo", "\(tag)-todo.md",
                ], ["\(tag)-rec.csv", "\(tag)-todo.md"]
            ),
            "segment": (
                ["segment"] + history + [
                    "--activity", eco("activity.csv"), "--churn-model", Self.path("Models/churn.json"), "--out",
                    "\(tag)-seg.csv",
                ], ["\(tag)-seg.csv", "\(tag)-seg-kpis.csv", "\(tag)-seg-moves.csv"]
            ),
            "report": (
                [
                    "report", "--data", Self.path("Data/ecosystem"), "--models", Self.path("Models"), "--out",
                    "\(tag)-report.html",
                ], ["\(tag)-report.html"]
            ),
        ]
    }

    /// The OpenBLAS kernels this CPU can run besides the one OpenBLAS picks: a generic SSE3 one (every x86-64) and
    /// an AVX2 one where the CPU has AVX2. OpenBLAS ignores an unknown name (on arm64 these runs use the default).
    static var otherKernels: [String] {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        return ["Prescott"] + (flags.contains(" avx2") ? ["Haswell"] : [])
    }

    /// The same bytes from every command under another CPU kernel (OpenBLAS's `OPENBLAS_CORETYPE`: other GEMM, dot
    /// and axpy code, other summation orders) and under `OPENBLAS_NUM_THREADS=2`: what a user gets on another machine.
    @Test(arguments: ["predict", "predict churn", "score", "route model", "simulate", "recommend", "segment", "report"])
    func everyCommandWritesTheSameBytesUnderAnotherKernelOrThreadCount(command: String) throws {
        let workspace = try Workspace()
        let variants: [(tag: String, environment: [String: String])] =
            [("default", [:]), ("threads", ["OPENBLAS_NUM_THREADS": "2"])]
            + Self.otherKernels.map { ($0, ["OPENBLAS_CORETYPE": $0]) }
        var reference: [String] = []
        for variant in variants {
            let (arguments, outputs) = Self.commands(tag: variant.tag)[command]!
            let result = try workspace.run(arguments, environment: variant.environment)
            #expect(result.status == 0, "\(command) under \(variant.environment): \(result.stderr)")
            let texts = try outputs.map { try workspace.read($0) }
            #expect(texts.allSatisfy { !$0.isEmpty })
            if reference.isEmpty {
                reference = texts
            } else {
                for (index, text) in texts.enumerated() {
                    #expect(text == reference[index], "\(outputs[index]) differs under \(variant.environment)")
                }
            }
        }
    }
}
