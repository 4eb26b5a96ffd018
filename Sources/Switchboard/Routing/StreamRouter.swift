/// A partner's capacity price from the last batch solve, and the capacity it has left for leads that arrive before
/// the next batch.
public struct PartnerPrice: Sendable, Equatable {
    public var partnerID: String
    /// The shadow price of its capacity in the last optimal batch, in value units, ≥ 0.
    public var shadowPrice: Double
    /// Leads it can still take, ≥ 0.
    public var remainingCapacity: Int

    public init(partnerID: String, shadowPrice: Double, remainingCapacity: Int) {
        self.partnerID = partnerID
        self.shadowPrice = shadowPrice
        self.remainingCapacity = remainingCapacity
    }
}

extension RoutingPlan {
    /// Each partner's shadow price (0 when the policy was not `optimal`) and capacity left after this batch, for
    /// `StreamRouter`.
    public var partnerPrices: [PartnerPrice] {
        partners.map {
            PartnerPrice(partnerID: $0.partnerID, shadowPrice: $0.shadowPrice ?? 0, remainingCapacity: $0.remainingCapacity)
        }
    }
}

/// Where a streamed lead went.
public struct StreamDecision: Sendable, Equatable {
    public var leadID: String
    /// The partner chosen, or nil.
    public var partnerID: String?
    public var expectedValue: Double?
    public var winProbability: Double?
    /// The chosen partner's shadow price, and the lead's value net of it.
    public var shadowPrice: Double?
    public var netValue: Double?
    /// The chosen partner's capacity left after this lead.
    public var remainingCapacity: Int?
    /// Why the lead was not routed (nil when it was).
    public var reason: UnassignedReason?
}

/// Routes leads one at a time as they arrive, between batch solves, with the capacity prices of the last batch.
///
/// A lead goes to the eligible candidate with room that maximises `expected value − shadow price` (ties: the higher
/// expected value, then the lower partner id), provided its value is positive and at least the price: the shadow
/// price is what that slot is worth to the leads of a batch, so a lead worth less than it is better held for the next
/// batch (`below the shadow price`). The chosen partner's remaining capacity goes down by one. This is the batch
/// optimum's own rule: in the optimal plan every lead sits on a candidate maximising value − price.
public struct StreamRouter: Sendable {
    /// The prices and capacities, sorted by partner id; capacities go down as leads are routed.
    public private(set) var prices: [PartnerPrice]
    private let index: [String: Int]

    /// - Throws: `RoutingError` for an empty or repeated partner id, or a price or capacity that is negative or not
    ///   finite.
    public init(prices: [PartnerPrice]) throws(RoutingError) {
        let sorted = prices.sorted { $0.partnerID < $1.partnerID }
        var index: [String: Int] = [:]
        for (position, price) in sorted.enumerated() {
            if price.partnerID.isEmpty { throw .emptyID(what: "a partner") }
            if index.updateValue(position, forKey: price.partnerID) != nil { throw .duplicatePartner(price.partnerID) }
            if !(price.shadowPrice >= 0 && price.shadowPrice.isFinite) {
                throw .invalidPartner(
                    partner: price.partnerID, field: "shadow price", value: "\(price.shadowPrice)",
                    requirement: "must be finite and >= 0")
            }
            if price.remainingCapacity < 0 {
                throw .invalidPartner(
                    partner: price.partnerID, field: "remaining capacity", value: "\(price.remainingCapacity)",
                    requirement: "must be >= 0")
            }
        }
        self.prices = sorted
        self.index = index
    }

    /// The prices of the last batch with the capacity left now: each partner `capacities` lists gets its capacity
    /// minus open leads as its remaining capacity (partners close leads between batches); one the prices do not list
    /// is priced 0; one only the prices list keeps their remaining capacity.
    /// - Throws: `RoutingError` as `init(prices:)`, and for a partner listed twice in `capacities`.
    public init(prices: [PartnerPrice], capacities: [PartnerCapacity]) throws(RoutingError) {
        var merged = prices
        var position: [String: Int] = [:]
        for (index, price) in prices.enumerated() { position[price.partnerID] = index }
        var seen = Set<String>()
        for partner in capacities {
            if !seen.insert(partner.partnerID).inserted { throw .duplicatePartner(partner.partnerID) }
            if let index = position[partner.partnerID] {
                merged[index].remainingCapacity = partner.capacityLeft
            } else {
                merged.append(
                    PartnerPrice(partnerID: partner.partnerID, shadowPrice: 0, remainingCapacity: partner.capacityLeft))
            }
        }
        try self.init(prices: merged)
    }

    /// Routes one lead and takes one unit of the chosen partner's capacity.
    /// - Throws: `RoutingError` for a candidate partner with no price, a partner named twice, or a value that is not
    ///   finite; nothing changes when it throws.
    public mutating func route(leadID: String, candidates: [RoutingCandidate]) throws(RoutingError) -> StreamDecision {
        if leadID.isEmpty { throw .emptyID(what: "a lead") }
        var seen = Set<String>()
        for candidate in candidates {
            guard index[candidate.partnerID] != nil else { throw .unknownPartner(lead: leadID, partner: candidate.partnerID) }
            if !seen.insert(candidate.partnerID).inserted {
                throw .duplicateCandidate(lead: leadID, partner: candidate.partnerID)
            }
            if !candidate.expectedValue.isFinite {
                throw .invalidCandidate(
                    lead: leadID, partner: candidate.partnerID, field: "expected value", value: "\(candidate.expectedValue)",
                    requirement: "must be finite")
            }
        }
        var decision = StreamDecision(leadID: leadID)
        let eligible = candidates.filter(\.isEligible)
        if eligible.isEmpty {
            decision.reason = .noEligiblePartner
            return decision
        }
        let positive = eligible.filter { $0.expectedValue > 0 }
        if positive.isEmpty {
            decision.reason = .noPositiveValue
            return decision
        }
        let open = positive.filter { prices[index[$0.partnerID]!].remainingCapacity > 0 }
        if open.isEmpty {
            decision.reason = .allFull
            return decision
        }
        var best: (candidate: RoutingCandidate, net: Double)?
        for candidate in open {
            let net = candidate.expectedValue - prices[index[candidate.partnerID]!].shadowPrice
            if let current = best {
                if net < current.net { continue }
                if net == current.net {
                    if candidate.expectedValue < current.candidate.expectedValue { continue }
                    if candidate.expectedValue == current.candidate.expectedValue
                        && candidate.partnerID > current.candidate.partnerID
                    {
                        continue
                    }
                }
            }
            best = (candidate, net)
        }
        let (candidate, net) = best!
        let position = index[candidate.partnerID]!
        guard net >= 0 else {
            decision.reason = .belowShadowPrice
            return decision
        }
        prices[position].remainingCapacity -= 1
        decision.partnerID = candidate.partnerID
        decision.expectedValue = candidate.expectedValue
        decision.winProbability = candidate.winProbability
        decision.shadowPrice = prices[position].shadowPrice
        decision.netValue = net
        decision.remainingCapacity = prices[position].remainingCapacity
        return decision
    }
}
