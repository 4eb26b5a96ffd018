import Dispatch
import Foundation
import Learning

/// The loop of `switchboard score` over a leads table that arrives in chunks: each chunk's leads are validated
/// (duplicate ids across the whole input included), scored and formatted, and its bytes handed on in input order.
///
/// The loop takes its chunks, its scoring and its output as functions, so it touches no file: the caller reads the
/// input and writes the bytes. Two ways to run it give the same bytes, the same summary and the same error:
/// - sequential: read a chunk, score it, write it, then the next;
/// - pipelined: reading and validation, scoring, and formatting and writing run at once, on threads of their own: one
///   reader, `scorers` scoring threads each taking whole chunks (so one chunk's encoding and the assembling of its
///   scores overlap another's scoring, and no core waits for the others at a chunk's end), one writer putting chunks
///   back in input order. At most `depth` chunks wait between two stages (memory stays bounded by a few chunks). The
///   first failure in input order wins, as in the sequential loop: a chunk that cannot be read stops the run after the
///   chunks before it were written; a failed write stops the reading.
public enum ChunkedScoring {
    /// One chunk of the leads table and how far into the input it ends (for progress).
    public struct Chunk: Sendable {
        public var table: CSVTable
        public var bytesRead: Int

        public init(table: CSVTable, bytesRead: Int = 0) {
            self.table = table
            self.bytesRead = bytesRead
        }
    }

    /// What has been written so far.
    public struct Summary: Sendable, Equatable {
        /// Leads written.
        public var leads = 0
        /// Leads written with no eligible partner.
        public var unplaceable = 0
        /// `bytesRead` of the last chunk written.
        public var bytesRead = 0

        public init() {}
    }

    /// How the stages run.
    public enum Mode: Sendable, Equatable {
        case sequential
        /// At most `depth` (≥ 1) chunks wait between two stages; `scorers` (≥ 1) threads score chunks at once.
        case pipelined(depth: Int, scorers: Int)
    }

    /// Scores every chunk `next` returns from the leads input named `source` (nil ends the input) with `score` and passes each chunk's output in `format`
    /// (header first) to `write`, in input order; `progress` is called after each chunk is written.
    ///
    /// `next` is called from one thread at a time, in order, as are `write` and `progress`; `score` is called from
    /// `scorers` threads at once (the caller's among them). Nothing is retried: the first error (in input order) is
    /// thrown once every stage has stopped.
    /// - Throws: `RecordError` for a lead that does not validate (its file, line and column) or an id seen before;
    ///   `RecordError.emptySet` when the input has no lead; whatever `next`, `score` or `write` throw.
    public static func run(
        source: String, chunks next: () throws -> Chunk?, format: ScoreFormat, mode: Mode = .pipelined(depth: 2, scorers: 1),
        score: ([Lead]) throws -> [LeadScore], write: ([UInt8]) throws -> Void, progress: (Summary) -> Void = { _ in }
    ) throws -> Summary {
        switch mode {
        case .sequential:
            return try sequential(source: source, next: next, format: format, score: score, write: write, progress: progress)
        case .pipelined(let depth, let scorers):
            return try withoutActuallyEscaping(next) { next in
                try withoutActuallyEscaping(score) { score in
                    try withoutActuallyEscaping(write) { write in
                        try withoutActuallyEscaping(progress) { progress in
                            try pipelined(
                                source: source, next: next, format: format, depth: max(1, depth), scorers: max(1, scorers),
                                score: score, write: write, progress: progress)
                        }
                    }
                }
            }
        }
    }

    /// The bytes of `scores` in `format`, in order.
    public static func bytes(_ scores: [LeadScore], _ format: ScoreFormat) -> [UInt8] {
        LeadScore.bytes(scores, format)
    }

    /// Ids seen so far and the line of each, across chunks.
    struct SeenIDs {
        private var ids = UniqueKeys()

        /// The chunk's leads, each id checked against every earlier one (in this chunk and before) as it is read:
        /// the first problem in input order is the one reported.
        mutating func leads(of table: CSVTable) throws -> [Lead] {
            try RecordLoader.leads(table, ids: &ids)
        }
    }

    static func sequential(
        source: String, next: () throws -> Chunk?, format: ScoreFormat, score: ([Lead]) throws -> [LeadScore],
        write: ([UInt8]) throws -> Void,
        progress: (Summary) -> Void
    ) throws -> Summary {
        var seen = SeenIDs()
        var summary = Summary()
        try write(Array(LeadScore.header(format).utf8))
        while let chunk = try next() {
            let leads = try seen.leads(of: chunk.table)
            let scores = try score(leads)
            try write(bytes(scores, format))
            summary.leads += leads.count
            summary.unplaceable += scores.count { $0.leadScore == nil }
            summary.bytesRead = chunk.bytesRead
            progress(summary)
        }
        if summary.leads == 0 { throw RecordError.emptySet(file: source, what: "leads") }
        return summary
    }

    /// What passes from one stage to the next.
    enum Item<Value> {
        case value(Value, bytesRead: Int)
        case failure(any Error)
        case end
    }

    static func pipelined(
        source: String, next: @escaping () throws -> Chunk?, format: ScoreFormat, depth: Int, scorers: Int,
        score: @escaping ([Lead]) throws -> [LeadScore],
        write: @escaping ([UInt8]) throws -> Void, progress: @escaping (Summary) -> Void
    ) throws -> Summary {
        // Each item to score carries its place in the input.
        let toScore = HandOff<(sequence: Int, item: Item<[Lead]>)>(capacity: depth)
        let toWrite = OrderedHandOff<Item<[LeadScore]>>(capacity: max(depth, scorers))
        let threads = StageThreads()
        let reader = Unchecked(next)
        let writer = Unchecked((write, progress))
        let scorer = Unchecked(score)
        let outcome = RunOutcome()

        // Stage 1: read and validate, in order; each item numbered.
        threads.start("switchboard read") {
            var seen = SeenIDs()
            var sequence = 0
            while true {
                let item: Item<[Lead]>
                do {
                    guard let chunk = try reader.value() else {
                        toScore.put((sequence, .end))
                        return
                    }
                    item = .value(try seen.leads(of: chunk.table), bytesRead: chunk.bytesRead)
                } catch {
                    toScore.put((sequence, .failure(error)))
                    return
                }
                if !toScore.put((sequence, item)) { return }
                sequence += 1
            }
        }
        // Stage 3: format and write, in input order; the first failure it meets is the run's.
        threads.start("switchboard write") {
            let (write, progress) = writer.value
            var summary = Summary()
            do {
                try write(Array(LeadScore.header(format).utf8))
                loop: while let item = toWrite.take() {
                    switch item {
                    case .value(let scores, let bytesRead):
                        try write(bytes(scores, format))
                        summary.leads += scores.count
                        summary.unplaceable += scores.count { $0.leadScore == nil }
                        summary.bytesRead = bytesRead
                        progress(summary)
                    case .failure(let error):
                        throw error
                    case .end:
                        if summary.leads == 0 { throw RecordError.emptySet(file: source, what: "leads") }
                        break loop
                    }
                }
                outcome.set(.success(summary))
            } catch {
                outcome.set(.failure(error))
            }
            // Nothing more will be taken: let the other stages stop.
            toWrite.close()
            toScore.close()
        }
        // Stage 2: `scorers` threads (this one among them), each scoring whole chunks as they come; the last item
        // (the end or a reading failure) closes the hand-off behind it, every chunk before it being taken already.
        let scoring: @Sendable () -> Void = {
            while let (sequence, item) = toScore.take() {
                let passed: Item<[LeadScore]>
                switch item {
                case .value(let leads, let bytesRead):
                    do { passed = .value(try scorer.value(leads), bytesRead: bytesRead) } catch {
                        passed = .failure(error)
                    }
                case .failure(let error):
                    toScore.close()
                    passed = .failure(error)
                case .end:
                    toScore.close()
                    passed = .end
                }
                if !toWrite.put(passed, at: sequence) { break }
            }
        }
        for _ in 1..<max(1, scorers) { threads.start("switchboard score", scoring) }
        scoring()
        toScore.close()
        threads.wait()
        return try outcome.get()
    }
}

/// Threads of the pipeline's own for its stages. They block on hand-offs most of their time; blocked in Dispatch's
/// global pool they would hold its threads from the scoring's `concurrentPerform`, which on Linux then runs on one
/// thread until the pool grows (about a second later: measured, a second of one idle core at the start of every run).
private struct StageThreads {
    private let group = DispatchGroup()

    /// Starts `body` on a new thread named `name`. The body is released before `wait()` can return (the thread object
    /// may outlive it: the pipeline's closures must not, being borrowed with `withoutActuallyEscaping`).
    func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let job = Job(body)
        group.enter()
        let thread = Thread { [group] in
            job.run()
            group.leave()
        }
        thread.name = name
        thread.start()
    }

    /// A body run once and then dropped.
    private final class Job: @unchecked Sendable {
        private var body: (@Sendable () -> Void)?
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }

        func run() {
            let body = self.body
            self.body = nil
            body?()
        }
    }

    /// Waits until every started body has returned.
    func wait() { group.wait() }
}

/// A bounded hand-off that passes items on in the order of their sequence numbers (0, 1, 2, …) whatever the order
/// they are put in: an item more than `capacity` ahead of the next one to take waits for room; closing it wakes both
/// sides.
final class OrderedHandOff<Element>: @unchecked Sendable {
    private var waiting: [Int: Element] = [:]
    private var nextToTake = 0
    private let capacity: Int
    private let gate = HandOffGate()

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Waits until `sequence` is within `capacity` of the next item to take, then holds `item`; false (and the item
    /// dropped) once the hand-off is closed.
    @discardableResult
    func put(_ item: Element, at sequence: Int) -> Bool {
        gate.once(waitingWhile: { sequence >= nextToTake + capacity }, then: { waiting[sequence] = item }) != nil
    }

    /// Waits for the next item in sequence; nil once the hand-off is closed.
    func take() -> Element? {
        gate.once(
            waitingWhile: { waiting[nextToTake] == nil },
            then: {
                nextToTake += 1
                return waiting.removeValue(forKey: nextToTake - 1)!
            })
    }

    func close() { gate.close() }
}

/// A bounded first-in, first-out hand-off between threads; closing it wakes every side.
///
/// An item taken is gone from the hand-off at once (it holds at most `capacity` items, so removing the first is
/// cheap): the hand-off never keeps a chunk alive after passing it on.
final class HandOff<Element>: @unchecked Sendable {
    private var items: [Element] = []
    private let capacity: Int
    private let gate = HandOffGate()

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room, then appends `item`; false (and the item dropped) once the hand-off is closed.
    @discardableResult
    func put(_ item: Element) -> Bool {
        gate.once(waitingWhile: { items.count >= capacity }, then: { items.append(item) }) != nil
    }

    /// Waits for an item; nil once the hand-off is closed.
    func take() -> Element? {
        gate.once(waitingWhile: { items.isEmpty }, then: { items.removeFirst() })
    }

    func close() { gate.close() }
}

/// The lock, the condition and the closed flag of a hand-off.
private final class HandOffGate {
    private var closed = false
    private let condition = NSCondition()

    /// Under the lock: waits while `blocked()` holds and the gate is open, then runs `body` and wakes the waiters;
    /// nil (and `body` not run) once the gate is closed.
    func once<T>(waitingWhile blocked: () -> Bool, then body: () -> T) -> T? {
        condition.lock()
        defer { condition.unlock() }
        while !closed && blocked() { condition.wait() }
        if closed { return nil }
        let result = body()
        condition.broadcast()
        return result
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// A value used from other threads under the pipeline's own ordering: the reading and writing closures are each
/// called by one stage only; the scoring closure by every scoring thread, which `run` documents as its contract.
private final class Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The run's result, set once by the writing stage.
private final class RunOutcome: @unchecked Sendable {
    private var result: Result<ChunkedScoring.Summary, any Error> = .failure(CancellationError())
    private let lock = NSLock()

    func set(_ value: Result<ChunkedScoring.Summary, any Error>) {
        lock.lock()
        result = value
        lock.unlock()
    }

    func get() throws -> ChunkedScoring.Summary {
        lock.lock()
        defer { lock.unlock() }
        return try result.get()
    }
}
