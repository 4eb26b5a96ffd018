import Foundation
import Testing

/// `recommend onboarding` and `evaluate onboarding` through the real executable, on the committed sample.
@Suite("CLI: onboarding paths")
struct OnboardCLITests {
    static func sample(_ name: String) -> String { RecommendCLITests.sample(name) }

    static func inputs(history: String = sample("onboarding_history.csv")) -> [String] {
        [
            "recommend", "onboarding", "--history", history, "--partners", sample("onboarding_new.csv"), "--actions",
            sample("actions.csv"),
        ]
    }

    @Test func recommendsAPathForEveryNewPartner() throws {
        let workspace = try Workspace()
        let result = try workspace.run(Self.inputs() + ["--out", "paths.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("onboarding paths for 150 partners, learnt from 900 onboarded partners"), "\(result.stdout)")
        #expect(result.stdout.contains("checklist (the most common path"))
        let rows = RecommendCLITests.rows(try workspace.read("paths.csv"))
        #expect(
            rows[0] == [
                "partner_id", "type", "position", "action_id", "action_name", "months_saved", "logit_effect",
                "logit_effect_sd", "productive_share", "others_share", "expected_months", "expected_first_year_revenue",
                "checklist_months", "checklist_first_year_revenue", "reason",
            ])
        #expect(rows.count == 1 + 4 * 150)
        for start in stride(from: 1, to: rows.count, by: 4) {
            let path = rows[start..<(start + 4)]
            #expect(path.map { $0[2] } == ["1", "2", "3", "4"])
            #expect(Set(path.map { $0[3] }).count == 4)
            #expect(Set(path.map { $0[0] }).count == 1)
            // The path is never slower than the checklist under the model it was chosen by.
            #expect(Double(path.first![10])! <= Double(path.first![12])! + 1e-9)
            #expect(path.first![14].hasPrefix("saves "))
        }
        // The same bytes on a second run.
        #expect(try workspace.run(Self.inputs() + ["--out", "again.csv"]).status == 0)
        #expect(try workspace.read("again.csv") == (try workspace.read("paths.csv")))
    }

    @Test func evaluatesAgainstTheTruth() throws {
        let workspace = try Workspace()
        let data = RecommendCLITests.repository.appendingPathComponent("Data/ecosystem").path
        let result = try workspace.run(["evaluate", "onboarding", "--data", data, "--json", "figures.json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("personalised is faster than the checklist for"), "\(result.stdout)")
        let figures = try JSONSerialization.jsonObject(with: Data(try workspace.read("figures.json").utf8)) as! [String: Any]
        let personalised = figures["personalised_months"] as! Double, checklist = figures["checklist_months"] as! Double
        #expect(personalised < checklist)
        #expect((figures["best_months"] as! Double) <= personalised)
        #expect((figures["personalised_first_year_revenue"] as! Double) > (figures["checklist_first_year_revenue"] as! Double))
        #expect(figures["partners"] as? Int == 150)
    }

    @Test func badInputWritesNothing() throws {
        let workspace = try Workspace()
        let header = "partner_id,type,employees,certifications,steps,first_deal_month,first_year_revenue\n"
        try workspace.write("unknown.csv", header + "A,msp,10,,ACT01;ACT03,2,100\nB,msp,10,,ACT03;ACT77,,0\n")
        var result = try workspace.run(Self.inputs(history: "unknown.csv") + ["--out", "paths.csv"])
        expectFailedRun(result, isUsageError: false)
        #expect(result.stderr.contains("unknown.csv:3: column 'steps': 'ACT77' does not exist in"), "\(result.stderr)")
        #expect(!workspace.exists("paths.csv"))
        try workspace.write("empty.csv", header)
        result = try workspace.run(Self.inputs(history: "empty.csv") + ["--out", "paths.csv"])
        expectFailedRun(result, isUsageError: false)
        #expect(result.stderr.contains("empty.csv: no onboarded partners"), "\(result.stderr)")
        try workspace.write("columns.csv", "partner_id,type,employees,certifications,first_deal_month,first_year_revenue\nA,msp,1,,1,5\n")
        result = try workspace.run(Self.inputs(history: "columns.csv") + ["--out", "paths.csv"])
        expectFailedRun(result, isUsageError: false)
        #expect(result.stderr.contains("columns.csv: missing column 'steps'"), "\(result.stderr)")
        #expect(!workspace.exists("paths.csv"))
        result = try workspace.run(Self.inputs() + ["--steps", "0", "--out", "paths.csv"])
        expectFailedRun(result, isUsageError: true)
        #expect(result.stderr.contains("--steps must be from 1 to 8 (got 0)"), "\(result.stderr)")
        result = try workspace.run(["evaluate", "onboarding", "--data", "missing-folder", "--json", "f.json"])
        expectFailedRun(result, isUsageError: false)
        #expect(!workspace.exists("f.json"))
    }
}
