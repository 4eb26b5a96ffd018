import ArgumentParser
import Foundation
import Learning
import Switchboard

/// The activity file, and optionally the partners file, the churn commands read.
struct ChurnInput: ParsableArguments {
    @Option(help: "The partner activity CSV file (one row a partner a period).") var activity: String
    @Option(help: "The partners CSV file; adds one-hot tier and type features and checks every activity partner_id.")
    var partners: String?
    @OptionGroup var csv: CSVOptions

    /// Reads the files and builds the churn features (with partner attributes when `usePartners`), and the checksum
    /// of the activity file.
    /// - Parameter labelsOptional: accept a missing or blank `churned_next` (scoring the latest period, whose outcome
    ///   is not known yet).
    func features(usePartners: Bool = true, labelsOptional: Bool = false) throws -> (
        features: ChurnFeatureTable, checksum: String
    ) {
        let files = try EcosystemFiles.reading([.activity: activity, .partners: usePartners ? partners : nil])
        let ecosystem = try Ecosystem.load(
            files,
            options: EcosystemLoadOptions(delimiter: try csv.parsedDelimiter(), activityLabelsOptional: labelsOptional))
        let features = try ChurnFeatures.build(
            activity: ecosystem.activity, partners: files[.partners] == nil ? nil : ecosystem.partners,
            sources: ecosystem.sources)
        return (features, files.checksum([.activity]))
    }
}

struct TrainChurn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "churn",
        abstract: "Train the partner churn model on partner activity histories.",
        discussion: """
            One row a partner a period: log1p levels of the five activity figures, their trends (mean over the last 3 \
            periods minus the 3 before), tenure in periods and, with --partners, one-hot tier and type; the label is \
            churned_next. Features are standardised and the model minimises \
            (1/n)·Σ log(1 + exp(−ỹᵢ·(zᵢ·w + b))) + (λ/2)·‖w‖², with the coefficients of the activity figures and \
            their trends kept ≤ 0 (more engagement never raises the risk of leaving; --free-signs lifts this). \
            Cross-validation chains forward in time: the distinct periods are cut into K + 1 blocks and fold i trains \
            on blocks 0…i and tests on block i + 1.
            """
    )

    @OptionGroup var input: ChurnInput
    @Option(help: "Where to write the model (JSON).") var out: String
    @Option(
        parsing: .unconditional, help: "Forward-chaining cross-validation folds K (needs K + 1 distinct periods; 0 for none).")
    var cv: Int = 5
    @Option(parsing: .unconditional, help: "L2 strength λ (default 1/n, scikit-learn's C = 1).") var l2: Double?
    @Flag(help: "Let the activity figures' and trends' coefficients take either sign (default: kept ≤ 0).")
    var freeSigns = false

    func validate() throws {
        if let l2, !(l2.isFinite && l2 >= 0) { throw ValidationError("--l2 must be finite and >= 0 (got \(l2))") }
        if cv != 0 && cv < 2 { throw ValidationError("--cv must be at least 2, or 0 for none (got \(cv))") }
    }

    func run() throws {
        try reportingErrors {
            let started = Date()
            let (features, checksum) = try input.features()
            var request = ChurnTrainingRequest(
                l2Strength: l2, crossValidationFolds: cv == 0 ? nil : cv, dataChecksum: checksum)
            request.engagementLowersRisk = !freeSigns
            var model: ChurnModel
            do {
                model = try ChurnTrainer.train(features, request: request) { stage in
                    switch stage {
                    case let .fold(index, count): FileIO.progress("cross-validation fold \(index)/\(count)")
                    case .finalFit: FileIO.progress("fitting on all rows")
                    case let .iteration(k, objective, norm):
                        FileIO.progress(
                            "iteration \(k): objective \(Format.fixed(objective, 8)), |g| \(String(format: "%.2e", norm))")
                    }
                }
            } catch LearningError.invalidParameter("crossValidationFolds", let value, let requirement) {
                throw CLIError("\(features.source): --cv \(requirement) (got \(value))")
            } catch let error as LearningError {
                // Name the file for data problems (a single class, non-finite values).
                throw CLIError("\(features.source): \(error)")
            }
            FileIO.endProgress()
            for fold in model.metrics.crossValidation?.folds ?? [] {
                if let reason = fold.skipped {
                    FileIO.warn("cross-validation fold testing periods \(ChurnText.periods(fold.testPeriods)) skipped: \(reason)")
                }
            }
            try finishTraining(model, started: started, out: out, summary: ChurnText.summary)
        }
    }
}

struct PredictChurn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "churn",
        abstract: "Score every partner's churn risk at its latest period, with the factors behind it.",
        discussion: """
            Writes partner_id, period, churn_risk, then factor_k and contribution_k for the --top largest factors by \
            |contribution| (on the logit scale: positive raises the risk), one row a partner, highest risk first. \
            The churned_next column may be absent or blank; partners whose latest row says they churned are left out.
            """
    )

    @Option(help: "The churn model file written by `switchboard train churn`.") var model: String
    @OptionGroup var input: ChurnInput
    @Option(help: "The output CSV file (- for standard output).") var out: String
    @Option(parsing: .unconditional, help: "Factors to list for each partner.") var top: Int = 3

    func validate() throws {
        if top < 0 { throw ValidationError("--top must be >= 0 (got \(top))") }
    }

    func run() throws {
        try reportingErrors {
            let churn = try loadModel(ChurnModel.self, from: model)
            if churn.usesPartnerAttributes && input.partners == nil {
                throw CLIError("\(model): the model uses partner tier and type; pass the partners file with --partners")
            }
            if top > churn.featureNames.count {
                throw CLIError("--top \(top) is more than the model's \(churn.featureNames.count) features")
            }
            if !churn.usesPartnerAttributes, let partners = input.partners {
                FileIO.warn("\(partners) not used: the model was trained without partner attributes")
            }
            let all = try input.features(usePartners: churn.usesPartnerAttributes, labelsOptional: true).features
            guard all.rowCount > 0 else { throw RecordError.emptySet(file: all.source, what: "activity rows") }
            // A partner whose latest row already says it churned is gone: there is no risk left to score.
            let ranking = try churn.rankLatest(all, factorCount: top)
            guard !ranking.entries.isEmpty else {
                throw RecordError.emptySet(file: all.source, what: "partners that have not churned")
            }
            var header = ["partner_id", "period", "churn_risk"]
            for k in 0..<top { header += ["factor_\(k + 1)", "contribution_\(k + 1)"] }
            var text = CSVWriter.line(header)
            for entry in ranking.entries {
                var fields = [CSVWriter.field(entry.key.partnerID), "\(entry.key.period)", "\(entry.risk)"]
                for factor in entry.factors { fields += [CSVWriter.field(factor.name), "\(factor.contribution)"] }
                text += fields.joined(separator: ",") + "\n"
            }
            try FileIO.writeAtomically(text, to: out)
            if out != "-" {
                let gone = ranking.churnedCount
                print(
                    "wrote the churn risk of \(ranking.entries.count) partners to \(out)"
                        + (gone > 0 ? " (\(gone) that already churned left out)" : ""))
            }
        }
    }
}

enum ChurnText {
    static func periods(_ range: ClosedRange<Int>) -> String {
        range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)–\(range.upperBound)"
    }

    static func summary(_ model: ChurnModel) -> String {
        let t = model.training
        var lines = [
            "rows \(t.rowCount) (\(t.positiveCount) churned), features \(model.featureNames.count)"
                + "\(model.usesPartnerAttributes ? " (with tier and type)" : ""), λ \(t.l2Strength)",
            "solver \(t.solver.rawValue): \(t.iterations) iterations, \(t.converged ? "converged" : "NOT converged"), "
                + "objective \(Format.fixed(t.objective, 10)), |g| \(String(format: "%.1e", t.gradientNorm)), \(Format.fixed(t.seconds, 2)) s",
        ]
        let constrained = Set(model.signConstrained ?? [])
        let held = model.featureNames.indices.filter {
            constrained.contains(model.featureNames[$0]) && model.coefficients[$0] == 0
        }
        if !held.isEmpty {
            lines.append(
                "held at 0 (engagement may not raise the risk): " + held.map { model.featureNames[$0] }.joined(separator: ", "))
        }
        if let cv = model.metrics.crossValidation {
            lines.append(
                "forward-chaining cross-validation, \(cv.foldCount) folds (\(cv.evaluatedFoldCount) evaluated):")
            lines.append(
                Format.table(
                    ["fold", "train periods", "test periods", "test rows", "ROC AUC", "log loss"],
                    cv.folds.enumerated().map { index, fold in
                        [
                            "\(index + 1)", periods(fold.trainPeriods), periods(fold.testPeriods), "\(fold.testRowCount)",
                            fold.report.map { Format.fixed($0.rocAUC) } ?? "skipped",
                            fold.report.map { Format.fixed($0.logLoss) } ?? "",
                        ]
                    }
                ).trimmingCharacters(in: .newlines))
            if let summary = cv.summary {
                lines.append(
                    Format.table(
                        ["metric", "mean ± sd"],
                        [
                            ["ROC AUC", Format.meanAndDeviation(summary.rocAUC)],
                            ["PR AUC (average precision)", Format.meanAndDeviation(summary.averagePrecision)],
                            ["log loss", Format.meanAndDeviation(summary.logLoss)],
                            ["Brier score", Format.meanAndDeviation(summary.brierScore)],
                        ]
                    ).trimmingCharacters(in: .newlines))
            }
        }
        if let training = model.metrics.training {
            lines.append(
                "on the training rows: ROC AUC \(Format.fixed(training.rocAUC)), log loss \(Format.fixed(training.logLoss))")
        }
        return lines.joined(separator: "\n")
    }
}

struct EvaluateChurn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "churn",
        abstract: "Report a churn model's metrics: stored (cross-validated), or on labelled activity.",
        discussion: "Without --activity, prints the metrics stored in the model; with it, scores every labelled row.")

    @Option(help: "The churn model file written by `switchboard train churn`.") var model: String
    @Option(help: "The partner activity CSV file to evaluate on.") var activity: String?
    @Option(help: "The partners CSV file (needed when the model uses tier and type).") var partners: String?
    @Option(help: "Also write the metrics as JSON to this file.") var json: String?
    @OptionGroup var csv: CSVOptions

    func run() throws {
        try reportingErrors {
            let churn = try loadModel(ChurnModel.self, from: model)
            guard let activity else {
                print(ChurnText.summary(churn))
                return
            }
            if churn.usesPartnerAttributes && partners == nil {
                throw CLIError("\(model): the model uses partner tier and type; pass the partners file with --partners")
            }
            var input = try ChurnInput.parse(["--activity", activity])
            input.partners = partners
            input.csv = csv
            let features = try input.features(usePartners: churn.usesPartnerAttributes).features
            let risk = try churn.risk(for: features)
            let report = try CLIMessages.naming(file: features.source) {
                try Metrics.report(labels: features.labels, probabilities: risk)
            }
            print(EvaluationText.text(report, source: features.source, positive: "churned_next"))
            if let json { try FileIO.writeAtomically(Array(try JSONEncoder.pretty.encode(report)) + [0x0A], to: json) }
        }
    }
}
