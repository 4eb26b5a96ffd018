import Foundation
import Switchboard

/// What a bearer token may do.
public enum AccessRole: Sendable, Equatable, CustomStringConvertible {
    /// Everything.
    case admin
    /// Submit leads and outcomes, and read.
    case integration
    /// See, accept and decline its own offers; read and pause itself.
    case partner(String)

    /// `admin`, `integration` or `partner:<id>`.
    public init?(_ text: String) {
        switch text {
        case "admin": self = .admin
        case "integration": self = .integration
        default:
            guard text.hasPrefix("partner:"), text.count > "partner:".count else { return nil }
            self = .partner(String(text.dropFirst("partner:".count)))
        }
    }

    public var description: String {
        switch self {
        case .admin: "admin"
        case .integration: "integration"
        case let .partner(id): "partner:\(id)"
        }
    }

    /// The partner it acts for, when a partner.
    public var partnerID: String? {
        if case let .partner(id) = self { return id }
        return nil
    }
}

/// Why the server could not start: a bad tokens file, a model that does not fit the partners, a database it cannot
/// open. The message names the file (and entry or key).
public struct ServerSetupError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The bearer tokens the server accepts, each with its role.
public struct AccessTokens: Sendable {
    let roles: [String: AccessRole]

    public init(_ roles: [String: AccessRole]) { self.roles = roles }

    /// The role of a token, if it is known.
    public func role(of token: String) -> AccessRole? { roles[token] }

    /// How many tokens there are.
    public var count: Int { roles.count }

    /// The fewest characters a token may have.
    public static let minimumLength = 16

    /// Reads a tokens file: `[{"token": "…", "role": "admin"}, {"token": "…", "role": "partner:P0042"}, …]`.
    /// - Throws: `ServerSetupError` naming `source`, the entry and the field: not JSON, not a list, an empty list, an
    ///   entry that is not an object or has another key, a token shorter than 16 characters or listed twice, a role
    ///   that is not `admin`, `integration` or `partner:<id>`, a partner that `partnerIDs` lacks.
    public static func parse(_ bytes: [UInt8], source: String, partnerIDs: Set<String>) throws(ServerSetupError)
        -> AccessTokens
    {
        func fail(_ message: String) -> ServerSetupError { ServerSetupError("\(source): \(message)") }
        let value: Any
        do {
            value = try LiveRequests.value(bytes)
        } catch {
            throw fail(error.message)
        }
        guard let entries = value as? [Any] else {
            throw fail("expected a JSON list of {\"token\": …, \"role\": …} objects")
        }
        if entries.isEmpty { throw fail("no tokens: every endpoint but /healthz needs one") }
        var roles: [String: AccessRole] = [:]
        for (index, entry) in entries.enumerated() {
            let at = "entry \(index + 1)"
            guard let object = entry as? [String: Any] else { throw fail("\(at): expected an object") }
            if let unknown = object.keys.sorted().first(where: { $0 != "token" && $0 != "role" }) {
                throw fail("\(at): unknown key '\(unknown)' (known: token, role)")
            }
            guard let token = object["token"] as? String else { throw fail("\(at): token: expected a string") }
            guard token.count >= minimumLength else {
                throw fail("\(at): token: at least \(minimumLength) characters (got \(token.count))")
            }
            guard token.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0.asciiValue! > 0x20 && $0.asciiValue! < 0x7F })
            else { throw fail("\(at): token: printable ASCII without spaces only") }
            guard let roleText = object["role"] as? String else { throw fail("\(at): role: expected a string") }
            guard let role = AccessRole(roleText) else {
                throw fail("\(at): role: '\(roleText)' is not admin, integration or partner:<id>")
            }
            if let partner = role.partnerID, !partnerIDs.contains(partner) {
                throw fail("\(at): role: partner '\(partner)' is not in the partners file")
            }
            if roles.updateValue(role, forKey: token) != nil { throw fail("\(at): token: listed twice") }
        }
        return AccessTokens(roles)
    }
}
