import ArgumentParser
import Foundation
import Learning
import Switchboard

/// The record files `recommend` reads.
struct RecommendRecords: ParsableArguments {
    @Option(help: "The partners CSV file.") var partners: String
    @Option(help: "The leads CSV file (every lead the outcomes name).") var leads: String
    @Option(help: "The outcomes CSV file (lead_id, partner_id, assigned, outcome, closed, revenue).") var outcomes: String
    @Option(help: "The partner activity CSV file (one row a partner a period).") var activity: String
    @Option(help: "The action catalogue CSV file (id, name, type, eligible_types, eligible_tiers, cost, effects).")
    var actions: String
    @Option(help: "The action history CSV file (partner_id, action_id, time).") var actionHistory: String?
    @Option(
        help: """
            Partner-sourced performance (partner_id, period, sourced_deals, sourced_revenue): each recommendation's \
            reason then compares the partner with its segment's top performers (default: with its own history).
            """)
    var performance: String?
    @OptionGroup var csv: CSVOptions

    func load() throws -> Ecosystem {
        let files = try EcosystemFiles.reading([
            .partners: partners, .leads: leads, .outcomes: outcomes, .activity: activity, .actions: actions,
            .actionHistory: actionHistory,
        ])
        return try Ecosystem.load(
            files, options: EcosystemLoadOptions(delimiter: try csv.parsedDelimiter(), nonEmpty: [.activity, .actions]))
    }
}

/// The models and settings `recommend` and `evaluate actions` share.
struct RecommendSettingsOptions: ParsableArguments {
    @Option(help: "The match model file written by `switchboard train match`.") var matchModel = "Models/match.json"
    @Option(help: "The churn model file written by `switchboard train churn`.") var churnModel = "Models/churn.json"
    @Option(parsing: .unconditional, help: "Actions to recommend to each partner.") var top = 3
    @Option(parsing: .unconditional, help: "Periods (months) over which revenue and retention are counted (at most 600).")
    var horizon = 12
    @Option(
        parsing: .unconditional,
        help: "Days before the as-of time whose accepted leads stand for the leads a partner will be offered.")
    var leadWindow = 180.0
    @Option(parsing: .unconditional, help: "Nearest partners (standardised profile) whose history is the evidence.")
    var neighbours = 20
    @Option(parsing: .unconditional, help: "Days before and after an action over which the evidence compares win rates.")
    var evidenceWindow = 180.0
    @Option(parsing: .unconditional, help: "Periods after an action in which the evidence counts churn.") var evidencePeriods = 6
    @Option(
        parsing: .unconditional, help: "Churn risk (next period) from which a partner comes first in its manager's to-do list.")
    var highRisk = 0.05
    @Option(parsing: .unconditional, help: "Churn risk factors listed for each partner.") var factors = 3
    @Option(help: "The moment to recommend for (YYYY-MM-DD or an ISO 8601 time; default: the latest assignment).")
    var asOf: String?
    @Option(
        parsing: .unconditional,
        help: "Exploration budget: at most this fraction of partners get a Thompson-sampled action to try instead (0 to 1).")
    var explore = 0.0
    @Option(parsing: .unconditional, help: "The seed of the Thompson draws.") var exploreSeed: UInt64 = 1

    func settings() throws -> RecommendationSettings {
        var settings = RecommendationSettings()
        settings.topCount = top
        settings.horizonPeriods = horizon
        settings.leadWindowDays = leadWindow
        settings.neighbourCount = neighbours
        settings.evidenceWindowDays = evidenceWindow
        settings.evidencePeriods = evidencePeriods
        settings.highRiskThreshold = highRisk
        settings.factorCount = factors
        settings.exploreShare = explore
        settings.exploreSeed = exploreSeed
        if let asOf {
            settings.asOf = try timeOption("--as-of", asOf)
        }
        return settings
    }

    func validate() throws {
        try Limits.check("--top", top, atLeast: 1, atMost: 1000)
        try Limits.check("--horizon", horizon, atLeast: 1, atMost: 600)
        try Limits.check("--neighbours", neighbours, atLeast: 1, atMost: 100_000)
        try Limits.check("--evidence-periods", evidencePeriods, atLeast: 1, atMost: 600)
        try Limits.check("--factors", factors, atLeast: 0, atMost: 1000)
        do {
            try settings().validate()
        } catch let RecommendError.invalidSetting(name, value, requirement) {
            throw ValidationError("--\(name.replacingOccurrences(of: " ", with: "-")) \(requirement) (got \(value))")
        }
    }

    func recommender() throws -> ActionRecommender {
        ActionRecommender(
            matchModel: try loadModel(MatchModel.self, from: matchModel),
            churnModel: try loadModel(ChurnModel.self, from: churnModel), settings: try settings())
    }
}

/// `evaluate actions --oracle`: the parts of the value computation replaced by the truth (`ActionOracle`).
enum OraclePart: String, ExpressibleByArgument, CaseIterable {
    case winEffects = "win-effects", engagement, effects, win, churn, all
    case historyEstimates = "history-estimates"

    var parts: ActionOracle.Parts {
        switch self {
        case .historyEstimates: .historyEstimates
        case .winEffects: .winEffects
        case .engagement: .engagement
        case .effects: .effects
        case .win: .win
        case .churn: .churn
        case .all: .all
        }
    }

    static func parts(_ chosen: [OraclePart]) -> ActionOracle.Parts {
        chosen.reduce(into: ActionOracle.Parts()) { $0.formUnion($1.parts) }
    }

    /// The single parts in `parts`, in a fixed order.
    static func names(_ parts: ActionOracle.Parts) -> [String] {
        [OraclePart.winEffects, .engagement, .win, .churn, .historyEstimates].filter { parts.contains($0.parts) }.map(
            \.rawValue)
    }

    static func describe(_ parts: ActionOracle.Parts) -> String {
        let words: [(ActionOracle.Parts, String)] = [
            (.winEffects, "the actions' win-logit effects"), (.engagement, "their engagement changes"),
            (.win, "the baseline win logits"), (.churn, "the churn risks"),
            (.historyEstimates, "the match model's effect estimates (the best the history allows instead)"),
        ]
        return words.filter { parts.contains($0.0) }.map(\.1).joined(separator: ", ")
    }
}

enum TodoFormat: String, ExpressibleByArgument, CaseIterable {
    case csv, markdown
}

struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Next-best actions for every partner (recommend actions), or onboarding paths for new partners.",
        subcommands: [RecommendActions.self, RecommendOnboarding.self],
        defaultSubcommand: RecommendActions.self)
}

struct RecommendActions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actions",
        abstract: "Recommend each partner's next-best actions, with their expected value and evidence, and a to-do list.",
        discussion: """
            For every active partner and every action it is eligible for: expected value = A₀·(Rₐ − R₀) + (Aₐ − A₀)·Rₐ \
            − cost, where R is the expected won revenue a period from the leads it accepted in the lead window (match \
            model P(win), the action counted as received once more) and A the expected active periods over the horizon \
            (churn model along the activity carried forward, the action's catalogue effects added to every projected \
            period). Evidence: how many of the partner's nearest neighbours by standardised profile received the action, \
            and their change in win rate and churn against the neighbours that did not. --out gets the top actions of \
            every partner; --todo each channel manager's to-do list, high-risk partners first.
            """)

    @OptionGroup var records: RecommendRecords
    @OptionGroup var options: RecommendSettingsOptions
    @Option(help: "The recommendations CSV file (- for standard output).") var out: String
    @Option(help: "Also write each channel manager's to-do list to this file.") var todo: String?
    @Option(help: "The to-do list's format: csv or markdown.") var todoFormat: TodoFormat = .csv

    func run() throws {
        try reportingErrors {
            let recommender = try options.recommender()
            let ecosystem = try records.load()
            var plan = try recommender.recommend(ecosystem)
            var performanceRows: [PartnerPerformance]? = nil
            if let path = records.performance {
                performanceRows = try ProfileRecords.performance(
                    RecordSource(name: path, bytes: try FileIO.read(path)), partnerIDs: Set(ecosystem.partners.map(\.id)),
                    partnersFile: records.partners, delimiter: try records.csv.parsedDelimiter())
            }
            plan.reasons = ActionTargeting(ecosystem: ecosystem, performance: performanceRows)
                .reasons(for: plan, actions: ecosystem.actions)
            var outputs = [(out, Array(plan.recommendationsCSV().utf8))]
            if let todo {
                let text = todoFormat == .csv ? plan.todoCSV() : plan.todoMarkdown()
                outputs.append((todo, Array(text.utf8)))
            }
            try FileIO.writeAtomically(outputs)
            if out != "-" && todo != "-" {
                print(RecommendText.summary(plan))
                print("wrote \(([out] + (todo.map { [$0] } ?? [])).joined(separator: " and "))")
            }
        }
    }
}

struct EvaluateActions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actions",
        abstract: "Measure next-best actions against a generated ecosystem's truth.",
        discussion: """
            Reads the record files of --data (as `switchboard generate` writes them) and its truth/partners.csv and \
            truth/actions.csv, recommends as `switchboard recommend` does, and values every eligible action of every \
            partner with the true win probabilities and churn (the same value definition). Prints the mean fraction of \
            the best action's true value captured by the recommended action, the most popular action in the history \
            and a random eligible action, over the partners whose best action is worth more than its cost.
            """)

    @Option(help: "The folder written by `switchboard generate`.") var data: String
    @OptionGroup var options: RecommendSettingsOptions
    @Option(help: "Also write the figures as JSON to this file.") var json: String?
    @Option(help: "Also write every (partner, eligible action) with its expected and true value to this CSV file.")
    var details: String?
    @Option(
        parsing: .unconditional,
        help: """
            Also replay this many rounds on the truth (recommend, draw outcomes, refit the actions' effects), greedy \
            against exploring with the --explore budget (which must then be above 0; at most 100 rounds).
            """)
    var rounds = 0
    @Option(
        help: """
            With --rounds: the share of partners held out each round (no action), whose outcomes calibrate the match \
            model's margins before the effects are refitted (0 to 0.5; default 0: none).
            """)
    var holdout = 0.0
    @Option(
        help: """
            A diagnosis: replace this part of the recommender's value computation by the truth (repeatable): \
            win-effects (the actions' win-logit effects), engagement (their engagement changes), effects (both), win \
            (the baseline win logits), churn (the churn risks), all; or history-estimates (the effects estimated as \
            well as the history allows, from the truth's win logits of everything else: a ceiling for any estimate; \
            reads truth/pairs.csv).
            """)
    var oracle: [OraclePart] = []
    @OptionGroup var csv: CSVOptions

    func validate() throws {
        try Limits.check("--rounds", rounds, atLeast: 0, atMost: 100)
        if rounds > 0 && !oracle.isEmpty {
            throw ValidationError("--oracle replaces the beliefs the rounds refit: give one of --oracle and --rounds")
        }
        if !(holdout >= 0 && holdout <= 0.5) {
            throw ValidationError("--holdout must be between 0 and 0.5 (got \(holdout))")
        }
        if holdout > 0 && rounds == 0 {
            throw ValidationError("--holdout is a share of the replayed rounds' partners: give --rounds too")
        }
        if rounds > 0 && !(options.explore > 0) {
            throw ValidationError(
                "--rounds compares greedy with exploring: give --explore a budget above 0 (got \(options.explore))")
        }
    }

    func run() throws {
        try reportingErrors {
            var recommender = try options.recommender()
            let files = try EcosystemFiles.reading(
                folder: data,
                required: Set([.partners, .leads, .outcomes, .activity, .actions, .truthPartners, .truthActions])
                    .union(oracle.contains(.historyEstimates) ? [.truthPairs] : []),
                optional: [.actionHistory])
            let ecosystem = try Ecosystem.load(
                files, options: EcosystemLoadOptions(delimiter: try csv.parsedDelimiter(), nonEmpty: [.activity, .actions]))
            let truth = ActionTruth(ecosystem.truth!)
            let parts = OraclePart.parts(oracle)
            if !parts.isEmpty { recommender.oracle = ActionOracle(truth: truth, parts: parts) }
            var ceiling: ActionEffectCeiling? = nil
            if parts.contains(.historyEstimates) {
                ceiling = try ActionEffectCeiling.fit(ecosystem, truth: ecosystem.truth!)
                recommender.pooledEffectBeliefs = ceiling!.beliefs
            }
            let plan = try recommender.recommend(ecosystem)
            let evaluation = try ActionEvaluation.evaluate(plan, ecosystem: ecosystem, truth: truth)
            let uplift = try ActionUplift.evaluate(plan, ecosystem: ecosystem)
            if !parts.isEmpty { print("oracle: the truth in place of \(OraclePart.describe(parts))") }
            if let ceiling { print(RecommendText.ceiling(ceiling, truth: truth)) }
            print(RecommendText.evaluation(evaluation, plan: plan, truth: truth, data: data))
            print(RecommendText.uplift(uplift))
            var replay: ActionReplay? = nil
            if rounds > 0 {
                let settings = recommender.settings
                replay = try ActionReplay.run(
                    recommender: recommender, ecosystem: ecosystem, truth: truth, rounds: rounds,
                    exploreShare: settings.exploreShare, seed: settings.exploreSeed, holdoutShare: holdout)
                print(RecommendText.replay(replay!, truth: truth))
            }
            var outputs: [(path: String, bytes: [UInt8])] = []
            if let json {
                var figures = EvaluationJSON(evaluation)
                figures.qiniCoefficient = uplift.curve.coefficient
                figures.oracle = OraclePart.names(parts)
                figures.replay = replay.map(ReplayJSON.init)
                outputs.append((json, Array(try JSONEncoder.pretty.encode(figures)) + [0x0A]))
            }
            if let details { outputs.append((details, Array(evaluation.detailsCSV(plan: plan).utf8))) }
            try FileIO.writeAtomically(outputs)
        }
    }

    /// `--rounds`: per arm, per round, the mean captured fraction, regret and explored partners.
    struct ReplayJSON: Encodable {
        struct Round: Encodable {
            var round: Int
            var capturedFraction, capturedValue, bestValue, regret, bestChoiceRate, exploitCapturedFraction: Double
            var exploredPartners, heldOutPartners: Int
            var calibration: Double
            var effects: [String: Double]
            var standardErrors: [String: Double]
        }
        struct Arm: Encodable {
            var exploreShare, meanCapturedFraction, cumulativeRegret: Double
            var rounds: [Round]
        }
        var evaluatedPartners: Int
        var holdoutShare: Double
        var greedy, explore: Arm

        init(_ r: ActionReplay) {
            holdoutShare = r.holdoutShare
            func arm(_ a: ActionReplay.Arm) -> Arm {
                Arm(
                    exploreShare: a.exploreShare, meanCapturedFraction: a.meanCapturedFraction,
                    cumulativeRegret: a.cumulativeRegret,
                    rounds: a.rounds.map {
                        Round(
                            round: $0.round, capturedFraction: $0.meanCapturedFraction, capturedValue: $0.capturedValue,
                            bestValue: $0.bestValue, regret: $0.regret, bestChoiceRate: $0.bestChoiceRate,
                            exploitCapturedFraction: $0.exploitCapturedFraction,
                            exploredPartners: $0.exploredCount, heldOutPartners: $0.heldOutCount,
                            calibration: $0.calibration, effects: $0.beliefs.mapValues(\.mean),
                            standardErrors: $0.beliefs.mapValues { $0.variance.squareRoot() })
                    })
            }
            evaluatedPartners = r.evaluatedCount
            greedy = arm(r.greedy)
            explore = arm(r.explore)
        }
    }

    struct EvaluationJSON: Encodable {
        struct Strategy: Encodable {
            var meanCapturedFraction, totalCapturedFraction, meanTrueValue, bestChoiceRate: Double
            init(_ s: ActionEvaluation.Summary) {
                meanCapturedFraction = s.meanCapturedFraction
                totalCapturedFraction = s.totalCapturedFraction
                meanTrueValue = s.meanTrueValue
                bestChoiceRate = s.bestChoiceRate
            }
        }
        var partners, evaluatedPartners: Int
        var recommended, mostPopular, randomEligible: Strategy
        var meanBestValue, valueCorrelation: Double
        /// The mean captured fractions, under the names scripts read.
        var recommendedCaptured, mostPopularCaptured, randomCaptured: Double
        var meanProbabilityBest: Double
        var confidentPartners: Int
        var confidentRecommendedCaptured, confidentMostPopularCaptured: Double?
        /// The Qini coefficient of the expected values over the history (`ActionUplift`).
        var qiniCoefficient: Double?
        /// The rounds replayed with `--rounds`.
        var replay: ReplayJSON?
        /// The parts replaced by the truth with `--oracle` (empty: none).
        var oracle: [String] = []

        enum CodingKeys: String, CodingKey {
            case partners, evaluatedPartners, recommended, mostPopular, randomEligible, meanBestValue, valueCorrelation
            case recommendedCaptured = "recommended_captured"
            case mostPopularCaptured = "most_popular_captured"
            case randomCaptured = "random_captured"
            case meanProbabilityBest = "mean_probability_best"
            case confidentPartners = "confident_partners"
            case confidentRecommendedCaptured = "confident_recommended_captured"
            case confidentMostPopularCaptured = "confident_most_popular_captured"
            case qiniCoefficient = "qini_coefficient"
            case replay, oracle
        }

        init(_ e: ActionEvaluation) {
            recommendedCaptured = e.recommended.meanCapturedFraction
            mostPopularCaptured = e.mostPopular.meanCapturedFraction
            randomCaptured = e.randomEligible.meanCapturedFraction
            meanProbabilityBest = e.meanProbabilityBest
            confidentPartners = e.confidentCount
            confidentRecommendedCaptured = e.confidentRecommended?.meanCapturedFraction
            confidentMostPopularCaptured = e.confidentMostPopular?.meanCapturedFraction
            partners = e.partners.count
            evaluatedPartners = e.evaluatedCount
            recommended = Strategy(e.recommended)
            mostPopular = Strategy(e.mostPopular)
            randomEligible = Strategy(e.randomEligible)
            meanBestValue = e.meanBestValue
            valueCorrelation = e.valueCorrelation
        }
    }
}

/// The summaries `recommend` and `evaluate actions` print (the files are the domain's: `ActionPlan+Output`).
enum RecommendText {
    static func money(_ value: Double) -> String { NumberFormat.grouped(value) }

    static func percent(_ value: Double) -> String { NumberFormat.percent(value) }

    static func summary(_ plan: ActionPlan) -> String {
        var reasons: [String: Int] = [:]
        for skipped in plan.skipped {
            let kind: String
            if case .churned = skipped.reason { kind = "already churned" } else { kind = skipped.reason.description }
            reasons[kind, default: 0] += 1
        }
        let high = plan.partners.count { $0.isHighRisk }
        var line =
            "recommended \(plan.recommendations.count) actions to \(plan.partners.count) partners as of "
            + "\(plan.asOf.dateDescription) (\(high) at high churn risk, \(plan.todos.count) managers)"
        if !plan.skipped.isEmpty {
            line += "; left out \(plan.skipped.count): "
            line += reasons.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        }
        return line
    }

    /// The Qini curve over the history at tenths of the units, and its coefficient.
    static func replay(_ r: ActionReplay, truth: ActionTruth) -> String {
        var out = "\nreplay on the truth: \(r.greedy.rounds.count) rounds, \(r.evaluatedCount) partners evaluated each; "
        out += "greedy (top action) against exploring (Thompson, budget \(percent(r.explore.exploreShare)) of partners)\n"
        var rows: [[String]] = []
        for (g, e) in zip(r.greedy.rounds, r.explore.rounds) {
            rows.append([
                "\(g.round)", Format.fixed(g.meanCapturedFraction), Format.fixed(e.meanCapturedFraction),
                Format.fixed(e.exploitCapturedFraction), "\(e.exploredCount)", money(g.regret), money(e.regret),
            ])
        }
        rows.append([
            "mean / total", Format.fixed(r.greedy.meanCapturedFraction), Format.fixed(r.explore.meanCapturedFraction),
            "", "", money(r.greedy.cumulativeRegret), money(r.explore.cumulativeRegret),
        ])
        out += Format.table(
            [
                "round", "greedy captured", "explore captured", "explore's top actions", "explored", "greedy regret",
                "explore regret",
            ], rows)
        func beliefs(_ arm: ActionReplay.Arm) -> String {
            let last = arm.rounds.last?.beliefs ?? [:]
            return last.keys.sorted().map { id in
                let b = last[id]!
                return "\(id) \(Format.fixed(b.mean, 3)) ± \(Format.fixed(b.variance.squareRoot(), 3))"
                    + (truth.winLogitEffect[id].map { " (true \(Format.fixed($0, 2)))" } ?? "")
            }.joined(separator: ", ")
        }
        out += "win effects after the last round, greedy: \(beliefs(r.greedy))\n"
        out += "win effects after the last round, exploring: \(beliefs(r.explore))"
        if r.holdoutShare > 0 {
            out += "\nholdout: \(percent(r.holdoutShare)) of partners a round get no action (left out of the figures): "
            out += zip(r.greedy.rounds, r.explore.rounds).map { g, e in
                "round \(g.round) \(g.heldOutCount) partners, calibration of the model's margins "
                    + "\(Format.fixed(g.calibration, 3)) (greedy) / \(Format.fixed(e.calibration, 3)) (exploring)"
            }.joined(separator: "; ")
        }
        return out
    }

    /// `--oracle history-estimates`: each action's best estimate from the history, its standard error and the truth.
    static func ceiling(_ c: ActionEffectCeiling, truth: ActionTruth) -> String {
        var out = "each action's win-logit effect as well as the history allows (the truth's win logits of everything "
        out += "else as offsets; these replace the match model's estimates in the table below)\n"
        out += Format.table(
            ["action", "estimate", "std. error", "treated outcomes", "true"],
            c.estimates.map {
                [
                    $0.actionID, Format.fixed($0.estimate), Format.fixed($0.standardError), "\($0.treatedOutcomes)",
                    truth.winLogitEffect[$0.actionID].map { Format.fixed($0) } ?? "",
                ]
            })
        return out
    }

    static func uplift(_ u: ActionUplift) -> String {
        let n = u.curve.values.count - 1
        var out = "\nuplift over the history (no truth needed): \(u.treatedCount) treated and \(u.controlCount) control "
        out += "(partner, action) units ranked by expected value; Qini curve (extra win rate of the treated, summed) at "
        out += "each tenth: "
        out += (1...10).map { Format.fixed(u.curve.values[n * $0 / 10], 2) }.joined(separator: " ")
        out += "; Qini coefficient \(Format.fixed(u.curve.coefficient)) (0 for a random ranking)"
        return out
    }

    static func evaluation(_ e: ActionEvaluation, plan: ActionPlan, truth: ActionTruth, data: String) -> String {
        let s = plan.settings
        var out = "next-best actions against the truth of \(data): \(e.partners.count) partners valued, "
        out += "\(e.evaluatedCount) whose best action is worth more than nothing\n"
        out += "as of \(plan.asOf.dateDescription), horizon \(s.horizonPeriods) periods, lead window "
        out += "\(Format.fixed(s.leadWindowDays, 0)) days\n"
        out += Format.table(
            ["strategy", "captured (mean)", "captured (total)", "best chosen", "mean true value"],
            [e.recommended, e.mostPopular, e.randomEligible].map {
                [
                    $0.name, Format.fixed($0.meanCapturedFraction), Format.fixed($0.totalCapturedFraction),
                    percent($0.bestChoiceRate), money($0.meanTrueValue),
                ]
            } + [["best", "1.0000", "1.0000", "100.0%", money(e.meanBestValue)]])
        out += "correlation of expected and true value over every eligible (partner, action): "
        out += Format.fixed(e.valueCorrelation) + "\n"
        out += "the recommended action is best with posterior probability \(percent(e.meanProbabilityBest)) on average; "
        out += "the history tells it apart (probability ≥ \(percent(ActionEvaluation.confidentThreshold))) for "
        out += "\(e.confidentCount) of \(e.evaluatedCount) partners"
        if let r = e.confidentRecommended, let m = e.confidentMostPopular {
            out += ", where recommended captures \(Format.fixed(r.meanCapturedFraction)) and most popular "
            out += Format.fixed(m.meanCapturedFraction)
        }
        if !plan.winEffects.isEmpty {
            out += "\n\neach action's effect on the win logit: the match model's estimate, the standard error the history "
            out += "allows (within-partner, before/after), and the truth\n"
            out += Format.table(
                ["action", "estimate", "std. error", "between-partner sd", "partners", "true"],
                plan.winEffects.map {
                    [
                        $0.actionID, Format.fixed($0.estimate), $0.standardError.isFinite ? Format.fixed($0.standardError) : "–",
                        Format.fixed($0.betweenPartnerVariance.squareRoot()), "\($0.partnersWithEvidence)",
                        truth.winLogitEffect[$0.actionID].map { Format.fixed($0) } ?? "",
                    ]
                })
        }
        return out
    }
}
