/// The kinds of partner in a channel ecosystem.
public enum PartnerType: String, Sendable, Codable, CaseIterable {
    case reseller, msp
    case systemIntegrator = "system integrator"
    case isv, oem, referral, distributor
}

/// Programme tiers, highest first.
public enum PartnerTier: String, Sendable, Codable, CaseIterable {
    case platinum, gold, silver, registered
}

/// Whether a partner takes leads now.
public enum PartnerStatus: String, Sendable, Codable, CaseIterable {
    case active, paused
    case outOfOffice = "out of office"

    public init(from decoder: any Decoder) throws { self = try Self.decodeNamedCase(from: decoder) }
}

/// How an assigned lead ended.
public enum OutcomeKind: String, Sendable, Codable, CaseIterable {
    /// Closed as a sale.
    case won
    /// Worked and lost.
    case lost
    /// The partner refused the lead.
    case declined
    /// The partner never acted on it before its deadline.
    case expired
}

/// The kinds of action a channel manager can push to a partner.
public enum ActionType: String, Sendable, Codable, CaseIterable {
    case training, certification, campaign, incentive, onboarding
    case businessReview = "business review"
}

/// The activity figures a partner portal reports, over a period or over the last 12 months.
public struct ActivityFigures: Sendable, Codable, Equatable {
    public var portalLogins: Double
    public var trainingsCompleted: Double
    public var dealRegistrations: Double
    public var marketingFundsUsed: Double
    public var revenue: Double

    public init(
        portalLogins: Double, trainingsCompleted: Double, dealRegistrations: Double, marketingFundsUsed: Double, revenue: Double
    ) {
        self.portalLogins = portalLogins
        self.trainingsCompleted = trainingsCompleted
        self.dealRegistrations = dealRegistrations
        self.marketingFundsUsed = marketingFundsUsed
        self.revenue = revenue
    }
}

/// A partner: who it is, what it knows, how much it can take, and how active it is.
public struct Partner: Sendable, Codable, Equatable, Identifiable {
    public var id: String
    public var name: String
    public var type: PartnerType
    public var tier: PartnerTier
    public var region: String
    public var country: String
    public var verticals: [String]
    public var technologies: [String]
    public var certifications: [String]
    /// Open leads it can carry at once.
    public var capacity: Int
    /// Open leads it carries now.
    public var openLeads: Int
    public var status: PartnerStatus
    /// The channel manager who looks after it.
    public var managerID: String
    public var joined: Timestamp
    /// Activity over the last 12 months.
    public var activity: ActivityFigures

    /// Capacity left: capacity minus open leads, never negative.
    public var remainingCapacity: Int { max(0, capacity - openLeads) }
}

/// An incoming or historical lead.
public struct Lead: Sendable, Codable, Equatable, Identifiable {
    public var id: String
    public var created: Timestamp
    public var region: String
    public var country: String
    public var vertical: String
    public var technology: String
    public var sizeBand: String
    public var estimatedValue: Double
    public var source: String
    public var requiredCertifications: [String]
    /// An account already owned by a partner, when known.
    public var accountID: String?
}

/// One historical assignment of a lead to a partner and how it ended.
public struct Outcome: Sendable, Codable, Equatable {
    public var leadID: String
    public var partnerID: String
    public var assigned: Timestamp
    public var outcome: OutcomeKind
    public var closed: Timestamp?
    public var revenue: Double
}

/// A partner's activity over one period, and whether it churned (left or went dormant) in the next one.
public struct PartnerActivity: Sendable, Codable, Equatable {
    public var partnerID: String
    public var period: Int
    public var figures: ActivityFigures
    public var churnedNext: Bool
}

/// What an action does to a partner's attributes: additive changes to activity figures, certifications gained,
/// and a change in its quality (win propensity, on the logit scale).
public struct ActionEffect: Sendable, Codable, Equatable {
    public var attribute: String
    public var change: Double
}

/// An action in the catalogue a channel manager can push.
public struct Action: Sendable, Codable, Equatable, Identifiable {
    public var id: String
    public var name: String
    public var type: ActionType
    /// Partner types it applies to (all when empty).
    public var eligibleTypes: [PartnerType]
    /// Tiers it applies to (all when empty).
    public var eligibleTiers: [PartnerTier]
    public var cost: Double
    public var effects: [ActionEffect]

    /// Whether `partner` may receive this action.
    public func isEligible(_ partner: Partner) -> Bool {
        (eligibleTypes.isEmpty || eligibleTypes.contains(partner.type))
            && (eligibleTiers.isEmpty || eligibleTiers.contains(partner.tier))
    }
}

/// An action that was taken.
public struct ActionTaken: Sendable, Codable, Equatable {
    public var partnerID: String
    public var actionID: String
    public var time: Timestamp
}
