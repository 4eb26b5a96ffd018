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

    /// Imports: each lead lands in the window of `importWindow` seconds that holds its creation time, and the window's
    /// leads arrive together at its end. Checked against grouping by hand (the window index by a floating-point floor)
    /// on seeded random times, before the epoch too.
    @Test(arguments: [(UInt64(1), Int64(3600)), (2, 86_400), (3, 7), (4, 900)])
    func importsGroupEachWindowsLeadsAtItsEnd(seed: UInt64, window: Int64) {
        var rng = RepeatableRandomNumberGenerator(seed: seed)
        var inputs: [LiveLeadInput] = []
        for k in 0..<200 {
            var input = LiveRouterTests.input("L\(k)", [("A", 1)])
            let spread = 40 * window
            input.lead.created = Timestamp(secondsSinceEpoch: Int64.random(in: -spread...spread, using: &rng))
            inputs.append(input)
        }
        var byWindow: [Int64: [LiveLeadInput]] = [:]
        for input in inputs {
            let index = Int64((Double(input.lead.created.secondsSinceEpoch) / Double(window)).rounded(.down))
            byWindow[index, default: []].append(input)
        }
        let expected = byWindow.keys.sorted().map { index in
            (
                (index + 1) * window,
                byWindow[index]!.sorted { ($0.lead.created, $0.lead.id) < ($1.lead.created, $1.lead.id) }.map(\.lead.id)
            )
        }
        let batches = LiveStreamReplay.submissions(inputs.shuffled(using: &rng), importWindow: window)
        #expect(batches.map(\.time.secondsSinceEpoch) == expected.map(\.0))
        #expect(batches.map { $0.leads.map(\.lead.id) } == expected.map(\.1))
        // Without imports, one submission a lead at its creation.
        let alone = LiveStreamReplay.submissions(inputs, importWindow: 0)
        #expect(alone.count == inputs.count && alone.allSatisfy { $0.leads.count == 1 && $0.time == $0.leads[0].lead.created })
    }

    /// Two one-slot partners and two leads half an hour apart: L1 is worth 10 with A and 9 with B, L2 8 with A and 1
    /// with B. Arriving alone, each policy gives L1 its best (A) and L2 what is left: 11. Imported together in one
    /// hourly window, the optimal policy routes the batch by its optimum (L1 to B, L2 to A: 17) and greedy still 11.
    @Test func anImportIsRoutedByTheBatchOptimum() {
        let partners = [LivePartner(id: "A", capacity: 1), LivePartner(id: "B", capacity: 1)]
        var second = Self.input("L2", at: 0, [("A", 8), ("B", 1)])
        second.lead.created = Timestamp(secondsSinceEpoch: second.lead.created.secondsSinceEpoch + 1800)
        let inputs = [Self.input("L1", at: 0, [("A", 10), ("B", 9)]), second]
        let config = LiveConfig(maxQueueWait: 365 * 86_400)
        let alone = LiveStreamReplay.compare(inputs, partners: partners, config: config, holdSeconds: 30 * 86_400)
        #expect(abs(alone.optimal.expectedValue - 11) < 1e-9 && abs(alone.greedy.expectedValue - 11) < 1e-9)
        let imported = LiveStreamReplay.compare(
            inputs, partners: partners, config: config, holdSeconds: 30 * 86_400, importWindow: 3600)
        #expect(abs(imported.optimal.expectedValue - 17) < 1e-9, "\(imported.optimal)")
        #expect(abs(imported.greedy.expectedValue - 11) < 1e-9, "\(imported.greedy)")
        #expect(imported.optimal.offers == 2 && imported.greedy.offers == 2)
    }
}
