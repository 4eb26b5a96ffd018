import ArgumentParser
import Foundation
import Learning
import Switchboard

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay past leads under every routing policy and compare them with the historical assignment.",
        discussion: """
            The leads first assigned in the last --days of the history are routed again in daily batches by each \
            policy (optimal, optimal with the fairness controls of --config, greedy, round-robin, weighted), with \
            every partner's load carried from batch to batch. Reports expected wins and revenue, the Gini coefficient \
            of leads per partner, and the share going to new or small partners, beside the historical assignment. \
            With --truth (a generated ecosystem's truth/ folder) decisions are valued with the true win \
            probabilities; otherwise with the model's.
            """)

    @OptionGroup var input: MatchInput
    @Option(help: "The match model file.") var model: String = "Models/match.json"
    @Option(help: "A generated ecosystem's truth folder (partners.csv, pairs.csv): value decisions by the truth.")
    var truth: String?
    @Option(parsing: .unconditional, help: "Replay the leads first assigned in the last this many days.") var days: Double = 30
    @Option(parsing: .unconditional, help: "Candidates per lead (its top eligible partners by the model; at most 10000).")
    var candidates: Int = 20
    @Option(help: "Routing configuration (JSON) for the optimal+fairness run (default: minimumShare 0.02, exploration 1).")
    var config: String?
    @Option(parsing: .unconditional, help: "Multiply every partner's capacity by this (a what-if; below 1 capacity is tight).")
    var capacityScale: Double = 1
    @Option(help: "Also write the table as CSV here.") var out: String?

    func validate() throws {
        if !(days > 0 && days.isFinite) { throw ValidationError("--days must be > 0 (got \(days))") }
        if !(capacityScale > 0 && capacityScale.isFinite) {
            throw ValidationError("--capacity-scale must be > 0 (got \(capacityScale))")
        }
        try Limits.check("--candidates", candidates, atLeast: 1, atMost: Limits.partnersPerLead)
    }

    func run() throws {
        try reportingErrors {
            let (ecosystem, _) = try input.load(more: [
                .truthPartners: truth.map { EcosystemFiles.path($0, "partners.csv") },
                .truthPairs: truth.map { EcosystemFiles.path($0, "pairs.csv") },
            ])
            let match = try loadModel(MatchModel.self, from: model)
            var settings = SimulationSettings()
            settings.days = days
            settings.candidatesPerLead = min(candidates, max(1, ecosystem.partners.count))
            settings.capacityScale = capacityScale
            if let config {
                settings.fairness = try RoutingConfig.parse(try FileIO.read(config), source: config)
                settings.fairness.policy = .optimal
            }
            let report = try PolicySimulation.run(model: match, ecosystem: ecosystem, truth: ecosystem.truth, settings: settings)
            print(Self.text(report))
            if let out { try FileIO.writeAtomically(Self.csv(report), to: out) }
        }
    }

    static func rows(_ report: SimulationReport) -> [[String]] {
        let historical = report.outcomes.first { $0.run == .historical }
        return report.outcomes.map { outcome in
            let gain = historical.map { outcome.expectedWins - $0.expectedWins } ?? 0
            return [
                outcome.name, "\(outcome.assigned)/\(outcome.leads)", Format.fixed(outcome.expectedWins, 1),
                (gain >= 0 ? "+" : "") + Format.fixed(gain, 1), Format.fixed(outcome.expectedRevenue, 0),
                Format.fixed(outcome.loadGini, 3), Format.fixed(100 * outcome.newOrSmallShare, 1) + "%",
            ]
        }
    }

    static let header = [
        "policy", "assigned", "expected wins", "vs historical", "expected revenue", "load Gini", "to new/small partners",
    ]

    static func text(_ report: SimulationReport) -> String {
        "Replay of \(report.outcomes.first?.leads ?? 0) leads first assigned \(report.windowStart.dateDescription) to "
            + "\(report.windowEnd.dateDescription), in \(report.batches) daily batches (capacity × \(report.capacityScale)); "
            + "expected wins by the "
            + (report.usesTruth ? "true win probabilities (generator's truth)" : "match model (no truth given)") + ":\n\n"
            + Format.table(header, rows(report))
    }

    static func csv(_ report: SimulationReport) -> String {
        var text = CSVWriter.line([
            "policy", "leads", "assigned", "expected_wins", "expected_revenue", "load_gini", "new_or_small_share",
        ])
        for outcome in report.outcomes {
            text += CSVWriter.line([
                outcome.name, "\(outcome.leads)", "\(outcome.assigned)", "\(outcome.expectedWins)", "\(outcome.expectedRevenue)",
                "\(outcome.loadGini)", "\(outcome.newOrSmallShare)",
            ])
        }
        return text
    }
}
