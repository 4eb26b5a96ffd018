import Foundation
import LinearAlgebra
import Testing
import TestSupport

// These tests run the real `switchboard` executable (`train churn`, `predict churn`) as a subprocess, each in a
// folder of its own, as CLITests.swift does.

extension Workspace {
    /// Writes `activity.csv` and `partners.csv` and trains `churn.json` on them.
    func trainChurnModel(partners: Bool = true) throws {
        try write("activity.csv", activityCSV(activityRows(seed: 1)))
        try write("partners.csv", partnersCSV(partnerCount: 80))
        let result = try run(
            ["train", "churn", "--activity", "activity.csv", "--out", "churn.json", "--cv", "3"]
                + (partners ? ["--partners", "partners.csv"] : []))
        #expect(result.status == 0, "training failed: \(result.stderr)")
    }
}

// MARK: - Data

private let activityHeader = [
    "partner_id", "period", "portal_logins", "trainings_completed", "deal_registrations", "marketing_funds_used",
    "revenue", "churned_next",
]

/// 80 partners over periods 0–7 (some joining late); churn more likely when logins are low. A partner has no rows
/// after the period it churns in. Rows are in period order, partners interleaved.
private func activityRows(seed: UInt64, partnerCount: Int = 80) -> [[String]] {
    var rng = SeededGenerator(seed: seed)
    var engagement = (0..<partnerCount).map { _ in rng.nextGaussian() }
    let starts = (0..<partnerCount).map { _ in Int(rng.next() % 3) }
    var gone = Set<Int>()
    var rows: [[String]] = []
    for period in 0..<8 {
        for partner in 0..<partnerCount where starts[partner] <= period && !gone.contains(partner) {
            engagement[partner] += 0.3 * rng.nextGaussian() - 0.05
            let logins = (exp(2 + engagement[partner] + 0.3 * rng.nextGaussian())).rounded()
            let revenue = (exp(8 + engagement[partner] + 0.5 * rng.nextGaussian())).rounded()
            let churned = rng.nextUniform() < Kernels.sigmoid(-2 - 1.2 * (log1p(logins) - 2))
            if churned { gone.insert(partner) }
            rows.append([
                partnerID(partner), "\(period)", "\(Int(logins))", "\(Int(rng.next() % 4))", "\(Int(rng.next() % 6))",
                "\(Int(rng.next() % 2000))", "\(Int(revenue))", churned ? "yes" : "no",
            ])
        }
    }
    return rows
}

private func partnerID(_ index: Int) -> String { "P" + String(1000 + index).dropFirst() }

private func activityCSV(_ rows: [[String]], header: [String] = activityHeader) -> String {
    ([header] + rows).map { $0.joined(separator: ",") + "\n" }.joined()
}

private func partnersCSV(partnerCount: Int) -> String {
    let header = [
        "id", "name", "type", "tier", "region", "country", "verticals", "technologies", "certifications", "capacity",
        "open_leads", "status", "manager_id", "joined", "portal_logins", "trainings_completed", "deal_registrations",
        "marketing_funds_used", "revenue_12m",
    ]
    let types = ["reseller", "msp", "system integrator", "isv"], tiers = ["platinum", "gold", "silver", "registered"]
    var text = header.joined(separator: ",") + "\n"
    for index in 0..<partnerCount {
        text +=
            "\(partnerID(index)),Partner \(index),\(types[index % 4]),\(tiers[(index / 4) % 4]),EMEA,DE,finance,cloud,,10,2,active,M1,2023-01-01,40,2,5,1000,250000\n"
    }
    return text
}

/// Minimal CSV reading for output without quoted fields.
private func csvLines(_ text: String) -> (header: [String], rows: [[String]]) {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.last == "", "the output ends with a line break")
    let records = lines.dropLast().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    return (records.first ?? [], Array(records.dropFirst()))
}

// MARK: - Tests

@Suite("CLI: churn")
struct ChurnCLITests {
    @Test func trainThenPredictRanksEveryPartnerAtItsLatestPeriod() throws {
        let workspace = try Workspace()
        try workspace.trainChurnModel()
        let model = try #require(
            try JSONSerialization.jsonObject(with: Data(workspace.read("churn.json").utf8)) as? [String: Any])
        #expect((model["header"] as? [String: Any])?["kind"] as? String == "churn-logistic")
        #expect(model["usesPartnerAttributes"] as? Bool == true)
        let featureNames = try #require(model["featureNames"] as? [String])
        #expect(featureNames.count == 22 && featureNames.contains("tier=gold") && featureNames.contains("revenue_trend"))
        let crossValidation = (model["metrics"] as? [String: Any])?["crossValidation"] as? [String: Any]
        #expect((crossValidation?["folds"] as? [Any])?.count == 3)

        let result = try workspace.run(
            [
                "predict", "churn", "--model", "churn.json", "--activity", "activity.csv", "--partners", "partners.csv",
                "--out", "risk.csv", "--top", "2",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let (header, rows) = csvLines(try workspace.read("risk.csv"))
        #expect(
            header == ["partner_id", "period", "churn_risk", "factor_1", "contribution_1", "factor_2", "contribution_2"])
        // One row a partner, at its latest period, leaving out partners whose latest row says they churned.
        var everyLatest: [String: (period: Int, churned: Bool)] = [:]
        for row in activityRows(seed: 1) where Int(row[1])! >= (everyLatest[row[0]]?.period ?? -1) {
            everyLatest[row[0]] = (Int(row[1])!, row.last! == "yes")
        }
        let latest = everyLatest.filter { !$0.value.churned }.mapValues(\.period)
        let gone = everyLatest.count - latest.count
        #expect(gone > 0 && !latest.isEmpty)
        #expect(rows.count == latest.count)
        #expect(
            result.stdout.contains(
                "wrote the churn risk of \(latest.count) partners to risk.csv (\(gone) that already churned left out)"))
        #expect(Dictionary(uniqueKeysWithValues: rows.map { ($0[0], Int($0[1])!) }) == latest)
        let risks = try rows.map { try #require(Double($0[2])) }
        #expect(risks.allSatisfy { $0 > 0 && $0 < 1 })
        for (index, (earlier, later)) in zip(rows, rows.dropFirst()).enumerated() {
            #expect(risks[index] > risks[index + 1] || (risks[index] == risks[index + 1] && earlier[0] < later[0]))
        }
        for row in rows {
            #expect(row.count == 7)
            #expect(featureNames.contains(row[3]) && featureNames.contains(row[5]) && row[3] != row[5])
            let first = try #require(Double(row[4])), second = try #require(Double(row[6]))
            #expect(abs(first) >= abs(second))
        }
        // Full precision, as `predict` prints probabilities: the printed risk reads back to the same Double.
        #expect(rows.contains { $0[2].count > 10 })

        // The same to standard output, and without the churned_next column (scoring time: the outcome is unknown).
        let toStdout = try workspace.run(
            [
                "predict", "churn", "--model", "churn.json", "--activity", "activity.csv", "--partners", "partners.csv",
                "--out", "-", "--top", "2",
            ])
        #expect(toStdout.status == 0, "\(toStdout.stderr)")
        #expect(toStdout.stdout == (try workspace.read("risk.csv")))
        try workspace.write(
            "current.csv",
            activityCSV(activityRows(seed: 1).map { Array($0.dropLast()) }, header: Array(activityHeader.dropLast())))
        let unlabelled = try workspace.run(
            [
                "predict", "churn", "--model", "churn.json", "--activity", "current.csv", "--partners", "partners.csv",
                "--out", "-", "--top", "2",
            ])
        #expect(unlabelled.status == 0, "\(unlabelled.stderr)")
        // Without labels no churn is known, so every partner is scored; those scored above score the same (to
        // rounding: BLAS may sum a row's products in another order when it sits elsewhere in the batch).
        let (_, unlabelledRows) = csvLines(unlabelled.stdout)
        #expect(unlabelledRows.count == everyLatest.count)
        let scored = Dictionary(uniqueKeysWithValues: rows.map { ($0[0], $0) })
        for row in unlabelledRows where latest[row[0]] != nil {
            let other = try #require(scored[row[0]])
            #expect([row[1], row[3], row[5]] == [other[1], other[3], other[5]], "\(row) vs \(other)")
            for column in [2, 4, 6] {
                let a = try #require(Double(row[column])), b = try #require(Double(other[column]))
                #expect(abs(a - b) <= 1e-13 * max(1, abs(b)), "\(row) vs \(other)")
            }
        }
    }

    /// On the sample, the sign constraint holds five engagement coefficients at 0 and says which; `--free-signs` lifts
    /// it, and four of them come out positive.
    @Test func engagementCoefficientsAreKeptAtOrBelowZero() throws {
        let workspace = try Workspace()
        let arguments = [
            "train", "churn", "--activity", ScoreCLITests.path("Data/ecosystem/activity.csv"), "--partners",
            ScoreCLITests.path("Data/ecosystem/partners.csv"), "--cv", "0",
        ]
        let held = [
            "trainings_completed", "marketing_funds_used", "revenue", "trainings_completed_trend", "revenue_trend",
        ]
        let constrained = try workspace.run(arguments + ["--out", "c.json"])
        #expect(constrained.status == 0, "\(constrained.stderr)")
        #expect(
            constrained.stdout.contains("held at 0 (engagement may not raise the risk): " + held.joined(separator: ", ")))
        let free = try workspace.run(arguments + ["--free-signs", "--out", "f.json"])
        #expect(free.status == 0 && !free.stdout.contains("held at 0"), "\(free.stderr)")
        func coefficients(_ file: String) throws -> [String: Double] {
            let object = try JSONSerialization.jsonObject(with: Data(try workspace.read(file).utf8)) as? [String: Any]
            let names = try #require(object?["featureNames"] as? [String])
            let values = try #require(object?["coefficients"] as? [Double])
            return Dictionary(uniqueKeysWithValues: zip(names, values))
        }
        let c = try coefficients("c.json"), f = try coefficients("f.json")
        for name in held { #expect(c[name] == 0, "\(name)") }
        // Free, these come out positive (revenue's goes slightly negative once the others are free too).
        for name in ["trainings_completed", "marketing_funds_used", "trainings_completed_trend", "revenue_trend"] {
            #expect(f[name]! > 0, "\(name)")
        }
        for name in ["portal_logins", "deal_registrations", "portal_logins_trend", "deal_registrations_trend"] {
            #expect(c[name]! < 0, "\(name)")
        }
    }

    @Test func trainPrintsTheForwardChainingFolds() throws {
        let workspace = try Workspace()
        try workspace.write("activity.csv", activityCSV(activityRows(seed: 2)))
        let result = try workspace.run(["train", "churn", "--activity", "activity.csv", "--out", "churn.json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("forward-chaining cross-validation, 5 folds"))
        for fragment in ["ROC AUC", "PR AUC (average precision)", "log loss", "Brier score", "on the training rows"] {
            #expect(result.stdout.contains(fragment), "\(fragment)")
        }
        #expect(result.stdout.contains("features 11,"))
        #expect(result.stdout.contains("wrote churn.json"))
        #expect(try workspace.files() == ["activity.csv", "churn.json"])
        // Without partner attributes, predict needs no partners file; the default is three factors.
        let predict = try workspace.run(
            ["predict", "churn", "--model", "churn.json", "--activity", "activity.csv", "--out", "-"])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(csvLines(predict.stdout).header.count == 3 + 2 * 3)
    }

    @Test(arguments: churnFailures)
    func aFailingRunSaysWhereAndWritesNothing(_ failure: ChurnFailure) throws {
        let workspace = try Workspace()
        if failure.needsModel { try workspace.trainChurnModel() }
        for (name, text) in failure.files { try workspace.write(name, text) }
        let before = try workspace.files()
        let modelBefore = failure.needsModel ? try workspace.read("churn.json") : nil

        let result = try workspace.run(failure.arguments)

        expectFailedRun(result, isUsageError: failure.isUsageError)
        for fragment in failure.diagnostics {
            #expect(result.stderr.contains(fragment), "stderr should contain \"\(fragment)\": \(result.stderr)")
        }
        #expect(try workspace.files() == before)
        if let modelBefore { #expect(try workspace.read("churn.json") == modelBefore) }
    }
}

/// A churn command that must fail: non-zero exit, a diagnostic on stderr, nothing written.
struct ChurnFailure: Sendable, CustomTestStringConvertible {
    var name: String
    var files: [String: String] = [:]
    /// Train `churn.json` (with partners) first.
    var needsModel = false
    var arguments: [String]
    var diagnostics: [String]
    var isUsageError = false

    var testDescription: String { name }
}

private let churnFailures: [ChurnFailure] = {
    let rows = activityRows(seed: 1)
    func replacing(_ row: Int, _ column: Int, with value: String) -> String {
        var edited = rows
        edited[row][column] = value
        return activityCSV(edited)
    }
    let partners = partnersCSV(partnerCount: 80)
    let train = ["train", "churn", "--activity", "activity.csv", "--out", "churn.json"]
    let predict = ["predict", "churn", "--model", "churn.json", "--activity", "activity.csv", "--out", "risk.csv"]
    return [
        FailingChurn.unknownPartner(rows: rows, partners: partners, train: train),
        ChurnFailure(
            name: "train churn: text in a figure", files: ["activity.csv": replacing(1, 2, with: "many")],
            arguments: train, diagnostics: ["activity.csv:3: column 'portal_logins': expected a number, got 'many'"]),
        ChurnFailure(
            name: "train churn: negative period", files: ["activity.csv": replacing(4, 1, with: "-1")],
            arguments: train, diagnostics: ["activity.csv:6: column 'period': '-1' must be at least 0"]),
        ChurnFailure(
            name: "train churn: one class",
            files: ["activity.csv": activityCSV(rows.map { Array($0.dropLast()) + ["no"] })], arguments: train,
            diagnostics: ["activity.csv: ", "every row has the label negative"]),
        ChurnFailure(
            name: "train churn: no rows", files: ["activity.csv": activityCSV([])], arguments: train,
            diagnostics: ["activity.csv: no activity rows"]),
        ChurnFailure(
            name: "train churn: more folds than periods allow", files: ["activity.csv": activityCSV(rows)],
            arguments: train + ["--cv", "8"], diagnostics: ["activity.csv: --cv", "8 distinct periods", "(got 8)"]),
        ChurnFailure(
            name: "train churn: --cv 1", files: ["activity.csv": activityCSV(rows)], arguments: train + ["--cv", "1"],
            diagnostics: ["--cv must be at least 2, or 0 for none (got 1)"], isUsageError: true),
        ChurnFailure(
            name: "train churn: --l2 -1", files: ["activity.csv": activityCSV(rows)], arguments: train + ["--l2", "-1"],
            diagnostics: ["--l2 must be finite and >= 0 (got -1.0)"], isUsageError: true),
        ChurnFailure(
            name: "predict churn: the model needs the partners file", needsModel: true, arguments: predict,
            diagnostics: ["churn.json: the model uses partner tier and type", "--partners"]),
        ChurnFailure(
            name: "predict churn: unknown partner",
            files: ["more.csv": activityCSV(rows + [["P999", "3", "1", "1", "1", "1", "1", ""]])],
            needsModel: true,
            arguments: [
                "predict", "churn", "--model", "churn.json", "--activity", "more.csv", "--partners", "partners.csv", "--out",
                "risk.csv",
            ],
            diagnostics: ["more.csv:\(rows.count + 2): column 'partner_id': 'P999' does not exist in partners.csv"]),
        ChurnFailure(
            name: "predict (tabular) with a churn model", files: ["data.csv": "a,b\n1,2\n"], needsModel: true,
            arguments: ["predict", "--model", "churn.json", "--data", "data.csv", "--out", "p.csv"],
            diagnostics: ["churn.json: holds a 'churn-logistic' model; this command needs a 'tabular-logistic' model"]),
        ChurnFailure(
            name: "predict churn: --top -1", needsModel: true, arguments: predict + ["--top=-1"],
            diagnostics: ["--top must be >= 0 (got -1)"], isUsageError: true),
    ]
}()

private enum FailingChurn {
    /// A partner id on line 7 of the activity file that the partners file does not hold.
    static func unknownPartner(rows: [[String]], partners: String, train: [String]) -> ChurnFailure {
        var edited = rows
        edited[5][0] = "P404"
        return ChurnFailure(
            name: "train churn: unknown partner id", files: ["activity.csv": activityCSV(edited), "partners.csv": partners],
            arguments: train + ["--partners", "partners.csv"],
            diagnostics: ["activity.csv:7: column 'partner_id': 'P404' does not exist in partners.csv"])
    }
}
