import Learning
import LinearAlgebra

/// What `OnboardingGenerator` adds to a generated ecosystem.
public struct GeneratedOnboarding: Sendable {
    /// Partners onboarded before: their steps in order and what followed over their first 12 months.
    public var history: [OnboardingPartner]
    /// Partners that just joined: the ones to plan a path for.
    public var newPartners: [OnboardingPartner]
    public var truth: OnboardingTruth

    /// onboarding_history.csv, onboarding_new.csv, truth/onboarding.csv and truth/onboarding_segments.csv.
    public func files() -> [(name: String, text: String)] {
        [
            (OnboardingFiles.historyFile, OnboardingFiles.historyCSV(history)),
            (OnboardingFiles.newPartnersFile, OnboardingFiles.newPartnersCSV(newPartners)),
        ] + truth.files()
    }
}

/// Onboarding: new partners' first months, where the time to the first won deal depends on which early actions they
/// take and in what order, differently by segment (partner type).
///
/// Each partner takes `pathLength` steps from the catalogue's trainings, certifications, onboarding and incentive
/// actions (`OnboardingSteps.candidates`), step k in month k. Its first won deal comes in month t with probability
/// σ(zₜ) if it has not come before, zₜ = base[type] + 0.25·(log(employees) − 3) + Σ over the steps taken in months
/// before t of effect[type, step] (`OnboardingTruth`; a certification step does nothing for a partner that already
/// holds the certification). Once productive it wins Poisson(deals a month) more deals each month, each worth its
/// type's deal size times a log-normal factor (mean 1, σ 0.6). The history's managers mostly give the one checklist
/// (webinar, onboarding accelerator, sales enablement, technical training), sometimes with two steps swapped and one
/// replaced, and otherwise any ordered selection of the candidates: the variation the effects are learnt from.
///
/// Draws come from a stream of their own (the ecosystem's seed split with a label), so adding this changes no file
/// the ecosystem generator wrote before.
public struct OnboardingGenerator: Sendable {
    public var seed: UInt64
    public var historyCount: Int
    public var newCount: Int
    public var truth = OnboardingTruth.standard
    public var pathLength = 4
    public var observedMonths = 12
    /// The checklist the history's managers give most often.
    public var checklist = ["ACT10", "ACT07", "ACT03", "ACT04"]
    /// The share of the history given the checklist as is, and with two steps swapped and maybe one replaced.
    public var checklistShare = 0.4
    public var variedChecklistShare = 0.2

    public init(seed: UInt64, historyCount: Int, newCount: Int) {
        self.seed = seed
        self.historyCount = historyCount
        self.newCount = newCount
    }

    /// The cohort sizes `switchboard generate` uses for `partnerCount` partners: 3 onboarded partners a partner
    /// (300 … 20,000) and half as many new ones as partners (100 … 5,000).
    public static func defaultCounts(partnerCount: Int) -> (history: Int, new: Int) {
        (min(20_000, max(300, 3 * partnerCount)), min(5_000, max(100, partnerCount / 2)))
    }

    static let streamLabel: UInt64 = 0x4F4E_424F_4152_4447  // "ONBOARDG"

    /// Draws the cohorts for the catalogue `actions`.
    public func generate(actions: [Action]) -> GeneratedOnboarding {
        var rng = SeededGenerator(seed: seed ^ Self.streamLabel)
        var outcomes = rng.split()
        var history: [OnboardingPartner] = []
        for index in 0..<historyCount {
            var partner = drawProfile(id: "OB\(pad(index + 1, 5))", &rng)
            let candidates = OnboardingSteps.candidates(actions, type: partner.type).map(\.id)
            partner.steps = drawPath(candidates, &rng)
            if let process = truth.process(partner) { drawOutcome(&partner, process, &outcomes) }
            history.append(partner)
        }
        var newPartners: [OnboardingPartner] = []
        for index in 0..<newCount { newPartners.append(drawProfile(id: "NP\(pad(index + 1, 5))", &rng)) }
        return GeneratedOnboarding(history: history, newPartners: newPartners, truth: truth)
    }

    func drawProfile(id: String, _ rng: inout SeededGenerator) -> OnboardingPartner {
        let typeWeights: [(PartnerType, Double)] = [
            (.reseller, 0.30), (.msp, 0.20), (.systemIntegrator, 0.15), (.isv, 0.10), (.oem, 0.05), (.referral, 0.15),
            (.distributor, 0.05),
        ]
        let type = weighted(typeWeights, &rng)
        let employees = max(1, Int(Kernels.exponential(3.0 + rng.nextGaussian()).rounded()))
        var certifications: [String] = []
        for certification in Vocabulary.certifications {
            var p = 0.12
            if certification == "security specialist" && type == .msp { p = 0.35 }
            if certification == "cloud architect" && (type == .systemIntegrator || type == .isv) { p = 0.35 }
            if rng.nextUniform() < p { certifications.append(certification) }
        }
        return OnboardingPartner(id: id, type: type, employees: employees, certifications: certifications.sorted())
    }

    func drawPath(_ candidates: [String], _ rng: inout SeededGenerator) -> [String] {
        let length = min(pathLength, candidates.count)
        let u = rng.nextUniform()
        let usable = checklist.allSatisfy(candidates.contains) && checklist.count == length
        if usable && u < checklistShare { return checklist }
        if usable && u < checklistShare + variedChecklistShare {
            var path = checklist
            let i = Int(rng.nextUniform() * Double(length - 1))
            path.swapAt(i, i + 1)
            if rng.nextUniform() < 0.5 {
                let others = candidates.filter { !path.contains($0) }
                if !others.isEmpty {
                    path[Int(rng.nextUniform() * Double(length))] = others[Int(rng.nextUniform() * Double(others.count))]
                }
            }
            return path
        }
        return sample(candidates, length, &rng)
    }

    func drawOutcome(_ partner: inout OnboardingPartner, _ process: OnboardingProcess, _ rng: inout SeededGenerator) {
        let hazard = process.hazard(partner.steps)
        var revenue = 0.0
        var first: Int? = nil
        let s = PotentialGenerator.sizeSpread
        func deal(_ rng: inout SeededGenerator) -> Double {
            process.dealSize * Kernels.exponential(s * rng.nextGaussian() - s * s / 2)
        }
        for month in 1...observedMonths {
            if first == nil {
                if rng.nextUniform() < hazard.hazard(month) {
                    first = month
                    revenue += deal(&rng)
                }
            } else {
                for _ in 0..<Int(poisson(process.dealsPerMonth, &rng)) { revenue += deal(&rng) }
            }
        }
        partner.firstDealMonth = first
        partner.firstYearRevenue = revenue.rounded()
    }
}

extension OnboardingTruth {
    /// The generator's truth: step effects on the monthly first-deal logit by partner type (the best path differs:
    /// MSPs gain most from the security certification, system integrators from the cloud certification and the
    /// technical training, referral partners from the deal-registration incentive and their referral bonus,
    /// resellers from sales enablement), bases from −3.1 to −2.3 (a 4–9% monthly chance with no step).
    public static let standard: OnboardingTruth = {
        let effects: [PartnerType: [String: Double]] = [
            .reseller: [
                "ACT01": 0.10, "ACT02": 0.10, "ACT03": 0.60, "ACT04": 0.15, "ACT06": 0.50, "ACT07": 0.35, "ACT10": 0.05,
            ],
            .msp: [
                "ACT01": 0.70, "ACT02": 0.30, "ACT03": 0.10, "ACT04": 0.45, "ACT06": 0.15, "ACT07": 0.20, "ACT10": 0.05,
            ],
            .systemIntegrator: [
                "ACT01": 0.25, "ACT02": 0.60, "ACT03": 0.20, "ACT04": 0.55, "ACT06": 0.10, "ACT07": 0.10, "ACT10": 0.05,
            ],
            .isv: [
                "ACT01": 0.15, "ACT02": 0.45, "ACT03": 0.15, "ACT04": 0.60, "ACT06": 0.10, "ACT07": 0.30, "ACT10": 0.05,
            ],
            .oem: [
                "ACT01": 0.30, "ACT02": 0.20, "ACT03": 0.40, "ACT04": 0.50, "ACT06": 0.15, "ACT07": 0.10, "ACT10": 0.00,
            ],
            .referral: [
                "ACT01": 0.00, "ACT02": 0.00, "ACT03": 0.40, "ACT04": 0.00, "ACT06": 0.70, "ACT07": 0.30, "ACT09": 0.50,
                "ACT10": 0.10,
            ],
            .distributor: [
                "ACT01": 0.10, "ACT02": 0.10, "ACT03": 0.45, "ACT04": 0.20, "ACT06": 0.35, "ACT07": 0.50, "ACT10": 0.05,
            ],
        ]
        let bases: [PartnerType: (Double, Double)] = [
            .reseller: (-2.5, 0.6), .msp: (-2.7, 0.5), .systemIntegrator: (-3.0, 0.3), .isv: (-2.9, 0.4),
            .oem: (-3.1, 0.25), .referral: (-2.3, 0.8), .distributor: (-2.6, 0.5),
        ]
        var segments: [PartnerType: Segment] = [:]
        for (type, (base, rate)) in bases {
            segments[type] = Segment(
                baseLogit: base, employeesEffect: 0.25, dealSize: PotentialGenerator.dealSize[type]!, dealsPerMonth: rate)
        }
        return OnboardingTruth(
            segments: segments, stepEffects: effects,
            grants: ["ACT01": "security specialist", "ACT02": "cloud architect"])
    }()
}
