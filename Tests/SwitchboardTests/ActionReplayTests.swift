import Foundation
import Learning
import LinearAlgebra
import Testing
import TestSupport

@testable import Switchboard

@Suite("Next-best actions: replayed rounds")
struct ActionReplayTests {
    typealias Outcome = ActionReplay.Outcome

    /// The log posterior written out naively, parameters θ = (β₀ … β_{A−1}, c):
    /// Σ log N(β_a; μ_a, SE_a²) + Σᵢ log P(yᵢ | σ(oᵢ + c + β_a)).
    static func logPosterior(_ theta: [Double], priors: [EffectBelief], _ data: [Outcome]) -> Double {
        var total = 0.0
        for (a, prior) in priors.enumerated() where prior.variance.isFinite {
            total -= (theta[a] - prior.mean) * (theta[a] - prior.mean) / (2 * prior.variance)
        }
        for o in data {
            var z = o.offset + theta[priors.count]
            if let a = o.action { z += theta[a] }
            let p = 1 / (1 + exp(-z))
            total += o.won ? log(p) : log(1 - p)
        }
        return total
    }

    /// `count` outcomes, the i-th under action `assign(i)` (nil: none) with true effects `effects` on top of a
    /// calibration offset `shift`, offsets standard normal, from a seeded stream.
    static func outcomes(
        count: Int, effects: [Double], shift: Double = 0, seed: UInt64, assign: (Int) -> Int?
    ) -> [Outcome] {
        var stream = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            let action = assign(i)
            let offset = stream.nextGaussian()
            let z = offset + shift + (action.map { effects[$0] } ?? 0)
            return Outcome(action: action, offset: offset, won: stream.nextUniform() < 1 / (1 + exp(-z)))
        }
    }

    /// The inverse of a small matrix by Gauss–Jordan elimination with partial pivoting.
    static func inverse(_ m: [[Double]]) -> [[Double]] {
        let n = m.count
        var a = m.enumerated().map { i, row in row + (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for column in 0..<n {
            let pivot = (column..<n).max { abs(a[$0][column]) < abs(a[$1][column]) }!
            a.swapAt(column, pivot)
            let d = a[column][column]
            a[column] = a[column].map { $0 / d }
            for r in 0..<n where r != column {
                let factor = a[r][column]
                if factor != 0 { a[r] = zip(a[r], a[column]).map { $0 - factor * $1 } }
            }
        }
        return a.map { Array($0[n...]) }
    }

    /// With held-out outcomes: the refit is the mode of the log posterior over (β, c) (every partial derivative zero,
    /// by central differences) and each β's variance is the diagonal of minus the inverse Hessian over all of them
    /// (by second differences).
    @Test(arguments: [(0.1, 0.05), (0.0, 1.0), (0.2, Double.infinity)])
    func refitIsTheModeAndLaplaceVarianceOfTheLogPosterior(mean: Double, variance: Double) {
        let priors = [EffectBelief(mean: mean, variance: variance), EffectBelief(mean: -mean, variance: 0.2)]
        let data = Self.outcomes(count: 480, effects: [0.3, -0.2], shift: 0.25, seed: 7) { i in
            i % 3 == 0 ? nil : i % 3 - 1
        }
        let fit = ActionReplay.refit(priors: priors, outcomes: data, fitsCalibration: true)
        #expect(fit.refitted == [true, true] && fit.calibration != 0)
        let theta = fit.effects.map(\.mean) + [fit.calibration]
        func f(_ t: [Double]) -> Double { Self.logPosterior(t, priors: priors, data) }
        for (k, derivative) in finiteDifferenceGradient(f, at: theta, step: 1e-5).enumerated() {
            #expect(abs(derivative) < 1e-5, "∂/∂θ\(k) = \(derivative)")
        }
        let hessian = finiteDifferenceHessian(f, at: theta, step: 1e-3).map { $0.map { -$0 } }
        let covariance = Self.inverse(hessian)
        for a in 0..<2 {
            #expect(
                abs(fit.effects[a].variance - covariance[a][a]) <= 1e-4 * covariance[a][a],
                "β\(a): \(fit.effects[a].variance) vs \(covariance[a][a])")
        }
    }

    /// Without a calibration each action's refit is its own: the mode of log N(β; μ, SE²) + Σ log P(y | σ(o + β))
    /// over its outcomes (a grid of step 10⁻⁴) with variance 1/(1/SE² + Σ σ(1 − σ)), whatever the held-out outcomes;
    /// an action without outcomes keeps its prior; all won under a flat prior stops without trapping.
    @Test func withoutCalibrationEachEffectIsItsOwnRefit() {
        let priors = [
            EffectBelief(mean: 0.12, variance: 0.01), EffectBelief(mean: 0, variance: .infinity),
            EffectBelief(mean: 0.4, variance: 0.3),
        ]
        let data = Self.outcomes(count: 600, effects: [0.3, -0.1, 0], seed: 3) { i in i % 5 == 0 ? nil : i % 2 }
        let fit = ActionReplay.refit(priors: priors, outcomes: data, fitsCalibration: false)
        #expect(fit.refitted == [true, true, false] && fit.calibration == 0)
        #expect(fit.effects[2] == priors[2])
        for a in 0..<2 {
            let own = data.filter { $0.action == a }
            var best = -3.0, bestValue = -Double.infinity
            for i in 0...60_000 {
                let beta = -3 + Double(i) * 1e-4
                // β for the action, c = 0; only the action's own outcomes and prior.
                let value = Self.logPosterior([beta, 0], priors: [priors[a]], own.map { Outcome(action: 0, offset: $0.offset, won: $0.won) })
                if value > bestValue { (best, bestValue) = (beta, value) }
            }
            #expect(abs(fit.effects[a].mean - best) <= 1e-4, "β\(a) \(fit.effects[a].mean) vs grid \(best)")
            var information = priors[a].variance.isFinite ? 1 / priors[a].variance : 0
            for o in own {
                let p = 1 / (1 + exp(-(o.offset + fit.effects[a].mean)))
                information += p * (1 - p)
            }
            #expect(abs(fit.effects[a].variance - 1 / information) <= 1e-6 / information)
        }
        // 20,000 outcomes: the likelihood dominates; the posterior sd is about 1/√(20,000·0.2) ≈ 0.016.
        let many = ActionReplay.refit(
            priors: [priors[0]], outcomes: Self.outcomes(count: 20_000, effects: [0.3], seed: 4) { _ in 0 },
            fitsCalibration: false)
        #expect(abs(many.effects[0].mean - 0.3) < 0.06, "\(many.effects[0].mean)")
        #expect(many.effects[0].variance < 0.001 && many.effects[0].variance > 0.0001)
        let allWon = ActionReplay.refit(
            priors: [EffectBelief(mean: 0, variance: .infinity)],
            outcomes: [Outcome(action: 0, offset: 0, won: true), Outcome(action: 0, offset: 0.5, won: true)],
            fitsCalibration: false)
        #expect(allWon.effects[0].mean > 5)
    }

    /// Only held-out outcomes: c is their maximum-likelihood shift (the score equation Σ (y − σ(o + c)) = 0), and the
    /// priors stay. With treated outcomes too, a shift of the margins by s moves c by s and leaves the β's: c is
    /// measured on every outcome, the β's against it.
    @Test func calibrationIsTheShiftOfTheModelsMargins() {
        let priors = [EffectBelief(mean: 0.1, variance: 0.04), EffectBelief(mean: 0.2, variance: 0.04)]
        let control = Self.outcomes(count: 2_000, effects: [], shift: 0.4, seed: 21) { _ in nil }
        let alone = ActionReplay.refit(priors: priors, outcomes: control, fitsCalibration: true)
        #expect(alone.refitted == [false, false] && alone.effects == priors)
        let score = control.reduce(0.0) { $0 + ($1.won ? 1 : 0) - 1 / (1 + exp(-($1.offset + alone.calibration))) }
        #expect(abs(score) < 1e-8, "score \(score) at c = \(alone.calibration)")
        #expect(abs(alone.calibration - 0.4) < 0.15)
        let data = Self.outcomes(count: 3_000, effects: [0.3, 0.1], shift: 0.4, seed: 22) { i in
            i % 4 == 0 ? nil : i % 2
        }
        let fit = ActionReplay.refit(priors: priors, outcomes: data, fitsCalibration: true)
        let shifted = ActionReplay.refit(
            priors: priors, outcomes: data.map { Outcome(action: $0.action, offset: $0.offset - 0.5, won: $0.won) },
            fitsCalibration: true)
        #expect(abs(shifted.calibration - (fit.calibration + 0.5)) < 1e-8)
        for a in 0..<2 { #expect(abs(shifted.effects[a].mean - fit.effects[a].mean) < 1e-8) }
    }

    @Test func pooledEffectBeliefsReplaceTheModelsEstimate() throws {
        let fixture = RecommendFixture.small
        let base = try ActionRecommender(matchModel: fixture.match, churnModel: fixture.churn).recommend(fixture.ecosystem)
        // The action the model thinks least of among those every partner is eligible for.
        let open = Set(fixture.ecosystem.actions.filter { $0.eligibleTypes.isEmpty && $0.eligibleTiers.isEmpty }.map(\.id))
        let target = try #require(base.winEffects.filter { open.contains($0.actionID) }.min { $0.estimate < $1.estimate })
        var recommender = ActionRecommender(matchModel: fixture.match, churnModel: fixture.churn)
        recommender.pooledEffectBeliefs = [target.actionID: EffectBelief(mean: 3, variance: 1e-6)]
        let plan = try recommender.recommend(fixture.ecosystem)
        let effect = try #require(plan.winEffects.first { $0.actionID == target.actionID })
        #expect(effect.estimate == 3 && abs(effect.standardError - 1e-3) < 1e-12)
        // A certain, large effect puts it first for every partner with leads, with P(best) ≈ 1.
        var withLeads = 0
        for outlook in plan.partners where outlook.revenuePerPeriod > 0 {
            withLeads += 1
            #expect(outlook.ranked[0].actionID == target.actionID, "\(outlook.partnerID)")
            #expect(outlook.ranked[0].probabilityBest > 0.95, "\(outlook.partnerID)")
        }
        #expect(withLeads > 10)
    }

    /// The small fixture with its recommender and truth, as the replays run on it.
    static var small: (fixture: RecommendFixture, recommender: ActionRecommender, truth: ActionTruth) {
        let fixture = RecommendFixture.small
        return (
            fixture, ActionRecommender(matchModel: fixture.match, churnModel: fixture.churn),
            ActionTruth(fixture.generated.truth)
        )
    }

    @Test func replayIsDeterministicAndConsistentWithTheEvaluation() throws {
        let (fixture, recommender, truth) = Self.small
        let replay = try ActionReplay.run(
            recommender: recommender, ecosystem: fixture.ecosystem, truth: truth, rounds: 3, exploreShare: 0.3, seed: 5)
        let again = try ActionReplay.run(
            recommender: recommender, ecosystem: fixture.ecosystem, truth: truth, rounds: 3, exploreShare: 0.3, seed: 5)
        #expect(replay.greedy == again.greedy && replay.explore == again.explore)
        #expect(replay.greedy.rounds.count == 3 && replay.explore.rounds.count == 3)
        // Greedy's first round is the evaluation of the plain recommendations.
        let plan = try recommender.recommend(fixture.ecosystem)
        let evaluation = try ActionEvaluation.evaluate(plan, ecosystem: fixture.ecosystem, truth: truth)
        #expect(replay.evaluatedCount == evaluation.evaluatedCount)
        #expect(abs(replay.greedy.rounds[0].meanCapturedFraction - evaluation.recommended.meanCapturedFraction) < 1e-12)
        let budget = Int((0.3 * Double(plan.partners.count)).rounded(.down))
        for (g, e) in zip(replay.greedy.rounds, replay.explore.rounds) {
            #expect(g.exploredCount == 0)
            #expect(e.exploredCount <= budget)
            #expect(g.regret >= -1e-6 && e.regret >= -1e-6)
            #expect(g.meanCapturedFraction <= 1 + 1e-12 && e.meanCapturedFraction <= 1 + 1e-12)
        }
        #expect(replay.explore.rounds.contains { $0.exploredCount > 0 })
        // Each refit only adds evidence: an action's posterior variance never grows from round to round.
        for arm in [replay.greedy, replay.explore] {
            for (id, prior) in replay.priors {
                var previous = prior.variance
                for round in arm.rounds {
                    guard let belief = round.beliefs[id] else { continue }
                    #expect(belief.variance <= previous * (1 + 1e-9), "\(id) round \(round.round)")
                    previous = belief.variance
                }
            }
        }
        #expect(throws: RecommendError.self) {
            try ActionReplay.run(
                recommender: recommender, ecosystem: fixture.ecosystem, truth: truth, rounds: 0, exploreShare: 0.3, seed: 5)
        }
        #expect(throws: RecommendError.self) {
            try ActionReplay.run(
                recommender: recommender, ecosystem: fixture.ecosystem, truth: truth, rounds: 2, exploreShare: 0, seed: 5)
        }
        // No holdout: no partner held out and no calibration.
        #expect(replay.holdoutShare == 0)
        #expect((replay.greedy.rounds + replay.explore.rounds).allSatisfy { $0.heldOutCount == 0 && $0.calibration == 0 })
    }

    /// With a holdout, the same partners are held out in both arms (drawn from the seed, the round and the id) and
    /// leave the round's figures; the greedy arm's first round is recomputed directly (every partner's outcomes drawn
    /// as documented: none for the held out, the top action's true effect for the others) and refitted jointly: the
    /// same calibration and beliefs.
    @Test func holdoutCalibratesTheMarginsOnPartnersWithNoAction() throws {
        let (fixture, recommender, truth) = Self.small
        let plain = try ActionReplay.run(
            recommender: recommender, ecosystem: fixture.ecosystem, truth: truth, rounds: 2, exploreShare: 0.3, seed: 5)
        let held = try ActionReplay.run(
            recommender: recommender, ecosystem: fixture.ecosystem, truth: truth, rounds: 2, exploreShare: 0.3, seed: 5,
            holdoutShare: 0.3)
        #expect(held.holdoutShare == 0.3)
        let plan = try recommender.recommend(fixture.ecosystem)
        var settings = plan.settings
        settings.asOf = plan.asOf
        let context = try ActionContext(fixture.ecosystem, settings: settings)
        let featured = held.priors.keys.sorted()
        for round in 1...2 {
            let ids = plan.partners.map(\.partnerID).filter {
                ActionReplay.isHeldOut($0, round: round, seed: 5, share: 0.3)
            }
            #expect(held.greedy.rounds[round - 1].heldOutCount == ids.count)
            #expect(held.explore.rounds[round - 1].heldOutCount == ids.count)
            #expect(ids.count > 0 && ids.count < plan.partners.count)
        }
        var outcomes: [ActionReplay.Outcome] = []
        for outlook in plan.partners {
            let id = outlook.partnerID
            let p = try #require(context.partnerIndex[id])
            let partner = context.partners[p]
            let offsets = recommender.revenueOutlook(context, p, context.eligibleActions(p)).baseMargins
            let quality = truth.quality[id] ?? 0, skill = truth.verticalSkill[id] ?? []
            let utilisation = Double(partner.openLeads) / Double(max(partner.capacity, 1))
            var stream = SeededGenerator(seed: 5 ^ ActionRecommender.stableHash(id) ^ (1 &* 0x9E37_79B9_7F4A_7C15))
            let heldOut = ActionReplay.isHeldOut(id, round: 1, seed: 5, share: 0.3)
            let top = outlook.ranked[0].actionID
            guard heldOut || featured.contains(top) else { continue }
            for (offset, lead) in zip(offsets, context.windowLeads[p]) {
                let z = EcosystemTruth.winLogit(
                    lead: lead, partner: partner, quality: quality, verticalSkill: skill, utilisation: utilisation)
                let effect = heldOut ? 0 : truth.winLogitEffect[top] ?? 0
                outcomes.append(
                    ActionReplay.Outcome(
                        action: heldOut ? nil : featured.firstIndex(of: top), offset: offset,
                        won: stream.nextUniform() < Kernels.sigmoid(z + effect)))
            }
        }
        let fit = ActionReplay.refit(
            priors: featured.map { held.priors[$0]! }, outcomes: outcomes, fitsCalibration: true)
        let first = held.greedy.rounds[0]
        #expect(first.calibration != 0 && abs(first.calibration - fit.calibration) < 1e-9)
        for (k, id) in featured.enumerated() where fit.refitted[k] {
            let belief = try #require(first.beliefs[id])
            #expect(abs(belief.mean - fit.effects[k].mean) < 1e-9 && abs(belief.variance - fit.effects[k].variance) < 1e-9)
        }
        #expect(first.beliefs.count == fit.refitted.count { $0 })
        // The first round ranks as without a holdout; only the held-out partners leave its figures.
        #expect(held.greedy.rounds[0].exploredCount == 0)
        #expect(plain.greedy.rounds[0].heldOutCount == 0)
        #expect(throws: RecommendError.self) {
            try ActionReplay.run(
                recommender: recommender, ecosystem: fixture.ecosystem, truth: truth, rounds: 2, exploreShare: 0.3,
                seed: 5, holdoutShare: 1)
        }
    }
}
