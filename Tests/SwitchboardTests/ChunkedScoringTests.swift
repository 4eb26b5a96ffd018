import Foundation
import Learning
import Testing

@testable import Switchboard

/// The pipelined scoring loop against the simple one: the same bytes, summary and error for every chunk size and
/// hand-off depth; and the simple loop against formatting every lead's score in one go.
@Suite("Chunked scoring")
struct ChunkedScoringTests {
    /// A random instance of LeadScorerTests (random W, statuses, rules, owners), its leads as a CSV table.
    static func instance(seed: UInt64) throws -> (scorer: LeadScorer, table: CSVTable, leads: [Lead]) {
        let (model, partners, leads, rules) = LeadScorerTests.instance(seed: seed)
        let scorer = try LeadScorer(model: model, partners: partners, rules: rules, at: model.historyEnd)
        let table = try CSVTable(parsing: Array(RecordWriter.leads(leads).utf8), source: "incoming.csv")
        return (scorer, table, leads)
    }

    /// `table` cut into chunks of `size` records, in order.
    static func chunks(_ table: CSVTable, size: Int) -> [ChunkedScoring.Chunk] {
        stride(from: 0, to: table.rowCount, by: size).map { start in
            let rows = start..<min(table.rowCount, start + size)
            return ChunkedScoring.Chunk(
                table: CSVTable(
                    source: table.source, header: table.header, columns: table.columns.map { Array($0[rows]) },
                    recordLines: Array(table.recordLines[rows]), delimiter: table.delimiter),
                bytesRead: rows.upperBound)
        }
    }

    /// The pipelines the tests run beside the sequential loop: one scorer or several, short and long hand-offs.
    static let pipelines: [ChunkedScoring.Mode] = [
        .pipelined(depth: 1, scorers: 1), .pipelined(depth: 2, scorers: 1), .pipelined(depth: 1, scorers: 2),
        .pipelined(depth: 2, scorers: 3),
    ]

    /// Runs the loop over `chunks`; the bytes written (nil when it threw), the summary or the error's text.
    /// `failScoreFrom`: the scoring of every chunk from that index on throws (the later ones first, by a delay).
    static func run(
        _ chunks: [ChunkedScoring.Chunk], _ mode: ChunkedScoring.Mode, format: ScoreFormat, scorer: LeadScorer, top: Int,
        failWriteAt: Int? = nil, failScoreFrom: Int? = nil
    ) -> (bytes: [UInt8], outcome: String, progressed: [Int]) {
        var remaining = chunks[...]
        var bytes: [UInt8] = []
        var writes = 0
        var progressed: [Int] = []
        let failing = failScoreFrom.map { Set(chunks[$0...].map { $0.table.columns[0][0] }) } ?? []
        do {
            let summary = try ChunkedScoring.run(
                source: "incoming.csv", chunks: { remaining.popFirst() }, format: format, mode: mode,
                score: { leads in
                    if failing.contains(leads[0].id) {
                        if leads[0].id == chunks[failScoreFrom!].table.columns[0][0] { Thread.sleep(forTimeInterval: 0.05) }
                        throw RecordError.emptySet(file: "scoring of \(leads[0].id)", what: "partners")
                    }
                    return try scorer.score(leads, top: top, workers: 2)
                },
                write: { piece in
                    writes += 1
                    if writes == failWriteAt { throw CancellationError() }
                    bytes += piece
                },
                progress: { progressed.append($0.leads) })
            return (bytes, "\(summary.leads) leads, \(summary.unplaceable) unplaceable, at \(summary.bytesRead)", progressed)
        } catch {
            return (bytes, "error: \(error)", progressed)
        }
    }

    @Test(
        "the pipeline writes the simple loop's bytes",
        arguments: [(1, 1, 1), (7, 1, 2), (64, 2, 1), (64, 2, 2), (333, 3, 3), (5000, 2, 2)])
    func sameBytes(size: Int, depth: Int, scorers: Int) throws {
        let (scorer, table, leads) = try Self.instance(seed: 900 + UInt64(size))
        let chunks = Self.chunks(table, size: size)
        for format in ScoreFormat.allCases {
            let simple = Self.run(chunks, .sequential, format: format, scorer: scorer, top: 4)
            let piped = Self.run(chunks, .pipelined(depth: depth, scorers: scorers), format: format, scorer: scorer, top: 4)
            #expect(
                simple.outcome
                    == "\(leads.count) leads, \(try scorer.score(leads, top: 4).count { $0.leadScore == nil }) unplaceable, at \(leads.count)"
            )
            #expect(piped.outcome == simple.outcome)
            #expect(piped.bytes == simple.bytes)
            #expect(piped.progressed == simple.progressed)
            // And both are every lead's output at once, after the header.
            let whole = Array(LeadScore.header(format).utf8) + ChunkedScoring.bytes(try scorer.score(leads, top: 4), format)
            #expect(simple.bytes == whole)
        }
    }

    /// A cell that does not validate, or an id seen in an earlier chunk: the same error, after the same output.
    @Test("bad input stops both loops with the same error", arguments: [3, 50, 398])
    func sameError(row: Int) throws {
        let (scorer, table, _) = try Self.instance(seed: 77)
        var columns = table.columns
        let value = table.columnIndex(named: "estimated_value")!, id = table.columnIndex(named: "id")!
        for (kind, edit) in [
            ("number", { (c: inout [[String]]) in c[value][row] = "n/a" }), ("duplicate", { c in c[id][row] = c[id][1] }),
        ] {
            columns = table.columns
            edit(&columns)
            let bad = CSVTable(
                source: table.source, header: table.header, columns: columns, recordLines: table.recordLines,
                delimiter: table.delimiter)
            for size in [1, 16, 1000] {
                let chunks = Self.chunks(bad, size: size)
                let simple = Self.run(chunks, .sequential, format: .csv, scorer: scorer, top: 3)
                #expect(simple.outcome.hasPrefix("error: incoming.csv:\(row + 2):"), "\(kind)")
                for mode in Self.pipelines {
                    let piped = Self.run(chunks, mode, format: .csv, scorer: scorer, top: 3)
                    #expect(piped.outcome == simple.outcome, "\(kind), chunks of \(size), \(mode)")
                    // Nothing is kept on error, but what reached the writer before is the same.
                    #expect(piped.progressed == simple.progressed)
                    #expect(piped.bytes == simple.bytes)
                }
            }
        }
    }

    @Test("a failed write stops the pipeline at the same chunk")
    func failedWrite() throws {
        let (scorer, table, _) = try Self.instance(seed: 78)
        let chunks = Self.chunks(table, size: 10)
        for failAt in [1, 2, 9] {
            let simple = Self.run(chunks, .sequential, format: .jsonl, scorer: scorer, top: 2, failWriteAt: failAt)
            #expect(simple.outcome.hasPrefix("error:"))
            for mode in Self.pipelines {
                let piped = Self.run(chunks, mode, format: .jsonl, scorer: scorer, top: 2, failWriteAt: failAt)
                #expect(piped.outcome == simple.outcome, "\(mode)")
                #expect(piped.bytes == simple.bytes)
                #expect(piped.progressed.count == max(0, failAt - 2))
            }
        }
    }

    /// Scoring fails from one chunk on, the later chunks failing first in time: the first in input order is the
    /// run's error, after the chunks before it were written.
    @Test("a failed scoring stops the pipeline at the first failing chunk in input order")
    func failedScoring() throws {
        let (scorer, table, _) = try Self.instance(seed: 81)
        let chunks = Self.chunks(table, size: 10)
        for failFrom in [0, 3, chunks.count - 1] {
            let simple = Self.run(chunks, .sequential, format: .csv, scorer: scorer, top: 2, failScoreFrom: failFrom)
            #expect(simple.outcome.hasSuffix("scoring of \(chunks[failFrom].table.columns[0][0]): no partners"))
            #expect(simple.progressed.count == failFrom)
            for mode in Self.pipelines {
                let piped = Self.run(chunks, mode, format: .csv, scorer: scorer, top: 2, failScoreFrom: failFrom)
                #expect(piped.outcome == simple.outcome, "\(mode)")
                #expect(piped.bytes == simple.bytes)
                #expect(piped.progressed == simple.progressed)
            }
        }
    }

    @Test("no leads: the input is named")
    func empty() throws {
        let (scorer, _, _) = try Self.instance(seed: 79)
        for mode in [ChunkedScoring.Mode.sequential] + Self.pipelines {
            #expect(Self.run([], mode, format: .csv, scorer: scorer, top: 2).outcome == "error: incoming.csv: no leads")
        }
    }

    final class Box: Sendable {}

    @Test("a hand-off holds no item it has passed on, even when it never empties (memory stays bounded)")
    func handOffReleasesTaken() {
        let handOff = HandOff<Box>(capacity: 2)
        var taken: [() -> Box?] = []
        handOff.put(Box())
        for _ in 0..<50 {
            handOff.put(Box())  // one item always waits: the hand-off is never empty
            let box = handOff.take()
            taken.append { [weak box] in box }
        }
        #expect(taken.allSatisfy { $0() == nil })
        #expect(handOff.take() != nil)
        handOff.close()
        #expect(handOff.take() == nil && !handOff.put(Box()))
    }

    @Test("an ordered hand-off passes items on in sequence, holds none it passed on, and makes a put too far ahead wait")
    func orderedHandOff() {
        let handOff = OrderedHandOff<Box>(capacity: 2)
        var taken: [() -> Box?] = []
        // Put out of order, taken in order; the one just taken is released at once.
        for pair in stride(from: 0, to: 40, by: 2) {
            let (first, second) = (Box(), Box())
            #expect(handOff.put(second, at: pair + 1))
            #expect(handOff.put(first, at: pair))
            let one = handOff.take(), two = handOff.take()
            #expect(one === first && two === second)
            taken.append { [weak one] in one }
            taken.append { [weak two] in two }
        }
        #expect(taken.allSatisfy { $0() == nil })
        // 42 is two ahead of the next to take (40): its put waits until 40 is taken.
        let done = DispatchSemaphore(value: 0)
        let late = Box()
        Thread {
            _ = handOff.put(late, at: 42)
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + 0.2) == .timedOut)
        #expect(handOff.put(Box(), at: 40))
        #expect(handOff.take() != nil)
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(handOff.put(Box(), at: 41))
        #expect(handOff.take() != nil && handOff.take() === late)
        handOff.close()
        #expect(handOff.take() == nil && !handOff.put(Box(), at: 43))
    }

    @Test("duplicate ids across chunks and within one: the first problem in input order is reported")
    func duplicatesInOrder() throws {
        let (scorer, table, _) = try Self.instance(seed: 80)
        let id = table.columns[0][3]
        var columns = table.columns
        columns[0][25] = id  // a repeat of line 5, in the third chunk of 10
        columns[7][27] = "n/a"  // a bad value after it in the same chunk
        let bad = CSVTable(
            source: table.source, header: table.header, columns: columns, recordLines: table.recordLines,
            delimiter: table.delimiter)
        for mode in [ChunkedScoring.Mode.sequential] + Self.pipelines {
            let outcome = Self.run(Self.chunks(bad, size: 10), mode, format: .csv, scorer: scorer, top: 2).outcome
            #expect(
                outcome == "error: \(RecordError.duplicateID(file: "incoming.csv", line: 27, column: "id", id: id, firstLine: 5))"
            )
        }
    }
}
