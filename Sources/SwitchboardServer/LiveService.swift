import Foundation
import Learning
import Switchboard

/// The time the service decides at. Injected, so tests run a day of offer deadlines in milliseconds.
public protocol ServiceClock: Sendable {
    func now() -> Timestamp
}

/// The system's clock, in whole seconds.
public struct SystemClock: ServiceClock {
    public init() {}
    public func now() -> Timestamp { Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970)) }
}

/// A clock that moves only when told to (tests).
public final class ManualClock: ServiceClock, @unchecked Sendable {
    private let lock = NSLock()
    private var time: Timestamp

    public init(_ start: Timestamp) { time = start }

    public func now() -> Timestamp { lock.withLock { time } }

    public func advance(seconds: Int64) {
        lock.withLock { time = Timestamp(secondsSinceEpoch: time.secondsSinceEpoch + seconds) }
    }
}

/// An HTTP answer: status and JSON (or text) body.
public struct ServiceAnswer: Sendable {
    public var status: Int
    public var body: [UInt8]
    public var contentType = "application/json"
    /// True when the answer was replayed for an idempotency key.
    public var replayed = false

    public init(status: Int, body: [UInt8], contentType: String = "application/json") {
        self.status = status
        self.body = body
        self.contentType = contentType
    }

    /// A JSON object.
    public static func json(_ status: Int, _ object: [String: Any]) -> ServiceAnswer {
        ServiceAnswer(status: status, body: JSONBody.encode(object))
    }

    /// `{"error": {"status": …, "field": …, "message": …}}`.
    public static func error(_ status: Int, _ message: String, field: String? = nil) -> ServiceAnswer {
        var error: [String: Any] = ["status": status, "message": message]
        if let field { error["field"] = field }
        return json(status, ["error": error])
    }
}

extension ServiceAnswer: Error {}

/// JSON bodies: sorted keys, so answers are byte-for-byte stable (idempotent replays compare equal); written by
/// `JSONWriter` (the same bytes `JSONSerialization` with `.sortedKeys` wrote, at a fraction of its cost).
enum JSONBody {
    static func encode(_ object: Any) -> [UInt8] {
        var bytes = (try? JSONWriter.bytes(of: object, capacity: 1024)) ?? Array("{}".utf8)
        bytes.append(0x0A)
        return bytes
    }
}

/// What the service scores with, swapped whole on reload.
final class ScoringSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var scoring: LiveScoring
    init(_ scoring: LiveScoring) { self.scoring = scoring }
    var current: LiveScoring { lock.withLock { scoring } }
    func replace(_ new: LiveScoring) { lock.withLock { scoring = new } }
}

/// The live router behind the HTTP API: the pure `LiveRouter` state, the ledger store, the clock and the scoring.
///
/// Every mutating request runs here, one at a time: the clock is advanced (offer expiries, queue overflow), the
/// command runs on the state machine, and its events, with the idempotent answer, are committed in one transaction
/// before the answer leaves. A failed commit rebuilds the state from the ledger, so memory never runs ahead of disk.
/// Scoring (the costly part) runs outside, concurrently.
public actor LiveService {
    var router: LiveRouter
    let store: any LedgerStore
    nonisolated let clock: any ServiceClock
    nonisolated let scoringSlot: ScoringSlot
    nonisolated let config: LiveConfig
    let reloader: (@Sendable () throws -> LiveScoring)?

    /// Opens the service on a ledger: replays its events over the partners.
    /// - Parameter reload: reads the model, partners and rules again (`POST /v1/models/reload`, SIGHUP).
    /// - Throws: the store's error when the ledger cannot be read.
    public init(
        scoring: LiveScoring, config: LiveConfig, store: any LedgerStore, clock: any ServiceClock = SystemClock(),
        reload: (@Sendable () throws -> LiveScoring)? = nil
    ) throws {
        self.store = store
        self.clock = clock
        self.config = config
        self.scoringSlot = ScoringSlot(scoring)
        self.reloader = reload
        router = LiveRouter(partners: scoring.livePartners, config: config, events: try store.loadEvents())
    }

    /// The current scoring (model, partners, rules).
    public nonisolated var scoring: LiveScoring { scoringSlot.current }

    /// The state machine's current state (tests, the crash check).
    public var state: LiveRouter { router }

    // MARK: - Running commands

    /// Runs one command: advance the clock, run it, commit its events with the answer, answer.
    /// - Parameters:
    ///   - key: the request's idempotency key, with the digest of the request.
    ///   - command: the state machine command; `LiveError` becomes 404 or 409.
    ///   - answer: the success answer, built from the state after the command.
    func perform(
        key: (key: String, hash: String)?, success: Int,
        _ command: (inout LiveRouter, Timestamp) throws(LiveError) -> [LedgerEvent],
        answer: (LiveRouter) -> [String: Any]
    ) -> ServiceAnswer {
        do {
            return try store.write(key: key?.key) { others, stored in
                // Events other instances appended (a shared PostgreSQL ledger) come first.
                for event in others { router.apply(event) }
                if let key, let stored {
                    guard stored.requestHash == key.hash else {
                        return LedgerWrite(
                            events: [], answer: nil,
                            result: .error(
                                422, "this Idempotency-Key was used for a different request", field: "Idempotency-Key"))
                    }
                    var replay = ServiceAnswer(status: stored.status, body: stored.body)
                    replay.replayed = true
                    return LedgerWrite(events: [], answer: nil, result: replay)
                }
                let now = clock.now()
                var events = router.advance(to: now)
                var result: ServiceAnswer
                do throws(LiveError) {
                    events += try command(&router, now)
                    result = .json(success, answer(router))
                } catch {
                    result = Self.answer(for: error)
                }
                let storedAnswer =
                    (key != nil && result.status < 300)
                    ? StoredAnswer(key: key!.key, requestHash: key!.hash, status: result.status, body: result.body) : nil
                return LedgerWrite(events: events, answer: storedAnswer, result: result)
            }
        } catch {
            rebuild()
            return .error(500, "the ledger could not be written; nothing was changed: \(error)")
        }
    }

    static func answer(for error: LiveError) -> ServiceAnswer {
        switch error {
        case .unknownLead, .unknownOffer, .unknownPartner: .error(404, error.description)
        case .duplicateLead: .error(409, error.description, field: "id")
        case .offerNotPending, .leadNotAccepted: .error(409, error.description)
        }
    }

    /// Replaces the in-memory state with the ledger's (after a failed commit).
    func rebuild() {
        if let events = try? store.loadEvents() {
            router = LiveRouter(partners: scoring.livePartners, config: config, events: events)
        }
    }

    /// Advances the clock: expiries and overflow (the background ticker).
    public func tick() -> Int {
        do {
            return try store.write(key: nil) { others, _ in
                for event in others { router.apply(event) }
                let events = router.advance(to: clock.now())
                return LedgerWrite(events: events, answer: nil, result: events.count)
            }
        } catch {
            rebuild()
            return 0
        }
    }

    // MARK: - Commands

    /// Records and routes scored leads (201 with each lead's state).
    public func submit(
        _ inputs: [LiveLeadInput], modelVersion: String, actor: String, key: (key: String, hash: String)?, batch: Bool
    ) -> ServiceAnswer {
        perform(key: key, success: 201) { router, now throws(LiveError) in
            try router.submit(inputs, modelVersion: modelVersion, at: now, actor: actor)
        } answer: { router in
            let views = inputs.map { Views.lead(router, $0.lead.id) }
            return batch ? ["leads": views] : views[0]
        }
    }

    /// The partner an offer is for (nil for an unknown offer).
    public func offerPartner(_ offerID: String) -> String? {
        if router.offers[offerID] == nil { _ = tick() }  // another instance may have made it
        return router.offers[offerID]?.partnerID
    }

    public func accept(offer: String, actor: String, key: (key: String, hash: String)?) -> ServiceAnswer {
        perform(key: key, success: 200) { router, now throws(LiveError) in
            try router.accept(offer: offer, at: now, actor: actor)
        } answer: { router in
            Views.lead(router, router.offers[offer]!.leadID)
        }
    }

    public func decline(offer: String, reason: String, actor: String, key: (key: String, hash: String)?) -> ServiceAnswer {
        perform(key: key, success: 200) { router, now throws(LiveError) in
            try router.decline(offer: offer, reason: reason, at: now, actor: actor)
        } answer: { router in
            var view = Views.lead(router, router.offers[offer]!.leadID)
            view["declined_offer"] = offer
            return view
        }
    }

    public func outcome(lead: String, won: Bool, revenue: Double, actor: String, key: (key: String, hash: String)?)
        -> ServiceAnswer
    {
        perform(key: key, success: 200) { router, now throws(LiveError) in
            try router.recordOutcome(lead: lead, won: won, revenue: revenue, at: now, actor: actor)
        } answer: { router in
            Views.lead(router, lead)
        }
    }

    public func pause(partner: String, reason: String, actor: String) -> ServiceAnswer {
        perform(key: nil, success: 200) { router, now throws(LiveError) in
            try router.pause(partner: partner, reason: reason, at: now, actor: actor)
        } answer: { router in
            Views.partner(router, partner, now: clock.now())
        }
    }

    public func resume(partner: String, actor: String) -> ServiceAnswer {
        perform(key: nil, success: 200) { router, now throws(LiveError) in
            try router.resume(partner: partner, at: now, actor: actor)
        } answer: { router in
            Views.partner(router, partner, now: clock.now())
        }
    }

    /// Reads the model, partners and rules again; later leads are scored with them, and decisions record the new
    /// model version. The ledger is kept.
    public func reload() -> ServiceAnswer {
        guard let reloader else { return .error(409, "this service was started without files to reload") }
        do {
            let fresh = try reloader()
            scoringSlot.replace(fresh)
            router.replacePartners(fresh.livePartners)
            return .json(200, ["model_version": fresh.modelVersion, "partners": fresh.partners.count])
        } catch {
            return .error(500, "reload failed; still using \(scoring.modelVersion): \(error)")
        }
    }

    // MARK: - Reads

    /// A lead with its whole audit trail.
    public func leadHistory(_ id: String, role: AccessRole) -> ServiceAnswer {
        _ = advanceQuietly()
        guard let lead = router.leads[id] else { return .error(404, "no lead '\(id)'") }
        if let partner = role.partnerID, !lead.history.contains(where: { $0.kind == .offered && $0.partnerID == partner }) {
            return .error(403, "lead '\(id)' was never offered to partner \(partner)")
        }
        return .json(200, Views.history(router, lead))
    }

    public func partner(_ id: String) -> ServiceAnswer {
        _ = advanceQuietly()
        guard router.partners[id] != nil else { return .error(404, "no partner '\(id)'") }
        return .json(200, Views.partner(router, id, now: clock.now()))
    }

    public func partnerOffers(_ id: String) -> ServiceAnswer {
        _ = advanceQuietly()
        guard router.partners[id] != nil else { return .error(404, "no partner '\(id)'") }
        let offers = router.pendingOffers.filter { $0.partnerID == id }.map { Views.offer($0) }
        return .json(200, ["partner_id": id, "offers": offers])
    }

    /// Offers made at or after `since`, as CSV.
    public func exportAssignments(since: Timestamp?) -> ServiceAnswer {
        var text = "offer_id,lead_id,partner_id,offered_at,state,answered_at,expected_value,win_probability,rank,model_version\n"
        let offers = router.offers.values.filter { since == nil || $0.created >= since! }.sorted { $0.id < $1.id }
        for offer in offers {
            let fields: [String] = [
                offer.id, offer.leadID, offer.partnerID, offer.created.description, offer.state.rawValue,
                offer.answered?.description ?? "", "\(offer.explanation.expectedValue)",
                offer.explanation.winProbability.map { "\($0)" } ?? "", "\(offer.explanation.rank)", offer.modelVersion,
            ]
            text += fields.map(CSVField.escape).joined(separator: ",") + "\n"
        }
        return ServiceAnswer(status: 200, body: Array(text.utf8), contentType: "text/csv; charset=utf-8")
    }

    /// Leads and events, for /healthz (constant time).
    public func health() -> (leads: Int, events: Int) { (router.leads.count, router.eventCount) }

    /// Counts for /metrics (one pass over the leads and offers).
    public func gauges() -> [String: Int] {
        var gauges: [String: Int] = ["events": router.eventCount, "queue": router.queue.count, "leads": router.leads.count]
        for state in LiveLeadState.allCases where state != .rerouting {
            gauges["leads_" + state.rawValue] = router.leads.values.count { $0.state == state }
        }
        for state in OfferState.allCases { gauges["offers_" + state.rawValue] = router.offers.values.count { $0.state == state } }
        gauges["partners_paused"] = router.ledgers.values.count { $0.paused }
        return gauges
    }

    /// Expiries due by now, committed (reads see the state as of now).
    func advanceQuietly() -> Int { tick() }
}

/// CSV quoting for the export.
enum CSVField {
    static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
