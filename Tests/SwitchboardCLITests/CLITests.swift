import Foundation
import LinearAlgebra
import Testing
import TestSupport

// These tests run the real `switchboard` executable as a subprocess, each in a folder of its own.

extension Workspace {
    /// Writes `train.csv` and trains `model.json` from it.
    func trainModel() throws {
        try write("train.csv", csv(customerRows(seed: 1, count: 300)))
        let result = try run(["train", "--data", "train.csv", "--target", "churned", "--out", "model.json"])
        #expect(result.status == 0, "training failed: \(result.stderr)")
    }
}

// MARK: - Data

private let customerHeader = ["id", "age", "monthly_spend", "plan", "region", "churned"]

/// Customers with a churn signal in age, spend and plan; `id` is a distinct string on every row.
private func customerRows(seed: UInt64, count: Int) -> [[String]] {
    var rng = SeededGenerator(seed: seed)
    let plans = ["basic", "plus", "pro"], regions = ["north", "south", "east", "west"]
    return (0..<count).map { row in
        let age = (18 + 60 * rng.nextUniform()).rounded()
        let spend = ((20 + 180 * rng.nextUniform()) * 100).rounded() / 100
        let plan = plans[Int(rng.next() % 3)], region = regions[Int(rng.next() % 4)]
        let margin = 2 - 0.05 * age + 0.01 * (spend - 100) + (plan == "basic" ? 1 : plan == "pro" ? -1 : 0)
        let churned = rng.nextUniform() < Kernels.sigmoid(margin)
        return ["c\(seed)-\(1000 + row)", "\(Int(age))", "\(spend)", plan, region, churned ? "yes" : "no"]
    }
}

/// The features the encoder makes of `customerHeader` (the id left out as an identifier).
private let expectedFeatureNames = [
    "age", "monthly_spend", "plan=basic", "plan=plus", "plan=pro",
    "region=east", "region=north", "region=south", "region=west",
]

/// RFC 4180 CSV text: fields quoted when they hold a comma, quote or line break.
private func csv(_ rows: [[String]], header: [String] = customerHeader) -> String {
    func field(_ s: String) -> String {
        s.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
    return ([header] + rows).map { $0.map(field).joined(separator: ",") + "\n" }.joined()
}

/// `text` with the first digit after `"coefficients" : [` changed to another digit.
private func editingFirstCoefficient(_ text: String) throws -> String {
    let marker = try #require(text.range(of: "\"coefficients\" : ["))
    let digit = try #require(text[marker.upperBound...].firstIndex { $0.isNumber })
    let old = text[digit].wholeNumberValue!
    var edited = text
    edited.replaceSubrange(digit...digit, with: String(old == 9 ? 8 : old + 1))
    return edited
}

// MARK: - Failing runs

/// A run that must fail: non-zero exit, a diagnostic on stderr, and no file written or left behind.
struct FailingRun: Sendable, CustomTestStringConvertible {
    var name: String
    /// Inputs written to the work folder before the run.
    var files: [String: String] = [:]
    /// Train `model.json` (from `train.csv`) first.
    var needsModel = false
    /// Change one digit of a coefficient in `model.json` after training.
    var corruptsModel = false
    var arguments: [String]
    /// Text that must appear on stderr (the file, `file:line:`, the column…).
    var diagnostics: [String]
    /// An argument-parser validation error (printed as `Error: …` with a usage line), not a library error.
    var isUsageError = false

    var testDescription: String { name }
}

private let scoreRowsWithMultiLineID: [[String]] = {
    // Record 0 spans lines 2–3, so record k ≥ 1 starts on line k + 3.
    var rows = customerRows(seed: 3, count: 20)
    rows[0][0] = "c3-first\nsecond line"
    return rows
}()

private func replacing(_ rows: [[String]], row: Int, column: Int, with value: String) -> [[String]] {
    var rows = rows
    rows[row][column] = value
    return rows
}

private let failingRuns: [FailingRun] = {
    let training = customerRows(seed: 1, count: 300)
    var ragged = training
    ragged[9].removeLast()  // record 9 is on line 11
    let train = ["train", "--target", "churned", "--out", "model.json"]
    let predict = ["predict", "--model", "model.json", "--id", "id", "--out", "predictions.csv"]
    return [
        FailingRun(
            name: "train: ragged row", files: ["ragged.csv": csv(ragged)], arguments: train + ["--data", "ragged.csv"],
            diagnostics: ["ragged.csv:11:", "'churned'", "expected 6 fields, found 5"]),
        FailingRun(
            name: "train: missing target column", files: ["train.csv": csv(training)],
            arguments: ["train", "--data", "train.csv", "--target", "outcome", "--out", "model.json"],
            diagnostics: ["train.csv:", "missing column 'outcome'"]),
        FailingRun(
            name: "train: target with three values",
            files: ["three.csv": csv(replacing(training, row: 10, column: 5, with: "maybe"))],
            arguments: train + ["--data", "three.csv"],
            diagnostics: ["three.csv:", "'churned'", "'maybe'", "exactly two values"]),
        FailingRun(
            name: "train: NaN in a numeric column",
            files: ["nan.csv": csv(replacing(training, row: 4, column: 2, with: "NaN"))],
            arguments: train + ["--data", "nan.csv"],
            diagnostics: ["nan.csv:6:", "'monthly_spend'", "non-finite number 'NaN'"]),
        FailingRun(
            name: "train: mostly numeric column",
            files: ["mostly.csv": csv(replacing(training, row: 20, column: 1, with: "n/a"))],
            arguments: train + ["--data", "mostly.csv"],
            diagnostics: ["mostly.csv:22:", "'age'", "'n/a'", "--categorical age"]),
        FailingRun(
            name: "train: empty file", files: ["empty.csv": ""], arguments: train + ["--data", "empty.csv"],
            diagnostics: ["empty.csv:1:", "empty"]),
        FailingRun(
            name: "train: missing input file", arguments: train + ["--data", "missing.csv"],
            diagnostics: ["missing.csv", "no such file"]),
        FailingRun(
            name: "train: output folder does not exist", files: ["train.csv": csv(training)],
            arguments: ["train", "--data", "train.csv", "--target", "churned", "--out", "nowhere/model.json"],
            diagnostics: ["nowhere/model.json", "does not exist"]),
        FailingRun(
            name: "train: --l2 -1", files: ["train.csv": csv(training)],
            arguments: train + ["--data", "train.csv", "--l2", "-1"],
            diagnostics: ["--l2 must be finite and >= 0 (got -1.0)"], isUsageError: true),
        FailingRun(
            name: "train: --l2=-1", files: ["train.csv": csv(training)],
            arguments: train + ["--data", "train.csv", "--l2=-1"],
            diagnostics: ["--l2 must be finite and >= 0 (got -1.0)"], isUsageError: true),
        FailingRun(
            name: "train: --cv 1", files: ["train.csv": csv(training)],
            arguments: train + ["--data", "train.csv", "--cv", "1"],
            diagnostics: ["--cv must be at least 2 (got 1)"], isUsageError: true),
        FailingRun(
            name: "predict: text in a numeric column",
            files: ["score.csv": csv(replacing(scoreRowsWithMultiLineID, row: 7, column: 1, with: "forty"))],
            needsModel: true, arguments: predict + ["--data", "score.csv"],
            diagnostics: ["score.csv:10:", "'age'", "expected a number, got 'forty'"]),
        FailingRun(
            name: "predict: NaN in a numeric column",
            files: ["score.csv": csv(replacing(scoreRowsWithMultiLineID, row: 12, column: 2, with: "nan"))],
            needsModel: true, arguments: predict + ["--data", "score.csv"],
            diagnostics: ["score.csv:15:", "'monthly_spend'", "non-finite number 'nan'"]),
        FailingRun(
            name: "predict: missing cell",
            files: ["score.csv": csv(replacing(scoreRowsWithMultiLineID, row: 5, column: 3, with: ""))],
            needsModel: true, arguments: predict + ["--data", "score.csv"],
            diagnostics: ["score.csv:8:", "'plan'", "missing value"]),
        FailingRun(
            name: "predict: a model column is missing",
            files: [
                "score.csv": csv(
                    customerRows(seed: 3, count: 5).map { Array($0.prefix(3)) },
                    header: Array(customerHeader.prefix(3)))
            ],
            needsModel: true, arguments: predict + ["--data", "score.csv"],
            diagnostics: ["score.csv:", "missing column 'plan'"]),
        FailingRun(
            name: "predict: empty file", files: ["score.csv": ""], needsModel: true,
            arguments: predict + ["--data", "score.csv"], diagnostics: ["score.csv:1:", "empty"]),
        FailingRun(
            name: "predict: missing input file", needsModel: true, arguments: predict + ["--data", "absent.csv"],
            diagnostics: ["absent.csv", "no such file"]),
        FailingRun(
            name: "predict: missing model file", files: ["score.csv": csv(customerRows(seed: 3, count: 5))],
            arguments: predict + ["--data", "score.csv"], diagnostics: ["model.json", "no such file"]),
        FailingRun(
            name: "predict: corrupted model", files: ["score.csv": csv(customerRows(seed: 3, count: 5))],
            needsModel: true, corruptsModel: true, arguments: predict + ["--data", "score.csv"],
            diagnostics: ["model.json:", "corrupted model file", "checksum"]),
        FailingRun(
            name: "predict: a CSV file as the model", files: ["score.csv": csv(customerRows(seed: 3, count: 5))],
            needsModel: true,
            arguments: ["predict", "--model", "score.csv", "--data", "score.csv", "--out", "predictions.csv"],
            diagnostics: ["score.csv:", "not a Switchboard model file"]),
        FailingRun(
            name: "predict: output folder does not exist", files: ["score.csv": csv(customerRows(seed: 3, count: 5))],
            needsModel: true,
            arguments: ["predict", "--model", "model.json", "--data", "score.csv", "--out", "nowhere/predictions.csv"],
            diagnostics: ["nowhere/predictions.csv", "does not exist"]),
        FailingRun(
            name: "predict: --id names no column", files: ["score.csv": csv(customerRows(seed: 3, count: 5))],
            needsModel: true,
            arguments: ["predict", "--model", "model.json", "--data", "score.csv", "--id", "key", "--out", "p.csv"],
            diagnostics: ["score.csv:", "missing column 'key'"]),
        FailingRun(
            name: "evaluate: third target value",
            files: ["labelled.csv": csv(replacing(scoreRowsWithMultiLineID, row: 3, column: 5, with: "unsure"))],
            needsModel: true,
            arguments: ["evaluate", "--model", "model.json", "--data", "labelled.csv", "--json", "metrics.json"],
            diagnostics: ["labelled.csv:6:", "'churned'", "'unsure'"]),
        FailingRun(
            name: "encode: text in a numeric column",
            files: ["score.csv": csv(replacing(scoreRowsWithMultiLineID, row: 7, column: 1, with: "forty"))],
            needsModel: true,
            arguments: ["encode", "--model", "model.json", "--data", "score.csv", "--out", "design.csv"],
            diagnostics: ["score.csv:10:", "'age'", "'forty'"]),
    ]
}()

// MARK: - Tests

@Suite("switchboard CLI")
struct CLITests {

    @Test func generateWritesBothOutputsOrNeither() throws {
        let workspace = try Workspace()
        let failed = try workspace.run([
            "generate", "leads", "--rows", "20", "--out", "leads.csv", "--truth", "missing/truth.csv",
        ])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("error: --truth missing/truth.csv: the folder missing does not exist"))
        #expect(try workspace.files().isEmpty, "a failed run leaves no output and no temporary file")
        let done = try workspace.run(["generate", "leads", "--rows", "20", "--out", "leads.csv", "--truth", "truth.csv"])
        #expect(done.status == 0, "\(done.stderr)")
        #expect(try workspace.files() == ["leads.csv", "truth.csv"])
        #expect(try workspace.read("truth.csv").split(separator: "\n").count == 21)
    }
    @Test func theExecutableIsFound() throws {
        let url = try switchboardExecutable()
        #expect(url.lastPathComponent == "switchboard")
    }

    @Test func trainWritesAModelAndReportsCrossValidation() throws {
        let workspace = try Workspace()
        try workspace.write("train.csv", csv(customerRows(seed: 1, count: 300)))
        let result = try workspace.run(
            ["train", "--data", "train.csv", "--target", "churned", "--out", "model.json", "--cv", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("3-fold cross-validation"))
        #expect(result.stdout.contains("ROC AUC"))
        #expect(result.stdout.contains("rows 300"))
        #expect(result.stdout.contains("wrote model.json"))
        #expect(result.stderr.contains("warning: column 'id'"), "the id column is reported as an identifier")
        #expect(result.errorLines.isEmpty)
        #expect(try workspace.files() == ["train.csv", "model.json"])

        let model = try #require(
            try JSONSerialization.jsonObject(with: Data(workspace.read("model.json").utf8)) as? [String: Any])
        let header = try #require(model["header"] as? [String: Any])
        #expect(header["format"] as? String == "switchboard-model")
        #expect(header["kind"] as? String == "tabular-logistic")
        #expect(model["featureNames"] as? [String] == expectedFeatureNames)
        let crossValidation = (model["metrics"] as? [String: Any])?["crossValidation"] as? [String: Any]
        #expect((crossValidation?["folds"] as? [Any])?.count == 3)
        let auc = try #require((crossValidation?["rocAUC"] as? [String: Any])?["mean"] as? Double)
        #expect(auc > 0.7, "there is signal in the data")
    }

    @Test func anAdditiveModelExplainsEachRowAndPrintsItsShapes() throws {
        let workspace = try Workspace()
        try workspace.write("train.csv", csv(customerRows(seed: 1, count: 300)))
        let trained = try workspace.run([
            "train", "--data", "train.csv", "--target", "churned", "--shape", "additive", "--interactions", "1",
            "--out", "model.json", "--shapes", "shapes.csv",
        ])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stdout.contains("chosen by inner 3-fold cross-validation"))
        #expect(trained.stdout.contains("wrote shapes.csv"))
        let shapes = try CSVText(try workspace.read("shapes.csv"))
        #expect(shapes.header == ["term", "input", "log_odds"])
        #expect(Set(shapes.rows.map { $0[0] }).isSuperset(of: ["age", "monthly_spend", "plan", "region"]))
        let svg = try workspace.run([
            "train", "--data", "train.csv", "--target", "churned", "--shape", "additive", "--out", "model2.json",
            "--shapes", "shapes.svg",
        ])
        #expect(svg.status == 0, "\(svg.stderr)")
        #expect(try workspace.read("shapes.svg").hasPrefix("<svg "))

        try workspace.write("score.csv", csv(customerRows(seed: 5, count: 12)))
        let plain = try workspace.run(["predict", "--model", "model.json", "--data", "score.csv", "--out", "p.csv"])
        let explained = try workspace.run([
            "predict", "--model", "model.json", "--data", "score.csv", "--id", "id", "--explain", "2", "--out", "e.csv",
        ])
        #expect(plain.status == 0 && explained.status == 0, "\(explained.stderr)")
        let output = try CSVText(try workspace.read("e.csv"))
        #expect(output.header == ["id", "probability", "reason_1", "reason_2"])
        #expect(output.rows.map { $0[1] } == (try CSVText(try workspace.read("p.csv"))).rows.map { $0[0] })
        for row in output.rows {
            for reason in row[2...] {
                #expect(reason.range(of: #": [+−][0-9]+\.[0-9]{2}$"#, options: .regularExpression) != nil, "\(reason)")
            }
        }
    }

    /// `shapes` on a saved model writes the very bytes `train --shapes` wrote for it (CSV, SVG and standard output),
    /// for an additive model and for a plain one (each numeric column a straight line, each category a point).
    @Test(arguments: ["additive", "linear"])
    func shapesOfASavedModelAreTheBytesTrainWrote(shape: String) throws {
        let workspace = try Workspace()
        try workspace.write("train.csv", csv(customerRows(seed: 3, count: 300)))
        func bytes(_ name: String) throws -> Data { try Data(contentsOf: workspace.work.appendingPathComponent(name)) }
        let interactions = shape == "additive" ? ["--interactions", "1"] : []
        for format in ["csv", "svg"] {
            let trained = try workspace.run(
                ["train", "--data", "train.csv", "--target", "churned", "--shape", shape] + interactions + [
                    "--out", "model-\(format).json", "--shapes", "trained.\(format)",
                ])
            #expect(trained.status == 0, "\(trained.stderr)")
            // Inner cross-validation ran only for the additive model: its out-of-fold calibration is in the summary.
            #expect(trained.stdout.contains("held-out calibration") == (shape == "additive"), "\(trained.stdout)")
            let printed = try workspace.run(["shapes", "--model", "model-\(format).json", "--out", "printed.\(format)"])
            #expect(printed.status == 0, "\(printed.stderr)")
            #expect(printed.stdout.contains("wrote") && printed.stdout.contains("printed.\(format)"))
            #expect(try bytes("printed.\(format)") == bytes("trained.\(format)"))
            #expect(try !bytes("printed.\(format)").isEmpty)
        }
        #expect(try workspace.read("printed.svg").hasPrefix("<svg "))
        let piped = try workspace.run(["shapes", "--model", "model-csv.json", "--out", "-"])
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(Data(piped.stdout.utf8) == (try bytes("trained.csv")))
        let table = try CSVText(piped.stdout)
        #expect(table.header == ["term", "input", "log_odds"])
        #expect(Set(table.rows.map { $0[0] }).isSuperset(of: ["age", "monthly_spend", "plan", "region"]))
        if shape == "linear" {
            // A straight line: equal steps of the input give equal steps of the log-odds.
            let age = table.rows.filter { $0[0] == "age" }.compactMap { Double($0[2]) }
            #expect(age.count == 12)
            let steps = zip(age.dropFirst(), age).map { $0 - $1 }
            #expect(steps.allSatisfy { abs($0 - steps[0]) < 3e-6 }, "\(steps)")
            #expect(abs(steps[0]) > 1e-4, "age has an effect")
        }
    }

    @Test func predictWritesOneProbabilityPerRowInInputOrder() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        var rng = SeededGenerator(seed: 4)
        let rows = scoreRowsWithMultiLineID.shuffled(using: &rng)
        try workspace.write("score.csv", csv(rows))
        let result = try workspace.run(
            ["predict", "--model", "model.json", "--data", "score.csv", "--id", "id", "--out", "predictions.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote \(rows.count) probabilities to predictions.csv"))
        #expect(try workspace.files() == ["train.csv", "model.json", "score.csv", "predictions.csv"])

        let output = try CSVText(try workspace.read("predictions.csv"))
        #expect(output.header == ["id", "probability"])
        #expect(output.rows.count == rows.count)
        #expect(output.rows.map { $0[0] } == rows.map { $0[0] })
        for row in output.rows {
            let probability = try #require(Double(row[1]), "'\(row[1])' is a number")
            #expect(probability >= 0 && probability <= 1)
        }
    }

    @Test func predictWithoutAnIDWritesOnlyProbabilities() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        try workspace.write("score.csv", csv(customerRows(seed: 5, count: 12)))
        let result = try workspace.run(["predict", "--model", "model.json", "--data", "score.csv", "--out", "p.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        let output = try CSVText(try workspace.read("p.csv"))
        #expect(output.header == ["probability"])
        #expect(output.rows.count == 12)
    }

    @Test func predictToStandardOutput() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        try workspace.write("score.csv", csv(customerRows(seed: 6, count: 25)))
        let toFile = try workspace.run(
            ["predict", "--model", "model.json", "--data", "score.csv", "--id", "id", "--out", "predictions.csv"])
        #expect(toFile.status == 0, "\(toFile.stderr)")
        let toStdout = try workspace.run(["predict", "--model", "model.json", "--data", "score.csv", "--id", "id", "--out", "-"])
        #expect(toStdout.status == 0, "\(toStdout.stderr)")
        #expect(toStdout.stdout == (try workspace.read("predictions.csv")))
        #expect(toStdout.stdout.hasPrefix("id,probability\n"))
        #expect(try workspace.files() == ["train.csv", "model.json", "score.csv", "predictions.csv"])
    }

    @Test func predictAgreesWithTheTrainingMetrics() throws {
        // Evaluating on the training file reproduces the training ROC AUC printed by train.
        let workspace = try Workspace()
        try workspace.write("train.csv", csv(customerRows(seed: 1, count: 300)))
        let training = try workspace.run(["train", "--data", "train.csv", "--target", "churned", "--out", "model.json"])
        #expect(training.status == 0, "\(training.stderr)")
        let evaluation = try workspace.run(["evaluate", "--model", "model.json", "--data", "train.csv"])
        #expect(evaluation.status == 0, "\(evaluation.stderr)")
        let trainedAUC = try #require(training.stdout.firstMatch(of: /on the training rows: ROC AUC ([0-9.]+)/)?.1)
        let evaluatedAUC = try #require(evaluation.stdout.firstMatch(of: /ROC AUC +([0-9.]+)/)?.1)
        #expect(trainedAUC == evaluatedAUC)
    }

    @Test func evaluatePrintsTheMetrics() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        try workspace.write("labelled.csv", csv(customerRows(seed: 7, count: 120)))
        let result = try workspace.run(["evaluate", "--model", "model.json", "--data", "labelled.csv", "--json", "metrics.json"])
        #expect(result.status == 0, "\(result.stderr)")
        for metric in ["ROC AUC", "PR AUC", "log loss", "Brier score", "expected calibration error", "lift in the top decile"] {
            #expect(result.stdout.contains(metric), "\(metric)")
        }
        #expect(result.stdout.hasPrefix("labelled.csv: 120 rows"))
        let metrics = try #require(
            try JSONSerialization.jsonObject(with: Data(workspace.read("metrics.json").utf8)) as? [String: Any])
        #expect(metrics["rowCount"] as? Int == 120)
        let auc = try #require(metrics["rocAUC"] as? Double)
        #expect(auc > 0.5 && auc <= 1)
        #expect(try workspace.files() == ["train.csv", "model.json", "labelled.csv", "metrics.json"])
    }

    @Test func encodeWritesTheDesignWithFeatureNames() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        let rows = customerRows(seed: 8, count: 30)
        try workspace.write("score.csv", csv(rows))
        let result = try workspace.run(["encode", "--model", "model.json", "--data", "score.csv", "--out", "design.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        let design = try CSVText(try workspace.read("design.csv"))
        #expect(design.header == expectedFeatureNames + ["__target__"])
        #expect(design.rows.count == rows.count)
        for (index, row) in design.rows.enumerated() {
            #expect(row.count == design.header.count)
            #expect(row.allSatisfy { Double($0)?.isFinite == true })
            // One-hot blocks hold a single 1, at the row's category.
            #expect(row[2...4].filter { $0 == "1.0" }.count == 1)
            #expect(row[2 + ["basic", "plus", "pro"].firstIndex(of: rows[index][3])!] == "1.0")
            #expect(row.last == (rows[index][5] == "yes" ? "1" : "0"))
        }
        // Without the target column there is no label column.
        try workspace.write("unlabelled.csv", csv(rows.map { Array($0.prefix(5)) }, header: Array(customerHeader.prefix(5))))
        let unlabelled = try workspace.run(["encode", "--model", "model.json", "--data", "unlabelled.csv", "--out", "-"])
        #expect(unlabelled.status == 0, "\(unlabelled.stderr)")
        #expect(try CSVText(unlabelled.stdout).header == expectedFeatureNames)
    }

    @Test(arguments: failingRuns)
    func aFailingRunReportsWhereAndWritesNothing(_ run: FailingRun) throws {
        let workspace = try Workspace()
        if run.needsModel { try workspace.trainModel() }
        if run.corruptsModel { try workspace.write("model.json", try editingFirstCoefficient(workspace.read("model.json"))) }
        for (name, text) in run.files { try workspace.write(name, text) }
        let before = try workspace.files()
        let modelBefore = workspace.exists("model.json") ? try workspace.read("model.json") : nil

        let result = try workspace.run(run.arguments)

        expectFailedRun(result, isUsageError: run.isUsageError)
        let diagnostic = run.isUsageError ? result.stderr : (result.errorLines.first ?? "")
        for fragment in run.diagnostics {
            #expect(diagnostic.contains(fragment), "stderr should contain \"\(fragment)\": \(result.stderr)")
        }
        // Nothing written, and no temporary file left behind.
        #expect(try workspace.files() == before)
        if let modelBefore { #expect(try workspace.read("model.json") == modelBefore) }
        #expect(!workspace.exists("nowhere"))
    }

    @Test func aFailedPredictLeavesAnExistingOutputUntouched() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        try workspace.write("score.csv", csv(replacing(scoreRowsWithMultiLineID, row: 7, column: 1, with: "forty")))
        let sentinel = "sentinel: an earlier run's predictions\n"
        try workspace.write("predictions.csv", sentinel)
        let before = try workspace.files()

        let result = try workspace.run(
            ["predict", "--model", "model.json", "--data", "score.csv", "--id", "id", "--out", "predictions.csv"])
        #expect(result.status == 1)
        #expect(result.errorLines.first?.contains("score.csv:10: column 'age'") == true, "\(result.stderr)")
        #expect(try workspace.read("predictions.csv") == sentinel)
        #expect(try workspace.files() == before)
    }

    @Test func aFailedTrainLeavesAnExistingModelUntouched() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        let model = try workspace.read("model.json")
        try workspace.write("three.csv", csv(replacing(customerRows(seed: 1, count: 300), row: 10, column: 5, with: "maybe")))
        let before = try workspace.files()
        let result = try workspace.run(["train", "--data", "three.csv", "--target", "churned", "--out", "model.json"])
        #expect(result.status == 1)
        #expect(try workspace.read("model.json") == model)
        #expect(try workspace.files() == before)
    }

    @Test func aSuccessfulRunReplacesAnExistingOutput() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        try workspace.write("score.csv", csv(customerRows(seed: 9, count: 10)))
        try workspace.write("predictions.csv", "sentinel\n")
        let result = try workspace.run(["predict", "--model", "model.json", "--data", "score.csv", "--out", "predictions.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try workspace.read("predictions.csv").hasPrefix("probability\n"))
        #expect(try workspace.files() == ["train.csv", "model.json", "score.csv", "predictions.csv"])
    }
}

// MARK: - Reading the CLI's CSV output

/// A minimal RFC 4180 reader for checking output (kept independent of the library under test).
private struct CSVText {
    var header: [String]
    var rows: [[String]]

    init(_ text: String) throws {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var inQuotes = false
        var characters = text.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? characters.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    let next = characters.next()
                    if next == "\"" { field.append("\"") } else { inQuotes = false; pending = next }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                inQuotes = true
            } else if c == "," {
                record.append(field)
                field = ""
            } else if c == "\n" {
                record.append(field)
                records.append(record)
                record = []
                field = ""
            } else {
                field.append(c)
            }
        }
        #expect(!inQuotes && record.isEmpty && field.isEmpty, "the output ends with a complete line")
        let first = try #require(records.first, "the output has a header")
        header = first
        rows = Array(records.dropFirst())
    }
}
