import Learning
import LinearAlgebra
import Testing

@testable import Switchboard

/// The match model against the generator's hidden truth.
@Suite("Match model recovery")
struct MatchRecoveryTests {
    /// 200,000 historical outcomes: the model trained on the first 80% (by time) predicts the last 20%; its
    /// probabilities must correlate with the true ones at 0.95 or more, and its ROC AUC must be within 0.01 of the
    /// true probabilities' AUC on the same held-out outcomes.
    @Test func recoversTheTrueWinProbabilities() throws {
        let generated = EcosystemGenerator(partnerCount: 1000, leadCount: 190_000, periodCount: 24, incomingCount: 0, seed: 5)
            .generate()
        let e = generated.ecosystem
        let counted = e.outcomes.count { OutcomeRule.counts($0.outcome) }
        #expect(counted >= 180_000)
        let encoding = MatchEncoding(leads: e.leads, partners: e.partners, actionHistory: e.actionHistory, priorStrength: 20)
        #expect(encoding.actions.count == 10)
        let data = MatchData(partners: e.partners, leads: e.leads, outcomes: e.outcomes, actionHistory: e.actionHistory)
        let examples = data.examples(encoding)
        let folds = MatchTrainer.timeFolds(times: examples.times, folds: 4)
        let (train, test) = (folds[3].train, folds[3].test)
        var request = MatchTrainingRequest()
        request.l2Strength = 1e-4
        let fit = try MatchTrainer.fit(data, examples, rows: train, encoding: encoding, l2: 1e-4, request: request)
        #expect(fit.report.converged)
        let held = fit.examples.selecting(test)
        let learned = try fit.model.probabilities(left: held.left, right: held.right(fit.encoding, baseline: false))
        // The truth's pairs are the counted outcomes in file order, as are the examples.
        let truth = test.map { generated.truth.pairs[$0].winProbability }
        for (k, index) in test.enumerated() where k % 997 == 0 {
            #expect(generated.truth.pairs[index].leadID == e.outcomes[held.outcomeIndices[k]].leadID)
        }
        let correlation = Metrics.pearsonCorrelation(learned, truth)
        let learnedAUC = try Metrics.rocAUC(labels: held.labels, scores: learned)
        let trueAUC = try Metrics.rocAUC(labels: held.labels, scores: truth)
        #expect(correlation >= 0.95, "correlation with the true probabilities \(correlation)")
        #expect(learnedAUC >= trueAUC - 0.01, "held-out AUC \(learnedAUC) vs the truth's \(trueAUC)")
        print("match recovery: \(held.count) held-out pairs, correlation \(correlation), AUC \(learnedAUC) vs true \(trueAUC)")
    }
}
