import Learning
import LinearAlgebra

/// How onboarding paths are learnt and planned.
public struct OnboardingSettings: Sendable, Equatable {
    /// Steps in a path (one a month).
    public var pathLength = 4
    /// Months of the history observed after joining (first_deal_month is 1 … this).
    public var observedMonths = 12
    /// A partner is productive when its first won deal came within this many months.
    public var productiveWithin = 6
    public var foldCount = 3
    public var seed: UInt64 = 42
    /// λ candidates (the shared step effects), most shrunk first.
    public var l2Grid: [Double] = [0.1, 0.01, 0.001]
    /// τ candidates (the segments' deviations from the shared effects), most shrunk first; ∞ always a candidate.
    public var shrinkageGrid: [Double] = [10, 1, 0.1, 0.01]

    public init() {}

    /// - Throws: `OnboardingError.invalidSetting` quoting the bad value.
    public func validate() throws(OnboardingError) {
        func check(_ ok: Bool, _ name: String, _ value: Int, _ requirement: String) throws(OnboardingError) {
            if !ok { throw .invalidSetting(name: name, value: "\(value)", requirement: requirement) }
        }
        try check(pathLength >= 1 && pathLength <= 8, "steps", pathLength, "must be from 1 to 8")
        try check(observedMonths >= 1 && observedMonths <= 120, "observed months", observedMonths, "must be from 1 to 120")
        try check(
            productiveWithin >= 1 && productiveWithin <= observedMonths, "productive within", productiveWithin,
            "must be from 1 to the observed months (\(observedMonths))")
        try check(foldCount >= 2, "folds", foldCount, "must be at least 2")
    }
}

/// Errors of onboarding that are not about one record's syntax.
public enum OnboardingError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidSetting(name: String, value: String, requirement: String)
    /// A partner to plan for whose segment has no onboarding history.
    case unknownSegment(file: String, line: Int, value: String, known: [String])
    /// Fewer than two first won deals, or fewer than two partner-months without one: nothing to learn from.
    case nothingToLearn(file: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidSetting(name, value, requirement): "\(name) \(requirement) (got \(value))"
        case let .unknownSegment(file, line, value, known):
            "\(file):\(line): column 'type': '\(value)' has no onboarding history (known: \(known.joined(separator: ", ")))"
        case let .nothingToLearn(file, reason): "\(file): \(reason): nothing to learn the step effects from"
        }
    }
}

/// What onboarding learns from the history: a discrete-time hazard model of the first won deal,
///
///     logit P(first won deal in month t | none before) = b_s + w_s,emp·(log(employees) − 3) + Σ_{steps k < t} w_s,step_k
///
/// one row per partner and month at risk (months 1 … its first won deal, or all the observed months), fitted as a
/// logistic regression with segment-specific coefficients shrunk toward shared ones (`GroupedLogisticRegression`;
/// λ and τ by 3-fold stratified cross-validation over the rows), so a segment with few partners borrows the shared effects.
/// A certification step counts for nothing for a partner that already held the certification it grants. Revenue
/// once productive: per segment, least squares of first-year revenue on the months left after the first won deal,
/// revenue ≈ dealSize·(1 + dealsPerMonth·(12 − t)), over its productive partners (pooled when it has fewer than 5).
/// Also kept: the checklist (the history's most common path) and, per segment and step, the share of the productive
/// partners (first won deal within `productiveWithin` months) and of the others that took the step in their first two.
public struct OnboardingModel: Sendable {
    public struct Revenue: Sendable, Equatable {
        public var dealSize: Double
        public var dealsPerMonth: Double
    }
    public struct Evidence: Sendable, Equatable {
        /// Shares of the productive partners, and of the others, that took the step first or second.
        public var productive: Double
        public var others: Double
    }
    public var settings: OnboardingSettings
    /// The steps the history holds, in catalogue order: the model's features (then log employees).
    public var steps: [String]
    public var segments: [PartnerType]
    public var fit: GroupedLogisticRegression
    public var revenue: [PartnerType: Revenue]
    /// Action id → the certification it grants.
    public var grants: [String: String]
    /// The history's most common path (ties: the first in sorted order).
    public var checklist: [String]
    public var checklistCount: Int
    public var historyCount: Int
    /// Per segment: partners, productive ones, and the evidence of each step.
    public var partnerCounts: [PartnerType: Int]
    public var productiveCounts: [PartnerType: Int]
    public var evidence: [PartnerType: [String: Evidence]]
    /// Person-months the hazard model was fitted on.
    public var rowCount: Int

    /// Learns from `history` (steps validated against `actions` by the reader).
    /// - Throws: `OnboardingError` (settings, nothing to learn), `LearningError` from the fit.
    public static func fit(
        history: [OnboardingPartner], actions: [Action], settings: OnboardingSettings = OnboardingSettings(),
        historyFile: String
    ) throws -> OnboardingModel {
        try settings.validate()
        guard !history.isEmpty else { throw OnboardingError.nothingToLearn(file: historyFile, reason: "no partners") }
        let taken = Set(history.flatMap(\.steps))
        let steps = actions.map(\.id).filter(taken.contains)
        let stepIndex = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($1, $0) })
        let segments = PartnerType.allCases.filter { t in history.contains { $0.type == t } }
        let segmentIndex = Dictionary(uniqueKeysWithValues: segments.enumerated().map { ($1, $0) })
        let known = Set(history.flatMap(\.certifications))
        var grants: [String: String] = [:]
        for action in actions { grants[action.id] = OnboardingSteps.grantedCertification(action, known: known) }

        // One row per partner and month at risk.
        var rows: [[Double]] = [], labels: [Bool] = [], groups: [Int] = []
        let d = steps.count + 1
        for partner in history {
            let last = partner.firstDealMonth ?? settings.observedMonths
            var x = [Double](repeating: 0, count: d)
            x[steps.count] = Self.employeesFeature(partner.employees)
            for month in 1...last {
                if month >= 2, month - 2 < partner.steps.count {
                    let step = partner.steps[month - 2]
                    let void = grants[step].map(partner.certifications.contains) ?? false
                    if !void { x[stepIndex[step]!] = 1 }
                }
                rows.append(x)
                labels.append(month == partner.firstDealMonth)
                groups.append(segmentIndex[partner.type]!)
            }
        }
        guard labels.count(where: { $0 }) >= 2, labels.count(where: { !$0 }) >= 2 else {
            throw OnboardingError.nothingToLearn(
                file: historyFile,
                reason: labels.count(where: { $0 }) >= 2
                    ? "fewer than two partner-months without a first won deal" : "fewer than two first won deals")
        }
        var design = Matrix<Double>(rowCount: rows.count, columnCount: d)
        for (r, row) in rows.enumerated() { for k in 0..<d { design[r, k] = row[k] } }
        let folds = max(2, min(settings.foldCount, labels.count { $0 }, labels.count { !$0 }))
        let chosen = try GroupedLogisticRegression.crossValidate(
            design: design, labels: labels, groups: groups, groupCount: segments.count, l2Grid: settings.l2Grid,
            shrinkageGrid: settings.shrinkageGrid, foldCount: folds, seed: settings.seed)
        let (fit, _) = try GroupedLogisticRegression.fit(
            design: design, labels: labels, groups: groups, groupCount: segments.count, l2Strength: chosen.l2Strength,
            shrinkage: chosen.shrinkage)

        // Checklist and evidence.
        var pathCounts: [[String]: Int] = [:]
        for partner in history { pathCounts[partner.steps, default: 0] += 1 }
        let top = pathCounts.max { a, b in
            (a.value, b.key.joined(separator: ";")) < (b.value, a.key.joined(separator: ";"))
        }!
        var partnerCounts: [PartnerType: Int] = [:], productiveCounts: [PartnerType: Int] = [:]
        var evidence: [PartnerType: [String: Evidence]] = [:]
        for type in segments {
            let members = history.filter { $0.type == type }
            let productive = members.filter { ($0.firstDealMonth ?? .max) <= settings.productiveWithin }
            let others = members.filter { ($0.firstDealMonth ?? .max) > settings.productiveWithin }
            partnerCounts[type] = members.count
            productiveCounts[type] = productive.count
            func share(_ group: [OnboardingPartner], _ step: String) -> Double {
                group.isEmpty ? .nan : Double(group.count { $0.steps.prefix(2).contains(step) }) / Double(group.count)
            }
            evidence[type] = Dictionary(
                uniqueKeysWithValues: steps.map { ($0, Evidence(productive: share(productive, $0), others: share(others, $0))) })
        }
        return OnboardingModel(
            settings: settings, steps: steps, segments: segments, fit: fit,
            revenue: Self.revenueModel(history, segments: segments, months: settings.observedMonths), grants: grants,
            checklist: top.key, checklistCount: top.value, historyCount: history.count, partnerCounts: partnerCounts,
            productiveCounts: productiveCounts, evidence: evidence, rowCount: rows.count)
    }

    static func employeesFeature(_ employees: Int) -> Double {
        Kernels.logarithm(Double(max(1, employees))) - OnboardingTruth.employeesCentre
    }

    /// Least squares of revenue on (months − t) over the productive partners of each segment (pooled under 5).
    static func revenueModel(_ history: [OnboardingPartner], segments: [PartnerType], months: Int) -> [PartnerType: Revenue] {
        func fit(_ group: [OnboardingPartner]) -> Revenue? {
            let points = group.compactMap { p in
                p.firstDealMonth.map { (Double(months - $0), p.firstYearRevenue ?? 0) }
            }
            guard points.count >= 5 else { return nil }
            let n = Double(points.count)
            let mx = points.reduce(0) { $0 + $1.0 } / n, my = points.reduce(0) { $0 + $1.1 } / n
            var sxx = 0.0, sxy = 0.0
            for (x, y) in points {
                sxx += (x - mx) * (x - mx)
                sxy += (x - mx) * (y - my)
            }
            let slope = sxx > 0 ? max(0, sxy / sxx) : 0
            let intercept = max(0, my - slope * mx)
            return Revenue(dealSize: intercept, dealsPerMonth: intercept > 0 ? slope / intercept : 0)
        }
        let pooled = fit(history) ?? Revenue(dealSize: 0, dealsPerMonth: 0)
        var result: [PartnerType: Revenue] = [:]
        for type in segments { result[type] = fit(history.filter { $0.type == type }) ?? pooled }
        return result
    }

    /// The fitted process of `partner` (its segment must be one of `segments`).
    public func process(_ partner: OnboardingPartner) -> OnboardingProcess? {
        guard let g = segments.firstIndex(of: partner.type) else { return nil }
        let w = fit.groupCoefficients[g]
        var effects: [String: Double] = [:]
        for (k, step) in steps.enumerated() {
            let void = grants[step].map(partner.certifications.contains) ?? false
            effects[step] = void ? 0 : w[k]
        }
        let r = revenue[partner.type] ?? Revenue(dealSize: 0, dealsPerMonth: 0)
        return OnboardingProcess(
            base: fit.groupIntercepts[g] + w[steps.count] * Self.employeesFeature(partner.employees), effects: effects,
            dealSize: r.dealSize, dealsPerMonth: r.dealsPerMonth)
    }

    /// The fitted effect of `step` for `segment` on the monthly first-deal logit, and its standard error.
    public func effect(_ step: String, segment: PartnerType) -> (value: Double, standardError: Double)? {
        guard let g = segments.firstIndex(of: segment), let k = steps.firstIndex(of: step) else { return nil }
        return (fit.groupCoefficients[g][k], fit.standardErrors[g][k])
    }
}
