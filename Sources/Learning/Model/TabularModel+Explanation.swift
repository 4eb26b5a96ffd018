import LinearAlgebra

/// One term's share of one row's log-odds.
public struct TermContribution: Sendable, Equatable {
    /// The term's name: a column, a date column's part (`first_contact_date month`), or a pair (`month × day`).
    public var term: String
    /// The row's value in words: `age=42`, `job=admin.`, `month=may, day 15–20`.
    public var description: String
    /// Its contribution to the log-odds.
    public var value: Double
}

/// A row's explanation: the intercept and every term, whose sum is the row's log-odds.
public struct RowExplanation: Sendable, Equatable {
    public var intercept: Double
    public var terms: [TermContribution]
    /// intercept + Σ terms, each term summed over its design columns in ascending order.
    public var logOdds: Double { terms.reduce(intercept) { $0 + $1.value } }

    /// The `count` terms of largest magnitude, largest first (ties by term order).
    public func top(_ count: Int) -> [TermContribution] {
        Array(
            terms.enumerated().sorted {
                abs($0.element.value) > abs($1.element.value)
                    || (abs($0.element.value) == abs($1.element.value) && $0.offset < $1.offset)
            }
            .prefix(count).map(\.element))
    }
}

/// One point of a shape function: the input in words and the term's log-odds there.
public struct ShapePoint: Sendable, Equatable {
    public var input: String
    public var value: Double

    public init(input: String, value: Double) {
        self.input = input
        self.value = value
    }
}

/// A term's shape function: its contribution to the log-odds over its inputs.
public struct ShapeFunction: Sendable, Equatable {
    public var term: String
    /// Numeric inputs (for plotting a curve), nil for categories and cells.
    public var numericInputs: [Double]?
    public var points: [ShapePoint]

    public init(term: String, numericInputs: [Double]?, points: [ShapePoint]) {
        self.term = term
        self.numericInputs = numericInputs
        self.points = points
    }
}

extension TabularModel {
    /// Every row's explanation: the intercept plus one contribution per term (`TabularSchema.terms`), the sum being
    /// the row's log-odds.
    /// - Throws: `TabularError` naming file, line and column.
    public func explanations(for table: CSVTable) throws -> (rows: [RowExplanation], notes: EncodingNotes) {
        let (design, notes) = try TabularEncoder.encode(table, schema: schema)
        let terms = schema.terms
        let d = design.columnCount
        var cellColumns: [String: [String]] = [:]
        func cells(_ name: String) -> [String] {
            if let cached = cellColumns[name] { return cached }
            let column = table.columnIndex(named: name).map { table.columns[$0] } ?? []
            cellColumns[name] = column
            return column
        }
        var rows: [RowExplanation] = []
        rows.reserveCapacity(design.rowCount)
        for i in 0..<design.rowCount {
            var contributions: [TermContribution] = []
            contributions.reserveCapacity(terms.count)
            for term in terms {
                var value = 0.0
                for j in term.columns where design.storage[i * d + j] != 0 {
                    value += design.storage[i * d + j] * coefficients[j]
                }
                contributions.append(
                    TermContribution(term: termName(term), description: describe(term, row: i, cells: cells), value: value))
            }
            rows.append(RowExplanation(intercept: intercept, terms: contributions))
        }
        return (rows, notes)
    }

    func termName(_ term: DesignTerm) -> String {
        if case let .column(_, part) = term.source, part != .whole { return "\(term.name) \(part.rawValue)" }
        return term.name
    }

    func describe(_ term: DesignTerm, row: Int, cells: (String) -> [String]) -> String {
        switch term.source {
        case let .interaction(index):
            let interaction = schema.interactions![index]
            let first = interaction.first.level(of: cells(interaction.first.name)[row])
            let second = interaction.second.level(of: cells(interaction.second.name)[row])
            return "\(interaction.first.label(first)), \(interaction.second.label(second))"
        case let .column(_, part):
            let cell = cells(term.name)[row]
            if TabularEncoder.isMissing(cell) { return "\(term.name) missing" }
            let text = String(cell.blankTrimmed)
            guard part != .whole, let day = CalendarDay.parse(cell.blankTrimmed) else { return "\(term.name)=\(text)" }
            let civil = CalendarDay.civil(day)
            switch part {
            case .month: return "\(term.name) month=\(DateEncoding.monthNames[civil.month - 1])"
            case .weekday: return "\(term.name) weekday=\(DateEncoding.weekdayNames[CalendarDay.weekday(day)])"
            case .dayOfMonth: return "\(term.name) day \(civil.day)"
            case .age:
                guard case let .date(encoding) = schema.columns.first(where: { $0.name == term.name }) else { return text }
                return "\(term.name) \(encoding.referenceDay - day) days before \(dateText(encoding.referenceDay))"
            case .whole: return "\(term.name)=\(text)"
            }
        }
    }

    func dateText(_ day: Int) -> String {
        let c = CalendarDay.civil(day)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(c.year)-\(two(c.month))-\(two(c.day))"
    }

    /// Every term's shape function: a numeric term at `points` inputs across its training range (a linear term over
    /// mean ± 2 sd), a categorical term at each category, a date's parts at each month, weekday, day and over its
    /// age range, an interaction at each cell.
    public func shapeFunctions(points: Int = 12) -> [ShapeFunction] {
        var shapes: [ShapeFunction] = []
        let terms = schema.terms
        func curve(_ term: DesignTerm, _ xs: [Double], label: (Double) -> String, values: (Double) -> [Double]) -> ShapeFunction {
            let points = xs.map { x -> ShapePoint in
                let basis = values(x)
                var sum = 0.0
                for (k, j) in term.columns.enumerated() where k < basis.count { sum += basis[k] * coefficients[j] }
                return ShapePoint(input: label(x), value: sum)
            }
            return ShapeFunction(term: termName(term), numericInputs: xs, points: points)
        }
        func grid(_ lower: Double, _ upper: Double) -> [Double] {
            (0..<points).map { lower + (upper - lower) * Double($0) / Double(max(1, points - 1)) }
        }
        for term in terms {
            switch term.source {
            case let .interaction(index):
                let interaction = schema.interactions![index]
                var cells: [ShapePoint] = []
                for a in 0..<interaction.first.levelCount {
                    for b in 0..<interaction.second.levelCount {
                        let column = term.columns.lowerBound + a * interaction.second.levelCount + b
                        cells.append(
                            ShapePoint(
                                input: "\(interaction.first.label(a)), \(interaction.second.label(b))",
                                value: coefficients[column]))
                    }
                }
                shapes.append(ShapeFunction(term: term.name, numericInputs: nil, points: cells))
            case let .column(index, part):
                switch schema.columns[index] {
                case let .numeric(encoding):
                    shapes.append(
                        curve(term, grid(encoding.mean - 2 * encoding.scale, encoding.mean + 2 * encoding.scale)) {
                            "\(term.name)=\(shortNumber($0))"
                        } values: {
                            [($0 - encoding.mean) / encoding.scale]
                        })
                case let .spline(encoding):
                    shapes.append(
                        curve(term, grid(encoding.basis.lower, encoding.basis.upper)) {
                            "\(term.name)=\(shortNumber($0))"
                        } values: {
                            encoding.basis.values(at: $0)
                        })
                case let .categorical(encoding):
                    shapes.append(
                        ShapeFunction(
                            term: term.name, numericInputs: nil,
                            points: encoding.categories.enumerated().map {
                                ShapePoint(
                                    input: "\(term.name)=\($0.element)", value: coefficients[term.columns.lowerBound + $0.offset])
                            }))
                case let .date(encoding):
                    let start = term.columns.lowerBound
                    switch part {
                    case .month, .weekday:
                        let names = part == .month ? DateEncoding.monthNames : DateEncoding.weekdayNames
                        shapes.append(
                            ShapeFunction(
                                term: termName(term), numericInputs: nil,
                                points: names.enumerated().map {
                                    ShapePoint(input: "\(part.rawValue)=\($0.element)", value: coefficients[start + $0.offset])
                                }))
                    case .dayOfMonth:
                        shapes.append(
                            curve(term, (1...31).map(Double.init)) {
                                "day \(Int($0))"
                            } values: {
                                encoding.dayOfMonthBasis.values(at: $0)
                            })
                    case .age, .whole:
                        shapes.append(
                            curve(term, grid(encoding.ageBasis.lower, encoding.ageBasis.upper)) {
                                "\(Int($0)) days"
                            } values: {
                                encoding.ageBasis.values(at: $0)
                            })
                    }
                }
            }
        }
        return shapes
    }
}
