import Foundation
import Testing
import TestSupport

@testable import Switchboard

/// The live router's state machine, driven by a test clock: a day of offer deadlines runs in microseconds.
@Suite struct LiveRouterTests {
    static let start = Timestamp(year: 2026, month: 3, day: 2, hour: 9)

    /// A clock the test moves by hand.
    struct TestClock {
        var now = LiveRouterTests.start
        mutating func advance(hours: Double) { now = Timestamp(secondsSinceEpoch: now.secondsSinceEpoch + Int64(hours * 3600)) }
    }

    static func lead(_ id: String, value: Double = 1000) -> Lead {
        Lead(
            id: id, created: start, region: "EMEA", country: "DE", vertical: "retail", technology: "erp", sizeBand: "smb",
            estimatedValue: value, source: "web", requiredCertifications: [], accountID: nil)
    }

    static func input(_ id: String, _ candidates: [(String, Double)]) -> LiveLeadInput {
        LiveLeadInput(
            lead: lead(id),
            candidates: candidates.map { LiveCandidate(partnerID: $0.0, expectedValue: $0.1, winProbability: 0.5) })
    }

    static func router(_ capacities: [String: Int], config: LiveConfig = LiveConfig()) -> LiveRouter {
        LiveRouter(
            partners: capacities.map { LivePartner(id: $0.key, capacity: $0.value, tier: "gold", type: "reseller") },
            config: config)
    }

    /// Submits one lead and returns the lead's state afterwards.
    @discardableResult
    static func submit(_ router: inout LiveRouter, _ input: LiveLeadInput, at time: Timestamp) throws -> LiveLead {
        _ = try router.submit([input], modelVersion: "match:v1", at: time, actor: "integration")
        return router.leads[input.lead.id]!
    }

    @Test func acceptHoldsCapacityAndOutcomeFreesIt() throws {
        var router = Self.router(["A": 1, "B": 1])
        let clock = TestClock()
        let lead = try Self.submit(&router, Self.input("L1", [("A", 300), ("B", 200)]), at: clock.now)
        #expect(lead.state == .offered)
        let offer = router.offers[lead.offerID!]!
        #expect(offer.partnerID == "A")
        #expect(offer.explanation.rank == 1)
        #expect(offer.explanation.bestAlternative == "B")
        #expect(offer.explanation.alternativeNotChosen == "lower value")
        #expect(offer.expiresAt.secondsSinceEpoch == clock.now.secondsSinceEpoch + 86_400)
        #expect(router.room("A") == 0)
        _ = try router.accept(offer: offer.id, at: clock.now, actor: "partner:A")
        #expect(router.leads["L1"]!.state == .accepted)
        #expect(router.ledgers["A"]!.open == 1)
        #expect(router.room("A") == 0)
        #expect(throws: LiveError.offerNotPending(offer: offer.id, state: .accepted)) {
            try router.accept(offer: offer.id, at: clock.now, actor: "partner:A")
        }
        _ = try router.recordOutcome(lead: "L1", won: true, revenue: 500, at: clock.now, actor: "integration")
        #expect(router.leads["L1"]!.state == .won)
        #expect(router.room("A") == 1)
        #expect(router.checkInvariants().isEmpty)
    }

    @Test func declineReroutesAndNeverReturnsToADecliner() throws {
        var router = Self.router(["A": 5, "B": 5, "C": 5])
        let clock = TestClock()
        try Self.submit(&router, Self.input("L1", [("A", 300), ("B", 200), ("C", 100)]), at: clock.now)
        var seen: [String] = []
        for _ in 0..<3 {
            let lead = router.leads["L1"]!
            #expect(lead.state == .offered)
            let offer = router.offers[lead.offerID!]!
            #expect(!seen.contains(offer.partnerID), "offered twice to \(offer.partnerID)")
            seen.append(offer.partnerID)
            _ = try router.decline(offer: offer.id, reason: "no bandwidth", at: clock.now, actor: "partner:\(offer.partnerID)")
            #expect(router.checkInvariants().isEmpty)
        }
        #expect(seen == ["A", "B", "C"])
        let lead = router.leads["L1"]!
        #expect(lead.state == .overflowed)
        #expect(lead.owner == router.config.overflowOwner)
        let kinds = lead.history.map(\.kind)
        #expect(kinds == [.received, .offered, .declined, .offered, .declined, .offered, .declined, .overflowed])
        // The second offer explains that the better partner declined it.
        let second = lead.history.filter { $0.kind == .offered }[1].offer!
        #expect(second.bestAlternative == "A")
        #expect(second.alternativeNotChosen == "declined it")
        for partner in ["A", "B", "C"] { #expect(router.room(partner) == 5) }
    }

    @Test func expiryReroutesAndPausesAfterConsecutiveExpiries() throws {
        var router = Self.router(["A": 10, "B": 10], config: LiveConfig(offerTimeout: 3600, pauseAfterExpiries: 2))
        var clock = TestClock()
        try Self.submit(&router, Self.input("L1", [("A", 300), ("B", 200)]), at: clock.now)
        try Self.submit(&router, Self.input("L2", [("A", 300), ("B", 100)]), at: clock.now)
        #expect(router.advance(to: clock.now).isEmpty)
        clock.advance(hours: 0.5)
        #expect(router.advance(to: clock.now).isEmpty)
        clock.advance(hours: 1)
        let events = router.advance(to: clock.now)
        #expect(events.filter { $0.kind == .expired }.count == 2)
        #expect(events.contains { $0.kind == .paused && $0.partnerID == "A" })
        #expect(router.ledgers["A"]!.paused)
        #expect(router.ledgers["A"]!.expired == 2)
        for id in ["L1", "L2"] {
            let lead = router.leads[id]!
            #expect(lead.state == .offered)
            #expect(router.offers[lead.offerID!]!.partnerID == "B")
            #expect(lead.excluded["A"] == "expired")
        }
        // A paused partner gets no new lead, however good; resuming lets it take them again.
        let third = try Self.submit(&router, Self.input("L3", [("A", 900)]), at: clock.now)
        #expect(third.state == .queued)
        _ = try router.resume(partner: "A", at: clock.now, actor: "admin")
        #expect(router.leads["L3"]!.state == .offered)
        #expect(router.offers[router.leads["L3"]!.offerID!]!.partnerID == "A")
        #expect(router.checkInvariants().isEmpty)
    }

    @Test func anAnswerBreaksTheRunOfExpiries() throws {
        var router = Self.router(["A": 10], config: LiveConfig(offerTimeout: 3600, pauseAfterExpiries: 2))
        var clock = TestClock()
        try Self.submit(&router, Self.input("L1", [("A", 300)]), at: clock.now)
        clock.advance(hours: 2)
        _ = router.advance(to: clock.now)
        #expect(router.ledgers["A"]!.consecutiveExpiries == 1)
        let lead = try Self.submit(&router, Self.input("L2", [("A", 300)]), at: clock.now)
        _ = try router.accept(offer: lead.offerID!, at: clock.now, actor: "partner:A")
        #expect(router.ledgers["A"]!.consecutiveExpiries == 0)
        try Self.submit(&router, Self.input("L3", [("A", 300)]), at: clock.now)
        clock.advance(hours: 2)
        _ = router.advance(to: clock.now)
        #expect(!router.ledgers["A"]!.paused)
    }

    @Test func pauseStopsOffersAndKeepsPendingOnes() throws {
        var router = Self.router(["A": 3, "B": 3])
        let clock = TestClock()
        let first = try Self.submit(&router, Self.input("L1", [("A", 300), ("B", 100)]), at: clock.now)
        _ = try router.pause(partner: "A", reason: "holiday", at: clock.now, actor: "admin")
        #expect(try router.pause(partner: "A", reason: "again", at: clock.now, actor: "admin").isEmpty)
        #expect(router.offers[first.offerID!]!.state == .pending)
        let second = try Self.submit(&router, Self.input("L2", [("A", 300), ("B", 100)]), at: clock.now)
        #expect(router.offers[second.offerID!]!.partnerID == "B")
        #expect(router.offers[second.offerID!]!.explanation.alternativeNotChosen == "paused")
        #expect(throws: LiveError.unknownPartner("Z")) {
            try router.pause(partner: "Z", reason: "", at: clock.now, actor: "admin")
        }
    }

    @Test func queuedLeadsOverflowAfterTheMaximumWait() throws {
        var router = Self.router(["A": 1], config: LiveConfig(maxQueueWait: 4 * 3600, overflowOwner: "desk"))
        var clock = TestClock()
        try Self.submit(&router, Self.input("L1", [("A", 300)]), at: clock.now)
        let queued = try Self.submit(&router, Self.input("L2", [("A", 200)]), at: clock.now)
        #expect(queued.state == .queued)
        #expect(queued.reason == "all eligible partners full")
        clock.advance(hours: 3)
        #expect(router.advance(to: clock.now).isEmpty)
        clock.advance(hours: 1)
        _ = router.advance(to: clock.now)
        #expect(router.leads["L2"]!.state == .overflowed)
        #expect(router.leads["L2"]!.owner == "desk")
        #expect(router.queue.isEmpty)
    }

    @Test func unroutableLeadsSayWhy() throws {
        var router = Self.router(["A": 1])
        let clock = TestClock()
        let none = try Self.submit(
            &router, LiveLeadInput(lead: Self.lead("L1"), candidates: [], noCandidateReason: "no partner covers region EMEA"),
            at: clock.now)
        #expect(none.state == .unroutable)
        #expect(none.reason == "no partner covers region EMEA")
        let worthless = try Self.submit(&router, Self.input("L2", [("A", 0)]), at: clock.now)
        #expect(worthless.state == .unroutable)
        #expect(worthless.reason == "no positive value")
        #expect(throws: LiveError.duplicateLead("L1")) {
            try router.submit([Self.input("L1", [("A", 1)])], modelVersion: "v", at: clock.now, actor: "x")
        }
        #expect(throws: LiveError.duplicateLead("L3")) {
            try router.submit(
                [Self.input("L3", [("A", 1)]), Self.input("L3", [("A", 1)])], modelVersion: "v", at: clock.now, actor: "x")
        }
        #expect(router.leads["L3"] == nil)
    }

    @Test func everyDecisionRecordsTheModelVersion() throws {
        var router = Self.router(["A": 1, "B": 1])
        var clock = TestClock()
        _ = try router.submit([Self.input("L1", [("A", 300), ("B", 100)])], modelVersion: "match:one", at: clock.now, actor: "i")
        _ = try router.submit([Self.input("L2", [("A", 300)])], modelVersion: "match:two", at: clock.now, actor: "i")
        clock.advance(hours: 30)
        _ = router.advance(to: clock.now)
        for lead in router.leads.values {
            for event in lead.history where [.offered, .queued, .unroutable, .overflowed, .received].contains(event.kind) {
                #expect(event.modelVersion == (lead.lead.id == "L1" ? "match:one" : "match:two"), "\(event)")
            }
        }
    }

    /// Brute force: the largest total expected value of assigning `leads` (each to one candidate or none) within
    /// `room`.
    static func bestTotal(_ leads: [[LiveCandidate]], _ room: [String: Int]) -> Double {
        func search(_ k: Int, _ room: inout [String: Int]) -> Double {
            if k == leads.count { return 0 }
            var best = search(k + 1, &room)
            for candidate in leads[k] where candidate.expectedValue > 0 && room[candidate.partnerID, default: 0] > 0 {
                room[candidate.partnerID]! -= 1
                best = max(best, candidate.expectedValue + search(k + 1, &room))
                room[candidate.partnerID]! += 1
            }
            return best
        }
        var copy = room
        return search(0, &copy)
    }

    /// When capacity frees, the queue is routed by the exact optimum: the offers made equal brute force's best total.
    @Test(arguments: 0..<40) func queueIsDrainedOptimally(seed: Int) throws {
        var rng = RepeatableRandomNumberGenerator(seed: UInt64(seed))
        let partnerIDs = ["A", "B", "C"]
        var router = Self.router(["A": 1, "B": 1, "C": 1])
        let clock = TestClock()
        // Fill every partner, then queue five leads with random values.
        for (k, partner) in partnerIDs.enumerated() {
            let lead = try Self.submit(&router, Self.input("F\(k)", [(partner, 10)]), at: clock.now)
            _ = try router.accept(offer: lead.offerID!, at: clock.now, actor: "p")
        }
        for k in 0..<5 {
            let candidates = partnerIDs.filter { _ in rng.nextUniform() < 0.7 }.map { ($0, (rng.uniform(1, 100)).rounded()) }
            try Self.submit(&router, Self.input("Q\(k)", candidates.isEmpty ? [("A", 5)] : candidates), at: clock.now)
        }
        #expect(router.queue.count == 5)
        // Free two partners at once through a batch of outcomes: free one, then the other while the queue waits.
        let freed = partnerIDs.filter { _ in rng.nextUniform() < 0.6 }
        var room: [String: Int] = [:]
        var offeredBefore = Set(router.offers.keys)
        for partner in freed.isEmpty ? ["B"] : freed {
            let queuedCandidates = router.queuedLeads.map { router.leads[$0]!.candidates }
            room = [partner: 1]
            let optimum = Self.bestTotal(queuedCandidates, room)
            let lead = router.leads.values.first {
                $0.lead.id.hasPrefix("F") && router.offers[$0.offerID!]!.partnerID == partner
            }!
            _ = try router.recordOutcome(lead: lead.lead.id, won: false, revenue: 0, at: clock.now, actor: "i")
            let newOffers = router.offers.keys.filter { !offeredBefore.contains($0) }
            let total = newOffers.map { router.offers[$0]!.explanation.expectedValue }.reduce(0, +)
            #expect(abs(total - optimum) < 0.011, "seed \(seed): drained \(total), optimum \(optimum)")
            offeredBefore = Set(router.offers.keys)
            #expect(router.checkInvariants().isEmpty)
        }
    }

    /// A batch submission is routed by the exact optimum, where one-at-a-time greedy would lose value.
    @Test func batchSubmissionIsOptimal() throws {
        var router = Self.router(["A": 1, "B": 1])
        let clock = TestClock()
        // Greedy in arrival order gives L1 to A (100) and L2 to nobody (only A): 100. The optimum: L1 → B, L2 → A: 180.
        let events = try router.submit(
            [Self.input("L1", [("A", 100), ("B", 90)]), Self.input("L2", [("A", 90)])], modelVersion: "v", at: clock.now,
            actor: "i")
        let offered = events.filter { $0.kind == .offered }
        #expect(offered.count == 2)
        #expect(offered.map { $0.offer!.expectedValue }.reduce(0, +) == 180)
        #expect(router.offers[router.leads["L1"]!.offerID!]!.partnerID == "B")
        #expect(offered.allSatisfy { $0.offer!.basis == "batch" })
    }

    /// Random commands at random times: the invariants hold after every step, and replaying the ledger rebuilds the
    /// same state.
    @Test(arguments: 0..<6) func randomCommandsKeepInvariantsAndReplay(seed: Int) throws {
        var rng = RepeatableRandomNumberGenerator(seed: UInt64(1000 + seed))
        let partnerIDs = (0..<8).map { "P\($0)" }
        let partners = partnerIDs.map { LivePartner(id: $0, capacity: 1 + Int(rng.next() % 3), openLeads: Int(rng.next() % 2)) }
        let config = LiveConfig(offerTimeout: 7200, pauseAfterExpiries: 2, maxQueueWait: 5 * 3600)
        var router = LiveRouter(partners: partners, config: config)
        var clock = TestClock()
        var ledger: [LedgerEvent] = []
        var leadCount = 0
        for _ in 0..<400 {
            let choice = rng.next() % 10
            var events: [LedgerEvent] = []
            switch choice {
            case 0..<4:
                let batch = 1 + Int(rng.next() % 3)
                let inputs = (0..<batch).map { _ -> LiveLeadInput in
                    leadCount += 1
                    let candidates = partnerIDs.filter { _ in rng.nextUniform() < 0.4 }.map { ($0, rng.uniform(-5, 100)) }
                    return Self.input("L\(leadCount)", candidates)
                }
                events = try router.submit(inputs, modelVersion: "v", at: clock.now, actor: "i")
            case 4, 5:
                if let offer = router.pendingOffers.randomElement(using: &rng) {
                    events =
                        rng.nextUniform() < 0.5
                        ? try router.accept(offer: offer.id, at: clock.now, actor: "p")
                        : try router.decline(offer: offer.id, reason: "busy", at: clock.now, actor: "p")
                }
            case 6:
                if let lead = router.leads.values.filter({ $0.state == .accepted }).randomElement(using: &rng) {
                    events = try router.recordOutcome(
                        lead: lead.lead.id, won: rng.nextUniform() < 0.3, revenue: 10, at: clock.now, actor: "i")
                }
            case 7:
                let partner = partnerIDs.randomElement(using: &rng)!
                events =
                    rng.nextUniform() < 0.5
                    ? try router.pause(partner: partner, reason: "r", at: clock.now, actor: "a")
                    : try router.resume(partner: partner, at: clock.now, actor: "a")
            default:
                clock.advance(hours: rng.uniform(0, 3))
                events = router.advance(to: clock.now)
            }
            ledger += events
            let problems = router.checkInvariants()
            #expect(problems.isEmpty, "seed \(seed): \(problems.prefix(3))")
            if !problems.isEmpty { return }
        }
        let replayed = LiveRouter(partners: partners, config: config, events: ledger)
        #expect(replayed.leads == router.leads)
        #expect(replayed.offers == router.offers)
        #expect(replayed.ledgers == router.ledgers)
        #expect(replayed.queuedLeads == router.queuedLeads)
        #expect(replayed.prices == router.prices)
        #expect(replayed.eventCount == ledger.count)
        // Codable round trip of the whole ledger (the server stores events as JSON).
        let data = try JSONEncoder().encode(ledger)
        #expect(try JSONDecoder().decode([LedgerEvent].self, from: data) == ledger)
    }

    @Test func configFileNamesTheBadKey() throws {
        let good = try LiveConfig.parse(
            Array(
                #"{"policy": "greedy", "offerTimeoutHours": 2, "offerTimeoutHoursByTier": {"gold": 1}, "overflowOwner": "desk"}"#
                    .utf8),
            source: "live.json")
        #expect(good.routing.policy == .greedy)
        #expect(good.offerTimeout == 7200)
        #expect(good.offerTimeout(tier: "gold", type: "msp") == 3600)
        #expect(good.overflowOwner == "desk")
        let cases: [(String, String)] = [
            (#"{"offerTimeoutHours": -1}"#, "offerTimeoutHours"),
            (#"{"offerTimeoutHoursByTier": {"golden": 1}}"#, "golden"),
            (#"{"pauseAfterExpiries": 1.5}"#, "pauseAfterExpiries"),
            (#"{"maxShare": 2}"#, "maxShare"),
            (#"{"overflowOwner": ""}"#, "overflowOwner"),
            (#"{"surprise": 1}"#, "surprise"),
        ]
        for (text, key) in cases {
            #expect {
                try LiveConfig.parse(Array(text.utf8), source: "live.json")
            } throws: { error in
                "\(error)".contains("live.json") && "\(error)".contains(key)
            }
        }
    }

    @Test func leadRequestsNameTheBadField() throws {
        let body =
            #"{"id": "L9", "region": "EMEA", "country": "DE", "vertical": "retail", "technology": "erp", "size_band": "smb", "estimated_value": 1200, "source": "web", "required_certifications": ["a", "b"]}"#
        let lead = try LiveRequests.lead(try LiveRequests.object(Array(body.utf8)), now: Self.start)
        #expect(lead.id == "L9")
        #expect(lead.created == Self.start)
        #expect(lead.requiredCertifications == ["a", "b"])
        let cases: [(String, String)] = [
            (body.replacingOccurrences(of: #""estimated_value": 1200"#, with: #""estimated_value": "x""#), "estimated_value"),
            (body.replacingOccurrences(of: #""estimated_value": 1200"#, with: #""estimated_value": -3"#), "estimated_value"),
            (body.replacingOccurrences(of: #""estimated_value": 1200"#, with: #""estimated_value": true"#), "estimated_value"),
            (body.replacingOccurrences(of: #""region": "EMEA", "#, with: ""), "region"),
            (body.replacingOccurrences(of: #""id": "L9""#, with: #""id": """#), "id"),
            (body.replacingOccurrences(of: #""source": "web""#, with: #""source": "web", "colour": 1"#), "colour"),
            (body.replacingOccurrences(of: #"["a", "b"]"#, with: #"["a", 2]"#), "required_certifications[1]"),
            (#"{"id": "L9", "created": "2026-02-30"}"#, "created"),
            ("[1]", "(body)"),
            ("{\"id\": ", "(body)"),
        ]
        for (text, field) in cases {
            #expect {
                _ = try LiveRequests.lead(try LiveRequests.object(Array(text.utf8)), now: Self.start)
            } throws: { error in
                (error as? FieldError)?.field == field
            }
        }
    }
}
