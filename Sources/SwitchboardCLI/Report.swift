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
            each channel manager's to-do list.
            """)

    @Option(help: "The folder of record files written by `switchboard generate`.") var data = "Data/ecosystem"
    @Option(help: "The folder holding match.json and churn.json.") var models = "Models"
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
            let html = HTMLReport.render(report)
            try FileIO.writeAtomically(html, to: out)
            if out != "-" {
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                print(Self.summary(report, bytes: html.utf8.count, seconds: seconds))
                print("wrote \(out)")
            }
        }
    }

    /// `folder/name`, as given (relative paths stay relative, so errors name the file as the user would).
    static func path(_ folder: String, _ name: String) -> String {
        URL(fileURLWithPath: folder).appendingPathComponent(name).relativePath
    }

    /// Reads and checks every record file and both models.
    static func load(data: String, models: String, delimiter: CSVDelimiter?) throws -> ReportInput {
        func table(_ name: String) throws -> CSVTable { try FileIO.readTable(path(data, name), delimiter: delimiter).table }
        let partnerTable = try table("partners.csv"), leadTable = try table("leads.csv")
        let outcomeTable = try table("outcomes.csv"), activityTable = try table("activity.csv")
        let actionTable = try table("actions.csv"), historyTable = try table("action_history.csv")
        let incomingTable = try table("incoming.csv")
        var sources = EcosystemSources()
        sources.partners = partnerTable.source
        sources.leads = leadTable.source
        sources.outcomes = outcomeTable.source
        sources.activity = activityTable.source
        sources.actions = actionTable.source
        sources.actionHistory = historyTable.source
        let ecosystem = Ecosystem(
            partners: try RecordLoader.partners(partnerTable), leads: try RecordLoader.leads(leadTable),
            outcomes: try RecordLoader.outcomes(outcomeTable), activity: try RecordLoader.activity(activityTable),
            actions: try RecordLoader.actions(actionTable), actionHistory: try RecordLoader.actionHistory(historyTable))
        try ecosystem.validate(
            sources: sources, outcomeLines: outcomeTable.recordLines, activityLines: activityTable.recordLines,
            historyLines: historyTable.recordLines)
        if ecosystem.actions.isEmpty { throw RecordError.emptySet(file: actionTable.source, what: "actions") }
        let incoming = try RecordLoader.leads(incomingTable)
        let matchPath = path(models, "match.json"), churnPath = path(models, "churn.json")
        // A generated ecosystem's truth, when there is one: the replay is then valued with the true win probabilities.
        var truth: EcosystemTruth?
        let truthPartners = path(data, "truth/partners.csv"), truthPairs = path(data, "truth/pairs.csv")
        if FileManager.default.fileExists(atPath: truthPartners) && FileManager.default.fileExists(atPath: truthPairs) {
            truth = try EcosystemTruth.load(
                partners: try FileIO.readTable(truthPartners, delimiter: delimiter).table,
                pairs: try FileIO.readTable(truthPairs, delimiter: delimiter).table)
        }
        return ReportInput(
            ecosystem: ecosystem, incoming: incoming, matchModel: try loadModel(MatchModel.self, from: matchPath),
            churnModel: try loadModel(ChurnModel.self, from: churnPath), sources: sources,
            incomingSource: incomingTable.source, matchModelSource: matchPath, churnModelSource: churnPath,
            activityLines: activityTable.recordLines, outcomeLines: outcomeTable.recordLines,
            actionLines: actionTable.recordLines, truth: truth)
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
                        Format.fixed(p.gini, 3), ReportNumber.percent(p.smallShare), ReportNumber.percent(p.newShare),
                    ]
                }
            ).trimmingCharacters(in: .newlines))
        for replay in report.replays {
            lines.append(Simulate.text(replay).trimmingCharacters(in: .newlines))
        }
        lines.append(
            "\(report.highRiskCount) partners at high churn risk; \(ReportNumber.grouped(Double(bytes))) bytes in "
                + "\(Format.fixed(seconds, 2)) s")
        return lines.joined(separator: "\n")
    }
}
