import ArgumentParser
import Foundation
import Learning

/// Loads a model file of the given kind with a clear error.
func loadModel<Model: VersionedModel>(_ type: Model.Type, from path: String) throws -> Model {
    try ModelFile.decode(type, from: try FileIO.read(path), file: path)
}

/// The model file and the CSV data the predict, evaluate and encode commands read.
struct ModelAndData: ParsableArguments {
    @Option(help: "The model file written by `switchboard train`.") var model: String
    @Option(help: "The CSV file (- for standard input).") var data: String
    @OptionGroup var csv: CSVOptions

    func load() throws -> (model: TabularModel, table: CSVTable) {
        let tabular = try loadModel(TabularModel.self, from: model)
        let table = try FileIO.readTable(data, delimiter: try csv.parsedDelimiter()).table
        if table.rowCount == 0 { throw CLIError("\(table.source): no rows (only the header)") }
        return (tabular, table)
    }
}

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score data with a trained model.",
        subcommands: [PredictTabular.self, PredictChurn.self],
        defaultSubcommand: PredictTabular.self
    )
}

struct PredictTabular: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tabular",
        abstract: "Write the positive-class probability of every row, in input order.")

    @OptionGroup var input: ModelAndData
    @Option(help: "A column to copy into the output beside each probability.") var id: String?
    @Option(
        parsing: .unconditional,
        help:
            "Also write each row's K largest contributions to the log-odds, in words (columns reason_1 … reason_K: 'month=may, day 15–20: -0.41')."
    )
    var explain: Int?
    @Option(help: "The output CSV file (- for standard output).") var out: String

    func validate() throws {
        if let explain { try Limits.check("--explain", explain, atLeast: 1, atMost: 1000) }
    }

    func run() throws {
        try reportingErrors {
            let (tabular, table) = try input.load()
            if let explain {
                try writeExplanations(tabular, table, count: explain)
                return
            }
            let (ids, probabilities) = try identifiedProbabilities(tabular, table)
            var text = CSVWriter.line((id.map { [$0] } ?? []) + ["probability"])
            text.reserveCapacity(probabilities.count * 24)
            for (row, p) in probabilities.enumerated() {
                if let ids { text += CSVWriter.field(ids[row]) + "," }
                text += "\(p)\n"
            }
            try FileIO.writeAtomically(text, to: out)
            if out != "-" { print("wrote \(probabilities.count) probabilities to \(out)") }
        }
    }
}

extension PredictTabular {
    /// The `--id` column's values (nil without `--id`) and every row's probability, warnings printed.
    func identifiedProbabilities(_ tabular: TabularModel, _ table: CSVTable) throws -> (
        ids: [String]?, probabilities: [Double]
    ) {
        var ids: [String]?
        if let id {
            guard let index = table.columnIndex(named: id) else {
                throw TabularError.missingColumn(file: table.source, column: id)
            }
            ids = table.columns[index]
        }
        let (probabilities, notes) = try tabular.probabilities(for: table)
        for warning in notes.warnings { FileIO.warn(warning) }
        return (ids, probabilities)
    }

    /// The explain path: probabilities from the same fixed-order margins, then each row's top terms in words.
    func writeExplanations(_ tabular: TabularModel, _ table: CSVTable, count: Int) throws {
        let (ids, probabilities) = try identifiedProbabilities(tabular, table)
        let (rows, _) = try tabular.explanations(for: table)
        let width = min(count, rows.first?.terms.count ?? 0)
        var text = CSVWriter.line((id.map { [$0] } ?? []) + ["probability"] + (0..<width).map { "reason_\($0 + 1)" })
        for (row, explanation) in rows.enumerated() {
            var fields = (ids.map { [$0[row]] } ?? []) + ["\(probabilities[row])"]
            fields += explanation.top(width).map { "\($0.description): \(Format.signed($0.value))" }
            text += CSVWriter.line(fields)
        }
        try FileIO.writeAtomically(text, to: out)
        if out != "-" { print("wrote \(rows.count) probabilities with \(width) reasons each to \(out)") }
    }
}

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report a model's metrics: a tabular model on labelled data, the match or the churn model.",
        subcommands: [
            EvaluateTabular.self, EvaluateMatch.self, EvaluateChurn.self, EvaluateActions.self, EvaluateProfiles.self,
            EvaluateForecast.self, EvaluateOnboarding.self,
        ],
        defaultSubcommand: EvaluateTabular.self)
}

struct EvaluateTabular: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tabular", abstract: "Report every metric of a tabular model on labelled data.")

    @OptionGroup var input: ModelAndData
    @Option(help: "Also write the metrics as JSON to this file.") var json: String?

    func run() throws {
        try reportingErrors {
            let (tabular, table) = try input.load()
            let labels = try TabularEncoder.labels(in: table, target: tabular.target)
            let (probabilities, notes) = try tabular.probabilities(for: table)
            for warning in notes.warnings { FileIO.warn(warning) }
            let report = try CLIMessages.naming(file: table.source) {
                try Metrics.report(labels: labels, probabilities: probabilities)
            }
            print(EvaluationText.text(report, source: table.source, positive: tabular.target.positive))
            if let json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try FileIO.writeAtomically(Array(try encoder.encode(report)) + [0x0A], to: json)
            }
        }
    }
}

enum EvaluationText {
    static func text(_ report: ClassificationReport, source: String, positive: String) -> String {
        var out = "\(source): \(report.rowCount) rows, \(report.positiveCount) positive '\(positive)'\n"
        out += Format.table(
            ["metric", "value"],
            MetricRows.all.map { row in
                [row.label, Format.fixed(report[keyPath: row.value], row.decimals)]
            })
        out += "reliability (predicted vs observed, by probability bin):\n"
        out += reliabilityTable(report.reliability.filter { $0.count > 0 })
        return out.trimmingCharacters(in: .newlines)
    }

    /// A reliability table: each bin's range, rows, mean predicted probability and observed rate.
    static func reliabilityTable(_ bins: [ReliabilityBin]) -> String {
        Format.table(
            ["bin", "rows", "mean predicted", "observed rate"],
            bins.map {
                [
                    "[\(Format.fixed($0.lower, 1)), \(Format.fixed($0.upper, 1)))", Format.fixed($0.count, 0),
                    Format.fixed($0.meanPredicted), Format.fixed($0.observedRate),
                ]
            })
    }
}

struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the design matrix a model sees for a CSV file (one column a feature), for inspection or other tools.")

    @OptionGroup var input: ModelAndData
    @Option(help: "The output CSV file (- for standard output).") var out: String

    func run() throws {
        try reportingErrors {
            let (tabular, table) = try input.load()
            let (design, notes) = try TabularEncoder.encode(table, schema: tabular.schema)
            for warning in notes.warnings { FileIO.warn(warning) }
            let labels =
                table.columnIndex(named: tabular.target.column) != nil
                ? try TabularEncoder.labels(in: table, target: tabular.target) : nil
            var text = CSVWriter.line(tabular.featureNames + (labels == nil ? [] : ["__target__"]))
            for row in 0..<design.rowCount {
                var fields = (0..<design.columnCount).map { "\(design[row, $0])" }
                if let labels { fields.append(labels[row] ? "1" : "0") }
                text += fields.joined(separator: ",") + "\n"
            }
            try FileIO.writeAtomically(text, to: out)
        }
    }
}
