import Foundation
import Learning
import LinearAlgebra
import Testing
import TestSupport

@testable import Switchboard

@Suite("Next-best actions: replayed rounds")
struct ActionReplayTests {
    /// Outcomes won with probability σ(offset + β), offsets standard normal, from a seeded stream.
    static func outcomes(count: Int, effect: Double, seed: UInt64) -> [(offset: Double, won: Bool)] {
        var stream = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let offset = stream.nextGaussian()
            return (offset, stream.nextUniform() < 1 / (1 + exp(-(offset + effect))))
        }
    }

    /// The log posterior written out naively: log N(β; mean, variance) + Σ log P(outcome).
    static func logPosterior(_ beta: Double, prior: EffectBelief, _ data: [(offset: Double, won: Bool)]) -> Double {
        var total = prior.variance.isFinite ? -(beta - prior.mean) * (beta - prior.mean) / (2 * prior.variance) : 0
        for (offset, won) in data {
            let p = 1 / (1 + exp(-(offset + beta)))
            total += won ? log(p) : log(1 - p)
        }
        return total
    }

    @Test(arguments: [(0.1, 0.05), (0.0, 1.0), (0.2, Double.infinity)])
    func refitIsTheModeAndCurvatureOfTheLogPosterior(mean: Double, variance: Double) {
        let prior = EffectBelief(mean: mean, variance: variance)
        let data = Self.outcomes(count: 300, effect: 0.3, seed: 7)
        let fitted = ActionReplay.refit(prior: prior, outcomes: data)
        // The mode on a grid of step 1e-4 over [-3, 3].
        var best = -3.0, bestValue = -Double.infinity
        for i in 0...60_000 {
            let beta = -3 + Double(i) * 1e-4
            let value = Self.logPosterior(beta, prior: prior, data)
            if value > bestValue { (best, bestValue) = (beta, value) }
        }
        #expect(abs(fitted.mean - best) <= 1e-4, "\(fitted.mean) vs grid \(best)")
        // The variance: minus the inverse second difference of the log posterior at the mode.
        let h = 1e-3
        let second =
            (Self.logPosterior(fitted.mean + h, prior: prior, data) - 2 * Self.logPosterior(fitted.mean, prior: prior, data)
                + Self.logPosterior(fitted.mean - h, prior: prior, data)) / (h * h)
        #expect(abs(fitted.variance - (-1 / second)) <= 1e-4 * fitted.variance, "\(fitted.variance) vs \(-1 / second)")
    }

    @Test func refitWithoutOutcomesIsThePriorAndWithManyFindsTheTruth() {
        let prior = EffectBelief(mean: 0.12, variance: 0.01)
        let none = ActionReplay.refit(prior: prior, outcomes: [])
        #expect(abs(none.mean - prior.mean) < 1e-12 && abs(none.variance - prior.variance) < 1e-12)
        // 20,000 outcomes: the likelihood dominates; the posterior sd is about 1/√(20,000·0.2) ≈ 0.016.
        let many = ActionReplay.refit(prior: prior, outcomes: Self.outcomes(count: 20_000, effect: 0.3, seed: 3))
        #expect(abs(many.mean - 0.3) < 0.06, "\(many.mean)")
        #expect(many.variance < 0.001 && many.variance > 0.0001, "\(many.variance)")
        // All won under a flat prior: no finite mode; the steps stop without trapping.
        let allWon = ActionReplay.refit(
            prior: EffectBelief(mean: 0, variance: .infinity), outcomes: [(0.0, true), (0.5, true)])
        #expect(allWon.mean > 5)
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

    /// With a holdout, the same partners are held out in both arms (drawn from the seed, the round and the id), they
    /// leave the round's figures, and the calibration is the maximum-likelihood shift of the model's margins on their
    /// outcomes (the refit with no prior, checked here by the score equation Σ (y − σ(o + c)) = 0 on a direct
    /// recomputation of those outcomes).
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
        var control: [(offset: Double, won: Bool)] = []
        for round in 1...2 {
            let ids = plan.partners.map(\.partnerID).filter {
                ActionReplay.isHeldOut($0, round: round, seed: 5, share: 0.3)
            }
            #expect(held.greedy.rounds[round - 1].heldOutCount == ids.count)
            #expect(held.explore.rounds[round - 1].heldOutCount == ids.count)
            #expect(ids.count > 0 && ids.count < plan.partners.count)
            // The held-out partners' outcomes, drawn as the replay draws them.
            for id in ids {
                let p = try #require(context.partnerIndex[id])
                let partner = context.partners[p]
                let offsets = recommender.revenueOutlook(context, p, context.eligibleActions(p)).baseMargins
                let quality = truth.quality[id] ?? 0, skill = truth.verticalSkill[id] ?? []
                let utilisation = Double(partner.openLeads) / Double(max(partner.capacity, 1))
                var stream = SeededGenerator(
                    seed: 5 ^ ActionRecommender.stableHash(id) ^ (UInt64(round) &* 0x9E37_79B9_7F4A_7C15))
                for (offset, lead) in zip(offsets, context.windowLeads[p]) {
                    let z = EcosystemTruth.winLogit(
                        lead: lead, partner: partner, quality: quality, verticalSkill: skill, utilisation: utilisation)
                    control.append((offset, stream.nextUniform() < Kernels.sigmoid(z)))
                }
            }
            let c = held.greedy.rounds[round - 1].calibration
            #expect(held.explore.rounds[round - 1].calibration == c)
            let score = control.reduce(0.0) { $0 + ($1.won ? 1 : 0) - Kernels.sigmoid($1.offset + c) }
            #expect(abs(score) < 1e-6 * Double(control.count), "round \(round): score \(score) at c = \(c)")
        }
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
