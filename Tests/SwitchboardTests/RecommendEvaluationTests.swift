import Learning
import Testing

@testable import Switchboard

/// Next-best actions against the generator's truth, where the true value of every action is known.
@Suite("Next-best actions against the truth")
struct RecommendEvaluationTests {
    /// Four generated ecosystems of the default size (300 partners, 20,000 leads, 24 months; seeds 1–4), each with
    /// its own match and churn model: on average the recommended action captures at least 80% of the true value of
    /// the best action per partner, and more than the most popular action in the history and a random eligible
    /// action. (A single ecosystem is not enough: the most popular action is one draw, and on some seeds it is the
    /// best action itself; README figures give every seed of 1–16.)
    @Test func capturesMostOfTheBestActionsValue() throws {
        var ours: [Double] = [], popular: [Double] = [], random: [Double] = []
        for seed: UInt64 in 1...4 {
            // A looser tolerance than the CLI's default trains in about a second; the figures agree to 1e-3.
            let fixture = try RecommendFixture(partners: 300, leads: 20_000, periods: 24, seed: seed, tolerance: 1e-3)
            let plan = try ActionRecommender(matchModel: fixture.match, churnModel: fixture.churn).recommend(fixture.ecosystem)
            let evaluation = try ActionEvaluation.evaluate(
                plan, ecosystem: fixture.ecosystem, truth: ActionTruth(fixture.generated.truth))
            #expect(evaluation.evaluatedCount >= 100)
            ours.append(evaluation.recommended.meanCapturedFraction)
            popular.append(evaluation.mostPopular.meanCapturedFraction)
            random.append(evaluation.randomEligible.meanCapturedFraction)
            #expect(evaluation.recommended.meanCapturedFraction > evaluation.randomEligible.meanCapturedFraction)
            #expect(evaluation.valueCorrelation > 0.5)
            print(
                "seed \(seed): captured \(evaluation.recommended.meanCapturedFraction) (most popular "
                    + "\(evaluation.mostPopular.meanCapturedFraction), random \(evaluation.randomEligible.meanCapturedFraction))")
        }
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        #expect(mean(ours) >= 0.8, "recommended \(ours)")
        #expect(mean(ours) > mean(popular), "recommended \(ours), most popular \(popular)")
        #expect(mean(ours) > mean(random), "recommended \(ours), random \(random)")
    }
}

/// `ActionOracle`: the recommender with parts of its value computation replaced by the truth.
@Suite("Next-best actions with an oracle")
struct ActionOracleTests {
    /// With every part replaced by the truth, the recommender's expected value of every eligible action is the
    /// evaluation's true value (one value definition), so the recommended action captures all of the best's value;
    /// without the oracle it does not (the test can fail).
    @Test func theAllTruthOracleCapturesEverything() throws {
        let fixture = RecommendFixture.small
        let truth = ActionTruth(fixture.generated.truth)
        var recommender = ActionRecommender(matchModel: fixture.match, churnModel: fixture.churn)
        let plain = try ActionEvaluation.evaluate(
            try recommender.recommend(fixture.ecosystem), ecosystem: fixture.ecosystem, truth: truth)
        recommender.oracle = ActionOracle(truth: truth, parts: .all)
        let plan = try recommender.recommend(fixture.ecosystem)
        let evaluation = try ActionEvaluation.evaluate(plan, ecosystem: fixture.ecosystem, truth: truth)
        #expect(evaluation.evaluatedCount >= 10)
        var compared = 0
        for (outlook, result) in zip(plan.partners, evaluation.partners) {
            #expect(outlook.partnerID == result.partnerID)
            for recommendation in outlook.ranked {
                let value = try #require(result.trueValues[recommendation.actionID])
                #expect(abs(recommendation.expectedValue - value) <= 1e-9 * max(1, abs(value)))
                #expect(recommendation.winLogitChangeDeviation == 0)
                compared += 1
            }
        }
        #expect(compared > 50)
        #expect(evaluation.recommended.meanCapturedFraction > 1 - 1e-9)
        #expect(evaluation.recommended.bestChoiceRate == 1)
        #expect(plain.recommended.meanCapturedFraction < 1 - 1e-3, "without the oracle: \(plain.recommended)")
    }

    /// Each single part changes only its input: the true win-logit effects alone leave the churn side (Aₐ) as the
    /// models have it, and the true churn alone leaves the revenue side (Rₐ).
    @Test func aSinglePartReplacesOnlyItsInput() throws {
        let fixture = RecommendFixture.small
        let truth = ActionTruth(fixture.generated.truth)
        var recommender = ActionRecommender(matchModel: fixture.match, churnModel: fixture.churn)
        let plain = try recommender.recommend(fixture.ecosystem)
        recommender.oracle = ActionOracle(truth: truth, parts: .winEffects)
        let effects = try recommender.recommend(fixture.ecosystem)
        recommender.oracle = ActionOracle(truth: truth, parts: .churn)
        let churn = try recommender.recommend(fixture.ecosystem)
        func byAction(_ outlook: PartnerOutlook) -> [String: Recommendation] {
            Dictionary(uniqueKeysWithValues: outlook.ranked.map { ($0.actionID, $0) })
        }
        var revenueMoved = 0, churnMoved = 0
        for ((a, b), c) in zip(zip(plain.partners, effects.partners), churn.partners) {
            let (ra, rb, rc) = (byAction(a), byAction(b), byAction(c))
            #expect(a.revenuePerPeriod == b.revenuePerPeriod && a.revenuePerPeriod == c.revenuePerPeriod)
            for (id, x) in ra {
                let y = rb[id]!, z = rc[id]!
                #expect(x.expectedActivePeriodsAfter == y.expectedActivePeriodsAfter)
                #expect(y.winLogitChange == (truth.winLogitEffect[id] ?? 0))
                #expect(x.revenuePerPeriodAfter == z.revenuePerPeriodAfter)
                if x.revenuePerPeriodAfter != y.revenuePerPeriodAfter { revenueMoved += 1 }
                if x.expectedActivePeriodsAfter != z.expectedActivePeriodsAfter { churnMoved += 1 }
            }
        }
        #expect(revenueMoved > 0 && churnMoved > 0)
    }
}
