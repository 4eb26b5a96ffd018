/// What happened to a lead, an offer or a partner: one entry of the live router's ledger.
public enum LedgerEventKind: String, Sendable, Codable, CaseIterable {
    /// A lead arrived, with its scored candidates.
    case received
    /// The lead was offered to a partner (`offerID`, `partnerID`, `offer`, `expiresAt`).
    case offered
    /// The partner accepted the offer.
    case accepted
    /// The partner declined the offer (`reason`); the lead is re-routed and never offered to it again.
    case declined
    /// The offer was not answered in time; the lead is re-routed and never offered to that partner again.
    case expired
    /// Every eligible partner worth routing to is full (or the lead is worth less than its shadow price): it waits.
    case queued
    /// No partner is eligible, or none is worth anything (`reason`).
    case unroutable
    /// The lead went to the overflow owner (`partnerID`): it waited too long, or every eligible partner turned it down.
    case overflowed
    /// The accepted lead was won or lost (`won`, `revenue`); its partner's capacity is freed.
    case outcome
    /// The partner gets no new offers (`reason`).
    case paused
    /// The partner takes offers again.
    case resumed
    /// The partners' shadow prices after a batch solve (`prices`, the non-zero ones).
    case repriced
}

/// One of a lead's scored candidate partners.
public struct LiveCandidate: Sendable, Codable, Equatable {
    public var partnerID: String
    public var expectedValue: Double
    public var winProbability: Double?
    public var isAccountOwner: Bool

    public init(partnerID: String, expectedValue: Double, winProbability: Double? = nil, isAccountOwner: Bool = false) {
        self.partnerID = partnerID
        self.expectedValue = expectedValue
        self.winProbability = winProbability
        self.isAccountOwner = isAccountOwner
    }
}

/// Why an offer went where it did.
public struct OfferExplanation: Sendable, Codable, Equatable {
    public var expectedValue: Double
    public var winProbability: Double?
    /// The partner's place in the lead's candidates by expected value (1 = its best; ties by partner id).
    public var rank: Int
    public var candidateCount: Int
    /// The shadow price of the partner's capacity the decision used.
    public var shadowPrice: Double
    /// The candidate with the highest expected value other than the chosen one, and why it was not chosen.
    public var bestAlternative: String?
    public var alternativeExpectedValue: Double?
    public var alternativeNotChosen: String?
    /// How the lead was placed: `stream` (on arrival, best value net of shadow price), `batch` (the exact optimum of
    /// the queue and the leads routed with it), `account owner`, `minimum share`.
    public var basis: String

    public init(
        expectedValue: Double, winProbability: Double?, rank: Int, candidateCount: Int, shadowPrice: Double,
        bestAlternative: String?, alternativeExpectedValue: Double?, alternativeNotChosen: String?, basis: String
    ) {
        self.expectedValue = expectedValue
        self.winProbability = winProbability
        self.rank = rank
        self.candidateCount = candidateCount
        self.shadowPrice = shadowPrice
        self.bestAlternative = bestAlternative
        self.alternativeExpectedValue = alternativeExpectedValue
        self.alternativeNotChosen = alternativeNotChosen
        self.basis = basis
    }
}

/// One ledger entry: its kind, when, who did it (`router`, `clock`, a token's role), and the fields of its kind.
/// Every routing decision (offered, queued, unroutable, overflowed) carries the model version its scores came from.
public struct LedgerEvent: Sendable, Codable, Equatable {
    public var kind: LedgerEventKind
    public var time: Timestamp
    public var actor: String
    public var leadID: String?
    public var offerID: String?
    public var partnerID: String?
    public var reason: String?
    public var modelVersion: String?
    public var lead: Lead?
    public var candidates: [LiveCandidate]?
    public var offer: OfferExplanation?
    public var expiresAt: Timestamp?
    public var won: Bool?
    public var revenue: Double?
    public var prices: [String: Double]?

    public init(kind: LedgerEventKind, time: Timestamp, actor: String) {
        self.kind = kind
        self.time = time
        self.actor = actor
    }
}
