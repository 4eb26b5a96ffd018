import Foundation
import LinearAlgebra

#if canImport(Glibc)
    import Glibc
#endif

/// Shared plumbing for the benchmarks: timing, peak memory, raw files, and running a Python peer.
enum Bench {
    /// The median of `repeats` timings of `body`, after one warm-up run.
    static func medianSeconds(repeats: Int, warmUp: Bool = true, _ body: () throws -> Void) rethrows -> Double {
        if warmUp { try body() }
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// This process's peak resident set size in bytes: `VmHWM` from /proc/self/status. (`getrusage`'s
    /// `ru_maxrss` survives `exec`, so a child started by a large parent would report the parent's peak.)
    static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.split(separator: " ").compactMap { Int($0) }
            return (digits.first ?? -1) * 1024
        }
        return -1
    }

    /// Writes doubles as raw little-endian float64.
    static func writeRaw(_ values: [Double], to path: String) throws {
        let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Reads raw float64 straight into an array's storage (no intermediate copy), `count` values.
    static func readRaw(_ path: String, count: Int) throws -> [Double] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw BenchError("cannot open \(path)") }
        defer { close(fd) }
        return try [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var done = 0
            while done < raw.count {
                let got = Glibc.read(fd, raw.baseAddress! + done, min(1 << 26, raw.count - done))
                guard got > 0 else { throw BenchError("short read from \(path)") }
                done += got
            }
            initialized = count
        }
    }

    /// Runs `python3 script args…` and returns its standard output parsed as a JSON object.
    /// Runs a peer (a Python script, or a compiled program) and parses the one JSON object it prints.
    static func runPeer(_ script: String, _ arguments: [String]) throws -> [String: Any] {
        let process = Process()
        if script.hasSuffix(".py") {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: script)
            process.arguments = arguments
        }
        // Peers run at their best: their own BLAS kernel and threads, without the variables some machines set to
        // work around old OpenBLAS builds (they slow a current numpy) or that pin thread counts.
        var environment = ProcessInfo.processInfo.environment
        for name in ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] {
            environment[name] = nil
        }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            throw BenchError("peer \(script) failed (status \(process.terminationStatus))")
        }
        return object
    }

    /// Runs this executable again with `arguments` and returns its last output line (for isolated memory figures).
    static func runSelf(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("child \(arguments) failed") }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "switchboard-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func fixed(_ x: Double, _ decimals: Int = 3) -> String { String(format: "%.\(decimals)f", x) }

    /// The peers folder beside this benchmark's sources.
    /// A JSON value a peer printed, on one line.
    static func describe(_ value: Any?) -> String {
        guard let value, JSONSerialization.isValidJSONObject(value) || value is String else { return "\(value ?? "?")" }
        if let text = value as? String { return text }
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Where Benchmarks/run puts the compiled peers (.build/peers).
    static var compiledPeersDirectory: String {
        URL(fileURLWithPath: peersDirectory).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/peers").path
    }

    static var peersDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("peers").path
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
