import Foundation

/// How a batch is assigned.
public enum RoutingPolicy: String, Sendable, Codable, CaseIterable {
    /// The exact maximum of the total (bonus-adjusted) expected value under capacity.
    case optimal
    /// Highest (bonus-adjusted) expected value first, over all lead–partner pairs.
    case greedy
    /// Leads in order, each to the next partner in a rotating order (by partner id) among its eligible candidates
    /// with room; values are ignored.
    case roundRobin = "round-robin"
    /// Leads in order, each to one of its eligible candidates with room drawn at random with probability
    /// proportional to the partner's weight (its capacity left unless given); seeded, so reproducible.
    case weighted
}

/// The router's settings: policy, fairness and exploration controls, value resolution and seed.
///
/// Read from a JSON file (every key optional; `{}` gives the defaults):
///
/// ```json
/// {
///   "policy": "optimal",
///   "maxShare": 0.25,
///   "minimumShare": 0.02,
///   "minimumShareBonus": 1000,
///   "exploration": 1.0,
///   "honourAccountOwners": true,
///   "valueResolution": 0.01,
///   "seed": 42
/// }
/// ```
///
/// How each control changes the problem (the optimum stays exact under all of them):
/// - `maxShare` s: no partner takes more than ⌊s × batch⌋ leads of the batch (batch = the leads routed together):
///   its limit becomes min(capacity left, ⌊s × batch⌋).
/// - `minimumShare` q: a partner flagged `guaranteedMinimumShare` has its first min(limit, ⌈q × batch⌉) slots set
///   apart as reserved slots; a lead placed in a reserved slot earns `minimumShareBonus` B on top of its value. With
///   B larger than any difference between two candidates' values (the default, twice the largest absolute adjusted
///   value), an empty reserved slot is always filled when a lead that lists the partner is not needed in another
///   partner's reserved slot; a smaller B trades the guarantee against value. Applies to `optimal` and `greedy`.
/// - `exploration` β: each candidate's value gains β × u × d, with u the partner's `winRateUncertainty` and d the
///   lead's deal value (when given; otherwise the candidate's expected value, so the bonus is a relative uplift of
///   β × u). Partners with little history (large u) get leads to prove themselves. Applies to `optimal` and `greedy`.
/// - `honourAccountOwners`: before any policy runs, each lead with an eligible account owner among its candidates
///   goes to that owner while the owner has room; an owner with more owned leads than room takes them in decreasing
///   expected value (ties in lead order), and the rest are routed normally. All policies.
/// - `valueResolution` r: values (with their bonuses) are rounded to whole multiples of r before optimising, and the
///   optimum is exact for the rounded values (so within r/2 per lead of the exact optimum of the unrounded ones).
/// - `seed`: the `weighted` policy's draws.
public struct RoutingConfig: Sendable, Codable, Equatable {
    public var policy: RoutingPolicy
    public var maxShare: Double?
    public var minimumShare: Double
    public var minimumShareBonus: Double?
    public var exploration: Double
    public var honourAccountOwners: Bool
    public var valueResolution: Double
    public var seed: UInt64

    public init(
        policy: RoutingPolicy = .optimal, maxShare: Double? = nil, minimumShare: Double = 0, minimumShareBonus: Double? = nil,
        exploration: Double = 0, honourAccountOwners: Bool = true, valueResolution: Double = 0.01, seed: UInt64 = 42
    ) {
        self.policy = policy
        self.maxShare = maxShare
        self.minimumShare = minimumShare
        self.minimumShareBonus = minimumShareBonus
        self.exploration = exploration
        self.honourAccountOwners = honourAccountOwners
        self.valueResolution = valueResolution
        self.seed = seed
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case policy, maxShare, minimumShare, minimumShareBonus, exploration, honourAccountOwners, valueResolution, seed
    }

    public init(from decoder: any Decoder) throws {
        let defaults = RoutingConfig()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        policy = try container.decodeIfPresent(RoutingPolicy.self, forKey: .policy) ?? defaults.policy
        maxShare = try container.decodeIfPresent(Double.self, forKey: .maxShare)
        minimumShare = try container.decodeIfPresent(Double.self, forKey: .minimumShare) ?? defaults.minimumShare
        minimumShareBonus = try container.decodeIfPresent(Double.self, forKey: .minimumShareBonus)
        exploration = try container.decodeIfPresent(Double.self, forKey: .exploration) ?? defaults.exploration
        honourAccountOwners =
            try container.decodeIfPresent(Bool.self, forKey: .honourAccountOwners) ?? defaults.honourAccountOwners
        valueResolution = try container.decodeIfPresent(Double.self, forKey: .valueResolution) ?? defaults.valueResolution
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed
    }

    /// Checks every field, quoting the first bad value.
    /// - Throws: `RoutingError.invalidConfig` naming `source` and the key.
    public func validate(source: String = "the configuration") throws(RoutingError) {
        func fail(_ key: CodingKeys, _ requirement: String, _ value: Double) -> RoutingError {
            .invalidConfig(source: source, message: "\(key.rawValue) \(requirement) (got \(value))")
        }
        if let maxShare, !(maxShare > 0 && maxShare <= 1) { throw fail(.maxShare, "must be in (0, 1]", maxShare) }
        if !(minimumShare >= 0 && minimumShare <= 1) { throw fail(.minimumShare, "must be in [0, 1]", minimumShare) }
        if let maxShare, minimumShare > maxShare {
            throw .invalidConfig(
                source: source, message: "minimumShare (\(minimumShare)) must not exceed maxShare (\(maxShare))")
        }
        if let bonus = minimumShareBonus, !(bonus > 0 && bonus.isFinite) {
            throw fail(.minimumShareBonus, "must be finite and > 0", bonus)
        }
        if !(exploration >= 0 && exploration.isFinite) { throw fail(.exploration, "must be finite and >= 0", exploration) }
        if !(valueResolution > 0 && valueResolution.isFinite) {
            throw fail(.valueResolution, "must be finite and > 0", valueResolution)
        }
    }

    /// Parses and validates a configuration file; unknown keys are errors (a misspelt control must not be silently
    /// ignored).
    /// - Throws: `RoutingError.invalidConfig` naming `source` and the key.
    public static func parse(_ bytes: [UInt8], source: String) throws(RoutingError) -> RoutingConfig {
        func fail(_ message: String) -> RoutingError { .invalidConfig(source: source, message: message) }
        let dictionary: [String: Any]
        do {
            dictionary = try StrictJSON.object(bytes, knownKeys: CodingKeys.allCases.map(\.rawValue))
        } catch {
            throw fail(error.message)
        }
        // Foundation's decoder reports a negative or fractional UInt64 as invalid JSON, without the key: check it here.
        if let seed = dictionary["seed"] as? NSNumber, !(seed is Bool),
            seed.doubleValue < 0 || seed.doubleValue != seed.doubleValue.rounded()
        {
            throw fail("seed: expected a whole number in 0...\(UInt64.max) (got \(seed))")
        }
        let config: RoutingConfig
        do {
            config = try JSONDecoder().decode(RoutingConfig.self, from: Data(bytes))
        } catch let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.last?.stringValue
            if key == CodingKeys.policy.rawValue {
                let allowed = RoutingPolicy.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
                throw fail("policy: '\(dictionary["policy"].map { "\($0)" } ?? "")' is not one of \(allowed)")
            }
            if key == CodingKeys.seed.rawValue {
                throw fail("seed: expected a whole number in 0...\(UInt64.max) (got \(dictionary["seed"].map { "\($0)" } ?? ""))")
            }
            throw fail("\(key ?? "(top level)"): \(context.debugDescription)")
        } catch let DecodingError.typeMismatch(type, context) {
            let key = context.codingPath.last?.stringValue ?? "(top level)"
            let expected =
                type == Bool.self
                ? "true or false" : type == String.self ? "a string" : type == UInt64.self ? "a whole number" : "a number"
            throw fail("\(key): expected \(expected)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw fail("\(context.codingPath.last?.stringValue ?? "(top level)"): null is not allowed; leave the key out instead")
        } catch {
            throw fail("\(error)")
        }
        try config.validate(source: source)
        return config
    }
}
