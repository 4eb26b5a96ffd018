import Foundation
import Switchboard
import SwitchboardServer
import Testing

/// Two `switchboard serve` processes (the built binary) on one PostgreSQL database, under concurrent submissions,
/// accepts and declines sent to either: no partner ever holds more than its capacity, no lead is offered twice at
/// once nor twice to one partner, and the ledger's counts add up. Needs `SWITCHBOARD_TEST_POSTGRES_URL`
/// (`scripts/test` starts a server with `scripts/with-postgres` and sets it).
@Suite(
    .serialized,
    .enabled(
        if: ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_POSTGRES_URL"].map { !$0.isEmpty } ?? false,
        "SWITCHBOARD_TEST_POSTGRES_URL is not set: the two-instance PostgreSQL test is skipped (scripts/test sets it)"))
struct ServeClusterTests {
    /// The database beside the one the server suites use (`scripts/with-postgres` makes both): suites run in parallel.
    static var url: String { ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_POSTGRES_URL"]! + "_cluster" }

    @Test func twoInstancesOnOneDatabaseNeverOverfillNorOfferTwice() throws {
        let space = try BadInputFixture.copy()
        // Each test starts on an empty ledger.
        try PostgresLedger(url: Self.url).dropEverything()
        let arguments = [
            "--models", "models", "--partners", "eco/partners.csv", "--tokens", "tokens.json", "--database", Self.url,
        ]
        let servers = [
            try ServeProcess(in: space.work, arguments: arguments, index: 0),
            try ServeProcess(in: space.work, arguments: arguments, index: 1),
        ]
        defer { for server in servers where server.process.isRunning { _ = server.stop() } }
        let leads = try ServeCrashTests.leadBodies(space, count: 360)
        let clients = 6
        let tally = Tally()
        let ports = servers.map(\.port)
        let group = DispatchGroup()
        for client in 0..<clients {
            group.enter()
            Thread {
                defer { group.leave() }
                var rng = SystemRandomNumberGenerator()
                // Each client answers its offers in turn: decline, accept, leave open (a decline frees the capacity
                // that keeps offers coming, so both answers are exercised whatever the interleaving).
                var offers = 0
                for index in stride(from: client, to: leads.count, by: clients) {
                    let lead = leads[index]
                    let port = ports[Int.random(in: 0...1, using: &rng)]
                    guard
                        let answer = LoopbackHTTP.request(
                            port: port, method: "POST", path: "/v1/leads", token: ServeCrashTests.admin,
                            body: lead.body, key: lead.id)
                    else {
                        tally.add("no answer")
                        continue
                    }
                    tally.add("submit \(answer.status)")
                    guard let offer = LoopbackHTTP.json(answer.body)["offer"] as? [String: Any],
                        let id = offer["id"] as? String
                    else { continue }
                    // The answer goes to either instance: often the one that did not make the offer.
                    let other = ports[Int.random(in: 0...1, using: &rng)]
                    let verb = ["decline", "accept", "none"][offers % 3]
                    offers += 1
                    if verb == "none" { continue }
                    let body = verb == "decline" ? "{\"reason\": \"busy\"}" : nil
                    let reply = LoopbackHTTP.request(
                        port: other, method: "POST", path: "/v1/offers/\(id)/\(verb)", token: ServeCrashTests.admin,
                        body: body)
                    tally.add("\(verb) \(reply?.status ?? 0)")
                }
            }.start()
        }
        group.wait()
        let counts = tally.counts
        #expect(counts["submit 201"] == leads.count, "\(counts)")
        #expect(counts["no answer"] == nil, "\(counts)")
        #expect(
            counts.keys.filter { $0.hasPrefix("accept") || $0.hasPrefix("decline") }.allSatisfy { $0.hasSuffix(" 200") },
            "\(counts)")
        #expect((counts["decline 200"] ?? 0) >= 6 && (counts["accept 200"] ?? 0) >= 6, "\(counts)")

        // The ledger, replayed: every invariant of the state machine holds (capacity, counts, one live offer a lead).
        var files = EcosystemFiles()
        let partnersPath = space.work.appendingPathComponent("eco/partners.csv").path
        files[.partners] = RecordSource(
            name: partnersPath, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: partnersPath))))
        let ecosystem = try Ecosystem.load(files)
        let partners = ecosystem.partners.map(LivePartner.init)
        let events = try PostgresLedger(url: Self.url).loadEvents()
        let router = LiveRouter(partners: partners, events: events)
        #expect(router.checkInvariants() == [])
        #expect(router.leads.count == leads.count)
        var received: [String: Int] = [:]
        var offeredTo: [String: [String]] = [:]
        for event in events {
            guard let lead = event.leadID else { continue }
            if event.kind == .received { received[lead, default: 0] += 1 }
            if event.kind == .offered, let partner = event.partnerID { offeredTo[lead, default: []].append(partner) }
        }
        #expect(received.count == leads.count && received.values.allSatisfy { $0 == 1 })
        for (lead, partners) in offeredTo {
            #expect(Set(partners).count == partners.count, "lead \(lead) offered twice to one partner: \(partners)")
        }
        // Both instances see the same ledger (each catches up before it answers).
        var views: [[String: Any]] = []
        for server in servers {
            let view = LoopbackHTTP.json(
                LoopbackHTTP.request(
                    port: server.port, method: "GET", path: "/v1/leads/\(leads[0].id)", token: ServeCrashTests.admin)?.body
                    ?? "")
            views.append(view)
        }
        #expect((views[0]["history"] as? [Any])?.count == (views[1]["history"] as? [Any])?.count)
        #expect(views[0]["state"] as? String == views[1]["state"] as? String)
        for server in servers { #expect(server.stop() == 0, "\(server.stderr)") }
        print("cluster test: \(leads.count) leads on two instances, \(events.count) events; \(counts.sorted { $0.key < $1.key })")
    }
}

/// Counts from several threads.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String: Int] = [:]
    func add(_ key: String) { lock.withLock { stored[key, default: 0] += 1 } }
    var counts: [String: Int] { lock.withLock { stored } }
}
