import Foundation
import Learning

/// The checks every JSON settings file (routing configuration, eligibility rules) gets before it is decoded.
enum StrictJSON {
    /// Why a file failed them, as the message its error shows after the file name.
    struct Problem: Error {
        var message: String
    }

    /// The file's top-level object, once it is valid JSON, an object, and names no key outside `knownKeys` (a
    /// misspelt setting must not be silently ignored).
    /// - Throws: `Problem`: `line L, column C: not valid JSON: …`, `expected a JSON object at the top level`, or
    ///   `unknown key 'k' (known: a, b, …)` for the first unknown key in sorted order.
    static func object(_ bytes: [UInt8], knownKeys: [String]) throws(Problem) -> [String: Any] {
        let object = try parse(bytes)
        guard let dictionary = object as? [String: Any] else {
            throw Problem(message: "expected a JSON object at the top level")
        }
        if let unknown = dictionary.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw Problem(message: "unknown key '\(unknown)' (known: \(knownKeys.joined(separator: ", ")))")
        }
        return dictionary
    }

    /// Any JSON value; a syntax error names its line and column (1-based) and what was expected, and a number
    /// beyond Double's range (`1e400`) is reported as not finite.
    /// - Throws: `Problem` with the position of the first syntax error.
    static func parse(_ bytes: [UInt8]) throws(Problem) -> Any {
        // Checked first: Foundation's parser names no position, and takes some invalid text (and 1e400) its own way.
        if let problem = JSONSyntax.firstProblem(in: bytes) { throw Problem(message: problem) }
        do {
            return try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw Problem(message: "not valid JSON")
        }
    }
}

/// A JSON (RFC 8259) syntax checker that reports where the text first goes wrong, as `line L, column C: …`.
enum JSONSyntax {
    private struct Failure: Error {
        var offset: Int
        var message: String
    }

    /// The first syntax error (or non-finite number) with its line and column, or nil for valid JSON.
    static func firstProblem(in bytes: [UInt8]) -> String? {
        var position = 0
        do throws(Failure) {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
            skipSpace(bytes, &position)
            if position == bytes.count { throw Failure(offset: position, message: "the file is empty: expected a JSON value") }
            try value(bytes, &position, depth: 0)
            skipSpace(bytes, &position)
            if position < bytes.count {
                throw Failure(offset: position, message: "unexpected \(describe(bytes, position)) after the JSON value")
            }
            return nil
        } catch {
            var line = 1, column = 1
            var index = 0
            while index < min(error.offset, bytes.count) {
                if bytes[index] == 0x0A {
                    line += 1
                    column = 1
                } else if bytes[index] & 0xC0 != 0x80 {
                    column += 1
                }
                index += 1
            }
            return "line \(line), column \(column): \(error.message)"
        }
    }

    private static func describe(_ bytes: [UInt8], _ position: Int) -> String {
        guard position < bytes.count else { return "end of input" }
        let byte = bytes[position]
        if byte < 0x20 || byte == 0x7F {
            return byte == 0 ? "NUL byte (\\0)" : "control byte 0x\(String(byte, radix: 16))"
        }
        var end = position + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return "'\(String(decoding: bytes[position..<end], as: UTF8.self))'"
    }

    private static func skipSpace(_ bytes: [UInt8], _ position: inout Int) {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private static func expect(_ bytes: [UInt8], _ position: inout Int, _ byte: UInt8, _ what: String) throws(Failure) {
        guard position < bytes.count, bytes[position] == byte else {
            throw Failure(offset: position, message: "expected \(what), found \(describe(bytes, position))")
        }
        position += 1
    }

    private static func value(_ bytes: [UInt8], _ position: inout Int, depth: Int) throws(Failure) {
        guard depth < 512 else { throw Failure(offset: position, message: "nested more than 512 levels deep") }
        guard position < bytes.count else { throw Failure(offset: position, message: "expected a value, found end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            position += 1
            skipSpace(bytes, &position)
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return
            }
            while true {
                skipSpace(bytes, &position)
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                    throw Failure(
                        offset: position, message: "expected a key in double quotes, found \(describe(bytes, position))")
                }
                try string(bytes, &position)
                skipSpace(bytes, &position)
                try expect(bytes, &position, UInt8(ascii: ":"), "':' after the key")
                skipSpace(bytes, &position)
                try value(bytes, &position, depth: depth + 1)
                skipSpace(bytes, &position)
                if position < bytes.count, bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                try expect(bytes, &position, UInt8(ascii: "}"), "',' or '}'")
                return
            }
        case UInt8(ascii: "["):
            position += 1
            skipSpace(bytes, &position)
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return
            }
            while true {
                skipSpace(bytes, &position)
                try value(bytes, &position, depth: depth + 1)
                skipSpace(bytes, &position)
                if position < bytes.count, bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                try expect(bytes, &position, UInt8(ascii: "]"), "',' or ']'")
                return
            }
        case UInt8(ascii: "\""):
            try string(bytes, &position)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try number(bytes, &position)
        default:
            for word in ["true", "false", "null"] where bytes[position...].starts(with: Array(word.utf8)) {
                position += word.utf8.count
                return
            }
            throw Failure(offset: position, message: "expected a value, found \(describe(bytes, position))")
        }
    }

    private static func string(_ bytes: [UInt8], _ position: inout Int) throws(Failure) {
        let start = position
        position += 1
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return
            case UInt8(ascii: "\\"):
                position += 1
                guard position < bytes.count else { break }
                let escape = bytes[position]
                if escape == UInt8(ascii: "u") {
                    let digits = bytes[(position + 1)..<min(position + 5, bytes.count)]
                    guard digits.count == 4,
                        digits.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) })
                    else { throw Failure(offset: position - 1, message: "bad \\u escape: expected 4 hex digits") }
                    position += 5
                } else if Array("\"\\/bfnrt".utf8).contains(escape) {
                    position += 1
                } else {
                    throw Failure(
                        offset: position - 1, message: "unknown escape \\\(describe(bytes, position).dropFirst().dropLast())")
                }
            case 0..<0x20:
                throw Failure(offset: position, message: "\(describe(bytes, position)) inside a string (escape it)")
            default:
                position += 1
            }
        }
        throw Failure(offset: start, message: "unterminated string (no closing '\"')")
    }

    private static func number(_ bytes: [UInt8], _ position: inout Int) throws(Failure) {
        let start = position
        func digits() -> Int {
            let from = position
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 { position += 1 }
            return position - from
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        let whole = position
        guard digits() > 0 else {
            throw Failure(offset: position, message: "expected a digit, found \(describe(bytes, position))")
        }
        if bytes[whole] == UInt8(ascii: "0"), position - whole > 1 {
            throw Failure(offset: whole, message: "a number may not start with 0")
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else {
                throw Failure(offset: position, message: "expected a digit after '.', found \(describe(bytes, position))")
            }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard digits() > 0 else {
                throw Failure(offset: position, message: "expected a digit in the exponent, found \(describe(bytes, position))")
            }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if let value = Double(text), !value.isFinite {
            throw Failure(offset: start, message: "\(text) is not a finite number (beyond Double's range)")
        }
    }
}

extension RawRepresentable where Self: CaseIterable, RawValue == String {
    /// Decodes one of the cases by name; any other string is an error that lists the allowed names (in place of
    /// Swift's "Cannot initialize T from invalid String value").
    static func decodeNamedCase(from decoder: any Decoder) throws -> Self {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: text) else {
            let allowed = allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath,
                    debugDescription: "'\(EscapedText.value(text))' is not one of \(allowed)"))
        }
        return value
    }
}
