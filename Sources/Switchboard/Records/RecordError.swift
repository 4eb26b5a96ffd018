import Learning

/// Errors in ecosystem record files, each naming the file, and the line and column where there are any.
public enum RecordError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingColumn(file: String, column: String)
    case emptyValue(file: String, line: Int, column: String)
    case notANumber(file: String, line: Int, column: String, value: String)
    case impossibleValue(file: String, line: Int, column: String, value: String, reason: String)
    case badEnumeration(file: String, line: Int, column: String, value: String, allowed: [String])
    case badTime(file: String, line: Int, column: String, value: String)
    /// `column` names the key's column, or columns (`lead_id, partner_id`) for a compound key.
    case duplicateID(file: String, line: Int, column: String, id: String, firstLine: Int)
    case unknownReference(file: String, line: Int, column: String, id: String, referencedFile: String)
    case outOfOrder(file: String, line: Int, column: String, reason: String)
    case emptySet(file: String, what: String)
    /// A record that contradicts what another input says (`reason` names both).
    case contradiction(file: String, line: Int, reason: String)

    public var description: String {
        EscapedText.value(text)
    }

    private var text: String {
        switch self {
        case let .missingColumn(file, column):
            return "\(file): missing column '\(column)'"
        case let .emptyValue(file, line, column):
            return "\(file):\(line): column '\(column)': value required"
        case let .notANumber(file, line, column, value):
            return "\(file):\(line): column '\(column)': expected a number, got '\(value)'"
        case let .impossibleValue(file, line, column, value, reason):
            return "\(file):\(line): column '\(column)': '\(value)' \(reason)"
        case let .badEnumeration(file, line, column, value, allowed):
            return
                "\(file):\(line): column '\(column)': '\(value)' is not one of \(allowed.map { "'\($0)'" }.joined(separator: ", "))"
        case let .badTime(file, line, column, value):
            if let reason = Timestamp.impossibility(Substring(value.trimmingBlanks())) {
                return "\(file):\(line): column '\(column)': '\(value)' is an impossible date or time: \(reason)"
            }
            return
                "\(file):\(line): column '\(column)': expected a date (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM:SSZ), got '\(value)'"
        case let .duplicateID(file, line, column, id, firstLine):
            let columns = column.contains(",") ? "columns" : "column"
            return "\(file):\(line): \(columns) '\(column)': duplicate id '\(id)' (first on line \(firstLine))"
        case let .unknownReference(file, line, column, id, referencedFile):
            return "\(file):\(line): column '\(column)': '\(id)' does not exist in \(referencedFile)"
        case let .outOfOrder(file, line, column, reason):
            return "\(file):\(line): column '\(column)': \(reason)"
        case let .emptySet(file, what):
            return "\(file): no \(what)"
        case let .contradiction(file, line, reason):
            return "\(file):\(line): \(reason)"
        }
    }
}
