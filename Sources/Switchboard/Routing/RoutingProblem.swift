/// A partner's room for new leads, and what the fairness controls need to know about it.
public struct PartnerCapacity: Sendable, Equatable, Hashable {
    public var partnerID: String
    /// Open leads it can carry at once, ≥ 0.
    public var capacity: Int
    /// Open leads it carries now, ≥ 0.
    public var openLeads: Int
    /// A new or small partner, guaranteed the configuration's `minimumShare` of the batch when leads allow it.
    public var guaranteedMinimumShare: Bool
    /// The uncertainty of its win rate (for example the posterior standard deviation of a Beta(wins + 1,
    /// losses + 1)), ≥ 0: its candidates' exploration bonus is `exploration × winRateUncertainty × deal value`.
    public var winRateUncertainty: Double
    /// Its weight in the `weighted` policy, > 0; nil for its capacity left.
    public var weight: Double?

    public init(
        partnerID: String, capacity: Int, openLeads: Int = 0, guaranteedMinimumShare: Bool = false,
        winRateUncertainty: Double = 0, weight: Double? = nil
    ) {
        self.partnerID = partnerID
        self.capacity = capacity
        self.openLeads = openLeads
        self.guaranteedMinimumShare = guaranteedMinimumShare
        self.winRateUncertainty = winRateUncertainty
        self.weight = weight
    }

    /// Capacity minus open leads, never negative: the most leads it can take from a batch.
    public var capacityLeft: Int { max(0, capacity - openLeads) }
}

/// One partner a lead could go to.
public struct RoutingCandidate: Sendable, Equatable, Hashable {
    public var partnerID: String
    /// What the lead is worth with this partner (P(win) × deal value in model mode); finite, any sign.
    public var expectedValue: Double
    /// P(win), in [0, 1], when known (model mode); shown in the explanation only.
    public var winProbability: Double?
    /// The partner owns the lead's account: with `honourAccountOwners`, it gets the lead first when it has room.
    public var isAccountOwner: Bool
    /// False for a partner listed for the explanation only (for example the best-scoring partner outside the lead's
    /// territory): never assigned, shown as the best alternative with the reason `ineligible`.
    public var isEligible: Bool

    public init(
        partnerID: String, expectedValue: Double, winProbability: Double? = nil, isAccountOwner: Bool = false,
        isEligible: Bool = true
    ) {
        self.partnerID = partnerID
        self.expectedValue = expectedValue
        self.winProbability = winProbability
        self.isAccountOwner = isAccountOwner
        self.isEligible = isEligible
    }
}

/// A batch to route: the partners with their capacities, and each lead with its candidates.
///
/// Stored flat (one array per field, the candidates of lead k at `candidateStart[k] ..< candidateStart[k + 1]`,
/// ordered by partner id), so a million leads cost a few arrays rather than a million small ones. Leads keep the order
/// they were added in; partners are sorted by id.
public struct RoutingProblem: Sendable {
    /// The partners, sorted by id.
    public let partners: [PartnerCapacity]
    let partnerIndex: [String: Int]
    /// The leads' ids, in the order they were added.
    public private(set) var leadIDs: [String] = []
    var leadIndex: [String: Int] = [:]
    /// Per lead: its deal value, NaN when unknown.
    var dealValues: [Double] = []
    var candidateStart: [Int] = [0]
    var candidatePartner: [Int32] = []
    var candidateValue: [Double] = []
    /// NaN when unknown.
    var candidateWinProbability: [Double] = []
    var candidateIsOwner: [Bool] = []
    var candidateIsEligible: [Bool] = []

    /// - Throws: `RoutingError` for an empty or repeated partner id, a negative capacity or open-lead count, or an
    ///   uncertainty or weight that is not finite and in range.
    public init(partners: [PartnerCapacity]) throws(RoutingError) {
        var index: [String: Int] = [:]
        let sorted = partners.sorted { $0.partnerID < $1.partnerID }
        for (position, partner) in sorted.enumerated() {
            let id = partner.partnerID
            if id.isEmpty { throw .emptyID(what: "a partner") }
            if index.updateValue(position, forKey: id) != nil { throw .duplicatePartner(id) }
            if partner.capacity < 0 {
                throw .invalidPartner(partner: id, field: "capacity", value: "\(partner.capacity)", requirement: "must be >= 0")
            }
            if partner.openLeads < 0 {
                throw .invalidPartner(
                    partner: id, field: "open leads", value: "\(partner.openLeads)", requirement: "must be >= 0")
            }
            if !(partner.winRateUncertainty >= 0 && partner.winRateUncertainty.isFinite) {
                throw .invalidPartner(
                    partner: id, field: "win-rate uncertainty", value: "\(partner.winRateUncertainty)",
                    requirement: "must be finite and >= 0")
            }
            if let weight = partner.weight, !(weight > 0 && weight.isFinite) {
                throw .invalidPartner(partner: id, field: "weight", value: "\(weight)", requirement: "must be finite and > 0")
            }
        }
        self.partners = sorted
        self.partnerIndex = index
    }

    /// Adds a lead with its candidates (in any order; an empty list is allowed and routes as `no eligible partner`).
    /// - Throws: `RoutingError` for an empty or repeated lead id, a partner with no capacity listed, a partner named
    ///   twice, a value that is not finite, a win probability outside [0, 1], more than one account owner, or a deal
    ///   value that is not finite and ≥ 0. The problem is unchanged when it throws.
    public mutating func addLead(id: String, candidates: [RoutingCandidate], dealValue: Double? = nil)
        throws(RoutingError)
    {
        if id.isEmpty { throw .emptyID(what: "a lead") }
        if leadIndex[id] != nil { throw .duplicateLead(id) }
        if let dealValue, !(dealValue >= 0 && dealValue.isFinite) { throw .invalidDealValue(lead: id, value: dealValue) }
        var indexed: [(partner: Int, candidate: RoutingCandidate)] = []
        indexed.reserveCapacity(candidates.count)
        for candidate in candidates {
            guard let partner = partnerIndex[candidate.partnerID] else {
                throw .unknownPartner(lead: id, partner: candidate.partnerID)
            }
            if !candidate.expectedValue.isFinite {
                throw .invalidCandidate(
                    lead: id, partner: candidate.partnerID, field: "expected value", value: "\(candidate.expectedValue)",
                    requirement: "must be finite")
            }
            if let p = candidate.winProbability, !(p >= 0 && p <= 1) {
                throw .invalidCandidate(
                    lead: id, partner: candidate.partnerID, field: "win probability", value: "\(p)",
                    requirement: "must be in [0, 1]")
            }
            indexed.append((partner, candidate))
        }
        indexed.sort { $0.partner < $1.partner }
        for k in indexed.indices.dropFirst() where indexed[k].partner == indexed[k - 1].partner {
            throw .duplicateCandidate(lead: id, partner: indexed[k].candidate.partnerID)
        }
        let owners = indexed.filter { $0.candidate.isAccountOwner }
        if owners.count > 1 { throw .severalOwners(lead: id, partners: owners.map(\.candidate.partnerID)) }
        leadIndex[id] = leadIDs.count
        leadIDs.append(id)
        dealValues.append(dealValue ?? .nan)
        for (partner, candidate) in indexed {
            candidatePartner.append(Int32(partner))
            candidateValue.append(candidate.expectedValue)
            candidateWinProbability.append(candidate.winProbability ?? .nan)
            candidateIsOwner.append(candidate.isAccountOwner)
            candidateIsEligible.append(candidate.isEligible)
        }
        candidateStart.append(candidatePartner.count)
    }

    /// The number of leads.
    public var leadCount: Int { leadIDs.count }

    /// The number of candidates over all leads.
    public var candidateCount: Int { candidatePartner.count }

    /// Lead `lead`'s candidates (its position in `leadIDs`), ordered by partner id.
    public func candidates(ofLead lead: Int) -> [RoutingCandidate] {
        (candidateStart[lead]..<candidateStart[lead + 1]).map(candidate)
    }

    /// Lead `lead`'s deal value, when given.
    public func dealValue(ofLead lead: Int) -> Double? {
        dealValues[lead].isNaN ? nil : dealValues[lead]
    }

    /// The position of the partner with this id in `partners`, if any.
    public func partnerPosition(of id: String) -> Int? { partnerIndex[id] }

    /// The position of the lead with this id in `leadIDs`, if any.
    public func leadPosition(of id: String) -> Int? { leadIndex[id] }

    func candidate(_ index: Int) -> RoutingCandidate {
        RoutingCandidate(
            partnerID: partners[Int(candidatePartner[index])].partnerID, expectedValue: candidateValue[index],
            winProbability: candidateWinProbability[index].isNaN ? nil : candidateWinProbability[index],
            isAccountOwner: candidateIsOwner[index], isEligible: candidateIsEligible[index])
    }
}
