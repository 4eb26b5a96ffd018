/// Why next-best actions could not be worked out.
public enum RecommendError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A problem in a record file (file, line and column).
    case record(RecordError)
    /// A setting out of range, with its value quoted.
    case invalidSetting(name: String, value: String, requirement: String)
    /// The models do not fit the records (or each other).
    case model(reason: String)

    public var description: String {
        switch self {
        case let .record(error): return error.description
        case let .invalidSetting(name, value, requirement): return "\(name) \(requirement) (got \(value))"
        case let .model(reason): return reason
        }
    }
}
