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
    @Option(
        name: [.customLong("history"), .customLong("actions-history")],
        help: "The action history CSV file (partner_id, action_id, time).")
    var history: String?
    @OptionGroup var csv: CSVOptions

    func load() throws -> LoadedRecords {
        try LoadedRecords(
            partners: partners, leads: leads, outcomes: outcomes, activity: activity, actions: actions, history: history,
            delimiter: try csv.parsedDelimiter())
    }
}

/// The records read and checked across files, with where each came from.
struct LoadedRecords {
    var ecosystem: Ecosystem
    var sources: EcosystemSources
    var actionLines: [Int]

    init(
        partners: String, leads: String, outcomes: String, activity: String, actions: String, history: String?,
        delimiter: CSVDelimiter?
    ) throws {
        let partnerTable = try FileIO.readTable(partners, delimiter: delimiter).table
        let leadTable = try FileIO.readTable(leads, delimiter: delimiter).table
        let outcomeTable = try FileIO.readTable(outcomes, delimiter: delimiter).table
        let activityTable = try FileIO.readTable(activity, delimiter: delimiter).table
        let actionTable = try FileIO.readTable(actions, delimiter: delimiter).table
        sources = EcosystemSources()
        sources.partners = partnerTable.source
        sources.leads = leadTable.source
        sources.outcomes = outcomeTable.source
        sources.activity = activityTable.source
        sources.actions = actionTable.source
        ecosystem = Ecosystem(
            partners: try RecordLoader.partners(partnerTable), leads: try RecordLoader.leads(leadTable),
            outcomes: try RecordLoader.outcomes(outcomeTable), activity: try RecordLoader.activity(activityTable),
            actions: try RecordLoader.actions(actionTable))
        actionLines = actionTable.recordLines
        var historyLines: [Int] = []
        if let history {
            let table = try FileIO.readTable(history, delimiter: delimiter).table
            ecosystem.actionHistory = try RecordLoader.actionHistory(table)
            sources.actionHistory = table.source
            historyLines = table.recordLines
        }
        if ecosystem.actions.isEmpty { throw RecordError.emptySet(file: actionTable.source, what: "actions") }
        if ecosystem.activity.isEmpty { throw RecordError.emptySet(file: activityTable.source, what: "activity rows") }
        try ecosystem.validate(
            sources: sources, outcomeLines: outcomeTable.recordLines, activityLines: activityTable.recordLines,
            historyLines: historyLines)
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

enum TodoFormat: String, ExpressibleByArgument, CaseIterable {
    case csv, markdown
}

struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(
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
            let loaded = try records.load()
            let plan = try recommender.recommend(loaded.ecosystem, sources: loaded.sources, actionLines: loaded.actionLines)
            var outputs = [(out, Array(RecommendText.recommendations(plan).utf8))]
            if let todo {
                let text = todoFormat == .csv ? RecommendText.todoCSV(plan) : RecommendText.todoMarkdown(plan)
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
    @OptionGroup var csv: CSVOptions

    func run() throws {
        try reportingErrors {
            let recommender = try options.recommender()
            let folder = URL(fileURLWithPath: data)
            func path(_ name: String) -> String { folder.appendingPathComponent(name).relativePath }
            let delimiter = try csv.parsedDelimiter()
            let actionHistory = path("action_history.csv")
            let loaded = try LoadedRecords(
                partners: path("partners.csv"), leads: path("leads.csv"), outcomes: path("outcomes.csv"),
                activity: path("activity.csv"), actions: path("actions.csv"),
                history: FileManager.default.fileExists(atPath: actionHistory) ? actionHistory : nil, delimiter: delimiter)
            let truth = try ActionTruth(
                partners: try FileIO.readTable(path("truth/partners.csv"), delimiter: delimiter).table,
                actions: try FileIO.readTable(path("truth/actions.csv"), delimiter: delimiter).table)
            let plan = try recommender.recommend(loaded.ecosystem, sources: loaded.sources, actionLines: loaded.actionLines)
            let evaluation = try ActionEvaluation.evaluate(plan, ecosystem: loaded.ecosystem, truth: truth)
            print(RecommendText.evaluation(evaluation, plan: plan, truth: truth, data: data))
            var outputs: [(path: String, bytes: [UInt8])] = []
            if let json { outputs.append((json, Array(try JSONEncoder.pretty.encode(EvaluationJSON(evaluation))) + [0x0A])) }
            if let details { outputs.append((details, Array(RecommendText.details(evaluation, plan: plan).utf8))) }
            try FileIO.writeAtomically(outputs)
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

        init(_ e: ActionEvaluation) {
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

/// The files and summaries `recommend` and `evaluate actions` write.
enum RecommendText {
    static let recommendationHeader = [
        "partner_id", "partner_name", "manager_id", "rank", "action_id", "action_name", "expected_value", "revenue_change",
        "retention_change", "cost", "win_logit_change", "revenue_per_period", "revenue_per_period_after", "expected_leads",
        "churn_risk", "churn_within_horizon", "churn_within_horizon_after", "expected_active_periods",
        "expected_active_periods_after", "neighbours", "neighbours_took", "took_win_rate_change", "others_win_rate_change",
        "took_churn_rate", "others_churn_rate",
    ]

    static func optional(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }

    /// One row a partner a recommended action, partners by id, actions by rank.
    static func recommendations(_ plan: ActionPlan) -> String {
        var text = CSVWriter.line(recommendationHeader)
        for outlook in plan.partners {
            for r in outlook.recommendations {
                let e = r.evidence
                text += CSVWriter.line([
                    outlook.partnerID, outlook.partnerName, outlook.managerID, "\(r.rank)", r.actionID, r.actionName,
                    "\(r.expectedValue)", "\(r.revenueChange)", "\(r.retentionChange)", "\(r.cost)", "\(r.winLogitChange)",
                    "\(outlook.revenuePerPeriod)", "\(r.revenuePerPeriodAfter)", "\(outlook.expectedLeads)",
                    "\(outlook.churnRisk)", "\(outlook.churnWithinHorizon)", "\(r.churnWithinHorizonAfter)",
                    "\(outlook.expectedActivePeriods)", "\(r.expectedActivePeriodsAfter)", "\(e.neighbourCount)",
                    "\(e.tookCount)", optional(e.tookWinRateChange), optional(e.othersWinRateChange),
                    optional(e.tookChurnRate), optional(e.othersChurnRate),
                ])
            }
        }
        return text
    }

    static func factors(_ factors: [ChurnFactor]) -> String {
        factors.map { "\($0.name) \($0.contribution >= 0 ? "+" : "−")\(Format.fixed(abs($0.contribution), 2))" }
            .joined(separator: "; ")
    }

    /// One row a partner: its manager, position in the to-do list, risk, factors and best action.
    static func todoCSV(_ plan: ActionPlan) -> String {
        var text = CSVWriter.line([
            "manager_id", "position", "partner_id", "partner_name", "churn_risk", "high_risk", "risk_factors", "action_id",
            "action_name", "expected_value",
        ])
        for todo in plan.todos {
            for item in todo.items {
                let o = item.outlook, best = o.recommendations.first
                text += CSVWriter.line([
                    todo.managerID, "\(item.position)", o.partnerID, o.partnerName, "\(o.churnRisk)",
                    o.isHighRisk ? "yes" : "no", factors(o.riskFactors), best?.actionID ?? "", best?.actionName ?? "",
                    best.map { "\($0.expectedValue)" } ?? "",
                ])
            }
        }
        return text
    }

    static func money(_ value: Double) -> String {
        let rounded = Int(value.rounded())
        let digits = String(abs(rounded))
        var grouped = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(character)
        }
        return (rounded < 0 ? "−" : "") + grouped
    }

    static func signedMoney(_ value: Double) -> String { (value >= 0 ? "+" : "") + money(value) }

    static func percent(_ value: Double) -> String { Format.fixed(100 * value, 1) + "%" }

    /// Each manager's to-do list as Markdown.
    static func todoMarkdown(_ plan: ActionPlan) -> String {
        let s = plan.settings
        var text = "# Next-best actions as of \(plan.asOf.dateDescription)\n\n"
        text += "Expected value over \(s.horizonPeriods) months: revenue change + retention change − cost. "
        text += "Partners with a churn risk of \(percent(s.highRiskThreshold)) or more a month come first.\n"
        for todo in plan.todos {
            text += "\n## \(todo.managerID) (\(todo.items.count) partners)\n\n"
            for item in todo.items {
                let o = item.outlook
                text += "\(item.position). **\(o.partnerID) \(o.partnerName)**: churn risk \(percent(o.churnRisk)) a month"
                text += o.isHighRisk ? " (high)" : ""
                if !o.riskFactors.isEmpty { text += "; factors: \(factors(o.riskFactors))" }
                text += "\n"
                for r in o.recommendations {
                    text += "   - \(r.actionID) \(r.actionName): expected value \(signedMoney(r.expectedValue)) "
                    text += "(revenue \(signedMoney(r.revenueChange)), retention \(signedMoney(r.retentionChange)), "
                    text +=
                        "cost \(money(r.cost))); \(r.evidence.tookCount) of \(r.evidence.neighbourCount) similar partners took it"
                    if let change = r.evidence.tookWinRateChange {
                        text += ", win rate \(change >= 0 ? "+" : "−")\(Format.fixed(100 * abs(change), 1)) points after"
                    }
                    text += "\n"
                }
            }
        }
        return text
    }

    static func summary(_ plan: ActionPlan) -> String {
        var reasons: [String: Int] = [:]
        for skipped in plan.skipped {
            let kind = skipped.reason.hasPrefix("churned") ? "already churned" : skipped.reason
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

    /// One row a partner an eligible action: the recommender's rank and expected value, and the true value.
    static func details(_ e: ActionEvaluation, plan: ActionPlan) -> String {
        var text = CSVWriter.line([
            "partner_id", "action_id", "rank", "expected_value", "revenue_change", "retention_change", "true_value",
            "true_revenue_change", "true_retention_change", "best", "most_popular",
        ])
        var results: [String: ActionEvaluation.PartnerResult] = [:]
        for result in e.partners { results[result.partnerID] = result }
        for outlook in plan.partners {
            guard let result = results[outlook.partnerID] else { continue }
            for r in outlook.ranked {
                text += CSVWriter.line([
                    r.partnerID, r.actionID, "\(r.rank)", "\(r.expectedValue)", "\(r.revenueChange)", "\(r.retentionChange)",
                    result.trueValues[r.actionID].map { "\($0)" } ?? "",
                    result.trueRevenueChanges[r.actionID].map { "\($0)" } ?? "",
                    result.trueRetentionChanges[r.actionID].map { "\($0)" } ?? "",
                    r.actionID == result.bestActionID ? "yes" : "no",
                    r.actionID == result.popularActionID ? "yes" : "no",
                ])
            }
        }
        return text
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
        out += Format.fixed(e.valueCorrelation)
        if !plan.winEffects.isEmpty {
            out += "\n\neach action's effect on the win logit: the match model's estimate, the standard error the history "
            out += "allows (within-partner, before/after), and the truth\n"
            out += Format.table(
                ["action", "estimate", "std. error", "true"],
                plan.winEffects.map {
                    [
                        $0.actionID, Format.fixed($0.estimate), $0.standardError.isFinite ? Format.fixed($0.standardError) : "–",
                        truth.winLogitEffect[$0.actionID].map { Format.fixed($0) } ?? "",
                    ]
                })
        }
        return out
    }
}
