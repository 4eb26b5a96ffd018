/// A partner as the live router sees it: its capacity, the leads it already carries outside the router, and the tier
/// and type its offer deadline depends on.
public struct LivePartner: Sendable, Equatable {
    public var id: String
    public var capacity: Int
    /// Open leads it carried before the router (the partners file's `open_leads`).
    public var openLeads: Int
    public var tier: String
    public var type: String

    public init(id: String, capacity: Int, openLeads: Int = 0, tier: String = "", type: String = "") {
        self.id = id
        self.capacity = capacity
        self.openLeads = openLeads
        self.tier = tier
        self.type = type
    }

    public init(_ partner: Partner) {
        self.init(
            id: partner.id, capacity: partner.capacity, openLeads: partner.openLeads, tier: partner.tier.rawValue,
            type: partner.type.rawValue)
    }
}

/// Where a lead stands.
public enum LiveLeadState: String, Sendable, Codable, CaseIterable {
    case offered, accepted, queued, unroutable, overflowed, won, lost
    /// Between a decline or expiry and the routing decision that follows it in the same command (never seen outside).
    case rerouting
}

/// Where an offer stands.
public enum OfferState: String, Sendable, Codable, CaseIterable {
    case pending, accepted, declined, expired
    /// Accepted, and the lead's outcome is in.
    case closed
}

/// A lead in the ledger.
public struct LiveLead: Sendable, Equatable {
    public var lead: Lead
    public var candidates: [LiveCandidate]
    public var modelVersion: String
    public var state: LiveLeadState
    public var received: Timestamp
    /// Partners it must never be offered to again, with why (`declined`, `expired`).
    public var excluded: [String: String] = [:]
    /// Its current (or last) offer.
    public var offerID: String?
    public var queuedSince: Timestamp?
    /// The overflow owner, when overflowed.
    public var owner: String?
    /// Why it is queued, unroutable or overflowed.
    public var reason: String?
    /// Every ledger event about it, in order: its audit trail.
    public var history: [LedgerEvent] = []
}

/// An offer of a lead to a partner.
public struct LiveOffer: Sendable, Equatable {
    public var id: String
    public var leadID: String
    public var partnerID: String
    public var created: Timestamp
    public var expiresAt: Timestamp
    public var state: OfferState
    public var explanation: OfferExplanation
    public var modelVersion: String
    /// When the partner answered (accepted or declined).
    public var answered: Timestamp?
}

/// A partner's counts in the ledger.
public struct PartnerLedger: Sendable, Equatable {
    /// Offers waiting for its answer (each holds one unit of capacity).
    public var pending = 0
    /// Accepted leads without an outcome yet (each holds one unit of capacity).
    public var open = 0
    public var offered = 0
    public var accepted = 0
    public var declined = 0
    public var expired = 0
    public var won = 0
    public var lost = 0
    public var consecutiveExpiries = 0
    public var paused = false
    public var pauseReason: String?
    /// Σ seconds from offer to answer over the answered offers, and their count.
    public var responseSeconds: Int64 = 0
    public var responses = 0

    public init() {}

    /// Accepted ÷ answered or expired offers; nil before any.
    public var acceptanceRate: Double? {
        let settled = accepted + declined + expired
        return settled == 0 ? nil : Double(accepted) / Double(settled)
    }

    /// Mean seconds from offer to answer; nil before any answer.
    public var meanResponseSeconds: Double? { responses == 0 ? nil : Double(responseSeconds) / Double(responses) }
}

/// Why a command was refused; nothing changed.
public enum LiveError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownLead(String)
    case unknownOffer(String)
    case unknownPartner(String)
    case duplicateLead(String)
    case offerNotPending(offer: String, state: OfferState)
    case leadNotAccepted(lead: String, state: LiveLeadState)

    public var description: String {
        switch self {
        case let .unknownLead(id): "no lead '\(id)'"
        case let .unknownOffer(id): "no offer '\(id)'"
        case let .unknownPartner(id): "no partner '\(id)'"
        case let .duplicateLead(id): "lead '\(id)' already exists"
        case let .offerNotPending(offer, state): "offer '\(offer)' is \(state.rawValue), not pending"
        case let .leadNotAccepted(lead, state): "lead '\(lead)' is \(state.rawValue), not accepted"
        }
    }
}

/// The live router: a pure state machine over the ledger.
///
/// Commands (`submit`, `accept`, `decline`, `recordOutcome`, `pause`, `resume`, `advance`) take the time as an
/// argument, check their input (throwing `LiveError` with nothing changed), and return the ledger events they
/// produced, already applied. The state is exactly the fold of `apply` over the events, so replaying a stored ledger
/// with `init(partners:config:events:)` rebuilds it. The router never does I/O and never reads a clock.
///
/// Rules:
/// - A partner's room is capacity − the open leads it carried before − its pending offers − its accepted open leads;
///   an offer holds a unit of capacity until it is declined or expires, an accepted lead until its outcome.
/// - A single lead arriving goes to the eligible candidate with room maximising expected value − shadow price (ties:
///   higher expected value, then lower partner id), when that is ≥ 0 and the value is positive; otherwise it is
///   queued (all full, or below the shadow price) or unroutable (no eligible partner, no positive value).
/// - Several leads at once (`submit` of more than one, a decline or expiry while leads wait, capacity freed while
///   leads wait) are routed together with the queue by `Router` (the exact optimum by default); its shadow prices
///   replace the current ones.
/// - A declined or expired offer's partner is never offered that lead again; a lead every eligible partner turned
///   down goes to the overflow owner. A partner that lets `pauseAfterExpiries` offers in a row expire is paused.
/// - A lead queued longer than `maxQueueWait` goes to the overflow owner.
public struct LiveRouter: Sendable {
    public let config: LiveConfig
    public private(set) var partners: [String: LivePartner]
    public private(set) var ledgers: [String: PartnerLedger] = [:]
    public private(set) var leads: [String: LiveLead] = [:]
    public private(set) var offers: [String: LiveOffer] = [:]
    /// Queued leads, with the order they joined the queue in.
    public private(set) var queue: [String: Int] = [:]
    /// Non-zero shadow prices of the last batch solve.
    public private(set) var prices: [String: Double] = [:]
    /// How many events have been applied.
    public private(set) var eventCount = 0
    var queueSequence = 0
    /// No offer expires and no queued lead overflows before this time (a lower bound; nil: nothing pending).
    var nextDeadline: Timestamp?
    /// The time of the last `advance` past a deadline (for starts of work in between; not part of the ledger's fold).
    var lastAdvance: Timestamp?
    /// The batch interval's grid cell (⌊time ÷ interval⌋) the queue was last re-optimised in.
    var batchedThrough: Int64?

    public init(partners: [LivePartner], config: LiveConfig = LiveConfig()) {
        self.config = config
        var byID: [String: LivePartner] = [:]
        for partner in partners { byID[partner.id] = partner }
        self.partners = byID
    }

    /// The state a stored ledger describes.
    public init(partners: [LivePartner], config: LiveConfig = LiveConfig(), events: [LedgerEvent]) {
        self.init(partners: partners, config: config)
        for event in events { apply(event) }
    }

    /// Replaces the partners (a reloaded partners file); the ledger is kept.
    public mutating func replacePartners(_ partners: [LivePartner]) {
        var byID: [String: LivePartner] = [:]
        for partner in partners { byID[partner.id] = partner }
        self.partners = byID
    }

    /// How many more leads the partner can take now (0 for an unknown partner).
    public func room(_ partnerID: String) -> Int {
        guard let partner = partners[partnerID] else { return 0 }
        let ledger = ledgers[partnerID] ?? PartnerLedger()
        return max(0, partner.capacity - partner.openLeads - ledger.pending - ledger.open)
    }

    /// The leads the router holds for the partner (pending offers and accepted open leads), never above
    /// max(0, capacity − open leads before) when the router decided: `checkInvariants` verifies it.
    public func load(_ partnerID: String) -> Int {
        let ledger = ledgers[partnerID] ?? PartnerLedger()
        return ledger.pending + ledger.open
    }

    /// The queued lead ids in queue order.
    public var queuedLeads: [String] { queue.sorted { $0.value < $1.value }.map(\.key) }

    /// Pending offers.
    public var pendingOffers: [LiveOffer] { offers.values.filter { $0.state == .pending }.sorted { $0.id < $1.id } }

    /// Problems with the state, for tests and the crash test: a partner above its capacity, counts that do not add up
    /// (per partner: pending and open equal to its offers in those states; every lead in exactly one state; the
    /// queue equal to the queued leads). Empty when all is well.
    public func checkInvariants() -> [String] {
        var problems: [String] = []
        var pending: [String: Int] = [:], open: [String: Int] = [:]
        for offer in offers.values {
            if offer.state == .pending { pending[offer.partnerID, default: 0] += 1 }
            if offer.state == .accepted { open[offer.partnerID, default: 0] += 1 }
        }
        for (id, ledger) in ledgers {
            if ledger.pending != pending[id, default: 0] {
                problems.append("partner \(id): \(ledger.pending) pending counted, \(pending[id, default: 0]) offers pending")
            }
            if ledger.open != open[id, default: 0] {
                problems.append("partner \(id): \(ledger.open) open counted, \(open[id, default: 0]) offers accepted")
            }
            if let partner = partners[id], ledger.pending + ledger.open > max(0, partner.capacity - partner.openLeads) {
                problems.append(
                    "partner \(id): \(ledger.pending + ledger.open) held, above capacity \(partner.capacity) − \(partner.openLeads) open"
                )
            }
            let settled = ledger.accepted + ledger.declined + ledger.expired + ledger.pending
            if settled != ledger.offered {
                problems.append("partner \(id): \(ledger.offered) offered ≠ \(settled) accepted + declined + expired + pending")
            }
        }
        for (id, lead) in leads {
            if lead.state == .rerouting { problems.append("lead \(id) left between a refusal and its re-routing") }
            if (lead.state == .queued) != (queue[id] != nil) { problems.append("lead \(id): queue and state disagree") }
            if lead.state == .offered || lead.state == .accepted {
                guard let offerID = lead.offerID, let offer = offers[offerID], offer.leadID == id,
                    offer.state == (lead.state == .offered ? .pending : .accepted)
                else {
                    problems.append("lead \(id) is \(lead.state.rawValue) without a matching offer")
                    continue
                }
            }
        }
        for offer in offers.values where offer.state == .pending || offer.state == .accepted {
            if leads[offer.leadID]?.offerID != offer.id {
                problems.append("offer \(offer.id) is \(offer.state.rawValue) but lead \(offer.leadID) moved on")
            }
        }
        return problems
    }

    // MARK: - Applying events

    /// Applies one ledger event to the state. Total: replaying any ledger this router wrote never fails.
    public mutating func apply(_ event: LedgerEvent) {
        eventCount += 1
        let leadID = event.leadID ?? ""
        switch event.kind {
        case .received:
            guard let lead = event.lead else { break }
            leads[lead.id] = LiveLead(
                lead: lead, candidates: event.candidates ?? [], modelVersion: event.modelVersion ?? "",
                state: .rerouting, received: event.time)
        case .offered:
            guard let offerID = event.offerID, let partnerID = event.partnerID, let explanation = event.offer else { break }
            let expires = event.expiresAt ?? event.time
            offers[offerID] = LiveOffer(
                id: offerID, leadID: leadID, partnerID: partnerID, created: event.time, expiresAt: expires,
                state: .pending, explanation: explanation, modelVersion: event.modelVersion ?? "")
            leads[leadID]?.state = .offered
            leads[leadID]?.offerID = offerID
            leads[leadID]?.reason = nil
            leads[leadID]?.queuedSince = nil
            queue[leadID] = nil
            ledgers[partnerID, default: PartnerLedger()].pending += 1
            ledgers[partnerID, default: PartnerLedger()].offered += 1
            lowerDeadline(to: expires)
        case .accepted, .declined, .expired:
            guard let offerID = event.offerID, var offer = offers[offerID] else { break }
            var ledger = ledgers[offer.partnerID, default: PartnerLedger()]
            ledger.pending -= 1
            switch event.kind {
            case .accepted:
                offer.state = .accepted
                ledger.open += 1
                ledger.accepted += 1
                ledger.consecutiveExpiries = 0
                leads[offer.leadID]?.state = .accepted
            case .declined:
                offer.state = .declined
                ledger.declined += 1
                ledger.consecutiveExpiries = 0
                leads[offer.leadID]?.state = .rerouting
                leads[offer.leadID]?.excluded[offer.partnerID] = "declined"
            default:
                offer.state = .expired
                ledger.expired += 1
                ledger.consecutiveExpiries += 1
                leads[offer.leadID]?.state = .rerouting
                leads[offer.leadID]?.excluded[offer.partnerID] = "expired"
            }
            if event.kind != .expired {
                offer.answered = event.time
                ledger.responses += 1
                ledger.responseSeconds += event.time.secondsSinceEpoch - offer.created.secondsSinceEpoch
            }
            offers[offerID] = offer
            ledgers[offer.partnerID] = ledger
        case .queued:
            guard leads[leadID] != nil else { break }
            if queue[leadID] == nil {
                queueSequence += 1
                queue[leadID] = queueSequence
                leads[leadID]?.queuedSince = event.time
                lowerDeadline(to: Timestamp(secondsSinceEpoch: event.time.secondsSinceEpoch + config.maxQueueWait))
                lowerQueueDeadline(after: event.time)
            }
            leads[leadID]?.state = .queued
            leads[leadID]?.reason = event.reason
        case .unroutable:
            leads[leadID]?.state = .unroutable
            leads[leadID]?.reason = event.reason
            queue[leadID] = nil
        case .overflowed:
            leads[leadID]?.state = .overflowed
            leads[leadID]?.owner = event.partnerID
            leads[leadID]?.reason = event.reason
            queue[leadID] = nil
        case .outcome:
            guard let offerID = leads[leadID]?.offerID, var offer = offers[offerID] else { break }
            offer.state = .closed
            offers[offerID] = offer
            ledgers[offer.partnerID, default: PartnerLedger()].open -= 1
            if event.won == true {
                ledgers[offer.partnerID, default: PartnerLedger()].won += 1
                leads[leadID]?.state = .won
            } else {
                ledgers[offer.partnerID, default: PartnerLedger()].lost += 1
                leads[leadID]?.state = .lost
            }
        case .paused:
            guard let partnerID = event.partnerID else { break }
            ledgers[partnerID, default: PartnerLedger()].paused = true
            ledgers[partnerID, default: PartnerLedger()].pauseReason = event.reason
        case .resumed:
            guard let partnerID = event.partnerID else { break }
            ledgers[partnerID, default: PartnerLedger()].paused = false
            ledgers[partnerID, default: PartnerLedger()].pauseReason = nil
            ledgers[partnerID, default: PartnerLedger()].consecutiveExpiries = 0
        case .repriced:
            prices = event.prices ?? [:]
        }
        if !leadID.isEmpty { leads[leadID]?.history.append(event) }
    }

    mutating func lowerDeadline(to time: Timestamp) {
        if let current = nextDeadline, current <= time { return }
        nextDeadline = time
    }
}
