import LinearAlgebra

/// Choices a user makes about columns before fitting an encoding.
public struct ColumnOptions: Sendable, Equatable {
    public var drop: [String] = []
    public var categorical: [String] = []
    public var numeric: [String] = []
    public var missingPolicy: MissingValuePolicy = .error
    /// Interior knots of each numeric column's cubic B-spline (at quantiles); nil for a linear term. Columns with
    /// fewer than five distinct values stay linear.
    public var splineKnots: Int?

    public init(
        drop: [String] = [], categorical: [String] = [], numeric: [String] = [], missingPolicy: MissingValuePolicy = .error,
        splineKnots: Int? = nil
    ) {
        self.splineKnots = splineKnots
        self.drop = drop
        self.categorical = categorical
        self.numeric = numeric
        self.missingPolicy = missingPolicy
    }
}

/// Things worth telling the user that are not errors.
public struct EncodingNotes: Sendable, Equatable {
    /// Columns left out as identifiers (a distinct value on every row).
    public var identifierColumns: [String] = []
    /// Numeric columns left out as identifiers (a distinct whole number on every row).
    public var numericIdentifierColumns: [String] = []
    /// Columns read as dates (month, weekday, day of month and age).
    public var dateColumns: [String] = []
    /// Columns left out because every value was missing.
    public var emptyColumns: [String] = []
    /// Per column, how many cells held a category not seen in training (encoded as all zeros).
    public var unseenCategories: [String: Int] = [:]
    /// Per column, how many cells were imputed.
    public var imputedCells: [String: Int] = [:]

    public init() {}

    /// Human-readable warnings, one a line.
    public var warnings: [String] {
        var lines: [String] = []
        for column in identifierColumns {
            lines.append(
                "column '\(column)' holds a distinct value on every row; left out as an identifier (name it in --categorical to keep it)"
            )
        }
        for column in numericIdentifierColumns {
            lines.append(
                "column '\(column)' holds a distinct whole number on every row; left out as an identifier (name it in --numeric to keep it)"
            )
        }
        for column in emptyColumns { lines.append("column '\(column)' is empty on every row; left out") }
        for (column, count) in unseenCategories.sorted(by: { $0.key < $1.key }) {
            lines.append(
                "column '\(column)': \(count) cell\(count == 1 ? "" : "s") held a category not seen in training (encoded as all zeros)"
            )
        }
        return lines
    }
}

/// Fits a `TabularSchema` on a table and turns tables into design matrices.
public enum TabularEncoder {
    /// Whether a cell counts as missing: empty once surrounding white space is removed.
    @inlinable
    public static func isMissing(_ cell: String) -> Bool {
        cell.utf8.allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }

    static func trimmed(_ cell: String) -> Substring { cell.blankTrimmed }

    /// The value of a numeric cell (blanks around it ignored), or nil when it does not parse. Hexadecimal forms,
    /// which Swift would accept, are refused.
    public static func number(_ cell: String) -> Double? {
        let text = trimmed(cell)
        // Reject hexadecimal and other forms people do not mean as data.
        if text.utf8.contains(where: { $0 == UInt8(ascii: "x") || $0 == UInt8(ascii: "X") }) { return nil }
        return Double(text)
    }

    /// Picks the target's positive value: the one given, or a conventional one (yes, true, 1, won, …).
    public static func target(
        in table: CSVTable, column: String, positive: String?
    ) throws(TabularError) -> TargetSpecification {
        guard let index = table.columnIndex(named: column) else { throw .missingColumn(file: table.source, column: column) }
        var distinct: [String] = []
        for (row, cell) in table.columns[index].enumerated() {
            if isMissing(cell) { throw .missingValue(file: table.source, line: table.recordLines[row], column: column) }
            let value = String(trimmed(cell))
            if !distinct.contains(value) {
                distinct.append(value)
                if distinct.count > 50 { break }
            }
        }
        if table.rowCount == 0 { throw .noRows(file: table.source) }
        let sorted = distinct.sorted()
        if let positive {
            guard distinct.contains(positive) else {
                throw .positiveNotFound(file: table.source, column: column, positive: positive, values: sorted)
            }
            guard distinct.count <= 2 else { throw .targetNotBinary(file: table.source, column: column, values: sorted) }
            let negative = distinct.first { $0 != positive } ?? "not \(positive)"
            return TargetSpecification(column: column, positive: positive, negative: negative)
        }
        guard distinct.count == 2 else { throw .targetNotBinary(file: table.source, column: column, values: sorted) }
        let conventional: Set<String> = [
            "yes", "y", "true", "t", "1", "won", "win", "positive", "churned", "converted", "success",
        ]
        let matches = distinct.filter { conventional.contains($0.lowercased()) }
        guard matches.count == 1, let chosen = matches.first else {
            throw .ambiguousPositive(file: table.source, column: column, values: sorted)
        }
        return TargetSpecification(column: column, positive: chosen, negative: distinct.first { $0 != chosen }!)
    }

    /// The labels of a table under a target specification (true = positive).
    /// - Throws: `TabularError` for a missing column, a missing cell, or a third value.
    public static func labels(in table: CSVTable, target: TargetSpecification) throws(TabularError) -> [Bool] {
        guard let index = table.columnIndex(named: target.column) else {
            throw .missingColumn(file: table.source, column: target.column)
        }
        var labels: [Bool] = []
        labels.reserveCapacity(table.rowCount)
        for (row, cell) in table.columns[index].enumerated() {
            if isMissing(cell) { throw .missingValue(file: table.source, line: table.recordLines[row], column: target.column) }
            let value = trimmed(cell)
            if value == target.positive {
                labels.append(true)
            } else if value == target.negative {
                labels.append(false)
            } else {
                throw .unexpectedTargetValue(
                    file: table.source, line: table.recordLines[row], column: target.column,
                    value: String(value), expected: [target.positive, target.negative])
            }
        }
        return labels
    }

    /// Fits the encoding of every column but the target and the dropped ones.
    ///
    /// A column is numeric when every non-missing cell parses as a number, unless named in `categorical`;
    /// a column of mostly numbers with a few other cells is an error naming the first such cell. A
    /// categorical column with a distinct value on every row (more than 20 rows) is left out as an identifier.
    /// - Throws: `TabularError` naming file, line and column.
    public static func fit(
        table: CSVTable, excluding target: String?, options: ColumnOptions
    ) throws(TabularError) -> (schema: TabularSchema, notes: EncodingNotes) {
        if table.rowCount == 0 { throw .noRows(file: table.source) }
        for column in options.categorical where options.numeric.contains(column) {
            throw .conflictingColumnOptions(column: column)
        }
        for (option, names) in [("--drop", options.drop), ("--categorical", options.categorical), ("--numeric", options.numeric)]
        {
            for name in names where table.columnIndex(named: name) == nil {
                throw .unknownColumn(file: table.source, option: option, column: name)
            }
        }
        var notes = EncodingNotes()
        var columns: [ColumnEncoding] = []
        for (index, name) in table.header.enumerated() where name != target && !options.drop.contains(name) {
            let cells = table.columns[index]
            let forcedCategorical = options.categorical.contains(name), forcedNumeric = options.numeric.contains(name)
            var missingRows: [Int] = []
            var numericCount = 0, firstNonNumeric: Int?
            var days: [Int]? = forcedCategorical || forcedNumeric ? nil : []
            for (row, cell) in cells.enumerated() {
                if isMissing(cell) { missingRows.append(row); continue }
                if forcedCategorical { continue }
                if days != nil {
                    if let day = CalendarDay.parse(trimmed(cell)) { days!.append(day) } else { days = nil }
                }
                if number(cell) != nil { numericCount += 1 } else if firstNonNumeric == nil { firstNonNumeric = row }
            }
            let presentCount = cells.count - missingRows.count
            if presentCount == 0 {
                notes.emptyColumns.append(name)
                continue
            }
            if let first = missingRows.first, options.missingPolicy == .error {
                throw .missingValue(file: table.source, line: table.recordLines[first], column: name)
            }
            let isNumeric: Bool
            if forcedCategorical {
                isNumeric = false
            } else if forcedNumeric || firstNonNumeric == nil {
                if let bad = firstNonNumeric {
                    throw .notANumber(file: table.source, line: table.recordLines[bad], column: name, value: cells[bad])
                }
                isNumeric = true
            } else if let bad = firstNonNumeric, numericCount * 10 >= presentCount * 9 {
                throw .mostlyNumeric(file: table.source, line: table.recordLines[bad], column: name, value: cells[bad])
            } else {
                isNumeric = false
            }
            let hasIndicator = !missingRows.isEmpty
            if let days, !days.isEmpty, numericCount == 0 {
                if let first = missingRows.first, options.missingPolicy == .error {
                    throw .missingValue(file: table.source, line: table.recordLines[first], column: name)
                }
                notes.dateColumns.append(name)
                columns.append(.date(dateEncoding(name: name, days: days, options: options, hasIndicator: hasIndicator)))
                continue
            }
            if isNumeric {
                var values = [Double](repeating: 0, count: cells.count)
                var present: [Double] = []
                present.reserveCapacity(presentCount)
                for (row, cell) in cells.enumerated() where !isMissing(cell) {
                    let value = number(cell)!
                    guard value.isFinite else {
                        throw .nonFiniteNumber(file: table.source, line: table.recordLines[row], column: name, value: cell)
                    }
                    values[row] = value
                    present.append(value)
                }
                let presentMean = meanAndScale(present).0
                if !forcedNumeric && cells.count > 20 && present.allSatisfy({ $0 == $0.rounded() })
                    && Set(present).count == cells.count
                {
                    notes.numericIdentifierColumns.append(name)
                    continue
                }
                for row in missingRows { values[row] = presentMean }
                if let knots = options.splineKnots, hasDistinct(present, atLeast: 5),
                    let basis = BSplineBasis.quantiles(of: present, interiorCount: knots, degree: 3)
                {
                    columns.append(
                        .spline(
                            SplineEncoding(
                                name: name, basis: basis,
                                imputedValue: options.missingPolicy == .impute ? presentMean : nil,
                                hasMissingIndicator: hasIndicator)))
                    continue
                }
                let (mean, scale) = meanAndScale(values)
                columns.append(
                    .numeric(
                        NumericEncoding(
                            name: name, mean: mean, scale: scale,
                            imputedValue: options.missingPolicy == .impute ? presentMean : nil,
                            hasMissingIndicator: hasIndicator)))
            } else {
                var counts: [String: Int] = [:]
                for cell in cells where !isMissing(cell) { counts[String(trimmed(cell)), default: 0] += 1 }
                if !forcedCategorical && counts.count == cells.count && cells.count > 20 {
                    notes.identifierColumns.append(name)
                    continue
                }
                let mostFrequent = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!.key
                columns.append(
                    .categorical(
                        CategoricalEncoding(
                            name: name, categories: counts.keys.sorted(),
                            imputedCategory: options.missingPolicy == .impute ? mostFrequent : nil,
                            hasMissingIndicator: hasIndicator)))
            }
        }
        if columns.isEmpty { throw .noFeatures(file: table.source) }
        return (TabularSchema(columns: columns, missingPolicy: options.missingPolicy), notes)
    }

    /// Whether `values` hold at least `count` distinct values (`Set(values).count >= count`, stopping as soon as
    /// they do).
    static func hasDistinct(_ values: [Double], atLeast count: Int) -> Bool {
        var seen = Set<Double>()
        for value in values {
            seen.insert(value)
            if seen.count >= count { return true }
        }
        return count <= 0
    }

    /// A date column's encoding: splines of day of month and age (linear ones when `options.splineKnots` is nil).
    static func dateEncoding(name: String, days: [Int], options: ColumnOptions, hasIndicator: Bool) -> DateEncoding {
        let reference = days.max()!
        let sortedDays = days.sorted()
        let knots = options.splineKnots
        func basis(_ values: [Double], lower: Double, upper: Double) -> BSplineBasis {
            if let knots, let fitted = BSplineBasis.quantiles(of: values, interiorCount: knots, degree: 3) { return fitted }
            return BSplineBasis(lower: lower, upper: upper, interior: [], degree: 1)
        }
        let ages = days.map { Double(reference - $0) }
        return DateEncoding(
            name: name, referenceDay: reference,
            dayOfMonthBasis: basis(days.map { Double(CalendarDay.civil($0).day) }, lower: 1, upper: 31),
            ageBasis: basis(ages, lower: 0, upper: max(1, Double(reference - sortedDays[0]))),
            imputedDay: options.missingPolicy == .impute ? sortedDays[sortedDays.count / 2] : nil,
            hasMissingIndicator: hasIndicator)
    }

    /// The mean and population standard deviation (1 when the column is constant), by two passes; values above
    /// 1e150 in magnitude are first divided by the largest, so that sums and squares cannot overflow.
    static func meanAndScale(_ values: [Double]) -> (Double, Double) {
        guard !values.isEmpty else { return (0, 1) }
        var largest = 0.0
        for v in values { largest = max(largest, abs(v)) }
        guard largest > 0 else { return (0, 1) }
        // Scale only magnitudes whose squares could overflow; ordinary data keeps exact arithmetic.
        if largest <= 1e150 { largest = 1 }
        let n = Double(values.count)
        var sum = 0.0
        for v in values { sum += v / largest }
        let scaledMean = sum / n
        var squares = 0.0
        for v in values { squares += (v / largest - scaledMean) * (v / largest - scaledMean) }
        let mean = scaledMean * largest
        let deviation = (squares / n).squareRoot() * largest
        return (mean, deviation > 1e-12 * max(1, abs(mean)) ? deviation : 1)
    }

    /// Encodes a table into an n × `schema.featureCount` design matrix.
    /// - Throws: `TabularError` for a missing column, a non-number in a numeric column, a non-finite number, or a
    ///   missing cell under the `error` policy; unseen categories are counted in the notes, not thrown.
    public static func encode(
        _ table: CSVTable, schema: TabularSchema
    ) throws(TabularError) -> (design: Matrix<Double>, notes: EncodingNotes) {
        var notes = EncodingNotes()
        /// The fill-in for a missing cell, counted in the notes; an error when the schema has none (`error` policy).
        func imputed<Value>(_ value: Value?, row: Int, column: String) throws(TabularError) -> Value {
            guard let value else { throw .missingValue(file: table.source, line: table.recordLines[row], column: column) }
            notes.imputedCells[column, default: 0] += 1
            return value
        }
        let width = schema.featureCount, rows = table.rowCount
        var design = Matrix<Double>(rowCount: rows, columnCount: width)
        var offset = 0
        for column in schema.columns {
            guard let index = table.columnIndex(named: column.name) else {
                throw .missingColumn(file: table.source, column: column.name)
            }
            let cells = table.columns[index]
            switch column {
            case let .numeric(encoding):
                for row in 0..<rows {
                    let cell = cells[row]
                    var value: Double
                    var missing = false
                    if isMissing(cell) {
                        value = try imputed(encoding.imputedValue, row: row, column: column.name)
                        missing = true
                    } else {
                        guard let parsed = number(cell) else {
                            throw .notANumber(file: table.source, line: table.recordLines[row], column: column.name, value: cell)
                        }
                        guard parsed.isFinite else {
                            throw .nonFiniteNumber(
                                file: table.source, line: table.recordLines[row], column: column.name, value: cell)
                        }
                        value = parsed
                    }
                    design.storage[row * width + offset] = (value - encoding.mean) / encoding.scale
                    if encoding.hasMissingIndicator { design.storage[row * width + offset + 1] = missing ? 1 : 0 }
                }
            case let .categorical(encoding):
                var lookup: [Substring: Int] = [:]
                for (position, category) in encoding.categories.enumerated() { lookup[Substring(category)] = position }
                for row in 0..<rows {
                    let cell = cells[row]
                    var category: Substring
                    var missing = false
                    if isMissing(cell) {
                        category = Substring(try imputed(encoding.imputedCategory, row: row, column: column.name))
                        missing = true
                    } else {
                        category = trimmed(cell)
                    }
                    if let position = lookup[category] {
                        design.storage[row * width + offset + position] = 1
                    } else {
                        notes.unseenCategories[column.name, default: 0] += 1
                    }
                    if encoding.hasMissingIndicator {
                        design.storage[row * width + offset + encoding.categories.count] = missing ? 1 : 0
                    }
                }
            case let .spline(encoding):
                var values = [Double](repeating: 0, count: rows)
                for row in 0..<rows {
                    let cell = cells[row]
                    if isMissing(cell) {
                        values[row] = try imputed(encoding.imputedValue, row: row, column: column.name)
                        if encoding.hasMissingIndicator { design.storage[row * width + offset + encoding.basis.count] = 1 }
                        continue
                    }
                    guard let parsed = number(cell) else {
                        throw .notANumber(file: table.source, line: table.recordLines[row], column: column.name, value: cell)
                    }
                    guard parsed.isFinite else {
                        throw .nonFiniteNumber(file: table.source, line: table.recordLines[row], column: column.name, value: cell)
                    }
                    values[row] = parsed
                }
                encoding.basis.write(values, into: &design.storage, stride: width, offset: offset)
            case let .date(encoding):
                var dayOfMonth = [Double](repeating: 0, count: rows), age = dayOfMonth
                let dayOffset = offset + 19, ageOffset = dayOffset + encoding.dayOfMonthBasis.count
                for row in 0..<rows {
                    let cell = cells[row]
                    let day: Int
                    if isMissing(cell) {
                        day = try imputed(encoding.imputedDay, row: row, column: column.name)
                        if encoding.hasMissingIndicator {
                            design.storage[row * width + ageOffset + encoding.ageBasis.count] = 1
                        }
                    } else {
                        guard let parsed = CalendarDay.parse(trimmed(cell)) else {
                            throw .notADate(file: table.source, line: table.recordLines[row], column: column.name, value: cell)
                        }
                        day = parsed
                    }
                    let civil = CalendarDay.civil(day)
                    design.storage[row * width + offset + civil.month - 1] = 1
                    design.storage[row * width + offset + 12 + CalendarDay.weekday(day)] = 1
                    dayOfMonth[row] = Double(civil.day)
                    age[row] = Double(encoding.referenceDay - day)
                }
                encoding.dayOfMonthBasis.write(dayOfMonth, into: &design.storage, stride: width, offset: dayOffset)
                encoding.ageBasis.write(age, into: &design.storage, stride: width, offset: ageOffset)
            }
            offset += column.width
        }
        for interaction in schema.interactions ?? [] {
            for side in [interaction.first, interaction.second] where table.columnIndex(named: side.name) == nil {
                throw .missingColumn(file: table.source, column: side.name)
            }
            let first = table.columns[table.columnIndex(named: interaction.first.name)!]
            let second = table.columns[table.columnIndex(named: interaction.second.name)!]
            let secondLevels = interaction.second.levelCount
            for row in 0..<rows {
                let cell = interaction.first.level(of: first[row]) * secondLevels + interaction.second.level(of: second[row])
                design.storage[row * width + offset + cell] = 1
            }
            offset += interaction.width
        }
        return (design, notes)
    }
}
