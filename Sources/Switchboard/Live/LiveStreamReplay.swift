/// What a stream of arrivals earned under one routing policy (`LiveStreamReplay`).
public struct LiveStreamOutcome: Sendable, Equatable {
    public var policy: RoutingPolicy
    /// The sum of the accepted offers' expected values.
    public var expectedValue: Double
    public var offers: Int
    /// Leads still waiting when the stream ended.
    public var stillQueued: Int
    public var unroutable: Int
    public var overflowed: Int
}

/// Replays leads as a stream of arrivals through the live router, to measure what the queue's batch optimisation adds
/// over greedy routing on arrival.
///
/// Each lead arrives at its `created` time; every offer is accepted at once and the lead stays open for
/// `holdSeconds`, then closes (an outcome) and frees its partner's slot, which drains the queue. The same
/// `LiveRouter` runs once per policy: `.optimal` (arrivals net of the current shadow prices, the queue routed by the
/// exact optimum whenever capacity frees) and `.greedy` (each lead to its best partner with room, the queue greedily).
///
/// Leads arrive one at a time (`importWindow` 0) or as periodic imports, as a CRM sync delivers them: with an
/// `importWindow` of w seconds, the leads created in each window [k·w, (k + 1)·w) of the epoch arrive together at the
/// window's end, one `submit` of the whole batch, which the optimal policy routes by the exact batch optimum.
public enum LiveStreamReplay {
    /// The arrivals: each submission's time and its leads, in time order (leads by creation, then id).
    /// - Parameter importWindow: 0 for one submission per lead at its creation; w > 0 for one per non-empty window.
    public static func submissions(_ inputs: [LiveLeadInput], importWindow: Int64 = 0) -> [(
        time: Timestamp, leads: [LiveLeadInput]
    )] {
        precondition(importWindow >= 0, "importWindow must be >= 0")
        let ordered = inputs.sorted { ($0.lead.created, $0.lead.id) < ($1.lead.created, $1.lead.id) }
        guard importWindow > 0 else { return ordered.map { ($0.lead.created, [$0]) } }
        var batches: [(time: Timestamp, leads: [LiveLeadInput])] = []
        for input in ordered {
            let seconds = input.lead.created.secondsSinceEpoch
            // Floor division, so that windows stay aligned before the epoch too.
            let window = seconds >= 0 ? seconds / importWindow : -((-seconds + importWindow - 1) / importWindow)
            let end = Timestamp(secondsSinceEpoch: (window + 1) * importWindow)
            if let last = batches.last, last.time == end {
                batches[batches.count - 1].leads.append(input)
            } else {
                batches.append((end, [input]))
            }
        }
        return batches
    }

    /// - Parameters:
    ///   - inputs: the scored leads, in any order (sorted by arrival, then id).
    ///   - config: the live configuration; its routing policy is replaced by `policy`.
    ///   - importWindow: seconds; 0 submits each lead alone at its creation, w > 0 each window's leads together.
    /// - Complexity: one router command per submission and per closing; each batch solve is over the queue.
    public static func run(
        _ inputs: [LiveLeadInput], partners: [LivePartner], config: LiveConfig, policy: RoutingPolicy, holdSeconds: Int64,
        importWindow: Int64 = 0
    ) -> LiveStreamOutcome {
        var config = config
        config.routing.policy = policy
        var router = LiveRouter(partners: partners, config: config)
        var value = 0.0
        // Open leads by closing time (a min-heap would be faster; the list stays as short as the total capacity).
        var closings: [(time: Timestamp, lead: String)] = []
        func acceptOffers(_ events: [LedgerEvent]) {
            for event in events where event.kind == .offered {
                guard let offerID = event.offerID, let leadID = event.leadID,
                    (try? router.accept(offer: offerID, at: event.time, actor: "partner")) != nil
                else { continue }
                value += event.offer?.expectedValue ?? 0
                closings.append((Timestamp(secondsSinceEpoch: event.time.secondsSinceEpoch + holdSeconds), leadID))
            }
        }
        func close(until time: Timestamp) {
            while let first = closings.indices.min(by: {
                (closings[$0].time, closings[$0].lead) < (closings[$1].time, closings[$1].lead)
            }),
                closings[first].time <= time
            {
                let closing = closings.remove(at: first)
                if let events = try? router.recordOutcome(
                    lead: closing.lead, won: false, revenue: 0, at: closing.time, actor: "crm")
                {
                    acceptOffers(events)
                }
            }
        }
        for submission in submissions(inputs, importWindow: importWindow) {
            close(until: submission.time)
            acceptOffers(router.advance(to: submission.time))
            if let events = try? router.submit(submission.leads, modelVersion: "replay", at: submission.time, actor: "crm")
            {
                acceptOffers(events)
            }
        }
        var outcome = LiveStreamOutcome(
            policy: policy, expectedValue: value, offers: router.offers.count, stillQueued: router.queue.count,
            unroutable: 0, overflowed: 0)
        for lead in router.leads.values {
            if lead.state == .unroutable { outcome.unroutable += 1 }
            if lead.state == .overflowed { outcome.overflowed += 1 }
        }
        return outcome
    }

    /// The optimal and greedy policies on the same stream.
    public static func compare(
        _ inputs: [LiveLeadInput], partners: [LivePartner], config: LiveConfig, holdSeconds: Int64,
        importWindow: Int64 = 0
    ) -> (optimal: LiveStreamOutcome, greedy: LiveStreamOutcome) {
        (
            run(
                inputs, partners: partners, config: config, policy: .optimal, holdSeconds: holdSeconds,
                importWindow: importWindow),
            run(
                inputs, partners: partners, config: config, policy: .greedy, holdSeconds: holdSeconds,
                importWindow: importWindow)
        )
    }
}
