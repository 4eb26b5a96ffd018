import Foundation

/// Writes JSON straight into bytes: the live API's answers and the ledger's events, without Foundation's
/// `JSONSerialization` (which bridges every value through `NSDictionary`/`NSNumber`) or `JSONEncoder` (which builds a
/// tree of boxes first). The two took 29% and 10% of the server's time under load.
///
/// Output rules, the same as `JSONSerialization.data(withJSONObject:options: [.sortedKeys])` on Linux, so the API's
/// answers are byte-for-byte what they were:
/// - strings: `"` `\` and `/` escaped with a backslash, `\b \f \n \r \t`, other controls below U+0020 as `\u00xx`
///   (lower-case hex); everything else as its UTF-8 bytes;
/// - doubles: Swift's shortest round-trip `description`, with a trailing `.0` removed (`1`, `0.1`, `1e+20`, `1e-07`);
///   NaN and infinities are refused (`JSONWriter.Failure.notFinite`);
/// - objects: keys in the byte order of their UTF-8. `JSONSerialization` sorts with a case-insensitive, numeric
///   comparison instead; the two agree on every key the API writes (lower-case ASCII letters and `_`).
///
/// - Complexity: O(output bytes), plus sorting each object's keys.
public struct JSONWriter {
    /// The JSON written so far.
    public fileprivate(set) var bytes: [UInt8] = []

    /// Why a value could not be written.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// NaN or an infinity: JSON has no such number.
        case notFinite(String)
        /// A value of a type JSON has no form for.
        case unsupported(String)

        public var description: String {
            switch self {
            case let .notFinite(value): "invalid number value (\(value)) in JSON"
            case let .unsupported(type): "a \(type) cannot be written as JSON"
            }
        }
    }

    public init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    // MARK: - Scalars

    public mutating func null() { bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }

    public mutating func bool(_ value: Bool) {
        if value {
            bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        } else {
            bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        }
    }

    public mutating func integer<T: BinaryInteger>(_ value: T) {
        if value == 0 {
            bytes.append(0x30)
            return
        }
        if value < 0 { bytes.append(0x2D) }
        // Digits from the least significant, in a fixed buffer (a UInt64 has at most 20).
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10)
                buffer[count] = 0x30 + UInt8(remainder)
                count += 1
                magnitude = quotient
            }
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[index]) }
        }
    }

    /// A finite double as its shortest round-trip text.
    /// - Throws: `Failure.notFinite` for NaN and infinities (nothing is written).
    public mutating func double(_ value: Double) throws(Failure) {
        guard value.isFinite else { throw .notFinite(value.description) }
        var text = value.description
        text.withUTF8 { utf8 in
            let count = utf8.count >= 2 && utf8[utf8.count - 2] == 0x2E && utf8[utf8.count - 1] == 0x30 ? utf8.count - 2 : utf8.count
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[0..<count]))
        }
    }

    /// A string, quoted and escaped.
    public mutating func string(_ value: String) {
        bytes.append(0x22)
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x2F else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                start = index + 1
                switch byte {
                case 0x22, 0x5C, 0x2F: bytes.append(contentsOf: [0x5C, byte])
                case 0x08: bytes.append(contentsOf: [0x5C, 0x62])
                case 0x0C: bytes.append(contentsOf: [0x5C, 0x66])
                case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
                case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
                case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<utf8.count]))
        }
        bytes.append(0x22)
    }

    // MARK: - Objects and arrays

    /// `{`, then `fields` writes its members with `key(_:)` before each value, then `}`. The caller writes the keys in
    /// the order it wants them (the ledger's events write theirs sorted).
    public mutating func object(_ fields: (inout ObjectWriter) throws(Failure) -> Void) throws(Failure) {
        bytes.append(0x7B)
        var members = ObjectWriter(writer: self)
        bytes = []
        defer {
            self = members.writer
            bytes.append(0x7D)
        }
        try fields(&members)
    }

    /// Writes an object's members: `key` then exactly one value.
    public struct ObjectWriter {
        public var writer: JSONWriter
        var first = true

        /// A member's key (and the comma before it unless it is the first).
        public mutating func key(_ key: String) {
            if first { first = false } else { writer.bytes.append(0x2C) }
            writer.string(key)
            writer.bytes.append(0x3A)
        }

        public mutating func string(_ key: String, _ value: String) {
            self.key(key)
            writer.string(value)
        }

        public mutating func string(_ key: String, ifPresent value: String?) {
            if let value { string(key, value) }
        }

        public mutating func double(_ key: String, _ value: Double) throws(Failure) {
            guard value.isFinite else { throw .notFinite(value.description) }
            self.key(key)
            try writer.double(value)
        }

        public mutating func double(_ key: String, ifPresent value: Double?) throws(Failure) {
            if let value { try double(key, value) }
        }

        public mutating func integer<T: BinaryInteger>(_ key: String, _ value: T) {
            self.key(key)
            writer.integer(value)
        }

        public mutating func integer<T: BinaryInteger>(_ key: String, ifPresent value: T?) {
            if let value { integer(key, value) }
        }

        public mutating func bool(_ key: String, _ value: Bool) {
            self.key(key)
            writer.bool(value)
        }

        public mutating func bool(_ key: String, ifPresent value: Bool?) {
            if let value { bool(key, value) }
        }
    }

    /// `[`, each element written by `element`, `]`.
    public mutating func array<C: Collection>(_ elements: C, _ element: (inout JSONWriter, C.Element) throws(Failure) -> Void)
        throws(Failure)
    {
        bytes.append(0x5B)
        var first = true
        for item in elements {
            if first { first = false } else { bytes.append(0x2C) }
            try element(&self, item)
        }
        bytes.append(0x5D)
    }

    // MARK: - Untyped values

    /// A value built of `[String: Any]` (keys written sorted), `[Any]`, `String`, `Bool`, integers, `Double`, `Float`,
    /// `NSNumber`, `NSNull` and optionals (`nil` is `null`), as `JSONSerialization` takes them.
    /// - Throws: `Failure.notFinite` for NaN or an infinity, `Failure.unsupported` for another type.
    public mutating func any(_ value: Any) throws(Failure) {
        // Foundation's numbers (parsed JSON) by their own type: cast first to Bool or Int they would lose it.
        if type(of: value) is NSNumber.Type, let number = value as? NSNumber {
            switch String(cString: number.objCType) {
            case "c", "B": bool(number.boolValue)
            case "d", "f": try double(number.doubleValue)
            case "Q", "L", "I", "S", "C": integer(number.uint64Value)
            default: integer(number.int64Value)
            }
            return
        }
        switch value {
        case let text as String: string(text)
        case let flag as Bool: bool(flag)
        case let number as Int: integer(number)
        case let number as Double: try double(number)
        case let object as [String: Any]:
            bytes.append(0x7B)
            var first = true
            for key in object.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                if first { first = false } else { bytes.append(0x2C) }
                string(key)
                bytes.append(0x3A)
                try any(object[key]!)
            }
            bytes.append(0x7D)
        case let list as [Any]:
            try array(list) { (writer, item) throws(Failure) in try writer.any(item) }
        case is NSNull: null()
        case let number as Int64: integer(number)
        case let number as Int32: integer(number)
        case let number as Int16: integer(number)
        case let number as Int8: integer(number)
        case let number as UInt: integer(number)
        case let number as UInt64: integer(number)
        case let number as UInt32: integer(number)
        case let number as UInt16: integer(number)
        case let number as UInt8: integer(number)
        case let number as Float:
            guard number.isFinite else { throw .notFinite(number.description) }
            var text = number.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            bytes.append(contentsOf: text.utf8)
        case let optional as any JSONOptional:
            if let wrapped = optional.wrappedJSONValue { try any(wrapped) } else { null() }
        default: throw .unsupported("\(type(of: value))")
        }
    }

    /// `value` as JSON bytes.
    /// - Throws: `Failure` as `any(_:)` does.
    public static func bytes(of value: Any, capacity: Int = 512) throws(Failure) -> [UInt8] {
        var writer = JSONWriter(capacity: capacity)
        try writer.any(value)
        return writer.bytes
    }
}

/// An optional held in an `Any`, unwrapped for the writer.
public protocol JSONOptional {
    var wrappedJSONValue: Any? { get }
}

extension Optional: JSONOptional {
    public var wrappedJSONValue: Any? {
        switch self {
        case let .some(value): value
        case .none: nil
        }
    }
}
