import Learning

/// One partner's onboarding path: the ordered steps that minimise its expected months to a first won deal under
/// the fitted model, each with what it is expected to save and the evidence behind it.
public struct OnboardingPath: Sendable {
    public struct Step: Sendable, Equatable {
        public var actionID: String
        public var actionName: String
        /// E[months to the first won deal] with the steps before it minus with it too (the telescoping parts sum
        /// to the months the whole path saves against taking no step).
        public var monthsSaved: Double
        /// The fitted effect on the monthly first-deal logit for this partner (0 when it already holds what the step
        /// grants), and its standard error.
        public var logitEffect: Double
        public var logitStandardError: Double
        /// Shares of the segment's productive partners and of the rest that took this step first or second.
        public var productiveShare: Double
        public var othersShare: Double
    }
    public var partner: OnboardingPartner
    public var steps: [Step]
    /// Under the fitted model: E[months to the first won deal] and E[first-year revenue] on this path, on the
    /// checklist and with no step.
    public var expectedMonths: Double
    public var expectedRevenue: Double
    public var checklistMonths: Double
    public var checklistRevenue: Double
    public var noStepMonths: Double

    public var actionIDs: [String] { steps.map(\.actionID) }
}

/// Every new partner's path.
public struct OnboardingPlan: Sendable {
    public var model: OnboardingModel
    public var paths: [OnboardingPath]

    /// Plans a path for each of `partners` over its candidate steps (`OnboardingSteps.candidates` that the history
    /// holds): every ordered selection of `pathLength` of them is valued (`OrderedSelection`, at most 8·7·6·5 = 1,680
    /// for the sample's catalogue) and the one with the fewest expected months to the first won deal is kept.
    /// - Throws: `OnboardingError.unknownSegment` for a partner whose segment has no history (naming its line).
    public init(model: OnboardingModel, partners: [OnboardingPartner], actions: [Action], partnersFile: String) throws {
        self.model = model
        let names = Dictionary(uniqueKeysWithValues: actions.map { ($0.id, $0.name) })
        let length = model.settings.pathLength
        let months = model.settings.observedMonths
        var paths: [OnboardingPath] = []
        for partner in partners {
            guard let process = model.process(partner) else {
                throw OnboardingError.unknownSegment(
                    file: partnersFile, line: partner.line, value: partner.type.rawValue,
                    known: model.segments.map(\.rawValue))
            }
            let candidates = OnboardingSteps.candidates(actions, type: partner.type).map(\.id).filter(
                model.steps.contains)
            let best = OrderedSelection.best(itemCount: candidates.count, length: length) { sequence in
                process.expectedMonths(sequence.map { candidates[$0] })
            }
            let path = best.sequence.map { candidates[$0] }
            var steps: [OnboardingPath.Step] = []
            var before = process.expectedMonths([])
            for k in path.indices {
                let after = process.expectedMonths(Array(path[...k]))
                let effect = model.effect(path[k], segment: partner.type)
                let void = model.grants[path[k]].map(partner.certifications.contains) ?? false
                let evidence = model.evidence[partner.type]?[path[k]]
                steps.append(
                    OnboardingPath.Step(
                        actionID: path[k], actionName: names[path[k]] ?? path[k], monthsSaved: before - after,
                        logitEffect: void ? 0 : effect?.value ?? 0, logitStandardError: void ? 0 : effect?.standardError ?? .nan,
                        productiveShare: evidence?.productive ?? .nan, othersShare: evidence?.others ?? .nan))
                before = after
            }
            paths.append(
                OnboardingPath(
                    partner: partner, steps: steps, expectedMonths: process.expectedMonths(path),
                    expectedRevenue: process.expectedRevenue(path, months: months),
                    checklistMonths: process.expectedMonths(model.checklist),
                    checklistRevenue: process.expectedRevenue(model.checklist, months: months),
                    noStepMonths: process.expectedMonths([])))
        }
        self.paths = paths
    }

    /// One row a partner a step: partner_id, type, position, action_id, action_name, months_saved, logit_effect,
    /// logit_effect_sd, productive_share, others_share, expected_months, expected_first_year_revenue,
    /// checklist_months, checklist_first_year_revenue, reason.
    public func csv() -> String {
        var text = CSVWriter.line([
            "partner_id", "type", "position", "action_id", "action_name", "months_saved", "logit_effect", "logit_effect_sd",
            "productive_share", "others_share", "expected_months", "expected_first_year_revenue", "checklist_months",
            "checklist_first_year_revenue", "reason",
        ])
        for path in paths {
            for (k, step) in path.steps.enumerated() {
                text += CSVWriter.line([
                    path.partner.id, path.partner.type.rawValue, "\(k + 1)", step.actionID, step.actionName,
                    ProfileText.fixed(step.monthsSaved, 3), ProfileText.fixed(step.logitEffect, 4),
                    ProfileText.fixed(step.logitStandardError, 4), ProfileText.fixed(step.productiveShare, 3),
                    ProfileText.fixed(step.othersShare, 3), ProfileText.fixed(path.expectedMonths, 3),
                    RecordWriter.number(path.expectedRevenue.rounded()), ProfileText.fixed(path.checklistMonths, 3),
                    RecordWriter.number(path.checklistRevenue.rounded()), reason(step, path.partner),
                ])
            }
        }
        return text
    }

    /// "saves 1.4 months; first or second step of 52% of MSPs productive within 6 months (24% of the others)".
    public func reason(_ step: OnboardingPath.Step, _ partner: OnboardingPartner) -> String {
        var text = "saves \(ProfileText.fixed(step.monthsSaved, 1)) months"
        if step.productiveShare.isFinite {
            text += "; first or second step of \(NumberFormat.percent(step.productiveShare, 0)) of \(partner.type.rawValue) partners "
            text += "productive within \(model.settings.productiveWithin) months"
            if step.othersShare.isFinite { text += " (\(NumberFormat.percent(step.othersShare, 0)) of the others)" }
        }
        return text
    }
}

/// The personalised paths against the one-size-fits-all checklist (the history's most common path), the segment's
/// most common path among its productive partners, and the best path, each valued by the generator's truth: mean
/// E[months to the first won deal] and mean E[first-year revenue] over the new partners.
public struct OnboardingEvaluation: Sendable {
    public struct Strategy: Sendable, Equatable {
        public var name: String
        public var meanMonths: Double
        public var meanRevenue: Double
    }
    public struct SegmentRow: Sendable, Equatable {
        public var type: PartnerType
        public var partners: Int
        public var personalisedMonths, checklistMonths, bestMonths: Double
    }
    public var partners: Int
    public var personalised, checklist, segmentProductive, best: Strategy
    /// Partners whose personalised path is truly faster than the checklist, and slower.
    public var fasterThanChecklist: Int
    public var slowerThanChecklist: Int
    public var segments: [SegmentRow]

    /// - Throws: `OnboardingError.unknownSegment` when the truth has no segment of a partner.
    public static func evaluate(_ plan: OnboardingPlan, history: [OnboardingPartner], truth: OnboardingTruth, actions: [Action])
        throws -> OnboardingEvaluation
    {
        let months = plan.model.settings.observedMonths
        let length = plan.model.settings.pathLength
        let productiveWithin = plan.model.settings.productiveWithin
        // Each segment's most common path among its productive partners.
        var segmentPaths: [PartnerType: [String]] = [:]
        for type in plan.model.segments {
            var counts: [[String]: Int] = [:]
            for p in history where p.type == type && (p.firstDealMonth ?? .max) <= productiveWithin {
                counts[p.steps, default: 0] += 1
            }
            segmentPaths[type] =
                counts.max { a, b in (a.value, b.key.joined(separator: ";")) < (b.value, a.key.joined(separator: ";")) }?
                .key ?? plan.model.checklist
        }
        var sums = [Double](repeating: 0, count: 8)
        var faster = 0, slower = 0
        var bySegment: [PartnerType: (n: Int, p: Double, c: Double, b: Double)] = [:]
        for path in plan.paths {
            guard let process = truth.process(path.partner) else {
                throw OnboardingError.unknownSegment(
                    file: OnboardingFiles.truthSegmentsFile, line: path.partner.line, value: path.partner.type.rawValue,
                    known: truth.segments.keys.map(\.rawValue).sorted())
            }
            let candidates = OnboardingSteps.candidates(actions, type: path.partner.type).map(\.id)
            let best = OrderedSelection.best(itemCount: candidates.count, length: length) { sequence in
                process.expectedMonths(sequence.map { candidates[$0] })
            }.sequence.map { candidates[$0] }
            let chosen = [path.actionIDs, plan.model.checklist, segmentPaths[path.partner.type]!, best]
            for (i, steps) in chosen.enumerated() {
                sums[2 * i] += process.expectedMonths(steps)
                sums[2 * i + 1] += process.expectedRevenue(steps, months: months)
            }
            let p = process.expectedMonths(path.actionIDs), c = process.expectedMonths(plan.model.checklist)
            if p < c - 1e-12 { faster += 1 } else if p > c + 1e-12 { slower += 1 }
            var row = bySegment[path.partner.type] ?? (0, 0, 0, 0)
            row.n += 1
            row.p += p
            row.c += c
            row.b += process.expectedMonths(best)
            bySegment[path.partner.type] = row
        }
        let n = Double(max(1, plan.paths.count))
        func strategy(_ name: String, _ i: Int) -> Strategy {
            Strategy(name: name, meanMonths: sums[2 * i] / n, meanRevenue: sums[2 * i + 1] / n)
        }
        return OnboardingEvaluation(
            partners: plan.paths.count, personalised: strategy("personalised", 0), checklist: strategy("checklist", 1),
            segmentProductive: strategy("segment's productive path", 2), best: strategy("best (truth)", 3),
            fasterThanChecklist: faster, slowerThanChecklist: slower,
            segments: PartnerType.allCases.compactMap { type in
                bySegment[type].map { r in
                    SegmentRow(
                        type: type, partners: r.n, personalisedMonths: r.p / Double(r.n), checklistMonths: r.c / Double(r.n),
                        bestMonths: r.b / Double(r.n))
                }
            })
    }
}
