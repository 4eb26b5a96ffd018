import Learning
import Testing

@testable import Switchboard

/// The churn model against the generator's hidden truth.
@Suite("Churn model recovery")
struct ChurnRecoveryTests {
    /// Trained on the first 18 months of a generated ecosystem, the model ranks the last 6 months' churners
    /// within 0.02 ROC AUC of the true churn probabilities.
    @Test func recoversTheTrueChurnRanking() throws {
        let generated = EcosystemGenerator(partnerCount: 2000, leadCount: 20_000, periodCount: 24, incomingCount: 0, seed: 9)
            .generate()
        let e = generated.ecosystem
        let features = try ChurnFeatures.build(activity: e.activity, partners: e.partners)
        let periods = features.keys.map(\.period)
        let train = features.keys.indices.filter { periods[$0] < 18 }
        let test = features.keys.indices.filter { periods[$0] >= 18 }
        var request = ChurnTrainingRequest()
        request.crossValidationFolds = nil
        let model = try ChurnTrainer.train(features.selectingRows(train), request: request)
        #expect(model.training.converged)
        let held = features.selectingRows(test)
        let risk = try model.risk(for: held)
        let truth = held.keys.map { generated.truth.churn[$0.activityIndex].churnProbability }
        for key in held.keys.prefix(50) {
            #expect(generated.truth.churn[key.activityIndex].partnerID == key.partnerID)
            #expect(generated.truth.churn[key.activityIndex].period == key.period)
        }
        let learnedAUC = try Metrics.rocAUC(labels: held.labels, scores: risk)
        let trueAUC = try Metrics.rocAUC(labels: held.labels, scores: truth)
        #expect(held.labels.count { $0 } >= 150, "\(held.labels.count { $0 }) churners held out")
        #expect(learnedAUC >= trueAUC - 0.02, "held-out churn AUC \(learnedAUC) vs the truth's \(trueAUC)")
        print("churn recovery: \(held.rowCount) held-out rows, AUC \(learnedAUC) vs true \(trueAUC)")
    }
}
