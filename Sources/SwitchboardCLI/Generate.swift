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
            quality and vertical skills). The same seed gives the same files.
            """)

    @Option(help: "Number of partners.") var partners: Int = 300
    @Option(help: "Number of historical leads (one outcome each, two when the first partner declines).") var leads: Int = 20_000
    @Option(help: "Months of history.") var periods: Int = 24
    @Option(help: "Number of incoming (not yet assigned) leads, created after the history.") var incoming: Int = 3000
    @Option(help: "Random seed; the same seed gives the same files.") var seed: UInt64 = 2026
    @Option(help: "The output folder (created when missing).") var out: String

    func validate() throws {
        if partners < 1 { throw ValidationError("--partners must be at least 1 (got \(partners))") }
        if leads < 0 { throw ValidationError("--leads must be at least 0 (got \(leads))") }
        if periods < 1 { throw ValidationError("--periods must be at least 1 (got \(periods))") }
        if incoming < 0 { throw ValidationError("--incoming must be at least 0 (got \(incoming))") }
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
                throw CLIError("\(out): cannot create the folder (\(error.localizedDescription))")
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

    @Option(help: "Number of leads.") var rows: Int = 5000
    @Option(help: "Random seed; the same seed gives the same file.") var seed: UInt64 = 7
    @Option(help: "The output CSV file.") var out: String
    @Option(help: "Also write each row's true conversion probability (lead_id,true_probability) here.") var truth: String?

    func validate() throws {
        if rows < 1 { throw ValidationError("--rows must be at least 1 (got \(rows))") }
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
