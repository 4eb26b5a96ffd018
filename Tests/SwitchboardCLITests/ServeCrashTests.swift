import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal HTTP/1.1 client over a loopback socket (one request per connection), so the test sees exactly what the
/// server acknowledged: a status line, or a failed connection when the server was killed.
enum LoopbackHTTP {
    struct Answer {
        var status: Int
        var body: String
    }

    /// Sends the request; nil when the connection failed or closed before a whole answer (the server died).
    static func request(port: Int, method: String, path: String, token: String?, body: String? = nil, key: String? = nil)
        -> Answer?
    {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        if let key { request += "Idempotency-Key: \(key)\r\n" }
        let payload = Array((body ?? "").utf8)
        request += "Content-Type: application/json\r\nContent-Length: \(payload.count)\r\n\r\n"
        let bytes = Array(request.utf8) + payload
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            return nil
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let headerEnd = text.range(of: "\r\n\r\n"), text.hasPrefix("HTTP/1.1 "),
            let status = Int(text.dropFirst(9).prefix(3))
        else { return nil }
        let headers = text[..<headerEnd.lowerBound].lowercased()
        var body = String(text[headerEnd.upperBound...])
        if let line = headers.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        {
            guard body.utf8.count >= length else { return nil }
            body = String(decoding: Array(body.utf8).prefix(length), as: UTF8.self)
        } else if headers.contains("transfer-encoding: chunked") {
            body = dechunk(body)
        }
        return Answer(status: status, body: body)
    }

    static func dechunk(_ text: String) -> String {
        var bytes = Array(text.utf8)[...]
        var out: [UInt8] = []
        while let newline = bytes.firstIndex(of: 0x0A) {
            let sizeText = String(decoding: bytes[bytes.startIndex..<newline], as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard let size = Int(sizeText, radix: 16), size > 0 else { break }
            let start = newline + 1
            guard start + size <= bytes.endIndex else { break }
            out += bytes[start..<(start + size)]
            bytes = bytes[min(bytes.endIndex, start + size + 2)...]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }
}

/// A running `switchboard serve` process.
final class ServeProcess {
    let process = Process()
    let port: Int
    private let errorFile: URL

    /// Starts the real binary on a free loopback port and waits until it listens.
    init(in work: URL, arguments: [String], index: Int) throws {
        errorFile = work.appendingPathComponent("serve-stderr-\(index).txt")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        process.executableURL = try switchboardExecutable()
        process.arguments = ["serve"] + arguments + ["--port", "0"]
        process.currentDirectoryURL = work
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        var found: Int?
        for _ in 0..<600 where found == nil && process.isRunning {
            let text = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                found = Int(text[range.upperBound...].prefix { $0.isNumber })
            } else {
                usleep(20_000)
            }
        }
        guard let port = found else {
            process.terminate()
            throw CLITestError.fixtureFailed(
                "serve did not start: " + ((try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""))
        }
        self.port = port
    }

    var stderr: String { (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "" }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM; the exit status.
    func stop() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite(.serialized) struct ServeCrashTests {
    static let admin = "admin-token-0123456789"

    /// The lead objects to submit: the fixture's incoming leads as JSON, with fresh ids.
    static func leadBodies(_ space: Workspace, count: Int) throws -> [(id: String, body: String)] {
        let lines = try space.read("eco/incoming.csv").split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (0..<count).map { k in
            let row = rows[k % rows.count]
            var object: [String: Any] = [:]
            for (name, value) in zip(header, row) where !value.isEmpty {
                object[name] = name == "estimated_value" ? Double(value)! : value
            }
            object["id"] = "C\(k)"
            let body = String(
                decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            return ("C\(k)", body)
        }
    }

    /// Leads are submitted while the server is killed with `kill -9` at random moments and restarted; unanswered
    /// submissions are retried with the same Idempotency-Key. At the end every lead that got a 201 is in the ledger
    /// exactly once, no partner holds more than its capacity, and the ledger's counts add up; SIGTERM then stops the
    /// server cleanly (exit 0).
    @Test func killedAtRandomMomentsLosesNothingAcknowledged() throws {
        let space = try BadInputFixture.copy()
        let arguments = [
            "--models", "models", "--partners", "eco/partners.csv", "--tokens", "tokens.json", "--database", "ledger.sqlite",
        ]
        let leads = try Self.leadBodies(space, count: 600)
        var acknowledged = Set<String>()
        var rng = SystemRandomNumberGenerator()
        var next = 0
        var accepted = 0, interrupted = 0, retried = 0
        for round in 0..<8 {
            let server = try ServeProcess(in: space.work, arguments: arguments, index: round)
            // The killer: SIGKILL after a random delay, while the loop below submits as fast as it can.
            let delay = UInt32.random(in: 30_000...250_000, using: &rng)
            let pid = server.process.processIdentifier
            let killed = DispatchSemaphore(value: 0)
            let killer = Thread {
                usleep(delay)
                kill(pid, SIGKILL)
                killed.signal()
            }
            killer.start()
            // First the leads never acknowledged (a retry with the same key), then new ones.
            var pending = leads.indices.filter { $0 < next && !acknowledged.contains(leads[$0].id) }
            retried += pending.count
            pending += Array(next..<leads.count)
            for index in pending {
                let lead = leads[index]
                guard
                    let answer = LoopbackHTTP.request(
                        port: server.port, method: "POST", path: "/v1/leads", token: Self.admin, body: lead.body, key: lead.id)
                else {
                    interrupted += 1
                    next = max(next, index + 1)  // unanswered: retried with the same key next round
                    break
                }
                #expect(answer.status == 201, "round \(round) \(lead.id): \(answer.status) \(answer.body)")
                if answer.status == 201 { acknowledged.insert(lead.id) }
                next = max(next, index + 1)
                // Partners answer some offers, so capacity is held by accepted leads too.
                let view = LoopbackHTTP.json(answer.body)
                if let offer = view["offer"] as? [String: Any], let id = offer["id"] as? String, Bool.random(using: &rng) {
                    if LoopbackHTTP.request(
                        port: server.port, method: "POST", path: "/v1/offers/\(id)/accept", token: Self.admin)?
                        .status == 200
                    {
                        accepted += 1
                    }
                }
            }
            // The killer fires before the process is reaped, so its pid cannot belong to another process yet.
            killed.wait()
            server.kill9()
        }
        // A last start: everything not yet acknowledged is submitted (again), then the ledger is checked.
        let server = try ServeProcess(in: space.work, arguments: arguments, index: 99)
        for lead in leads where !acknowledged.contains(lead.id) {
            let answer = LoopbackHTTP.request(
                port: server.port, method: "POST", path: "/v1/leads", token: Self.admin, body: lead.body, key: lead.id)
            #expect(answer?.status == 201, "\(lead.id): \(answer?.body ?? "no answer")")
            if answer?.status == 201 { acknowledged.insert(lead.id) }
        }
        #expect(acknowledged.count == leads.count)
        // The kills must have hit mid-submission (otherwise this test proves nothing).
        #expect(interrupted >= 2, "only \(interrupted) of 8 rounds were cut short")
        let health = LoopbackHTTP.json(
            LoopbackHTTP.request(port: server.port, method: "GET", path: "/healthz", token: nil)?.body ?? "")
        #expect(health["leads"] as? Int == leads.count, "the ledger holds \(health["leads"] ?? "?") leads")
        var stateCounts: [String: Int] = [:]
        for lead in leads {
            let view = LoopbackHTTP.json(
                LoopbackHTTP.request(port: server.port, method: "GET", path: "/v1/leads/\(lead.id)", token: Self.admin)?.body
                    ?? "")
            let history = view["history"] as? [[String: Any]] ?? []
            #expect(history.filter { $0["event"] as? String == "received" }.count == 1, "\(lead.id) received ≠ once")
            stateCounts[view["state"] as? String ?? "missing", default: 0] += 1
        }
        #expect(stateCounts["missing"] == nil)
        let partners = try space.read("eco/partners.csv").split(separator: "\n").dropFirst().map {
            String($0.prefix { $0 != "," })
        }
        var pendingTotal = 0, openTotal = 0
        for partner in partners {
            let view = LoopbackHTTP.json(
                LoopbackHTTP.request(port: server.port, method: "GET", path: "/v1/partners/\(partner)", token: Self.admin)?.body
                    ?? "")
            let capacity = view["capacity"] as? Int ?? -1, before = view["open_leads_before"] as? Int ?? 0
            let pending = view["offers_pending"] as? Int ?? 0, open = view["open_leads"] as? Int ?? 0
            #expect(pending + open <= max(0, capacity - before), "\(partner) holds \(pending + open) of \(capacity) − \(before)")
            let offered = view["offered"] as? Int ?? -1
            let settled = (view["accepted"] as? Int ?? 0) + (view["declined"] as? Int ?? 0) + (view["expired"] as? Int ?? 0)
            #expect(offered == settled + pending, "\(partner): offered \(offered) ≠ settled \(settled) + pending \(pending)")
            pendingTotal += pending
            openTotal += open
        }
        #expect(pendingTotal == stateCounts["offered", default: 0])
        #expect(openTotal == stateCounts["accepted", default: 0])
        #expect(server.stop() == 0, "\(server.stderr)")
        #expect(server.stderr.contains("stopped"))
        print(
            "crash test: \(leads.count) leads over 8 kill -9 rounds (\(interrupted) cut short mid-request, \(retried) retried); states \(stateCounts.sorted { $0.key < $1.key }); \(accepted) accepts"
        )
    }
}
