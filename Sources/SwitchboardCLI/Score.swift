import ArgumentParser
import Foundation
import Learning
import Switchboard

extension ScoreFormat: ExpressibleByArgument {}

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score every incoming lead against every eligible partner with the match model; keep each lead's top K.",
        discussion: """
            For each lead: its lead score (the win probability with its best eligible partner), the number of \
            eligible partners, and its top K eligible partners with win probability, expected value (probability × \
            estimated deal value) and rank; the account's owner heads the list when it is eligible. A lead with no \
            eligible partner is written with the reason. Leads are read, scored and written in chunks (memory does not \
            grow with the number of leads); --leads - reads standard input and --out - writes standard output.
            """)

    @Option(help: "The match model file written by `switchboard train match`.") var model: String = "Models/match.json"
    @Option(help: "The incoming leads CSV file (- for standard input).") var leads: String
    @Option(help: "The partners CSV file (their capacity, open leads and status as of now).") var partners: String
    @Option(help: "Eligibility rules (JSON; see README). Default: own region, certifications required, active, with capacity.")
    var rules: String?
    @Option(help: "Account owners CSV file (account_id, partner_id); adds to the rules' accountOwners.") var owners: String?
    @Option(
        parsing: .unconditional, help: "How many partners to keep per lead (at most 10000; above the partner count, all of them)."
    ) var top: Int = 5
    @Option(help: "Output format: csv or jsonl (default: jsonl when --out ends in .jsonl, csv otherwise).")
    var format: ScoreFormat?
    @Option(help: "Partners' tenure is taken at this date (YYYY-MM-DD; default: the end of the model's history).")
    var asOf: String?
    @Option(
        name: [.customLong("chunk-rows"), .customLong("chunk")], parsing: .unconditional,
        help: "Leads per chunk (at most 1000000; the output does not depend on it; --chunk is the old name).")
    var chunk: Int = 4096
    @Option(
        parsing: .unconditional,
        help: "Worker threads for scoring (default: one per core, at most 256; the output does not depend on it).")
    var threads: Int?
    @Option(help: "Where to write the scores (- for standard output).") var out: String
    @OptionGroup var csv: CSVOptions

    func validate() throws {
        try Limits.check("--top", top, atLeast: 1, atMost: Limits.partnersPerLead)
        try Limits.check("--chunk-rows", chunk, atLeast: 1, atMost: Limits.chunk)
        if let threads { try Limits.check("--threads", threads, atLeast: 1, atMost: 256) }
        if let asOf { _ = try timeOption("--as-of", asOf) }
    }

    func run() throws {
        try reportingErrors {
            let delimiter = try csv.parsedDelimiter()
            let match = try loadModel(MatchModel.self, from: model)
            let partnerList = try RecordLoader.partners(try FileIO.readTable(partners, delimiter: delimiter).table)
            if partnerList.isEmpty { throw RecordError.emptySet(file: partners, what: "partners") }
            let eligibility = try Self.loadRules(rules: rules, owners: owners, partners: partnerList, delimiter: delimiter)
            let time = asOf.flatMap { Timestamp(iso: Substring($0)) } ?? match.historyEnd
            let scorer = try LeadScorer(model: match, partners: partnerList, rules: eligibility, at: time)
            let format = self.format ?? (out.hasSuffix(".jsonl") ? .jsonl : .csv)
            // One scoring thread per core (fewer with a smaller --threads), each taking whole chunks, so that one
            // chunk's encoding and assembling overlap another's scoring; more would only hold more chunks in memory.
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let scorers = max(1, min(threads ?? cores, cores))
            let keep = max(1, min(top, partnerList.count))
            let summary = try Self.stream(
                leads: leads, delimiter: delimiter, chunk: chunk, to: out, format: format,
                mode: .pipelined(depth: 2, scorers: scorers)
            ) { batch in try scorer.score(batch, top: keep, workers: threads) }
            FileIO.endProgress()
            if out != "-" {
                print(
                    "Scored \(summary.leads) leads against \(scorer.poolCount) of \(partnerList.count) partners that take leads "
                        + "(top \(top)); \(summary.unplaceable) with no eligible partner. Wrote \(out).")
            }
        }
    }

    /// Reads leads in chunks and runs the domain's chunked scoring over them (reading, scoring and writing at once);
    /// nothing is left at `out` unless all succeed.
    static func stream(
        leads path: String, delimiter: CSVDelimiter?, chunk: Int, to out: String, format: ScoreFormat,
        mode: ChunkedScoring.Mode, score: ([Lead]) throws -> [LeadScore]
    ) throws -> ChunkedScoring.Summary {
        var reader = try ChunkedCSVReader(path: path, delimiter: delimiter)
        let output = try StreamingOutput(path: out)
        let start = DispatchTime.now().uptimeNanoseconds
        let total = reader.totalBytes
        do {
            let summary = try ChunkedScoring.run(
                source: reader.source,
                chunks: {
                    guard let table = try reader.next(chunk) else { return nil }
                    return ChunkedScoring.Chunk(table: table, bytesRead: reader.bytesRead)
                }, format: format, mode: mode, score: score,
                write: { bytes in
                    try output.write(bytes)
                    if out == "-" { try output.flush() }
                },
                progress: { summary in
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    var message = "\(summary.leads) leads scored, \(Int(Double(summary.leads) / max(seconds, 1e-9))) leads/s"
                    if let total, summary.bytesRead > 0 {
                        let left = seconds * Double(total - summary.bytesRead) / Double(summary.bytesRead)
                        message += ", about \(Int(left.rounded(.up))) s left"
                    }
                    FileIO.progress(message)
                })
            try output.commit()
            return summary
        } catch {
            output.discard()
            throw error
        }
    }

    /// The rules file (defaults when none) with the owners file's accounts added, checked against the partners.
    static func loadRules(rules path: String?, owners: String?, partners: [Partner], delimiter: CSVDelimiter?) throws
        -> EligibilityRules
    {
        var rules = EligibilityRules()
        if let path { rules = try EligibilityRules.parse(try FileIO.read(path), source: path) }
        let ids = Set(partners.map(\.id))
        try rules.validate(partnerIDs: ids, source: path ?? "the default rules")
        if let owners {
            try RecordLoader.accountOwners(
                try FileIO.readTable(owners, delimiter: delimiter).table, partnerIDs: ids, into: &rules)
        }
        return rules
    }
}
