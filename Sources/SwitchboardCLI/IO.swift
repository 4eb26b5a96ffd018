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
        try checkReadable(path)
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot be read") }
        return Array(data)
    }

    /// Throws the reason `path` cannot be read as a file: no such file, a symlink to a missing file, a symlink loop,
    /// a folder, no permission, a path through a file.
    static func checkReadable(_ path: String) throws {
        if path.isEmpty { throw CLIError("an empty path was given for a file") }
        var status = stat()
        if stat(path, &status) != 0 {
            let code = errno
            var link = stat()
            switch code {
            case ENOENT where lstat(path, &link) == 0:
                throw CLIError("\(path): a symbolic link to a file that does not exist")
            case ENOENT: throw CLIError("\(path): no such file")
            case ELOOP: throw CLIError("\(path): a loop of symbolic links (too many levels)")
            case ENOTDIR: throw CLIError("\(path): a part of the path is a file, not a folder")
            case EACCES: throw CLIError("\(path): permission denied")
            case ENAMETOOLONG: throw CLIError("\(path): the path is too long")
            default: throw CLIError("\(path): cannot be read (\(String(cString: strerror(code))))")
            }
        }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw CLIError("\(path): is a directory, not a file") }
        if access(path, R_OK) != 0 { throw CLIError("\(path): permission denied") }
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
        var staged: [(temporary: String, target: String)] = []
        func discardStaged() { for file in staged { TemporaryFiles.remove(file.temporary) } }
        for (path, bytes) in outputs where path != "-" {
            let temporary: String
            do {
                temporary = try createTemporary(for: path)
            } catch {
                discardStaged()
                throw error
            }
            staged.append((temporary, path))
            do {
                try writeAll(bytes, to: temporary, target: path)
            } catch {
                discardStaged()
                throw error
            }
        }
        for (index, file) in staged.enumerated() {
            guard rename(file.temporary, file.target) == 0 else {
                let reason = String(cString: strerror(errno))
                for rest in staged[index...] { TemporaryFiles.remove(rest.temporary) }
                throw CLIError("\(file.target): cannot write: \(reason)")
            }
            TemporaryFiles.release(file.temporary)
        }
        for (path, bytes) in outputs where path == "-" {
            FileHandle.standardOutput.write(Data(bytes))
        }
    }

    /// Creates an empty, new temporary file beside `path` (`.NAME.tmp-PID-RANDOM`) and returns its path.
    static func createTemporary(for path: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        var status = stat()
        guard stat(folder.path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
            throw CLIError("\(path): the folder \(folder.path) does not exist")
        }
        let temporary = folder.appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        ).path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o666)
        guard descriptor >= 0 else {
            throw CLIError("\(path): cannot write: \(String(cString: strerror(errno)))")
        }
        TemporaryFiles.register(temporary)
        close(descriptor)
        return temporary
    }

    /// Writes all of `bytes` to the existing file `temporary`; on failure removes it and names `target`.
    private static func writeAll(_ bytes: [UInt8], to temporary: String, target: String) throws {
        let descriptor = open(temporary, O_WRONLY | O_TRUNC)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            TemporaryFiles.remove(temporary)
            throw CLIError("\(target): cannot write: \(reason)")
        }
        var failure: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if close(descriptor) != 0 && failure == 0 { failure = errno }
        if failure != 0 {
            TemporaryFiles.remove(temporary)
            throw CLIError("\(target): cannot write: \(String(cString: strerror(failure)))")
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

/// Writes a large output piece by piece to a temporary file beside the target, renamed into place by `commit()`;
/// `discard()` (or a failure before commit) leaves nothing behind. `-` streams to standard output instead.
final class StreamingOutput {
    let path: String
    private let handle: FileHandle
    private let temporary: String?
    private var buffer: [UInt8] = []

    init(path: String) throws {
        self.path = path
        if path == "-" {
            handle = FileHandle.standardOutput
            temporary = nil
            return
        }
        let staged = try FileIO.createTemporary(for: path)
        guard let opened = FileHandle(forWritingAtPath: staged) else {
            TemporaryFiles.remove(staged)
            throw CLIError("\(path): cannot write (permission denied or disk full?)")
        }
        handle = opened
        temporary = staged
    }

    /// Appends `text`; bytes reach the file in blocks of about 1 MiB (standard output: at every `flush()`).
    func write(_ text: String) throws {
        try write(Array(text.utf8))
    }

    func write(_ bytes: [UInt8]) throws {
        if buffer.isEmpty && bytes.count >= 1 << 20 {
            try writeOut(bytes)
            return
        }
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func writeOut(_ bytes: [UInt8]) throws {
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw CLIError("\(path): cannot write: \(error.localizedDescription)")
        }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try writeOut(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func commit() throws {
        try flush()
        guard let temporary else { return }
        try? handle.close()
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            TemporaryFiles.remove(temporary)
            throw CLIError("\(path): cannot write: \(reason)")
        }
        TemporaryFiles.release(temporary)
    }

    func discard() {
        guard let temporary else { return }
        try? handle.close()
        TemporaryFiles.remove(temporary)
    }
}

/// Reads a CSV file (or standard input for `-`) in chunks of records, for inputs too large to hold at once.
struct ChunkedCSVReader {
    let source: String
    private let handle: FileHandle
    private var reader: CSVRecordReader
    private var pending: [(fields: [String], line: Int)] = []
    private var finished = false
    /// Bytes read so far, and the file's size (nil for standard input), for progress.
    private(set) var bytesRead = 0
    let totalBytes: Int?

    init(path: String, delimiter: CSVDelimiter?) throws {
        if path == "-" {
            source = "<stdin>"
            handle = FileHandle.standardInput
            totalBytes = nil
        } else {
            try FileIO.checkReadable(path)
            guard let opened = FileHandle(forReadingAtPath: path) else { throw CLIError("\(path): cannot be read") }
            source = path
            handle = opened
            totalBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        }
        reader = CSVRecordReader(source: source, delimiter: delimiter)
    }

    /// The next table of at most `count` records (fewer at the end), or nil when the input is exhausted; the header
    /// is the file's, and the records keep their line numbers.
    mutating func next(_ count: Int) throws -> CSVTable? {
        while pending.count < count && !finished {
            let data = try handle.read(upToCount: 1 << 20) ?? Data()
            if data.isEmpty {
                try reader.finish()
                finished = true
            } else {
                bytesRead += data.count
                try reader.feed(data)
            }
            pending.append(contentsOf: reader.takeRecords())
        }
        guard let header = reader.header else { throw CSVError(source: source, line: 1, kind: .emptyFile) }
        if pending.isEmpty && finished { return nil }
        let taken = Array(pending.prefix(count))
        pending.removeFirst(taken.count)
        return CSVTable(source: source, header: header, records: taken, delimiter: reader.delimiter ?? .comma)
    }
}
