import Foundation
import Testing

/// `route` in model mode and `simulate`, through the real executable on the committed sample.
@Suite("CLI: model-driven routing and simulation")
struct SimulateCLITests {
    static func path(_ relative: String) -> String { ScoreCLITests.path(relative) }
    static let records = [
        "--history", path("Data/ecosystem/outcomes.csv"), "--leads", path("Data/ecosystem/leads.csv"), "--partners",
        path("Data/ecosystem/partners.csv"), "--actions-history", path("Data/ecosystem/action_history.csv"),
    ]

    @Test func routesScoredLeadsWithinCapacity() throws {
        let workspace = try Workspace()
        let result = try workspace.run([
            "route", "--model", Self.path("Models/match.json"), "--leads", Self.path("Data/ecosystem/incoming.csv"),
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
            "route", "--model", Self.path("Models/match.json"), "--leads", Self.path("Data/ecosystem/incoming.csv"),
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
}
