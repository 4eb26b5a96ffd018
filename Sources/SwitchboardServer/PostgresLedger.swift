import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Switchboard

/// The ledger in PostgreSQL (postgres-nio), shared by several `serve` instances behind a load balancer.
///
/// Each instance keeps the router's state in memory. A write runs in one transaction that first takes the ledger's
/// lock (`pg_advisory_xact_lock`), so writes from all instances are serialised: it reads the events other instances
/// appended since the last one this instance saw (`seq > lastSeen`) and hands them to the caller, which applies them
/// before it runs its command; then the command's events (and its idempotent answer) are appended and the
/// transaction commits, releasing the lock. An instance therefore always decides on the whole ledger: no partner is
/// over-filled and no lead offered twice, whichever instance a request lands on.
///
/// Schema (versioned migrations in `switchboard_migrations`): `events(seq bigserial, time, kind, lead_id, offer_id,
/// partner_id, body)` with the whole event as JSON in `body`; `idempotency(key, request_hash, status, body)`.
///
/// The calls block the calling thread on one connection of its own event loop (the service actor makes one call at
/// a time); a dropped connection is opened again by the next call.
public final class PostgresLedger: LedgerStore, @unchecked Sendable {
    /// The advisory lock key of the ledger ("SWBD").
    static let lockKey: Int64 = 0x5357_4244
    let configuration: PostgresConnection.Configuration
    let url: String
    let group: MultiThreadedEventLoopGroup
    let logger = Logger(label: "switchboard.postgres")
    let decoder = JSONDecoder()
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private var nextID = 1
    /// The highest event sequence number applied by this instance.
    private var lastSeen: Int64 = 0

    /// Connects to `postgres://user[:password]@host[:port]/database` and migrates the schema.
    /// - Throws: `ServerSetupError` naming the URL (without its password) when it is malformed or unreachable.
    public init(url: String) throws(ServerSetupError) {
        let parsed = try Self.parse(url)
        configuration = parsed.configuration
        self.url = parsed.display
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try lock.withLock { try migrate() }
        } catch {
            // deinit closes the connection and shuts the event loop down.
            throw ServerSetupError("\(self.url): cannot open the ledger database: \(String(reflecting: error))")
        }
    }

    deinit {
        try? connection?.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// The configuration a `postgres://` (or `postgresql://`) URL names; `display` is the URL without its password.
    static func parse(_ text: String) throws(ServerSetupError) -> (
        configuration: PostgresConnection.Configuration, display: String
    ) {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            scheme == "postgres" || scheme == "postgresql", let host = components.host, !host.isEmpty
        else {
            throw ServerSetupError(
                "--database: '\(text)' is not a PostgreSQL URL (postgres://user[:password]@host[:port]/database)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw ServerSetupError("--database: '\(text)' names no user (postgres://user@host:port/database)")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        var configuration = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database.isEmpty ? nil : database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        var display = components
        display.password = nil
        return (configuration, display.string ?? "postgres://\(host)")
    }

    // MARK: - Connection

    private func open() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        connection = nil
        nextID += 1
        let fresh = try PostgresConnection.connect(
            on: group.next(), configuration: configuration, id: nextID, logger: logger
        ).wait()
        connection = fresh
        return fresh
    }

    @discardableResult
    private func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        try open().query(query, logger: logger).wait()
    }

    /// Runs `body` in one transaction holding the ledger's lock; rolls back when it throws.
    private func locked<T>(_ body: () throws -> T) throws -> T {
        try run("BEGIN")
        do {
            try run("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
            let result = try body()
            try run("COMMIT")
            return result
        } catch {
            _ = try? run("ROLLBACK")
            throw error
        }
    }

    static let migrations: [(version: Int, name: String, statements: [String])] = [
        (
            1, "v1: events and idempotency keys",
            [
                """
                CREATE TABLE events (seq BIGSERIAL PRIMARY KEY, time BIGINT NOT NULL, kind TEXT NOT NULL,
                lead_id TEXT, offer_id TEXT, partner_id TEXT, body TEXT NOT NULL)
                """,
                "CREATE INDEX events_lead ON events (lead_id)",
                "CREATE INDEX events_time ON events (time)",
                """
                CREATE TABLE idempotency (key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, status INTEGER NOT NULL,
                body TEXT NOT NULL)
                """,
            ]
        )
    ]

    /// Applies the migrations not yet applied, each in the ledger's lock (two instances starting at once migrate once).
    private func migrate() throws {
        try locked {
            try run(
                """
                CREATE TABLE IF NOT EXISTS switchboard_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                applied TIMESTAMPTZ NOT NULL DEFAULT now())
                """)
            var applied = Set<Int>()
            for row in try run("SELECT version FROM switchboard_migrations") {
                applied.insert(try row.decode(Int.self))
            }
            for migration in Self.migrations where !applied.contains(migration.version) {
                for statement in migration.statements { try run(PostgresQuery(unsafeSQL: statement)) }
                try run(
                    "INSERT INTO switchboard_migrations (version, name) VALUES (\(migration.version), \(migration.name))")
            }
        }
    }

    // MARK: - LedgerStore

    private func events(after seq: Int64) throws -> [LedgerEvent] {
        var events: [LedgerEvent] = []
        for row in try run("SELECT seq, body FROM events WHERE seq > \(seq) ORDER BY seq") {
            let (number, body) = try row.decode((Int64, String).self)
            events.append(try decoder.decode(LedgerEvent.self, from: Data(body.utf8)))
            lastSeen = max(lastSeen, number)
        }
        return events
    }

    public func loadEvents() throws -> [LedgerEvent] {
        try lock.withLock {
            lastSeen = 0
            return try locked { try events(after: 0) }
        }
    }

    private func storedAnswer(_ key: String) throws -> StoredAnswer? {
        for row in try run("SELECT request_hash, status, body FROM idempotency WHERE key = \(key)") {
            let (hash, status, body) = try row.decode((String, Int, String).self)
            return StoredAnswer(key: key, requestHash: hash, status: status, body: Array(body.utf8))
        }
        return nil
    }

    public func answer(forKey key: String) throws -> StoredAnswer? {
        try lock.withLock { try storedAnswer(key) }
    }

    private func append(_ events: [LedgerEvent], answer: StoredAnswer?) throws {
        if !events.isEmpty {
            var times: [Int64] = [], kinds: [String] = [], leads: [String] = [], offers: [String] = []
            var partners: [String] = [], bodies: [String] = []
            for event in events {
                times.append(event.time.secondsSinceEpoch)
                kinds.append(event.kind.rawValue)
                leads.append(event.leadID ?? "")
                offers.append(event.offerID ?? "")
                partners.append(event.partnerID ?? "")
                bodies.append(String(decoding: try event.jsonBytes(), as: UTF8.self))
            }
            // unnest keeps the array order (WITH ORDINALITY makes it explicit), so seq follows the events' order.
            let result = try run(
                """
                INSERT INTO events (time, kind, lead_id, offer_id, partner_id, body)
                SELECT t, k, NULLIF(l, ''), NULLIF(o, ''), NULLIF(p, ''), b
                FROM unnest(\(times)::BIGINT[], \(kinds)::TEXT[], \(leads)::TEXT[], \(offers)::TEXT[],
                \(partners)::TEXT[], \(bodies)::TEXT[]) WITH ORDINALITY AS e(t, k, l, o, p, b, n) ORDER BY n
                RETURNING seq
                """)
            for row in result { lastSeen = max(lastSeen, try row.decode(Int64.self)) }
        }
        if let answer {
            try run(
                """
                INSERT INTO idempotency (key, request_hash, status, body)
                VALUES (\(answer.key), \(answer.requestHash), \(answer.status), \(String(decoding: answer.body, as: UTF8.self)))
                """)
        }
    }

    public func commit(_ events: [LedgerEvent], answer: StoredAnswer?) throws {
        if events.isEmpty && answer == nil { return }
        try lock.withLock { try locked { try append(events, answer: answer) } }
    }

    public func write<T>(
        key: String?, _ body: (_ others: [LedgerEvent], _ stored: StoredAnswer?) throws -> LedgerWrite<T>
    ) throws -> T {
        try lock.withLock {
            try locked {
                let others = try events(after: lastSeen)
                let stored = try key.map { try storedAnswer($0) } ?? nil
                let write = try body(others, stored)
                try append(write.events, answer: write.answer)
                return write.result
            }
        }
    }

    /// How many events are stored (tests).
    public func eventCount() throws -> Int {
        try lock.withLock {
            let rows = try run("SELECT COUNT(*) FROM events")
            for row in rows { return try row.decode(Int.self) }
            return 0
        }
    }

    /// Drops the ledger's tables (tests start each case on an empty database).
    public func dropEverything() throws {
        try lock.withLock {
            _ = try locked {
                try run("DROP TABLE IF EXISTS events, idempotency, switchboard_migrations")
            }
            lastSeen = 0
            try migrate()
        }
    }
}
