import ArgumentParser
import Foundation
import Learning
import Switchboard

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model.",
        subcommands: [TrainTabular.self, TrainChurn.self, TrainMatch.self],
        defaultSubcommand: TrainTabular.self
    )
}

struct TrainTabular: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tabular",
        abstract: "Train a logistic regression on any CSV file with a binary target column.",
        discussion: """
            Numeric columns are standardised (population standard deviation) and categorical ones one-hot encoded; \
            a column is numeric when every non-missing cell is a number. The model minimises \
            (1/n)·Σ log(1 + exp(−ỹᵢ·(xᵢ·w + b))) + (λ/2)·‖w‖², the intercept unpenalised.
            """
    )

    @Option(help: "The training CSV file.") var data: String
    @Option(help: "The target column (two distinct values).") var target: String
    @Option(help: "The target value that counts as positive (default: yes/true/1/won/… when unambiguous).") var positive: String?
    @Option(help: "Columns to leave out (comma-separated).") var drop: [String] = []
    @Option(help: "Columns to treat as categorical (comma-separated).") var categorical: [String] = []
    @Option(help: "Columns to treat as numeric (comma-separated).") var numeric: [String] = []
    @Option(parsing: .unconditional, help: "L2 strength λ (default 1/n, scikit-learn's C = 1).") var l2: Double?
    @Option(help: "Solver: auto, lbfgs or newton.") var solver: SolverKind = .auto
    @Option(help: "Missing values: error (name file, line, column) or impute (mean / most frequent plus an indicator column).")
    var missing: MissingValuePolicy = .error
    @Option(parsing: .unconditional, help: "Cross-validate with K stratified folds before the final fit.") var cv: Int?
    @Option(parsing: .unconditional, help: "Seed for the cross-validation folds.") var seed: UInt64 = 42
    @Option(parsing: .unconditional, help: "Stop when the gradient's largest entry is below this.") var tolerance: Double = 1e-8
    @Option(parsing: .unconditional, help: "Iteration limit.") var maxIterations: Int = 500
    @Option(help: "Where to write the model (JSON).") var out: String
    @OptionGroup var csv: CSVOptions

    func validate() throws {
        if let l2, !(l2.isFinite && l2 >= 0) { throw ValidationError("--l2 must be finite and >= 0 (got \(l2))") }
        if let cv, cv < 2 { throw ValidationError("--cv must be at least 2 (got \(cv))") }
        if !(tolerance > 0) { throw ValidationError("--tolerance must be > 0 (got \(tolerance))") }
        try Limits.check("--max-iterations", maxIterations, atLeast: 1, atMost: Limits.iterations)
    }

    func run() throws {
        try reportingErrors {
            let started = Date()
            let (table, bytes) = try FileIO.readTable(data, delimiter: try csv.parsedDelimiter())
            let request = TabularTrainingRequest(
                target: target, positive: positive,
                columns: ColumnOptions(
                    drop: columnList(drop), categorical: columnList(categorical),
                    numeric: columnList(numeric), missingPolicy: missing),
                l2Strength: l2, solver: solver,
                options: SolverOptions(gradientTolerance: tolerance, maxIterations: maxIterations),
                crossValidationFolds: cv, seed: seed, dataChecksum: FNV1a64.digest(bytes))
            let result = try CLIMessages.namingOption("--cv", file: data) {
                try TabularTrainer.train(table, request: request) { stage in
                    switch stage {
                    case let .fold(index, count): FileIO.progress("cross-validation fold \(index)/\(count)")
                    case .finalFit: FileIO.progress("fitting on all rows")
                    case let .iteration(k, objective, norm):
                        FileIO.progress(
                            "iteration \(k): objective \(Format.fixed(objective, 8)), |g| \(String(format: "%.2e", norm))")
                    }
                }
            }
            FileIO.endProgress()
            for warning in result.notes.warnings { FileIO.warn(warning) }
            try finishTraining(result.model, started: started, out: out, summary: TrainingSummary.text)
        }
    }
}

enum TrainingSummary {
    static func text(_ model: TabularModel) -> String {
        let t = model.training
        var lines = [
            "rows \(t.rowCount) (\(t.positiveCount) positive '\(model.target.positive)'), features \(model.featureNames.count), λ \(t.l2Strength)",
            "solver \(t.solver.rawValue): \(t.iterations) iterations, \(t.converged ? "converged" : "NOT converged"), "
                + "objective \(Format.fixed(t.objective, 10)), |g| \(String(format: "%.1e", t.gradientNorm)), \(Format.fixed(t.seconds, 2)) s",
        ]
        if let cv = model.metrics.crossValidation {
            lines.append("\(cv.foldCount)-fold cross-validation (seed \(cv.seed)):")
            lines.append(
                Format.table(
                    ["metric", "mean ± sd"],
                    MetricRows.all.map { row in
                        [row.label, Format.meanAndDeviation(cv[keyPath: row.summary], row.decimals)]
                    }
                ).trimmingCharacters(in: .newlines))
        }
        if let training = model.metrics.training {
            lines.append(
                "on the training rows: ROC AUC \(Format.fixed(training.rocAUC)), log loss \(Format.fixed(training.logLoss))")
        }
        return lines.joined(separator: "\n")
    }
}

/// A fitted model that records how it was trained.
protocol TrainedModel: VersionedModel {
    var training: TrainingMetadata { get set }
}

extension TabularModel: TrainedModel {}
extension ChurnModel: TrainedModel {}
extension MatchModel: TrainedModel {}

/// The end of every `train` command: stamps the training time, warns when the solver did not converge, writes the
/// model atomically and prints its summary.
func finishTraining<Model: TrainedModel>(_ model: Model, started: Date, out: String, summary: (Model) -> String) throws {
    var model = model
    FileIO.endProgress()
    model.training.seconds = Date().timeIntervalSince(started)
    model.training.trainedAt = ISO8601DateFormatter().string(from: Date())
    if !model.training.converged {
        FileIO.warn(
            "no convergence after \(model.training.iterations) iterations (|g|=\(String(format: "%.1e", model.training.gradientNorm)))"
        )
    }
    try FileIO.writeAtomically(try ModelFile.encode(model), to: out)
    print(summary(model))
    print("wrote \(out)")
}
