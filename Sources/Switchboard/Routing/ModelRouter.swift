import Learning

/// Turns leads into a routing problem with the match model: each lead's top eligible partners become its candidates
/// (expected value = P(win) × deal value), and each partner's capacity, open leads and fairness facts come from the
/// partners and the match model. `route model`, `simulate` and the report all build their problems here.
public struct ModelRouter: Sendable {
    public var model: MatchModel
    public var partners: [Partner]
    /// Eligibility (capacity is the router's constraint, so `requireCapacity` is usually off: full partners stay
    /// listed and show as the best alternative).
    public var rules: EligibilityRules
    /// Partners' tenure and state are taken at this time.
    public var time: Timestamp
    /// Candidates per lead: its top eligible partners by P(win).
    public var candidatesPerLead: Int

    public init(
        model: MatchModel, partners: [Partner], rules: EligibilityRules, at time: Timestamp, candidatesPerLead: Int
    ) {
        self.model = model
        self.partners = partners
        self.rules = rules
        self.time = time
        self.candidatesPerLead = candidatesPerLead
    }

    /// Scores `leads` (`LeadScorer`) and builds their routing problem.
    /// - Parameter workers: the scorer's workers (nil: every core).
    /// - Throws: `LearningError` when the model does not fit the partners or leads, `RoutingError` for a bad value.
    public func problem(for leads: [Lead], workers: Int? = nil) throws -> (problem: RoutingProblem, scores: [LeadScore]) {
        let scorer = try LeadScorer(model: model, partners: partners, rules: rules, at: time)
        let scores = try scorer.score(leads, top: candidatesPerLead, workers: workers)
        return (try Self.problem(scores: scores, leads: leads, partners: partners, model: model, at: time), scores)
    }

    /// Partners who joined less than this many days before the batch count as new.
    public static let newPartnerDays = 180.0

    /// The new partners: joined less than `newPartnerDays` before `time`.
    public static func newPartners(_ partners: [Partner], at time: Timestamp) -> Set<String> {
        Set(partners.filter { $0.joined.days(until: time) < newPartnerDays }.map(\.id))
    }

    /// The small partners: 12-month revenue at or below the bottom quarter's (the ⌈n/4⌉-th smallest of all partners').
    public static func smallPartners(_ partners: [Partner]) -> Set<String> {
        let revenues = partners.map(\.activity.revenue).sorted()
        guard let quarter = revenues.isEmpty ? nil : revenues[(revenues.count - 1) / 4] else { return [] }
        return Set(partners.filter { $0.activity.revenue <= quarter }.map(\.id))
    }

    /// The partners guaranteed the routing configuration's minimum share: the new ones and the small ones. Every
    /// command that speaks of new or small partners (`route`, `simulate`, `report`) uses these definitions.
    public static func newOrSmall(_ partners: [Partner], at time: Timestamp) -> Set<String> {
        newPartners(partners, at: time).union(smallPartners(partners))
    }

    /// The standard deviation of a partner's win rate under a uniform prior and its resolved leads in the model's
    /// history: Beta(wins + 1, losses + 1). Large for partners with little history (the exploration bonus's u).
    public static func winRateUncertainty(_ counts: WinCounts?) -> Double {
        let a = (counts?.wins ?? 0) + 1, b = (counts?.trials ?? 0) - (counts?.wins ?? 0) + 1
        return (a * b / ((a + b) * (a + b) * (a + b + 1))).squareRoot()
    }

    /// The routing problem of `scores` (from `LeadScorer`), each matched to its lead by id (deal value: the lead's
    /// estimated value), leads in the order of `scores`.
    /// - Throws: `RoutingError` when a score names a lead that is not in `leads` or a partner that is not in
    ///   `partners`, or a lead twice.
    public static func problem(
        scores: [LeadScore], leads: [Lead], partners: [Partner], model: MatchModel, at time: Timestamp
    ) throws(RoutingError) -> RoutingProblem {
        let flagged = newOrSmall(partners, at: time)
        var problem = try RoutingProblem(
            partners: partners.map { partner in
                PartnerCapacity(
                    partnerID: partner.id, capacity: partner.capacity, openLeads: partner.openLeads,
                    guaranteedMinimumShare: flagged.contains(partner.id),
                    winRateUncertainty: winRateUncertainty(model.trackRecords[partner.id]))
            })
        var leadByID: [String: Lead] = [:]
        for lead in leads { leadByID[lead.id] = lead }
        for score in scores {
            guard let lead = leadByID[score.leadID] else { throw .unknownLead(score.leadID) }
            try problem.addLead(
                id: lead.id,
                candidates: score.partners.map {
                    RoutingCandidate(
                        partnerID: $0.partnerID, expectedValue: $0.expectedValue, winProbability: $0.winProbability,
                        isAccountOwner: $0.isAccountOwner)
                }, dealValue: lead.estimatedValue)
        }
        return problem
    }
}

/// A run the replay and the report compare: the historical assignment, or a routing policy (optimal with or without
/// the fairness controls).
public enum PolicyRun: String, Sendable, CaseIterable, Equatable {
    case historical, optimal
    case optimalWithFairness = "optimal+fairness"
    case greedy
    case roundRobin = "round-robin"
    case weighted

    /// The routing policy the run uses (nil for the historical assignment).
    public var policy: RoutingPolicy? {
        switch self {
        case .historical: nil
        case .optimal, .optimalWithFairness: .optimal
        case .greedy: .greedy
        case .roundRobin: .roundRobin
        case .weighted: .weighted
        }
    }
}
