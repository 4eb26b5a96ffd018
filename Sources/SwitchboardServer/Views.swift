import Foundation
import Switchboard

/// The JSON shapes of the API's answers (documented in docs/openapi.yaml).
enum Views {
    static func optional(_ value: Any?) -> Any { value ?? NSNull() }

    /// A lead's state: `lead_id`, `state`, the current offer when offered or accepted, the reason when queued,
    /// unroutable or overflowed, the owner when overflowed.
    static func lead(_ router: LiveRouter, _ id: String) -> [String: Any] {
        guard let lead = router.leads[id] else { return ["lead_id": id, "state": "unknown"] }
        var view: [String: Any] = [
            "lead_id": id, "state": lead.state.rawValue, "model_version": lead.modelVersion,
            "received_at": lead.received.description,
        ]
        if let reason = lead.reason, [.queued, .unroutable, .overflowed].contains(lead.state) { view["reason"] = reason }
        if let owner = lead.owner { view["owner"] = owner }
        if let since = lead.queuedSince, lead.state == .queued { view["queued_since"] = since.description }
        if [.offered, .accepted, .won, .lost].contains(lead.state), let offerID = lead.offerID,
            let offer = router.offers[offerID]
        {
            view["offer"] = Self.offer(offer)
        }
        return view
    }

    static func offer(_ offer: LiveOffer) -> [String: Any] {
        let e = offer.explanation
        return [
            "id": offer.id, "lead_id": offer.leadID, "partner_id": offer.partnerID, "state": offer.state.rawValue,
            "offered_at": offer.created.description, "expires_at": offer.expiresAt.description,
            "answered_at": optional(offer.answered?.description), "expected_value": e.expectedValue,
            "win_probability": optional(e.winProbability), "rank": e.rank, "candidates": e.candidateCount,
            "shadow_price": e.shadowPrice, "best_alternative": optional(e.bestAlternative),
            "alternative_expected_value": optional(e.alternativeExpectedValue),
            "alternative_not_chosen": optional(e.alternativeNotChosen), "basis": e.basis,
            "model_version": offer.modelVersion,
        ]
    }

    /// One ledger event as the audit trail shows it.
    static func event(_ event: LedgerEvent) -> [String: Any] {
        var view: [String: Any] = ["time": event.time.description, "event": event.kind.rawValue, "actor": event.actor]
        if let offer = event.offerID { view["offer_id"] = offer }
        if let partner = event.partnerID { view["partner_id"] = partner }
        if let reason = event.reason { view["reason"] = reason }
        if let version = event.modelVersion { view["model_version"] = version }
        if let expires = event.expiresAt { view["expires_at"] = expires.description }
        if let e = event.offer {
            view["expected_value"] = e.expectedValue
            view["win_probability"] = optional(e.winProbability)
            view["rank"] = e.rank
            view["shadow_price"] = e.shadowPrice
            view["basis"] = e.basis
            view["best_alternative"] = optional(e.bestAlternative)
            view["alternative_not_chosen"] = optional(e.alternativeNotChosen)
        }
        if let candidates = event.candidates { view["candidates"] = candidates.count }
        if let won = event.won { view["outcome"] = won ? "won" : "lost" }
        if let revenue = event.revenue { view["revenue"] = revenue }
        return view
    }

    /// The lead, its candidates and its whole history.
    static func history(_ router: LiveRouter, _ lead: LiveLead) -> [String: Any] {
        var view = Self.lead(router, lead.lead.id)
        let l = lead.lead
        view["lead"] = [
            "id": l.id, "created": l.created.description, "region": l.region, "country": l.country, "vertical": l.vertical,
            "technology": l.technology, "size_band": l.sizeBand, "estimated_value": l.estimatedValue, "source": l.source,
            "required_certifications": l.requiredCertifications, "account_id": optional(l.accountID),
        ]
        view["candidates"] = lead.candidates.map {
            [
                "partner_id": $0.partnerID, "expected_value": $0.expectedValue, "win_probability": optional($0.winProbability),
                "account_owner": $0.isAccountOwner, "excluded": optional(lead.excluded[$0.partnerID]),
            ] as [String: Any]
        }
        view["history"] = lead.history.map(event)
        return view
    }

    /// A partner's state at `now`: capacity and load, counts, response time, shadow price, working hours.
    static func partner(_ router: LiveRouter, _ id: String, now: Timestamp) -> [String: Any] {
        let partner = router.partners[id]
        let ledger = router.ledgers[id] ?? PartnerLedger()
        let hours: Any = partner.map { workingHours(router.config, $0, now: now) } ?? NSNull()
        return [
            "working_hours": hours,
            "partner_id": id, "capacity": partner?.capacity ?? 0, "open_leads_before": partner?.openLeads ?? 0,
            "offers_pending": ledger.pending, "open_leads": ledger.open, "room": router.room(id), "paused": ledger.paused,
            "pause_reason": optional(ledger.pauseReason), "offered": ledger.offered, "accepted": ledger.accepted,
            "declined": ledger.declined, "expired": ledger.expired, "won": ledger.won, "lost": ledger.lost,
            "consecutive_expiries": ledger.consecutiveExpiries, "acceptance_rate": optional(ledger.acceptanceRate),
            "mean_response_seconds": optional(ledger.meanResponseSeconds),
            "shadow_price": router.prices[id] ?? 0,
        ]
    }

    /// The partner's schedule from `--config` (null: it works around the clock): `from` says whose schedule it is
    /// (`partner`, its tier's or type's name, `default`); `at_work` and `next_start` are as of `now`.
    static func workingHours(_ config: LiveConfig, _ partner: LivePartner, now: Timestamp) -> Any {
        guard let found = config.workingHoursSource(for: partner) else { return NSNull() }
        let hours = found.hours, source = found.source
        let atWork = hours.isWorking(at: now)
        return [
            "utc_offset": hours.utcOffsetText, "days": hours.days.sorted().map { WorkingHours.dayNames[$0] },
            "start": WorkingHours.clockText(hours.start), "end": WorkingHours.clockText(hours.end), "from": source,
            "at_work": atWork, "next_start": atWork ? NSNull() : hours.nextStart(atOrAfter: now).description,
        ] as [String: Any]
    }
}
