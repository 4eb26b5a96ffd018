/// A routing problem, configuration or price list that cannot be routed, with the lead, partner or key concerned.
///
/// Errors in files (CSV rows with their lines and columns) are `RecordError`s; these are the ones found in values
/// built in code, in configuration files and in streamed JSON lines.
public enum RoutingError: Error, Equatable, Sendable, CustomStringConvertible {
    case duplicatePartner(String)
    case invalidPartner(partner: String, field: String, value: String, requirement: String)
    case emptyID(what: String)
    case duplicateLead(String)
    /// A score or decision naming a lead that is not among the leads given.
    case unknownLead(String)
    case unknownPartner(lead: String, partner: String)
    case duplicateCandidate(lead: String, partner: String)
    case invalidCandidate(lead: String, partner: String, field: String, value: String, requirement: String)
    case severalOwners(lead: String, partners: [String])
    case invalidDealValue(lead: String, value: Double)
    /// A configuration value out of range, or a configuration file that cannot be read.
    case invalidConfig(source: String, message: String)
    /// A value too large for exact arithmetic at the configured resolution.
    case valueOutOfRange(lead: String, partner: String, value: Double, resolution: Double)
    case valuesTooLarge(String)
    /// A streamed request that is not what `route stream` reads.
    case badRequest(source: String, line: Int, message: String)

    public var description: String {
        switch self {
        case let .duplicatePartner(id):
            return "partner '\(id)' is listed twice"
        case let .invalidPartner(partner, field, value, requirement):
            return "partner '\(partner)': \(field) \(requirement) (got \(value))"
        case let .emptyID(what):
            return "\(what) id is empty"
        case let .duplicateLead(id):
            return "lead '\(id)' is listed twice"
        case let .unknownLead(id):
            return "lead '\(id)' is not among the leads given"
        case let .unknownPartner(lead, partner):
            return "lead '\(lead)': partner '\(partner)' has no capacity listed"
        case let .duplicateCandidate(lead, partner):
            return "lead '\(lead)': partner '\(partner)' is a candidate twice"
        case let .invalidCandidate(lead, partner, field, value, requirement):
            return "lead '\(lead)', partner '\(partner)': \(field) \(requirement) (got \(value))"
        case let .severalOwners(lead, partners):
            return "lead '\(lead)': several account owners (\(partners.joined(separator: ", "))); at most one"
        case let .invalidDealValue(lead, value):
            return "lead '\(lead)': deal value must be finite and >= 0 (got \(value))"
        case let .invalidConfig(source, message):
            return "\(source): \(message)"
        case let .valueOutOfRange(lead, partner, value, resolution):
            return "lead '\(lead)', partner '\(partner)': value \(value) is too large for the value resolution \(resolution)"
        case let .valuesTooLarge(message):
            return message
        case let .badRequest(source, line, message):
            return "\(source):\(line): \(message)"
        }
    }
}
