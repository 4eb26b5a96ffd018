import Foundation
import Testing
import LinearAlgebra
import TestSupport

@testable import Switchboard

/// Working hours and the batch interval on the live router's state machine, driven by a test clock.
@Suite struct LiveScheduleTests {
    static func at(_ day: Int, _ hour: Int, _ minute: Int = 0) -> Timestamp {
        Timestamp(year: 2026, month: 3, day: day, hour: hour, minute: minute)
    }

    // MARK: - WorkingHours against a minute-by-minute reference

    /// Whether the schedule works in the minute starting at `time`, from the civil calendar (Foundation's Gregorian
    /// calendar in a fixed-offset time zone), independent of `WorkingHours`' own arithmetic.
    static func referenceWorking(_ hours: WorkingHours, _ time: Timestamp) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: Int(hours.utcOffset))!
        let date = Date(timeIntervalSince1970: TimeInterval(time.secondsSinceEpoch))
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        let monday0 = (parts.weekday! + 5) % 7  // Foundation: 1 = Sunday
        let second = Int64(parts.hour! * 3600 + parts.minute! * 60)
        return hours.days.contains(monday0) && second >= hours.start && second < hours.end
    }

    static func randomHours(_ rng: inout SeededGenerator) -> WorkingHours {
        var days = Set<Int>()
        while days.isEmpty { for day in 0..<7 where Double.random(in: 0..<1, using: &rng) < 0.6 { days.insert(day) } }
        let start = Int64.random(in: 0..<(23 * 60), using: &rng)
        let end = Int64.random(in: (start + 1)...(24 * 60), using: &rng)
        let offset = Int64.random(in: -14 * 4...14 * 4, using: &rng) * 15 * 60
        return WorkingHours(utcOffset: offset, days: days, start: start * 60, end: end * 60)
    }

    @Test(arguments: 0..<12) func workingTimeMatchesAMinuteByMinuteWalk(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let hours = Self.randomHours(&rng)
        let origin = Timestamp(
            secondsSinceEpoch: Self.at(2, 0).secondsSinceEpoch + Int64.random(in: 0..<10_080, using: &rng) * 60)
        // Two weeks of minutes from the origin.
        let minutes = 14 * 1440
        var working = [Bool](repeating: false, count: minutes)
        for m in 0..<minutes {
            let time = Timestamp(secondsSinceEpoch: origin.secondsSinceEpoch + Int64(m) * 60)
            working[m] = Self.referenceWorking(hours, time)
            #expect(hours.isWorking(at: time) == working[m], "minute \(m) of \(hours)")
        }
        // nextStart and nextShiftStart against the walk.
        let firstWorking = working.firstIndex(of: true)!
        #expect(hours.nextStart(atOrAfter: origin).secondsSinceEpoch == origin.secondsSinceEpoch + Int64(firstWorking) * 60)
        if let nextRise = (1..<minutes).first(where: { working[$0] && !working[$0 - 1] }) {
            #expect(hours.nextShiftStart(after: origin).secondsSinceEpoch <= origin.secondsSinceEpoch + Int64(nextRise) * 60)
            if !working[0] {
                #expect(hours.nextShiftStart(after: origin).secondsSinceEpoch == origin.secondsSinceEpoch + Int64(nextRise) * 60)
            }
        }
        // adding(workingSeconds:): the deadline is the end of the k-th working minute.
        let workingMinutes = working.enumerated().filter(\.element).map(\.offset)
        for _ in 0..<20 {
            let k = Int.random(in: 1...min(workingMinutes.count, 3 * 1440), using: &rng)
            let expected = origin.secondsSinceEpoch + Int64(workingMinutes[k - 1] + 1) * 60
            #expect(hours.adding(workingSeconds: Int64(k) * 60, to: origin).secondsSinceEpoch == expected, "k = \(k)")
            // And back: the working seconds between the origin and that deadline.
            #expect(hours.workingSeconds(from: origin, to: Timestamp(secondsSinceEpoch: expected)) == Int64(k) * 60)
        }
    }

    @Test func longTimeoutsJumpWholeWeeks() {
        let hours = WorkingHours()  // UTC, Monday to Friday, 09:00–17:00: 40 h a week
        // 100 working hours from Monday 09:00: two weeks (80 h) and 20 h more: Wednesday 13:00 of the third week.
        #expect(hours.adding(workingSeconds: 100 * 3600, to: Self.at(2, 9)) == Self.at(18, 13))
        #expect(hours.adding(workingSeconds: 40 * 3600, to: Self.at(2, 9)) == Self.at(6, 17))
    }

    // MARK: - The router

    static func input(_ id: String, _ candidates: [(String, Double)]) -> LiveLeadInput {
        LiveLeadInput(
            lead: Lead(
                id: id, created: at(2, 0), region: "EMEA", country: "DE", vertical: "retail", technology: "erp",
                sizeBand: "smb", estimatedValue: 1000, source: "web", requiredCertifications: [], accountID: nil),
            candidates: candidates.map { LiveCandidate(partnerID: $0.0, expectedValue: $0.1, winProbability: 0.5) })
    }

    static func submit(_ router: inout LiveRouter, _ input: LiveLeadInput, at time: Timestamp) throws -> LiveLead {
        _ = try router.submit([input], modelVersion: "match:v1", at: time, actor: "integration")
        return router.leads[input.lead.id]!
    }

    /// A works 09:00–17:00 UTC Monday to Friday (its own entry); B has no schedule and works around the clock.
    /// 2026-03-06 is a Friday.
    @Test func offDutyPartnersGetNoOffersAndDeadlinesCountWorkingTime() throws {
        var config = LiveConfig(offerTimeout: 2 * 3600, maxQueueWait: 96 * 3600)
        config.workingHoursByPartner["A"] = WorkingHours()
        let partners = [LivePartner(id: "A", capacity: 5), LivePartner(id: "B", capacity: 5)]
        var router = LiveRouter(partners: partners, config: config)
        var ledger: [LedgerEvent] = []
        func submit(_ input: LiveLeadInput, at time: Timestamp) throws -> LiveLead {
            ledger += try router.submit([input], modelVersion: "match:v1", at: time, actor: "integration")
            return router.leads[input.lead.id]!
        }
        func advance(to time: Timestamp) -> [LedgerEvent] {
            let events = router.advance(to: time)
            ledger += events
            return events
        }
        // Friday 16:00: A is at work and best; its 2-hour deadline runs 1 h on Friday and 1 h on Monday.
        let first = try submit(Self.input("L1", [("A", 300), ("B", 100)]), at: Self.at(6, 16))
        let offer = router.offers[first.offerID!]!
        #expect(offer.partnerID == "A")
        #expect(offer.expiresAt == Self.at(9, 10))
        // Saturday: A is off duty, so B gets the next lead, and the explanation says why not A.
        let second = try submit(Self.input("L2", [("A", 300), ("B", 100)]), at: Self.at(7, 10))
        let secondOffer = router.offers[second.offerID!]!
        #expect(secondOffer.partnerID == "B")
        #expect(secondOffer.explanation.bestAlternative == "A")
        #expect(secondOffer.explanation.alternativeNotChosen == "outside working hours")
        ledger += try router.accept(offer: secondOffer.id, at: Self.at(7, 11), actor: "partner:B")
        // A lead only A can take waits for Monday 09:00.
        let third = try submit(Self.input("L3", [("A", 300)]), at: Self.at(7, 11))
        #expect(third.state == .queued)
        #expect(third.reason == "every eligible partner it can go to is outside working hours")
        #expect(advance(to: Self.at(8, 12)).isEmpty)  // Sunday: nothing expires, nobody starts work
        #expect(advance(to: Self.at(9, 8, 59)).isEmpty)
        #expect(router.offers[offer.id]!.state == .pending)
        let monday = advance(to: Self.at(9, 9))
        #expect(monday.contains { $0.kind == .offered && $0.leadID == "L3" && $0.partnerID == "A" })
        #expect(router.leads["L3"]!.state == .offered)
        // Monday 10:00: the first offer's two working hours are up; L1 goes to B.
        let expiry = advance(to: Self.at(9, 10))
        let expired = try #require(expiry.first { $0.kind == .expired })
        #expect(expired.offerID == offer.id)
        #expect(expired.reason == "not answered within 7200 s of working hours")
        #expect(router.offers[router.leads["L1"]!.offerID!]!.partnerID == "B")
        #expect(router.checkInvariants().isEmpty)
        // The ledger replays to the same state.
        let replayed = LiveRouter(partners: partners, config: config, events: ledger)
        #expect(replayed.leads == router.leads)
        #expect(replayed.offers == router.offers)
    }

    @Test func schedulesComeFromThePartnerThenTierThenTypeThenDefault() throws {
        let config = try LiveConfig.parse(
            Array(
                #"""
                {"workingHours": {"default": {"start": "08:00", "end": "16:00"},
                                  "gold": {"utcOffset": "+09:00", "days": ["sat", "SUN"]},
                                  "msp": {"utcOffset": "-05:30", "start": "10:00", "end": "24:00"}},
                 "workingHoursByPartner": {"P1": {"days": ["wed"]}}}
                """#.utf8), source: "live.json")
        let p1 = LivePartner(id: "P1", capacity: 1, tier: "gold", type: "msp")
        let gold = LivePartner(id: "P2", capacity: 1, tier: "gold", type: "msp")
        let msp = LivePartner(id: "P3", capacity: 1, tier: "silver", type: "msp")
        let other = LivePartner(id: "P4", capacity: 1, tier: "silver", type: "reseller")
        #expect(config.workingHours(for: p1) == WorkingHours(days: [2]))
        #expect(config.workingHours(for: gold) == WorkingHours(utcOffset: 9 * 3600, days: [5, 6]))
        #expect(config.workingHours(for: msp) == WorkingHours(utcOffset: -(5 * 3600 + 1800), start: 36_000, end: 86_400))
        #expect(config.workingHours(for: other) == WorkingHours(start: 8 * 3600, end: 16 * 3600))
        #expect(LiveConfig().workingHours(for: other) == nil)
        let cases: [(String, String)] = [
            (#"{"workingHours": {"diamond": {}}}"#, "'diamond'"),
            (#"{"workingHours": {"default": {"start": "9:00"}}}"#, "workingHours.default.start"),
            (#"{"workingHours": {"default": {"start": "18:00", "end": "09:00"}}}"#, "start must be before end"),
            (#"{"workingHours": {"default": {"days": ["funday"]}}}"#, "'funday'"),
            (#"{"workingHours": {"default": {"days": []}}}"#, "workingHours.default.days"),
            (#"{"workingHours": {"default": {"utcOffset": "+15:00"}}}"#, "utcOffset"),
            (#"{"workingHours": {"default": {"lunch": "12:00"}}}"#, "'lunch'"),
            (#"{"workingHoursByPartner": {"P1": 3}}"#, "workingHoursByPartner.P1"),
        ]
        for (text, expected) in cases {
            #expect {
                try LiveConfig.parse(Array(text.utf8), source: "live.json")
            } throws: { error in
                "\(error)".contains("live.json") && "\(error)".contains(expected)
            }
        }
    }

    /// A lead queued below a stale shadow price, with room free: only the batch interval's re-optimisation offers it
    /// (no capacity frees, so nothing else routes the queue). Times: 2026-03-02, a 6-hour grid (00:00, 06:00, …).
    @Test func theBatchIntervalReoptimisesTheQueue() throws {
        func run(interval: Int64) throws -> LiveRouter {
            var router = LiveRouter(
                partners: [LivePartner(id: "A", capacity: 1)],
                config: LiveConfig(maxQueueWait: 9_000, batchInterval: interval))
            _ = try router.submit(
                [Self.input("L1", [("A", 100)]), Self.input("L2", [("A", 90)])], modelVersion: "match:v1",
                at: Self.at(2, 1), actor: "integration")
            #expect(router.leads["L1"]!.state == .offered)
            #expect(router.leads["L2"]!.state == .queued)
            let price = try #require(router.prices["A"])
            #expect(price >= 90 && price <= 100)
            _ = router.advance(to: Self.at(2, 3, 30))  // L2 waited 2.5 h: overflow
            #expect(router.leads["L2"]!.state == .overflowed)
            _ = try router.decline(offer: router.leads["L1"]!.offerID!, reason: "no", at: Self.at(2, 3, 45), actor: "A")
            #expect(router.leads["L1"]!.state == .overflowed)
            #expect(router.room("A") == 1)
            let third = try Self.submit(&router, Self.input("L3", [("A", 50)]), at: Self.at(2, 4))
            #expect(third.state == .queued)
            #expect(third.reason == "below the shadow price")
            _ = router.advance(to: Self.at(2, 5))
            #expect(router.leads["L3"]!.state == .queued)
            _ = router.advance(to: Self.at(2, 6))
            #expect(router.checkInvariants().isEmpty)
            return router
        }
        let without = try run(interval: 0)
        #expect(without.leads["L3"]!.state == .queued)
        let with = try run(interval: 6 * 3600)
        let lead = with.leads["L3"]!
        #expect(lead.state == .offered)
        let offer = with.offers[lead.offerID!]!
        #expect(offer.partnerID == "A")
        #expect(offer.created == Self.at(2, 6))
        #expect(offer.explanation.basis == "batch")
    }
}
