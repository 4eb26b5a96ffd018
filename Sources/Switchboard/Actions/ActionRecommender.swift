import Learning
import LinearAlgebra

/// Next-best actions: for each partner still active, every action in the catalogue it is eligible for, valued in
/// expected won revenue over a horizon, with the evidence of what followed for similar partners that received it,
/// and each channel manager's to-do list.
///
/// For partner p (T its latest activity period, H the horizon in periods):
/// - **Leads it will be offered**: the leads it accepted (not declined) in the lead window before `asOf`, at the
///   same rate: each counts H·(period length / window length) times over the horizon (the window is shortened to
///   the time since the partner joined, but not below one period).
/// - **Revenue per period** R = Σ over those leads of estimated value × P(win), divided by the window's periods,
///   with P(win) from the match model for the partner as it stands now (track record from the model, open leads
///   as recorded, tenure at `asOf`, and how many times it received each action).
/// - **Churn along the horizon**: its activity is carried forward at the mean of its last three periods
///   (T − 2 … T); the churn model scores period T as recorded and each projected period T + 1 … T + H − 1 from the
///   history with the projection appended (so trends fade as the projection flattens). A = Σₖ₌₁ᴴ Πₛ₌₀ᵏ⁻¹ (1 − c_{T+s})
///   is the expected number of periods it is still active.
/// - **An action** is applied as the catalogue says: each `attribute=change` on an activity figure is added to that
///   figure in every projected period (a lasting change in monthly activity; figures stay ≥ 0), so the churn risk
///   after period T changes; and the match model's count of that action received goes up by one, so P(win) of every
///   lead changes (for an action the match model has no feature for, the catalogue's `quality` change is added to the
///   win logit instead). The risk at period T itself is already settled.
/// - **Expected value** = A₀·(Rₐ − R₀) + (Aₐ − A₀)·Rₐ − cost (see `Recommendation`).
/// - **Exploration** (`RecommendationSettings.exploreShare` > 0): Thompson sampling on the pooled effects. One
///   standard normal zₐ per action is drawn for the whole plan (seeded by the explore seed and the action id); each
///   partner's draw values action a as V(its posterior mean + zₐ·SEₐ) + E[V] − V(its posterior mean), SEₐ the pooled
///   effect's standard error alone (the last two terms carry what the partner-level spread does to the expected
///   value, so with the pooled effects known the draw is the top action), and picks the highest. The partner-level
///   spread is left out: one partner's outcomes barely teach its own deviation, while every partner's outcomes teach
///   the pooled effect, so the draws concentrate on what a round can resolve, and fewer partners' draws differ from
///   their top action as it is resolved.
///
/// Partners with no activity, or whose latest activity row says they churned, are skipped with the reason.
public struct ActionRecommender: Sendable {
    public var matchModel: MatchModel
    public var churnModel: ChurnModel
    public var settings: RecommendationSettings
    /// Beliefs about actions' pooled win-logit effects that replace the match model's estimate and standard error
    /// (by action id): what later evidence taught, e.g. `ActionReplay`'s refit after each round. Empty by default.
    public var pooledEffectBeliefs: [String: EffectBelief] = [:]
    /// Parts of the value computation replaced by the generator's truth (a diagnosis, `ActionOracle`); nil: none.
    /// The pooled effects and their posterior are still fitted (and reported in `ActionPlan.winEffects`) from the
    /// models and the history.
    public var oracle: ActionOracle? = nil

    public init(matchModel: MatchModel, churnModel: ChurnModel, settings: RecommendationSettings = RecommendationSettings()) {
        self.matchModel = matchModel
        self.churnModel = churnModel
        self.settings = settings
    }

    /// Values every eligible action for every active partner and ranks them.
    ///
    /// - Parameters:
    ///   - ecosystem: partners, leads, outcomes, activity, the action catalogue and the action history (references
    ///     checked, e.g. by `Ecosystem.validate`).
    ///     Errors name files and lines from `ecosystem.sources`.
    /// - Throws: `RecommendError.invalidSetting` for a bad setting, `.record` for a catalogue effect on an unknown
    ///   attribute or bad activity (file, line and column), `.model` when the churn model does not fit the features.
    /// - Complexity: O(partners² · profile size) for the neighbours, plus O(leads in the window · (a·b + b·actions))
    ///   and O(actions · (history + H)²) per partner.
    public func recommend(_ ecosystem: Ecosystem) throws(RecommendError) -> ActionPlan {
        let sources = ecosystem.sources
        try settings.validate()
        if ecosystem.actions.isEmpty { throw .record(.emptySet(file: sources.actions, what: "actions")) }
        let context = try ActionContext(ecosystem, settings: settings)
        let profileTable: ChurnFeatureTable
        do {
            profileTable = try ChurnFeatures.build(activity: ecosystem.activity, partners: ecosystem.partners, sources: sources)
        } catch { throw .record(error) }
        let modelTable: ChurnFeatureTable
        do {
            modelTable =
                churnModel.usesPartnerAttributes
                ? profileTable : try ChurnFeatures.build(activity: ecosystem.activity, sources: sources)
        } catch { throw .record(error) }
        let latestRows = modelTable.latestRowPerPartner()
        var latestRow: [String: Int] = [:]
        for row in latestRows { latestRow[modelTable.keys[row].partnerID] = row }
        let current = modelTable.selectingRows(latestRows)
        let currentRisk: [Double], factors: [[ChurnFactor]]
        do {
            currentRisk = try churnModel.risk(for: current)
            factors = try churnModel.explain(current, top: min(settings.factorCount, churnModel.featureNames.count))
        } catch { throw .model(reason: "the churn model does not fit the activity features: \(error)") }
        var currentIndex: [String: Int] = [:]
        for (index, key) in current.keys.enumerated() { currentIndex[key.partnerID] = index }

        let evidence = EvidenceFinder(context: context, profileTable: profileTable)
        let featured = Set(matchModel.encoding.actions)
        var effectSums = [Double](repeating: 0, count: context.actions.count)
        var effectPartners = [Int](repeating: 0, count: context.actions.count)
        var outlooks: [PartnerOutlook] = []
        var skipped: [SkippedPartner] = []
        // Pass 1: each live partner's revenue outlook; the mean logit changes make the pooled win effects.
        var live: [(p: Int, eligible: [Int], revenue: RevenueOutlook)] = []
        for p in context.partners.indices {
            let partner = context.partners[p]
            if let reason = context.liveness(p) {
                skipped.append(SkippedPartner(partnerID: partner.id, reason: reason))
                continue
            }
            let eligible = context.eligibleActions(p)
            if eligible.isEmpty {
                skipped.append(SkippedPartner(partnerID: partner.id, reason: .noEligibleAction))
                continue
            }
            var revenue = revenueOutlook(context, p, eligible)
            for (k, a) in eligible.enumerated() where featured.contains(context.actions[a].id) {
                effectSums[a] += revenue.logitChange[k]
                effectPartners[a] += 1
            }
            if let oracle, oracle.parts.contains(.win), !revenue.values.isEmpty {
                revenue.baseMargins = oracle.winLogits(context, p)
                revenue.before = revenue.revenue(shift: 0)
            }
            live.append((p, eligible, revenue))
        }
        var winEffects = Self.winEffects(context, sums: effectSums, partners: effectPartners)
        for i in winEffects.indices {
            guard let belief = pooledEffectBeliefs[winEffects[i].actionID] else { continue }
            winEffects[i].estimate = belief.mean
            winEffects[i].standardError = belief.variance.squareRoot()
        }
        let posterior = ActionPosterior(context: context, winEffects: winEffects)
        for (a, fit) in posterior.fits.enumerated() {
            guard let fit, let i = winEffects.firstIndex(where: { $0.actionID == context.actions[a].id }) else { continue }
            winEffects[i].betweenPartnerVariance = fit.between?.betweenVariance ?? 0
            winEffects[i].partnersWithEvidence = fit.partnerEstimates.count
        }
        let nodes = ProbabilityOfBest.nodes
        let tail = ProbabilityOfBest.normalQuantile(0.9)
        let knowsEffects = oracle?.parts.contains(.winEffects) ?? false
        // The exploration draw: one standard normal per action, shared by every partner (the pooled effects drawn once).
        let draws = context.actions.map { action in
            var stream = SeededGenerator(seed: settings.exploreSeed ^ Self.stableHash(action.id))
            return stream.nextGaussian()
        }
        // Pass 2: every eligible action valued under the posterior of its win effect.
        for (p, eligible, revenue) in live {
            let partner = context.partners[p]
            let c = currentIndex[partner.id]!
            let risks = try churnPaths(context, p, eligible, currentRisk: currentRisk[c])
            let activeBefore = ActivityProjection.expectedActivePeriods(risks[0])
            let base = activeBefore * revenue.before
            var ranked: [Recommendation] = []
            var tables: [[Double]] = [], drawTables: [[Double]] = []
            for (k, a) in eligible.enumerated() {
                let activeAfter = ActivityProjection.expectedActivePeriods(risks[k + 1])
                let action = context.actions[a]
                let effect: (mean: Double, variance: Double) =
                    if let oracle, knowsEffects {
                        (oracle.truth.winLogitEffect[action.id] ?? 0, 0)
                    } else {
                        posterior.effect(partner: p, action: a) ?? (context.effects[a].qualityChange, 0)
                    }
                let deviation = effect.variance.squareRoot()
                func value(_ z: Double, _ deviation: Double = deviation) -> Double {
                    activeAfter * revenue.revenue(shift: effect.mean + deviation * z) - base - action.cost
                }
                func table(_ deviation: Double) -> [Double] {
                    deviation > 0 ? nodes.map { value($0, deviation) } : [Double](repeating: value(0), count: nodes.count)
                }
                tables.append(table(deviation))
                var revenueAfter = 0.0
                if deviation > 0 {
                    let weights = ProbabilityOfBest.weights(nodes)
                    for (i, z) in nodes.enumerated() {
                        revenueAfter += weights[i] * revenue.revenue(shift: effect.mean + deviation * z)
                    }
                } else {
                    revenueAfter = revenue.revenue(shift: effect.mean)
                }
                let revenueChange = activeBefore * (revenueAfter - revenue.before)
                let retentionChange = (activeAfter - activeBefore) * revenueAfter
                let expectedValue = revenueChange + retentionChange - action.cost
                if settings.exploreShare > 0 {
                    // V at the pooled draw, plus what the partner-level spread adds to V on average (E[V] − V(mean)),
                    // so that with the pooled effects known the draw is the top action.
                    let spread = expectedValue - value(0)
                    let pooled = knowsEffects ? 0 : posterior.pooledVariance(action: a).squareRoot()
                    drawTables.append(table(pooled).map { $0 + spread })
                }
                ranked.append(
                    Recommendation(
                        partnerID: partner.id, actionID: action.id, actionName: action.name, rank: 0,
                        expectedValue: expectedValue, revenueChange: revenueChange,
                        retentionChange: retentionChange, cost: action.cost, winLogitChange: effect.mean,
                        revenuePerPeriodAfter: revenueAfter, expectedActivePeriodsAfter: activeAfter,
                        churnWithinHorizonAfter: ActivityProjection.churnWithin(risks[k + 1]),
                        evidence: evidence.evidence(partner: p, action: a), winLogitChangeDeviation: deviation,
                        valueLow: value(-tail), valueHigh: value(tail)))
            }
            let best = ProbabilityOfBest.probabilities(tables, nodes: nodes)
            for k in ranked.indices { ranked[k].probabilityBest = best[k] }
            if !drawTables.isEmpty {
                let drawn = ProbabilityOfBest.probabilities(drawTables, nodes: nodes)
                for k in ranked.indices { ranked[k].probabilityDrawn = drawn[k] }
            }
            let draw =
                drawTables.isEmpty
                ? nil : ranked[ProbabilityOfBest.thompsonChoice(drawTables, draws: eligible.map { draws[$0] }, nodes: nodes)]
            ranked = Self.rank(ranked)
            outlooks.append(
                PartnerOutlook(
                    partnerID: partner.id, partnerName: partner.name, managerID: partner.managerID,
                    period: current.keys[c].period, churnRisk: currentRisk[c],
                    isHighRisk: currentRisk[c] >= settings.highRiskThreshold, riskFactors: factors[c],
                    expectedLeads: context.leadsPerPeriod(p) * Double(settings.horizonPeriods),
                    revenuePerPeriod: revenue.before, expectedActivePeriods: activeBefore,
                    churnWithinHorizon: ActivityProjection.churnWithin(risks[0]), ranked: ranked,
                    recommendations: Array(ranked.prefix(settings.topCount))))
            if let draw, draw.actionID != ranked[0].actionID {
                outlooks[outlooks.count - 1].exploreActionID = draw.actionID
                outlooks[outlooks.count - 1].exploreCost = ranked[0].expectedValue - draw.expectedValue
            }
        }
        Self.applyExploreBudget(&outlooks, share: settings.exploreShare)
        return ActionPlan(
            asOf: context.asOf, settings: settings, partners: outlooks, skipped: skipped, todos: Self.todos(outlooks),
            winEffects: winEffects)
    }

    /// Keeps the Thompson draws that differ from the top action for at most ⌊share · partners⌋ partners: those whose
    /// exploration gives up the least expected value (ties by partner id); clears the others.
    static func applyExploreBudget(_ outlooks: inout [PartnerOutlook], share: Double) {
        let budget = Int((share * Double(outlooks.count)).rounded(.down))
        let candidates = outlooks.indices.filter { outlooks[$0].exploreActionID != nil }.sorted {
            let a = outlooks[$0], b = outlooks[$1]
            return a.exploreCost != b.exploreCost ? a.exploreCost < b.exploreCost : a.partnerID < b.partnerID
        }
        for (position, index) in candidates.enumerated() where position >= budget {
            outlooks[index].exploreActionID = nil
            outlooks[index].exploreCost = 0
        }
    }

    /// FNV-1a of the UTF-8 bytes: the same on every machine and run (unlike `Hasher`).
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }

    /// Sorts by expected value, highest first, ties by action id, and numbers the ranks from 1.
    static func rank(_ recommendations: [Recommendation]) -> [Recommendation] {
        var sorted = recommendations.sorted {
            $0.expectedValue != $1.expectedValue ? $0.expectedValue > $1.expectedValue : $0.actionID < $1.actionID
        }
        for index in sorted.indices { sorted[index].rank = index + 1 }
        return sorted
    }

    /// The to-do list of every manager (ordered by manager id): high-risk partners first by risk, then the others by
    /// the expected value of their best action; ties by partner id.
    public static func todos(_ outlooks: [PartnerOutlook]) -> [ManagerTodo] {
        var byManager: [String: [PartnerOutlook]] = [:]
        for outlook in outlooks { byManager[outlook.managerID, default: []].append(outlook) }
        return byManager.keys.sorted().map { manager in
            let ordered = byManager[manager]!.sorted { a, b in
                if a.isHighRisk != b.isHighRisk { return a.isHighRisk }
                if a.isHighRisk {
                    if a.churnRisk != b.churnRisk { return a.churnRisk > b.churnRisk }
                } else {
                    let va = a.ranked.first?.expectedValue ?? -.infinity, vb = b.ranked.first?.expectedValue ?? -.infinity
                    if va != vb { return va > vb }
                }
                return a.partnerID < b.partnerID
            }
            return ManagerTodo(
                managerID: manager,
                items: ordered.enumerated().map { TodoItem(position: $0.offset + 1, outlook: $0.element) })
        }
    }

    /// Each action's win effect as the model estimates it (the mean logit change over the live partners eligible for
    /// it, from their sums and counts) with its standard error, for the actions the match model has a feature for.
    static func winEffects(_ context: ActionContext, sums: [Double], partners: [Int]) -> [ActionWinEffect] {
        let information = context.effectInformation()
        return context.actions.indices.compactMap { a in
            guard partners[a] > 0 else { return nil }
            return ActionWinEffect(
                actionID: context.actions[a].id, estimate: sums[a] / Double(partners[a]),
                standardError: information[a] > 0 ? 1 / information[a].squareRoot() : .infinity)
        }
    }

    /// R₀, Rₐ for each eligible action (the match model's), and the mean change in the win logit over the partner's window leads (over
    /// a lead with only the constant feature when there are none).
    func revenueOutlook(_ context: ActionContext, _ p: Int, _ eligible: [Int]) -> RevenueOutlook {
        let encoding = matchModel.encoding
        var actionFeature: [String: Int] = [:]
        for (index, id) in encoding.actions.enumerated() { actionFeature[id] = index }
        var counts = [Double](repeating: 0, count: encoding.actions.count)
        for taken in context.received[p] {
            if let j = actionFeature[context.actions[taken.action].id] { counts[j] += 1 }
        }
        let partner = context.partners[p]
        let base = PartnerState(
            partner: partner,
            counts: matchModel.trackRecords[partner.id] ?? WinCounts(verticalCount: encoding.verticals.count),
            global: matchModel.overallRecord, openLeads: partner.openLeads, time: context.asOf, actionCounts: counts)
        var states = [base]
        var shifts = [0.0]
        for a in eligible {
            var state = base
            if let j = actionFeature[context.actions[a].id] {
                state.actionCounts[j] += 1
                shifts.append(0)
            } else {
                shifts.append(context.effects[a].qualityChange)
            }
            states.append(state)
        }
        let leads = context.windowLeads[p]
        let perPeriod = RecommendationSettings.daysPerPeriod / context.windowDays[p]
        var revenue = [Double](repeating: 0, count: states.count)
        var logitChange = [Double](repeating: 0, count: states.count)
        var baseMargins: [Double] = []
        if leads.isEmpty {
            // The margin of a lead with only the constant feature: row 0 of W times ψ̃.
            let psi = encoding.rightDesign(states)
            let b = psi.columnCount
            var margins = [Double](repeating: 0, count: states.count)
            for s in states.indices {
                for j in 0..<b { margins[s] += matchModel.interaction[j] * psi.storage[s * b + j] }
                margins[s] += shifts[s]
            }
            for s in states.indices { logitChange[s] = margins[s] - margins[0] }
        } else {
            let margins = matchModel.marginMatrix(leads: leads, states: states)
            let m = states.count
            for (i, lead) in leads.enumerated() {
                let baseMargin = margins.storage[i * m]
                baseMargins.append(baseMargin)
                for s in 0..<m {
                    let margin = margins.storage[i * m + s] + shifts[s]
                    revenue[s] += lead.estimatedValue * Kernels.sigmoid(margin) * perPeriod
                    logitChange[s] += (margin - baseMargin) / Double(leads.count)
                }
            }
        }
        return RevenueOutlook(
            before: revenue[0], after: Array(revenue.dropFirst()), logitChange: Array(logitChange.dropFirst()),
            values: leads.map { $0.estimatedValue * perPeriod }, baseMargins: baseMargins)
    }

    /// The churn risk at periods T … T + H − 1: first with no action, then after each eligible action.
    func churnPaths(_ context: ActionContext, _ p: Int, _ eligible: [Int], currentRisk: Double) throws(RecommendError)
        -> [[Double]]
    {
        let history = context.histories[p]
        let horizon = settings.horizonPeriods
        let level = ActivityProjection.recentLevel(history)
        let variants =
            [level]
            + eligible.map { a in
                if let oracle, oracle.parts.contains(.engagement) {
                    return oracle.figures(
                        level: level, engagement: oracle.truth.engagementEffect[context.actions[a].id] ?? 0)
                }
                return zip(level, context.effects[a].figureChanges).map { $0 + $1 }
            }
        if let oracle, oracle.parts.contains(.churn) {
            let tier = context.partners[p].tier
            return variants.map { ActionOracle.churnPath(history, figures: $0, tier: tier, horizon: horizon) }
        }
        guard horizon > 1 else { return variants.map { _ in [currentRisk] } }
        // One feature build for all variants, each under an id of its own ("v0", "v1", …).
        var rows: [PartnerActivity] = []
        var copies: [Partner] = []
        for (v, figures) in variants.enumerated() {
            let id = "v\(v)"
            rows += ActivityProjection.extended(history, with: figures, count: horizon - 1).map {
                var row = $0
                row.partnerID = id
                return row
            }
            var copy = context.partners[p]
            copy.id = id
            copies.append(copy)
        }
        let latest = history.last!.period
        do {
            let table = try ChurnFeatures.build(activity: rows, partners: churnModel.usesPartnerAttributes ? copies : nil)
            let risk = try churnModel.risk(for: table)
            var paths = [[Double]](repeating: [currentRisk], count: variants.count)
            for (row, key) in table.keys.enumerated() where key.period > latest {
                paths[Int(key.partnerID.dropFirst())!].append(risk[row])
            }
            return paths
        } catch let error as RecordError {
            throw .record(error)
        } catch {
            throw .model(reason: "the churn model does not fit the activity features: \(error)")
        }
    }
}

/// A partner's revenue per period from the leads it will be offered: R₀, the match model's Rₐ and mean logit change
/// for each eligible action, and what R is when the win logit of every lead moves by the same amount.
struct RevenueOutlook {
    var before: Double
    var after: [Double]
    var logitChange: [Double]
    /// Per lead: estimated value × (periods a window lead stands for per period).
    var values: [Double]
    /// Per lead: the match model's margin with no action.
    var baseMargins: [Double]

    /// R(β) = Σ over the leads of value·σ(margin + β), per period (0 with no leads); rises with β.
    func revenue(shift: Double) -> Double {
        var total = 0.0
        for i in values.indices { total += values[i] * Kernels.sigmoid(baseMargins[i] + shift) }
        return total
    }
}
