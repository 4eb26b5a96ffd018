import Learning

/// What the live router scores leads with: the match model, the partners and the eligibility rules, fixed until the
/// next reload, with the model version every decision records.
public final class LiveScoring: Sendable {
    public let model: MatchModel
    public let partners: [Partner]
    public let rules: EligibilityRules
    /// The model's checksum (`match:<checksum>`), recorded on every decision made with its scores.
    public let modelVersion: String
    public let candidatesPerLead: Int
    let scorer: LeadScorer

    /// - Parameter time: partners' tenure and state are taken at this time.
    /// - Throws: `LearningError` when the model does not fit the partners.
    public init(model: MatchModel, partners: [Partner], rules: EligibilityRules, at time: Timestamp, candidatesPerLead: Int)
        throws
    {
        var rules = rules
        // Capacity is the live router's constraint: full partners stay candidates, so they can be offered leads as soon
        // as they have room and shown as the best alternative meanwhile.
        rules.requireCapacity = false
        self.model = model
        self.partners = partners
        self.rules = rules
        self.modelVersion = "match:" + model.header.checksum
        self.candidatesPerLead = max(1, min(candidatesPerLead, max(1, partners.count)))
        self.scorer = try LeadScorer(model: model, partners: partners, rules: rules, at: time)
    }

    /// The partners as the live router sees them.
    public var livePartners: [LivePartner] { partners.map(LivePartner.init) }

    /// Each lead with its top eligible candidates (expected value = P(win) × estimated value), in input order.
    /// - Throws: `LearningError` from the scorer.
    public func inputs(for leads: [Lead], workers: Int? = 1) throws -> [LiveLeadInput] {
        let scores = try scorer.score(leads, top: candidatesPerLead, workers: workers)
        return zip(leads, scores).map { lead, score in
            LiveLeadInput(
                lead: lead,
                candidates: score.partners.map {
                    LiveCandidate(
                        partnerID: $0.partnerID, expectedValue: $0.expectedValue, winProbability: $0.winProbability,
                        isAccountOwner: $0.isAccountOwner)
                }, noCandidateReason: score.reason)
        }
    }
}
