import Foundation

/// Errors reading a model file, each naming the file.
public enum ModelFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case notJSON(file: String, reason: String)
    case wrongFormat(file: String, found: String)
    case unsupportedVersion(file: String, found: Int, supported: Int)
    case wrongKind(file: String, found: String, expected: String)
    case corrupted(file: String, reason: String)
    case checksumMismatch(file: String)

    public var description: String {
        switch self {
        case let .notJSON(file, reason):
            return "\(file): not a Switchboard model file (not valid JSON: \(reason))"
        case let .wrongFormat(file, found):
            return "\(file): not a Switchboard model file (format '\(found)')"
        case let .unsupportedVersion(file, found, supported):
            return
                "\(file): model format version \(found) is not supported; this build reads versions 1 to \(supported) (retrain the model)"
        case let .wrongKind(file, found, expected):
            return "\(file): holds a '\(found)' model; this command needs a '\(expected)' model"
        case let .corrupted(file, reason):
            return "\(file): corrupted model file: \(reason)"
        case let .checksumMismatch(file):
            return "\(file): corrupted model file: its checksum does not match its contents (the file was edited or damaged)"
        }
    }
}

/// The envelope every Switchboard model file shares: format name, version, kind, and a content checksum.
public protocol VersionedModel: Codable {
    /// The kind written in the file, e.g. `tabular-logistic`.
    static var kind: String { get }
    var header: ModelHeader { get set }
    /// Checks internal consistency after decoding (counts agree, numbers finite); the reason when not.
    func consistencyProblem() -> String?
}

/// The fields that say what a model file is.
public struct ModelHeader: Codable, Sendable, Equatable {
    public static let formatName = "switchboard-model"
    /// The newest version this build reads and writes. Version 2 added spline and date encodings and pairwise
    /// interactions to tabular models; a model that uses none of them is still written as version 1, so older builds
    /// read it, and every version-1 file still loads.
    public static let currentVersion = 2
    /// Every version this build reads.
    public static let readableVersions = 1...currentVersion

    public var format: String
    public var version: Int
    public var kind: String
    /// FNV-1a 64 of the file's canonical JSON with this field empty.
    public var checksum: String

    public init(kind: String, version: Int = 1) {
        self.format = Self.formatName
        self.version = version
        self.kind = kind
        self.checksum = ""
    }
}

private struct HeaderOnly: Decodable {
    var header: ModelHeader
}

/// Reading and writing versioned model files.
public enum ModelFile {
    /// The model as JSON bytes (pretty, keys sorted), with its checksum filled in.
    public static func encode<Model: VersionedModel>(_ model: Model) throws -> [UInt8] {
        var copy = model
        copy.header.checksum = ""
        copy.header.checksum = FNV1a64.digest(try canonical(copy))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(copy)) + [0x0A]
    }

    /// Decodes and verifies a model file: format, version, kind, structure, checksum and consistency.
    /// - Throws: `ModelFileError` naming `file`.
    public static func decode<Model: VersionedModel>(_ type: Model.Type, from bytes: [UInt8], file: String) throws(ModelFileError)
        -> Model
    {
        let data = Data(bytes)
        guard (try? JSONSerialization.jsonObject(with: data)) != nil else {
            throw .notJSON(file: file, reason: bytes.isEmpty ? "the file is empty" : "malformed or truncated")
        }
        let header: ModelHeader
        do {
            header = try JSONDecoder().decode(HeaderOnly.self, from: data).header
        } catch {
            // A header that names our format but is otherwise malformed is a damaged model, not a foreign file.
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            let format = (object?["header"] as? [String: Any])?["format"] as? String
            guard format == ModelHeader.formatName else { throw .wrongFormat(file: file, found: format ?? "none") }
            throw .corrupted(file: file, reason: (error as? DecodingError).map(describe) ?? "malformed header")
        }
        guard header.format == ModelHeader.formatName else { throw .wrongFormat(file: file, found: header.format) }
        guard ModelHeader.readableVersions.contains(header.version) else {
            throw .unsupportedVersion(file: file, found: header.version, supported: ModelHeader.currentVersion)
        }
        guard header.kind == Model.kind else { throw .wrongKind(file: file, found: header.kind, expected: Model.kind) }
        var model: Model
        do {
            model = try JSONDecoder().decode(Model.self, from: data)
        } catch let error as DecodingError {
            throw .corrupted(file: file, reason: describe(error))
        } catch {
            throw .corrupted(file: file, reason: "\(error)")
        }
        let stored = model.header.checksum
        model.header.checksum = ""
        guard let canonicalBytes = try? canonical(model), FNV1a64.digest(canonicalBytes) == stored else {
            throw .checksumMismatch(file: file)
        }
        model.header.checksum = stored
        if let problem = model.consistencyProblem() { throw .corrupted(file: file, reason: problem) }
        return model
    }

    private static func canonical<Model: Encodable>(_ model: Model) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(model)
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "top level" : String(keys.drop { $0 == "." })
        }
        switch error {
        case let .keyNotFound(key, context): return "missing field '\(key.stringValue)' at \(path(context))"
        case let .typeMismatch(_, context): return "wrong type at \(path(context)): \(context.debugDescription)"
        case let .valueNotFound(_, context): return "missing value at \(path(context))"
        case let .dataCorrupted(context): return "bad value at \(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
