import Learning
import LinearAlgebra

/// Each action's win-logit effect estimated as well as the history allows: the ceiling of any estimator fitted on
/// the outcomes (`switchboard evaluate actions --oracle history-estimates`).
///
/// It knows everything about each resolved outcome except the actions' effects: the generator's true win logit of
/// the pair (`EcosystemTruth.pairs`), from which it removes the true effects of the actions the partner had
/// received by then (as the generator applies them: an action of one month counts from the leads of the next), and
/// it knows which actions those were. What is left for the estimate is the outcomes' own noise: β̂ maximises
///
///     Σᵢ log P(yᵢ | σ(oᵢ + Σₐ nᵢₐ·βₐ))
///
/// over the counted, resolved outcomes (declined ones left out, expired ones losses, as the match model counts
/// them), with oᵢ the true win logit with no action and nᵢₐ the times the partner had received action a; Newton's
/// method on the exact Hessian (`OffsetLogisticFit`, flat priors), and each standard error from the inverse Fisher
/// information. A match model (or any estimator) also has to learn the rest of the win logit from the same outcomes,
/// so its estimates cannot be expected to be better than these; the recommender ranking with them shows how much
/// captured value the history itself can buy.
public struct ActionEffectCeiling: Sendable {
    public struct Estimate: Sendable, Equatable {
        public var actionID: String
        public var estimate: Double
        public var standardError: Double
        /// Outcomes of partners that had received the action at least once.
        public var treatedOutcomes: Int
    }
    /// The actions received before some resolved outcome, by id.
    public var estimates: [Estimate]

    /// The counted, resolved outcomes as the fit sees them: each with its true win logit with no action (the offset),
    /// how many times the partner had received each action (`actionIDs` order), and whether it was won.
    struct Design {
        var actionIDs: [String]
        var rows: [(offset: Double, counts: [Double], won: Bool)]
        /// Per action, the rows with a non-zero count.
        var treated: [Int]

        /// Σᵢ log P(yᵢ | σ(oᵢ + Σₐ nᵢₐ·βₐ)), β in `actionIDs` order (a naive loop, for tests).
        func logLikelihood(_ beta: [Double]) -> Double {
            rows.reduce(0) { total, row in
                var z = row.offset
                for a in beta.indices { z += row.counts[a] * beta[a] }
                return total + (row.won ? -Kernels.log1p(Kernels.exponential(-z)) : -Kernels.log1p(Kernels.exponential(z)))
            }
        }
    }

    /// - Throws: `RecommendError.model` when the truth's pairs do not match the outcomes (one pair per outcome that
    ///   was not declined, in order).
    static func design(_ ecosystem: Ecosystem, truth: EcosystemTruth) throws(RecommendError) -> Design {
        let effects = Dictionary(truth.actionEffects.map { ($0.actionID, $0.winLogit) }, uniquingKeysWith: { a, _ in a })
        let created = Dictionary(ecosystem.leads.map { ($0.id, $0.created) }, uniquingKeysWith: { a, _ in a })
        // Each partner's actions with the month from which they count.
        var received: [String: [(month: Int, action: String)]] = [:]
        for taken in ecosystem.actionHistory {
            received[taken.partnerID, default: []].append((ActionContext.monthIndex(taken.time) + 1, taken.actionID))
        }
        let actionIDs = Array(Set(ecosystem.actionHistory.map(\.actionID))).sorted()
        let column = Dictionary(uniqueKeysWithValues: actionIDs.enumerated().map { ($1, $0) })
        let d = actionIDs.count
        var rows: [(offset: Double, counts: [Double], won: Bool)] = []
        var treated = [Int](repeating: 0, count: d)
        var pair = 0
        for outcome in ecosystem.outcomes where outcome.outcome != .declined {
            guard pair < truth.pairs.count, truth.pairs[pair].leadID == outcome.leadID,
                truth.pairs[pair].partnerID == outcome.partnerID
            else {
                throw .model(
                    reason:
                        "the truth's pairs do not match the outcomes at the outcome of lead \(outcome.leadID) and partner \(outcome.partnerID)"
                )
            }
            let p = truth.pairs[pair].winProbability
            pair += 1
            guard OutcomeRule.counts(outcome.outcome), outcome.closed != nil, let leadTime = created[outcome.leadID]
            else { continue }
            let month = ActionContext.monthIndex(leadTime)
            var counts = [Double](repeating: 0, count: d)
            var applied = 0.0
            for taken in received[outcome.partnerID] ?? [] where taken.month <= month {
                counts[column[taken.action]!] += 1
                applied += effects[taken.action] ?? 0
            }
            for a in 0..<d where counts[a] > 0 { treated[a] += 1 }
            let clipped = min(max(p, 1e-12), 1 - 1e-12)
            rows.append((Kernels.logarithm(clipped / (1 - clipped)) - applied, counts, OutcomeRule.isWin(outcome.outcome)))
        }
        return Design(actionIDs: actionIDs, rows: rows, treated: treated)
    }

    /// - Throws: `RecommendError.model` when the truth's pairs do not match the outcomes (one pair per outcome that
    ///   was not declined, in order), or the information matrix is singular.
    public static func fit(_ ecosystem: Ecosystem, truth: EcosystemTruth) throws(RecommendError) -> ActionEffectCeiling {
        let design = try Self.design(ecosystem, truth: truth)
        let actionIDs = design.actionIDs, rows = design.rows, treated = design.treated
        let fitted = actionIDs.indices.filter { treated[$0] > 0 }
        guard !fitted.isEmpty else { return ActionEffectCeiling(estimates: []) }
        // Newton on the fitted actions' coefficients, flat priors.
        let fit = OffsetLogisticFit.fit(
            rows: rows.map { row in
                OffsetLogisticFit.Row(
                    offset: row.offset,
                    entries: fitted.indices.compactMap { j in
                        row.counts[fitted[j]] != 0 ? (j, row.counts[fitted[j]]) : nil
                    }, won: row.won)
            }, priorMeans: [Double](repeating: 0, count: fitted.count),
            priorPrecisions: [Double](repeating: 0, count: fitted.count))
        let beta = fit.coefficients
        guard let covariance = fit.covariance else {
            throw .model(reason: "the actions' information matrix is singular")
        }
        return ActionEffectCeiling(
            estimates: fitted.enumerated().map { j, a in
                Estimate(
                    actionID: actionIDs[a], estimate: beta[j], standardError: covariance[j, j].squareRoot(),
                    treatedOutcomes: treated[a])
            })
    }

    /// The estimates as beliefs for `ActionRecommender.pooledEffectBeliefs`.
    public var beliefs: [String: EffectBelief] {
        Dictionary(
            uniqueKeysWithValues: estimates.map {
                ($0.actionID, EffectBelief(mean: $0.estimate, variance: $0.standardError * $0.standardError))
            })
    }
}
