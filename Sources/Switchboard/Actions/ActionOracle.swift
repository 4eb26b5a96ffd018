import LinearAlgebra

/// Parts of the recommender's value computation replaced by a generated ecosystem's truth: a diagnosis of which input
/// of the expected value costs the captured value (`switchboard evaluate actions --oracle`).
///
/// With every part replaced, the recommender's expected value is the true value `ActionEvaluation` measures (the same
/// leads, horizon, activity projection and cost), so the recommended action is a best one.
public struct ActionOracle: Sendable {
    /// The inputs of Aₐ·Rₐ − A₀·R₀ − cost that can be replaced.
    public struct Parts: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// Each action's win-logit effect: the truth's, known exactly, in place of the posterior
        /// (`ActionPosterior`, or the catalogue's `quality` change for an action the match model has no feature for).
        public static let winEffects = Parts(rawValue: 1)
        /// Each action's engagement change: each projected activity figure multiplied by exp(k·e) with the truth's e
        /// and the generator's elasticities k, in place of the catalogue's additive changes.
        public static let engagement = Parts(rawValue: 2)
        /// The baseline win logit of each window lead: the truth's (quality, vertical skills, current utilisation) in
        /// place of the match model's margin.
        public static let win = Parts(rawValue: 4)
        /// The churn risk of each period along the horizon: the truth's churn logit on the (projected) activity in
        /// place of the churn model.
        public static let churn = Parts(rawValue: 8)

        /// Each action's pooled win-logit effect and standard error: the best estimate the history allows
        /// (`ActionEffectCeiling`: the truth's win logits of everything else as offsets), in place of the match
        /// model's; the partner-level part of the posterior stays the history's. A ceiling for estimating the effects,
        /// not a replacement of them: it is still an estimate, with its noise.
        public static let historyEstimates = Parts(rawValue: 16)

        public static let effects: Parts = [.winEffects, .engagement]
        public static let all: Parts = [.winEffects, .engagement, .win, .churn]
    }

    public var truth: ActionTruth
    public var parts: Parts

    public init(truth: ActionTruth, parts: Parts) {
        self.truth = truth
        self.parts = parts
    }

    /// The true win logit of each of partner `p`'s window leads with no action.
    func winLogits(_ context: ActionContext, _ p: Int) -> [Double] {
        let partner = context.partners[p]
        let quality = truth.quality[partner.id] ?? 0, skill = truth.verticalSkill[partner.id] ?? []
        let utilisation = Double(partner.openLeads) / Double(max(partner.capacity, 1))
        return context.windowLeads[p].map {
            EcosystemTruth.winLogit(lead: $0, partner: partner, quality: quality, verticalSkill: skill, utilisation: utilisation)
        }
    }

    /// The projected monthly figures (`level`, the mean of the last three periods) after a true engagement change.
    func figures(level: [Double], engagement: Double) -> [Double] {
        zip(level, ActionTruth.engagementElasticity).map { $0 * Kernels.exponential($1 * engagement) }
    }

    /// The true churn risk at periods T … T + H − 1 of a partner of `tier` with `history` carried forward at `figures`.
    static func churnPath(_ history: [PartnerActivity], figures: [Double], tier: PartnerTier, horizon: Int) -> [Double] {
        let path = ActivityProjection.extended(history, with: figures, count: horizon - 1).map(\.figures)
        return (0..<horizon).map { k in
            Kernels.sigmoid(EcosystemTruth.churnLogit(history: Array(path.prefix(history.count + k)), tier: tier))
        }
    }
}
