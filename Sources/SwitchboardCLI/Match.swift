import ArgumentParser
import Foundation
import Learning
import Switchboard

/// The record files the match commands read, loaded and checked across files.
struct MatchInput: ParsableArguments {
    @Option(help: "The outcomes CSV file (lead_id, partner_id, assigned, outcome, closed, revenue).") var outcomes: String
    @Option(help: "The leads CSV file (every lead the outcomes name).") var leads: String
    @Option(help: "The partners CSV file.") var partners: String
    @Option(help: "The action history CSV file (partner_id, action_id, time); adds how often each action was received.")
    var actionHistory: String?
    @OptionGroup var csv: CSVOptions

    /// The records, validated (unknown references, outcomes before their lead), and the checksum of the files read.
    /// - Parameter more: more files to load with them (a truth folder's).
    func load(more: [RecordKind: String?] = [:]) throws -> (ecosystem: Ecosystem, checksum: String) {
        let given: [RecordKind: String?] = [
            .partners: partners, .leads: leads, .outcomes: outcomes, .actionHistory: actionHistory,
        ]
        let files = try EcosystemFiles.reading(given.merging(more) { $1 })
        let ecosystem = try Ecosystem.load(
            files, options: EcosystemLoadOptions(delimiter: try csv.parsedDelimiter(), nonEmpty: [.outcomes]))
        return (ecosystem, files.checksum([.partners, .leads, .outcomes, .actionHistory]))
    }
}

struct TrainMatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Train the lead–partner match model P(win | lead, partner) on an outcome history.",
        discussion: """
            P(win) = σ(φ̃(lead)ᵀ·W·ψ̃(partner)), with φ̃ the encoded lead and ψ̃ the encoded partner as it stood when the \
            lead was assigned (track record from earlier outcomes only), each with a constant 1. It minimises \
            (1/n)·Σ log(1 + exp(−ỹᵢ·φ̃ᵢᵀWψ̃ᵢ)) + (λ/2)·‖W‖² (W₀₀, the intercept, unpenalised). Declined outcomes are \
            left out; expired ones count as losses. λ is chosen by time-split cross-validation unless given.
            """)

    @OptionGroup var input: MatchInput
    @Option(help: "Where to write the model (JSON).") var out: String
    @Option(parsing: .unconditional, help: "L2 strength λ (default: chosen from 1e-4, 1e-3, 1e-2, 0.1, 1 by cross-validation).")
    var l2: Double?
    @Option(parsing: .unconditional, help: "Constrain W to this rank (W = U·Vᵀ); default full.") var rank: Int?
    @Option(parsing: .unconditional, help: "Time-split cross-validation folds (0 for none; then --l2 is required).") var folds:
        Int = 4
    @Option(parsing: .unconditional, help: "Weight of the win rates' Beta prior, in pseudo-leads.") var priorStrength: Double = 20
    @Option(
        parsing: .unconditional,
        help: "How much harder W's unexpected interactions are penalised than main effects (1 with --rank).")
    var interactionPenalty: Double?
    @Option(parsing: .unconditional, help: "Stop when the gradient's largest entry is below this.") var tolerance: Double = 1e-6
    @Option(parsing: .unconditional, help: "Iteration limit.") var maxIterations: Int = 2000

    func validate() throws {
        if let l2, !(l2.isFinite && l2 >= 0) { throw ValidationError("--l2 must be finite and >= 0 (got \(l2))") }
        if let rank, rank < 1 { throw ValidationError("--rank must be at least 1 (got \(rank))") }
        if folds != 0 && folds < 2 { throw ValidationError("--folds must be at least 2, or 0 for none (got \(folds))") }
        if folds == 0 && l2 == nil { throw ValidationError("--folds 0 needs --l2 (λ is chosen by cross-validation)") }
        if !(priorStrength > 0 && priorStrength.isFinite) {
            throw ValidationError("--prior-strength must be finite and > 0 (got \(priorStrength))")
        }
        if let interactionPenalty, !(interactionPenalty.isFinite && interactionPenalty >= 0) {
            throw ValidationError("--interaction-penalty must be finite and >= 0 (got \(interactionPenalty))")
        }
        if rank != nil, let interactionPenalty, interactionPenalty != 1 {
            throw ValidationError("--interaction-penalty applies to a full W only (drop it or --rank)")
        }
        if !(tolerance > 0) { throw ValidationError("--tolerance must be > 0 (got \(tolerance))") }
        try Limits.check("--max-iterations", maxIterations, atLeast: 1, atMost: Limits.iterations)
    }

    func run() throws {
        try reportingErrors {
            let started = Date()
            let (ecosystem, checksum) = try input.load()
            var request = MatchTrainingRequest()
            request.l2Strength = l2
            request.rank = rank
            request.folds = folds
            request.priorStrength = priorStrength
            request.interactionPenalty = interactionPenalty ?? (rank == nil ? 100 : 1)
            request.options = SolverOptions(gradientTolerance: tolerance, maxIterations: maxIterations)
            request.source = input.outcomes
            request.dataChecksum = checksum
            var model: MatchModel
            do {
                model = try MatchTrainer.train(
                    partners: ecosystem.partners, leads: ecosystem.leads, outcomes: ecosystem.outcomes,
                    actionHistory: ecosystem.actionHistory, request: request
                ) { stage in
                    switch stage {
                    case let .encoded(pairs, a, b): FileIO.progress("\(pairs) pairs, φ̃ \(a) and ψ̃ \(b) entries")
                    case let .fold(l2, fold, count, auc):
                        FileIO.progress("λ \(l2): fold \(fold)/\(count) ROC AUC \(Format.fixed(auc))")
                    case let .fitting(l2): FileIO.progress("fitting on all pairs with λ \(l2)")
                    }
                }
            } catch let error as LearningError {
                throw CLIError("\(input.outcomes): \(error)")
            }
            try finishTraining(model, started: started, out: out, summary: MatchText.summary)
        }
    }
}

struct EvaluateMatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Report a match model's metrics: stored (cross-validated), or on an outcome history.",
        discussion: """
            Without data, prints the metrics stored in the model. With --outcomes, --leads and --partners, scores every \
            accepted outcome with its features as they stood when the lead was assigned, and reports every metric.
            """)

    @Option(help: "The match model file written by `switchboard train match`.") var model: String
    @Option(help: "The outcomes CSV file to evaluate on.") var outcomes: String?
    @Option(help: "The leads CSV file.") var leads: String?
    @Option(help: "The partners CSV file.") var partners: String?
    @Option(help: "The action history CSV file.") var actionHistory: String?
    @Option(help: "Also write the metrics as JSON to this file.") var json: String?
    @OptionGroup var csv: CSVOptions

    func run() throws {
        try reportingErrors {
            let match = try loadModel(MatchModel.self, from: model)
            guard let outcomes, let leads, let partners else {
                if outcomes != nil || leads != nil || partners != nil {
                    throw CLIError("evaluating on data needs --outcomes, --leads and --partners together")
                }
                print(MatchText.summary(match))
                return
            }
            var input = try MatchInput.parse(["--outcomes", outcomes, "--leads", leads, "--partners", partners])
            input.actionHistory = actionHistory
            input.csv = csv
            let ecosystem = try input.load().ecosystem
            let scored = try match.evaluate(
                partners: ecosystem.partners, leads: ecosystem.leads, outcomes: ecosystem.outcomes,
                actionHistory: ecosystem.actionHistory)
            let report = try Metrics.report(labels: scored.labels, probabilities: scored.probabilities)
            print(EvaluationText.text(report, source: outcomes, positive: "won"))
            if let json { try FileIO.writeAtomically(Array(try JSONEncoder.pretty.encode(report)) + [0x0A], to: json) }
        }
    }
}

enum MatchText {
    static func summary(_ model: MatchModel) -> String {
        let t = model.training
        var out = "match model: \(t.rowCount) pairs (\(t.positiveCount) won), φ̃ \(model.encoding.leftNames.count) × ψ̃ "
        out += "\(model.encoding.rightNames.count) entries\(model.rank.map { ", W of rank \($0)" } ?? ""), λ \(t.l2Strength)\n"
        out += "L-BFGS: \(t.iterations) iterations, converged \(t.converged), objective \(Format.fixed(t.objective, 8)), "
        out += "|g| \(String(format: "%.1e", t.gradientNorm))\n"
        if !model.l2Search.isEmpty {
            out += "λ chosen by time-split cross-validation:\n"
            out += Format.table(
                ["λ", "mean log loss", "mean ROC AUC"],
                model.l2Search.map { ["\($0.l2Strength)", Format.fixed($0.meanLogLoss), Format.fixed($0.meanROCAUC)] })
        }
        if let cv = model.metrics.crossValidation {
            out += "time-split cross-validation (\(cv.foldCount) folds, each tested on the period after its training data):\n"
            out += Format.table(
                ["metric", "mean ± sd"],
                MetricRows.all.map { [$0.label, Format.meanAndDeviation(cv[keyPath: $0.summary], $0.decimals)] })
        }
        out += "strongest terms of W (lead feature × partner feature, partner numbers standardised):\n"
        out += Format.table(
            ["lead", "partner", "weight"],
            model.strongestTerms(12).map { [$0.lead, $0.partner, Format.fixed($0.weight, 3)] })
        return out
    }
}

extension JSONEncoder {
    static var pretty: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }
}
