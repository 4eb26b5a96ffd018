import Foundation
import Testing

/// `route` in model mode and `simulate`, through the real executable on the committed sample.
@Suite("CLI: model-driven routing and simulation")
struct SimulateCLITests {
    static func path(_ relative: String) -> String { ScoreCLITests.path(relative) }
    static let records = [
        "--outcomes", path("Data/ecosystem/outcomes.csv"), "--leads", path("Data/ecosystem/leads.csv"), "--partners",
        path("Data/ecosystem/partners.csv"), "--action-history", path("Data/ecosystem/action_history.csv"),
    ]

    @Test func routesScoredLeadsWithinCapacity() throws {
        let workspace = try Workspace()
        let result = try workspace.run([
            "route", "model", "--model", Self.path("Models/match.json"), "--leads", Self.path("Data/ecosystem/incoming.csv"),
            "--partners", Self.path("Data/ecosystem/partners.csv"), "--out", "assignments.csv",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("proven optimal"))
        let rows = try workspace.read("assignments.csv").split(separator: "\n").dropFirst().map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        #expect(rows.count == 3000)
        // Capacity minus open leads, never exceeded; only active partners.
        var room: [String: Int] = [:], active: Set<String> = []
        for line in try String(contentsOfFile: Self.path("Data/ecosystem/partners.csv"), encoding: .utf8).split(separator: "\n")
            .dropFirst()
        {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            room[f[0]] = max(0, Int(f[9])! - Int(f[10])!)
            if f[11] == "active" { active.insert(f[0]) }
        }
        var given: [String: Int] = [:]
        for row in rows where !row[1].isEmpty { given[row[1], default: 0] += 1 }
        #expect(!given.isEmpty)
        for (partner, count) in given {
            #expect(count <= room[partner]!, "\(partner)")
            #expect(active.contains(partner), "\(partner)")
        }
        let mixed = try workspace.run([
            "route", "model", "--model", Self.path("Models/match.json"), "--leads", Self.path("Data/ecosystem/incoming.csv"),
            "--partners", Self.path("Data/ecosystem/partners.csv"), "--candidates", "c.csv", "--out", "x.csv",
        ])
        #expect(mixed.status != 0 && !workspace.exists("x.csv"))
    }

    @Test func simulatesEveryPolicyAgainstTheHistory() throws {
        let workspace = try Workspace()
        let result = try workspace.run(
            ["simulate"] + Self.records + [
                "--model", Self.path("Models/match.json"), "--truth", Self.path("Data/ecosystem/truth"), "--days", "10",
                "--capacity-scale", "0.5", "--out", "simulation.csv",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("true win probabilities"))
        let lines = try workspace.read("simulation.csv").split(separator: "\n")
        #expect(lines.first == "policy,leads,assigned,expected_wins,expected_revenue,load_gini,new_or_small_share")
        #expect(
            lines.dropFirst().map { $0.split(separator: ",")[0] } == [
                "historical", "optimal", "optimal+fairness", "greedy", "round-robin", "weighted",
            ])
        let missing = try workspace.run(
            ["simulate"] + Self.records + [
                "--model", Self.path("Models/match.json"), "--truth", "nowhere", "--out", "s.csv",
            ])
        #expect(missing.status != 0 && missing.errorLines.first?.contains("nowhere/partners.csv: no such file") == true)
        #expect(!workspace.exists("s.csv"))
    }

    @Test func badInputsFailNamingTheFileAndWriteNothing() throws {
        let workspace = try Workspace()
        let outcomes = try String(contentsOfFile: Self.path("Data/ecosystem/outcomes.csv"), encoding: .utf8)
        try workspace.write("empty.csv", String(outcomes.prefix { $0 != "\n" }) + "\n")
        try workspace.write("dangling.csv", outcomes.replacingOccurrences(of: "L0000001,P0204,", with: "L0000001,P9999,"))
        try FileManager.default.createDirectory(
            at: workspace.work.appendingPathComponent("truth"), withIntermediateDirectories: true)
        let pairs = try String(contentsOfFile: Self.path("Data/ecosystem/truth/pairs.csv"), encoding: .utf8)
        try workspace.write(
            "truth/pairs.csv",
            pairs.replacingOccurrences(of: "L0000001,P0204,0.38161858807307636", with: "L0000001,P0204,1.7"))
        try workspace.write(
            "truth/partners.csv", try String(contentsOfFile: Self.path("Data/ecosystem/truth/partners.csv"), encoding: .utf8))
        try workspace.write("bad.json", "{\"minimumShare\": 2}")
        let model = ["--model", Self.path("Models/match.json")]
        func records(history: String) -> [String] {
            [
                "simulate", "--outcomes", history, "--leads", Self.path("Data/ecosystem/leads.csv"), "--partners",
                Self.path("Data/ecosystem/partners.csv"),
            ] + model
        }
        let cases: [(name: String, arguments: [String], message: String)] = [
            ("no outcomes", records(history: "empty.csv"), "error: empty.csv: no outcomes"),
            ("a dangling partner", records(history: "dangling.csv"), "error: dangling.csv:2: column 'partner_id': 'P9999'"),
            (
                "a true probability above 1", records(history: Self.path("Data/ecosystem/outcomes.csv")) + ["--truth", "truth"],
                "error: truth/pairs.csv:2: column 'win_probability': '1.7' must be at most 1"
            ),
            (
                "a bad fairness config", records(history: Self.path("Data/ecosystem/outcomes.csv")) + ["--config", "bad.json"],
                "error: bad.json: minimumShare must be in [0, 1] (got 2.0)"
            ),
        ]
        for c in cases {
            let result = try workspace.run(c.arguments + ["--out", "s.csv"])
            #expect(result.status == 1, "\(c.name): \(result.stderr)")
            #expect(result.errorLines.first?.hasPrefix(c.message) == true, "\(c.name): \(result.stderr)")
            #expect(!workspace.exists("s.csv"), "\(c.name)")
        }
        let badDays = try workspace.run(records(history: "empty.csv") + ["--days", "0", "--out", "s.csv"])
        #expect(badDays.status != 0 && badDays.stderr.contains("--days must be > 0 (got 0.0)"))
        #expect(!workspace.exists("s.csv"))
    }
}
