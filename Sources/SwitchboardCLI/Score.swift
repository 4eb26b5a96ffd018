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
    var chunk: Int = 8192
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
            let summary = try Self.stream(
                leads: leads, delimiter: delimiter, chunk: chunk, to: out, format: format
            ) { batch in try scorer.score(batch, top: max(1, min(top, partnerList.count)), workers: threads) }
            FileIO.endProgress()
            if out != "-" {
                print(
                    "Scored \(summary.leads) leads against \(scorer.poolCount) of \(partnerList.count) partners that take leads "
                        + "(top \(top)); \(summary.unplaceable) with no eligible partner. Wrote \(out).")
            }
        }
    }

    struct Summary { var leads = 0, unplaceable = 0 }

    /// Reads leads in chunks, scores each chunk, writes its lines; nothing is left at `out` unless all succeed.
    static func stream(
        leads path: String, delimiter: CSVDelimiter?, chunk: Int, to out: String, format: ScoreFormat,
        score: ([Lead]) throws -> [LeadScore]
    ) throws -> Summary {
        var reader = try ChunkedCSVReader(path: path, delimiter: delimiter)
        let output = try StreamingOutput(path: out)
        var summary = Summary()
        var seen: [String: Int] = [:]
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            try output.write(LeadScore.header(format))
            while let table = try reader.next(chunk) {
                let batch = try Self.loadLeads(table)
                for (row, lead) in batch.enumerated() {
                    let line = table.recordLines[row]
                    if let first = seen.updateValue(line, forKey: lead.id) {
                        throw RecordError.duplicateID(file: table.source, line: line, column: "id", id: lead.id, firstLine: first)
                    }
                }
                let scores = try score(batch)
                try output.write(Self.format(scores, format))
                summary.unplaceable += scores.count { $0.leadScore == nil }
                if out == "-" { try output.flush() }
                summary.leads += batch.count
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let rate = Double(summary.leads) / max(seconds, 1e-9)
                var message = "\(summary.leads) leads scored, \(Int(rate)) leads/s"
                if let total = reader.totalBytes, reader.bytesRead > 0 {
                    let left = seconds * Double(total - reader.bytesRead) / Double(reader.bytesRead)
                    message += ", about \(Int(left.rounded(.up))) s left"
                }
                FileIO.progress(message)
            }
            if summary.leads == 0 { throw RecordError.emptySet(file: reader.source, what: "leads") }
            try output.commit()
        } catch {
            output.discard()
            throw error
        }
        return summary
    }

    /// The leads of a chunk, validated on every core in slices (the first error by line wins, as if read in order).
    static func loadLeads(_ table: CSVTable) throws -> [Lead] {
        let slices = min(table.rowCount / 2048, ProcessInfo.processInfo.activeProcessorCount)
        guard slices > 1 else { return try RecordLoader.leads(table) }
        let results = LoadedSlices(count: slices)
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            let rows = (table.rowCount * slice / slices)..<(table.rowCount * (slice + 1) / slices)
            let part = CSVTable(
                source: table.source, header: table.header, columns: table.columns.map { Array($0[rows]) },
                recordLines: Array(table.recordLines[rows]), delimiter: table.delimiter)
            results.set(slice, Result { try RecordLoader.leads(part) })
        }
        return try results.joined()
    }

    /// The scores' output bytes, formatted on every core in order-preserving slices.
    static func format(_ scores: [LeadScore], _ format: ScoreFormat) -> [UInt8] {
        let slices = min(scores.count, 2 * ProcessInfo.processInfo.activeProcessorCount)
        guard slices > 1 else {
            var bytes: [UInt8] = []
            for score in scores { score.write(format, into: &bytes) }
            return bytes
        }
        let pieces = FormattedSlices(count: slices)
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(scores.count / slices * 256)
            for index in (scores.count * slice / slices)..<(scores.count * (slice + 1) / slices) {
                scores[index].write(format, into: &bytes)
            }
            pieces.set(slice, bytes)
        }
        return pieces.joined()
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
            let table = try FileIO.readTable(owners, delimiter: delimiter).table
            guard let account = table.columnIndex(named: "account_id") else {
                throw RecordError.missingColumn(file: table.source, column: "account_id")
            }
            guard let partner = table.columnIndex(named: "partner_id") else {
                throw RecordError.missingColumn(file: table.source, column: "partner_id")
            }
            var firstLine: [String: Int] = [:]
            for row in 0..<table.rowCount {
                let line = table.recordLines[row]
                let accountID = table.columns[account][row].trimmingBlanks()
                let partnerID = table.columns[partner][row].trimmingBlanks()
                if accountID.isEmpty { throw RecordError.emptyValue(file: table.source, line: line, column: "account_id") }
                if !ids.contains(partnerID) {
                    throw RecordError.unknownReference(
                        file: table.source, line: line, column: "partner_id", id: partnerID, referencedFile: "the partners file")
                }
                if let first = firstLine.updateValue(line, forKey: accountID) {
                    throw RecordError.duplicateID(
                        file: table.source, line: line, column: "account_id", id: accountID, firstLine: first)
                }
                if let ruled = rules.accountOwners[accountID], ruled != partnerID {
                    throw CLIError(
                        "\(table.source):\(line): account \(accountID) is owned by \(partnerID) here but by \(ruled) in the rules"
                    )
                }
                rules.accountOwners[accountID] = partnerID
            }
        }
        return rules
    }
}

/// Slices of output written by concurrent workers, each to its own index.
private final class FormattedSlices: @unchecked Sendable {
    private var slices: [[UInt8]]
    private let lock = NSLock()

    init(count: Int) { slices = Array(repeating: [], count: count) }

    func set(_ index: Int, _ bytes: [UInt8]) {
        lock.lock()
        slices[index] = bytes
        lock.unlock()
    }

    func joined() -> [UInt8] { Array(slices.joined()) }
}

/// Slices of leads loaded by concurrent workers.
private final class LoadedSlices: @unchecked Sendable {
    private var slices: [Result<[Lead], any Error>]
    private let lock = NSLock()

    init(count: Int) { slices = Array(repeating: .success([]), count: count) }

    func set(_ index: Int, _ result: Result<[Lead], any Error>) {
        lock.lock()
        slices[index] = result
        lock.unlock()
    }

    /// All leads in order, or the first slice's error.
    func joined() throws -> [Lead] { try slices.flatMap { try $0.get() } }
}
