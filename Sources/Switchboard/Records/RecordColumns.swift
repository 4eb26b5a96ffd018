import Learning

/// Typed, checked access to the cells of a CSV table, throwing `RecordError` with file, line and column.
struct RecordColumns {
    let table: CSVTable
    private var indices: [String: Int] = [:]

    /// Checks that every required column is present.
    init(_ table: CSVTable, required: [String], optional: [String] = []) throws(RecordError) {
        self.table = table
        for name in required {
            guard let index = table.columnIndex(named: name) else { throw .missingColumn(file: table.source, column: name) }
            indices[name] = index
        }
        for name in optional {
            if let index = table.columnIndex(named: name) { indices[name] = index }
        }
    }

    var file: String { table.source }
    var rowCount: Int { table.rowCount }
    func line(_ row: Int) -> Int { table.recordLines[row] }

    /// A column resolved once: its name (for errors) and its index (nil when the optional column is absent).
    struct Field {
        let name: String
        let index: Int?
    }

    func field(_ name: String) -> Field { Field(name: name, index: indices[name]) }

    /// The trimmed cell, or nil when the column is absent or the cell is empty.
    func optionalText(_ column: String, _ row: Int) -> String? { optionalText(field(column), row) }

    func optionalText(_ field: Field, _ row: Int) -> String? {
        guard let index = field.index else { return nil }
        let cell = table.columns[index][row].trimmingBlanks()
        return cell.isEmpty ? nil : cell
    }

    func text(_ column: String, _ row: Int) throws(RecordError) -> String { try text(field(column), row) }

    func text(_ field: Field, _ row: Int) throws(RecordError) -> String {
        guard let value = optionalText(field, row) else { throw .emptyValue(file: file, line: line(row), column: field.name) }
        return value
    }

    func optionalNumber(_ column: String, _ row: Int, minimum: Double? = nil) throws(RecordError) -> Double? {
        try optionalNumber(field(column), row, minimum: minimum)
    }

    func optionalNumber(_ field: Field, _ row: Int, minimum: Double? = nil) throws(RecordError) -> Double? {
        guard let cell = optionalText(field, row) else { return nil }
        let column = field.name
        guard let value = TabularEncoder.number(cell) else {
            throw .notANumber(file: file, line: line(row), column: column, value: cell)
        }
        guard value.isFinite else {
            throw .impossibleValue(file: file, line: line(row), column: column, value: cell, reason: "is not a finite number")
        }
        if let minimum, value < minimum {
            throw .impossibleValue(
                file: file, line: line(row), column: column, value: cell, reason: "must be at least \(Self.format(minimum))")
        }
        return value
    }

    func number(_ column: String, _ row: Int, minimum: Double? = nil) throws(RecordError) -> Double {
        try number(field(column), row, minimum: minimum)
    }

    func number(_ field: Field, _ row: Int, minimum: Double? = nil) throws(RecordError) -> Double {
        guard let value = try optionalNumber(field, row, minimum: minimum) else {
            throw .emptyValue(file: file, line: line(row), column: field.name)
        }
        return value
    }

    func integer(_ column: String, _ row: Int, minimum: Int? = nil) throws(RecordError) -> Int {
        let cell = try text(column, row)
        guard let value = Int(cell) else {
            if let real = Double(cell), real.isFinite {
                throw .impossibleValue(file: file, line: line(row), column: column, value: cell, reason: "must be a whole number")
            }
            throw .notANumber(file: file, line: line(row), column: column, value: cell)
        }
        if let minimum, value < minimum {
            throw .impossibleValue(
                file: file, line: line(row), column: column, value: cell, reason: "must be at least \(minimum)")
        }
        return value
    }

    func optionalTime(_ column: String, _ row: Int) throws(RecordError) -> Timestamp? { try optionalTime(field(column), row) }

    func optionalTime(_ field: Field, _ row: Int) throws(RecordError) -> Timestamp? {
        guard let cell = optionalText(field, row) else { return nil }
        guard let time = Timestamp(iso: Substring(cell)) else {
            throw .badTime(file: file, line: line(row), column: field.name, value: cell)
        }
        return time
    }

    func time(_ column: String, _ row: Int) throws(RecordError) -> Timestamp { try time(field(column), row) }

    func time(_ field: Field, _ row: Int) throws(RecordError) -> Timestamp {
        guard let value = try optionalTime(field, row) else {
            throw .emptyValue(file: file, line: line(row), column: field.name)
        }
        return value
    }

    func enumeration<E: RawRepresentable & CaseIterable>(_ column: String, _ row: Int, as _: E.Type) throws(RecordError) -> E
    where E.RawValue == String {
        let cell = try text(column, row)
        let key = cell.lowercased()
        if let value = E.allCases.first(where: { $0.rawValue == key }) { return value }
        throw .badEnumeration(file: file, line: line(row), column: column, value: cell, allowed: E.allCases.map(\.rawValue))
    }

    func boolean(_ column: String, _ row: Int) throws(RecordError) -> Bool {
        let cell = try text(column, row)
        switch cell.lowercased() {
        case "1", "true", "yes", "y", "t": return true
        case "0", "false", "no", "n", "f": return false
        default:
            throw .badEnumeration(
                file: file, line: line(row), column: column, value: cell, allowed: ["true", "false", "1", "0", "yes", "no"])
        }
    }

    /// A `;`-separated set of enumeration values (any case), each checked.
    func enumerationSet<E: RawRepresentable & CaseIterable>(_ column: String, _ row: Int, as _: E.Type) throws(RecordError) -> [E]
    where E.RawValue == String {
        var result: [E] = []
        for item in set(column, row) {
            guard let value = E(rawValue: item.lowercased()) else {
                throw .badEnumeration(
                    file: file, line: line(row), column: column, value: item, allowed: E.allCases.map(\.rawValue))
            }
            result.append(value)
        }
        return result
    }

    /// The five activity figures, each a number ≥ 0; the revenue column's name differs between files.
    func activityFigures(_ row: Int, revenueColumn: String) throws(RecordError) -> ActivityFigures {
        ActivityFigures(
            portalLogins: try number("portal_logins", row, minimum: 0),
            trainingsCompleted: try number("trainings_completed", row, minimum: 0),
            dealRegistrations: try number("deal_registrations", row, minimum: 0),
            marketingFundsUsed: try number("marketing_funds_used", row, minimum: 0),
            revenue: try number(revenueColumn, row, minimum: 0))
    }

    /// A `;`-separated set: trimmed, empty items dropped, duplicates removed, sorted.
    func set(_ column: String, _ row: Int) -> [String] { set(field(column), row) }

    func set(_ field: Field, _ row: Int) -> [String] {
        guard let cell = optionalText(field, row) else { return [] }
        return Array(Set(cell.split(separator: ";").map { String($0).trimmingBlanks() }.filter { !$0.isEmpty })).sorted()
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
    }
}

/// Remembers the line each key was first seen on, and rejects a second occurrence.
struct UniqueKeys {
    private var firstLines: [String: Int] = [:]

    /// Records `key` at `row`'s line; throws `duplicateID` when it was seen before. `label` is what the error shows.
    /// `column` names the key's column (or columns), for the error.
    mutating func insert(_ key: String, label: String? = nil, column: String, row: Int, in columns: RecordColumns)
        throws(RecordError)
    {
        let line = columns.line(row)
        // One hash and probe per key; on a repeat the error is thrown, so the overwritten line does not matter.
        if let first = firstLines.updateValue(line, forKey: key) {
            throw .duplicateID(file: columns.file, line: line, column: column, id: label ?? key, firstLine: first)
        }
    }
}
