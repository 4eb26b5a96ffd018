import ArgumentParser
import Dispatch
import Foundation
import Learning
import Switchboard
import SwitchboardServer

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the live router: an HTTP/JSON service that routes leads as they arrive, with a durable ledger.",
        discussion: """
            Scores each lead with the match model (--models FOLDER/match.json) against the partners and rules, offers \
            it to the best partner with room, re-routes on decline or expiry, queues leads when every eligible partner \
            is full and routes the queue with the exact optimiser when capacity frees. Every decision goes to the \
            ledger (SQLite, --database, created on first start) before it is answered. Every endpoint but /healthz \
            needs a bearer token from --tokens. SIGHUP reloads the model, partners and rules; SIGTERM stops \
            gracefully. --check loads and checks every file, then exits. See docs/serve.md.
            """)

    @Option(help: "The models folder; the match model is read from FOLDER/match.json.") var models: String
    @Option(help: "The partners CSV (capacity, open leads, status, tier, type).") var partners: String
    @Option(help: "Eligibility rules (JSON, as for `score`).") var rules: String?
    @Option(help: "Account owners CSV (account_id, partner_id).") var owners: String?
    @Option(help: "Routing and live configuration (JSON): the routing keys, offerTimeoutHours, pauseAfterExpiries, ….")
    var config: String?
    @Option(help: "Bearer tokens (JSON): [{\"token\": \"…\", \"role\": \"admin|integration|partner:<id>\"}, …].")
    var tokens: String
    @Option(
        help: """
            The ledger database: an SQLite file (created on first start), or postgres://user[:password]@host[:port]/db \
            for several instances on one database.
            """) var database: String = "switchboard.sqlite"

    @Option(
        help: """
            SQLite only: normal (an answered request survives a killed process; a power cut can lose the last ones) or \
            full (an fsync at every commit: it survives a power cut too, slower).
            """) var sqliteSync: SQLiteSync = .normal

    /// Whether --database names a PostgreSQL server rather than an SQLite file.
    static func isPostgres(_ database: String) -> Bool {
        database.hasPrefix("postgres://") || database.hasPrefix("postgresql://")
    }
    @Option(help: "The address to listen on.") var host: String = "127.0.0.1"
    @Option(parsing: .unconditional, help: "The port to listen on (0: any free port; the address is printed).")
    var port: Int = 8080
    @Option(parsing: .unconditional, help: "The largest request body accepted, in bytes (at most 67108864).")
    var maxBodyBytes: Int = 1 << 20
    @Option(
        parsing: .unconditional,
        help: """
            Also re-optimise the waiting queue with the batch router every SECONDS (on the clock's grid), not only \
            when capacity frees (0: only then; at most 604800).
            """) var batchInterval: Int = 0
    @Flag(help: "Load and check every file and the database, then exit without serving.") var check = false

    func validate() throws {
        try Limits.check("--port", port, atLeast: 0, atMost: 65535)
        try Limits.check("--max-body-bytes", maxBodyBytes, atLeast: 1024, atMost: 1 << 26)
        try Limits.check("--batch-interval", batchInterval, atLeast: 0, atMost: 7 * 86_400)
        if host.isEmpty { throw ValidationError("--host: an empty address") }
    }

    /// The match model file inside --models.
    var modelPath: String { EcosystemFiles.path(models, "match.json") }

    /// Reads the model, partners, rules and owners, and builds the scoring.
    func loadScoring(config live: LiveConfig) throws -> LiveScoring {
        let match = try loadModel(MatchModel.self, from: modelPath)
        let ecosystem = try Ecosystem.load(try EcosystemFiles.reading([.partners: partners]))
        let eligibility = try Score.loadRules(rules: rules, owners: owners, partners: ecosystem.partners, delimiter: nil)
        return try LiveScoring(
            model: match, partners: ecosystem.partners, rules: eligibility, at: SystemClock().now(),
            candidatesPerLead: live.candidatesPerLead)
    }

    func run() throws {
        try reportingErrors {
            var parsed = try config.map { try LiveConfig.parse(try FileIO.read($0), source: $0) } ?? LiveConfig()
            parsed.batchInterval = Int64(batchInterval)
            let live = parsed
            let scoring = try loadScoring(config: live)
            let known = Set(scoring.partners.map(\.id))
            if let config, let unknown = live.workingHoursByPartner.keys.sorted().first(where: { !known.contains($0) }) {
                throw CLIError("\(config): workingHoursByPartner: no partner '\(unknown)' in \(partners)")
            }
            let tokenTable = try AccessTokens.parse(
                try FileIO.read(tokens), source: tokens, partnerIDs: Set(scoring.partners.map(\.id)))
            let store: any LedgerStore =
                Self.isPostgres(database) ? try PostgresLedger(url: database) : try SQLiteLedger(path: database, sync: sqliteSync)
            let service: LiveService
            do {
                service = try LiveService(
                    scoring: scoring, config: live, store: store,
                    reload: { [self] in try loadScoring(config: live) })
            } catch {
                throw CLIError("\(database): the ledger cannot be replayed: \(error)")
            }
            if check {
                print(
                    "ok: \(scoring.partners.count) partners, model \(scoring.modelVersion), \(tokenTable.count) tokens, ledger \(database)"
                )
                return
            }
            try Self.serve(
                service: service, tokens: tokenTable,
                configuration: ServerConfiguration(host: host, port: port, maxBodyBytes: maxBodyBytes))
        }
    }

    /// Runs the server until SIGTERM or SIGINT (graceful: in-flight requests finish); SIGHUP reloads.
    static func serve(service: LiveService, tokens: AccessTokens, configuration: ServerConfiguration) throws {
        TemporaryFiles.stopHandlingSignals()
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler {
            Task {
                let answer = await service.reload()
                FileHandle.standardError.write(Data("switchboard serve: SIGHUP reload: ".utf8) + Data(answer.body))
            }
        }
        hangup.resume()
        let app = buildApplication(service: service, tokens: tokens, configuration: configuration) { address in
            FileHandle.standardError.write(Data("switchboard serve: listening on http://\(address)\n".utf8))
        }
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        Task {
            do {
                try await app.runService()
            } catch {
                failure.set(error)
            }
            done.signal()
        }
        done.wait()
        hangup.cancel()
        if let error = failure.error { throw CLIError("the server stopped: \(error)") }
        FileHandle.standardError.write(Data("switchboard serve: stopped\n".utf8))
    }
}

/// The error a background task ended with.
final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?
    func set(_ error: any Error) { lock.withLock { stored = error } }
    var error: (any Error)? { lock.withLock { stored } }
}

extension Serve: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--models", folder: models, files: ["match.json"])
        roles.read("--partners", partners)
        roles.read("--rules", rules)
        roles.read("--owners", owners)
        roles.read("--config", config)
        roles.read("--tokens", tokens)
        if !Self.isPostgres(database) { roles.write("--database", database) }
        return roles
    }
}

extension SQLiteSync: ExpressibleByArgument {}
