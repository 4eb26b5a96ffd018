import Learning

@testable import Switchboard

/// A generated ecosystem and a match model trained on it (λ = 0.01, no cross-validation), for suites that need a
/// realistic model and partners rather than a particular one.
struct GeneratedFixture: Sendable {
    let generated: GeneratedEcosystem
    let model: MatchModel

    init(partners: Int, leads: Int, periods: Int, incoming: Int, seed: UInt64) {
        generated = EcosystemGenerator(
            partnerCount: partners, leadCount: leads, periodCount: periods, incomingCount: incoming, seed: seed
        ).generate()
        let e = generated.ecosystem
        var request = MatchTrainingRequest()
        request.l2Strength = 0.01
        request.folds = 0
        model = try! MatchTrainer.train(partners: e.partners, leads: e.leads, outcomes: e.outcomes, request: request)
    }
}
