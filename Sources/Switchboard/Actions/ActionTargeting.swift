import Learning

/// Why a content or incentive action suits a partner, in words: what the partner lacks against its segment's top
/// performers (when partner-sourced performance is given), otherwise what its own activity shows.
///
/// - A certification action (its name names a certification some partner holds): whether the partner holds it and,
///   with performance, the share of its segment's top performers that do ("no security specialist certification;
///   72% of msp top performers hold one").
/// - An action with advertised effects on `deal_registrations`, `trainings_completed`, `portal_logins` or
///   `marketing_funds_used` (the first of those it lists): the partner's mean a month over its last 3 activity
///   periods against the median of its segment's top performers' ("deal registrations 0.7 a month over its last 3
///   months; msp top performers: 2.3"), or, without performance, against its own 3 periods before ("down from 2.0").
/// - A business review, or an action with none of those effects: no reason.
///
/// Top performers are the profile's (`PartnerProfileModel`, `.history` labels): partner-sourced revenue a period,
/// over every period after a partner's first three, positive and at least its type's 75th percentile among the
/// partners with at least 6 such periods. The reasons explain and mark; they do not change the ranking (expected
/// value decides it).
public struct ActionTargeting: Sendable {
    public struct Reason: Sendable, Equatable {
        public var text: String
        /// Whether the action addresses a gap: the partner lacks the certification, or its figure is below its
        /// segment's top performers' median (without performance: below its own earlier level).
        public var addressesGap: Bool
        /// `profile` (against the segment's top performers) or `history` (against its own earlier activity).
        public var basis: String
    }

    static let figures: [(attribute: String, words: String, value: @Sendable (ActivityFigures) -> Double)] = [
        ("deal_registrations", "deal registrations", { $0.dealRegistrations }),
        ("trainings_completed", "trainings", { $0.trainingsCompleted }),
        ("portal_logins", "portal logins", { $0.portalLogins }),
        ("marketing_funds_used", "marketing funds used", { $0.marketingFundsUsed }),
    ]

    var partners: [String: Partner]
    var recent: [String: ActivityFigures]
    var earlier: [String: ActivityFigures]
    var knownCertifications: Set<String>
    /// Per type: top performers, the share of them holding each certification, and their median recent figures.
    var topCounts: [PartnerType: Int] = [:]
    var topCertificationShare: [PartnerType: [String: Double]] = [:]
    var topMedians: [PartnerType: [String: Double]] = [:]
    public let usesPerformance: Bool

    /// - Parameter performance: partner-sourced performance rows (`performance.csv`); nil to reason from each
    ///   partner's own history only.
    public init(ecosystem: Ecosystem, performance: [PartnerPerformance]?) {
        partners = Dictionary(uniqueKeysWithValues: ecosystem.partners.map { ($0.id, $0) })
        knownCertifications = Set(ecosystem.partners.flatMap(\.certifications))
        var rows: [String: [PartnerActivity]] = [:]
        for row in ecosystem.activity { rows[row.partnerID, default: []].append(row) }
        func mean(_ slice: ArraySlice<PartnerActivity>) -> ActivityFigures? {
            guard !slice.isEmpty else { return nil }
            let n = Double(slice.count)
            return ActivityFigures(
                portalLogins: slice.reduce(0) { $0 + $1.figures.portalLogins } / n,
                trainingsCompleted: slice.reduce(0) { $0 + $1.figures.trainingsCompleted } / n,
                dealRegistrations: slice.reduce(0) { $0 + $1.figures.dealRegistrations } / n,
                marketingFundsUsed: slice.reduce(0) { $0 + $1.figures.marketingFundsUsed } / n,
                revenue: slice.reduce(0) { $0 + $1.figures.revenue } / n)
        }
        recent = [:]
        earlier = [:]
        for (id, own) in rows {
            let sorted = own.sorted { $0.period < $1.period }
            recent[id] = mean(sorted.suffix(3))
            earlier[id] = mean(sorted.dropLast(3).suffix(3))
        }
        usesPerformance = performance != nil
        guard let performance else { return }
        // Top performers as the profile labels them.
        let list = ecosystem.partners
        let index = Dictionary(uniqueKeysWithValues: list.enumerated().map { ($1.id, $0) })
        var own = [[(period: Int, revenue: Double)]](repeating: [], count: list.count)
        for row in performance { if let i = index[row.partnerID] { own[i].append((row.period, row.revenue)) } }
        let rates = own.map { rows -> (Double, Int) in
            let kept = rows.sorted { $0.period < $1.period }.dropFirst(3)
            return (kept.reduce(0) { $0 + $1.revenue }, kept.count)
        }
        let eligible = rates.map { $0.1 >= 6 }
        let top = TopPerformers.labels(
            revenue: rates.map { $0.1 > 0 ? $0.0 / Double($0.1) : 0 }, segments: list.map(\.type.rawValue), eligible: eligible)
        for type in PartnerType.allCases {
            let members = list.indices.filter { top[$0] && list[$0].type == type }
            guard !members.isEmpty else { continue }
            topCounts[type] = members.count
            var shares: [String: Double] = [:]
            for certification in knownCertifications {
                shares[certification] = Double(members.count { list[$0].certifications.contains(certification) }) / Double(members.count)
            }
            topCertificationShare[type] = shares
            var medians: [String: Double] = [:]
            for figure in Self.figures {
                medians[figure.attribute] = median(members.compactMap { recent[list[$0].id].map(figure.value) })
            }
            topMedians[type] = medians
        }
    }

    /// The reason `action` suits `partnerID`, nil when there is none to give.
    public func reason(partnerID: String, action: Action) -> Reason? {
        guard let partner = partners[partnerID], action.type != .businessReview else { return nil }
        let type = partner.type.rawValue
        if let certification = OnboardingSteps.grantedCertification(action, known: knownCertifications) {
            if partner.certifications.contains(certification) {
                return Reason(text: "already holds \(certification)", addressesGap: false, basis: usesPerformance ? "profile" : "history")
            }
            if let share = topCertificationShare[partner.type]?[certification] {
                return Reason(
                    text: "no \(certification) certification; \(NumberFormat.percent(share, 0)) of \(type) top performers hold one",
                    addressesGap: share > 0, basis: "profile")
            }
            return Reason(text: "no \(certification) certification", addressesGap: true, basis: "history")
        }
        guard let figure = Self.figures.first(where: { f in action.effects.contains { $0.attribute == f.attribute } }),
            let now = recent[partnerID].map(figure.value)
        else { return nil }
        let level = "\(figure.words) \(ProfileText.number(now)) a month over its last 3 months"
        if let top = topMedians[partner.type]?[figure.attribute], top.isFinite {
            return Reason(
                text: "\(level); \(type) top performers: \(ProfileText.number(top))", addressesGap: now < top,
                basis: "profile")
        }
        guard let before = earlier[partnerID].map(figure.value) else {
            return Reason(text: level, addressesGap: false, basis: "history")
        }
        let direction = now < before ? "down" : now > before ? "up" : "as"
        return Reason(
            text: "\(level); \(direction) from \(ProfileText.number(before)) in the 3 before", addressesGap: now < before,
            basis: "history")
    }

    /// The reason of every ranked action of every partner of `plan`: partner id → action id → reason.
    public func reasons(for plan: ActionPlan, actions: [Action]) -> [String: [String: Reason]] {
        let catalogue = Dictionary(uniqueKeysWithValues: actions.map { ($0.id, $0) })
        var result: [String: [String: Reason]] = [:]
        for outlook in plan.partners {
            for r in outlook.ranked {
                if let action = catalogue[r.actionID], let reason = reason(partnerID: outlook.partnerID, action: action) {
                    result[outlook.partnerID, default: [:]][r.actionID] = reason
                }
            }
        }
        return result
    }
}
