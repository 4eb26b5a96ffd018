import Foundation
import Testing

// Running the real `switchboard` executable as a subprocess, each test in a folder of its own.

enum CLITestError: Error, CustomStringConvertible {
    case executableNotFound(searched: [String])

    var description: String {
        switch self {
        case let .executableNotFound(searched):
            return "the switchboard executable was not found; build it first (swift build --build-tests). Looked in:\n"
                + searched.joined(separator: "\n")
        }
    }
}

/// `<scratch>/debug/switchboard`: next to the test bundle, or a few folders above it (macOS nests the bundle).
func switchboardExecutable() throws -> URL {
    var starts: [URL] = []
    if let first = CommandLine.arguments.first { starts.append(URL(fileURLWithPath: first).deletingLastPathComponent()) }
    if let executable = Bundle.main.executableURL { starts.append(executable.deletingLastPathComponent()) }
    var searched: [String] = []
    for start in starts {
        var folder = start.standardizedFileURL
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("switchboard")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isExecutableFile(atPath: candidate.path)
            {
                return candidate
            }
            searched.append(candidate.path)
            folder = folder.deletingLastPathComponent()
        }
    }
    throw CLITestError.executableNotFound(searched: searched)
}

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String

    /// The lines of standard error that start with `error: `.
    var errorLines: [String] { stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("error: ") } }
}

/// What every failed run must show: exit status 1 and exactly one `error: ` line, first on stderr (a usage error,
/// the argument parser's validation, adds the usage after it); and no output reported as written.
func expectFailedRun(
    _ result: RunResult, isUsageError: Bool, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(result.status == 1, sourceLocation: sourceLocation)
    #expect(result.stderr.hasPrefix("error: "), "\(result.stderr)", sourceLocation: sourceLocation)
    #expect(
        result.errorLines.count == 1, "one 'error: ' line on stderr: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(!result.stdout.contains("wrote"), sourceLocation: sourceLocation)
}

/// A temporary folder for one test: inputs and outputs live in `work`, captured output beside it.
final class Workspace {
    let root: URL
    let work: URL
    private var runCount = 0

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-cli-\(UUID().uuidString)")
        work = root.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: work.appendingPathComponent(name))
    }

    func read(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: work.appendingPathComponent(name)), as: UTF8.self)
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: work.appendingPathComponent(name).path) }

    /// Every name in the work folder, hidden ones (such as temporary files) included.
    func files() throws -> Set<String> { Set(try FileManager.default.contentsOfDirectory(atPath: work.path)) }

    /// Runs `switchboard arguments` in the work folder, to completion, with `input` (a file in the work folder) as
    /// standard input when given.
    /// `environment` adds to (or overrides) this process's environment.
    func run(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) throws -> RunResult {
        runCount += 1
        let stdoutURL = root.appendingPathComponent("stdout-\(runCount)")
        let stderrURL = root.appendingPathComponent("stderr-\(runCount)")
        try Data().write(to: stdoutURL)
        try Data().write(to: stderrURL)
        let stdout = try FileHandle(forWritingTo: stdoutURL), stderr = try FileHandle(forWritingTo: stderrURL)
        let process = Process()
        process.executableURL = try switchboardExecutable()
        process.arguments = arguments
        process.currentDirectoryURL = work
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let input {
            process.standardInput = try FileHandle(forReadingFrom: work.appendingPathComponent(input))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        process.waitUntilExit()
        try stdout.close()
        try stderr.close()
        return RunResult(
            status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: stdoutURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: stderrURL), as: UTF8.self))
    }
}
