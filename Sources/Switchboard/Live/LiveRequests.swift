import Foundation

/// A request field that is missing, of the wrong type or out of range: the live API answers 400 naming it.
public struct FieldError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The field's path: `estimated_value`, `leads[3].region`, `(body)` for the body itself.
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }

    /// The same error under a prefix: `leads[3].` + field.
    public func nested(in prefix: String) -> FieldError { FieldError(field: prefix + field, message: message) }
}

/// Reads the live API's JSON request bodies into values, strictly: an unknown field, a missing one, a wrong type or
/// a value out of range is a `FieldError` naming the field.
public enum LiveRequests {
    /// The fields of a lead object (the leads schema of Data/ecosystem/incoming.csv).
    public static let leadFields = [
        "id", "created", "region", "country", "vertical", "technology", "size_band", "estimated_value", "source",
        "required_certifications", "account_id",
    ]
    /// The longest id or text value accepted.
    public static let maxTextLength = 200

    /// Parses a JSON body that must be an object.
    /// - Throws: `FieldError` for `(body)` when it is not JSON or not an object.
    public static func object(_ bytes: [UInt8]) throws(FieldError) -> [String: Any] {
        guard !bytes.isEmpty else { throw FieldError(field: "(body)", message: "expected a JSON object, got an empty body") }
        let value: Any
        do {
            value = try StrictJSON.parse(bytes)
        } catch {
            throw FieldError(field: "(body)", message: "not valid JSON: \(error.message)")
        }
        guard let object = value as? [String: Any] else { throw FieldError(field: "(body)", message: "expected a JSON object") }
        return object
    }

    /// Parses any JSON value; a syntax error names its line and column.
    /// - Throws: `FieldError` for `(body)`.
    public static func value(_ bytes: [UInt8]) throws(FieldError) -> Any {
        do {
            return try StrictJSON.parse(bytes)
        } catch {
            throw FieldError(field: "(body)", message: error.message)
        }
    }

    /// Rejects keys not in `known`, naming the first (in sorted order).
    public static func checkKeys(_ object: [String: Any], known: [String]) throws(FieldError) {
        let allowed = Set(known)
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw FieldError(field: unknown, message: "unknown field (expected one of \(known.joined(separator: ", ")))")
        }
    }

    /// A required (or optional) non-empty string of at most `maxTextLength` characters.
    public static func text(_ object: [String: Any], _ key: String, required: Bool = true) throws(FieldError) -> String? {
        guard let value = object[key], !(value is NSNull) else {
            if required { throw FieldError(field: key, message: "required") }
            return nil
        }
        guard let text = value as? String else { throw FieldError(field: key, message: "expected a string") }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty {
            if required { throw FieldError(field: key, message: "must not be empty") }
            return nil
        }
        if trimmed.count > maxTextLength {
            throw FieldError(field: key, message: "longer than \(maxTextLength) characters")
        }
        if trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw FieldError(field: key, message: "contains a control character")
        }
        return trimmed
    }

    /// A finite number within `range`.
    public static func number(_ object: [String: Any], _ key: String, range: ClosedRange<Double>, required: Bool = true)
        throws(FieldError) -> Double?
    {
        guard let value = object[key], !(value is NSNull) else {
            if required { throw FieldError(field: key, message: "required") }
            return nil
        }
        guard let number = value as? NSNumber, !isBoolean(number) else {
            throw FieldError(field: key, message: "expected a number")
        }
        let double = number.doubleValue
        guard double.isFinite, range.contains(double) else {
            throw FieldError(field: key, message: "must be in \(range.lowerBound)...\(range.upperBound) (got \(number))")
        }
        return double
    }

    /// Whether JSON gave `true` or `false` (on Linux a number 0 or 1 passes `is Bool` too; the type encoding tells).
    static func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }

    /// A boolean.
    public static func flag(_ object: [String: Any], _ key: String) throws(FieldError) -> Bool {
        guard let value = object[key], !(value is NSNull) else { throw FieldError(field: key, message: "required") }
        guard let number = value as? NSNumber, isBoolean(number) else {
            throw FieldError(field: key, message: "expected true or false")
        }
        return number.boolValue
    }

    /// A lead object.
    /// - Parameter now: `created` when the object has none.
    public static func lead(_ object: [String: Any], now: Timestamp) throws(FieldError) -> Lead {
        try checkKeys(object, known: leadFields)
        let id = try text(object, "id")!
        var created = now
        if let value = object["created"], !(value is NSNull) {
            guard let text = value as? String, let time = Timestamp(iso: Substring(text)) else {
                throw FieldError(field: "created", message: "expected an ISO 8601 date or time such as 2026-01-01T09:30:00Z")
            }
            created = time
        }
        var certifications: [String] = []
        if let value = object["required_certifications"], !(value is NSNull) {
            if let list = value as? [Any] {
                for (index, item) in list.enumerated() {
                    guard let name = item as? String, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                        throw FieldError(field: "required_certifications[\(index)]", message: "expected a non-empty string")
                    }
                    certifications.append(name.trimmingCharacters(in: .whitespaces))
                }
            } else if let joined = value as? String {
                certifications = joined.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
            } else {
                throw FieldError(
                    field: "required_certifications", message: "expected a list of strings or one ';'-separated string")
            }
        }
        return Lead(
            id: id, created: created, region: try text(object, "region")!, country: try text(object, "country")!,
            vertical: try text(object, "vertical")!, technology: try text(object, "technology")!,
            sizeBand: try text(object, "size_band")!,
            estimatedValue: try number(object, "estimated_value", range: 0...1e15)!,
            source: try text(object, "source")!, requiredCertifications: Array(Set(certifications)).sorted(),
            accountID: try text(object, "account_id", required: false))
    }
}
