import Learning

/// Turns scored leads into a routing problem: each lead's top eligible partners become its candidates (expected value
/// = P(win) × deal value), and each partner's capacity, open leads and fairness facts come from the partners file and
/// the match model.
public enum ModelRouting {
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

    /// The routing problem of `scores` (from `LeadScorer`, in the order of `leads`).
    /// - Throws: `RoutingError` when the scores name a partner that is not in `partners`.
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
        for (score, lead) in zip(scores, leads) {
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
