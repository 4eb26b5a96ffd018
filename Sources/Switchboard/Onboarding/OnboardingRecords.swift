import Learning

/// A partner in its first months, as the onboarding files describe it: its segment (partner type), profile, and
/// (history only) the onboarding steps it took, in order, and what followed.
public struct OnboardingPartner: Sendable, Equatable {
    public var id: String
    public var type: PartnerType
    public var employees: Int
    /// Certifications it held when it joined.
    public var certifications: [String]
    /// The action ids of the steps it took, in order: step k in its k-th month. Empty for a partner to plan for.
    public var steps: [String]
    /// The month (1 = its first) of its first won deal; nil when none within the observed months (or not observed).
    public var firstDealMonth: Int?
    /// Won revenue over its first 12 months (nil when not observed).
    public var firstYearRevenue: Double?
    /// The 1-based line in its file (0 when generated).
    public var line: Int

    public init(
        id: String, type: PartnerType, employees: Int, certifications: [String], steps: [String] = [],
        firstDealMonth: Int? = nil, firstYearRevenue: Double? = nil, line: Int = 0
    ) {
        self.id = id
        self.type = type
        self.employees = employees
        self.certifications = certifications
        self.steps = steps
        self.firstDealMonth = firstDealMonth
        self.firstYearRevenue = firstYearRevenue
        self.line = line
    }
}

/// The onboarding files' columns, readers and writers. Each error names the file, line and column.
public enum OnboardingFiles {
    public static let historyFile = "onboarding_history.csv"
    public static let newPartnersFile = "onboarding_new.csv"
    public static let truthStepsFile = "truth/onboarding.csv"
    public static let truthSegmentsFile = "truth/onboarding_segments.csv"

    public static let profileColumns = ["partner_id", "type", "employees", "certifications"]
    public static let historyColumns = profileColumns + ["steps", "first_deal_month", "first_year_revenue"]
    public static let truthStepColumns = ["type", "action_id", "hazard_effect", "void_if_held"]
    public static let truthSegmentColumns = ["type", "base_logit", "employees_effect", "deal_size", "deals_per_month"]

    /// `onboarding_history.csv`: every partner's ordered steps (`;`-separated action ids of `actions`, each at most
    /// once), its first won deal's month (1 … `observedMonths`, empty when none) and first-year revenue.
    /// - Throws: `RecordError` (missing column, bad value, unknown action id, duplicate id, an empty file).
    public static func history(
        _ source: RecordSource, actions: [Action], actionsFile: String, observedMonths: Int, delimiter: CSVDelimiter?
    ) throws -> [OnboardingPartner] {
        let c = try RecordColumns(
            CSVTable(parsing: source.bytes, source: source.name, delimiter: delimiter), required: historyColumns)
        let known = Set(actions.map(\.id))
        var ids = UniqueKeys()
        var result: [OnboardingPartner] = []
        for row in 0..<c.rowCount {
            var partner = try profile(c, row, ids: &ids)
            var steps: [String] = []
            for step in (c.optionalText("steps", row) ?? "").split(separator: ";", omittingEmptySubsequences: false) {
                let id = String(step).trimmingBlanks()
                guard !id.isEmpty else {
                    throw RecordError.impossibleValue(
                        file: c.file, line: c.line(row), column: "steps", value: c.optionalText("steps", row) ?? "",
                        reason: "holds an empty step (steps are action ids separated by ';')")
                }
                guard known.contains(id) else {
                    throw RecordError.unknownReference(
                        file: c.file, line: c.line(row), column: "steps", id: id, referencedFile: actionsFile)
                }
                guard !steps.contains(id) else {
                    throw RecordError.impossibleValue(
                        file: c.file, line: c.line(row), column: "steps", value: id, reason: "is taken twice")
                }
                steps.append(id)
            }
            partner.steps = steps
            if let month = c.optionalText("first_deal_month", row) {
                guard let value = Int(month), value >= 1, value <= observedMonths else {
                    throw RecordError.impossibleValue(
                        file: c.file, line: c.line(row), column: "first_deal_month", value: month,
                        reason: "is not a month from 1 to \(observedMonths) (leave it empty when there was no won deal)")
                }
                partner.firstDealMonth = value
            }
            partner.firstYearRevenue = try c.number("first_year_revenue", row, minimum: 0)
            if partner.firstDealMonth == nil && partner.firstYearRevenue! > 0 {
                throw RecordError.impossibleValue(
                    file: c.file, line: c.line(row), column: "first_year_revenue",
                    value: RecordWriter.number(partner.firstYearRevenue!), reason: "is positive with no first won deal")
            }
            result.append(partner)
        }
        if result.isEmpty { throw RecordError.emptySet(file: c.file, what: "onboarded partners") }
        return result
    }

    /// `onboarding_new.csv` (or any file with the profile columns): the partners to plan for.
    public static func newPartners(_ source: RecordSource, delimiter: CSVDelimiter?) throws -> [OnboardingPartner] {
        let c = try RecordColumns(
            CSVTable(parsing: source.bytes, source: source.name, delimiter: delimiter), required: profileColumns)
        var ids = UniqueKeys()
        var result: [OnboardingPartner] = []
        for row in 0..<c.rowCount { result.append(try profile(c, row, ids: &ids)) }
        if result.isEmpty { throw RecordError.emptySet(file: c.file, what: "partners to onboard") }
        return result
    }

    static func profile(_ c: RecordColumns, _ row: Int, ids: inout UniqueKeys) throws(RecordError) -> OnboardingPartner {
        let id = try c.text("partner_id", row)
        try ids.insert(id, column: "partner_id", row: row, in: c)
        return OnboardingPartner(
            id: id, type: try c.enumeration("type", row, as: PartnerType.self),
            employees: try c.integer("employees", row, minimum: 1), certifications: c.set("certifications", row),
            line: c.line(row))
    }

    /// `truth/onboarding.csv` and `truth/onboarding_segments.csv`.
    public static func truth(_ steps: RecordSource, _ segments: RecordSource, delimiter: CSVDelimiter?) throws
        -> OnboardingTruth
    {
        let s = try RecordColumns(
            CSVTable(parsing: segments.bytes, source: segments.name, delimiter: delimiter), required: truthSegmentColumns)
        var truth = OnboardingTruth(segments: [:], stepEffects: [:], grants: [:])
        var keys = UniqueKeys()
        for row in 0..<s.rowCount {
            let type = try s.enumeration("type", row, as: PartnerType.self)
            try keys.insert(type.rawValue, column: "type", row: row, in: s)
            truth.segments[type] = OnboardingTruth.Segment(
                baseLogit: try s.number("base_logit", row), employeesEffect: try s.number("employees_effect", row),
                dealSize: try s.number("deal_size", row, minimum: 0),
                dealsPerMonth: try s.number("deals_per_month", row, minimum: 0))
        }
        let c = try RecordColumns(
            CSVTable(parsing: steps.bytes, source: steps.name, delimiter: delimiter), required: truthStepColumns)
        var stepKeys = UniqueKeys()
        for row in 0..<c.rowCount {
            let type = try c.enumeration("type", row, as: PartnerType.self)
            let action = try c.text("action_id", row)
            try stepKeys.insert("\(type.rawValue)\u{0}\(action)", column: "type, action_id", row: row, in: c)
            truth.stepEffects[type, default: [:]][action] = try c.number("hazard_effect", row)
            if let held = c.optionalText("void_if_held", row) { truth.grants[action] = held }
        }
        return truth
    }

    /// The history file's text.
    public static func historyCSV(_ partners: [OnboardingPartner]) -> String {
        var text = CSVWriter.line(historyColumns)
        for p in partners {
            text += CSVWriter.line(
                profileFields(p) + [
                    p.steps.joined(separator: ";"), p.firstDealMonth.map { "\($0)" } ?? "",
                    RecordWriter.number(p.firstYearRevenue ?? 0),
                ])
        }
        return text
    }

    /// The new partners file's text.
    public static func newPartnersCSV(_ partners: [OnboardingPartner]) -> String {
        var text = CSVWriter.line(profileColumns)
        for p in partners { text += CSVWriter.line(profileFields(p)) }
        return text
    }

    static func profileFields(_ p: OnboardingPartner) -> [String] {
        [p.id, p.type.rawValue, "\(p.employees)", RecordWriter.set(p.certifications)]
    }
}
