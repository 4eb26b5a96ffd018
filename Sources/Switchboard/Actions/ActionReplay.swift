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
/// baseline), by Newton's method, with variance 1/(1/SEₐ² + Σᵢ σ(oᵢ + β̂)(1 − σ(oᵢ + β̂))) (a Laplace approximation).
/// The next round's recommender uses it in place of the history's estimate (`ActionRecommender.
/// pooledEffectBeliefs`). Rounds do not stack: a partner's action of one round does not carry into the next.
///
/// **Holdout** (`holdoutShare`, default 0: none). The match model's margins oᵢ need not be calibrated on these leads:
/// if the truth sits above them on average by c, every refitted effect comes out c too high, which favours whatever
/// got fresh evidence (and without a group that got no action, c cannot be told from the effects). With a holdout,
/// each round that share of the partners (drawn from the seed, the round and the partner's id, the same in both arms)
/// gets no action; its window leads are drawn with σ(z), and c is fitted to all the holdout's outcomes so far by
/// maximum likelihood (log P(yᵢ | σ(oᵢ + c)), Newton's method, no prior); the actions are then refitted with oᵢ + c in
/// place of oᵢ. The held-out partners are left out of the round's figures.
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
        func arm(_ share: Double) throws(RecommendError) -> Arm {
            var beliefs: [String: EffectBelief] = [:]
            var data: [String: [(offset: Double, won: Bool)]] = [:]
            var control: [(offset: Double, won: Bool)] = []
            var result: [Round] = []
            for round in 1...rounds {
                var current = recommender
                current.pooledEffectBeliefs = beliefs
                current.settings.exploreShare = share
                current.settings.exploreSeed = seed &+ UInt64(round)
                let choices = try current.recommend(ecosystem).partners
                var chosenByID: [String: (action: String, explored: Bool)] = [:]
                for outlook in choices {
                    chosenByID[outlook.partnerID] = (
                        outlook.exploreActionID ?? outlook.ranked[0].actionID, outlook.exploreActionID != nil
                    )
                }
                var captured = 0.0, best = 0.0, fractions = 0.0, bestChoices = 0, evaluated = 0, explored = 0
                var heldOut = 0
                for partner in partners {
                    guard let chosen = chosenByID[partner.id] else { continue }
                    // The partner's outcome draws this round (the same in both arms).
                    var stream = SeededGenerator(
                        seed: seed ^ ActionRecommender.stableHash(partner.id) ^ (UInt64(round) &* 0x9E37_79B9_7F4A_7C15))
                    if Self.isHeldOut(partner.id, round: round, seed: seed, share: holdoutShare) {
                        heldOut += 1
                        for (offset, logit) in zip(partner.offsets, partner.trueLogits) {
                            control.append((offset, stream.nextUniform() < Kernels.sigmoid(logit)))
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
                        if value >= partner.best { bestChoices += 1 }
                    }
                    guard priors[chosen.action] != nil else { continue }
                    let effect = truth.winLogitEffect[chosen.action] ?? 0
                    for (offset, logit) in zip(partner.offsets, partner.trueLogits) {
                        data[chosen.action, default: []].append(
                            (offset, stream.nextUniform() < Kernels.sigmoid(logit + effect)))
                    }
                }
                let calibration =
                    control.isEmpty ? 0 : refit(prior: EffectBelief(mean: 0, variance: .infinity), outcomes: control).mean
                for (action, outcomes) in data {
                    beliefs[action] = refit(
                        prior: priors[action]!, outcomes: outcomes.map { ($0.offset + calibration, $0.won) })
                }
                let n = Double(max(evaluated, 1))
                result.append(
                    Round(
                        round: round, meanCapturedFraction: fractions / n, capturedValue: captured, bestValue: best,
                        bestChoiceRate: Double(bestChoices) / n, exploredCount: explored, beliefs: beliefs,
                        heldOutCount: heldOut, calibration: calibration))
            }
            return Arm(exploreShare: share, rounds: result)
        }
        return ActionReplay(
            greedy: try arm(0), explore: try arm(exploreShare), evaluatedCount: partners.count { $0.best > 0 },
            priors: priors, holdoutShare: holdoutShare)
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

    /// The Laplace approximation to the posterior of β under the prior N(mean, variance) (a flat prior when the
    /// variance is not finite) and outcomes won with probability σ(offset + β): the mode by damped Newton steps, and
    /// 1/(curvature of the negative log posterior) at the mode.
    static func refit(prior: EffectBelief, outcomes: [(offset: Double, won: Bool)]) -> EffectBelief {
        let precision = prior.variance.isFinite && prior.variance > 0 ? 1 / prior.variance : 0
        let start = prior.mean.isFinite ? prior.mean : 0
        func objective(_ beta: Double) -> Double {
            var total = -0.5 * precision * (beta - start) * (beta - start)
            for outcome in outcomes {
                let z = outcome.offset + beta
                total -= outcome.won ? Kernels.log1pexp(-z) : Kernels.log1pexp(z)
            }
            return total
        }
        func curvature(_ beta: Double) -> Double {
            var total = precision
            for outcome in outcomes {
                let p = Kernels.sigmoid(outcome.offset + beta)
                total += p * (1 - p)
            }
            return total
        }
        var beta = start
        var value = objective(beta)
        for _ in 0..<100 {
            var gradient = -precision * (beta - start)
            for outcome in outcomes { gradient += (outcome.won ? 1 : 0) - Kernels.sigmoid(outcome.offset + beta) }
            let hessian = curvature(beta)
            guard hessian > 0 else { break }
            var step = gradient / hessian
            var next = beta + step, nextValue = objective(next)
            var halvings = 0
            while nextValue < value && halvings < 40 {
                step /= 2
                next = beta + step
                nextValue = objective(next)
                halvings += 1
            }
            beta = next
            value = nextValue
            if abs(step) < 1e-12 { break }
        }
        let information = curvature(beta)
        return EffectBelief(mean: beta, variance: information > 0 ? 1 / information : .infinity)
    }
}
