/// Errors in tabular data, each naming the file, and where known the line and column.
public enum TabularError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingColumn(file: String, column: String)
    case notANumber(file: String, line: Int, column: String, value: String)
    case nonFiniteNumber(file: String, line: Int, column: String, value: String)
    case missingValue(file: String, line: Int, column: String)
    case mostlyNumeric(file: String, line: Int, column: String, value: String)
    case targetNotBinary(file: String, column: String, values: [String])
    case ambiguousPositive(file: String, column: String, values: [String])
    case positiveNotFound(file: String, column: String, positive: String, values: [String])
    case unexpectedTargetValue(file: String, line: Int, column: String, value: String, expected: [String])
    case noRows(file: String)
    case noFeatures(file: String)
    case unknownColumn(file: String, option: String, column: String)
    case conflictingColumnOptions(column: String)
    case notADate(file: String, line: Int, column: String, value: String)

    public var description: String {
        switch self {
        case let .missingColumn(file, column):
            return "\(file): missing column '\(column)'"
        case let .notANumber(file, line, column, value):
            return "\(file):\(line): column '\(column)': expected a number, got '\(value)'"
        case let .nonFiniteNumber(file, line, column, value):
            return "\(file):\(line): column '\(column)': non-finite number '\(value)'"
        case let .missingValue(file, line, column):
            return "\(file):\(line): column '\(column)': missing value (use --missing impute to fill missing values)"
        case let .mostlyNumeric(file, line, column, value):
            return "\(file):\(line): column '\(column)': mostly numbers, but '\(value)' is not one "
                + "(fix the value, or pass --categorical \(column) to treat the column as categories)"
        case let .targetNotBinary(file, column, values):
            let shown = values.prefix(6).map { "'\($0)'" }.joined(separator: ", ")
            return
                "\(file): target column '\(column)' must hold exactly two values; found \(values.count): \(shown)\(values.count > 6 ? ", …" : "")"
        case let .ambiguousPositive(file, column, values):
            return "\(file): target column '\(column)' holds \(values.map { "'\($0)'" }.joined(separator: " and ")); "
                + "say which is positive with --positive"
        case let .positiveNotFound(file, column, positive, values):
            return
                "\(file): target column '\(column)' has no value '\(positive)' (it holds \(values.map { "'\($0)'" }.joined(separator: ", ")))"
        case let .unexpectedTargetValue(file, line, column, value, expected):
            return
                "\(file):\(line): column '\(column)': target value '\(value)' is neither \(expected.map { "'\($0)'" }.joined(separator: " nor "))"
        case let .noRows(file):
            return "\(file): no data rows"
        case let .noFeatures(file):
            return "\(file): no feature columns left to learn from"
        case let .unknownColumn(file, option, column):
            return "\(file): \(option) names column '\(column)', which the file does not have"
        case let .notADate(file, line, column, value):
            return "\(file):\(line): column '\(column)': expected a date (YYYY-MM-DD), got '\(value)' "
                + "(fix the value, or pass --categorical \(column) to treat the column as categories)"
        case let .conflictingColumnOptions(column):
            return "column '\(column)' is named in both --categorical and --numeric"
        }
    }
}
