/// Errors raised by Learning: bad hyperparameters, inconsistent inputs, and failed fits.
public enum LearningError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidParameter(name: String, value: String, requirement: String)
    case lengthMismatch(what: String, expected: Int, got: Int)
    case invalidSampleWeight(index: Int, value: Double)
    case emptyData
    case singleClass(label: Bool)
    case nonFiniteObjective(iteration: Int)
    case numerical(String)

    public var description: String {
        switch self {
        case let .invalidParameter(name, value, requirement):
            return "\(name) \(requirement) (got \(value))"
        case let .lengthMismatch(what, expected, got):
            return "\(what): expected \(expected) entries, got \(got)"
        case let .invalidSampleWeight(index, value):
            return "sample weight \(index) must be finite and >= 0 (got \(value))"
        case .emptyData:
            return "no rows to learn from"
        case let .singleClass(label):
            return "every row has the label \(label ? "positive" : "negative"); logistic regression needs both classes"
        case let .nonFiniteObjective(iteration):
            return "the objective became non-finite at iteration \(iteration): the data holds NaN or infinite values"
        case let .numerical(message):
            return message
        }
    }
}
