import Learning

/// The bytes of one record file and the name errors call it by (the path as the user gave it, or `<stdin>`).
public struct RecordSource: Sendable {
    public var name: String
    public var bytes: [UInt8]

    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }
}

/// Reads files for `EcosystemFiles(folder:…)`. The library never touches files itself: the CLI (or a server, or a
/// test holding files in memory) implements this, so the folder layout is known in one place and read by anyone.
public protocol RecordReader {
    /// The bytes at `path`; throws an error naming `path` when there is no such file or it cannot be read.
    func read(_ path: String) throws -> [UInt8]
    /// Whether a file exists at `path` (optional files are read only then).
    func exists(_ path: String) -> Bool
}

/// The record files of one ecosystem, each given or not, as bytes: from a folder in the layout `switchboard
/// generate` writes (`partners.csv`, `leads.csv`, …, `truth/pairs.csv`), or file by file.
public struct EcosystemFiles: Sendable {
    public var files: [RecordKind: RecordSource] = [:]

    public init() {}

    public subscript(kind: RecordKind) -> RecordSource? {
        get { files[kind] }
        set { files[kind] = newValue }
    }

    /// `folder/name`, as given (a relative folder stays relative, so errors name the file as the user would).
    public static func path(_ folder: String, _ kind: RecordKind) -> String { path(folder, kind.fileName) }

    /// `folder/name`, as given.
    public static func path(_ folder: String, _ name: String) -> String {
        folder.isEmpty ? name : folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// Reads the `required` files of `folder` (an error names a missing one) and those of `optional` that exist.
    public init(
        folder: String, required: Set<RecordKind>, optional: Set<RecordKind> = [], reader: some RecordReader
    ) throws {
        for kind in RecordKind.allCases where required.contains(kind) || optional.contains(kind) {
            let path = Self.path(folder, kind)
            if !required.contains(kind) && !reader.exists(path) { continue }
            files[kind] = RecordSource(name: path, bytes: try reader.read(path))
        }
    }

    /// The FNV-1a 64 digest of the files of `kinds` that were given, in that order (a model's data checksum).
    public func checksum(_ kinds: [RecordKind]) -> String {
        var hash = FNV1a64()
        for kind in kinds { if let source = files[kind] { hash.update(source.bytes) } }
        return hash.hexDigest
    }
}
