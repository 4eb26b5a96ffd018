import Foundation
import Learning
import Switchboard

#if canImport(Glibc)
    import Glibc
#endif

/// `switchboard serve` under load: sustained `POST /v1/leads` submissions from concurrent keep-alive connections on
/// loopback, with 10,000 partners, on the SQLite ledger; throughput and p50/p99 latency, beside the same server's
/// `GET /healthz` on the same connections (the HTTP floor: what the framework and the loopback cost alone).
enum ServeBenchmark {
    /// One keep-alive HTTP/1.1 connection.
    final class Connection: @unchecked Sendable {
        let fd: Int32
        var buffer: [UInt8] = []

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            // Never wait for ever on an answer: a stuck server ends the run with an error instead of hanging it.
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard result == 0 else { throw BenchError("cannot connect to 127.0.0.1:\(port)") }
        }

        deinit { close(fd) }

        /// Sends a request and reads one response; its status.
        func exchange(_ request: [UInt8]) throws -> Int {
            var sent = 0
            while sent < request.count {
                let n = request[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { throw BenchError("send failed") }
                sent += n
            }
            var chunk = [UInt8](repeating: 0, count: 16384)
            while true {
                if let end = headerEnd(), let length = contentLength(end) {
                    if buffer.count >= end + length {
                        let status = Int(String(decoding: buffer[9..<12], as: UTF8.self)) ?? 0
                        buffer.removeFirst(end + length)
                        return status
                    }
                }
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { throw BenchError("the server closed the connection or did not answer in 10 s") }
                buffer += chunk[0..<n]
            }
        }

        func headerEnd() -> Int? {
            guard buffer.count >= 4 else { return nil }
            for i in 0...(buffer.count - 4)
            where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                return i + 4
            }
            return nil
        }

        func contentLength(_ end: Int) -> Int? {
            let header = String(decoding: buffer[0..<end], as: UTF8.self).lowercased()
            guard let range = header.range(of: "content-length:") else { return 0 }
            return Int(header[range.upperBound...].prefix { $0 != "\r" }.trimmingCharacters(in: .whitespaces))
        }
    }

    struct LoadResult {
        var requests: Int
        var seconds: Double
        var latencies: [Double]
        var failures: Int

        var perSecond: Double { Double(requests) / seconds }
        func percentile(_ p: Double) -> Double {
            let sorted = latencies.sorted()
            return sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
    }

    /// `connections` threads, each sending `requests(k)` for its k-th request until `count` requests in all or
    /// `seconds` have passed.
    static func load(port: Int, connections: Int, count: Int, seconds: Double, request: @escaping @Sendable (Int) -> [UInt8])
        throws -> LoadResult
    {
        final class Shared: @unchecked Sendable {
            let lock = NSLock()
            var next = 0
            var latencies: [Double] = []
            var failures = 0
        }
        let shared = Shared()
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        let group = DispatchGroup()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<connections {
            group.enter()
            let connection = try Connection(port: port)
            Thread {
                var local: [Double] = []
                var localFailures = 0
                while true {
                    let k: Int = shared.lock.withLock {
                        defer { shared.next += 1 }
                        return shared.next
                    }
                    if k >= count || DispatchTime.now().uptimeNanoseconds > deadline { break }
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    guard let status = try? connection.exchange(request(k)) else {
                        localFailures += 1
                        break  // the connection is unusable
                    }
                    local.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                    if !(200..<300).contains(status) { localFailures += 1 }
                }
                shared.lock.withLock {
                    shared.latencies += local
                    shared.failures += localFailures
                }
                group.leave()
            }.start()
        }
        group.wait()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return LoadResult(
            requests: shared.latencies.count, seconds: elapsed, latencies: shared.latencies, failures: shared.failures)
    }

    /// A `switchboard serve` process on a ledger, started and waited for.
    final class Server {
        let process = Process()
        let port: Int

        init(directory: String, database: String, label: String) throws {
            let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("switchboard").path
            let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Models").path
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = [
                "serve", "--models", models, "--partners", "\(directory)/partners.csv", "--rules", "\(directory)/rules.json",
                "--tokens", "\(directory)/tokens.json", "--database", database, "--port", "0",
            ]
            let log = "\(directory)/serve-\(label).log"
            FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            var found: Int?
            for _ in 0..<3000 where found == nil && process.isRunning {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                if let range = text.range(of: "listening on http://127.0.0.1:") {
                    found = Int(text[range.upperBound...].prefix { $0.isNumber })
                } else {
                    usleep(20_000)
                }
            }
            guard let found else {
                if process.isRunning { process.terminate() }
                throw BenchError("serve did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            port = found
        }

        /// SIGTERM; throws unless it exits 0.
        func stop() throws {
            guard process.isRunning else { throw BenchError("serve died during the run") }
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw BenchError("serve did not stop cleanly") }
        }

        deinit {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
    }

    /// Submissions on SQLite, and on PostgreSQL when `SWITCHBOARD_BENCH_POSTGRES_URL` names an (emptyable) database
    /// (`Benchmarks/run serve` starts one with scripts/with-postgres).
    static func run(quick: Bool) throws {
        let partners = quick ? 1_000 : 10_000, leads = quick ? 5_000 : 40_000, connections = 8
        let directory = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let generated = EcosystemGenerator(
            partnerCount: partners, leadCount: 2_000, periodCount: 2, incomingCount: 2_000, seed: 99
        ).generate()
        var bigPartners = generated.ecosystem.partners
        // Room for every lead: the benchmark measures the offer path, not a queue of full partners.
        for index in bigPartners.indices {
            bigPartners[index].capacity = 1_000
            bigPartners[index].openLeads = 0
            bigPartners[index].status = .active
        }
        try Data(RecordWriter.partners(bigPartners).utf8).write(to: URL(fileURLWithPath: "\(directory)/partners.csv"))
        try Data(#"{"territory":"any","requireCertifications":false,"ineligibleStatuses":[]}"#.utf8)
            .write(to: URL(fileURLWithPath: "\(directory)/rules.json"))
        try Data(#"[{"token": "benchmark-token-000001", "role": "integration"}]"#.utf8)
            .write(to: URL(fileURLWithPath: "\(directory)/tokens.json"))
        // Request bodies: the generated incoming leads, cycled, each with a fresh id.
        let bodies: [String] = generated.incoming.map { lead in
            let object: [String: Any] = [
                "created": lead.created.description, "region": lead.region, "country": lead.country,
                "vertical": lead.vertical, "technology": lead.technology, "size_band": lead.sizeBand,
                "estimated_value": lead.estimatedValue, "source": lead.source,
                "required_certifications": lead.requiredCertifications, "id": "IDPLACEHOLDER",
            ]
            return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        let header = "Host: 127.0.0.1\r\nAuthorization: Bearer benchmark-token-000001\r\nContent-Type: application/json\r\n"
        let submit: @Sendable (Int) -> [UInt8] = { k in
            let body = bodies[k % bodies.count].replacingOccurrences(of: "IDPLACEHOLDER", with: "B\(k)")
            return Array("POST /v1/leads HTTP/1.1\r\n\(header)Content-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
        }
        let health = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        func ms(_ seconds: Double) -> String { Bench.fixed(seconds * 1000, 2) + " ms" }
        print(
            "switchboard serve: POST /v1/leads from \(connections) keep-alive connections on loopback, \(partners) partners "
                + "(every one eligible, room for all), top 20 candidates, release build; bounded at 20 s a run")
        var ledgers: [(String, String)] = [("SQLite (WAL)", "\(directory)/ledger.sqlite")]
        if let url = ProcessInfo.processInfo.environment["SWITCHBOARD_BENCH_POSTGRES_URL"], !url.isEmpty {
            ledgers.append(("PostgreSQL (loopback, fsync off)", url))
        } else {
            print("  (PostgreSQL skipped: SWITCHBOARD_BENCH_POSTGRES_URL is not set; Benchmarks/run serve sets it)")
        }
        for (index, (name, database)) in ledgers.enumerated() {
            let server = try Server(directory: directory, database: database, label: "\(index)")
            // Warm-up (connections, caches, the ledger), then the HTTP floor and the measured submissions.
            _ = try load(port: server.port, connections: connections, count: 500, seconds: 10) { k in
                submit(1_000_000 * (index + 1) + k)
            }
            let floor = try load(port: server.port, connections: connections, count: leads, seconds: 10) { _ in health }
            let result = try load(port: server.port, connections: connections, count: leads, seconds: 20) { k in
                submit(10_000_000 * (index + 1) + k)
            }
            try server.stop()
            print(
                "  \(name): \(result.requests) leads in \(Bench.fixed(result.seconds, 2)) s = "
                    + "\(Bench.fixed(result.perSecond, 0)) leads/s; p50 \(ms(result.percentile(0.5))), "
                    + "p99 \(ms(result.percentile(0.99))); \(result.failures) failures (goal on SQLite: ≥ 2,000 leads/s, p99 ≤ 25 ms)"
            )
            print(
                "    floor, GET /healthz on the same server: \(Bench.fixed(floor.perSecond, 0)) requests/s; "
                    + "p50 \(ms(floor.percentile(0.5))), p99 \(ms(floor.percentile(0.99))); submissions at "
                    + "\(Bench.fixed(result.perSecond / floor.perSecond, 3))× the floor's rate")
            if result.failures > 0 { throw BenchError("\(result.failures) submissions failed") }
        }
    }
}

extension ServeBenchmark {
    /// How much expected value the live router's batch-optimised queue adds over routing greedily: the sample's
    /// incoming leads (Data/ecosystem, 14 days) replayed as a stream of arrivals against its partners at half
    /// capacity, scored with Models/match.json; every offer is accepted at once and the lead stays open for
    /// `holdDays`, then closes and frees its slot. The same `LiveRouter` runs twice: with the optimal policy (arrivals
    /// net of shadow prices, the queue routed by the exact optimum whenever capacity frees) and with the greedy policy
    /// (each lead to its best partner with room on arrival, the queue greedily).
    static func value() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        func read(_ path: String) throws -> RecordSource {
            RecordSource(name: path, bytes: Array(try Data(contentsOf: root.appendingPathComponent(path))))
        }
        var files = EcosystemFiles()
        files[.partners] = try read("Data/ecosystem/partners.csv")
        files[.incoming] = try read("Data/ecosystem/incoming.csv")
        let ecosystem = try Ecosystem.load(files)
        let model = try ModelFile.decode(
            MatchModel.self, from: Array(try Data(contentsOf: root.appendingPathComponent("Models/match.json"))),
            file: "Models/match.json")
        var partners = ecosystem.partners
        for index in partners.indices { partners[index].capacity = partners[index].capacity / 2 }
        let scoring = try LiveScoring(
            model: model, partners: partners, rules: EligibilityRules(), at: model.historyEnd, candidatesPerLead: 20)
        let inputs = try scoring.inputs(for: ecosystem.incoming.sorted { $0.created < $1.created }, workers: Optional<Int>.none)
        print(
            "live router vs greedy: Data/ecosystem's \(inputs.count) incoming leads over 14 days as a stream, "
                + "\(partners.count) partners at half capacity, Models/match.json, every offer accepted at once")
        for holdDays in [3.0, 7.0] {
            let (optimal, greedy) = LiveStreamReplay.compare(
                inputs, partners: scoring.livePartners, config: LiveConfig(maxQueueWait: 365 * 86_400),
                holdSeconds: Int64(holdDays * 86_400))
            print(
                "  leads open \(Int(holdDays)) days: live router \(Bench.fixed(optimal.expectedValue, 0)) expected value "
                    + "(\(optimal.offers) offers, \(optimal.stillQueued) still queued); greedy "
                    + "\(Bench.fixed(greedy.expectedValue, 0)) (\(greedy.offers) offers, \(greedy.stillQueued) queued); "
                    + "ratio \(Bench.fixed(optimal.expectedValue / greedy.expectedValue, 4))")
        }
    }
}
