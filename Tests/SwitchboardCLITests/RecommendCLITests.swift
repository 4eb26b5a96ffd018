import Foundation
import Testing

/// `recommend` and `evaluate actions` through the real executable, on the committed sample and its models.
@Suite("CLI: next-best actions")
struct RecommendCLITests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func sample(_ name: String) -> String { repository.appendingPathComponent("Data/ecosystem/\(name)").path }
    static func model(_ name: String) -> String { repository.appendingPathComponent("Models/\(name)").path }
    /// The sample's folder and the shipped models' arguments.
    static var sampleAndModels: (data: String, models: [String]) {
        (
            repository.appendingPathComponent("Data/ecosystem").path,
            ["--match-model", model("match.json"), "--churn-model", model("churn.json")]
        )
    }
    /// A JSON object the command wrote into the workspace.
    static func jsonFile(_ workspace: Workspace, _ name: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(workspace.read(name).utf8)) as? [String: Any])
    }

    /// The sample's record files and the committed models, as options.
    static func inputs(
        actions: String = sample("actions.csv"), activity: String = sample("activity.csv")
    ) -> [String] {
        [
            "--partners", sample("partners.csv"), "--leads", sample("leads.csv"), "--outcomes", sample("outcomes.csv"),
            "--activity", activity, "--actions", actions, "--action-history", sample("action_history.csv"), "--match-model",
            model("match.json"), "--churn-model", model("churn.json"),
        ]
    }

    static func rows(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { line in
            // The sample's names and ids hold no commas or quotes; the risk factors hold no commas either.
            line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }

    @Test func recommendsOnTheSample() throws {
        let workspace = try Workspace()
        let result = try workspace.run(
            ["recommend"] + Self.inputs() + ["--top", "2", "--out", "recs.csv", "--todo", "todo.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("recommended 294 actions to 147 partners"), "\(result.stdout)")
        #expect(result.stdout.contains("153 already churned"))
        let recs = Self.rows(try workspace.read("recs.csv"))
        #expect(recs[0].count == 31 && recs[0][0] == "partner_id" && recs[0][6] == "expected_value")
        #expect(
            Array(recs[0].suffix(6)) == [
                "win_logit_change_sd", "value_low", "value_high", "probability_best", "explore_action_id", "why",
            ])
        #expect(recs.count == 1 + 2 * 147)
        for pair in stride(from: 1, to: recs.count, by: 2) {
            #expect(recs[pair][0] == recs[pair + 1][0])
            #expect(recs[pair][3] == "1" && recs[pair + 1][3] == "2")
            #expect(Double(recs[pair][6])! >= Double(recs[pair + 1][6])!)
            #expect(recs[pair][4] != recs[pair + 1][4])
            // The 80% interval holds the expected value; no exploration without a budget.
            #expect(Double(recs[pair][26])! <= Double(recs[pair][6])! && Double(recs[pair][6])! <= Double(recs[pair][27])!)
            #expect(recs[pair][29] == "")
        }
        let todo = Self.rows(try workspace.read("todo.csv"))
        #expect(
            todo[0] == [
                "manager_id", "position", "partner_id", "partner_name", "churn_risk", "high_risk", "risk_factors",
                "action_id", "action_name", "expected_value", "value_low", "value_high", "probability_best",
                "explore_action_id", "why",
            ])
        #expect(todo.count == 1 + 147)
        // Within a manager: positions count up, high-risk partners first, by falling risk.
        var byManager: [String: [[String]]] = [:]
        for row in todo.dropFirst() { byManager[row[0], default: []].append(row) }
        #expect(byManager.count == 12)
        for (_, items) in byManager {
            #expect(items.map { Int($0[1])! } == Array(1...items.count))
            let high = items.prefix { $0[5] == "yes" }
            #expect(items.dropFirst(high.count).allSatisfy { $0[5] == "no" })
            let risks = high.map { Double($0[4])! }
            #expect(risks == risks.sorted(by: >))
        }

        let markdown = try workspace.run(
            ["recommend"] + Self.inputs() + ["--out", "-", "--todo", "todo.md", "--todo-format", "markdown"])
        #expect(markdown.status == 0, "\(markdown.stderr)")
        #expect(Self.rows(markdown.stdout).count == 1 + 3 * 147)
        let text = try workspace.read("todo.md")
        #expect(text.hasPrefix("# Next-best actions as of 2026-01-02"))
        #expect(text.contains("\n## M01 (") && text.contains("similar partners took it"))
    }

    @Test func evaluatesAgainstTheTruth() throws {
        let workspace = try Workspace()
        let result = try workspace.run([
            "evaluate", "actions", "--data", Self.repository.appendingPathComponent("Data/ecosystem").path, "--match-model",
            Self.model("match.json"), "--churn-model", Self.model("churn.json"), "--json", "evaluation.json", "--details",
            "details.csv",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        for strategy in ["recommended", "most popular", "random eligible", "best"] {
            #expect(result.stdout.contains("\n\(strategy) "), "\(strategy)")
        }
        let json = try Self.jsonFile(workspace, "evaluation.json")
        #expect(json["evaluatedPartners"] as? Int == 147)
        let recommended = try #require(json["recommended"] as? [String: Any])
        let random = try #require(json["randomEligible"] as? [String: Any])
        let ours = try #require(recommended["meanCapturedFraction"] as? Double)
        #expect(ours > (random["meanCapturedFraction"] as? Double ?? 1))
        #expect(json["recommended_captured"] as? Double == ours)
        #expect(json["random_captured"] as? Double == random["meanCapturedFraction"] as? Double)
        #expect(json["most_popular_captured"] is Double)
        #expect(json["qini_coefficient"] is Double)
        #expect(result.stdout.contains("Qini coefficient"))
        let details = Self.rows(try workspace.read("details.csv"))
        #expect(details[0].first == "partner_id" && details[0][10] == "most_popular" && details[0].last == "probability_best")
        #expect(details.dropFirst().count { $0[9] == "yes" } == 147)
    }

    @Test func replaysRoundsGreedyAgainstExploring() throws {
        let workspace = try Workspace()
        let (data, models) = Self.sampleAndModels
        let result = try workspace.run(
            ["evaluate", "actions", "--data", data] + models + ["--rounds", "1", "--explore", "0.2", "--json", "replay.json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("replay on the truth: 1 rounds"), "\(result.stdout)")
        #expect(result.stdout.contains("win effects after the last round, exploring: ACT01 "))
        let json = try Self.jsonFile(workspace, "replay.json")
        let replay = try #require(json["replay"] as? [String: Any])
        let greedy = try #require(replay["greedy"] as? [String: Any])
        let rounds = try #require(greedy["rounds"] as? [[String: Any]])
        #expect(rounds.count == 1)
        // Greedy's first round is the plain recommendation the evaluation measures.
        let captured = try #require(rounds[0]["capturedFraction"] as? Double)
        let recommended = try #require(json["recommended_captured"] as? Double)
        #expect(abs(captured - recommended) < 1e-12)
        // Greedy's top actions are its choices.
        #expect(rounds[0]["exploitCapturedFraction"] as? Double == captured)
        #expect(result.stdout.contains("explore's top actions"))
        let explore = try #require(replay["explore"] as? [String: Any])
        #expect(explore["exploreShare"] as? Double == 0.2)

        let noBudget = try workspace.run(["evaluate", "actions", "--data", data] + models + ["--rounds", "2"])
        #expect(noBudget.status != 0 && noBudget.stderr.contains("--rounds compares greedy with exploring"), "\(noBudget.stderr)")
        let negative = try workspace.run(["evaluate", "actions", "--data", data] + models + ["--rounds", "-1"])
        #expect(negative.status != 0 && negative.stderr.contains("--rounds must be at least 0 (got -1)"), "\(negative.stderr)")

        // A holdout: its partners and the calibration are printed and written; it needs --rounds and a share ≤ 0.5.
        let held = try workspace.run(
            ["evaluate", "actions", "--data", data] + models
                + ["--rounds", "1", "--explore", "0.2", "--holdout", "0.1", "--json", "held.json"])
        #expect(held.status == 0, "\(held.stderr)")
        #expect(held.stdout.contains("holdout: 10.0% of partners a round get no action"), "\(held.stdout)")
        let heldJSON = try Self.jsonFile(workspace, "held.json")
        let heldReplay = try #require(heldJSON["replay"] as? [String: Any])
        #expect(heldReplay["holdoutShare"] as? Double == 0.1)
        let heldRounds = try #require((heldReplay["greedy"] as? [String: Any])?["rounds"] as? [[String: Any]])
        #expect(try #require(heldRounds[0]["heldOutPartners"] as? Int) > 0)
        #expect(heldRounds[0]["calibration"] is Double)
        let noRounds = try workspace.run(["evaluate", "actions", "--data", data] + models + ["--holdout", "0.1"])
        #expect(noRounds.status != 0 && noRounds.stderr.contains("give --rounds too"), "\(noRounds.stderr)")
        let tooMany = try workspace.run(
            ["evaluate", "actions", "--data", data] + models + ["--rounds", "1", "--explore", "0.2", "--holdout", "0.9"])
        #expect(tooMany.status != 0 && tooMany.stderr.contains("--holdout must be between 0 and 0.5"), "\(tooMany.stderr)")
    }

    @Test func oracleReplacesPartsOfTheValueByTheTruth() throws {
        let workspace = try Workspace()
        let (data, models) = Self.sampleAndModels
        let all = try workspace.run(["evaluate", "actions", "--data", data] + models + ["--oracle", "all", "--json", "all.json"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.hasPrefix("oracle: the truth in place of the actions' win-logit effects, their engagement"))
        let json = try Self.jsonFile(workspace, "all.json")
        #expect(json["oracle"] as? [String] == ["win-effects", "engagement", "win", "churn"])
        #expect(try #require(json["recommended_captured"] as? Double) > 1 - 1e-9)
        let some = try workspace.run(
            ["evaluate", "actions", "--data", data] + models + ["--oracle", "win", "--oracle", "churn", "--json", "some.json"])
        #expect(some.status == 0, "\(some.stderr)")
        let partial = try Self.jsonFile(workspace, "some.json")
        #expect(partial["oracle"] as? [String] == ["win", "churn"])
        #expect(try #require(partial["recommended_captured"] as? Double) < 0.99)

        let unknown = try workspace.run(["evaluate", "actions", "--data", data] + models + ["--oracle", "luck"])
        #expect(unknown.status != 0 && unknown.stderr.contains("luck"), "\(unknown.stderr)")
        let withRounds = try workspace.run(
            ["evaluate", "actions", "--data", data] + models + ["--oracle", "all", "--rounds", "1", "--explore", "0.2"])
        #expect(withRounds.status != 0 && withRounds.stderr.contains("give one of --oracle and --rounds"), "\(withRounds.stderr)")
    }

    /// `--oracle history-estimates` ranks with the best effect estimates the history allows, prints them beside the
    /// truth, and needs truth/pairs.csv.
    @Test func historyEstimatesOracleUsesTheTruthsPairs() throws {
        let workspace = try Workspace()
        let (data, models) = Self.sampleAndModels
        let run = try workspace.run(
            ["evaluate", "actions", "--data", data] + models + ["--oracle", "history-estimates", "--json", "c.json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("each action's win-logit effect as well as the history allows"))
        #expect(run.stdout.contains("action  estimate  std. error  treated outcomes    true"), "\(run.stdout)")
        let json = try Self.jsonFile(workspace, "c.json")
        #expect(json["oracle"] as? [String] == ["history-estimates"])
        let captured = try #require(json["recommended_captured"] as? Double)
        #expect(captured > 0 && captured <= 1)

        let copy = workspace.work.appendingPathComponent("eco")
        try FileManager.default.copyItem(atPath: data, toPath: copy.path)
        try FileManager.default.removeItem(at: copy.appendingPathComponent("truth/pairs.csv"))
        let missing = try workspace.run(
            ["evaluate", "actions", "--data", copy.path] + models + ["--oracle", "history-estimates"])
        #expect(missing.status != 0 && missing.stderr.contains("pairs.csv"), "\(missing.stderr)")
        let plain = try workspace.run(["evaluate", "actions", "--data", copy.path] + models)
        #expect(plain.status == 0, "\(plain.stderr)")
    }

    @Test func badInputFailsWithFileLineAndColumnAndWritesNothing() throws {
        let workspace = try Workspace()
        try workspace.write("recs.csv", "old\n")
        var catalogue = try String(contentsOfFile: Self.sample("actions.csv"), encoding: .utf8)
        catalogue = catalogue.replacingOccurrences(of: "trainings_completed=+1\n", with: "charisma=+1\n")
        try workspace.write("actions.csv", catalogue)
        let effect = try workspace.run(
            ["recommend"] + Self.inputs(actions: "actions.csv") + ["--out", "recs.csv", "--todo", "todo.csv"])
        #expect(effect.status == 1)
        #expect(
            effect.errorLines == [
                "error: actions.csv:4: column 'effects': 'charisma=1' names an unknown attribute (use portal_logins, "
                    + "trainings_completed, deal_registrations, marketing_funds_used, revenue, quality)"
            ], "\(effect.stderr)")
        #expect(try workspace.read("recs.csv") == "old\n")
        #expect(!workspace.exists("todo.csv"))
        #expect(try workspace.files() == ["recs.csv", "actions.csv"])

        var activity = try String(contentsOfFile: Self.sample("activity.csv"), encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false
        ).map(String.init)
        activity[6] = activity[6].replacingOccurrences(of: ",false", with: ",maybe")
        try workspace.write("activity.csv", activity.joined(separator: "\n"))
        let bad = try workspace.run(["recommend"] + Self.inputs(activity: "activity.csv") + ["--out", "recs.csv"])
        #expect(bad.status == 1)
        #expect(bad.errorLines.first?.hasPrefix("error: activity.csv:7: column 'churned_next': 'maybe'") == true, "\(bad.stderr)")

        let top = try workspace.run(["recommend"] + Self.inputs() + ["--top", "0", "--out", "recs.csv"])
        #expect(top.status != 0 && top.stderr.contains("--top must be at least 1 (got 0)"), "\(top.stderr)")
        let risk = try workspace.run(["recommend"] + Self.inputs() + ["--high-risk", "1.5", "--out", "recs.csv"])
        #expect(risk.status != 0 && risk.stderr.contains("--high-risk must be a probability in [0, 1] (got 1.5)"))
        let asOf = try workspace.run(["recommend"] + Self.inputs() + ["--as-of", "soon", "--out", "recs.csv"])
        #expect(asOf.status != 0 && asOf.stderr.contains("--as-of must be a date"))
        let noModel = try workspace.run(
            ["recommend"] + Self.inputs() + ["--match-model", "missing.json", "--out", "recs.csv"])
        #expect(noModel.status == 1 && noModel.errorLines == ["error: missing.json: no such file"], "\(noModel.stderr)")
        let noTruth = try workspace.run([
            "evaluate", "actions", "--data", "nowhere", "--match-model", Self.model("match.json"), "--churn-model",
            Self.model("churn.json"),
        ])
        #expect(noTruth.status == 1 && noTruth.errorLines.first?.contains("nowhere/partners.csv") == true)
        #expect(try workspace.read("recs.csv") == "old\n")
    }
}
