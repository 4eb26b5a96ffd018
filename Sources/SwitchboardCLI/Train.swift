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
            a column is numeric when every non-missing cell is a number, and a date column becomes month, weekday, \
            day of month and age. The model minimises (1/n)·Σ log(1 + exp(−ỹᵢ·(xᵢ·w + b))) + (λ/2)·‖w‖², the \
            intercept unpenalised. With --shape auto (the default) an additive model is also tried: a penalised \
            cubic spline (P-spline) per numeric column and the pairwise interactions that lower held-out log loss; \
            it is kept only when it beats the plain model in inner 3-fold cross-validation.
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
    @Option(
        help:
            "Model shape: auto (the additive model when it wins in inner cross-validation, else the plain one), linear or additive."
    )
    var shape: ModelShape = .auto
    @Option(
        parsing: .unconditional,
        help: "Pairwise interactions to add, the best by held-out gain (default: those that gain on every inner fold, at most 8)."
    )
    var interactions: Int?
    @Option(parsing: .unconditional, help: "Interior knots of each numeric column's spline (default 8).") var knots: Int?
    @Option(
        parsing: .unconditional,
        help: "Spline smoothness μ·n, the second-difference penalty (default: 1, 10 or 100 by inner cross-validation).")
    var smoothing: Double?
    @Option(
        help:
            "Also write every term's shape function to this file: CSV (term, input, log-odds), or an SVG image when it ends in .svg."
    )
    var shapes: String?
    @Option(help: "Where to write the model (JSON).") var out: String
    @OptionGroup var csv: CSVOptions

    func validate() throws {
        if let l2, !(l2.isFinite && l2 >= 0) { throw ValidationError("--l2 must be finite and >= 0 (got \(l2))") }
        if let cv, cv < 2 { throw ValidationError("--cv must be at least 2 (got \(cv))") }
        if !(tolerance > 0) { throw ValidationError("--tolerance must be > 0 (got \(tolerance))") }
        try Limits.check("--max-iterations", maxIterations, atLeast: 1, atMost: Limits.iterations)
        if let interactions { try Limits.check("--interactions", interactions, atLeast: 0, atMost: 100) }
        if let knots { try Limits.check("--knots", knots, atLeast: 1, atMost: 50) }
        if let smoothing { try Limits.check("--smoothing", smoothing, atLeast: 0) }
        if shape == .linear, interactions != nil || knots != nil || smoothing != nil {
            throw ValidationError("--interactions, --knots and --smoothing need --shape auto or additive (got --shape linear)")
        }
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
                crossValidationFolds: cv, seed: seed, dataChecksum: FNV1a64.digest(bytes), shape: shape,
                interactions: interactions, splineKnots: knots, splineStrength: smoothing)
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
            if let shapes {
                try finishTraining(
                    result.model, started: started, out: out,
                    also: [(shapes, ShapeText.bytes(result.model, for: shapes))],
                    summary: TrainingSummary.text)
            } else {
                try finishTraining(result.model, started: started, out: out, summary: TrainingSummary.text)
            }
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
        if let selection = t.shapeSelection {
            let sample = selection.sampledRows.map { " on a stratified sample of \($0) rows" } ?? ""
            lines.append(
                "model: \(selection.chosen.summary), chosen by inner \(selection.innerFolds)-fold cross-validation\(sample):")
            lines.append(
                Format.table(
                    ["candidate", "held-out log loss", "held-out ROC AUC"],
                    selection.candidates.map {
                        [$0.settings.summary, Format.fixed($0.heldOutLogLoss, 4), Format.fixed($0.heldOutAUC, 4)]
                    }
                ).trimmingCharacters(in: .newlines))
            if let r = selection.recalibration {
                lines.append(
                    "recalibrated: log-odds × \(Format.fixed(r.slope, 3)) \(r.offset < 0 ? "−" : "+") \(Format.fixed(abs(r.offset), 3)) "
                        + "(cross-fitted held-out log loss \(Format.fixed(r.heldOutLogLossBefore, 4)) → \(Format.fixed(r.heldOutLogLossAfter, 4)))"
                )
            }
            if let calibration = selection.heldOutCalibration {
                lines.append(heldOutCalibrationText(calibration, recalibrated: selection.recalibration != nil))
            }
        } else if let settings = t.settings {
            lines.append("model: \(settings.summary)")
        }
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

    /// The chosen model's out-of-fold calibration over the inner folds: ECE and the reliability table.
    static func heldOutCalibrationText(_ report: CalibrationReport, recalibrated: Bool) -> String {
        let through = recalibrated ? ", recalibrated (each fold by a map fitted on the others)" : ""
        let header =
            "held-out calibration (the chosen model's out-of-fold predictions\(through)): "
            + "ECE \(Format.fixed(report.expectedCalibrationError, 4))"
        return header + "\n" + EvaluationText.reliabilityTable(report.bins).trimmingCharacters(in: .newlines)
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
func finishTraining<Model: TrainedModel>(
    _ model: Model, started: Date, out: String, also extra: [(path: String, bytes: [UInt8])] = [],
    summary: (Model) -> String
) throws {
    var model = model
    FileIO.endProgress()
    model.training.seconds = Date().timeIntervalSince(started)
    model.training.trainedAt = ISO8601DateFormatter().string(from: Date())
    if !model.training.converged {
        FileIO.warn(
            "no convergence after \(model.training.iterations) iterations (|g|=\(String(format: "%.1e", model.training.gradientNorm)))"
        )
    }
    if extra.isEmpty {
        try FileIO.writeAtomically(try ModelFile.encode(model), to: out)
    } else {
        try FileIO.writeAtomically([(out, try ModelFile.encode(model))] + extra)
    }
    print(summary(model))
    print("wrote \(out)")
    for file in extra { print("wrote \(file.path)") }
}
