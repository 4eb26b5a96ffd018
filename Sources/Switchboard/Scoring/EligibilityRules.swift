import Foundation

/// Which partners may receive a lead. Read from a JSON file (every key optional; an empty object, or no file, gives
/// the defaults):
///
/// ```json
/// {
///   "territory": "region",
///   "territories": { "P0001": { "regions": ["EMEA"], "countries": ["US", "CA"] } },
///   "requireCertifications": true,
///   "ineligibleStatuses": ["paused", "out of office"],
///   "requireCapacity": true,
///   "exclusions": [ { "account": "A000123", "partner": "P0007" } ],
///   "accountOwners": { "A000123": "P0002" }
/// }
/// ```
///
/// - `territory`: where a partner takes leads from when `territories` does not list it: `region` (leads in its own
///   region, the default), `country` (its own country), or `any`.
/// - `territories`: per partner, the regions and countries it covers (a lead qualifies when its region or its
///   country is listed); this replaces the default for that partner.
/// - `requireCertifications`: a lead's required certifications must all be held by the partner (default true).
/// - `ineligibleStatuses`: partner statuses that take no leads (default paused and out of office).
/// - `requireCapacity`: a partner with no capacity left (open leads ≥ capacity) takes none (default true).
/// - `exclusions`: an account blocked for a partner: that partner never gets the account's leads.
/// - `accountOwners`: the partner that owns an account; an eligible owner heads its account's leads' lists.
public struct EligibilityRules: Sendable, Codable, Equatable {
    public enum Territory: String, Sendable, Codable, CaseIterable {
        case region, country, any

        public init(from decoder: any Decoder) throws { self = try Self.decodeNamedCase(from: decoder) }
    }

    public struct Coverage: Sendable, Codable, Equatable {
        public var regions: [String]
        public var countries: [String]

        public init(regions: [String] = [], countries: [String] = []) {
            self.regions = regions
            self.countries = countries
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            regions = try container.decodeIfPresent([String].self, forKey: .regions) ?? []
            countries = try container.decodeIfPresent([String].self, forKey: .countries) ?? []
        }
    }

    public struct Exclusion: Sendable, Codable, Equatable, Hashable {
        public var account: String
        public var partner: String

        public init(account: String, partner: String) {
            self.account = account
            self.partner = partner
        }
    }

    public var territory: Territory
    public var territories: [String: Coverage]
    public var requireCertifications: Bool
    public var ineligibleStatuses: [PartnerStatus]
    public var requireCapacity: Bool
    public var exclusions: [Exclusion]
    public var accountOwners: [String: String]

    public init(
        territory: Territory = .region, territories: [String: Coverage] = [:], requireCertifications: Bool = true,
        ineligibleStatuses: [PartnerStatus] = [.paused, .outOfOffice], requireCapacity: Bool = true,
        exclusions: [Exclusion] = [], accountOwners: [String: String] = [:]
    ) {
        self.territory = territory
        self.territories = territories
        self.requireCertifications = requireCertifications
        self.ineligibleStatuses = ineligibleStatuses
        self.requireCapacity = requireCapacity
        self.exclusions = exclusions
        self.accountOwners = accountOwners
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case territory, territories, requireCertifications, ineligibleStatuses, requireCapacity, exclusions, accountOwners
    }

    public init(from decoder: any Decoder) throws {
        let defaults = EligibilityRules()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        territory = try container.decodeIfPresent(Territory.self, forKey: .territory) ?? defaults.territory
        territories = try container.decodeIfPresent([String: Coverage].self, forKey: .territories) ?? [:]
        requireCertifications =
            try container.decodeIfPresent(Bool.self, forKey: .requireCertifications) ?? defaults.requireCertifications
        ineligibleStatuses =
            try container.decodeIfPresent([PartnerStatus].self, forKey: .ineligibleStatuses) ?? defaults.ineligibleStatuses
        requireCapacity = try container.decodeIfPresent(Bool.self, forKey: .requireCapacity) ?? defaults.requireCapacity
        exclusions = try container.decodeIfPresent([Exclusion].self, forKey: .exclusions) ?? []
        accountOwners = try container.decodeIfPresent([String: String].self, forKey: .accountOwners) ?? [:]
    }

    /// Parses a rules file, naming the file and the offending key in every error; unknown keys are errors (a
    /// misspelt rule must not be silently ignored).
    /// - Throws: `RulesError`.
    public static func parse(_ bytes: [UInt8], source: String) throws(RulesError) -> EligibilityRules {
        do {
            _ = try StrictJSON.object(bytes, knownKeys: CodingKeys.allCases.map(\.rawValue))
        } catch {
            throw RulesError(source: source, message: error.message)
        }
        do {
            return try JSONDecoder().decode(EligibilityRules.self, from: Data(bytes))
        } catch let DecodingError.dataCorrupted(context) {
            throw RulesError(source: source, message: "\(path(context.codingPath)): \(context.debugDescription)")
        } catch let DecodingError.typeMismatch(type, context) {
            throw RulesError(source: source, message: "\(path(context.codingPath)): expected \(describe(type))")
        } catch let DecodingError.keyNotFound(key, context) {
            throw RulesError(source: source, message: "\(path(context.codingPath + [key])): required")
        } catch let DecodingError.valueNotFound(type, context) {
            throw RulesError(source: source, message: "\(path(context.codingPath)): expected \(describe(type)), got null")
        } catch {
            throw RulesError(source: source, message: "\(error)")
        }
    }

    /// Checks the rules against the partners: every partner named (territories, exclusions, owners) must exist.
    /// - Throws: `RulesError` naming the first unknown partner.
    public func validate(partnerIDs: Set<String>, source: String) throws(RulesError) {
        for id in territories.keys.sorted() where !partnerIDs.contains(id) {
            throw RulesError(source: source, message: "territories: partner '\(id)' is not in the partners file")
        }
        for (index, exclusion) in exclusions.enumerated() where !partnerIDs.contains(exclusion.partner) {
            throw RulesError(
                source: source, message: "exclusions[\(index)].partner: '\(exclusion.partner)' is not in the partners file")
        }
        for account in accountOwners.keys.sorted() where !partnerIDs.contains(accountOwners[account]!) {
            throw RulesError(
                source: source,
                message: "accountOwners.\(account): partner '\(accountOwners[account]!)' is not in the partners file")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "(top level)" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        case is [String].Type, is [Exclusion].Type, is [PartnerStatus].Type: return "a list"
        default: return "\(type)"
        }
    }
}

/// A problem in an eligibility rules file.
public struct RulesError: Error, Equatable, Sendable, CustomStringConvertible {
    public var source: String
    public var message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    public var description: String { "\(source): \(message)" }
}
