import Learning

/// What a replay of past leads measures for one routing policy.
public struct PolicyOutcome: Sendable, Equatable {
    /// The historical assignment or the policy replayed.
    public var run: PolicyRun
    /// `historical`, or the policy's name (`optimal`, `optimal+fairness`, `greedy`, `round-robin`, `weighted`).
    public var name: String { run.rawValue }
    public var leads: Int
    public var assigned: Int
    /// Σ P(win) of the assigned pairs: the true probability when the truth is known, the model's otherwise.
    public var expectedWins: Double
    /// Σ P(win) × estimated deal value.
    public var expectedRevenue: Double
    /// The Gini coefficient of leads received per partner, over every partner (0: all equal; near 1: a few get all).
    public var loadGini: Double
    /// The share of assigned leads that went to new or small partners (`ModelRouter.newOrSmall`).
    public var newOrSmallShare: Double
    /// Leads received, per partner id.
    public var leadsPerPartner: [String: Int]
}

/// The replay's settings.
public struct SimulationSettings: Sendable {
    /// The replay window: the leads first assigned in the last `days` days of the history.
    public var days: Double = 30
    /// Candidates per lead (its top eligible partners by the model).
    public var candidatesPerLead = 20
    /// Eligibility in the replay (capacity is the router's job, and the partners' current statuses say nothing about
    /// the past, so both rules are off by default).
    public var rules = EligibilityRules(ineligibleStatuses: [], requireCapacity: false)
    /// The fairness controls of the `optimal+fairness` run (the other policies run without any).
    public var fairness = RoutingConfig(minimumShare: 0.02, exploration: 1.0)
    /// Days a lead stays open when its historical outcome has no closing time.
    public var defaultOpenDays = 30.0
    /// Every partner's capacity is multiplied by this (rounded, at least 1) for a what-if: below 1, capacity is tight
    /// and the policies must choose who gets the scarce slots.
    public var capacityScale = 1.0

    public init() {}
}

/// The replay: every policy and the historical assignment, on the same leads.
public struct SimulationReport: Sendable {
    public var windowStart: Timestamp
    public var windowEnd: Timestamp
    public var batches: Int
    public var capacityScale: Double
    /// True when expected wins use the generator's true win probabilities; false when they use the model's.
    public var usesTruth: Bool
    public var outcomes: [PolicyOutcome]
}

/// Replays the last days of the history under each routing policy.
///
/// The window's leads are routed in daily batches, in time order. Before each batch every partner's open leads are
/// recounted: the leads it was given before the window that are still open (from the history), plus the leads the
/// policy itself gave it in the window that are still open (each stays open as long as the lead's real outcome took,
/// or `defaultOpenDays`). Capacity is the partners file's. Leads are scored with the match model against each
/// partner's state at that moment (its load included), the top `candidatesPerLead` eligible partners become
/// candidates (expected value = P(win) × deal value), and the policy assigns the batch under capacity. Each assignment
/// is then valued with the true win probability at the partner's utilisation when the generator's truth is given (so
/// policies are judged by what would really have happened, not by the model that steered them), or with the model's
/// otherwise. The historical row values the real assignments the same way (their true P(win) from the truth).
public enum PolicySimulation {
    public static func run(
        model: MatchModel, ecosystem: Ecosystem, truth: EcosystemTruth?, settings: SimulationSettings = SimulationSettings()
    ) throws -> SimulationReport {
        let partners = ecosystem.partners.sorted { $0.id < $1.id }.map { partner -> Partner in
            var scaled = partner
            scaled.capacity = max(1, Int((Double(partner.capacity) * settings.capacityScale).rounded()))
            return scaled
        }
        let byID = Dictionary(uniqueKeysWithValues: partners.map { ($0.id, $0) })
        let leadByID = Dictionary(uniqueKeysWithValues: ecosystem.leads.map { ($0.id, $0) })
        // Each lead's first assignment (its arrival) and accepted outcome (the historical choice).
        var first: [String: Timestamp] = [:]
        var accepted: [String: Outcome] = [:]
        for outcome in ecosystem.outcomes.sorted(by: { $0.assigned < $1.assigned }) {
            if first[outcome.leadID] == nil { first[outcome.leadID] = outcome.assigned }
            if outcome.outcome != .declined && accepted[outcome.leadID] == nil { accepted[outcome.leadID] = outcome }
        }
        guard let end = first.values.max() else { throw RecordError.emptySet(file: "the outcomes", what: "outcomes") }
        let start = end.adding(days: -settings.days)
        let window = first.filter { $0.value >= start }.sorted { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }
        let windowLeads = window.compactMap { leadByID[$0.key] }
        func duration(_ leadID: String) -> Double {
            guard let outcome = accepted[leadID], let closed = outcome.closed else { return settings.defaultOpenDays }
            return max(0, outcome.assigned.days(until: closed))
        }
        // Open intervals from before the window (every policy starts from them).
        var baseline: [String: [Timestamp]] = [:]
        var historicalInWindow: [String: [(Timestamp, Timestamp)]] = [:]
        for outcome in accepted.values {
            let close = outcome.closed ?? outcome.assigned.adding(days: settings.defaultOpenDays)
            if outcome.assigned < start {
                if close > start { baseline[outcome.partnerID, default: []].append(close) }
            } else {
                historicalInWindow[outcome.partnerID, default: []].append((outcome.assigned, close))
            }
        }
        let flagged = ModelRouter.newOrSmall(partners, at: end)
        let pairTruth: [String: Double] = Dictionary(
            (truth?.pairs ?? []).map { ("\($0.leadID)\u{1}\($0.partnerID)", $0.winProbability) }, uniquingKeysWith: { a, _ in a })

        // Daily batches.
        var batches: [(time: Timestamp, leads: [Lead])] = []
        for lead in windowLeads {
            let day = Int(start.days(until: first[lead.id]!))
            let close = start.adding(days: Double(day + 1))
            if batches.last.map({ $0.time == close }) == true {
                batches[batches.count - 1].leads.append(lead)
            } else {
                batches.append((close, [lead]))
            }
        }

        func summarise(_ run: PolicyRun, _ picks: [(lead: Lead, partner: String, probability: Double)]) -> PolicyOutcome {
            var perPartner: [String: Int] = [:]
            for pick in picks { perPartner[pick.partner, default: 0] += 1 }
            let counts = partners.map { Double(perPartner[$0.id] ?? 0) }
            return PolicyOutcome(
                run: run, leads: windowLeads.count, assigned: picks.count,
                expectedWins: picks.reduce(0) { $0 + $1.probability },
                expectedRevenue: picks.reduce(0) { $0 + $1.probability * $1.lead.estimatedValue },
                loadGini: Metrics.gini(counts),
                newOrSmallShare: picks.isEmpty ? 0 : Double(picks.count { flagged.contains($0.partner) }) / Double(picks.count),
                leadsPerPartner: perPartner)
        }

        // The historical assignment.
        var historical: [(lead: Lead, partner: String, probability: Double)] = []
        for lead in windowLeads {
            guard let outcome = accepted[lead.id], let partner = byID[outcome.partnerID] else { continue }
            let probability: Double
            if let p = pairTruth["\(lead.id)\u{1}\(partner.id)"] {
                probability = p
            } else {
                var state = partner
                let open =
                    (baseline[partner.id] ?? []).count { $0 > outcome.assigned }
                    + (historicalInWindow[partner.id] ?? []).count { $0.0 < outcome.assigned && $0.1 > outcome.assigned }
                state.openLeads = open
                probability = try model.probabilities(leads: [lead], states: model.states(of: [state], at: outcome.assigned))[0]
            }
            historical.append((lead, partner.id, probability))
        }
        var outcomes = [summarise(.historical, historical)]

        let runs: [(PolicyRun, RoutingConfig)] = [
            (.optimal, RoutingConfig(policy: .optimal)), (.optimalWithFairness, settings.fairness),
            (.greedy, RoutingConfig(policy: .greedy)), (.roundRobin, RoutingConfig(policy: .roundRobin)),
            (.weighted, RoutingConfig(policy: .weighted)),
        ]
        for (run, config) in runs {
            var open: [String: [Timestamp]] = baseline
            var picks: [(lead: Lead, partner: String, probability: Double)] = []
            for batch in batches {
                let now = batch.time
                let states = partners.map { partner -> Partner in
                    var copy = partner
                    copy.openLeads = (open[partner.id] ?? []).count { $0 > now }
                    return copy
                }
                let router = ModelRouter(
                    model: model, partners: states, rules: settings.rules, at: now,
                    candidatesPerLead: settings.candidatesPerLead)
                let plan = try Router.route(try router.problem(for: batch.leads, workers: 1).problem, config: config)
                let leadByID = Dictionary(batch.leads.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
                var added: [String: Int] = [:]
                for assignment in plan.assignments {
                    guard let lead = leadByID[assignment.leadID] else { throw RoutingError.unknownLead(assignment.leadID) }
                    let partner = byID[assignment.partnerID]!
                    let load = (open[partner.id] ?? []).count { $0 > now } + added[partner.id, default: 0]
                    added[partner.id, default: 0] += 1
                    let probability =
                        truth.map {
                            $0.winProbability(
                                lead: lead, partner: partner, utilisation: Double(load) / Double(max(1, partner.capacity)))
                        } ?? (assignment.winProbability ?? 0)
                    picks.append((lead, partner.id, probability))
                    open[partner.id, default: []].append(now.adding(days: duration(lead.id)))
                }
            }
            outcomes.append(summarise(run, picks))
        }
        return SimulationReport(
            windowStart: start, windowEnd: end, batches: batches.count, capacityScale: settings.capacityScale,
            usesTruth: truth != nil, outcomes: outcomes)
    }
}

extension EcosystemTruth {
    /// The truth a generator wrote to truth/partners.csv (each partner's quality and per-vertical skill) and
    /// truth/pairs.csv (the true P(win) of every historical pair), enough to value routing decisions.
    /// - Throws: `RecordError` naming the file, line and column of a missing column, a bad number, a probability
    ///   outside [0, 1] or a partner listed twice.
    public static func load(partners table: CSVTable, pairs: CSVTable?) throws(RecordError) -> EcosystemTruth {
        let (quality, skill) = try partnerTruth(table)
        var pairList: [(leadID: String, partnerID: String, winProbability: Double)] = []
        if let pairs {
            let c = try RecordColumns(pairs, required: ["lead_id", "partner_id", "win_probability"])
            for row in 0..<c.rowCount {
                let probability = try c.number("win_probability", row, minimum: 0)
                if probability > 1 {
                    throw .impossibleValue(
                        file: c.file, line: c.line(row), column: "win_probability", value: RecordColumns.format(probability),
                        reason: "must be at most 1")
                }
                pairList.append((try c.text("lead_id", row), try c.text("partner_id", row), probability))
            }
        }
        return EcosystemTruth(quality: quality, verticalSkill: skill, pairs: pairList, churn: [], actionEffects: [])
    }

    /// Reads truth/partners.csv: `partner_id, quality, skill_<vertical>…` in `Vocabulary.verticals` order.
    /// - Throws: `RecordError` naming the file, line and column of a missing column, a bad number or a duplicate id.
    static func partnerTruth(_ table: CSVTable) throws(RecordError) -> (
        quality: [String: Double], skill: [String: [Double]]
    ) {
        let skills = Vocabulary.verticals.map { "skill_\($0)" }
        let c = try RecordColumns(table, required: ["partner_id", "quality"] + skills)
        var ids = UniqueKeys()
        var quality: [String: Double] = [:], skill: [String: [Double]] = [:]
        for row in 0..<c.rowCount {
            let id = try c.text("partner_id", row)
            try ids.insert(id, column: "partner_id", row: row, in: c)
            quality[id] = try c.number("quality", row)
            var values: [Double] = []
            for name in skills { values.append(try c.number(name, row)) }
            skill[id] = values
        }
        return (quality, skill)
    }
}
