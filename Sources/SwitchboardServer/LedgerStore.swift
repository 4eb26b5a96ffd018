import Foundation
import GRDB
import Switchboard

/// The answer a request with an `Idempotency-Key` got, stored with the events it produced so that a retry gets the
/// same answer and creates nothing.
public struct StoredAnswer: Sendable, Equatable {
    public var key: String
    /// A digest of the method, path and body: the same key with another request is refused.
    public var requestHash: String
    public var status: Int
    public var body: [UInt8]

    public init(key: String, requestHash: String, status: Int, body: [UInt8]) {
        self.key = key
        self.requestHash = requestHash
        self.status = status
        self.body = body
    }
}

/// Where the ledger lives. Every request's events (and its idempotent answer) are written by one `commit`, in one
/// transaction: all or nothing.
public protocol LedgerStore: Sendable {
    /// Every event, in the order they were committed.
    func loadEvents() throws -> [LedgerEvent]
    /// The stored answer for an idempotency key.
    func answer(forKey key: String) throws -> StoredAnswer?
    /// Appends the events and stores the answer, atomically.
    func commit(_ events: [LedgerEvent], answer: StoredAnswer?) throws
    /// Runs one request as one write: `body` gets the events other instances appended since this one last read or
    /// wrote (to apply before it decides) and the stored answer for `key`; its events and answer are then appended,
    /// all in one transaction that excludes every other writer. When `body` or the commit throws, nothing is written.
    func write<T>(key: String?, _ body: (_ others: [LedgerEvent], _ stored: StoredAnswer?) throws -> LedgerWrite<T>)
        throws -> T
}

/// What one write appends, and what it returns to the caller.
public struct LedgerWrite<T> {
    public var events: [LedgerEvent]
    public var answer: StoredAnswer?
    public var result: T

    public init(events: [LedgerEvent], answer: StoredAnswer?, result: T) {
        self.events = events
        self.answer = answer
        self.result = result
    }
}

extension LedgerStore {
    /// A store with a single writer (SQLite: one `serve` per database file): no other instance appends, so there is
    /// nothing to catch up on.
    public func write<T>(
        key: String?, _ body: (_ others: [LedgerEvent], _ stored: StoredAnswer?) throws -> LedgerWrite<T>
    ) throws -> T {
        let stored = try key.map { try answer(forKey: $0) } ?? nil
        let write = try body([], stored)
        try commit(write.events, answer: write.answer)
        return write.result
    }
}

/// How hard an SQLite commit holds on to the disk (`PRAGMA synchronous`, in WAL mode).
public enum SQLiteSync: String, Sendable, CaseIterable {
    /// A committed transaction is in the WAL file, in the operating system's cache, before the answer leaves: a
    /// killed or crashed process (`kill -9`) loses nothing it acknowledged; a power cut or an operating-system crash
    /// can lose the last transactions (never corrupt the database). The WAL is fsynced at checkpoints.
    case normal
    /// The WAL is also fsynced at every commit: an acknowledged request survives a power cut too, at the price of one
    /// fsync per write.
    case full
}

/// The ledger in an SQLite database (GRDB), in WAL mode: readers never block the writer, and a transaction that
/// returned is in the WAL (a killed process loses nothing it acknowledged; see `SQLiteSync` for power cuts).
///
/// Schema (versioned migrations, `grdb_migrations`): `events(seq, time, kind, lead_id, offer_id, partner_id, body)`
/// with the whole event as JSON in `body`; `idempotency(key, request_hash, status, body, created)`.
public final class SQLiteLedger: LedgerStore {
    let pool: DatabasePool

    /// Opens (creating on first start) the database at `path` and migrates it to the current schema.
    /// - Throws: `ServerSetupError` naming the path when it cannot be opened or is not a ledger.
    /// - Parameter sync: `PRAGMA synchronous` (see `SQLiteSync`).
    public init(path: String, sync: SQLiteSync = .normal) throws(ServerSetupError) {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: sync == .full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw ServerSetupError("\(path): cannot open the ledger database: \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: events and idempotency keys") { db in
            try db.create(table: "events") { table in
                table.autoIncrementedPrimaryKey("seq")
                table.column("time", .integer).notNull()
                table.column("kind", .text).notNull()
                table.column("lead_id", .text)
                table.column("offer_id", .text)
                table.column("partner_id", .text)
                table.column("body", .text).notNull()
            }
            try db.create(index: "events_lead", on: "events", columns: ["lead_id"])
            try db.create(index: "events_time", on: "events", columns: ["time"])
            try db.create(table: "idempotency") { table in
                table.primaryKey("key", .text)
                table.column("request_hash", .text).notNull()
                table.column("status", .integer).notNull()
                table.column("body", .blob).notNull()
            }
        }
        return migrator
    }

    public func loadEvents() throws -> [LedgerEvent] {
        let decoder = JSONDecoder()
        return try pool.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT body FROM events ORDER BY seq")
            var events: [LedgerEvent] = []
            while let row = try rows.next() {
                let body: String = row["body"]
                events.append(try decoder.decode(LedgerEvent.self, from: Data(body.utf8)))
            }
            return events
        }
    }

    public func answer(forKey key: String) throws -> StoredAnswer? {
        try pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT request_hash, status, body FROM idempotency WHERE key = ?", arguments: [key])
            else { return nil }
            let body: Data = row["body"]
            return StoredAnswer(key: key, requestHash: row["request_hash"], status: row["status"], body: Array(body))
        }
    }

    public func commit(_ events: [LedgerEvent], answer: StoredAnswer?) throws {
        if events.isEmpty && answer == nil { return }
        let bodies = try events.map { String(decoding: try $0.jsonBytes(), as: UTF8.self) }
        try pool.write { db in
            // Prepared once per connection (GRDB's statement cache), not once per event.
            let insert = try db.cachedStatement(
                sql: "INSERT INTO events (time, kind, lead_id, offer_id, partner_id, body) VALUES (?, ?, ?, ?, ?, ?)")
            for (event, body) in zip(events, bodies) {
                try insert.execute(arguments: [
                    event.time.secondsSinceEpoch, event.kind.rawValue, event.leadID, event.offerID, event.partnerID, body,
                ])
            }
            if let answer {
                try db.execute(
                    sql: "INSERT INTO idempotency (key, request_hash, status, body) VALUES (?, ?, ?, ?)",
                    arguments: [answer.key, answer.requestHash, answer.status, Data(answer.body)])
            }
        }
    }

    /// How many events are stored (for tests and the crash check).
    public func eventCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0 }
    }
}
