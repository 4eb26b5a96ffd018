import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Learning
import Testing

@testable import Switchboard
@testable import SwitchboardServer

/// A small generated ecosystem with a match model trained on it, built once: every partner active with room for
/// three leads, so tests know what to expect.
struct ServerFixture: Sendable {
    let scoring: LiveScoring
    let incoming: [Lead]

    static let shared: ServerFixture = {
        let generated = EcosystemGenerator(
            partnerCount: 12, leadCount: 1500, periodCount: 6, incomingCount: 60, seed: 5
        ).generate()
        let e = generated.ecosystem
        var request = MatchTrainingRequest()
        request.l2Strength = 1e-2
        request.folds = 0
        let match = try! MatchTrainer.train(
            partners: e.partners, leads: e.leads, outcomes: e.outcomes, actionHistory: e.actionHistory, request: request)
        let partners = e.partners.map { partner -> Partner in
            var copy = partner
            copy.capacity = 3
            copy.openLeads = 0
            copy.status = .active
            return copy
        }
        var rules = EligibilityRules()
        rules.territory = .any
        rules.requireCapacity = false
        let scoring = try! LiveScoring(
            model: match, partners: partners, rules: rules, at: match.historyEnd, candidatesPerLead: 5)
        return ServerFixture(scoring: scoring, incoming: generated.incoming)
    }()

    static let tokens = AccessTokens([
        "admin-token-0000000": .admin, "integration-token-00": .integration,
    ])

    /// A token for each partner: `partner-<id>-token`.
    static func partnerToken(_ id: String) -> String { "partner-\(id)-token-xx" }

    static func allTokens(_ partners: [Partner]) -> AccessTokens {
        var roles = tokens.roles
        for partner in partners { roles[partnerToken(partner.id)] = .partner(partner.id) }
        return AccessTokens(roles)
    }

    /// The JSON of a lead object.
    static func json(_ lead: Lead) -> [String: Any] {
        [
            "id": lead.id, "created": lead.created.description, "region": lead.region, "country": lead.country,
            "vertical": lead.vertical, "technology": lead.technology, "size_band": lead.sizeBand,
            "estimated_value": lead.estimatedValue, "source": lead.source,
            "required_certifications": lead.requiredCertifications,
        ]
    }
}

/// The ledger a test runs on: SQLite always; PostgreSQL when `SWITCHBOARD_TEST_POSTGRES_URL` names a server
/// (`scripts/test` starts one with `scripts/with-postgres`).
enum LedgerBackend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres

    static var postgresURL: String? {
        guard let url = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_POSTGRES_URL"], !url.isEmpty else {
            return nil
        }
        return url
    }

    /// The backends to run against.
    static var all: [LedgerBackend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }
}

/// A service on a fresh ledger (SQLite in a temporary folder, or an emptied PostgreSQL database), with a manual clock.
struct ServerHarness {
    let folder: URL
    let backend: LedgerBackend
    let clock = ManualClock(Timestamp(year: 2026, month: 6, day: 1, hour: 9))
    let service: LiveService
    let store: any LedgerStore
    let configuration = ServerConfiguration(maxBodyBytes: 64 * 1024, maxBatchLeads: 50, tickSeconds: 3600)

    init(backend: LedgerBackend = .sqlite, config: LiveConfig = LiveConfig(candidatesPerLead: 5)) throws {
        self.backend = backend
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sb-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if backend == .postgres {
            let postgres = try PostgresLedger(url: LedgerBackend.postgresURL!)
            try postgres.dropEverything()
            store = postgres
        } else {
            store = try SQLiteLedger(path: folder.appendingPathComponent("ledger.sqlite").path)
        }
        service = try LiveService(scoring: ServerFixture.shared.scoring, config: config, store: store, clock: clock)
    }

    /// The same ledger, opened again (a restart).
    func reopen() throws -> any LedgerStore {
        backend == .postgres
            ? try PostgresLedger(url: LedgerBackend.postgresURL!)
            : try SQLiteLedger(path: folder.appendingPathComponent("ledger.sqlite").path)
    }

    func eventCount() throws -> Int {
        if let postgres = store as? PostgresLedger { return try postgres.eventCount() }
        return try (store as! SQLiteLedger).eventCount()
    }

    func app() -> some ApplicationProtocol {
        buildApplication(
            service: service, tokens: ServerFixture.allTokens(ServerFixture.shared.scoring.partners),
            configuration: configuration)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

extension TestClientProtocol {
    /// Sends a request with a token and a JSON (or raw) body; returns status, headers and the parsed JSON.
    func call(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = "admin-token-0000000", json: Any? = nil,
        raw: String? = nil, key: String? = nil
    ) async throws -> (status: Int, body: [String: Any], text: String, headers: HTTPFields) {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
        var body: ByteBuffer?
        if let json { body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) }
        if let raw { body = ByteBuffer(string: raw) }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            let text = String(buffer: response.body)
            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            return (Int(response.status.code), object, text, response.headers)
        }
    }
}

@Suite(.serialized) struct ServerTests {
    var fixture: ServerFixture { .shared }

    @Test(arguments: LedgerBackend.all) func healthNeedsNoTokenAndEverythingElseDoes(backend: LedgerBackend) async throws {
        let harness = try ServerHarness(backend: backend)
        defer { harness.remove() }
        try await harness.app().test(.router) { client in
            #expect(try await client.call(.get, "/healthz", token: nil).status == 200)
            let missing = try await client.call(.get, "/metrics", token: nil)
            #expect(missing.status == 401)
            #expect((missing.body["error"] as? [String: Any])?["field"] as? String == "Authorization")
            #expect(try await client.call(.get, "/metrics", token: "not-a-known-token-at-all").status == 401)
            let partner = ServerFixture.partnerToken(fixture.scoring.partners[0].id)
            #expect(try await client.call(.get, "/metrics", token: partner).status == 403)
            #expect(try await client.call(.post, "/v1/models/reload", token: "integration-token-00").status == 403)
            let lead = ServerFixture.json(fixture.incoming[0])
            #expect(try await client.call(.post, "/v1/leads", token: partner, json: lead).status == 403)
            #expect(await harness.service.state.eventCount == 0)
        }
    }

    @Test(arguments: LedgerBackend.all) func aLeadIsOfferedExplainedAndAudited(backend: LedgerBackend) async throws {
        let harness = try ServerHarness(backend: backend)
        defer { harness.remove() }
        try await harness.app().test(.router) { client in
            let lead = fixture.incoming[0]
            let created = try await client.call(.post, "/v1/leads", token: "integration-token-00", json: ServerFixture.json(lead))
            #expect(created.status == 201, "\(created.text)")
            #expect(created.body["lead_id"] as? String == lead.id)
            #expect(created.body["state"] as? String == "offered")
            let offer = try #require(created.body["offer"] as? [String: Any])
            for field in [
                "id", "partner_id", "expires_at", "win_probability", "expected_value", "rank", "shadow_price",
                "best_alternative", "alternative_not_chosen", "model_version",
            ] {
                #expect(offer[field] != nil, "offer lacks \(field)")
            }
            #expect(offer["model_version"] as? String == fixture.scoring.modelVersion)
            #expect(
                offer["expires_at"] as? String
                    == Timestamp(secondsSinceEpoch: harness.clock.now().secondsSinceEpoch + 86_400).description)
            let audit = try await client.call(.get, "/v1/leads/\(lead.id)")
            #expect(audit.status == 200)
            let history = try #require(audit.body["history"] as? [[String: Any]])
            #expect(history.map { $0["event"] as? String } == ["received", "offered"])
            #expect(history[0]["actor"] as? String == "integration")
            #expect(try await client.call(.get, "/v1/leads/NOPE").status == 404)
            // Another partner may not read it; the partner offered it may.
            let owner = offer["partner_id"] as! String
            let other = fixture.scoring.partners.first { $0.id != owner }!.id
            #expect(try await client.call(.get, "/v1/leads/\(lead.id)", token: ServerFixture.partnerToken(other)).status == 403)
            #expect(try await client.call(.get, "/v1/leads/\(lead.id)", token: ServerFixture.partnerToken(owner)).status == 200)
        }
    }

    @Test(arguments: LedgerBackend.all) func idempotencyKeysReplayTheAnswerAndCreateNothing(backend: LedgerBackend) async throws {
        let harness = try ServerHarness(backend: backend)
        defer { harness.remove() }
        try await harness.app().test(.router) { client in
            let body = ServerFixture.json(fixture.incoming[1])
            let first = try await client.call(.post, "/v1/leads", json: body, key: "k-1")
            #expect(first.status == 201)
            let events = try harness.eventCount()
            harness.clock.advance(seconds: 60)
            let again = try await client.call(.post, "/v1/leads", json: body, key: "k-1")
            #expect(again.status == 201)
            #expect(again.text == first.text)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try harness.eventCount() == events)
            // The same key with another body is refused; the same lead under a new key is a conflict.
            var changed = body
            changed["estimated_value"] = 1
            #expect(try await client.call(.post, "/v1/leads", json: changed, key: "k-1").status == 422)
            let conflict = try await client.call(.post, "/v1/leads", json: body, key: "k-2")
            #expect(conflict.status == 409)
            #expect(try harness.eventCount() == events)
            #expect(try await client.call(.post, "/v1/leads", json: body, key: "bad key with spaces").status == 400)
        }
    }

    @Test(
        arguments: LedgerBackend.all,
        [
            ("{\"id\": ", "(body)"), ("[]", "(body)"), ("", "(body)"),
            ("{\"id\": \"X1\", \"region\": \"EMEA\"}", "country"),
            ("ESTIMATE", "estimated_value"), ("EXTRA", "colour"), ("CERTS", "required_certifications[0]"),
        ])
    func badBodiesNameTheFieldAndWriteNothing(backend: LedgerBackend, example: (String, String)) async throws {
        let (body, field) = example
        let harness = try ServerHarness(backend: backend)
        defer { harness.remove() }
        var lead = ServerFixture.json(fixture.incoming[2])
        var raw = body
        switch body {
        case "ESTIMATE": lead["estimated_value"] = "lots"
        case "EXTRA": lead["colour"] = "blue"
        case "CERTS": lead["required_certifications"] = [7]
        default: break
        }
        if ["ESTIMATE", "EXTRA", "CERTS"].contains(body) {
            raw = String(decoding: try JSONSerialization.data(withJSONObject: lead, options: [.sortedKeys]), as: UTF8.self)
        }
        let text = raw
        try await harness.app().test(.router) { client in
            let answer = try await client.call(.post, "/v1/leads", raw: text)
            #expect(answer.status == 400, "\(answer.text)")
            #expect((answer.body["error"] as? [String: Any])?["field"] as? String == field, "\(answer.text)")
            let batch = try await client.call(.post, "/v1/leads:batch", raw: "{\"leads\": [" + (text.isEmpty ? "1" : text) + "]}")
            #expect(batch.status == 400)
        }
        #expect(try harness.eventCount() == 0)
    }

    @Test(arguments: LedgerBackend.all) func oversizedBodiesAre413(backend: LedgerBackend) async throws {
        let harness = try ServerHarness(backend: backend)
        defer { harness.remove() }
        try await harness.app().test(.router) { client in
            let huge = "{\"id\": \"" + String(repeating: "x", count: 70_000) + "\"}"
            let answer = try await client.call(.post, "/v1/leads", raw: huge)
            #expect(answer.status == 413)
        }
        #expect(try harness.eventCount() == 0)
    }

    @Test(arguments: LedgerBackend.all) func partnersAnswerOnlyTheirOwnOffers(backend: LedgerBackend) async throws {
        let harness = try ServerHarness(backend: backend)
        defer { harness.remove() }
        try await harness.app().test(.router) { client in
            let created = try await client.call(.post, "/v1/leads", json: ServerFixture.json(fixture.incoming[3]))
            let offer = try #require(created.body["offer"] as? [String: Any])
            let offerID = offer["id"] as! String, owner = offer["partner_id"] as! String
            let other = fixture.scoring.partners.first { $0.id != owner }!.id
            #expect(
                try await client.call(.post, "/v1/offers/\(offerID)/accept", token: ServerFixture.partnerToken(other)).status
                    == 403)
            #expect(
                try await client.call(.post, "/v1/offers/O99999999/accept", token: ServerFixture.partnerToken(other)).status
                    == 404)
            #expect(try await client.call(.post, "/v1/offers/\(offerID)/accept", token: "integration-token-00").status == 403)
            #expect(
                try await client.call(.post, "/v1/offers/\(offerID)/decline", token: ServerFixture.partnerToken(owner), json: [:])
                    .status == 400)
            let accepted = try await client.call(.post, "/v1/offers/\(offerID)/accept", token: ServerFixture.partnerToken(owner))
            #expect(accepted.status == 200, "\(accepted.text)")
            #expect(accepted.body["state"] as? String == "accepted")
            #expect(
                try await client.call(.post, "/v1/offers/\(offerID)/accept", token: ServerFixture.partnerToken(owner)).status
                    == 409)
            let partner = try await client.call(.get, "/v1/partners/\(owner)", token: ServerFixture.partnerToken(owner))
            #expect(partner.body["open_leads"] as? Int == 1)
            #expect(partner.body["acceptance_rate"] as? Double == 1)
            #expect(try await client.call(.get, "/v1/partners/\(owner)", token: ServerFixture.partnerToken(other)).status == 403)
            #expect(try await client.call(.get, "/v1/partners/NOPE").status == 404)
            // The outcome closes it and frees the capacity.
            let leadID = fixture.incoming[3].id
            let bad = try await client.call(
                .post, "/v1/outcomes", token: "integration-token-00", json: ["lead_id": leadID, "outcome": "maybe"])
            #expect((bad.body["error"] as? [String: Any])?["field"] as? String == "outcome")
            let closed = try await client.call(
                .post, "/v1/outcomes", token: "integration-token-00",
                json: ["lead_id": leadID, "outcome": "won", "revenue": 1200])
            #expect(closed.status == 200, "\(closed.text)")
            #expect(closed.body["state"] as? String == "won")
            let after = try await client.call(.get, "/v1/partners/\(owner)")
            #expect(after.body["open_leads"] as? Int == 0)
            #expect(after.body["won"] as? Int == 1)
        }
    }

    @Test(arguments: LedgerBackend.all) func declineAndExpiryReroute(backend: LedgerBackend) async throws {
        let harness = try ServerHarness(
            backend: backend, config: LiveConfig(offerTimeout: 3600, pauseAfterExpiries: 1, candidatesPerLead: 5))
        defer { harness.remove() }
        try await harness.app().test(.router) { client in
            let lead = fixture.incoming[4]
            let created = try await client.call(.post, "/v1/leads", json: ServerFixture.json(lead))
            let first = try #require(created.body["offer"] as? [String: Any])
            let declined = try await client.call(
                .post, "/v1/offers/\(first["id"] as! String)/decline",
                token: ServerFixture.partnerToken(first["partner_id"] as! String), json: ["reason": "no capacity this week"])
            #expect(declined.status == 200, "\(declined.text)")
            let second = try #require(declined.body["offer"] as? [String: Any])
            #expect(second["partner_id"] as? String != first["partner_id"] as? String)
            #expect(second["best_alternative"] as? String == first["partner_id"] as? String)
            #expect(second["alternative_not_chosen"] as? String == "declined it")
            // An hour later the second offer expires; its partner (one expiry allowed) is paused.
            harness.clock.advance(seconds: 3601)
            let audit = try await client.call(.get, "/v1/leads/\(lead.id)")
            let kinds = (audit.body["history"] as? [[String: Any]] ?? []).map { $0["event"] as? String ?? "" }
            #expect(Array(kinds.prefix(6)) == ["received", "offered", "declined", "offered", "expired", "offered"], "\(kinds)")
            let partner = try await client.call(.get, "/v1/partners/\(second["partner_id"] as! String)")
            #expect(partner.body["paused"] as? Bool == true)
            #expect(partner.body["expired"] as? Int == 1)
            let resumed = try await client.call(.post, "/v1/partners/\(second["partner_id"] as! String)/resume")
            #expect(resumed.body["paused"] as? Bool == false)
        }
        let state = await harness.service.state
        #expect(state.checkInvariants().isEmpty)
    }

    @Test(arguments: LedgerBackend.all) func batchesAreRoutedTogetherAndExported(backend: LedgerBackend) async throws {
        let harness = try ServerHarness(backend: backend)
        defer { harness.remove() }
        try await harness.app().test(.router) { client in
            let leads = fixture.incoming[10..<40].map(ServerFixture.json)
            let answer = try await client.call(.post, "/v1/leads:batch", json: ["leads": Array(leads)])
            #expect(answer.status == 201, "\(answer.text)")
            let views = try #require(answer.body["leads"] as? [[String: Any]])
            #expect(views.count == 30)
            let offered = views.filter { $0["state"] as? String == "offered" }
            #expect(!offered.isEmpty)
            // 12 partners × 3 slots = 36 ≥ 30 leads, but each lead lists only 5 partners: some may queue.
            #expect(views.allSatisfy { ["offered", "queued", "unroutable"].contains($0["state"] as? String ?? "") })
            var bad = Array(fixture.incoming[40..<42].map(ServerFixture.json))
            bad[1]["region"] = 5
            let rejected = try await client.call(.post, "/v1/leads:batch", json: ["leads": bad])
            #expect((rejected.body["error"] as? [String: Any])?["field"] as? String == "leads[1].region")
            let duplicate = try await client.call(
                .post, "/v1/leads:batch", json: ["leads": [bad[0], bad[0]]])
            #expect((duplicate.body["error"] as? [String: Any])?["field"] as? String == "leads[1].id")
            let csv = try await client.call(.get, "/v1/export/assignments?since=2026-01-01")
            #expect(csv.status == 200)
            #expect(csv.text.split(separator: "\n").count == 1 + offered.count)
            #expect(try await client.call(.get, "/v1/export/assignments?since=yesterday").status == 400)
            let metrics = try await client.call(.get, "/metrics")
            #expect(
                metrics.text.contains(
                    "switchboard_http_requests_total{method=\"POST\",route=\"/v1/leads:batch\",status=\"201\"} 1"))
            #expect(metrics.text.contains("switchboard_queue_length"))
        }
        // A restart replays the ledger into the same state.
        let before = await harness.service.state
        let reopened = try LiveService(
            scoring: fixture.scoring, config: LiveConfig(candidatesPerLead: 5),
            store: try harness.reopen(),
            clock: harness.clock)
        let after = await reopened.state
        #expect(after.leads == before.leads)
        #expect(after.offers == before.offers)
        #expect(after.ledgers == before.ledgers)
    }

    /// `GET /v1/partners/{id}` shows the partner's working hours from the configuration (its own, else its tier's, its
    /// type's or the default; null when it works around the clock), whether it is at work now and when it next starts.
    @Test func aPartnerShowsItsWorkingHours() async throws {
        let partners = fixture.scoring.livePartners
        let own = partners[0], other = partners.first { $0.tier != own.tier && $0.id != own.id } ?? partners[1]
        // The clock starts on Monday 2026-06-01 09:00 UTC: 18:00 in Tokyo, the end of a 10:00-18:00 day there.
        let tokyo = WorkingHours(utcOffset: 9 * 3600, days: [0, 1, 2, 3, 4], start: 10 * 3600, end: 18 * 3600)
        let tierHours = WorkingHours(utcOffset: -5 * 3600, days: [0, 2], start: 4 * 3600, end: 24 * 3600)
        let config = LiveConfig(
            candidatesPerLead: 5, workingHoursByGroup: [other.tier: tierHours], workingHoursByPartner: [own.id: tokyo])
        let harness = try ServerHarness(config: config)
        defer { harness.remove() }
        try await harness.app().test(.router) { client in
            let first = try await client.call(.get, "/v1/partners/\(own.id)")
            #expect(first.status == 200, "\(first.text)")
            let hours = try #require(first.body["working_hours"] as? [String: Any], "\(first.text)")
            #expect(hours["utc_offset"] as? String == "+09:00")
            #expect(hours["days"] as? [String] == ["mon", "tue", "wed", "thu", "fri"])
            #expect(hours["start"] as? String == "10:00")
            #expect(hours["end"] as? String == "18:00")
            #expect(hours["from"] as? String == "partner")
            #expect(hours["at_work"] as? Bool == false)
            #expect(hours["next_start"] as? String == Timestamp(year: 2026, month: 6, day: 2, hour: 1).description)
            // By tier: 04:00 in New York, the start of its day (Monday).
            let second = try await client.call(.get, "/v1/partners/\(other.id)")
            let tier = try #require(second.body["working_hours"] as? [String: Any], "\(second.text)")
            #expect(tier["utc_offset"] as? String == "-05:00")
            #expect(tier["days"] as? [String] == ["mon", "wed"])
            #expect(tier["end"] as? String == "24:00")
            #expect(tier["from"] as? String == other.tier)
            #expect(tier["at_work"] as? Bool == true)
            #expect(tier["next_start"] is NSNull)
            // Nobody else has a schedule: around the clock.
            if let third = partners.first(where: { $0.id != own.id && $0.tier != other.tier }) {
                let plain = try await client.call(.get, "/v1/partners/\(third.id)")
                #expect(plain.body["working_hours"] is NSNull)
            }
        }
        let plain = try ServerHarness()
        defer { plain.remove() }
        try await plain.app().test(.router) { client in
            let answer = try await client.call(.get, "/v1/partners/\(own.id)")
            #expect(answer.body["working_hours"] is NSNull)
        }
    }

    /// The partner answer's fields are exactly the Partner schema's properties in docs/openapi.yaml.
    @Test func thePartnerAnswerIsTheDocumentedSchema() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex(of: "    Partner:"))
        var documented = Set<String>()
        var index = start + 1
        while index < lines.count, lines[index].hasPrefix("      ") {
            let line = lines[index]
            // The schema's own properties: eight spaces, a name, a colon.
            if line.hasPrefix("        "), !line.hasPrefix("         "), let colon = line.firstIndex(of: ":") {
                documented.insert(String(line[line.index(line.startIndex, offsetBy: 8)..<colon]))
            }
            index += 1
        }
        let schema = documented
        let harness = try ServerHarness()
        defer { harness.remove() }
        try await harness.app().test(.router) { client in
            let partner = try await client.call(.get, "/v1/partners/\(fixture.scoring.partners[0].id)")
            #expect(Set(partner.body.keys) == schema)
        }
    }

    /// Every route the server registers is in docs/openapi.yaml, and every path and method there is served.
    @Test func theOpenAPIDocumentListsExactlyTheRoutesServed() throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        let router = buildRouter(service: harness.service, tokens: ServerFixture.tokens, configuration: harness.configuration)
        let served = Set(router.routes.map { "\($0.method.rawValue.lowercased()) \($0.path.description)" })
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        var documented = Set<String>()
        var inPaths = false, path: String?
        for line in text.components(separatedBy: "\n") {
            if line == "paths:" {
                inPaths = true
                continue
            }
            if inPaths && !line.isEmpty && !line.hasPrefix(" ") { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /") && line.hasSuffix(":") && !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast()).replacingOccurrences(of: "'", with: "")
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "),
                let method = ["get", "post", "put", "delete", "patch"].first(where: { line == "    \($0):" })
            {
                documented.insert("\(method) \(path)")
            }
        }
        #expect(served.count >= 14)
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
    }
}
