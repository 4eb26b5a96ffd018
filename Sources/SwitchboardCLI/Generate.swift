import ArgumentParser
import Foundation
import Switchboard

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate sample data from a hidden, known ground truth.",
        subcommands: [GenerateEcosystem.self, GenerateLeads.self],
        defaultSubcommand: GenerateEcosystem.self
    )
}

struct GenerateEcosystem: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecosystem",
        abstract: "A whole partner ecosystem (partners, leads, outcomes, activity, actions) and its hidden ground truth.",
        discussion: """
            Writes partners.csv, leads.csv, outcomes.csv, activity.csv, actions.csv, action_history.csv and \
            incoming.csv into the output folder, and the ground truth into its truth/ subfolder: pairs.csv (the true \
            win probability of every historical outcome not declined), churn.csv (the true churn probability after \
            every activity row), actions.csv (each action's true effects) and partners.csv (each partner's hidden \
            quality and vertical skills). For partner intelligence (`profile`, `recruit`, `forecast`) it also writes \
            firmographics.csv (employees, years in business, certified staff per partner), performance.csv \
            (partner-sourced won deals and revenue per partner and period) and applicants.csv (prospective partners as \
            their applications describe them), with their truth: truth/potential.csv (each partner's latent \
            potential, true expected deals and revenue a period, and probability of being a top performer over the \
            next 12 periods), truth/performance.csv (the drawn future, 12 periods) and truth/applicants.csv (each \
            applicant's true probability of becoming a top performer). For onboarding paths it writes \
            onboarding_history.csv (onboarded partners: their steps in order, first won deal's month and first-year \
            revenue) and onboarding_new.csv (new partners to plan for), with truth/onboarding.csv and \
            truth/onboarding_segments.csv (the true step effects on the monthly first-deal chance by partner type). \
            The same seed gives the same files.
            """)

    @Option(parsing: .unconditional, help: "Number of partners (at most 100000; partners × periods at most 5000000).")
    var partners: Int = 300
    @Option(
        parsing: .unconditional,
        help: "Number of historical leads (one outcome each, two when the first partner declines; at most 5000000).") var leads:
        Int = 20_000
    @Option(parsing: .unconditional, help: "Months of history (at most 600).") var periods: Int = 24
    @Option(
        parsing: .unconditional, help: "Number of incoming (not yet assigned) leads, created after the history (at most 5000000)."
    ) var incoming: Int = 3000
    @Option(parsing: .unconditional, help: "Random seed; the same seed gives the same files.") var seed: UInt64 = 2026
    @Option(help: "The output folder (created when missing).") var out: String

    func validate() throws {
        try Limits.check("--partners", partners, atLeast: 1, atMost: Limits.generatedPartners)
        try Limits.check("--leads", leads, atLeast: 0, atMost: Limits.generatedLeads)
        try Limits.check("--periods", periods, atLeast: 1, atMost: Limits.generatedPeriods)
        try Limits.check("--incoming", incoming, atLeast: 0, atMost: Limits.generatedLeads)
        try Limits.check(
            "--partners × --periods", partners * periods, atLeast: 1, atMost: Limits.generatedActivityRows,
            why: "the activity rows written")
    }

    func run() throws {
        try reportingErrors {
            let generated = EcosystemGenerator(
                partnerCount: partners, leadCount: leads, periodCount: periods, incomingCount: incoming, seed: seed
            ).generate()
            let folder = URL(fileURLWithPath: out)
            do {
                try FileManager.default.createDirectory(
                    at: folder.appendingPathComponent("truth"), withIntermediateDirectories: true)
            } catch {
                throw CLIError("\(out): cannot create the folder (permission denied, or a part of the path is a file)")
            }
            try FileIO.writeAtomically(
                generated.files().map { (folder.appendingPathComponent($0.name).path, Array($0.text.utf8)) })
            let e = generated.ecosystem
            print(
                "wrote \(e.partners.count) partners, \(e.leads.count) leads, \(e.outcomes.count) outcomes, "
                    + "\(e.activity.count) activity rows, \(e.actionHistory.count) actions taken and "
                    + "\(generated.incoming.count) incoming leads to \(out)")
        }
    }
}

struct GenerateLeads: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leads",
        abstract: "A lead-conversion table (region, vertical, source, size, value, engagement, converted yes/no).")

    @Option(parsing: .unconditional, help: "Number of leads (at most 10000000).") var rows: Int = 5000
    @Option(parsing: .unconditional, help: "Random seed; the same seed gives the same file.") var seed: UInt64 = 7
    @Option(help: "The output CSV file.") var out: String
    @Option(help: "Also write each row's true conversion probability (lead_id,true_probability) here.") var truth: String?

    func validate() throws {
        try Limits.check("--rows", rows, atLeast: 1, atMost: Limits.generatedRows)
    }

    func run() throws {
        try reportingErrors {
            let (csv, probabilities) = LeadSampleGenerator(rowCount: rows, seed: seed).generate()
            var outputs = [(path: out, bytes: Array(csv.utf8))]
            if let truth {
                var text = "lead_id,true_probability\n"
                for (index, p) in probabilities.enumerated() { text += "L\(seed)-\(index + 1),\(p)\n" }
                outputs.append((truth, Array(text.utf8)))
            }
            try FileIO.writeAtomically(outputs)
            print("wrote \(rows) leads to \(out)")
        }
    }
}
