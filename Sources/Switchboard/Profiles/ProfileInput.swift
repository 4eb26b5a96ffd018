import Learning
import LinearAlgebra

/// The features an ideal partner profile is made of: firmographics (as on the application), what the partner
/// covers, and its early behaviour (its first three activity periods).
public enum ProfileFeature: String, Sendable, Codable, CaseIterable {
    case employees
    case yearsInBusiness = "years_in_business"
    case certifiedStaff = "certified_staff"
    case verticals, technologies, certifications
    case earlyLogins = "early_logins"
    case earlyDealRegistrations = "early_deal_registrations"

    /// What an application shows (no behaviour yet).
    public static let application: [ProfileFeature] = [
        .employees, .yearsInBusiness, .certifiedStaff, .verticals, .technologies, .certifications,
    ]

    /// The feature in a channel manager's words.
    public var words: String {
        switch self {
        case .employees: "employees"
        case .yearsInBusiness: "years in business"
        case .certifiedStaff: "certified staff"
        case .verticals: "verticals covered"
        case .technologies: "technologies covered"
        case .certifications: "vendor certifications"
        case .earlyLogins: "portal logins a month (first 3 months)"
        case .earlyDealRegistrations: "deal registrations a month (first 3 months)"
        }
    }

    /// Counts spanning orders of magnitude enter the model as log(1 + x).
    var isLogged: Bool {
        switch self {
        case .verticals, .technologies, .certifications: false
        default: true
        }
    }

    func transform(_ raw: Double) -> Double { isLogged ? Kernels.log1p(max(0, raw)) : raw }
}

/// One partner's raw feature values.
struct PartnerFeatureValues {
    var values: [ProfileFeature: Double]
    subscript(_ feature: ProfileFeature) -> Double { values[feature] ?? 0 }
}

/// What profiles, recruitment and their evaluation read: the partners with their segment, firmographics,
/// partner-sourced performance and activity.
public struct ProfileInput: Sendable {
    public var partners: [Partner]
    /// Each partner's segment (the value of `segmentColumn` in the partners file), in partner order.
    public var segments: [String]
    public var segmentColumn: String
    public var firmographics: [String: Firmographics]
    public var performance: [PartnerPerformance]
    public var activity: [PartnerActivity]
    /// The distinct segments, sorted.
    public let segmentNames: [String]
    /// Periods of performance: the largest period + 1.
    public let periodCount: Int

    /// Checks that every partner has firmographics and that no segment holds a single partner.
    /// - Throws: `RecordError` naming the partners file, the partner's line and the column.
    public init(
        ecosystem: Ecosystem, segments: [String], segmentColumn: String, firmographics: [String: Firmographics],
        firmographicsFile: String, performance: [PartnerPerformance]
    ) throws(RecordError) {
        precondition(segments.count == ecosystem.partners.count)
        let file = ecosystem.sources.partners
        for (index, partner) in ecosystem.partners.enumerated() where firmographics[partner.id] == nil {
            throw .impossibleValue(
                file: file, line: ecosystem.sources.line(.partners, index), column: "id", value: partner.id,
                reason: "has no row in \(firmographicsFile)")
        }
        var counts: [String: Int] = [:]
        for segment in segments { counts[segment, default: 0] += 1 }
        for (index, segment) in segments.enumerated() where counts[segment] == 1 {
            throw .impossibleValue(
                file: file, line: ecosystem.sources.line(.partners, index), column: segmentColumn, value: segment,
                reason:
                    "is the segment of this partner alone; a profile needs at least two partners a segment (merge it or segment by another column)"
            )
        }
        self.partners = ecosystem.partners
        self.segments = segments
        self.segmentColumn = segmentColumn
        self.firmographics = firmographics
        self.performance = performance
        self.activity = ecosystem.activity
        self.segmentNames = Array(Set(segments)).sorted()
        self.periodCount = (performance.map(\.period).max() ?? -1) + 1
    }

    /// Each partner's partner-sourced revenue over periods `range`.
    func revenue(in range: Range<Int>) -> [Double] {
        let index = Dictionary(uniqueKeysWithValues: partners.enumerated().map { ($1.id, $0) })
        var totals = [Double](repeating: 0, count: partners.count)
        for row in performance where range.contains(row.period) { totals[index[row.partnerID]!] += row.revenue }
        return totals
    }

    /// Each partner's revenue and number of periods over its performance rows after its first `skippingFirst`.
    func revenueRates(skippingFirst skipped: Int) -> [(revenue: Double, periods: Int)] {
        let index = Dictionary(uniqueKeysWithValues: partners.enumerated().map { ($1.id, $0) })
        var rows = [[(period: Int, revenue: Double)]](repeating: [], count: partners.count)
        for row in performance { rows[index[row.partnerID]!].append((row.period, row.revenue)) }
        return rows.map { own in
            let kept = own.sorted { $0.period < $1.period }.dropFirst(skipped)
            return (kept.reduce(0) { $0 + $1.revenue }, kept.count)
        }
    }

    /// Whether each partner has a performance row for `period` (it was in the programme then).
    func present(at period: Int) -> [Bool] {
        let ids = Set(performance.filter { $0.period == period }.map(\.partnerID))
        return partners.map { ids.contains($0.id) }
    }

    /// Each partner's raw feature values, its early behaviour the mean of its first `earlyRows` activity rows (fewer
    /// when it has fewer) before `before`.
    func featureValues(before: Int = .max, earlyRows: Int = 3) -> [PartnerFeatureValues] {
        var rows: [String: [ActivityFigures]] = [:]
        for row in activity where row.period < before { rows[row.partnerID, default: []].append(row.figures) }
        return partners.map { partner in
            let f = firmographics[partner.id]!
            let first = (rows[partner.id] ?? []).prefix(max(1, earlyRows))
            let n = Double(max(1, first.count))
            return PartnerFeatureValues(values: [
                .employees: Double(f.employees), .yearsInBusiness: Double(f.yearsInBusiness),
                .certifiedStaff: Double(f.certifiedStaff), .verticals: Double(partner.verticals.count),
                .technologies: Double(partner.technologies.count), .certifications: Double(partner.certifications.count),
                .earlyLogins: first.reduce(0) { $0 + $1.portalLogins } / n,
                .earlyDealRegistrations: first.reduce(0) { $0 + $1.dealRegistrations } / n,
            ])
        }
    }

    /// An applicant's raw feature values (no behaviour).
    static func featureValues(_ applicant: ApplicantRecord) -> PartnerFeatureValues {
        let f = applicant.firmographics
        return PartnerFeatureValues(values: [
            .employees: Double(f.employees), .yearsInBusiness: Double(f.yearsInBusiness),
            .certifiedStaff: Double(f.certifiedStaff), .verticals: Double(applicant.verticals.count),
            .technologies: Double(applicant.technologies.count), .certifications: Double(applicant.certifications.count),
        ])
    }
}
