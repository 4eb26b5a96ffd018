import LinearAlgebra

/// The hidden ground truth behind a generated ecosystem, so tests and benchmarks can measure how well the models
/// recover it.
///
/// A lead worked by a partner (not declined) is won with probability
///
///     P(won) = σ(z),  z = base + size + source + value band + tier + type×size
///              + quality + skill[vertical] + 0.9·[vertical ∈ partner's verticals] + 0.6·[technology ∈ partner's]
///              + certification term + 0.35·[same region] − 1.1·min(utilisation, 2)
///
/// (a lead not won expires unworked with probability 0.03 + 0.05·min(utilisation, 2), and is lost otherwise), where
/// the certification term is
/// +0.5 when the lead requires a certification the partner holds and −0.9 when it requires one the partner lacks,
/// utilisation is the partner's open leads over its capacity when the lead is assigned, and quality includes the
/// lasting effect of the actions the partner received.
public struct EcosystemTruth: Sendable {
    /// Each partner's hidden quality on the logit scale (at the end of the history, actions included).
    public var quality: [String: Double]
    /// Each partner's hidden skill per vertical (`Vocabulary.verticals` order), on the logit scale.
    public var verticalSkill: [String: [Double]]
    /// The true P(won) of every historical outcome that was not declined, in the order of the outcomes file.
    public var pairs: [(leadID: String, partnerID: String, winProbability: Double)]
    /// The true probability that each partner churns in the period after each activity row, in activity order.
    public var churn: [(partnerID: String, period: Int, churnProbability: Double)]
    /// Each action's true lasting effect: on the partner's win logit, and on its latent engagement (which drives
    /// its activity and so its churn risk).
    public var actionEffects: [(actionID: String, winLogit: Double, engagement: Double)]

    static let sizeEffect = [0.25, 0.0, -0.45]
    static let sourceEffect = [0.0, 0.1, 0.5, -0.1, 0.4, -0.4]  // Vocabulary.sources order
    static let valueBandEffect = [0.1, 0.0, -0.1, -0.25]
    static let tierEffect: [PartnerTier: Double] = [.platinum: 0.3, .gold: 0.15, .silver: 0, .registered: -0.15]

    static func typeBySize(_ type: PartnerType, _ size: Int) -> Double {
        switch (type, size) {
        case (.systemIntegrator, 2): 0.4
        case (.msp, 0): 0.3
        case (.referral, 2): -0.3
        case (.isv, 1): 0.2
        default: 0
        }
    }

    /// The chance a lead that is not won expires unworked, at a given utilisation.
    public static func expiryProbability(utilisation: Double) -> Double { 0.03 + 0.05 * min(max(utilisation, 0), 2) }

    /// The true win logit z of `lead` worked by `partner` at `utilisation`, given the partner's hidden quality and
    /// vertical skills. Categories outside the generator's vocabulary contribute nothing.
    public static func winLogit(
        lead: Lead, partner: Partner, quality: Double, verticalSkill: [Double], utilisation: Double
    ) -> Double {
        let size = Vocabulary.sizeBands.firstIndex(of: lead.sizeBand)
        let source = Vocabulary.sources.firstIndex(of: lead.source)
        let vertical = Vocabulary.verticals.firstIndex(of: lead.vertical)
        var z = -0.9 + quality
        if let size { z += sizeEffect[size] + typeBySize(partner.type, size) }
        if let source { z += sourceEffect[source] }
        z += valueBandEffect[ValueBand.index(of: lead.estimatedValue)]
        z += tierEffect[partner.tier] ?? 0
        if let vertical, vertical < verticalSkill.count { z += verticalSkill[vertical] }
        if partner.verticals.contains(lead.vertical) { z += 0.9 }
        if partner.technologies.contains(lead.technology) { z += 0.6 }
        for required in lead.requiredCertifications {
            z += partner.certifications.contains(required) ? 0.5 : -0.9
        }
        if partner.region == lead.region { z += 0.35 }
        z -= 1.1 * min(max(utilisation, 0), 2)
        return z
    }

    /// The true P(won | accepted) of `lead` with `partner` at `utilisation`: σ(z).
    /// - Precondition: `partner` is one of the generated partners.
    public func winProbability(lead: Lead, partner: Partner, utilisation: Double) -> Double {
        let z = Self.winLogit(
            lead: lead, partner: partner, quality: quality[partner.id] ?? 0,
            verticalSkill: verticalSkill[partner.id] ?? [], utilisation: utilisation)
        return Kernels.sigmoid(z)
    }

    /// The true churn logit of a partner after a period, from what its activity shows: the level and 3-period
    /// trend of log(1 + portal logins), of log(1 + deal registrations) and of log(1 + trainings), and its tier.
    /// `history` holds the partner's activity figures up to and including the period, oldest first.
    public static func churnLogit(history: [ActivityFigures], tier: PartnerTier) -> Double {
        let logins = history.map { Kernels.log1p($0.portalLogins) }
        let deals = history.map { Kernels.log1p($0.dealRegistrations) }
        let trainings = history.map { Kernels.log1p($0.trainingsCompleted) }
        let tierShift: Double =
            switch tier {
            case .platinum: -0.5
            case .gold: -0.2
            case .silver: 0
            case .registered: 0.3
            }
        return -4.3 - 0.8 * (logins.last! - 2.8) - 2.2 * trend(logins) - 0.5 * (deals.last! - 1.2) - 0.8 * trend(deals)
            - 0.3 * trend(trainings) + tierShift
    }

    /// Mean of the last three values minus the mean of the three before them (those that exist); 0 when there is
    /// nothing before the last three.
    public static func trend(_ values: [Double]) -> Double {
        let n = values.count
        guard n > 3 else { return 0 }
        let recent = values[(n - 3)...].reduce(0, +) / 3
        let earlier = values[max(0, n - 6)..<(n - 3)]
        return recent - earlier.reduce(0, +) / Double(earlier.count)
    }
}
