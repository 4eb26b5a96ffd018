import Foundation
import Testing

// `switchboard route`, run as a subprocess in a folder of its own.

private let capacities = "partner_id,capacity,open_leads\nA,1,0\nB,2,1\nC,5,0\n"
/// Greedy would give L1 its best (A, 10) and L2 only C (1); the optimum is L1 → B, L2 → A: 17.
private let candidates = "lead_id,partner_id,expected_value\nL1,A,10\nL1,B,9\nL2,A,8\nL2,C,1\n"

private struct RouteFailure: Sendable, CustomTestStringConvertible {
    var name: String
    var files: [String: String]
    var arguments: [String]
    var diagnostics: [String]
    var isUsageError = false
    var testDescription: String { name }
}

private let batch = ["route", "candidates", "--candidates", "cands.csv", "--capacities", "caps.csv", "--out", "plan.csv"]

private let failures: [RouteFailure] = [
    RouteFailure(
        name: "ragged candidates row", files: ["cands.csv": "lead_id,partner_id,expected_value\nL1,A,3\nL2,B\n"],
        arguments: batch, diagnostics: ["cands.csv:3:", "expected 3 fields, found 2"]),
    RouteFailure(
        name: "missing column", files: ["cands.csv": "lead_id,partner_id,value\nL1,A,3\n"], arguments: batch,
        diagnostics: ["cands.csv: missing column 'expected_value'"]),
    RouteFailure(
        name: "NaN value", files: ["cands.csv": "lead_id,partner_id,expected_value\nL1,A,3\nL2,B,NaN\n"],
        arguments: batch, diagnostics: ["cands.csv:3: column 'expected_value': 'NaN' is not a finite number"]),
    RouteFailure(
        name: "negative capacity", files: ["caps.csv": "partner_id,capacity\nA,1\nB,-4\n"], arguments: batch,
        diagnostics: ["caps.csv:3: column 'capacity': '-4' must be at least 0"]),
    RouteFailure(
        name: "duplicate candidate pair", files: ["cands.csv": "lead_id,partner_id,expected_value\nL1,A,3\nL2,B,1\nL1,A,4\n"],
        arguments: batch,
        diagnostics: ["cands.csv:4: column 'partner_id': 'A' is a candidate twice for lead 'L1' (first on line 2)"]),
    RouteFailure(
        name: "duplicate partner in capacities", files: ["caps.csv": "partner_id,capacity\nA,1\nB,2\nA,3\n"],
        arguments: batch, diagnostics: ["caps.csv:4: column 'partner_id': duplicate id 'A' (first on line 2)"]),
    RouteFailure(
        name: "candidate partner missing from capacities",
        files: ["cands.csv": "lead_id,partner_id,expected_value\nL1,A,3\nL2,Q,1\n"], arguments: batch,
        diagnostics: ["cands.csv:3: column 'partner_id': 'Q' does not exist in caps.csv"]),
    RouteFailure(
        name: "empty candidates file", files: ["cands.csv": ""], arguments: batch,
        diagnostics: ["cands.csv:1:", "empty"]),
    RouteFailure(
        name: "empty capacities file", files: ["caps.csv": "\n"], arguments: batch, diagnostics: ["caps.csv:1:", "empty"]),
    RouteFailure(
        name: "candidates without rows", files: ["cands.csv": "lead_id,partner_id,expected_value\n"], arguments: batch,
        diagnostics: ["cands.csv: no candidates"]),
    RouteFailure(
        name: "missing candidates file", files: [:], arguments: batch,
        diagnostics: ["cands.csv: no such file"]),
    RouteFailure(
        name: "unknown config key", files: ["routing.json": #"{"maxshare": 0.2}"#],
        arguments: batch + ["--config", "routing.json"], diagnostics: ["routing.json: unknown key 'maxshare'"]),
    RouteFailure(
        name: "config value out of range", files: ["routing.json": #"{"maxShare": 1.5}"#],
        arguments: batch + ["--config", "routing.json"], diagnostics: ["routing.json: maxShare must be in (0, 1] (got 1.5)"]),
    RouteFailure(
        name: "prices from a greedy plan", files: [:], arguments: batch + ["--policy", "greedy", "--prices-out", "prices.csv"],
        diagnostics: ["--prices-out needs the optimal policy"]),
    RouteFailure(
        name: "output folder does not exist", files: [:],
        arguments: [
            "route", "candidates", "--candidates", "cands.csv", "--capacities", "caps.csv", "--out", "plan.csv", "--prices-out",
            "nowhere/p.csv",
        ],
        diagnostics: ["nowhere/p.csv", "does not exist"]),
    RouteFailure(
        name: "no --out", files: [:], arguments: ["route", "candidates", "--candidates", "cands.csv", "--capacities", "caps.csv"],
        diagnostics: ["--out"], isUsageError: true),
    RouteFailure(
        name: "unknown policy", files: [:], arguments: batch + ["--policy", "fastest"], diagnostics: ["fastest"],
        isUsageError: true),
    RouteFailure(
        name: "stream without --prices", files: [:], arguments: ["route", "stream"],
        diagnostics: ["--prices"], isUsageError: true),
    RouteFailure(
        name: "stream with --candidates", files: [:],
        arguments: ["route", "stream", "--prices", "p.csv", "--candidates", "c.csv"],
        diagnostics: ["--candidates"], isUsageError: true),
    RouteFailure(
        name: "no mode", files: [:], arguments: ["route", "--candidates", "c.csv", "--capacities", "caps.csv", "--out", "p.csv"],
        diagnostics: ["--candidates"], isUsageError: true),
]

/// Runs `switchboard arguments` in `workspace`'s folder with `input` on standard input.
private func runWithInput(_ workspace: Workspace, _ arguments: [String], input: String) throws -> RunResult {
    try workspace.write(".stdin", input)
    let process = Process()
    process.executableURL = try switchboardExecutable()
    process.arguments = arguments
    process.currentDirectoryURL = workspace.work
    process.standardInput = try FileHandle(forReadingFrom: workspace.work.appendingPathComponent(".stdin"))
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return RunResult(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self))
}

@Suite("switchboard route")
struct RouteCLITests {
    @Test func routesABatchOptimallyAndExplainsIt() throws {
        let workspace = try Workspace()
        try workspace.write("caps.csv", capacities)
        try workspace.write("cands.csv", candidates)
        let result = try workspace.run(batch + ["--prices-out", "prices.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Routed 2 of 2 leads with the optimal policy"))
        #expect(result.stdout.contains("total expected value 17.00"))
        #expect(result.stdout.contains("proven optimal"))
        #expect(result.stdout.contains("Wrote plan.csv and prices.csv."))
        let plan = try workspace.read("plan.csv").split(separator: "\n").map(String.init)
        #expect(plan.count == 3)
        #expect(plan[0].hasPrefix("lead_id,partner_id,expected_value,win_probability,rank,candidates,shadow_price,"))
        #expect(plan[1].hasPrefix("L1,B,9.0,,2,2,"))
        #expect(plan[1].hasSuffix(",A,10.0,full,optimal"))
        #expect(plan[2].hasPrefix("L2,A,8.0,,1,2,"))
        #expect(plan[2].hasSuffix(",C,1.0,lower value,optimal"))
        let prices = try workspace.read("prices.csv").split(separator: "\n").map(String.init)
        #expect(prices[0] == "partner_id,shadow_price,remaining_capacity,assigned")
        #expect(prices[3] == "C,0.00,5,0")
        #expect(try workspace.files() == ["caps.csv", "cands.csv", "plan.csv", "prices.csv"])

        let greedy = try workspace.run(batch + ["--policy", "greedy"])
        #expect(greedy.status == 0, "\(greedy.stderr)")
        #expect(greedy.stdout.contains("total expected value 11.00"))
        #expect(try workspace.read("plan.csv").contains("L2,C,1.0,"))
    }

    @Test func appliesTheConfigAndWritesToStandardOutput() throws {
        let workspace = try Workspace()
        try workspace.write("caps.csv", "partner_id,capacity\nbig,100\nsmall,100\n")
        var rows = "lead_id,partner_id,expected_value\n"
        for i in 0..<10 { rows += "L\(i),big,20\nL\(i),small,10\n" }
        try workspace.write("cands.csv", rows)
        try workspace.write("routing.json", #"{"maxShare": 0.3, "policy": "greedy"}"#)
        let result = try workspace.run([
            "route", "candidates", "--candidates", "cands.csv", "--capacities", "caps.csv", "--config", "routing.json", "--out", "-",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").dropFirst()
        #expect(lines.count == 10)
        // The partner column (the second); the alternatives' columns name the partners too.
        let chosen = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false)[1] }
        #expect(chosen.filter { $0 == "big" }.count == 3, "⌊0.3 × 10⌋ = 3 leads at most for any partner")
        #expect(chosen.filter { $0 == "small" }.count == 3)
        #expect(result.stderr.contains("Routed 6 of 10 leads with the greedy policy"))
        #expect(result.stderr.contains("4 unassigned: 4 all eligible partners full or at their share cap"))
        #expect(try workspace.files() == ["caps.csv", "cands.csv", "routing.json"])
    }

    @Test func streamsLeadsWithTheBatchPrices() throws {
        let workspace = try Workspace()
        try workspace.write("prices.csv", "partner_id,shadow_price,remaining_capacity\nA,40,1\nB,0,5\n")
        let input = """
            {"lead_id": "S1", "candidates": [{"partner_id": "A", "expected_value": 100}, {"partner_id": "B", "expected_value": 50}]}

            {"lead_id": "S2", "candidates": [{"partner_id": "A", "expected_value": 100}, {"partner_id": "B", "expected_value": 50}]}
            {"lead_id": "S3", "candidates": [{"partner_id": "A", "expected_value": 30}]}

            """
        let result = try runWithInput(workspace, ["route", "stream", "--prices", "prices.csv"], input: input)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix(#"{"lead_id":"S1","partner_id":"A","expected_value":100.0"#))
        #expect(lines[0].contains(#""net_value":60.0,"remaining_capacity":0,"reason":null"#))
        #expect(lines[1].hasPrefix(#"{"lead_id":"S2","partner_id":"B""#))
        #expect(
            lines[2].hasPrefix(#"{"lead_id":"S3","partner_id":null"#)
                && lines[2].contains(#""reason":"all eligible partners full""#))

        let bad = try runWithInput(
            workspace, ["route", "stream", "--prices", "prices.csv"],
            input: #"{"lead_id": "S1", "candidates": []}"# + "\n"
                + #"{"lead_id": "S2", "candidates": [{"partner_id": "Q", "expected_value": 1}]}"# + "\n")
        #expect(bad.status != 0)
        #expect(bad.stdout.split(separator: "\n").count == 1, "the lines before the bad one are already written")
        #expect(bad.stderr.contains("error: <stdin>:2: lead 'S2': partner 'Q' has no capacity listed"), "\(bad.stderr)")
    }

    @Test func streamTakesTheCapacityLeftNowFromCapacities() throws {
        let workspace = try Workspace()
        try workspace.write("prices.csv", "partner_id,shadow_price,remaining_capacity\nA,40,0\nB,0,5\n")
        try workspace.write("now.csv", "partner_id,capacity,open_leads\nA,4,2\n")
        let request =
            #"{"lead_id": "S1", "candidates": [{"partner_id": "A", "expected_value": 100}, {"partner_id": "B", "expected_value": 50}]}"#
        let result = try runWithInput(
            workspace, ["route", "stream", "--prices", "prices.csv", "--capacities", "now.csv"], input: request + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix(#"{"lead_id":"S1","partner_id":"A""#))
        #expect(result.stdout.contains(#""remaining_capacity":1"#))
        let without = try runWithInput(workspace, ["route", "stream", "--prices", "prices.csv"], input: request + "\n")
        #expect(without.stdout.hasPrefix(#"{"lead_id":"S1","partner_id":"B""#), "A has no room in the prices file")
    }

    /// The stream answers each line as it arrives, before standard input ends.
    @Test func streamAnswersEachLineWithoutWaitingForTheEnd() throws {
        let workspace = try Workspace()
        try workspace.write("prices.csv", "partner_id,shadow_price,remaining_capacity\nA,0,3\n")
        let process = Process()
        process.executableURL = try switchboardExecutable()
        process.arguments = ["route", "stream", "--prices", "prices.csv"]
        process.currentDirectoryURL = workspace.work
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(
            Data((#"{"lead_id": "S1", "candidates": [{"partner_id": "A", "expected_value": 7}]}"# + "\n").utf8))
        let answered = DispatchSemaphore(value: 0)
        let received = LockedText()
        output.fileHandleForReading.readabilityHandler = { handle in
            received.append(String(decoding: handle.availableData, as: UTF8.self))
            if received.value.contains("\n") { answered.signal() }
        }
        let inTime = answered.wait(timeout: .now() + 60) == .success
        output.fileHandleForReading.readabilityHandler = nil
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(inTime, "no answer before the end of the input")
        #expect(received.value.hasPrefix(#"{"lead_id":"S1","partner_id":"A""#))
    }

    @Test(arguments: failures)
    fileprivate func badInputFailsClearlyAndWritesNothing(_ failure: RouteFailure) throws {
        let workspace = try Workspace()
        var files = ["caps.csv": capacities, "cands.csv": candidates]
        for (name, text) in failure.files { files[name] = text }
        if failure.name == "missing candidates file" { files["cands.csv"] = nil }
        for (name, text) in files { try workspace.write(name, text) }
        let result = try workspace.run(failure.arguments)
        #expect(result.status != 0)
        let text = failure.isUsageError ? result.stderr : result.errorLines.joined(separator: "\n")
        for diagnostic in failure.diagnostics { #expect(text.contains(diagnostic), "\(result.stderr)") }
        #expect(try workspace.files() == Set(files.keys), "a failed run leaves no output and no temporary file")
    }
}

/// Text appended from another thread.
private final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    var value: String { lock.withLock { text } }
    func append(_ more: String) { lock.withLock { text += more } }
}
