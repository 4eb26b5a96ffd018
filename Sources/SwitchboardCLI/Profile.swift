import ArgumentParser
import Foundation
import Learning
import Switchboard

/// The ecosystem folder and segment option every partner-intelligence command shares.
struct PartnerData: ParsableArguments {
    @Option(
        help:
            "The ecosystem folder (as `switchboard generate` writes it): partners.csv, activity.csv, firmographics.csv and performance.csv."
    ) var data: String
    @Option(help: "The partners column whose values are the segments (each needs at least two partners).")
    var segmentBy: String = "type"
    @OptionGroup var csv: CSVOptions

    static let files = ["partners.csv", "activity.csv", "firmographics.csv", "performance.csv"]

    func validate() throws {
        if segmentBy.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--segment-by must name a column of the partners file (got '\(segmentBy)')")
        }
    }

    var performanceFile: String { EcosystemFiles.path(data, "performance.csv") }

    func load() throws -> ProfileInput {
        let delimiter = try csv.parsedDelimiter()
        let files = try EcosystemFiles.reading(folder: data, required: [.partners, .activity])
        let ecosystem = try Ecosystem.load(files, options: EcosystemLoadOptions(delimiter: delimiter, nonEmpty: [.activity]))
        return try Self.profileInput(
            data: data, ecosystem: ecosystem, partners: files[.partners]!, segmentBy: segmentBy, delimiter: delimiter)
    }

    /// The profile input of `data`'s firmographics.csv and performance.csv over an ecosystem already loaded from it.
    static func profileInput(
        data: String, ecosystem: Ecosystem, partners: RecordSource, segmentBy: String, delimiter: CSVDelimiter?
    ) throws -> ProfileInput {
        let segments = try ProfileRecords.segments(partners, column: segmentBy, delimiter: delimiter)
        let ids = Set(ecosystem.partners.map(\.id))
        let firmographicsPath = EcosystemFiles.path(data, "firmographics.csv")
        let performancePath = EcosystemFiles.path(data, "performance.csv")
        let firmographics = try ProfileRecords.firmographics(
            RecordSource(name: firmographicsPath, bytes: try FileIO.read(firmographicsPath)), partnerIDs: ids,
            partnersFile: ecosystem.sources.partners, delimiter: delimiter)
        let performance = try ProfileRecords.performance(
            RecordSource(name: performancePath, bytes: try FileIO.read(performancePath)), partnerIDs: ids,
            partnersFile: ecosystem.sources.partners, delimiter: delimiter)
        return try ProfileInput(
            ecosystem: ecosystem, segments: segments, segmentColumn: segmentBy, firmographics: firmographics,
            firmographicsFile: firmographicsPath, performance: performance)
    }

    /// Runs `body`, naming the performance file in a fitting error.
    func fitting<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as LearningError { throw CLIError("\(performanceFile): \(error)") }
    }
}

/// `PartnerData` and the label window of profiles, recruitment and their evaluation.
struct ProfileData: ParsableArguments {
    @OptionGroup var partnerData: PartnerData
    @Option(
        parsing: .unconditional,
        help:
            "Periods of the label window: a top performer is in its segment's top quartile of partner-sourced revenue over them.")
    var window: Int = 12

    static let files = PartnerData.files

    func validate() throws {
        try Limits.check("--window", window, atLeast: 1, atMost: 600)
    }

    var data: String { partnerData.data }
    var segmentBy: String { partnerData.segmentBy }
    var csv: CSVOptions { partnerData.csv }
    var performanceFile: String { partnerData.performanceFile }

    var options: ProfileOptions {
        var options = ProfileOptions()
        options.windowPeriods = window
        return options
    }

    func load() throws -> ProfileInput { try partnerData.load() }
    func fitting<T>(_ body: () throws -> T) throws -> T { try partnerData.fitting(body) }
}

struct Profile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Ideal partner profiles per segment, each partner's fit, its gaps, and high-potential partners.",
        discussion: """
            Fits one logistic model of "top performer over the next --window periods" (the top quartile of \
            partner-sourced revenue in its segment) with segment-specific coefficients shrunk toward shared ones; \
            the shrinkage and the L2 strength are chosen by cross-validation. Features are firmographics, coverage \
            (verticals, technologies, certifications) and early behaviour (the first three activity periods); the \
            model is fitted on the partners in the programme at the start of the last window, with labels from that \
            window. Prints each segment's ideal profile (odds ratios per standard deviation with 95% intervals) and \
            the partners with high potential and low results; writes every partner in the programme with its fit, \
            percentile within its segment and three largest gaps to its segment's top performers (--out). See \
            docs/profiles.md.
            """)

    @OptionGroup var input: ProfileData
    @Option(help: "Where to write every partner's fit, percentile, revenue and gaps (CSV).") var out: String
    @Option(parsing: .unconditional, help: "High-potential partners printed (all are marked in --out).") var top: Int = 10

    func validate() throws {
        try Limits.check("--top", top, atLeast: 0, atMost: 1_000_000)
    }

    func run() throws {
        try reportingErrors {
            let data = try input.load()
            let model = try input.fitting {
                try PartnerProfileModel.fit(
                    data, features: ProfileFeature.allCases, options: input.options,
                    performanceFile: input.performanceFile)
            }
            let report = PartnerProfileReport(model: model, input: data)
            try FileIO.writeAtomically(report.partnersCSV(), to: out)
            print(report.summary(top: top))
            if out != "-" { print("wrote \(report.partners.count) partners to \(out)") }
        }
    }
}

struct Recruit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recruit",
        abstract:
            "Each applicant's and each new partner's probability of becoming a top performer of its segment, with reasons.",
        discussion: """
            Fits the recruitment model on what an application shows (firmographics and coverage, no behaviour) and \
            scores each applicant of --applicants against its segment: the applicants file has applicant_id, the \
            segment column (--segment-by), employees, years_in_business and certified_staff, and optionally \
            verticals, technologies, certifications and region; any other column is refused. Writes every applicant, \
            best first (--out), and prints the shortlist. With --new-partners, also scores the partners in their \
            first months (first period within the last --new-within periods, still in the programme): the same \
            prior from their application features, updated by the deals they have won so far. See docs/profiles.md.
            """)

    @OptionGroup var input: ProfileData
    @Option(help: "The applicants CSV file (with --out).") var applicants: String?
    @Option(help: "Where to write every applicant's probability, rank and reasons (CSV, best first; with --applicants).")
    var out: String?
    @Option(
        help:
            "Where to write every new partner's months active, deals and revenue so far, behaviour, probability (with its behaviour and early deals, with the deals alone, and from its application alone), rank and reasons (CSV, best first)."
    ) var newPartners: String?
    @Option(
        parsing: .unconditional,
        help: "A partner is new while its first period is among the last N periods of the data (default 6; with --new-partners).")
    var newWithin: Int?
    @Option(parsing: .unconditional, help: "Applicants (and new partners) printed.") var top: Int = 10

    func validate() throws {
        try Limits.check("--top", top, atLeast: 0, atMost: 1_000_000)
        if let newWithin { try Limits.check("--new-within", newWithin, atLeast: 1, atMost: 600) }
        if newWithin != nil && newPartners == nil {
            throw ValidationError("--new-within needs --new-partners (got --new-within \(newWithin!) alone)")
        }
        if (applicants == nil) != (out == nil) {
            throw ValidationError(
                applicants == nil ? "--out needs --applicants (the applicants it scores)" : "--applicants needs --out")
        }
        if applicants == nil && newPartners == nil {
            throw ValidationError("nothing to score: give --applicants FILE --out FILE, --new-partners FILE, or both")
        }
    }

    func run() throws {
        try reportingErrors {
            let data = try input.load()
            var records: [ApplicantRecord] = []
            let name = applicants == "-" ? "<stdin>" : applicants ?? ""
            if let applicants {
                records = try ProfileRecords.applicants(
                    RecordSource(name: name, bytes: try FileIO.read(applicants)), segmentColumn: input.segmentBy,
                    delimiter: try input.csv.parsedDelimiter())
            }
            let model = try input.fitting {
                try PartnerProfileModel.fit(
                    data, features: ProfileFeature.application, options: input.options,
                    performanceFile: input.performanceFile)
            }
            var rateOptions = ApplicantRateOptions()
            rateOptions.windowPeriods = input.options.windowPeriods
            let rates = try input.fitting {
                try ApplicantRateModel.fit(data, features: ProfileFeature.application, options: rateOptions)
            }
            var outputs: [(path: String, bytes: [UInt8])] = []
            var recruitment: Recruitment? = nil
            if let out, applicants != nil {
                let scored = try Recruitment(model: model, rates: rates, applicants: records, file: name)
                outputs.append((out, Array(scored.csv().utf8)))
                recruitment = scored
            }
            var outlook: NewPartnerOutlook? = nil
            if let newPartners {
                let behaviourRates = try input.fitting {
                    try NewPartnerOutlook.fitBehaviourRates(data, options: rateOptions)
                }
                let scored = NewPartnerOutlook(
                    model: model, rates: rates, behaviourRates: behaviourRates, input: data,
                    newWithin: newWithin ?? NewPartnerOutlook.defaultNewWithin)
                outputs.append((newPartners, Array(scored.csv().utf8)))
                outlook = scored
            }
            try FileIO.writeAtomically(outputs)
            if let recruitment {
                print("shortlist (\(min(top, recruitment.rows.count)) of \(recruitment.rows.count) applicants):")
                for row in recruitment.rows.prefix(top) {
                    print(
                        "  \(row.rank). \(row.applicantID) (\(row.segment)): \(ProfileFormat.fixed(row.probability, 2))"
                            + (row.reasons.isEmpty ? "" : " — " + row.reasons.joined(separator: "; ")))
                }
                if let out, out != "-" { print("wrote \(recruitment.rows.count) applicants to \(out)") }
            }
            if let outlook {
                print(
                    "new partners (first period within the last \(outlook.newWithin), \(min(top, outlook.rows.count)) of \(outlook.rows.count)):"
                )
                for row in outlook.rows.prefix(top) {
                    print(
                        "  \(row.rank). \(row.partnerID) (\(row.segment)): \(ProfileFormat.fixed(row.probability, 2)) "
                            + "(without its behaviour \(ProfileFormat.fixed(row.dealsOnlyProbability, 2)), application alone \(ProfileFormat.fixed(row.applicationProbability, 2))) — "
                            + row.reasons.joined(separator: "; "))
                }
                if let newPartners, newPartners != "-" { print("wrote \(outlook.rows.count) new partners to \(newPartners)") }
            }
        }
    }
}

struct EvaluateProfiles: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "Measure profiles and recruitment against a generated ecosystem's truth (ROC AUC on a time split).",
        discussion: """
            Fits the profiles as `switchboard profile` does (features before the last window, labels from it), scores \
            the partners in the programme at the end of the history, and measures the ROC AUC of predicting who is a \
            top performer over the window after it (truth/potential.csv): the multi-segment model, the single pooled \
            profile and today's tier, per segment and overall, beside the truth's own probability. When the folder has \
            applicants.csv and truth/applicants.csv, also the recruitment model's AUC on the applicants.
            """)

    @OptionGroup var input: ProfileData
    @Option(help: "Also write the figures as JSON to this file.") var json: String?
    @Option(
        parsing: .unconditional,
        help: "New partners are those whose first period is among the last N periods of the history (as recruit's).")
    var newWithin: Int = NewPartnerOutlook.defaultNewWithin

    func validate() throws {
        try Limits.check("--new-within", newWithin, atLeast: 1, atMost: 600)
    }

    static let truthFiles = ["truth/potential.csv", "applicants.csv", "truth/applicants.csv"]

    func run() throws {
        try reportingErrors {
            let data = try input.load()
            let delimiter = try input.csv.parsedDelimiter()
            let truthPath = EcosystemFiles.path(input.data, "truth/potential.csv")
            let truth = try ProfileRecords.truth(
                RecordSource(name: truthPath, bytes: try FileIO.read(truthPath)), idColumn: "partner_id",
                delimiter: delimiter)
            let applicantsPath = EcosystemFiles.path(input.data, "applicants.csv")
            let applicantTruthPath = EcosystemFiles.path(input.data, "truth/applicants.csv")
            var applicants: [ApplicantRecord] = []
            var applicantTruth: [String: (probability: Double, top: Bool)] = [:]
            if FileManager.default.fileExists(atPath: applicantsPath),
                FileManager.default.fileExists(atPath: applicantTruthPath)
            {
                applicants = try ProfileRecords.applicants(
                    RecordSource(name: applicantsPath, bytes: try FileIO.read(applicantsPath)),
                    segmentColumn: input.segmentBy, delimiter: delimiter)
                applicantTruth = try ProfileRecords.truth(
                    RecordSource(name: applicantTruthPath, bytes: try FileIO.read(applicantTruthPath)),
                    idColumn: "applicant_id", delimiter: delimiter)
            }
            let evaluation = try input.fitting {
                try ProfileEvaluation.evaluate(
                    data, options: input.options, performanceFile: input.performanceFile, truth: truth,
                    applicants: applicants, applicantTruth: applicantTruth, applicantsFile: applicantsPath,
                    newWithin: newWithin)
            }
            print(ProfileFormat.evaluation(evaluation))
            if let json {
                try FileIO.writeAtomically(Array(try JSONEncoder.pretty.encode(EvaluationJSON(evaluation))) + [0x0A], to: json)
            }
        }
    }

    struct EvaluationJSON: Encodable {
        struct Segment: Encodable {
            var segment: String
            var partners, top_performers: Int
            var multi_segment_auc, single_profile_auc, tier_auc, truth_auc: Double?
            init(_ r: ProfileEvaluation.Row) {
                segment = r.segment
                partners = r.partners
                top_performers = r.topPerformers
                multi_segment_auc = r.multiSegmentAUC
                single_profile_auc = r.singleProfileAUC
                tier_auc = r.tierAUC
                truth_auc = r.truthAUC
            }
        }
        var multi_segment_auc, single_profile_auc, tier_auc, truth_auc: Double?
        var applicant_auc, applicant_truth_auc: Double?
        var applicants: Int
        var new_partner_auc, new_partner_deals_only_auc, new_partner_applicant_only_auc, new_partner_truth_auc: Double?
        var new_partners: Int
        var new_within: Int?
        var shrinkage: String
        var l2_strength: Double
        var segments: [Segment]
        init(_ e: ProfileEvaluation) {
            multi_segment_auc = e.overall.multiSegmentAUC
            single_profile_auc = e.overall.singleProfileAUC
            tier_auc = e.overall.tierAUC
            truth_auc = e.overall.truthAUC
            applicant_auc = e.applicantAUC
            applicant_truth_auc = e.applicantTruthAUC
            applicants = e.applicantCount
            new_partner_auc = e.newPartnerAUC
            new_partner_deals_only_auc = e.newPartnerDealsOnlyAUC
            new_partner_applicant_only_auc = e.newPartnerApplicantOnlyAUC
            new_partner_truth_auc = e.newPartnerTruthAUC
            new_partners = e.newPartnerCount
            new_within = e.newWithin
            shrinkage = e.shrinkage.isInfinite ? "infinity" : "\(e.shrinkage)"
            l2_strength = e.l2Strength
            segments = e.segments.map(Segment.init)
        }
    }
}

enum ProfileFormat {
    static func fixed(_ value: Double?, _ digits: Int) -> String {
        guard let value, value.isFinite else { return "–" }
        return String(format: "%.\(digits)f", value)
    }

    static func evaluation(_ e: ProfileEvaluation) -> String {
        var lines = [
            "ROC AUC of predicting next-window top performers (time split; truth = the generator's own probability)",
            "segment              partners  top  multi-segment  single profile  tier   truth",
        ]
        for row in e.segments + [e.overall] {
            let name = row.segment.padding(toLength: 20, withPad: " ", startingAt: 0)
            lines.append(
                "\(name) \(String(row.partners).leftPadded(8))  \(String(row.topPerformers).leftPadded(3))  "
                    + "\(fixed(row.multiSegmentAUC, 3).leftPadded(13))  \(fixed(row.singleProfileAUC, 3).leftPadded(14))  "
                    + "\(fixed(row.tierAUC, 3).leftPadded(5))  \(fixed(row.truthAUC, 3).leftPadded(5))")
        }
        lines.append(
            "segment shrinkage τ = \(e.shrinkage.isInfinite ? "∞ (one shared profile)" : "\(e.shrinkage)"), λ = \(e.l2Strength) (cross-validated)"
        )
        if e.applicantCount > 0 {
            lines.append(
                "applicants: \(e.applicantCount), recruitment AUC \(fixed(e.applicantAUC, 3)) vs the truth's own \(fixed(e.applicantTruthAUC, 3))"
            )
        }
        if let newWithin = e.newWithin {
            lines.append(
                "new partners (first period within the last \(newWithin)): \(e.newPartnerCount), AUC with their behaviour "
                    + "and early deals \(fixed(e.newPartnerAUC, 3)) vs their early deals without the behaviour "
                    + "\(fixed(e.newPartnerDealsOnlyAUC, 3)) vs their application alone \(fixed(e.newPartnerApplicantOnlyAUC, 3)) "
                    + "vs the truth's own \(fixed(e.newPartnerTruthAUC, 3))")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

extension Profile: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--data", folder: input.data, files: ProfileData.files)
        roles.write("--out", out)
        return roles
    }
}

extension Recruit: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--data", folder: input.data, files: ProfileData.files)
        roles.read("--applicants", applicants)
        roles.write("--out", out)
        roles.write("--new-partners", newPartners)
        return roles
    }
}

extension EvaluateProfiles: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--data", folder: input.data, files: ProfileData.files + Self.truthFiles)
        roles.write("--json", json)
        return roles
    }
}
