import Foundation
import Testing

/// `generate`, `train match` and `evaluate match` through the real executable.
@Suite("CLI: ecosystem and match model")
struct MatchCLITests {
    @Test func generateTrainAndEvaluate() throws {
        let workspace = try Workspace()
        let generated = try workspace.run([
            "generate", "--partners", "30", "--leads", "2500", "--periods", "6", "--incoming", "40", "--seed", "3", "--out",
            "eco",
        ])
        #expect(generated.status == 0, "\(generated.stderr)")
        #expect(generated.stdout.contains("wrote 30 partners, 2500 leads"))
        for name in ["partners", "leads", "outcomes", "activity", "actions", "action_history", "incoming", "truth/pairs"] {
            #expect(workspace.exists("eco/\(name).csv"), "eco/\(name).csv")
        }
        #expect(try workspace.read("eco/incoming.csv").split(separator: "\n").count == 41)
        let again = try workspace.run([
            "generate", "--partners", "30", "--leads", "2500", "--periods", "6", "--incoming", "40", "--seed", "3", "--out",
            "again",
        ])
        #expect(again.status == 0)
        #expect(try workspace.read("again/outcomes.csv") == (try workspace.read("eco/outcomes.csv")))

        let records = ["--outcomes", "eco/outcomes.csv", "--leads", "eco/leads.csv", "--partners", "eco/partners.csv"]
        let trained = try workspace.run(["train", "match"] + records + ["--folds", "2", "--out", "match.json"])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stdout.contains("λ chosen by time-split cross-validation"))
        #expect(trained.stdout.contains("strongest terms of W"))
        let model = try #require(
            try JSONSerialization.jsonObject(with: Data(workspace.read("match.json").utf8)) as? [String: Any])
        #expect((model["header"] as? [String: Any])?["kind"] as? String == "bilinear-match")
        let stored = try workspace.run(["evaluate", "match", "--model", "match.json"])
        #expect(stored.status == 0 && stored.stdout.contains("ROC AUC"))
        let onData = try workspace.run(["evaluate", "match", "--model", "match.json", "--json", "metrics.json"] + records)
        #expect(onData.status == 0, "\(onData.stderr)")
        let metrics = try #require(
            try JSONSerialization.jsonObject(with: Data(workspace.read("metrics.json").utf8)) as? [String: Any])
        #expect((metrics["rocAUC"] as? Double ?? 0) > 0.6)
    }

    @Test func badRecordsFailWithFileLineAndColumnAndWriteNothing() throws {
        let workspace = try Workspace()
        _ = try workspace.run([
            "generate", "--partners", "10", "--leads", "300", "--periods", "3", "--incoming", "0", "--out", "eco",
        ])
        var outcomes = try workspace.read("eco/outcomes.csv").split(separator: "\n", omittingEmptySubsequences: false).map(
            String.init)
        outcomes[3] = outcomes[3].replacingOccurrences(of: ",P00", with: ",Q00")
        try workspace.write("eco/outcomes.csv", outcomes.joined(separator: "\n"))
        let result = try workspace.run([
            "train", "match", "--outcomes", "eco/outcomes.csv", "--leads", "eco/leads.csv", "--partners", "eco/partners.csv",
            "--l2", "0.01", "--out", "match.json",
        ])
        #expect(result.status != 0)
        #expect(result.errorLines.first?.contains("eco/outcomes.csv:4") == true, "\(result.stderr)")
        #expect(result.errorLines.first?.contains("partner_id") == true)
        #expect(!workspace.exists("match.json"))
        let missing = try workspace.run([
            "train", "match", "--outcomes", "eco/outcomes.csv", "--leads", "eco/leads.csv", "--partners", "nope.csv", "--out",
            "m.json",
        ])
        #expect(missing.status != 0 && missing.errorLines.first?.contains("nope.csv") == true)
        let noL2 = try workspace.run([
            "train", "match", "--outcomes", "a", "--leads", "b", "--partners", "c", "--folds", "0", "--out", "m.json",
        ])
        #expect(noL2.status != 0 && noL2.stderr.contains("--folds 0 needs --l2"))
    }
}
