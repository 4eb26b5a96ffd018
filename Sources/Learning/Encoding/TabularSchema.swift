/// How missing values are treated.
public enum MissingValuePolicy: String, Sendable, Codable, CaseIterable {
    /// A missing value is an error naming file, line and column.
    case error
    /// Numeric columns take the training mean and categorical ones the most frequent category, and a 0/1
    /// indicator column marks the rows that were missing (for columns that had missing values in training).
    case impute
}

/// A fitted numeric column: imputed, then standardised as (x − mean) / scale.
public struct NumericEncoding: Sendable, Codable, Equatable {
    public var name: String
    public var mean: Double
    /// The population standard deviation; 1 for a constant column.
    public var scale: Double
    /// The value that fills a missing cell (the training mean), when imputing.
    public var imputedValue: Double?
    /// Whether a missing-value indicator column follows this column's feature.
    public var hasMissingIndicator: Bool
}

/// A fitted categorical column: imputed, then one-hot encoded over the categories seen in training (sorted).
public struct CategoricalEncoding: Sendable, Codable, Equatable {
    public var name: String
    public var categories: [String]
    /// The category that fills a missing cell (the most frequent one), when imputing.
    public var imputedCategory: String?
    public var hasMissingIndicator: Bool
}

/// One input column as the encoder treats it.
public enum ColumnEncoding: Sendable, Codable, Equatable {
    case numeric(NumericEncoding)
    case categorical(CategoricalEncoding)
    /// A numeric column through a B-spline basis (a shape function).
    case spline(SplineEncoding)
    /// A date column as month, weekday, day of month and age.
    case date(DateEncoding)

    public var name: String {
        switch self {
        case let .numeric(encoding): return encoding.name
        case let .categorical(encoding): return encoding.name
        case let .spline(encoding): return encoding.name
        case let .date(encoding): return encoding.name
        }
    }

    /// Whether this encoding needs model format version 2 (splines and dates).
    var isAdditive: Bool {
        switch self {
        case .numeric, .categorical: return false
        case .spline, .date: return true
        }
    }

    /// The number of design columns this input column becomes.
    public var width: Int {
        switch self {
        case let .numeric(encoding): return 1 + (encoding.hasMissingIndicator ? 1 : 0)
        case let .categorical(encoding): return encoding.categories.count + (encoding.hasMissingIndicator ? 1 : 0)
        case let .spline(encoding): return encoding.basis.count + (encoding.hasMissingIndicator ? 1 : 0)
        case let .date(encoding): return encoding.width
        }
    }

    /// The names of the design columns, in order: `tenure`, `tenure=missing`, `Contract=One year`, ….
    public var featureNames: [String] {
        switch self {
        case let .numeric(encoding):
            return [encoding.name] + (encoding.hasMissingIndicator ? ["\(encoding.name)=missing"] : [])
        case let .categorical(encoding):
            return encoding.categories.map { "\(encoding.name)=\($0)" }
                + (encoding.hasMissingIndicator ? ["\(encoding.name)=missing"] : [])
        case let .spline(encoding):
            return (1...encoding.basis.count).map { "\(encoding.name)[\($0)]" }
                + (encoding.hasMissingIndicator ? ["\(encoding.name)=missing"] : [])
        case let .date(encoding): return encoding.featureNames
        }
    }
}

/// The full encoding of a table into a design matrix: which columns, how each is encoded, and the missing policy.
public struct TabularSchema: Sendable, Codable, Equatable {
    public var columns: [ColumnEncoding]
    public var missingPolicy: MissingValuePolicy
    /// Pairwise interactions, their design columns after every column's (absent in version-1 model files).
    public var interactions: [InteractionEncoding]?

    public init(columns: [ColumnEncoding], missingPolicy: MissingValuePolicy, interactions: [InteractionEncoding]? = nil) {
        self.columns = columns
        self.missingPolicy = missingPolicy
        self.interactions = interactions
    }

    /// The total number of design columns.
    public var featureCount: Int {
        columns.reduce(0) { $0 + $1.width } + (interactions ?? []).reduce(0) { $0 + $1.width }
    }

    /// Names of all design columns in order.
    public var featureNames: [String] { columns.flatMap(\.featureNames) + (interactions ?? []).flatMap(\.featureNames) }

    /// Whether the schema needs model format version 2 (splines, dates or interactions).
    public var isAdditive: Bool { columns.contains { $0.isAdditive } || !(interactions ?? []).isEmpty }

    /// The terms whose sum, plus the intercept, is a row's log-odds: one per column (a date column gives four:
    /// month, weekday, day of month and age, its missing indicator going with age) and one per interaction, each with
    /// its design columns. They partition the design columns in order.
    public var terms: [DesignTerm] {
        var terms: [DesignTerm] = []
        var offset = 0
        for (index, column) in columns.enumerated() {
            if case let .date(encoding) = column {
                let parts: [(DesignTerm.Part, Int)] = [
                    (.month, 12), (.weekday, 7), (.dayOfMonth, encoding.dayOfMonthBasis.count),
                    (.age, encoding.ageBasis.count + (encoding.hasMissingIndicator ? 1 : 0)),
                ]
                for (part, width) in parts {
                    terms.append(DesignTerm(name: column.name, source: .column(index, part), columns: offset..<(offset + width)))
                    offset += width
                }
            } else {
                terms.append(
                    DesignTerm(name: column.name, source: .column(index, .whole), columns: offset..<(offset + column.width)))
                offset += column.width
            }
        }
        for (index, interaction) in (interactions ?? []).enumerated() {
            terms.append(
                DesignTerm(name: interaction.name, source: .interaction(index), columns: offset..<(offset + interaction.width)))
            offset += interaction.width
        }
        return terms
    }
}

/// One additive term of a model: the design columns it owns and where they come from.
public struct DesignTerm: Sendable, Equatable {
    public enum Part: String, Sendable, Equatable {
        case whole, month, weekday
        case dayOfMonth = "day of month"
        case age
    }
    public enum Source: Sendable, Equatable {
        /// Schema column index, and which part of it (a date column has four).
        case column(Int, Part)
        /// Index into the schema's interactions.
        case interaction(Int)
    }
    public var name: String
    public var source: Source
    public var columns: Range<Int>
}

/// A binary target: which column, and which of its two values is positive.
public struct TargetSpecification: Sendable, Codable, Equatable {
    public var column: String
    public var positive: String
    public var negative: String
}
