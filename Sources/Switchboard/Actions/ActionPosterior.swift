import Learning

/// Each action's effect on the win logit for each partner, as a hierarchical (empirical Bayes) posterior.
///
/// For action a and partner p, the effect is θₐₚ = μₐ + δₐₚ with δₐₚ ~ N(0, τₐ²):
/// - μₐ, the pooled effect: the match model's estimate (the mean change of its margin over the live partners eligible
///   for a, `ActionWinEffect.estimate`), uncertain with variance SEₐ² (`ActionWinEffect.standardError`).
/// - Each partner that received a, with resolved leads before and after its first receipt, reports a within-partner
///   estimate yₐₚ = (win rate after − win rate before)/(p̄(1 − p̄)) with variance sₐₚ² = (nᵦ + nₐ)/(p̄(1 − p̄)·nᵦ·nₐ)
///   (the information `ActionWinEffect.standardError` adds up). τₐ² is fitted to these by REML (`RandomEffects`), with
///   their own pooled mean ȳₐ (so what the history shares, confounding included, moves ȳₐ and not τₐ²).
/// - Posterior: a partner with its own estimate gets mean μₐ + Bₐₚ·(yₐₚ − ȳₐ), variance SEₐ² + Bₐₚ·sₐₚ²,
///   Bₐₚ = τₐ²/(τₐ² + sₐₚ²); any other partner gets mean μₐ, variance SEₐ² + τₐ². τₐ² = 0 gives every partner the
///   pooled effect; τₐ² → ∞ gives a partner with evidence its own estimate (re-centred on μₐ).
struct ActionPosterior {
    /// One action's fit.
    struct ActionFit {
        var pooledMean: Double
        var pooledVariance: Double
        /// The fit to the within-partner estimates; nil when fewer than two partners have one.
        var between: RandomEffects?
        /// Partner index → its within-partner estimate and variance.
        var partnerEstimates: [Int: (estimate: Double, variance: Double)]
    }

    /// Per catalogue action; nil for an action the match model has no feature for.
    var fits: [ActionFit?]

    /// The posterior mean and variance of action `a`'s win-logit effect for partner `p`; nil when unfeatured.
    func effect(partner p: Int, action a: Int) -> (mean: Double, variance: Double)? {
        guard let fit = fits[a] else { return nil }
        let shared = pooledVariance(action: a)
        guard let between = fit.between else { return (fit.pooledMean, shared) }
        let tau2 = between.betweenVariance
        guard let own = fit.partnerEstimates[p] else { return (fit.pooledMean, shared + tau2) }
        let b = tau2 / (tau2 + own.variance)
        return (fit.pooledMean + b * (own.estimate - between.mean), shared + b * own.variance)
    }

    /// The variance of action `a`'s pooled effect μₐ alone, SEₐ² (0 when unfeatured or infinite): the part of every
    /// partner's uncertainty that evidence from any partner resolves.
    func pooledVariance(action a: Int) -> Double {
        guard let variance = fits[a]?.pooledVariance, variance.isFinite else { return 0 }
        return variance
    }

    /// Fits every featured action from the pooled estimates and the history's within-partner before/after estimates.
    init(context: ActionContext, winEffects: [ActionWinEffect]) {
        var pooled: [String: ActionWinEffect] = [:]
        for effect in winEffects { pooled[effect.actionID] = effect }
        let estimates = context.withinPartnerEstimates()
        fits = context.actions.indices.map { a in
            guard let effect = pooled[context.actions[a].id] else { return nil }
            let own = estimates[a]
            let ordered = own.keys.sorted()
            let between =
                ordered.count >= 2
                ? try? RandomEffects.fit(
                    estimates: ordered.map { own[$0]!.estimate }, variances: ordered.map { own[$0]!.variance }) : nil
            return ActionFit(
                pooledMean: effect.estimate, pooledVariance: effect.standardError * effect.standardError,
                between: between, partnerEstimates: own)
        }
    }

    init(fits: [ActionFit?]) { self.fits = fits }
}

extension ActionContext {
    /// Per catalogue action: partner index → (yₐₚ, sₐₚ²), the within-partner before/after estimate of the action's
    /// win-logit effect (`ActionPosterior`), for the partners with resolved leads on both sides of their first receipt.
    ///
    /// The two sides are bracketed by the partner's neighbouring receipts of any action: "before" holds the outcomes
    /// assigned after the previous receipt (or from the start of the history) and before this one, "after" those from
    /// this receipt to the next one (or the end). Without the brackets an estimate also measures the effects of the
    /// actions the partner received before (part of "before" predates them) and after (all of "after" follows them), a
    /// share that differs from partner to partner: on the generator, whose true effects are the same for every
    /// partner, that scatter made REML report τ ≈ 0.2 where the truth is 0. Receipts at the same instant share one
    /// bracket (their effects cannot be told apart within the partner; the pooled effect separates them).
    func withinPartnerEstimates() -> [[Int: (estimate: Double, variance: Double)]] {
        let outcomes = resolved.reduce(0) { $0 + $1.count }
        let wins = resolved.reduce(0) { $0 + $1.count { $0.won } }
        let rate = outcomes > 0 ? Double(wins) / Double(outcomes) : 0.5
        let spread = max(rate * (1 - rate), 1e-6)
        var result = [[Int: (estimate: Double, variance: Double)]](repeating: [:], count: actions.count)
        for p in partners.indices {
            let times = received[p].map(\.time.secondsSinceEpoch)
            var seen = Set<Int>()
            for (index, taken) in received[p].enumerated() where seen.insert(taken.action).inserted {
                let time = times[index]
                let previous = times[..<index].last { $0 < time } ?? Int64.min
                let next = times[(index + 1)...].first { $0 > time } ?? Int64.max
                var before = 0.0, after = 0.0, winsBefore = 0.0, winsAfter = 0.0
                for outcome in resolved[p] {
                    if outcome.assigned >= previous && outcome.assigned < time {
                        before += 1
                        if outcome.won { winsBefore += 1 }
                    } else if outcome.assigned >= time && outcome.assigned < next {
                        after += 1
                        if outcome.won { winsAfter += 1 }
                    }
                }
                guard before > 0 && after > 0 else { continue }
                let change = winsAfter / after - winsBefore / before
                result[taken.action][p] = (change / spread, (before + after) / (spread * before * after))
            }
        }
        return result
    }
}
