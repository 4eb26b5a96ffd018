import Learning

/// Turns scored leads into a routing problem: each lead's top eligible partners become its candidates (expected value
/// = P(win) × deal value), and each partner's capacity, open leads and fairness facts come from the partners file and
/// the match model.
public enum ModelRouting {
    /// Partners who joined less than this many days before the batch count as new.
    public static let newPartnerDays = 180.0

    /// The partners guaranteed the routing configuration's minimum share: new ones (joined within `newPartnerDays`
    /// of `time`) and small ones (12-month revenue in the bottom quarter of all partners').
    public static func newOrSmall(_ partners: [Partner], at time: Timestamp) -> Set<String> {
        let revenues = partners.map(\.activity.revenue).sorted()
        let quarter = revenues.isEmpty ? 0 : revenues[(revenues.count - 1) / 4]
        return Set(
            partners.filter { $0.joined.days(until: time) < newPartnerDays || $0.activity.revenue <= quarter }.map(\.id))
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
