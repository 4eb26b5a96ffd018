import Learning
import LinearAlgebra

/// What onboarding is about: which catalogue actions can be onboarding steps, and when a step does nothing.
public enum OnboardingSteps {
    /// The catalogue types that can be onboarding steps: trainings, certifications, onboarding content, incentives
    /// (the first deal registration's).
    public static let types: Set<ActionType> = [.training, .certification, .onboarding, .incentive]

    /// The steps a new partner of `type` may take: actions of those types eligible for its type at the entry tier
    /// (registered), in catalogue order.
    public static func candidates(_ actions: [Action], type: PartnerType) -> [Action] {
        actions.filter {
            types.contains($0.type) && ($0.eligibleTypes.isEmpty || $0.eligibleTypes.contains(type))
                && ($0.eligibleTiers.isEmpty || $0.eligibleTiers.contains(.registered))
        }
    }

    /// The certification a certification action grants: the longest of `known` its name contains (case
    /// insensitive), nil for other actions. A partner already holding it gains nothing from the step.
    public static func grantedCertification(_ action: Action, known: Set<String>) -> String? {
        guard action.type == .certification else { return nil }
        let name = action.name.lowercased()
        return known.filter { !$0.isEmpty && name.contains($0.lowercased()) }.max { ($0.count, $1) < ($1.count, $0) }
    }
}

/// One partner's first-deal process as a function of its onboarding path: the logit of the monthly chance of its
/// first won deal is `base` plus the effect of every step already taken (step k is taken in month k and counts from
/// month k + 1), and after the first won deal it wins `dealsPerMonth` more deals a month, each worth `dealSize`.
public struct OnboardingProcess: Sendable, Equatable {
    public var base: Double
    /// Each step's effect on the logit (0 for a step that does nothing for this partner).
    public var effects: [String: Double]
    public var dealSize: Double
    public var dealsPerMonth: Double

    public init(base: Double, effects: [String: Double], dealSize: Double, dealsPerMonth: Double) {
        self.base = base
        self.effects = effects
        self.dealSize = dealSize
        self.dealsPerMonth = dealsPerMonth
    }

    /// The hazards of months 1 … K (K = the path's length) and the constant hazard after.
    public func hazard(_ path: [String]) -> DiscreteTimeHazard {
        var logits: [Double] = []
        var z = base
        for step in path {
            logits.append(z)
            z += effects[step] ?? 0
        }
        return DiscreteTimeHazard(logits: logits, tailLogit: z)
    }

    /// E[months to the first won deal] (month 1 = the first).
    public func expectedMonths(_ path: [String]) -> Double { hazard(path).expectedTime }

    /// E[won revenue over the first `months`].
    public func expectedRevenue(_ path: [String], months: Int = 12) -> Double {
        hazard(path).expectedReward(periods: months, atEvent: dealSize, perPeriodAfter: dealsPerMonth * dealSize)
    }
}

/// The generator's hidden truth behind onboarding: per segment, the base logit of the monthly first-deal chance,
/// how it moves with log(employees), the deal size and the deals a month once productive; per segment and step, the
/// step's effect on that logit; and the certification each certification step grants (nothing for a partner that
/// already holds it).
public struct OnboardingTruth: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var baseLogit: Double
        /// Per unit of log(employees) − 3.
        public var employeesEffect: Double
        public var dealSize: Double
        public var dealsPerMonth: Double
    }
    public var segments: [PartnerType: Segment]
    public var stepEffects: [PartnerType: [String: Double]]
    /// Action id → the certification it grants.
    public var grants: [String: String]

    /// The centre of log(employees) in every onboarding model.
    public static let employeesCentre = 3.0

    /// The true process of `partner`; nil when its segment has no truth.
    public func process(_ partner: OnboardingPartner) -> OnboardingProcess? {
        guard let s = segments[partner.type] else { return nil }
        var effects = stepEffects[partner.type] ?? [:]
        for (action, certification) in grants where partner.certifications.contains(certification) {
            effects[action] = 0
        }
        return OnboardingProcess(
            base: s.baseLogit
                + s.employeesEffect * (Kernels.logarithm(Double(max(1, partner.employees))) - Self.employeesCentre),
            effects: effects, dealSize: s.dealSize, dealsPerMonth: s.dealsPerMonth)
    }

    /// The truth's two files: truth/onboarding.csv (per segment and step) and truth/onboarding_segments.csv.
    public func files() -> [(name: String, text: String)] {
        var steps = CSVWriter.line(OnboardingFiles.truthStepColumns)
        var segmentsText = CSVWriter.line(OnboardingFiles.truthSegmentColumns)
        for type in PartnerType.allCases {
            if let s = segments[type] {
                segmentsText += CSVWriter.line([
                    type.rawValue, "\(s.baseLogit)", "\(s.employeesEffect)", RecordWriter.number(s.dealSize),
                    "\(s.dealsPerMonth)",
                ])
            }
            for (action, effect) in (stepEffects[type] ?? [:]).sorted(by: { $0.key < $1.key }) {
                steps += CSVWriter.line([type.rawValue, action, "\(effect)", grants[action] ?? ""])
            }
        }
        return [(OnboardingFiles.truthStepsFile, steps), (OnboardingFiles.truthSegmentsFile, segmentsText)]
    }
}
