/// A lead to submit, with its scored candidates (from `LeadScorer` through `ModelRouter`, or given).
public struct LiveLeadInput: Sendable, Equatable {
    public var lead: Lead
    public var candidates: [LiveCandidate]
    /// Why it has no candidate (no eligible partner), shown when it is unroutable.
    public var noCandidateReason: String?

    public init(lead: Lead, candidates: [LiveCandidate], noCandidateReason: String? = nil) {
        self.lead = lead
        self.candidates = candidates
        self.noCandidateReason = noCandidateReason
    }
}

extension LiveRouter {
    /// Records and routes new leads. One lead is routed on arrival, net of the current shadow prices: an arrival brings
    /// no capacity, so the queue is re-solved when capacity frees or on the batch interval, not on every arrival
    /// (which made each submission's cost grow with the queue). Several are routed together with the queue by the batch
    /// router.
    /// - Throws: `LiveError.duplicateLead` for a lead id the ledger or the batch already holds; nothing changes.
    public mutating func submit(_ inputs: [LiveLeadInput], modelVersion: String, at time: Timestamp, actor: String)
        throws(LiveError) -> [LedgerEvent]
    {
        var seen = Set<String>()
        for input in inputs {
            if leads[input.lead.id] != nil || !seen.insert(input.lead.id).inserted {
                throw .duplicateLead(input.lead.id)
            }
        }
        var events: [LedgerEvent] = []
        for input in inputs {
            var event = LedgerEvent(kind: .received, time: time, actor: actor)
            event.leadID = input.lead.id
            event.lead = input.lead
            event.candidates = input.candidates
            event.modelVersion = modelVersion
            event.reason = input.candidates.isEmpty ? (input.noCandidateReason ?? "no eligible partner") : nil
            record(event, into: &events)
        }
        if inputs.count == 1 {
            routeOne(inputs[0].lead.id, at: time, into: &events)
        } else {
            route(inputs.map(\.lead.id), at: time, into: &events)
        }
        return events
    }

    /// The partner accepts its pending offer.
    /// - Throws: `LiveError` for an unknown offer or one that is not pending.
    public mutating func accept(offer offerID: String, at time: Timestamp, actor: String) throws(LiveError)
        -> [LedgerEvent]
    {
        let offer = try pendingOffer(offerID)
        var event = LedgerEvent(kind: .accepted, time: time, actor: actor)
        event.offerID = offerID
        event.leadID = offer.leadID
        event.partnerID = offer.partnerID
        event.modelVersion = offer.modelVersion
        var events: [LedgerEvent] = []
        record(event, into: &events)
        return events
    }

    /// The partner declines its pending offer: the lead is re-routed at once, never back to that partner, and the
    /// freed unit of capacity goes to the queue.
    /// - Throws: `LiveError` for an unknown offer or one that is not pending.
    public mutating func decline(offer offerID: String, reason: String, at time: Timestamp, actor: String)
        throws(LiveError) -> [LedgerEvent]
    {
        let offer = try pendingOffer(offerID)
        var event = LedgerEvent(kind: .declined, time: time, actor: actor)
        event.offerID = offerID
        event.leadID = offer.leadID
        event.partnerID = offer.partnerID
        event.reason = reason
        var events: [LedgerEvent] = []
        record(event, into: &events)
        route([offer.leadID], at: time, into: &events)
        return events
    }

    /// The outcome of an accepted lead: closes it and frees its partner's unit of capacity for the queue.
    /// - Throws: `LiveError` for an unknown lead or one that is not accepted.
    public mutating func recordOutcome(lead leadID: String, won: Bool, revenue: Double, at time: Timestamp, actor: String)
        throws(LiveError) -> [LedgerEvent]
    {
        guard let lead = leads[leadID] else { throw .unknownLead(leadID) }
        guard lead.state == .accepted, let offerID = lead.offerID, let offer = offers[offerID] else {
            throw .leadNotAccepted(lead: leadID, state: lead.state)
        }
        var event = LedgerEvent(kind: .outcome, time: time, actor: actor)
        event.leadID = leadID
        event.offerID = offerID
        event.partnerID = offer.partnerID
        event.won = won
        event.revenue = revenue
        var events: [LedgerEvent] = []
        record(event, into: &events)
        route([], at: time, into: &events)
        return events
    }

    /// Stops offers to the partner (its pending offers stay). Pausing a paused partner changes nothing.
    /// - Throws: `LiveError.unknownPartner`.
    public mutating func pause(partner partnerID: String, reason: String, at time: Timestamp, actor: String)
        throws(LiveError) -> [LedgerEvent]
    {
        guard partners[partnerID] != nil else { throw .unknownPartner(partnerID) }
        if ledgers[partnerID]?.paused == true { return [] }
        var event = LedgerEvent(kind: .paused, time: time, actor: actor)
        event.partnerID = partnerID
        event.reason = reason
        var events: [LedgerEvent] = []
        record(event, into: &events)
        return events
    }

    /// Lets the partner take offers again (and clears its run of expiries); the queue is routed.
    /// - Throws: `LiveError.unknownPartner`.
    public mutating func resume(partner partnerID: String, at time: Timestamp, actor: String) throws(LiveError)
        -> [LedgerEvent]
    {
        guard partners[partnerID] != nil else { throw .unknownPartner(partnerID) }
        guard ledgers[partnerID]?.paused == true else { return [] }
        var event = LedgerEvent(kind: .resumed, time: time, actor: actor)
        event.partnerID = partnerID
        var events: [LedgerEvent] = []
        record(event, into: &events)
        route([], at: time, into: &events)
        return events
    }

    /// Moves the clock to `time`: expires every pending offer whose deadline is at or before it (in deadline order,
    /// then offer id), pausing partners that let too many expire in a row; sends leads queued longer than the
    /// maximum wait to the overflow owner; routes the re-routed leads with the queue.
    ///
    /// With working hours, the queue is also routed when some partner has started work since the last advance; with a
    /// batch interval, whenever the clock has crossed a multiple of the interval since the last batch.
    public mutating func advance(to time: Timestamp) -> [LedgerEvent] {
        guard let deadline = nextDeadline, deadline <= time else { return [] }
        var events: [LedgerEvent] = []
        let previous = lastAdvance
        lastAdvance = time
        var queueDue = false
        if !queue.isEmpty && !config.allWorkingHours.isEmpty {
            queueDue =
                previous.map { previous in config.allWorkingHours.contains { $0.nextShiftStart(after: previous) <= time } }
                ?? true
        }
        if config.batchInterval > 0 {
            let cell = Self.floorDivide(time.secondsSinceEpoch, config.batchInterval)
            if batchedThrough.map({ $0 < cell }) ?? true {
                batchedThrough = cell
                if !queue.isEmpty { queueDue = true }
            }
        }
        let due = offers.values.filter { $0.state == .pending && $0.expiresAt <= time }
            .sorted { ($0.expiresAt, $0.id) < ($1.expiresAt, $1.id) }
        var rerouted: [String] = []
        for offer in due {
            var event = LedgerEvent(kind: .expired, time: offer.expiresAt, actor: "clock")
            event.offerID = offer.id
            event.leadID = offer.leadID
            event.partnerID = offer.partnerID
            if let partner = partners[offer.partnerID], let hours = config.workingHours(for: partner) {
                event.reason =
                    "not answered within \(hours.workingSeconds(from: offer.created, to: offer.expiresAt)) s of working hours"
            } else {
                event.reason = "not answered within \(offer.expiresAt.secondsSinceEpoch - offer.created.secondsSinceEpoch) s"
            }
            record(event, into: &events)
            rerouted.append(offer.leadID)
            let run = ledgers[offer.partnerID]?.consecutiveExpiries ?? 0
            if config.pauseAfterExpiries > 0 && run >= config.pauseAfterExpiries && ledgers[offer.partnerID]?.paused != true {
                var pause = LedgerEvent(kind: .paused, time: offer.expiresAt, actor: "clock")
                pause.partnerID = offer.partnerID
                pause.reason = "\(run) offers in a row expired"
                record(pause, into: &events)
            }
        }
        for leadID in queuedLeads {
            guard let lead = leads[leadID], let since = lead.queuedSince,
                since.secondsSinceEpoch + config.maxQueueWait <= time.secondsSinceEpoch
            else { continue }
            var event = LedgerEvent(kind: .overflowed, time: time, actor: "clock")
            event.leadID = leadID
            event.partnerID = config.overflowOwner
            event.modelVersion = lead.modelVersion
            event.reason = "waited \(config.maxQueueWait / 3600) h in the queue"
            record(event, into: &events)
        }
        route(rerouted, at: time, into: &events, force: queueDue && !queue.isEmpty)
        // Recompute the next deadline from what is still pending.
        nextDeadline = nil
        for offer in offers.values where offer.state == .pending { lowerDeadline(to: offer.expiresAt) }
        for leadID in queue.keys {
            if let since = leads[leadID]?.queuedSince {
                lowerDeadline(to: Timestamp(secondsSinceEpoch: since.secondsSinceEpoch + config.maxQueueWait))
            }
        }
        if !queue.isEmpty { lowerQueueDeadline(after: time) }
        return events
    }

    /// Lowers the next deadline to the next moment the queue must be looked at again: the next start of work of any
    /// schedule, the next multiple of the batch interval.
    mutating func lowerQueueDeadline(after time: Timestamp) {
        for hours in config.allWorkingHours { lowerDeadline(to: hours.nextShiftStart(after: time)) }
        if config.batchInterval > 0 {
            let cell = Self.floorDivide(time.secondsSinceEpoch, config.batchInterval)
            lowerDeadline(to: Timestamp(secondsSinceEpoch: (cell + 1) * config.batchInterval))
        }
    }

    /// ⌊a ÷ b⌋ for b > 0.
    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// Whether the partner is at work at `time` (always, without working hours; nil time: not asked).
    func isAtWork(_ partnerID: String, at time: Timestamp?) -> Bool {
        guard let time, let partner = partners[partnerID], let hours = config.workingHours(for: partner) else { return true }
        return hours.isWorking(at: time)
    }

    // MARK: - Routing

    func pendingOffer(_ offerID: String) throws(LiveError) -> LiveOffer {
        guard let offer = offers[offerID] else { throw .unknownOffer(offerID) }
        guard offer.state == .pending else { throw .offerNotPending(offer: offerID, state: offer.state) }
        return offer
    }

    mutating func record(_ event: LedgerEvent, into events: inout [LedgerEvent]) {
        apply(event)
        events.append(event)
    }

    /// Routes `leadIDs` (in the `rerouting` state, just received or refused): alone on arrival when it is one lead
    /// and nobody waits, otherwise together with the queue by the batch router. With no leads, routes the queue when
    /// some queued lead has an eligible candidate with room.
    /// With `force`, the queue is routed by the batch router whatever the rooms (a batch interval, a start of work).
    mutating func route(_ leadIDs: [String], at time: Timestamp, into events: inout [LedgerEvent], force: Bool = false) {
        if leadIDs.count == 1 && queue.isEmpty {
            routeOne(leadIDs[0], at: time, into: &events)
            return
        }
        var batch = leadIDs
        let waiting = queuedLeads.filter { !leadIDs.contains($0) }
        if leadIDs.isEmpty && !force && !waiting.contains(where: { hasOpenCandidate($0, at: time) }) { return }
        batch += waiting
        if !batch.isEmpty { routeBatch(batch, at: time, into: &events) }
    }

    /// Why the candidate cannot get the lead at all now (nil when it can): the partner turned it down, is paused, is
    /// unknown, or is outside its working hours at `time`.
    func exclusion(_ lead: LiveLead, _ partnerID: String, at time: Timestamp?) -> String? {
        if let why = lead.excluded[partnerID] { return why == "declined" ? "declined it" : "let its offer expire" }
        if ledgers[partnerID]?.paused == true { return "paused" }
        if partners[partnerID] == nil { return "no longer listed" }
        if !isAtWork(partnerID, at: time) { return "outside working hours" }
        return nil
    }

    func hasOpenCandidate(_ leadID: String, at time: Timestamp) -> Bool {
        guard let lead = leads[leadID] else { return false }
        return lead.candidates.contains { exclusion(lead, $0.partnerID, at: time) == nil && room($0.partnerID) > 0 }
    }

    /// The decision for a lead that cannot be offered: unroutable when nobody was ever eligible or nobody is worth
    /// anything, overflowed when everyone eligible turned it down, queued when the eligible are full.
    mutating func settleUnplaced(
        _ leadID: String, open: Bool, fullReason: String, at time: Timestamp, into events: inout [LedgerEvent]
    ) {
        guard let lead = leads[leadID] else { return }
        let usable = lead.candidates.filter { exclusion(lead, $0.partnerID, at: time) == nil }
        var event = LedgerEvent(kind: .queued, time: time, actor: "router")
        event.leadID = leadID
        event.modelVersion = lead.modelVersion
        if lead.candidates.isEmpty {
            event.kind = .unroutable
            event.reason = lead.history.first?.reason ?? "no eligible partner"
        } else if usable.isEmpty && lead.candidates.allSatisfy({ lead.excluded[$0.partnerID] != nil }) {
            event.kind = .overflowed
            event.partnerID = config.overflowOwner
            event.reason = "every eligible partner declined it or let its offer expire"
        } else if usable.isEmpty && lead.candidates.contains(where: { exclusion(lead, $0.partnerID, at: nil) == nil }) {
            event.reason = "every eligible partner it can go to is outside working hours"
        } else if usable.isEmpty {
            event.reason = "every eligible partner is paused or turned it down"
        } else if !usable.contains(where: { $0.expectedValue > 0 }) {
            event.kind = .unroutable
            event.reason = "no positive value"
        } else {
            event.reason = open ? fullReason : "all eligible partners full"
        }
        // A lead already waiting for the same reason gets no new entry.
        if event.kind == .queued && lead.state == .queued && lead.reason == event.reason { return }
        record(event, into: &events)
    }

    /// One lead on arrival: the eligible candidate with room maximising expected value − shadow price.
    mutating func routeOne(_ leadID: String, at time: Timestamp, into events: inout [LedgerEvent]) {
        guard let lead = leads[leadID] else { return }
        var best: LiveCandidate?
        var bestNet = 0.0
        for candidate in lead.candidates
        where exclusion(lead, candidate.partnerID, at: time) == nil && room(candidate.partnerID) > 0
            && candidate.expectedValue > 0
        {
            let net = candidate.expectedValue - (prices[candidate.partnerID] ?? 0)
            if let current = best {
                if net < bestNet { continue }
                if net == bestNet
                    && (candidate.expectedValue < current.expectedValue
                        || (candidate.expectedValue == current.expectedValue && candidate.partnerID > current.partnerID))
                {
                    continue
                }
            }
            best = candidate
            bestNet = net
        }
        guard let chosen = best, bestNet >= 0 else {
            settleUnplaced(leadID, open: best != nil, fullReason: "below the shadow price", at: time, into: &events)
            return
        }
        let alternative = bestAlternative(lead, chosen: chosen.partnerID, at: time) { other in
            if other.expectedValue < chosen.expectedValue { return "lower value" }
            if other.expectedValue == chosen.expectedValue { return "equal value" }
            return "lower value net of its shadow price"
        }
        offer(
            lead, to: chosen, shadowPrice: prices[chosen.partnerID] ?? 0, basis: "stream", alternative: alternative,
            at: time, into: &events)
    }

    /// The candidate with the highest expected value other than the chosen one (ties by partner id), and why it lost:
    /// `exclusion`, `full`, or the reason `compare` gives.
    func bestAlternative(_ lead: LiveLead, chosen: String?, at time: Timestamp, compare: (LiveCandidate) -> String) -> (
        LiveCandidate, String
    )? {
        var best: LiveCandidate?
        for candidate in lead.candidates where candidate.partnerID != chosen {
            if let current = best,
                candidate.expectedValue < current.expectedValue
                    || (candidate.expectedValue == current.expectedValue && candidate.partnerID > current.partnerID)
            {
                continue
            }
            best = candidate
        }
        guard let alternative = best else { return nil }
        if let why = exclusion(lead, alternative.partnerID, at: time) { return (alternative, why) }
        if room(alternative.partnerID) == 0 { return (alternative, "full") }
        return (alternative, compare(alternative))
    }

    mutating func offer(
        _ lead: LiveLead, to candidate: LiveCandidate, shadowPrice: Double, basis: String,
        alternative: (LiveCandidate, String)?, at time: Timestamp, into events: inout [LedgerEvent]
    ) {
        let rank =
            1
            + lead.candidates.filter {
                $0.expectedValue > candidate.expectedValue
                    || ($0.expectedValue == candidate.expectedValue && $0.partnerID < candidate.partnerID)
            }.count
        let partner = partners[candidate.partnerID]
        let timeout = config.offerTimeout(tier: partner?.tier ?? "", type: partner?.type ?? "")
        var event = LedgerEvent(kind: .offered, time: time, actor: "router")
        event.leadID = lead.lead.id
        event.offerID = Self.offerID(offers.count + 1)
        event.partnerID = candidate.partnerID
        event.modelVersion = lead.modelVersion
        // The deadline counts the partner's working time only (offers are made while it is at work).
        if let partner, let hours = config.workingHours(for: partner) {
            event.expiresAt = hours.adding(workingSeconds: timeout, to: time)
        } else {
            event.expiresAt = Timestamp(secondsSinceEpoch: time.secondsSinceEpoch + timeout)
        }
        event.offer = OfferExplanation(
            expectedValue: candidate.expectedValue, winProbability: candidate.winProbability, rank: rank,
            candidateCount: lead.candidates.count, shadowPrice: shadowPrice, bestAlternative: alternative?.0.partnerID,
            alternativeExpectedValue: alternative?.0.expectedValue, alternativeNotChosen: alternative?.1, basis: basis)
        record(event, into: &events)
    }

    /// Offer ids: `O` and the offer's number, zero-padded to eight digits.
    static func offerID(_ number: Int) -> String {
        let digits = String(number)
        return "O" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// Routes the leads together with the batch router over the partners they list, each partner's limit its room
    /// now; turned-down and paused partners stay listed as ineligible (for the explanation). The plan's shadow
    /// prices replace the current ones.
    mutating func routeBatch(_ leadIDs: [String], at time: Timestamp, into events: inout [LedgerEvent]) {
        var listed = Set<String>()
        for id in leadIDs { for candidate in leads[id]?.candidates ?? [] { listed.insert(candidate.partnerID) } }
        var problem: RoutingProblem
        do {
            problem = try RoutingProblem(
                partners: listed.sorted().map { PartnerCapacity(partnerID: $0, capacity: room($0)) })
            for id in leadIDs {
                guard let lead = leads[id] else { continue }
                try problem.addLead(
                    id: id,
                    candidates: lead.candidates.map {
                        RoutingCandidate(
                            partnerID: $0.partnerID, expectedValue: $0.expectedValue, winProbability: $0.winProbability,
                            isAccountOwner: $0.isAccountOwner, isEligible: exclusion(lead, $0.partnerID, at: time) == nil)
                    }, dealValue: lead.lead.estimatedValue)
            }
        } catch {
            // Candidates were checked when the leads were received; a problem here is a programming error. Route one
            // at a time instead of failing the command.
            for id in leadIDs { routeOne(id, at: time, into: &events) }
            return
        }
        let plan: RoutingPlan
        do {
            plan = try Router.route(problem, config: config.routing)
        } catch {
            for id in leadIDs { routeOne(id, at: time, into: &events) }
            return
        }
        var newPrices: [String: Double] = [:]
        for partner in plan.partners { if let price = partner.shadowPrice, price > 0 { newPrices[partner.partnerID] = price } }
        if newPrices != prices {
            var event = LedgerEvent(kind: .repriced, time: time, actor: "router")
            event.prices = newPrices
            record(event, into: &events)
        }
        for assignment in plan.assignments {
            guard let lead = leads[assignment.leadID],
                let candidate = lead.candidates.first(where: { $0.partnerID == assignment.partnerID })
            else { continue }
            let alternative = bestAlternative(lead, chosen: candidate.partnerID, at: time) { _ in
                assignment.bestAlternative?.reason.rawValue ?? "lower value"
            }
            let basis =
                assignment.basis == .policy
                ? (plan.policy == .optimal ? "batch" : plan.policy.rawValue)
                : assignment.basis.rawValue
            offer(
                lead, to: candidate, shadowPrice: assignment.shadowPrice ?? 0, basis: basis, alternative: alternative,
                at: time, into: &events)
        }
        for unassigned in plan.unassigned {
            let open = unassigned.reason != .allFull && unassigned.reason != .shareCap
            settleUnplaced(
                unassigned.leadID, open: open && unassigned.reason != .noEligiblePartner,
                fullReason: unassigned.reason.rawValue, at: time, into: &events)
        }
    }
}
