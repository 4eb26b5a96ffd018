import Learning
import LinearAlgebra

/// A normal belief about an effect on the win logit: N(mean, variance).
public struct EffectBelief: Sendable, Equatable {
    public var mean: Double
    public var variance: Double

    public init(mean: Double, variance: Double) {
        self.mean = mean
        self.variance = variance
    }
}

/// Several rounds of recommending on a generated ecosystem, the generator's truth producing the outcomes, and the
/// actions' pooled effects refitted from them: how the captured value grows with and without exploration.
///
/// Each round replays the same partners at the same moment (`asOf`): every partner valued gets one action, the
/// recommender's top one (greedy) or, within the exploration budget, its Thompson draw (`RecommendationSettings.
/// exploreShare`). The truth then decides each of the partner's window leads (the leads its value is computed from):
/// won with probability σ(z + βₐ), z the generator's true win logit (`EcosystemTruth.winLogit`, at the partner's
/// current utilisation) and βₐ the chosen action's true win-logit effect. The draws come from a stream seeded by the
/// seed, the round and the partner's id, the same for both arms, so the arms differ only in what they chose.
///
/// **Refit.** Each action's pooled effect starts from the history's belief, N(μₐ, SEₐ²) (`ActionWinEffect`), and is
/// refitted after every round to all the outcomes so far of the partners that received it: the posterior mode of
///
///     log N(β; μₐ, SEₐ²) + Σᵢ [yᵢ·log σ(oᵢ + β) + (1 − yᵢ)·log(1 − σ(oᵢ + β))]
///
/// (oᵢ the match model's margin of lead i for its partner with no action, so β is measured against the model's own
/// baseline), by Newton's method, with the Laplace variance (`refit`). The next round's recommender uses it in place
/// of the history's estimate (`ActionRecommender.pooledEffectBeliefs`). Rounds do not stack: a partner's action of one
/// round does not carry into the next.
///
/// **Holdout** (`holdoutShare`, default 0: none). The match model's margins oᵢ need not be calibrated on these leads:
/// if the truth sits above them on average by c, every refitted effect comes out c too high, which favours whatever
/// got fresh evidence (and without a group that got no action, c cannot be told from the effects). With a holdout,
/// each round that share of the partners (drawn from the seed, the round and the partner's id, the same in both arms)
/// gets no action; its window leads are drawn with σ(z), and c (flat prior) is fitted together with the actions'
/// effects to all the outcomes so far, oᵢ + c in place of oᵢ. The held-out partners are left out of the round's
/// figures.
///
/// Each round's figures use `ActionEvaluation`'s definitions: over the partners whose best action is truly worth
/// more than nothing (and not held out), the mean of (true value of the chosen action) / (true value of the best),
/// and the regret Σ (best − chosen).
public struct ActionReplay: Sendable {
    /// One round of one arm.
    public struct Round: Sendable, Equatable {
        /// 1 for the first round.
        public var round: Int
        /// Mean over the evaluated partners of (true value of the chosen action) / (true value of the best).
        public var meanCapturedFraction: Double
        /// Σ over the evaluated partners of the chosen action's true value.
        public var capturedValue: Double
        /// Σ over the evaluated partners of the best action's true value.
        public var bestValue: Double
        /// How often the chosen action is a best one.
        public var bestChoiceRate: Double
        /// Mean over the evaluated partners of (true value of the partner's top action) / (true value of the best):
        /// what the arm's knowledge at the start of the round would capture if nobody explored. Equal to
        /// `meanCapturedFraction` in the greedy arm.
        public var exploitCapturedFraction: Double = 0
        /// Partners that explored (chose their Thompson draw over the top action).
        public var exploredCount: Int
        /// Each featured action's pooled belief after this round's refit, by action id.
        public var beliefs: [String: EffectBelief]
        /// Partners held out this round (no action), and the calibration offset c fitted to the holdout's outcomes so
        /// far (0 without a holdout).
        public var heldOutCount: Int = 0
        public var calibration: Double = 0

        public var regret: Double { bestValue - capturedValue }
    }

    /// The rounds of one policy.
    public struct Arm: Sendable, Equatable {
        /// The exploration budget (0 for greedy).
        public var exploreShare: Double
        public var rounds: [Round]
        /// Mean over the rounds of the mean captured fraction.
        public var meanCapturedFraction: Double {
            rounds.isEmpty ? 0 : rounds.reduce(0) { $0 + $1.meanCapturedFraction } / Double(rounds.count)
        }
        /// Σ over the rounds of the regret.
        public var cumulativeRegret: Double { rounds.reduce(0) { $0 + $1.regret } }
    }

    public var greedy: Arm
    public var explore: Arm
    /// The partners evaluated in every round: those whose best action is truly worth more than nothing.
    public var evaluatedCount: Int
    /// The history's belief about each featured action's pooled effect (before any round), by action id.
    public var priors: [String: EffectBelief]
    /// The share of partners held out each round (0: none).
    public var holdoutShare: Double = 0

    /// Runs `rounds` rounds greedy and `rounds` rounds exploring with budget `exploreShare`.
    /// - Throws: `RecommendError.invalidSetting` when `rounds` < 1 or `exploreShare` is not in (0, 1]; what
    ///   `ActionRecommender.recommend` throws.
    /// - Complexity: 2·`rounds` recommendations, plus O(window leads) per partner and round.
    public static func run(
        recommender: ActionRecommender, ecosystem: Ecosystem, truth: ActionTruth, rounds: Int, exploreShare: Double,
        seed: UInt64, holdoutShare: Double = 0
    ) throws(RecommendError) -> ActionReplay {
        guard rounds >= 1 else { throw .invalidSetting(name: "rounds", value: "\(rounds)", requirement: "must be at least 1") }
        guard exploreShare > 0 && exploreShare <= 1 else {
            throw .invalidSetting(name: "the exploration budget", value: "\(exploreShare)", requirement: "must be in (0, 1]")
        }
        guard holdoutShare >= 0 && holdoutShare < 1 else {
            throw .invalidSetting(name: "the holdout share", value: "\(holdoutShare)", requirement: "must be in [0, 1)")
        }
        var first = recommender
        first.pooledEffectBeliefs = [:]
        first.settings.exploreShare = 0
        let plan = try first.recommend(ecosystem)
        var settings = plan.settings
        settings.asOf = plan.asOf
        let context = try ActionContext(ecosystem, settings: settings)
        var priors: [String: EffectBelief] = [:]
        for effect in plan.winEffects {
            priors[effect.actionID] = EffectBelief(mean: effect.estimate, variance: effect.standardError * effect.standardError)
        }
        var partners: [Replayed] = []
        for outlook in plan.partners {
            guard let p = context.partnerIndex[outlook.partnerID] else { continue }
            let eligible = context.eligibleActions(p)
            let values = ActionEvaluation.trueValues(context, p, eligible, truth: truth).map(\.value)
            var byID: [String: Double] = [:]
            for (k, a) in eligible.enumerated() { byID[context.actions[a].id] = values[k] }
            let partner = context.partners[p]
            let quality = truth.quality[partner.id] ?? 0, skill = truth.verticalSkill[partner.id] ?? []
            let utilisation = Double(partner.openLeads) / Double(max(partner.capacity, 1))
            let offsets = recommender.revenueOutlook(context, p, eligible).baseMargins
            let logits = context.windowLeads[p].map {
                EcosystemTruth.winLogit(
                    lead: $0, partner: partner, quality: quality, verticalSkill: skill, utilisation: utilisation)
            }
            partners.append(
                Replayed(id: partner.id, trueValues: byID, best: values.max() ?? 0, offsets: offsets, trueLogits: logits))
        }
        let featuredIDs = priors.keys.sorted()
        var featured: [String: Int] = [:]
        for (k, id) in featuredIDs.enumerated() { featured[id] = k }
        func arm(_ share: Double) throws(RecommendError) -> Arm {
            var beliefs: [String: EffectBelief] = [:]
            var outcomes: [Outcome] = []
            var result: [Round] = []
            for round in 1...rounds {
                var current = recommender
                current.pooledEffectBeliefs = beliefs
                current.settings.exploreShare = share
                current.settings.exploreSeed = seed &+ UInt64(round)
                let choices = try current.recommend(ecosystem).partners
                var chosenByID: [String: (action: String, explored: Bool, top: String)] = [:]
                for outlook in choices {
                    chosenByID[outlook.partnerID] = (
                        outlook.exploreActionID ?? outlook.ranked[0].actionID, outlook.exploreActionID != nil,
                        outlook.ranked[0].actionID
                    )
                }
                var captured = 0.0, best = 0.0, fractions = 0.0, bestChoices = 0, evaluated = 0, explored = 0
                var exploitFractions = 0.0
                var heldOut = 0
                for partner in partners {
                    guard let chosen = chosenByID[partner.id] else { continue }
                    // The partner's outcome draws this round (the same in both arms).
                    var stream = SeededGenerator(
                        seed: seed ^ ActionRecommender.stableHash(partner.id) ^ (UInt64(round) &* 0x9E37_79B9_7F4A_7C15))
                    if Self.isHeldOut(partner.id, round: round, seed: seed, share: holdoutShare) {
                        heldOut += 1
                        for (offset, logit) in zip(partner.offsets, partner.trueLogits) {
                            outcomes.append(
                                Outcome(
                                    action: nil, offset: offset,
                                    won: stream.nextUniform() < Kernels.sigmoid(logit)))
                        }
                        continue
                    }
                    if chosen.explored { explored += 1 }
                    let value = partner.trueValues[chosen.action] ?? 0
                    if partner.best > 0 {
                        evaluated += 1
                        captured += value
                        best += partner.best
                        fractions += value / partner.best
                        exploitFractions += (partner.trueValues[chosen.top] ?? 0) / partner.best
                        if value >= partner.best { bestChoices += 1 }
                    }
                    guard let action = featured[chosen.action] else { continue }
                    let effect = truth.winLogitEffect[chosen.action] ?? 0
                    for (offset, logit) in zip(partner.offsets, partner.trueLogits) {
                        outcomes.append(
                            Outcome(
                                action: action, offset: offset,
                                won: stream.nextUniform() < Kernels.sigmoid(logit + effect)))
                    }
                }
                let fit = refit(
                    priors: featuredIDs.map { priors[$0]! }, outcomes: outcomes, fitsCalibration: holdoutShare > 0)
                let calibration = fit.calibration
                for (k, id) in featuredIDs.enumerated() where fit.refitted[k] { beliefs[id] = fit.effects[k] }
                let n = Double(max(evaluated, 1))
                result.append(
                    Round(
                        round: round, meanCapturedFraction: fractions / n, capturedValue: captured, bestValue: best,
                        bestChoiceRate: Double(bestChoices) / n, exploitCapturedFraction: exploitFractions / n,
                        exploredCount: explored, beliefs: beliefs, heldOutCount: heldOut, calibration: calibration))
            }
            return Arm(exploreShare: share, rounds: result)
        }
        return ActionReplay(
            greedy: try arm(0), explore: try arm(exploreShare), evaluatedCount: partners.count { $0.best > 0 },
            priors: priors, holdoutShare: holdoutShare)
    }

    /// One replayed outcome for `refit`: the action's index (nil: no action, a held-out partner), the match model's
    /// margin of the lead with no action, and whether it was won.
    struct Outcome: Equatable {
        var action: Int?
        var offset: Double
        var won: Bool
    }

    /// What `refit` returns: each action's belief (the prior where it has no outcome, and `refitted` false) and the
    /// calibration offset c (0 when not fitted).
    struct Refit {
        var effects: [EffectBelief]
        var refitted: [Bool]
        var calibration: Double
    }

    /// The actions' effects and the calibration offset refitted together: an outcome under action a (or none) is won
    /// with probability σ(oᵢ + c + β_a), β_a ~ N(μ_a, SE_a²) (`priors`) and c flat, fitted only when
    /// `fitsCalibration` and some outcome had no action (else 0: without such outcomes c cannot be told from the β's).
    /// The posterior mode by Newton's method on all parameters at once (`OffsetLogisticFit`); each β's variance is the
    /// diagonal of the inverse Hessian of the negative log posterior at the mode (the Laplace approximation, c
    /// integrated out). Fitting c with the β's, not from the held-out outcomes alone, lets the treated outcomes and
    /// the β's priors inform it too: a holdout of a tenth of the partners alone leaves c noisy from round to round.
    static func refit(priors: [EffectBelief], outcomes: [Outcome], fitsCalibration: Bool) -> Refit {
        // The fitted actions: those with outcomes (the others keep their prior).
        var refitted = [Bool](repeating: false, count: priors.count)
        for outcome in outcomes { if let a = outcome.action { refitted[a] = true } }
        let fitted = priors.indices.filter { refitted[$0] }
        var slot = [Int](repeating: -1, count: priors.count)
        for (k, a) in fitted.enumerated() { slot[a] = k }
        let hasControl = fitsCalibration && outcomes.contains { $0.action == nil }
        let n = fitted.count + (hasControl ? 1 : 0), cSlot = fitted.count
        guard n > 0 else { return Refit(effects: priors, refitted: refitted, calibration: 0) }
        let precisions = fitted.map { priors[$0].variance.isFinite && priors[$0].variance > 0 ? 1 / priors[$0].variance : 0 }
        let means = fitted.map { priors[$0].mean.isFinite ? priors[$0].mean : 0 }
        let rows = outcomes.map { o in
            var entries: [(column: Int, value: Double)] = []
            if let a = o.action { entries.append((slot[a], 1)) }
            if hasControl { entries.append((cSlot, 1)) }
            return OffsetLogisticFit.Row(offset: o.offset, entries: entries, won: o.won)
        }
        let fit = OffsetLogisticFit.fit(
            rows: rows, priorMeans: means + (hasControl ? [0] : []), priorPrecisions: precisions + (hasControl ? [0] : []))
        let theta = fit.coefficients
        var effects = priors
        for (k, a) in fitted.enumerated() {
            effects[a] = EffectBelief(mean: theta[k], variance: fit.covariance?[k, k] ?? .infinity)
        }
        return Refit(effects: effects, refitted: refitted, calibration: hasControl ? theta[cSlot] : 0)
    }

    /// Whether `partnerID` is held out in `round`: a uniform draw from the seed, the round and the id below `share`.
    static func isHeldOut(_ partnerID: String, round: Int, seed: UInt64, share: Double) -> Bool {
        guard share > 0 else { return false }
        var stream = SeededGenerator(
            seed: seed ^ 0x484F_4C44_4F55_5421 ^ ActionRecommender.stableHash(partnerID) ^ (UInt64(round) &* 0xD1B5_4A32_D192_ED03))
        return stream.nextUniform() < share
    }

    struct Replayed {
        var id: String
        var trueValues: [String: Double]
        var best: Double
        var offsets: [Double]
        var trueLogits: [Double]
    }
}
