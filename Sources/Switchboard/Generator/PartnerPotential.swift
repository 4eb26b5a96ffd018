import Learning
import LinearAlgebra

/// A partner's or an applicant's firmographics, as stated on the application.
public struct Firmographics: Sendable, Equatable, Codable {
    public var employees: Int
    public var yearsInBusiness: Int
    /// Staff holding a vendor certification.
    public var certifiedStaff: Int

    public init(employees: Int, yearsInBusiness: Int, certifiedStaff: Int) {
        self.employees = employees
        self.yearsInBusiness = yearsInBusiness
        self.certifiedStaff = certifiedStaff
    }
}

/// One partner's partner-sourced business in one period: the deals it found and won itself, and their revenue.
public struct PartnerPerformance: Sendable, Equatable, Codable {
    public var partnerID: String
    public var period: Int
    public var deals: Double
    public var revenue: Double

    public init(partnerID: String, period: Int, deals: Double, revenue: Double) {
        self.partnerID = partnerID
        self.period = period
        self.deals = deals
        self.revenue = revenue
    }
}

/// A prospective partner, as its application describes it.
public struct Applicant: Sendable, Equatable, Codable, Identifiable {
    public var id: String
    public var type: PartnerType
    public var region: String
    public var verticals: [String]
    public var technologies: [String]
    public var certifications: [String]
    public var firmographics: Firmographics

    public init(
        id: String, type: PartnerType, region: String, verticals: [String], technologies: [String],
        certifications: [String], firmographics: Firmographics
    ) {
        self.id = id
        self.type = type
        self.region = region
        self.verticals = verticals
        self.technologies = technologies
        self.certifications = certifications
        self.firmographics = firmographics
    }
}

/// Whether the drivers of partner potential differ by partner type (the default) or are the same for every type.
public enum PotentialEffects: String, Sendable, CaseIterable {
    case segmentSpecific = "segment-specific"
    case shared
}

/// The hidden truth behind partner-sourced performance: each partner's latent potential, its true expected deals
/// and revenue a period from now, its true probability of being a top performer over the next 12 months and whether it
/// was (one draw of the future), the future itself period by period, and the same probability and draw for applicants.
public struct PotentialTruth: Sendable {
    public struct PartnerRow: Sendable, Equatable {
        public var partnerID: String
        public var potential: Double
        /// True expected partner-sourced won deals and revenue in each future period (0 once churned).
        public var expectedDeals: Double
        public var expectedRevenue: Double
        /// P(top performer of its type over the 12 periods after the history).
        public var topProbability: Double
        /// Whether it was, in the drawn future.
        public var topPerformer: Bool
    }
    public struct ApplicantRow: Sendable, Equatable {
        public var applicantID: String
        /// P(top performer over its first 12 periods | what the application says).
        public var topProbability: Double
        public var topPerformer: Bool
    }
    public var partners: [PartnerRow]
    /// The drawn future: each partner still in the programme at the end, for `futurePeriods` periods.
    public var future: [PartnerPerformance]
    public var applicants: [ApplicantRow]
}

/// What `PotentialGenerator` adds to a generated ecosystem.
public struct GeneratedPotential: Sendable {
    /// Each partner's firmographics, in partner order.
    public var firmographics: [(partnerID: String, firmographics: Firmographics)]
    /// Partner-sourced deals and revenue, one row per activity row (same partner and period).
    public var performance: [PartnerPerformance]
    public var applicants: [Applicant]
    public var truth: PotentialTruth
}

/// Partner potential: what makes a partner a top performer, and how that differs by partner type.
///
/// Each partner has a latent potential
///
///     potential = Σₖ β[type]ₖ · fₖ + 0.45·ε,   ε ~ N(0, 1)
///
/// over the features `PotentialFeatures` computes from firmographics and early behaviour (the mean
/// log(1 + logins) and log(1 + deal registrations) of its first three activity rows); β differs by partner type
/// (`PotentialEffects.segmentSpecific`) or is the mean of the types' (`shared`). Each active period it finds and
/// wins Poisson(exp(−0.7 + potential)) deals of its own, each worth its type's deal size times a log-normal factor
/// (mean 1, σ = 0.6): partner-sourced revenue is zero in many months and skewed. A top performer over a window is
/// a partner whose partner-sourced revenue is positive and at least its type's 75th percentile (nearest rank) over
/// the partners in the programme (`TopPerformers`). Applicants draw capacity, firmographics and early behaviour as
/// partners do; their truth integrates over what the application does not show (behaviour and ε).
///
/// Draws come from a stream of their own (the ecosystem's seed split with a label), so adding this changes no
/// file the ecosystem generator wrote before.
public struct PotentialGenerator: Sendable {
    public var seed: UInt64
    public var effects: PotentialEffects
    public var applicantCount: Int
    /// Periods of future drawn for the truth.
    public var futurePeriods = 12
    /// Monte Carlo draws behind each true probability.
    public var draws = 200

    public init(seed: UInt64, effects: PotentialEffects = .segmentSpecific, applicantCount: Int) {
        self.seed = seed
        self.effects = effects
        self.applicantCount = applicantCount
    }

    /// The number of applicants `switchboard generate` writes for `partnerCount` partners.
    public static func defaultApplicantCount(partnerCount: Int) -> Int { min(20_000, max(500, 5 * partnerCount)) }

    /// The label the ecosystem's seed is split with.
    static let streamLabel: UInt64 = 0x5054_4E52_504F_5445  // "PTNRPOTE"

    /// Per-type coefficients over `PotentialFeatures.names`, in `PartnerType.allCases` order.
    static let typeEffects: [PartnerType: [Double]] = [
        .reseller: [0.45, 0.10, 0.15, 0.10, 0.05, 0.20, 0.60],
        .msp: [0.00, 0.05, 0.80, -0.10, 0.45, 0.35, 0.00],
        .systemIntegrator: [0.70, 0.45, 0.15, 0.40, -0.10, 0.00, 0.10],
        .isv: [-0.20, 0.00, 0.30, -0.30, 0.70, 0.45, 0.20],
        .oem: [0.55, 0.35, 0.10, 0.00, 0.10, -0.10, 0.20],
        .referral: [-0.35, 0.00, -0.10, 0.00, 0.00, 0.80, 0.55],
        .distributor: [0.75, 0.20, 0.00, 0.25, 0.00, 0.10, 0.10],
    ]
    static let dealSize: [PartnerType: Double] = [
        .reseller: 20_000, .msp: 15_000, .systemIntegrator: 60_000, .isv: 30_000, .oem: 80_000, .referral: 8_000,
        .distributor: 40_000,
    ]
    static let noise = 0.45
    static let baseRate = -0.7
    static let sizeSpread = 0.6

    /// The coefficients potential uses for `type`.
    public func coefficients(_ type: PartnerType) -> [Double] {
        switch effects {
        case .segmentSpecific: return Self.typeEffects[type]!
        case .shared:
            let all = PartnerType.allCases.map { Self.typeEffects[$0]! }
            return (0..<PotentialFeatures.names.count).map { k in all.reduce(0) { $0 + $1[k] } / Double(all.count) }
        }
    }

    /// Draws firmographics, partner-sourced performance, applicants and the truth for `ecosystem`, generated with
    /// `periodCount` months of history starting at `start`.
    public func generate(ecosystem: Ecosystem, periodCount: Int, start: Timestamp) -> GeneratedPotential {
        var rng = SeededGenerator(seed: seed ^ Self.streamLabel)
        var future = rng.split(), monteCarlo = rng.split(), applicantStream = rng.split()
        let partners = ecosystem.partners
        let end = EcosystemGenerator.monthStart(start, periodCount)
        var rows: [String: [PartnerActivity]] = [:]
        for row in ecosystem.activity { rows[row.partnerID, default: []].append(row) }

        var firmographics: [(partnerID: String, firmographics: Firmographics)] = []
        var potential: [Double] = []
        for partner in partners {
            let tenure = Double(end.secondsSinceEpoch - partner.joined.secondsSinceEpoch) / (365.25 * 86_400)
            let f = Self.drawFirmographics(
                capacity: partner.capacity, certifications: partner.certifications.count, tenureYears: tenure, &rng)
            firmographics.append((partner.id, f))
            let history = rows[partner.id] ?? []
            let features = PotentialFeatures.values(
                firmographics: f, verticals: partner.verticals.count, technologies: partner.technologies.count,
                early: PotentialFeatures.earlyBehaviour(history.map(\.figures)))
            potential.append(linear(coefficients(partner.type), features) + Self.noise * rng.nextGaussian())
        }
        // Partner-sourced business over the history, one row per activity row.
        var performance: [PartnerPerformance] = []
        let index = Dictionary(uniqueKeysWithValues: partners.enumerated().map { ($1.id, $0) })
        for row in ecosystem.activity {
            let p = index[row.partnerID]!
            let (deals, revenue) = drawPeriod(potential[p], partners[p].type, &rng)
            performance.append(PartnerPerformance(partnerID: row.partnerID, period: row.period, deals: deals, revenue: revenue))
        }
        // Who is still in the programme after the history: its last row is the last period and it did not churn.
        let staying = partners.map { partner in
            guard let last = rows[partner.id]?.last else { return false }
            return last.period == periodCount - 1 && !last.churnedNext
        }
        // Applicants.
        var applicants: [Applicant] = []
        for index in 0..<applicantCount {
            applicants.append(Self.drawApplicant(id: "AP\(pad(index + 1, 5))", &applicantStream))
        }
        // One drawn future, and Monte Carlo draws for the probabilities.
        var futureRows: [PartnerPerformance] = []
        var drawnTotals = [Double](repeating: 0, count: partners.count)
        for (p, partner) in partners.enumerated() where staying[p] {
            for k in 0..<futurePeriods {
                let (deals, revenue) = drawPeriod(potential[p], partner.type, &future)
                futureRows.append(
                    PartnerPerformance(partnerID: partner.id, period: periodCount + k, deals: deals, revenue: revenue))
                drawnTotals[p] += revenue
            }
        }
        let drawnApplicants = applicants.map { drawApplicantWindow($0, &future) }
        let drawnPartnerTop = TopPerformers.labels(
            revenue: drawnTotals, segments: partners.map(\.type.rawValue), eligible: staying)
        let drawnApplicantTop = applicantsTop(
            drawnApplicants, applicants, partnerTotals: drawnTotals, partners: partners, staying: staying)

        var partnerHits = [Double](repeating: 0, count: partners.count)
        var applicantHits = [Double](repeating: 0, count: applicants.count)
        for _ in 0..<draws {
            var totals = [Double](repeating: 0, count: partners.count)
            for (p, partner) in partners.enumerated() where staying[p] {
                totals[p] = drawWindow(potential[p], partner.type, &monteCarlo)
            }
            let top = TopPerformers.labels(revenue: totals, segments: partners.map(\.type.rawValue), eligible: staying)
            for p in partners.indices where top[p] { partnerHits[p] += 1 }
            let applicantTotals = applicants.map { drawApplicantWindow($0, &monteCarlo) }
            let applicantTop = applicantsTop(
                applicantTotals, applicants, partnerTotals: totals, partners: partners, staying: staying)
            for a in applicants.indices where applicantTop[a] { applicantHits[a] += 1 }
        }
        let truthRows = partners.enumerated().map { p, partner in
            let deals = staying[p] ? Kernels.exponential(Self.baseRate + potential[p]) : 0
            return PotentialTruth.PartnerRow(
                partnerID: partner.id, potential: potential[p], expectedDeals: deals,
                expectedRevenue: deals * Self.dealSize[partner.type]!,
                topProbability: partnerHits[p] / Double(draws), topPerformer: drawnPartnerTop[p])
        }
        let applicantRows = applicants.enumerated().map { a, applicant in
            PotentialTruth.ApplicantRow(
                applicantID: applicant.id, topProbability: applicantHits[a] / Double(draws),
                topPerformer: drawnApplicantTop[a])
        }
        return GeneratedPotential(
            firmographics: firmographics, performance: performance, applicants: applicants,
            truth: PotentialTruth(partners: truthRows, future: futureRows, applicants: applicantRows))
    }

    func drawPeriod(_ potential: Double, _ type: PartnerType, _ rng: inout SeededGenerator) -> (Double, Double) {
        let deals = poisson(Kernels.exponential(Self.baseRate + potential), &rng)
        return (deals, dealRevenue(Int(deals), type, &rng))
    }

    /// Partner-sourced revenue over `futurePeriods` periods (the sum of the periods' Poisson counts is Poisson).
    func drawWindow(_ potential: Double, _ type: PartnerType, _ rng: inout SeededGenerator) -> Double {
        let deals = poisson(Double(futurePeriods) * Kernels.exponential(Self.baseRate + potential), &rng)
        return dealRevenue(Int(deals), type, &rng)
    }

    func dealRevenue(_ deals: Int, _ type: PartnerType, _ rng: inout SeededGenerator) -> Double {
        var revenue = 0.0
        let s = Self.sizeSpread
        for _ in 0..<deals { revenue += Self.dealSize[type]! * Kernels.exponential(s * rng.nextGaussian() - s * s / 2) }
        return revenue.rounded()
    }

    /// An applicant's revenue over its first window: its hidden early behaviour and ε drawn afresh.
    func drawApplicantWindow(_ applicant: Applicant, _ rng: inout SeededGenerator) -> Double {
        let capacity = Self.capacity(employees: applicant.firmographics.employees)
        let early = Self.drawEarlyBehaviour(capacity: capacity, &rng)
        let features = PotentialFeatures.values(
            firmographics: applicant.firmographics, verticals: applicant.verticals.count,
            technologies: applicant.technologies.count, early: early)
        let potential = linear(coefficients(applicant.type), features) + Self.noise * rng.nextGaussian()
        return drawWindow(potential, applicant.type, &rng)
    }

    /// Whether each applicant's window revenue would make it a top performer of its type among the partners.
    func applicantsTop(
        _ totals: [Double], _ applicants: [Applicant], partnerTotals: [Double], partners: [Partner], staying: [Bool]
    ) -> [Bool] {
        let thresholds = TopPerformers.thresholds(
            revenue: partnerTotals, segments: partners.map(\.type.rawValue), eligible: staying)
        return applicants.indices.map { a in
            totals[a] > 0 && totals[a] >= (thresholds[applicants[a].type.rawValue] ?? .infinity)
        }
    }

    static func drawFirmographics(capacity: Int, certifications: Int, tenureYears: Double, _ rng: inout SeededGenerator)
        -> Firmographics
    {
        let logEmployees = 1.0 + 0.9 * Kernels.logarithm(Double(capacity)) + 0.5 * rng.nextGaussian()
        let employees = max(1, Int(Kernels.exponential(logEmployees).rounded()))
        let years = max(1, Int((max(0, tenureYears) - 6 * Kernels.logarithm(1 - rng.nextUniform())).rounded()))
        let staffMean = 0.2 + 0.7 * Double(certifications) * Kernels.exponential(0.3 * (logEmployees - 2.5))
        return Firmographics(
            employees: employees, yearsInBusiness: years, certifiedStaff: Int(poisson(staffMean, &rng)))
    }

    /// The capacity the generator's partners of this many employees typically have (the inverse of the mean
    /// log-employees line).
    static func capacity(employees: Int) -> Double {
        max(2, Kernels.exponential((Kernels.logarithm(Double(max(1, employees))) - 1.0) / 0.9))
    }

    /// Mean log(1 + logins) and log(1 + deal registrations) over three periods, drawn as the ecosystem generator draws
    /// a new partner's activity.
    static func drawEarlyBehaviour(capacity: Double, _ rng: inout SeededGenerator) -> (logins: Double, deals: Double) {
        let e = 0.4 * rng.nextGaussian()
        let logCapacity = Kernels.logarithm(capacity)
        var logins = 0.0, deals = 0.0
        for _ in 0..<3 {
            logins += Kernels.log1p(poisson(Kernels.exponential(2.3 + 0.25 * logCapacity + e), &rng))
            deals += Kernels.log1p(poisson(Kernels.exponential(-0.5 + 0.45 * logCapacity + 0.7 * e), &rng))
        }
        return (logins / 3, deals / 3)
    }

    static func drawApplicant(id: String, _ rng: inout SeededGenerator) -> Applicant {
        let typeWeights: [(PartnerType, Double)] = [
            (.reseller, 0.30), (.msp, 0.20), (.systemIntegrator, 0.15), (.isv, 0.10), (.oem, 0.05), (.referral, 0.15),
            (.distributor, 0.05),
        ]
        let size = Kernels.exponential(-Kernels.logarithm(1 - rng.nextUniform()) / 1.2)
        let capacity = min(250, max(2, Int((3 * size).rounded())))
        let type = weighted(typeWeights, &rng)
        let region = Vocabulary.regions[Int(rng.nextUniform() * Double(Vocabulary.regions.count))].name
        let breadth = min(4, 1 + Int(rng.nextUniform() * 2) + (capacity > 20 ? 1 : 0) + (capacity > 60 ? 1 : 0))
        let verticals = sample(Vocabulary.verticals, breadth, &rng)
        let technologies = sample(Vocabulary.technologies, min(3, max(1, breadth - Int(rng.nextUniform() * 2))), &rng)
        var certifications: [String] = []
        for (t, technology) in Vocabulary.technologies.enumerated() {
            if rng.nextUniform() < (technologies.contains(technology) ? 0.6 : 0.04) {
                certifications.append(Vocabulary.certifications[t])
            }
        }
        let firmographics = drawFirmographics(
            capacity: capacity, certifications: certifications.count, tenureYears: 0, &rng)
        return Applicant(
            id: id, type: type, region: region, verticals: verticals.sorted(), technologies: technologies.sorted(),
            certifications: certifications.sorted(), firmographics: firmographics)
    }
}

/// The features partner potential is defined on, centred near the generator's typical partner.
public enum PotentialFeatures {
    public static let names = [
        "log_employees", "log_years_in_business", "log_certified_staff", "verticals", "technologies", "early_logins",
        "early_deal_registrations",
    ]

    /// The mean log(1 + portal logins) and log(1 + deal registrations) of the first three of `history` (oldest first);
    /// zeros when there is none.
    public static func earlyBehaviour(_ history: [ActivityFigures]) -> (logins: Double, deals: Double) {
        let first = history.prefix(3)
        guard !first.isEmpty else { return (0, 0) }
        let n = Double(first.count)
        return (
            first.reduce(0) { $0 + Kernels.log1p($1.portalLogins) } / n,
            first.reduce(0) { $0 + Kernels.log1p($1.dealRegistrations) } / n
        )
    }

    public static func values(
        firmographics f: Firmographics, verticals: Int, technologies: Int, early: (logins: Double, deals: Double)
    ) -> [Double] {
        [
            Kernels.logarithm(Double(max(1, f.employees))) - 2.5, Kernels.log1p(Double(f.yearsInBusiness)) - 2,
            Kernels.log1p(Double(f.certifiedStaff)) - 0.7, Double(verticals) - 2, Double(technologies) - 2,
            early.logins - 3, early.deals - 1,
        ]
    }
}

/// Top performers: partners whose revenue over a window is positive and at least their segment's 75th percentile
/// (nearest rank: the value at rank ⌈0.75·n⌉ of the segment's n eligible partners, ascending).
public enum TopPerformers {
    /// Each segment's threshold over the eligible partners.
    public static func thresholds(revenue: [Double], segments: [String], eligible: [Bool]) -> [String: Double] {
        var bySegment: [String: [Double]] = [:]
        for i in revenue.indices where eligible[i] { bySegment[segments[i], default: []].append(revenue[i]) }
        var thresholds: [String: Double] = [:]
        for (segment, values) in bySegment {
            let sorted = values.sorted()
            let rank = Int((0.75 * Double(sorted.count)).rounded(.up))
            thresholds[segment] = sorted[max(0, rank - 1)]
        }
        return thresholds
    }

    /// Whether each partner is a top performer of its segment (never when not eligible).
    public static func labels(revenue: [Double], segments: [String], eligible: [Bool]) -> [Bool] {
        let thresholds = thresholds(revenue: revenue, segments: segments, eligible: eligible)
        return revenue.indices.map { i in
            eligible[i] && revenue[i] > 0 && revenue[i] >= thresholds[segments[i]]!
        }
    }
}

func linear(_ coefficients: [Double], _ features: [Double]) -> Double {
    var total = 0.0
    for k in coefficients.indices { total += coefficients[k] * features[k] }
    return total
}

extension EcosystemGenerator {
    /// The first day of month `period` counted from `start`'s month.
    static func monthStart(_ start: Timestamp, _ period: Int) -> Timestamp {
        let (y, m, _) = Timestamp.civilFromDays(Int(start.secondsSinceEpoch / 86_400))
        let months = (m - 1) + period
        return Timestamp(year: y + months / 12, month: months % 12 + 1, day: 1)
    }
}

extension GeneratedPotential {
    /// The files it adds to a generated ecosystem folder: firmographics.csv, performance.csv, applicants.csv, and
    /// truth/potential.csv, truth/performance.csv (the drawn future) and truth/applicants.csv.
    public func files(partners: [Partner]) -> [(name: String, text: String)] {
        var firmographicsText = CSVWriter.line(PotentialFiles.firmographicsColumns)
        for (id, f) in firmographics {
            firmographicsText += CSVWriter.line([id, "\(f.employees)", "\(f.yearsInBusiness)", "\(f.certifiedStaff)"])
        }
        func performanceText(_ rows: [PartnerPerformance]) -> String {
            var text = CSVWriter.line(PotentialFiles.performanceColumns)
            for row in rows {
                text += CSVWriter.line([
                    row.partnerID, "\(row.period)", RecordWriter.number(row.deals), RecordWriter.number(row.revenue),
                ])
            }
            return text
        }
        var applicantsText = CSVWriter.line(PotentialFiles.applicantColumns)
        for a in applicants {
            applicantsText += CSVWriter.line([
                a.id, a.type.rawValue, a.region, RecordWriter.set(a.verticals), RecordWriter.set(a.technologies),
                RecordWriter.set(a.certifications), "\(a.firmographics.employees)", "\(a.firmographics.yearsInBusiness)",
                "\(a.firmographics.certifiedStaff)",
            ])
        }
        var potentialText = CSVWriter.line([
            "partner_id", "potential", "expected_deals", "expected_revenue", "top_probability", "top_performer",
        ])
        for row in truth.partners {
            potentialText += CSVWriter.line([
                row.partnerID, "\(row.potential)", "\(row.expectedDeals)", "\(row.expectedRevenue)", "\(row.topProbability)",
                row.topPerformer ? "true" : "false",
            ])
        }
        var applicantTruth = CSVWriter.line(["applicant_id", "top_probability", "top_performer"])
        for row in truth.applicants {
            applicantTruth += CSVWriter.line([
                row.applicantID, "\(row.topProbability)", row.topPerformer ? "true" : "false",
            ])
        }
        return [
            ("firmographics.csv", firmographicsText),
            ("performance.csv", performanceText(performance)),
            ("applicants.csv", applicantsText),
            ("truth/potential.csv", potentialText),
            ("truth/performance.csv", performanceText(truth.future)),
            ("truth/applicants.csv", applicantTruth),
        ]
    }
}

/// The columns of the files partner intelligence reads.
public enum PotentialFiles {
    public static let firmographicsColumns = ["partner_id", "employees", "years_in_business", "certified_staff"]
    public static let performanceColumns = ["partner_id", "period", "sourced_deals", "sourced_revenue"]
    public static let applicantColumns = [
        "applicant_id", "type", "region", "verticals", "technologies", "certifications", "employees",
        "years_in_business", "certified_staff",
    ]
}
