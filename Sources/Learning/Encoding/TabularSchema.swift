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

    public var name: String {
        switch self {
        case let .numeric(encoding): return encoding.name
        case let .categorical(encoding): return encoding.name
        }
    }

    /// The number of design columns this input column becomes.
    public var width: Int {
        switch self {
        case let .numeric(encoding): return 1 + (encoding.hasMissingIndicator ? 1 : 0)
        case let .categorical(encoding): return encoding.categories.count + (encoding.hasMissingIndicator ? 1 : 0)
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
        }
    }
}

/// The full encoding of a table into a design matrix: which columns, how each is encoded, and the missing policy.
public struct TabularSchema: Sendable, Codable, Equatable {
    public var columns: [ColumnEncoding]
    public var missingPolicy: MissingValuePolicy

    /// The total number of design columns.
    public var featureCount: Int { columns.reduce(0) { $0 + $1.width } }

    /// Names of all design columns in order.
    public var featureNames: [String] { columns.flatMap(\.featureNames) }
}

/// A binary target: which column, and which of its two values is positive.
public struct TargetSpecification: Sendable, Codable, Equatable {
    public var column: String
    public var positive: String
    public var negative: String
}
