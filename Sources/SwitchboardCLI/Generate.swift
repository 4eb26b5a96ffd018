import ArgumentParser
import Foundation
import Switchboard

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate sample data from a hidden, known ground truth.",
        subcommands: [GenerateLeads.self]
    )
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
