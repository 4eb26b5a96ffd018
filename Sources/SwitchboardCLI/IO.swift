import Foundation
import Learning

#if canImport(Glibc)
    import Glibc
#endif

/// A failure the CLI reports as `error: …` with a non-zero exit.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// File access for the commands: whole-file reads, atomic writes, terminal detection.
enum FileIO {
    /// The bytes of `path`, or of standard input for `-`.
    static func read(_ path: String) throws -> [UInt8] {
        if path == "-" {
            return Array(FileHandle.standardInput.readDataToEndOfFile())
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError("\(path): no such file")
        }
        if isDirectory.boolValue { throw CLIError("\(path): is a directory, not a file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot be read") }
        return Array(data)
    }

    /// Reads and parses a CSV file (or standard input for `-`).
    static func readTable(_ path: String, delimiter: CSVDelimiter?) throws -> (table: CSVTable, bytes: [UInt8]) {
        let bytes = try read(path)
        let table = try CSVTable(parsing: bytes, source: path == "-" ? "<stdin>" : path, delimiter: delimiter)
        return (table, bytes)
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the same folder, then a rename, so a reader never
    /// sees a half-written file and a failure leaves nothing behind. `-` writes to standard output.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        try writeAtomically([(path, bytes)])
    }

    /// Writes several outputs as one: every file goes to a temporary file first, and only when all are written
    /// are they renamed into place, so a failure on any of them leaves none behind (and existing files untouched).
    static func writeAtomically(_ outputs: [(path: String, bytes: [UInt8])]) throws {
        var staged: [(temporary: URL, target: URL)] = []
        func discardStaged() { for file in staged { try? FileManager.default.removeItem(at: file.temporary) } }
        for (path, bytes) in outputs where path != "-" {
            let url = URL(fileURLWithPath: path)
            let folder = url.deletingLastPathComponent()
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                discardStaged()
                throw CLIError("\(path): the folder \(folder.path) does not exist")
            }
            let temporary = folder.appendingPathComponent(
                ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            guard FileManager.default.createFile(atPath: temporary.path, contents: Data(bytes)) else {
                discardStaged()
                throw CLIError("\(path): cannot write (permission denied or disk full?)")
            }
            staged.append((temporary, url))
        }
        for (index, file) in staged.enumerated() where rename(file.temporary.path, file.target.path) != 0 {
            let reason = String(cString: strerror(errno))
            for rest in staged[index...] { try? FileManager.default.removeItem(at: rest.temporary) }
            throw CLIError("\(file.target.path): cannot write: \(reason)")
        }
        for (path, bytes) in outputs where path == "-" {
            FileHandle.standardOutput.write(Data(bytes))
        }
    }

    static func writeAtomically(_ text: String, to path: String) throws {
        try writeAtomically(Array(text.utf8), to: path)
    }

    /// True when standard error is a terminal (progress is shown only then).
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }

    static func progress(_ message: String) {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(message)".utf8))
    }

    static func endProgress() {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// Formats numbers for people: fixed decimals, and Double's shortest exact form for data files.
enum Format {
    static func fixed(_ value: Double, _ decimals: Int = 4) -> String {
        guard value.isFinite else { return "\(value)" }
        return String(format: "%.\(decimals)f", value)
    }

    static func meanAndDeviation(_ value: MeanAndDeviation, _ decimals: Int = 4) -> String {
        "\(fixed(value.mean, decimals)) ± \(fixed(value.standardDeviation, decimals))"
    }

    /// A table with a header and right-aligned columns after the first.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return all.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

/// The metrics every report prints, in order: label, where to read it, and decimals shown.
struct MetricRows {
    let label: String
    let value: KeyPath<ClassificationReport, Double>
    let summary: KeyPath<CrossValidationSummary, MeanAndDeviation>
    let decimals: Int

    static var all: [MetricRows] {
        [
            MetricRows(label: "ROC AUC", value: \.rocAUC, summary: \.rocAUC, decimals: 4),
            MetricRows(label: "PR AUC (average precision)", value: \.averagePrecision, summary: \.averagePrecision, decimals: 4),
            MetricRows(label: "log loss", value: \.logLoss, summary: \.logLoss, decimals: 4),
            MetricRows(label: "Brier score", value: \.brierScore, summary: \.brierScore, decimals: 4),
            MetricRows(
                label: "expected calibration error", value: \.expectedCalibrationError, summary: \.expectedCalibrationError,
                decimals: 4),
            MetricRows(label: "lift in the top decile", value: \.liftTopDecile, summary: \.liftTopDecile, decimals: 2),
        ]
    }
}
