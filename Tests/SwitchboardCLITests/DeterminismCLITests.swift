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

    /// `route`'s model mode (scores become the routing problem): the same plan under either OpenBLAS thread count.
    @Test func routeModelModeWritesTheSameBytesForAnyBLASThreads() throws {
        let workspace = try Workspace()
        var outputs: [String] = []
        for blas in ["1", "2"] {
            let result = try workspace.run(
                [
                    "route", "model", "--model", Self.path("Models/match.json"), "--partners", Self.path("Data/ecosystem/partners.csv"),
                    "--leads", Self.path("Data/ecosystem/incoming.csv"), "--out", "plan-\(blas).csv",
                ], environment: ["OPENBLAS_NUM_THREADS": blas])
            #expect(result.status == 0, "\(result.stderr)")
            outputs.append(try workspace.read("plan-\(blas).csv"))
        }
        #expect(outputs[0] == outputs[1])
    }
}
