/// What the recommender needs to know beyond the records; validated in one place before any work.
///
/// A period is a month, as in the activity file: the latest activity period is the calendar month that holds the
/// latest creation time of a lead named in the outcomes, and the periods before it are the months before.
public struct RecommendationSettings: Sendable, Equatable {
    /// N: the actions recommended to each partner (all eligible ones are valued).
    public var topCount = 3
    /// H: the periods (months) over which revenue and retention are counted.
    public var horizonPeriods = 12
    /// The leads a partner will be offered are taken to be those it accepted in this many days before `asOf`,
    /// at the same rate.
    public var leadWindowDays = 180.0
    /// K: the nearest partners (standardised profile) whose history is the evidence.
    public var neighbourCount = 20
    /// Evidence: a neighbour's win rate in this many days after it received the action against the same span
    /// before.
    public var evidenceWindowDays = 180.0
    /// Evidence: whether a neighbour churned in the period it received the action or the next ones, this many in all.
    public var evidencePeriods = 6
    /// Partners whose churn risk (next period) is at least this come first in their manager's to-do list.
    public var highRiskThreshold = 0.05
    /// Risk factors listed for each partner.
    public var factorCount = 3
    /// The moment the recommendations are for; nil for the latest assignment in the outcomes.
    public var asOf: Timestamp?
    /// The exploration budget: at most this fraction of the partners valued (rounded down) get an explored action, a
    /// Thompson draw that differs from their top action; 0 explores nothing. The draw samples the actions' pooled
    /// effects once for every partner (each partner's posterior mean, the pooled effect's uncertainty: what any
    /// partner's outcomes teach), so exploration fades as the pooled effects become known.
    public var exploreShare = 0.0
    /// The seed of the Thompson draws (one standard normal draw per action, from a stream keyed by its id).
    public var exploreSeed: UInt64 = 1

    public init() {}

    /// Periods per day: a period is a twelfth of a year.
    public static let daysPerPeriod = 365.25 / 12

    /// - Throws: `RecommendError.invalidSetting` naming the first bad setting and quoting its value.
    public func validate() throws(RecommendError) {
        func check(_ ok: Bool, _ name: String, _ value: String, _ requirement: String) throws(RecommendError) {
            if !ok { throw .invalidSetting(name: name, value: value, requirement: requirement) }
        }
        try check(topCount >= 1, "top", "\(topCount)", "must be at least 1")
        try check(horizonPeriods >= 1, "horizon", "\(horizonPeriods)", "must be at least 1 period")
        try check(
            leadWindowDays.isFinite && leadWindowDays > 0, "lead window", "\(leadWindowDays)", "must be a number of days > 0")
        try check(neighbourCount >= 1, "neighbours", "\(neighbourCount)", "must be at least 1")
        try check(
            evidenceWindowDays.isFinite && evidenceWindowDays > 0, "evidence window", "\(evidenceWindowDays)",
            "must be a number of days > 0")
        try check(evidencePeriods >= 1, "evidence periods", "\(evidencePeriods)", "must be at least 1")
        try check(
            highRiskThreshold.isFinite && highRiskThreshold >= 0 && highRiskThreshold <= 1, "high risk",
            "\(highRiskThreshold)", "must be a probability in [0, 1]")
        try check(factorCount >= 0, "factors", "\(factorCount)", "must be >= 0")
        try check(
            exploreShare.isFinite && exploreShare >= 0 && exploreShare <= 1, "explore", "\(exploreShare)",
            "must be a fraction in [0, 1]")
    }
}

/// What happened to a partner's nearest neighbours that received an action, against those that did not.
///
/// A neighbour that received the action is measured around the first time it did (time τ, period π): its win rate
/// (won over resolved, expired counting as lost) on the leads assigned in the evidence window after τ minus that
/// before τ, and whether it churned in periods π … π + evidence periods − 1. The neighbours that never received
/// the action are measured over the same spans, once for each neighbour that did (those not active in period π
/// are left out of that comparison).
public struct ActionEvidence: Sendable, Equatable {
    /// K, the neighbours looked at (fewer when there are fewer other partners).
    public var neighbourCount: Int
    /// How many of them received the action.
    public var tookCount: Int
    /// Mean change in win rate of those that received it and have resolved leads on both sides; nil when none.
    public var tookWinRateChange: Double?
    /// The same for those that did not, over the same spans; nil when none.
    public var othersWinRateChange: Double?
    /// The share of those that received it that churned within the evidence periods; nil when none received it.
    public var tookChurnRate: Double?
    /// The same share for those that did not, over the same periods; nil when there is no comparison.
    public var othersChurnRate: Double?

    public init(
        neighbourCount: Int, tookCount: Int, tookWinRateChange: Double?, othersWinRateChange: Double?,
        tookChurnRate: Double?, othersChurnRate: Double?
    ) {
        self.neighbourCount = neighbourCount
        self.tookCount = tookCount
        self.tookWinRateChange = tookWinRateChange
        self.othersWinRateChange = othersWinRateChange
        self.tookChurnRate = tookChurnRate
        self.othersChurnRate = othersChurnRate
    }
}

/// One eligible action for one partner, valued.
///
/// With R the partner's expected won revenue per period from the leads it will be offered and A its expected
/// active periods over the horizon (from the churn risk along its projected activity), before (₀) and after (ₐ)
/// the action:
///
///     expected value = revenue change + retention change − cost
///     revenue change   = A₀ · (Rₐ − R₀)
///     retention change = (Aₐ − A₀) · Rₐ
///
/// so the two changes add up to Aₐ·Rₐ − A₀·R₀, the change in expected won revenue over the horizon.
public struct Recommendation: Sendable, Equatable {
    public var partnerID: String
    public var actionID: String
    public var actionName: String
    /// 1 for the best; ties in expected value are broken by action id.
    public var rank: Int
    public var expectedValue: Double
    public var revenueChange: Double
    public var retentionChange: Double
    public var cost: Double
    /// The posterior mean of the action's effect on the win logit for this partner (`ActionPosterior`), or the
    /// catalogue's `quality` change for an action the match model has no feature for.
    public var winLogitChange: Double
    /// Rₐ.
    public var revenuePerPeriodAfter: Double
    /// Aₐ.
    public var expectedActivePeriodsAfter: Double
    /// The probability that the partner leaves within the horizon after the action.
    public var churnWithinHorizonAfter: Double
    public var evidence: ActionEvidence
    /// The posterior standard deviation of the action's win-logit effect for this partner (`ActionPosterior`); 0 for an
    /// action the match model has no feature for (its catalogue `quality` change is taken as known).
    public var winLogitChangeDeviation: Double = 0
    /// The 80% interval of the value: its 10% and 90% posterior quantiles (the value rises with the win effect).
    public var valueLow: Double = 0
    public var valueHigh: Double = 0
    /// The posterior probability that this is the most valuable of the partner's eligible actions.
    public var probabilityBest: Double = 0
    /// The probability that the exploration draw picks it: its probability of being best when only the pooled effects
    /// are uncertain (`RecommendationSettings.exploreShare`; 0 when not exploring).
    public var probabilityDrawn: Double = 0
}

/// A partner's outlook with no action, and every action it is eligible for, ranked.
public struct PartnerOutlook: Sendable, Equatable {
    public var partnerID: String
    public var partnerName: String
    public var managerID: String
    /// The latest activity period, the one the churn risk is scored at.
    public var period: Int
    /// P(churn after the latest period), from the churn model.
    public var churnRisk: Double
    /// Whether `churnRisk` is at least the high-risk threshold.
    public var isHighRisk: Bool
    /// The churn model's largest factors for the latest period, largest |contribution| first.
    public var riskFactors: [ChurnFactor]
    /// The leads it is expected to be offered over the horizon (accepted leads in the lead window, scaled).
    public var expectedLeads: Double
    /// R₀.
    public var revenuePerPeriod: Double
    /// A₀.
    public var expectedActivePeriods: Double
    /// The probability that it leaves within the horizon, with no action.
    public var churnWithinHorizon: Double
    /// Every eligible action, best first.
    public var ranked: [Recommendation]
    /// The first `topCount` of `ranked`.
    public var recommendations: [Recommendation]
    /// The action to try instead of the top one, when the partner is in the exploration budget: its Thompson draw.
    public var exploreActionID: String? = nil
    /// The expected value given up by exploring: the top action's expected value minus the explored one's.
    public var exploreCost: Double = 0
}

/// A partner left out of the recommendations, and why.
public struct SkippedPartner: Sendable, Equatable {
    public var partnerID: String
    public var reason: SkipReason
}

/// Why a partner gets no recommendation.
public enum SkipReason: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// It has no activity rows.
    case noActivity
    /// Its latest activity row says it churned after this period.
    case churned(afterPeriod: Int)
    /// No action of the catalogue applies to its type and tier.
    case noEligibleAction

    public var description: String {
        switch self {
        case .noActivity: "no activity rows"
        case let .churned(period): "churned after period \(period)"
        case .noEligibleAction: "eligible for no action in the catalogue"
        }
    }
}

/// One entry of a channel manager's to-do list: a partner and what to do with it.
public struct TodoItem: Sendable, Equatable {
    /// 1 for the first thing to do.
    public var position: Int
    public var outlook: PartnerOutlook
}

/// A channel manager's ranked to-do list: partners at high churn risk first (highest risk first), then the others by
/// the expected value of their best action (highest first); ties by partner id.
public struct ManagerTodo: Sendable, Equatable {
    public var managerID: String
    public var items: [TodoItem]
}

/// The recommender's answer: each partner's outlook and ranked actions, the partners left out with their reasons,
/// and the to-do list of every channel manager.
public struct ActionPlan: Sendable {
    public var asOf: Timestamp
    public var settings: RecommendationSettings
    /// Ordered by partner id.
    public var partners: [PartnerOutlook]
    public var skipped: [SkippedPartner]
    /// Ordered by manager id.
    public var todos: [ManagerTodo]
    /// The actions the match model has a feature for, in catalogue order: the model's estimate of each one's effect
    /// on the win logit, with its standard error.
    public var winEffects: [ActionWinEffect] = []
    /// Why each ranked action suits each partner, in words (`ActionTargeting`): partner id → action id → reason.
    /// Empty until the caller attaches them.
    public var reasons: [String: [String: ActionTargeting.Reason]] = [:]

    /// Every partner's top actions, partner by partner, best first.
    public var recommendations: [Recommendation] { partners.flatMap(\.recommendations) }
}

/// What an action does to the win logit, as the match model estimates it, and how precisely the history can tell.
public struct ActionWinEffect: Sendable, Equatable {
    public var actionID: String
    /// The match model's mean change in the win logit over the live partners eligible for the action.
    public var estimate: Double
    /// 1/√I, I the within-partner information about the effect: Σ over the partners that received the action of
    /// p̄(1 − p̄)·nᵦ·nₐ/(nᵦ + nₐ), nᵦ and nₐ its resolved leads assigned before and after it first received it, p̄ the
    /// overall win rate (the information of a before/after difference of win rates). Infinite when no partner has
    /// leads on both sides. Effects closer together than about two standard errors cannot be told apart by the history.
    public var standardError: Double
    /// τ², the REML between-partner variance of the effect fitted to the partners' within-partner estimates
    /// (`ActionPosterior`); 0 when they scatter no more than their noise, or fewer than two partners have one.
    public var betweenPartnerVariance: Double = 0
    /// How many partners have a within-partner estimate (resolved leads before and after their first receipt).
    public var partnersWithEvidence: Int = 0
}
