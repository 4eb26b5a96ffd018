/// A routed batch: every lead either assigned, with its explanation, or unassigned, with its reason.
public struct RoutingPlan: Sendable, Equatable {
    public var policy: RoutingPolicy
    /// The assigned leads, in the problem's lead order.
    public var assignments: [RoutingAssignment]
    /// The leads left unassigned, in the problem's lead order.
    public var unassigned: [UnassignedLead]
    /// Every partner's outcome, sorted by id.
    public var partners: [PartnerOutcome]
    /// Σ expected value of the assignments (bonuses not included).
    public var totalExpectedValue: Double
    /// The quantity the policy maximises: Σ over the assignments of the expected value plus the exploration and
    /// reserved-slot bonuses, each rounded to the value resolution (for `optimal` and `greedy`; for the baselines,
    /// the same quantity for comparison).
    public var objective: Double
    /// For `optimal`: the dual bound (Σ lead profits + Σ slots × shadow price, in the same rounded units), equal to
    /// `objective`, which proves the plan optimal. Nil for the other policies.
    public var dualBound: Double?
    /// How many leads went to their account owner before the policy ran.
    public var ownerAssignments: Int
}

/// Why a lead went where it did.
public enum AssignmentBasis: String, Sendable, Equatable, CaseIterable {
    /// Its account owner, honoured before the policy ran.
    case accountOwner = "account owner"
    /// A reserved slot of a partner with a guaranteed minimum share.
    case minimumShare = "minimum share"
    /// The policy's choice.
    case policy
}

/// Why the best alternative partner was not chosen.
public enum AlternativeReason: String, Sendable, Equatable, CaseIterable {
    /// Listed for the explanation but not eligible for the lead.
    case ineligible
    /// The lead went to its account owner first.
    case accountOwner = "account owner first"
    /// The partner has no room left in the plan (its capacity left is used up).
    case full
    /// The partner reached its share of the batch (`maxShare`), below its capacity left.
    case shareCap = "share cap"
    /// It would have been worth less.
    case lowerValue = "lower value"
    /// It would have been worth the same; the tie went the other way.
    case equalValue = "equal value"
    /// It was worth more, but the chosen partner's exploration or reserved-slot bonus outweighed the difference.
    case bonus = "outweighed by bonus"
    /// A value-blind baseline (round-robin, weighted) picked another partner.
    case baselineChoice = "baseline choice"
    /// Its value, with bonuses, is not positive: an unassigned lead is worth as much.
    case noValue = "no positive value"
}

/// Why a lead was left unassigned.
public enum UnassignedReason: String, Sendable, Equatable, CaseIterable {
    /// No candidate, or none eligible.
    case noEligiblePartner = "no eligible partner"
    /// Every eligible candidate is worth nothing (value with bonuses ≤ 0) to the value-driven policies.
    case noPositiveValue = "no positive value"
    /// Every eligible candidate worth routing to is full.
    case allFull = "all eligible partners full"
    /// Every eligible candidate worth routing to is full or at its share cap, and at least one at its share cap.
    case shareCap = "all eligible partners full or at their share cap"
    /// Streaming: every candidate with room is worth less than its capacity's shadow price (hold for the next batch).
    case belowShadowPrice = "below the shadow price"
}

/// The best alternative to the partner chosen (the candidate with the highest expected value other than it, ties
/// by partner id), and why it was not chosen.
public struct RoutingAlternative: Sendable, Equatable {
    public var partnerID: String
    public var expectedValue: Double
    public var reason: AlternativeReason

    public init(partnerID: String, expectedValue: Double, reason: AlternativeReason) {
        self.partnerID = partnerID
        self.expectedValue = expectedValue
        self.reason = reason
    }
}

/// A lead assigned to a partner, with its explanation.
public struct RoutingAssignment: Sendable, Equatable {
    /// The lead's position in the problem.
    public var leadIndex: Int
    public var leadID: String
    public var partnerID: String
    public var expectedValue: Double
    public var winProbability: Double?
    /// The chosen partner's rank in the lead's list: 1 + the number of candidates with a higher expected value (ties
    /// by partner id), eligible or not.
    public var rank: Int
    public var candidateCount: Int
    public var basis: AssignmentBasis
    public var bestAlternative: RoutingAlternative?
    /// For `optimal`: the shadow price of the chosen partner's capacity (what one more slot would add to the optimum).
    public var shadowPrice: Double?
}

/// A lead left unassigned, with the reason.
public struct UnassignedLead: Sendable, Equatable {
    public var leadIndex: Int
    public var leadID: String
    public var reason: UnassignedReason
    public var candidateCount: Int
    /// Its best candidate (highest expected value, ties by partner id) and why it was not used.
    public var bestAlternative: RoutingAlternative?
}

/// How a partner came out of the batch.
public struct PartnerOutcome: Sendable, Equatable {
    public var partnerID: String
    /// Capacity minus open leads before the batch.
    public var capacityLeft: Int
    /// The most it could take from this batch: min(capacity left, share cap).
    public var limit: Int
    /// True when the share cap is below the capacity left.
    public var isShareCapped: Bool
    /// Slots reserved for its guaranteed minimum share (0 when not flagged).
    public var reserved: Int
    /// Leads assigned in the batch, owners' included.
    public var assigned: Int
    /// Of which to it as account owner.
    public var ownerAssigned: Int
    /// For `optimal`: the shadow price of its limit, in value units; 0 for a partner with room left.
    public var shadowPrice: Double?

    /// Capacity left after the batch.
    public var remainingCapacity: Int { capacityLeft - assigned }
}
