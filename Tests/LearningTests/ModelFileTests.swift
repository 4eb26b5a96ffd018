import Foundation
import LinearAlgebra
import Testing
@testable import Learning
import TestSupport

// MARK: - Helpers

/// A small churn-like CSV with signal in `tenure` and `plan`, from a seed.
private func churnCSV(seed: UInt64, rows: Int) -> String {
    var rng = SeededGenerator(seed: seed)
    var text = "customer,tenure,spend,plan,churned\n"
    let plans = ["basic", "plus", "pro"]
    for row in 0..<rows {
        let tenure = rng.uniform(0, 60), spend = rng.uniform(10, 200)
        let plan = plans[Int(rng.next() % 3)]
        let margin = 1.5 - 0.06 * tenure + (plan == "basic" ? 0.8 : plan == "pro" ? -0.8 : 0)
        let churned = rng.nextUniform() < Kernels.sigmoid(margin)
        text += "c\(row),\(tenure),\(spend),\(plan),\(churned ? "yes" : "no")\n"
    }
    return text
}

private let modelFileName = "churn.model.json"

/// A model trained on `churnCSV`, its training table, and its file bytes.
private func trainedModel() throws -> (model: TabularModel, table: CSVTable, bytes: [UInt8]) {
    let table = try CSVTable(parsing: Array(churnCSV(seed: 11, rows: 150).utf8), source: "churn.csv")
    let request = TabularTrainingRequest(target: "churned", crossValidationFolds: 3, seed: 7, dataChecksum: "0123456789abcdef")
    let model = try TabularTrainer.train(table, request: request).model
    return (model, table, try ModelFile.encode(model))
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// `bytes` with `old` replaced by `new` exactly once (recording an issue when `old` is not there exactly once).
private func replacingOnce(_ old: String, with new: String, in bytes: [UInt8]) -> [UInt8] {
    let parts = text(bytes).components(separatedBy: old)
    #expect(parts.count == 2, "expected '\(old)' exactly once")
    return Array(parts.joined(separator: new).utf8)
}

/// The JSON object of `bytes`, changed by `edit`, serialised again.
private func editingJSON(_ bytes: [UInt8], _ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
    var object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    edit(&object)
    return Array(try JSONSerialization.data(withJSONObject: object))
}

private func decode(_ bytes: [UInt8]) throws(ModelFileError) -> TabularModel {
    try ModelFile.decode(TabularModel.self, from: bytes, file: modelFileName)
}

/// Decodes `bytes`, expecting `expected`, and checks that the description names the file.
private func expectDecodingError(
    _ bytes: [UInt8], _ expected: ModelFileError, sourceLocation: SourceLocation = #_sourceLocation
) {
    let error = #expect(throws: ModelFileError.self, sourceLocation: sourceLocation) { try decode(bytes) }
    #expect(error == expected, sourceLocation: sourceLocation)
    #expect(
        error?.description.hasPrefix("\(modelFileName): ") == true, "\(String(describing: error))",
        sourceLocation: sourceLocation)
}

// MARK: - Tests

@Suite("Model files")
struct ModelFileTests {
    @Test func aModelSurvivesARoundTrip() throws {
        let (model, table, bytes) = try trainedModel()
        let decoded = try decode(bytes)

        // Only the header's checksum differs: `encode` fills it in on its copy.
        #expect(model.header.checksum.isEmpty)
        #expect(decoded.header.checksum.count == 16)
        #expect(decoded.header.checksum.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        var withChecksum = model
        withChecksum.header.checksum = decoded.header.checksum
        #expect(decoded == withChecksum)
        #expect(decoded.coefficients == model.coefficients && decoded.intercept == model.intercept)
        #expect(decoded.metrics == model.metrics)
        #expect(decoded.metrics.crossValidation?.folds.count == 3)

        let (expected, _) = try model.probabilities(for: table)
        let (actual, _) = try decoded.probabilities(for: table)
        #expect(actual == expected)

        // A decoded model encodes to the same bytes.
        #expect(try ModelFile.encode(decoded) == bytes)
    }

    @Test func theHeaderSaysWhatTheFileIs() throws {
        let (_, _, bytes) = try trainedModel()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let header = try #require(object["header"] as? [String: Any])
        #expect(header["format"] as? String == "switchboard-model")
        #expect(header["version"] as? Int == 1)
        #expect(header["kind"] as? String == "tabular-logistic")
        #expect(bytes.last == UInt8(ascii: "\n"))
    }

    @Test func encodingIsDeterministic() throws {
        let (model, _, bytes) = try trainedModel()
        #expect(try ModelFile.encode(model) == bytes)
        #expect(try ModelFile.encode(model) == ModelFile.encode(model))
        // Retraining from the same data and seed gives the same file.
        #expect(try trainedModel().bytes == bytes)
    }

    @Test func whitespaceChangesKeepTheChecksumValid() throws {
        let (model, _, bytes) = try trainedModel()
        // JSON strings cannot hold a raw line break, so every line feed is whitespace between tokens.
        let reformatted = Array(text(bytes).replacingOccurrences(of: "\n", with: "\r\n\t ").utf8)
        var decoded = try decode(reformatted)
        decoded.header.checksum = ""
        #expect(decoded == model)
    }

    @Test func anEditedCoefficientFailsTheChecksum() throws {
        let (_, _, bytes) = try trainedModel()
        var characters = Array(text(bytes))
        let key = Array("\"coefficients\" : [")
        let start = try #require((0...(characters.count - key.count)).first { Array(characters[$0..<$0 + key.count]) == key })
        let digit = try #require(characters[(start + key.count)...].firstIndex { $0.isNumber })
        let old = characters[digit].wholeNumberValue!
        characters[digit] = Character(String(old == 9 ? 8 : old + 1))
        let edited = Array(String(characters).utf8)
        #expect(edited != bytes && edited.count == bytes.count)
        expectDecodingError(edited, .checksumMismatch(file: modelFileName))
    }

    @Test func anEditedChecksumFails() throws {
        let (_, _, bytes) = try trainedModel()
        let checksum = try decode(bytes).header.checksum
        let wrong = checksum == "0000000000000000" ? "0000000000000001" : "0000000000000000"
        expectDecodingError(
            replacingOnce("\"\(checksum)\"", with: "\"\(wrong)\"", in: bytes),
            .checksumMismatch(file: modelFileName))
    }

    @Test func anotherVersionIsUnsupported() throws {
        let (_, _, bytes) = try trainedModel()
        let edited = replacingOnce("\"version\" : 1", with: "\"version\" : 3", in: bytes)
        expectDecodingError(edited, .unsupportedVersion(file: modelFileName, found: 3, supported: 2))
        let error = #expect(throws: ModelFileError.self) { try decode(edited) }
        #expect(error?.description.contains("version 3") == true)
    }

    @Test func anotherKindIsRejected() throws {
        let (_, _, bytes) = try trainedModel()
        let edited = replacingOnce("\"kind\" : \"tabular-logistic\"", with: "\"kind\" : \"gradient-boosting\"", in: bytes)
        expectDecodingError(edited, .wrongKind(file: modelFileName, found: "gradient-boosting", expected: "tabular-logistic"))
    }

    @Test func aDamagedHeaderOfOurFormatIsCorruptedNotForeign() throws {
        let (_, _, bytes) = try trainedModel()
        let edited = replacingOnce("\"version\" : 1", with: "\"version\" : \"1\"", in: bytes)
        let error = #expect(throws: ModelFileError.self) { try decode(edited) }
        guard case .corrupted(let file, _)? = error else {
            Issue.record("expected .corrupted, got \(String(describing: error))")
            return
        }
        #expect(file == modelFileName)
    }

    @Test func anotherFormatIsRejected() throws {
        let (_, _, bytes) = try trainedModel()
        let edited = replacingOnce("\"format\" : \"switchboard-model\"", with: "\"format\" : \"onnx\"", in: bytes)
        expectDecodingError(edited, .wrongFormat(file: modelFileName, found: "onnx"))
    }

    @Test(arguments: [0, 1, 2, 3])
    func truncatedAndEmptyFilesAreNotJSON(fraction: Int) throws {
        let (_, _, bytes) = try trainedModel()
        switch fraction {
        case 0:
            expectDecodingError([], .notJSON(file: modelFileName, reason: "the file is empty"))
        default:
            // The first quarter, half, three quarters of the bytes.
            let truncated = Array(bytes.prefix(bytes.count * fraction / 4))
            expectDecodingError(truncated, .notJSON(file: modelFileName, reason: "malformed or truncated"))
        }
    }

    @Test func notJSONAtAll() throws {
        expectDecodingError(
            Array("customer,tenure\nc1,3\n".utf8), .notJSON(file: modelFileName, reason: "malformed or truncated"))
    }

    @Test(arguments: ["intercept", "coefficients", "schema", "target"])
    func aMissingFieldIsCorrupted(field: String) throws {
        let (_, _, bytes) = try trainedModel()
        let edited = try editingJSON(bytes) { $0[field] = nil }
        let error = #expect(throws: ModelFileError.self) { try decode(edited) }
        guard case let .corrupted(file, reason) = error else {
            Issue.record("expected .corrupted, got \(String(describing: error))")
            return
        }
        #expect(file == modelFileName)
        #expect(reason.contains("'\(field)'"), "\(reason)")
        #expect(error?.description.hasPrefix("\(modelFileName): corrupted model file") == true)
    }

    @Test func aWrongTypeIsCorrupted() throws {
        let (_, _, bytes) = try trainedModel()
        let edited = try editingJSON(bytes) { $0["intercept"] = "zero" }
        let error = #expect(throws: ModelFileError.self) { try decode(edited) }
        guard case let .corrupted(file, reason) = error else {
            Issue.record("expected .corrupted, got \(String(describing: error))")
            return
        }
        #expect(file == modelFileName)
        #expect(reason.contains("intercept"), "\(reason)")
    }

    @Test(arguments: ["{\"a\":1}", "{}", "[1, 2, 3]"])
    func jsonThatIsNotAModelIsTheWrongFormat(json: String) throws {
        expectDecodingError(Array(json.utf8), .wrongFormat(file: modelFileName, found: "none"))
    }

    @Test func aHeaderNamingOurFormatButMissingFieldsIsCorrupted() throws {
        let json = "{\"header\": {\"format\": \"switchboard-model\"}}"
        expectDecodingError(Array(json.utf8), .corrupted(file: modelFileName, reason: "missing field 'version' at header"))
    }

    @Test func anInconsistentModelIsCorrupted() throws {
        let (model, _, _) = try trainedModel()
        var broken = model
        broken.coefficients.removeLast()
        // A valid checksum over inconsistent contents: the consistency check must catch it.
        let error = #expect(throws: ModelFileError.self) { try decode(try ModelFile.encode(broken)) }
        guard case let .corrupted(file, reason) = error else {
            Issue.record("expected .corrupted, got \(String(describing: error))")
            return
        }
        #expect(file == modelFileName)
        #expect(reason.contains("\(model.coefficients.count - 1) coefficients"), "\(reason)")

        var badScale = model
        for (index, column) in badScale.schema.columns.enumerated() {
            if case var .numeric(encoding) = column {
                encoding.scale = 0
                badScale.schema.columns[index] = .numeric(encoding)
                break
            }
        }
        let scaleError = #expect(throws: ModelFileError.self) { try decode(try ModelFile.encode(badScale)) }
        #expect(scaleError?.description.contains("invalid standardisation") == true)
    }

    @Test func everyErrorDescriptionNamesTheFile() {
        let errors: [ModelFileError] = [
            .notJSON(file: "m.json", reason: "r"), .wrongFormat(file: "m.json", found: "x"),
            .unsupportedVersion(file: "m.json", found: 3, supported: 2),
            .wrongKind(file: "m.json", found: "a", expected: "b"), .corrupted(file: "m.json", reason: "r"),
            .checksumMismatch(file: "m.json"),
        ]
        for error in errors { #expect(error.description.hasPrefix("m.json: "), "\(error)") }
    }
}
