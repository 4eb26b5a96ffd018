import Learning
import LinearAlgebra

/// A recruitment shortlist: each applicant's probability of becoming a top performer of its segment, with reasons.
public struct Recruitment: Sendable {
    public struct Row: Sendable {
        public var applicantID: String
        public var segment: String
        public var probability: Double
        /// 1 for the most promising.
        public var rank: Int
        /// The features that raise its odds most against its segment's average partner, in words.
        public var reasons: [String]
    }
    public var rows: [Row]

    /// Scores `applicants` with `model` (fitted on application features): with `rates`, the probability is the
    /// count model's (`ApplicantRateModel`) and the reasons are the features that raise its deal rate most;
    /// without, the profile's logistic probability and odds. The top performers' medians come from `model`.
    /// - Throws: `ProfileError.unknownSegment` for an applicant whose segment has no profile.
    public init(
        model: PartnerProfileModel, rates: ApplicantRateModel? = nil, applicants: [ApplicantRecord], file: String
    ) throws(ProfileError) {
        let segmentIndex = Dictionary(uniqueKeysWithValues: model.segments.enumerated().map { ($1, $0) })
        var rows: [Row] = []
        for applicant in applicants {
            guard let s = segmentIndex[applicant.segment] else {
                throw .unknownSegment(
                    file: file, line: applicant.line, column: model.segmentColumn, value: applicant.segment,
                    known: model.segments)
            }
            let values = ProfileInput.featureValues(applicant)
            rows.append(
                Row(
                    applicantID: applicant.id, segment: applicant.segment,
                    probability: rates?.probability(values, segment: s) ?? model.probability(values, segment: s),
                    rank: 0,
                    reasons: Self.reasons(model: model, rates: rates, values: values, segment: s)))
        }
        let order = rows.indices.sorted {
            (rows[$0].probability, rows[$1].applicantID) > (rows[$1].probability, rows[$0].applicantID)
        }
        for (rank, index) in order.enumerated() { rows[index].rank = rank + 1 }
        self.rows = order.map { rows[$0] }
    }

    /// The (at most three) features that raise the odds most against the segment's average partner, in words:
    /// effects from `rates` (the deal rate's) when given, else from `model` (the log-odds').
    static func reasons(
        model: PartnerProfileModel, rates: ApplicantRateModel?, values: PartnerFeatureValues, segment s: Int
    ) -> [String] {
        let x = rates?.standardized(values) ?? model.standardized(values)
        let effects = rates?.effects(segment: s) ?? model.model.groupCoefficients[s]
        var reasons: [(Double, String)] = []
        for (k, feature) in model.features.enumerated() {
            let lift = effects[k] * x[k]
            if lift > 0.05 {
                reasons.append(
                    (
                        lift,
                        "\(feature.words) \(ProfileText.number(values[feature])) (top performers: \(ProfileText.number(model.topMedians[s][k])))"
                    ))
            }
        }
        return reasons.sorted { $0.0 > $1.0 }.prefix(3).map(\.1)
    }

    /// applicant_id, segment, top_probability, rank, reasons (`; `-separated); best first.
    public func csv() -> String {
        var text = CSVWriter.line(["applicant_id", "segment", "top_probability", "rank", "reasons"])
        for row in rows {
            text += CSVWriter.line([
                row.applicantID, row.segment, ProfileText.fixed(row.probability, 4), "\(row.rank)",
                row.reasons.joined(separator: "; "),
            ])
        }
        return text
    }
}

/// Profiles measured against a generated ecosystem's truth on a time split: models fitted as `profile` fits them
/// (features before the cutoff, labels from the last window of the history), scored on the partners in the
/// programme at the end, against whether each was a top performer over the window after the history
/// (truth/potential.csv). The single pooled profile and today's tier are the baselines.
public struct ProfileEvaluation: Sendable {
    public struct Row: Sendable, Codable, Equatable {
        public var segment: String
        public var partners: Int
        public var topPerformers: Int
        public var multiSegmentAUC: Double?
        public var singleProfileAUC: Double?
        public var tierAUC: Double?
        /// The truth's own probability's AUC: the best any model can expect.
        public var truthAUC: Double?
    }
    public var segments: [Row]
    public var overall: Row
    public var applicantCount: Int
    public var applicantAUC: Double?
    public var applicantTruthAUC: Double?
    /// New partners (`NewPartnerOutlook`: first period within the last `newWithin`, in the programme at the end)
    /// with a truth row, and the AUCs against their next-window outcome: with their behaviour and early deals,
    /// with the early deals and the application (no behaviour), from the application features alone, and the
    /// truth's own probability (none when not asked for: `newWithin` nil).
    public var newWithin: Int?
    public var newPartnerCount: Int
    public var newPartnerAUC: Double?
    public var newPartnerDealsOnlyAUC: Double?
    public var newPartnerApplicantOnlyAUC: Double?
    public var newPartnerTruthAUC: Double?
    public var shrinkage: Double
    public var l2Strength: Double

    public static func evaluate(
        _ input: ProfileInput, options: ProfileOptions = ProfileOptions(), performanceFile: String,
        truth: [String: (probability: Double, top: Bool)], applicants: [ApplicantRecord] = [],
        applicantTruth: [String: (probability: Double, top: Bool)] = [:], applicantsFile: String = "applicants.csv",
        rateOptions: ApplicantRateOptions? = nil, newWithin: Int? = nil
    ) throws -> ProfileEvaluation {
        var rateOptions = rateOptions ?? ApplicantRateOptions()
        rateOptions.windowPeriods = options.windowPeriods
        let model = try PartnerProfileModel.fit(
            input, features: ProfileFeature.allCases, options: options, performanceFile: performanceFile)
        let segmentIndex = Dictionary(uniqueKeysWithValues: model.segments.enumerated().map { ($1, $0) })
        let present = input.present(at: input.periodCount - 1)
        let values = input.featureValues()
        var labels: [Bool] = [], multi: [Double] = [], single: [Double] = [], tier: [Double] = [], best: [Double] = []
        var segmentOf: [String] = []
        for (i, partner) in input.partners.enumerated() where present[i] {
            guard let t = truth[partner.id], let s = segmentIndex[input.segments[i]] else { continue }
            labels.append(t.top)
            best.append(t.probability)
            multi.append(model.probability(values[i], segment: s))
            single.append(model.probability(values[i], segment: s, pooled: true))
            tier.append(Double(PartnerTier.allCases.count - PartnerTier.allCases.firstIndex(of: partner.tier)!))
            segmentOf.append(input.segments[i])
        }
        func row(_ name: String, _ members: [Int]) -> Row {
            let y = members.map { labels[$0] }
            func auc(_ scores: [Double]) -> Double? { try? Metrics.rocAUC(labels: y, scores: members.map { scores[$0] }) }
            return Row(
                segment: name, partners: members.count, topPerformers: y.count { $0 }, multiSegmentAUC: auc(multi),
                singleProfileAUC: auc(single), tierAUC: auc(tier), truthAUC: auc(best))
        }
        let rows = model.segments.map { segment in row(segment, labels.indices.filter { segmentOf[$0] == segment }) }
        var applicantAUC: Double? = nil, applicantTruthAUC: Double? = nil
        var newPartnerAUC: Double? = nil, newPartnerApplicantOnlyAUC: Double? = nil, newPartnerTruthAUC: Double? = nil
        var newPartnerDealsOnlyAUC: Double? = nil
        var newPartnerCount = 0
        let newPartners = (newWithin.map { NewPartnerOutlook.newPartners(input, newWithin: $0) } ?? []).filter {
            truth[input.partners[$0.partner].id] != nil
        }
        if !applicants.isEmpty || !newPartners.isEmpty {
            let recruitModel = try PartnerProfileModel.fit(
                input, features: ProfileFeature.application, options: options, performanceFile: performanceFile)
            let rates = try ApplicantRateModel.fit(input, features: ProfileFeature.application, options: rateOptions)
            if !applicants.isEmpty {
                let scored = try Recruitment(model: recruitModel, rates: rates, applicants: applicants, file: applicantsFile)
                let known = scored.rows.filter { applicantTruth[$0.applicantID] != nil }
                let y = known.map { applicantTruth[$0.applicantID]!.top }
                applicantAUC = try? Metrics.rocAUC(labels: y, scores: known.map(\.probability))
                applicantTruthAUC = try? Metrics.rocAUC(
                    labels: y, scores: known.map { applicantTruth[$0.applicantID]!.probability })
            }
            if !newPartners.isEmpty {
                let behaviourRates = try NewPartnerOutlook.fitBehaviourRates(input, options: rateOptions)
                let outlook = NewPartnerOutlook(
                    model: recruitModel, rates: rates, behaviourRates: behaviourRates, input: input,
                    newWithin: newWithin!)
                let known = outlook.rows.filter { truth[$0.partnerID] != nil }
                let y = known.map { truth[$0.partnerID]!.top }
                newPartnerCount = known.count
                newPartnerAUC = try? Metrics.rocAUC(labels: y, scores: known.map(\.probability))
                newPartnerDealsOnlyAUC = try? Metrics.rocAUC(labels: y, scores: known.map(\.dealsOnlyProbability))
                newPartnerApplicantOnlyAUC = try? Metrics.rocAUC(labels: y, scores: known.map(\.applicationProbability))
                newPartnerTruthAUC = try? Metrics.rocAUC(labels: y, scores: known.map { truth[$0.partnerID]!.probability })
            }
        }
        return ProfileEvaluation(
            segments: rows, overall: row("all", Array(labels.indices)), applicantCount: applicants.count,
            applicantAUC: applicantAUC, applicantTruthAUC: applicantTruthAUC, newWithin: newWithin,
            newPartnerCount: newPartnerCount, newPartnerAUC: newPartnerAUC, newPartnerDealsOnlyAUC: newPartnerDealsOnlyAUC,
            newPartnerApplicantOnlyAUC: newPartnerApplicantOnlyAUC, newPartnerTruthAUC: newPartnerTruthAUC,
            shrinkage: model.model.shrinkage,
            l2Strength: model.model.l2Strength)
    }
}
