import Learning
import LinearAlgebra

/// The part of a generated ecosystem's hidden truth that decides what an action is really worth: each partner's
/// quality and vertical skills (for its true win probability) and each action's true effects.
public struct ActionTruth: Sendable {
    public var quality: [String: Double]
    public var verticalSkill: [String: [Double]]
    /// Each action's true lasting change in the win logit.
    public var winLogitEffect: [String: Double]
    /// Each action's true lasting change in the partner's latent engagement.
    public var engagementEffect: [String: Double]

    /// How the generator's monthly activity follows engagement e: portal logins, trainings, deal registrations and
    /// marketing funds have means proportional to exp(k·e) with these k (`EcosystemGenerator`), revenue is what the
    /// partner wins (`ChurnFeatures.figureNames` order).
    public static let engagementElasticity = [1.0, 0.8, 0.7, 0.5, 0]

    public init(_ truth: EcosystemTruth) {
        quality = truth.quality
        verticalSkill = truth.verticalSkill
        winLogitEffect = [:]
        engagementEffect = [:]
        for effect in truth.actionEffects {
            winLogitEffect[effect.actionID] = effect.winLogit
            engagementEffect[effect.actionID] = effect.engagement
        }
    }

    /// Reads `truth/partners.csv` (`partner_id, quality, skill_<vertical>…` in `Vocabulary.verticals` order) and
    /// `truth/actions.csv` (`action_id, win_logit_effect, engagement_effect`) as `switchboard generate` writes them.
    /// - Throws: `RecordError` naming the file, line and column of a missing column, a bad number or a duplicate id.
    public init(partners: CSVTable, actions: CSVTable) throws(RecordError) {
        (quality, verticalSkill) = try EcosystemTruth.partnerTruth(partners)
        let a = try RecordColumns(actions, required: ["action_id", "win_logit_effect", "engagement_effect"])
        var actionIDs = UniqueKeys()
        winLogitEffect = [:]
        engagementEffect = [:]
        for row in 0..<a.rowCount {
            let id = try a.text("action_id", row)
            try actionIDs.insert(id, column: "action_id", row: row, in: a)
            winLogitEffect[id] = try a.number("win_logit_effect", row)
            engagementEffect[id] = try a.number("engagement_effect", row)
        }
    }
}

/// How much of the true value of the best action per partner a choice of actions captures, on a generated
/// ecosystem whose truth is known.
///
/// The true value of an action uses the recommender's definition (`ActionRecommender`: the same leads, horizon,
/// activity projection and cost, Aₐ·Rₐ − A₀·R₀ − cost) with the truth in place of the models: P(win) is
/// `EcosystemTruth.winLogit` at the partner's current utilisation plus the action's true win-logit effect, and the
/// churn risk along the horizon is `EcosystemTruth.churnLogit` on the activity history, with the action's true
/// engagement change e multiplying each projected figure by exp(k·e) (`ActionTruth.engagementElasticity`).
///
/// For each partner whose best action is truly worth more than nothing, a choice captures its true value over the
/// best one's. The strategies compared: the recommender's top action; the most popular action in the action history
/// among those the partner is eligible for (ties by catalogue order); a random eligible action (its expectation:
/// the mean true value over the eligible actions, with no sampling noise).
public struct ActionEvaluation: Sendable {
    public struct PartnerResult: Sendable, Equatable {
        public var partnerID: String
        /// The true value of every eligible action, by action id.
        public var trueValues: [String: Double]
        /// Its two parts, A₀·(Rₐ − R₀) and (Aₐ − A₀)·Rₐ, by action id.
        public var trueRevenueChanges: [String: Double]
        public var trueRetentionChanges: [String: Double]
        public var bestActionID: String
        public var recommendedActionID: String
        public var popularActionID: String
        /// The posterior probability that the recommended action is the partner's best (`Recommendation.probabilityBest`).
        public var recommendedProbabilityBest: Double = 0
        public var bestValue: Double { trueValues[bestActionID]! }
        public var recommendedValue: Double { trueValues[recommendedActionID]! }
        public var popularValue: Double { trueValues[popularActionID]! }
        /// The mean true value of the eligible actions, summed in action-id order (a dictionary's own order changes
        /// from run to run, and with it the last digit of a sum).
        public var randomValue: Double {
            trueValues.keys.sorted().reduce(0) { $0 + trueValues[$1]! } / Double(trueValues.count)
        }
    }

    /// One strategy's figures over the evaluated partners.
    public struct Summary: Sendable, Equatable {
        public var name: String
        /// Mean over partners of (true value of the choice) / (true value of the best action).
        public var meanCapturedFraction: Double
        /// Σ true value of the choices / Σ true value of the best actions.
        public var totalCapturedFraction: Double
        /// Mean true value of the choice.
        public var meanTrueValue: Double
        /// How often the choice is a best action.
        public var bestChoiceRate: Double
    }

    /// Every partner the plan valued, ordered by partner id.
    public var partners: [PartnerResult]
    /// The partners evaluated: those whose best action has a true value > 0.
    public var evaluatedCount: Int
    public var recommended: Summary
    public var mostPopular: Summary
    public var randomEligible: Summary
    /// The mean true value of the best action.
    public var meanBestValue: Double
    /// Pearson correlation of expected and true value over every (partner, eligible action).
    public var valueCorrelation: Double
    /// The probability of being best from which the history is taken to tell a partner's top action from the others.
    public static let confidentThreshold = 0.8
    /// Mean over the evaluated partners of the recommended action's probability of being best.
    public var meanProbabilityBest: Double = 0
    /// The evaluated partners whose recommended action is best with probability ≥ `confidentThreshold`, and the
    /// recommended and most popular actions' figures over them alone.
    public var confidentCount: Int = 0
    public var confidentRecommended: Summary? = nil
    public var confidentMostPopular: Summary? = nil

    /// Values every eligible action of every partner in `plan` with the truth, and compares the choices.
    /// - Parameter ecosystem: the records the plan was made from.
    /// - Throws: `RecommendError` when the records cannot be read as they were for the plan.
    public static func evaluate(_ plan: ActionPlan, ecosystem: Ecosystem, truth: ActionTruth) throws(RecommendError)
        -> ActionEvaluation
    {
        var settings = plan.settings
        settings.asOf = plan.asOf
        let context = try ActionContext(ecosystem, settings: settings)
        var results: [PartnerResult] = []
        var estimated: [Double] = [], actual: [Double] = []
        for outlook in plan.partners {
            guard let p = context.partnerIndex[outlook.partnerID] else { continue }
            let eligible = context.eligibleActions(p)
            let parts = trueValues(context, p, eligible, truth: truth)
            let values = parts.map(\.value)
            var byID: [String: Double] = [:], revenueByID: [String: Double] = [:], retentionByID: [String: Double] = [:]
            for (k, a) in eligible.enumerated() {
                byID[context.actions[a].id] = values[k]
                revenueByID[context.actions[a].id] = parts[k].revenueChange
                retentionByID[context.actions[a].id] = parts[k].retentionChange
            }
            for recommendation in outlook.ranked {
                if let value = byID[recommendation.actionID] {
                    estimated.append(recommendation.expectedValue)
                    actual.append(value)
                }
            }
            let best = eligible.indices.max { values[$0] != values[$1] ? values[$0] < values[$1] : $0 > $1 }!
            results.append(
                PartnerResult(
                    partnerID: outlook.partnerID, trueValues: byID, trueRevenueChanges: revenueByID,
                    trueRetentionChanges: retentionByID, bestActionID: context.actions[eligible[best]].id,
                    recommendedActionID: outlook.ranked[0].actionID,
                    popularActionID: context.actions[context.mostPopular(among: eligible)!].id,
                    recommendedProbabilityBest: outlook.ranked[0].probabilityBest))
        }
        let evaluated = results.filter { $0.bestValue > 0 }
        func summary(_ name: String, _ value: (PartnerResult) -> Double, over evaluated: [PartnerResult]) -> Summary {
            let n = Double(max(evaluated.count, 1))
            let bestTotal = evaluated.reduce(0) { $0 + $1.bestValue }
            return Summary(
                name: name, meanCapturedFraction: evaluated.reduce(0) { $0 + value($1) / $1.bestValue } / n,
                totalCapturedFraction: bestTotal > 0 ? evaluated.reduce(0) { $0 + value($1) } / bestTotal : 0,
                meanTrueValue: evaluated.reduce(0) { $0 + value($1) } / n,
                bestChoiceRate: Double(evaluated.count { value($0) >= $0.bestValue }) / n)
        }
        var evaluation = ActionEvaluation(
            partners: results, evaluatedCount: evaluated.count,
            recommended: summary("recommended", \.recommendedValue, over: evaluated),
            mostPopular: summary("most popular", \.popularValue, over: evaluated),
            randomEligible: summary("random eligible", \.randomValue, over: evaluated),
            meanBestValue: evaluated.reduce(0) { $0 + $1.bestValue } / Double(max(evaluated.count, 1)),
            valueCorrelation: Metrics.pearsonCorrelation(estimated, actual))
        evaluation.meanProbabilityBest =
            evaluated.reduce(0) { $0 + $1.recommendedProbabilityBest } / Double(max(evaluated.count, 1))
        let confident = evaluated.filter { $0.recommendedProbabilityBest >= confidentThreshold }
        evaluation.confidentCount = confident.count
        if !confident.isEmpty {
            evaluation.confidentRecommended = summary("recommended", \.recommendedValue, over: confident)
            evaluation.confidentMostPopular = summary("most popular", \.popularValue, over: confident)
        }
        return evaluation
    }

    /// The true value Aₐ·Rₐ − A₀·R₀ − cost of each of `eligible` for partner `p`, and its revenue and retention parts.
    static func trueValues(_ context: ActionContext, _ p: Int, _ eligible: [Int], truth: ActionTruth) -> [(
        value: Double, revenueChange: Double, retentionChange: Double
    )] {
        let partner = context.partners[p]
        let oracle = ActionOracle(truth: truth, parts: .all)
        let perPeriod = RecommendationSettings.daysPerPeriod / context.windowDays[p]
        let logits = oracle.winLogits(context, p)
        func revenue(_ shift: Double) -> Double {
            zip(context.windowLeads[p], logits).reduce(0) { $0 + $1.0.estimatedValue * Kernels.sigmoid($1.1 + shift) }
                * perPeriod
        }
        let history = context.histories[p]
        let level = ActivityProjection.recentLevel(history)
        let horizon = context.settings.horizonPeriods
        func activePeriods(_ engagement: Double) -> Double {
            ActivityProjection.expectedActivePeriods(
                ActionOracle.churnPath(
                    history, figures: oracle.figures(level: level, engagement: engagement), tier: partner.tier,
                    horizon: horizon))
        }
        let activeBefore = activePeriods(0), revenueBefore = revenue(0)
        return eligible.map { a in
            let action = context.actions[a]
            let activeAfter = activePeriods(truth.engagementEffect[action.id] ?? 0)
            let revenueAfter = revenue(truth.winLogitEffect[action.id] ?? 0)
            let revenueChange = activeBefore * (revenueAfter - revenueBefore)
            let retentionChange = (activeAfter - activeBefore) * revenueAfter
            return (revenueChange + retentionChange - action.cost, revenueChange, retentionChange)
        }
    }
}
