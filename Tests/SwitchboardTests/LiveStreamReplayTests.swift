import Testing
import TestSupport

@testable import Switchboard

/// The stream replay that measures the queue's batch optimisation against greedy routing on arrival.
@Suite struct LiveStreamReplayTests {
    static func input(_ id: String, at hours: Int64, _ candidates: [(String, Double)]) -> LiveLeadInput {
        var input = LiveRouterTests.input(id, candidates)
        input.lead.created = Timestamp(secondsSinceEpoch: LiveRouterTests.start.secondsSinceEpoch + hours * 3600)
        return input
    }

    /// With room for everyone, both policies give every lead its best candidate: the value is the sum of the best
    /// expected values (computed here directly), on seeded random instances.
    @Test(arguments: 0..<5) func withRoomForAllBothPoliciesTakeEachLeadsBest(seed: UInt64) {
        var rng = RepeatableRandomNumberGenerator(seed: seed)
        let partners = (0..<8).map { LivePartner(id: "P\($0)", capacity: 1_000) }
        var inputs: [LiveLeadInput] = []
        var best = 0.0
        for k in 0..<60 {
            let candidates = partners.shuffled(using: &rng).prefix(3).map { ($0.id, Double.random(in: 1...100, using: &rng)) }
            best += candidates.map(\.1).max()!
            inputs.append(Self.input("L\(k)", at: Int64(k), candidates))
        }
        let (optimal, greedy) = LiveStreamReplay.compare(
            inputs, partners: partners, config: LiveConfig(), holdSeconds: 86_400)
        #expect(abs(optimal.expectedValue - best) < 1e-6 * best)
        #expect(abs(greedy.expectedValue - best) < 1e-6 * best)
        #expect(optimal.offers == 60 && greedy.offers == 60 && optimal.stillQueued == 0)
    }

    /// One slot: the first lead takes it, the second waits in the queue until the first closes, then gets it; a third
    /// arriving after the stream's last closing still waits.
    @Test func aFreedSlotGoesToTheQueue() {
        let partners = [LivePartner(id: "A", capacity: 1)]
        let inputs = [
            Self.input("L1", at: 0, [("A", 5)]), Self.input("L2", at: 1, [("A", 7)]),
            Self.input("L3", at: 11, [("A", 3)]),
        ]
        for policy in [RoutingPolicy.optimal, .greedy] {
            let outcome = LiveStreamReplay.run(
                inputs, partners: partners, config: LiveConfig(maxQueueWait: 365 * 86_400), policy: policy,
                holdSeconds: 10 * 3600)
            #expect(abs(outcome.expectedValue - 12) < 1e-9, "\(policy): \(outcome)")
            #expect(outcome.offers == 2 && outcome.stillQueued == 1, "\(policy): \(outcome)")
        }
    }
}
