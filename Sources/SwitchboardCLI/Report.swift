import ArgumentParser
import Foundation
import Learning
import Switchboard

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the channel report: one self-contained HTML page with SVG charts.",
        discussion: """
            Reads the record files of --data (partners, leads, outcomes, activity, actions, action_history and incoming, \
            as `switchboard generate` writes them) and the models of --models (match.json, churn.json), and writes one \
            HTML file that opens without a network: each model's ROC, calibration, cumulative gains and lift by decile \
            on the history; the incoming leads scored and routed with the optimal, greedy and round-robin policies, \
            with the load per partner, its Gini coefficient, the share to small and new partners and the expected wins \
            of each, and with the optimum under the fairness controls (minimum share 2% for new and small partners, \
            exploration 1); the history's last 30 days replayed under every policy, at the recorded capacity and at \
            --tight-capacity, valued with the generator's true win probabilities when --data has a truth/ folder \
            (as `switchboard simulate`); segment KPIs; the partners most at risk of churning with their factors; and \
            each channel manager's to-do list. When --data also has firmographics.csv and performance.csv, a partner \
            intelligence section follows: each partner type's ideal profile, the high-potential partners furthest \
            below it, the recruitment shortlist (with applicants.csv), the new partners' outlook (their first 6 \
            periods) and the next quarter's forecast with its 80% band \
            (as `switchboard profile`, `recruit` and `forecast` fit them). When --models also holds leads.json (a \
            `switchboard train` lead score), each of its terms' shape function closes the report.
            """)

    @Option(help: "The folder of record files written by `switchboard generate`.") var data = "Data/ecosystem"
    @Option(help: "The folder holding match.json and churn.json (and, optionally, the lead score leads.json).")
    var models = "Models"
    @Option(parsing: .unconditional, help: "Partners kept for each incoming lead (the router chooses among them; at most 10000).")
    var candidates = 10
    @Option(parsing: .unconditional, help: "Partners listed in the churn-risk table.") var atRisk = 15
    @Option(
        parsing: .unconditional,
        help: "The replay's tight-capacity what-if: every partner's capacity times this (it also runs as recorded).")
    var tightCapacity: Double = 0.5
    @Option(help: "Where to write the HTML report.") var out: String
    @OptionGroup var csv: CSVOptions

    func validate() throws {
        try Limits.check("--candidates", candidates, atLeast: 1, atMost: Limits.partnersPerLead)
        if atRisk < 1 { throw ValidationError("--at-risk must be at least 1 (got \(atRisk))") }
        if !(tightCapacity > 0 && tightCapacity.isFinite) {
            throw ValidationError("--tight-capacity must be > 0 (got \(tightCapacity))")
        }
        if out.isEmpty { throw ValidationError("--out must name a file") }
    }

    func run() throws {
        try reportingErrors {
            let started = DispatchTime.now().uptimeNanoseconds
            let input = try Self.load(data: data, models: models, delimiter: try csv.parsedDelimiter())
            var options = ReportOptions()
            options.candidatesPerLead = min(candidates, max(1, input.ecosystem.partners.count))
            options.atRiskCount = atRisk
            options.replayCapacityScales = tightCapacity == 1 ? [1] : [1, tightCapacity]
            let report = try ChannelReport(input, options: options)
            let intelligence = try Self.intelligence(data: data, ecosystem: input.ecosystem, delimiter: try csv.parsedDelimiter())
            let html = HTMLReport.render(report, intelligence: intelligence)
            try FileIO.writeAtomically(html, to: out)
            if out != "-" {
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                print(Self.summary(report, bytes: html.utf8.count, seconds: seconds))
                if let intelligence { print(Self.intelligenceSummary(intelligence)) }
                print("wrote \(out)")
            }
        }
    }

    /// Reads and checks every record file of `data` (and its truth when it has one) and both models of `models`.
    static func load(data: String, models: String, delimiter: CSVDelimiter?) throws -> ReportInput {
        let files = try EcosystemFiles.reading(
            folder: data, required: [.partners, .leads, .outcomes, .activity, .actions, .actionHistory, .incoming],
            optional: [.truthPartners, .truthPairs])
        let ecosystem = try Ecosystem.load(files, options: EcosystemLoadOptions(delimiter: delimiter, nonEmpty: [.actions]))
        let matchPath = EcosystemFiles.path(models, "match.json"), churnPath = EcosystemFiles.path(models, "churn.json")
        let leadPath = EcosystemFiles.path(models, "leads.json")
        return ReportInput(
            ecosystem: ecosystem, matchModel: try loadModel(MatchModel.self, from: matchPath),
            churnModel: try loadModel(ChurnModel.self, from: churnPath), matchModelSource: matchPath,
            churnModelSource: churnPath,
            leadModel: FileManager.default.fileExists(atPath: leadPath) ? try loadModel(TabularModel.self, from: leadPath) : nil,
            leadModelSource: leadPath)
    }

    /// The partner-intelligence section's figures when `data` has firmographics.csv and performance.csv (and the
    /// recruitment shortlist when it also has applicants.csv); nil without them. Segments are partner types.
    static func intelligence(data: String, ecosystem: Ecosystem, delimiter: CSVDelimiter?) throws -> PartnerIntelligence? {
        let exists = { (name: String) in FileManager.default.fileExists(atPath: EcosystemFiles.path(data, name)) }
        guard exists("firmographics.csv") && exists("performance.csv") else { return nil }
        let partnersPath = ecosystem.sources.partners
        let profileInput = try PartnerData.profileInput(
            data: data, ecosystem: ecosystem,
            partners: RecordSource(name: partnersPath, bytes: try FileIO.read(partnersPath)), segmentBy: "type",
            delimiter: delimiter)
        let performancePath = EcosystemFiles.path(data, "performance.csv")
        var applicants: [ApplicantRecord] = []
        let applicantsPath = EcosystemFiles.path(data, "applicants.csv")
        if exists("applicants.csv") {
            applicants = try ProfileRecords.applicants(
                RecordSource(name: applicantsPath, bytes: try FileIO.read(applicantsPath)), segmentColumn: "type",
                delimiter: delimiter)
        }
        do {
            return try PartnerIntelligence(
                profileInput, applicants: applicants, applicantsSource: applicantsPath, performanceSource: performancePath)
        } catch let error as LearningError {
            throw CLIError("\(performancePath): \(error)")
        }
    }

    static func intelligenceSummary(_ figures: PartnerIntelligence) -> String {
        let q = figures.forecast.totals[figures.quarterIndex]
        var line =
            "partner intelligence: \(figures.profiles.segments.count) segment profiles, "
            + "\(figures.profiles.highPotential.count) high-potential partners"
        if let r = figures.recruitment { line += ", \(r.rows.count) applicants ranked" }
        line += ", \(figures.newPartners.rows.count) new partners scored"
        line +=
            "; next quarter's partner-sourced revenue \(NumberFormat.grouped(q.mean)) "
            + "(80%: \(NumberFormat.grouped(q.low))–\(NumberFormat.grouped(q.high)))"
        return line
    }

    static func summary(_ report: ChannelReport, bytes: Int, seconds: Double) -> String {
        var lines = [
            "channel report as of \(report.asOf.dateDescription): \(report.partnerCount) partners, "
                + "\(report.routing.leadCount) incoming leads, \(report.actions.todos.count) managers' to-do lists"
        ]
        for model in report.models {
            lines.append(
                "\(model.name.lowercased()): ROC AUC \(Format.fixed(model.report.rocAUC)) on \(model.report.rowCount) rows, "
                    + "lift in the top decile \(Format.fixed(model.report.liftTopDecile, 2))")
        }
        lines.append(
            Format.table(
                ["policy", "assigned", "expected wins", "expected value", "Gini", "to small", "to new"],
                report.routing.policies.map { p in
                    [
                        p.name, "\(p.assigned)", Format.fixed(p.expectedWins, 1), Format.fixed(p.expectedValue, 0),
                        Format.fixed(p.gini, 3), NumberFormat.percent(p.smallShare), NumberFormat.percent(p.newShare),
                    ]
                }
            ).trimmingCharacters(in: .newlines))
        for replay in report.replays {
            lines.append(Simulate.text(replay).trimmingCharacters(in: .newlines))
        }
        lines.append(
            "\(report.highRiskCount) partners at high churn risk; \(NumberFormat.grouped(Double(bytes))) bytes in "
                + "\(Format.fixed(seconds, 2)) s")
        return lines.joined(separator: "\n")
    }
}
