import Foundation

/// The live router's settings: the batch router's configuration plus offer deadlines, the pause rule and the queue's
/// limits.
///
/// Read from the same JSON file as `RoutingConfig` (`--config`); every key optional:
///
/// ```json
/// {
///   "policy": "optimal",
///   "offerTimeoutHours": 24,
///   "offerTimeoutHoursByTier": {"gold": 48, "referral": 12},
///   "pauseAfterExpiries": 3,
///   "maxQueueWaitHours": 48,
///   "overflowOwner": "channel-desk",
///   "candidatesPerLead": 20,
///   "workingHours": {"default": {"utcOffset": "+00:00", "days": ["mon", "tue", "wed", "thu", "fri"],
///                                "start": "09:00", "end": "17:00"},
///                    "referral": {"utcOffset": "-05:00", "days": ["mon", "tue", "wed", "thu"], "start": "08:00",
///                                 "end": "16:00"}},
///   "workingHoursByPartner": {"P0042": {"utcOffset": "+09:00", "start": "10:00", "end": "18:00"}}
/// }
/// ```
///
/// Without `workingHours`, partners work around the clock. A partner's schedule is its own entry, else its tier's,
/// else its type's, else `default` (each schedule's missing keys: UTC, Monday to Friday, 09:00–17:00).
public struct LiveConfig: Sendable, Equatable {
    /// How batches (the queue, `leads:batch`) are routed.
    public var routing: RoutingConfig
    /// An offer not answered within this many seconds expires.
    public var offerTimeout: Int64
    /// Per partner tier or type (a tier wins over a type), the offer timeout in seconds.
    public var offerTimeoutByGroup: [String: Int64]
    /// A partner that lets this many offers in a row expire is paused (0: never).
    public var pauseAfterExpiries: Int
    /// A queued lead waits at most this many seconds before it goes to the overflow owner.
    public var maxQueueWait: Int64
    /// Who gets leads that waited too long or that every eligible partner turned down.
    public var overflowOwner: String
    /// Each lead's candidates: its top eligible partners by P(win).
    public var candidatesPerLead: Int
    /// Working hours by tier, type or `default` (see `WorkingHours`); empty: always at work.
    public var workingHoursByGroup: [String: WorkingHours]
    /// Working hours by partner id (win over the group's).
    public var workingHoursByPartner: [String: WorkingHours]
    /// Every this many seconds (on the clock's grid: multiples since the epoch) the waiting queue is re-optimised by
    /// the batch router, as well as whenever capacity frees (0: only when capacity frees). `serve --batch-interval`.
    public var batchInterval: Int64

    public init(
        routing: RoutingConfig = RoutingConfig(), offerTimeout: Int64 = 86_400, offerTimeoutByGroup: [String: Int64] = [:],
        pauseAfterExpiries: Int = 3, maxQueueWait: Int64 = 48 * 3600, overflowOwner: String = "overflow",
        candidatesPerLead: Int = 20, workingHoursByGroup: [String: WorkingHours] = [:],
        workingHoursByPartner: [String: WorkingHours] = [:], batchInterval: Int64 = 0
    ) {
        self.workingHoursByGroup = workingHoursByGroup
        self.workingHoursByPartner = workingHoursByPartner
        self.batchInterval = batchInterval
        self.routing = routing
        self.offerTimeout = offerTimeout
        self.offerTimeoutByGroup = offerTimeoutByGroup
        self.pauseAfterExpiries = pauseAfterExpiries
        self.maxQueueWait = maxQueueWait
        self.overflowOwner = overflowOwner
        self.candidatesPerLead = candidatesPerLead
    }

    /// The keys the live router adds to the routing configuration.
    public static let liveKeys = [
        "offerTimeoutHours", "offerTimeoutHoursByTier", "pauseAfterExpiries", "maxQueueWaitHours", "overflowOwner",
        "candidatesPerLead", "workingHours", "workingHoursByPartner",
    ]

    /// The partner's working hours: its own, else its tier's, else its type's, else the default; nil: always at work.
    public func workingHours(for partner: LivePartner) -> WorkingHours? {
        if workingHoursByPartner.isEmpty && workingHoursByGroup.isEmpty { return nil }
        return workingHoursByPartner[partner.id] ?? workingHoursByGroup[partner.tier] ?? workingHoursByGroup[partner.type]
            ?? workingHoursByGroup["default"]
    }

    /// The partner's schedule with where it comes from: `partner` (`workingHoursByPartner`), the tier's or the type's
    /// name, or `default`; nil when the partner works around the clock.
    public func workingHoursSource(for partner: LivePartner) -> (hours: WorkingHours, source: String)? {
        if let hours = workingHoursByPartner[partner.id] { return (hours, "partner") }
        for group in [partner.tier, partner.type, "default"] {
            if let hours = workingHoursByGroup[group] { return (hours, group) }
        }
        return nil
    }

    /// Every distinct schedule (to find the next moment someone starts work).
    var allWorkingHours: [WorkingHours] {
        var seen: [WorkingHours] = []
        for hours in Array(workingHoursByGroup.values) + Array(workingHoursByPartner.values) where !seen.contains(hours) {
            seen.append(hours)
        }
        return seen
    }

    /// The offer timeout of a partner of this tier and type, in seconds.
    public func offerTimeout(tier: String, type: String) -> Int64 {
        offerTimeoutByGroup[tier] ?? offerTimeoutByGroup[type] ?? offerTimeout
    }

    /// Parses and validates a configuration file: the routing keys as `RoutingConfig.parse` reads them, and the live
    /// keys above; an unknown key, a wrong type or a value out of range is an error naming `source` and the key.
    /// - Throws: `RoutingError.invalidConfig`.
    public static func parse(_ bytes: [UInt8], source: String) throws(RoutingError) -> LiveConfig {
        func fail(_ message: String) -> RoutingError { .invalidConfig(source: source, message: message) }
        let dictionary: [String: Any]
        do {
            dictionary = try StrictJSON.object(
                bytes, knownKeys: RoutingConfig.CodingKeys.allCases.map(\.rawValue) + liveKeys)
        } catch {
            throw fail(error.message)
        }
        var routingPart = dictionary
        for key in liveKeys { routingPart.removeValue(forKey: key) }
        let routingBytes: [UInt8]
        do {
            routingBytes = Array(try JSONSerialization.data(withJSONObject: routingPart))
        } catch {
            throw fail("\(error)")
        }
        var config = LiveConfig(routing: try RoutingConfig.parse(routingBytes, source: source))
        func hours(_ key: String, _ value: Any) throws(RoutingError) -> Int64 {
            guard let number = value as? NSNumber, !LiveRequests.isBoolean(number), number.doubleValue.isFinite,
                number.doubleValue > 0, number.doubleValue <= 24 * 365 * 100
            else { throw fail("\(key): expected a number of hours in (0, 876000] (got \(value))") }
            return Int64((number.doubleValue * 3600).rounded())
        }
        func whole(_ key: String, _ value: Any, _ range: ClosedRange<Int>) throws(RoutingError) -> Int {
            guard let number = value as? NSNumber, !LiveRequests.isBoolean(number),
                number.doubleValue.rounded() == number.doubleValue,
                range.contains(Int(exactly: number.doubleValue) ?? -1)
            else { throw fail("\(key): expected a whole number in \(range.lowerBound)...\(range.upperBound) (got \(value))") }
            return Int(number.doubleValue)
        }
        if let value = dictionary["offerTimeoutHours"] { config.offerTimeout = try hours("offerTimeoutHours", value) }
        if let value = dictionary["offerTimeoutHoursByTier"] {
            guard let groups = value as? [String: Any] else {
                throw fail("offerTimeoutHoursByTier: expected an object of tier or type names to hours")
            }
            let names = Set(PartnerTier.allCases.map(\.rawValue) + PartnerType.allCases.map(\.rawValue))
            for (name, hoursValue) in groups.sorted(by: { $0.key < $1.key }) {
                guard names.contains(name) else {
                    throw fail(
                        "offerTimeoutHoursByTier: '\(name)' is not a partner tier or type (one of \(names.sorted().joined(separator: ", ")))"
                    )
                }
                config.offerTimeoutByGroup[name] = try hours("offerTimeoutHoursByTier.\(name)", hoursValue)
            }
        }
        if let value = dictionary["pauseAfterExpiries"] {
            config.pauseAfterExpiries = try whole("pauseAfterExpiries", value, 0...1_000_000)
        }
        if let value = dictionary["maxQueueWaitHours"] { config.maxQueueWait = try hours("maxQueueWaitHours", value) }
        if let value = dictionary["overflowOwner"] {
            guard let owner = value as? String, !owner.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw fail("overflowOwner: expected a non-empty string")
            }
            config.overflowOwner = owner
        }
        if let value = dictionary["candidatesPerLead"] {
            config.candidatesPerLead = try whole("candidatesPerLead", value, 1...10_000)
        }
        if let value = dictionary["workingHours"] {
            guard let groups = value as? [String: Any] else {
                throw fail("workingHours: expected an object of tier or type names (or default) to schedules")
            }
            let names = Set(PartnerTier.allCases.map(\.rawValue) + PartnerType.allCases.map(\.rawValue) + ["default"])
            for (name, schedule) in groups.sorted(by: { $0.key < $1.key }) {
                guard names.contains(name) else {
                    throw fail(
                        "workingHours: '\(name)' is not a partner tier or type or default (one of \(names.sorted().joined(separator: ", ")))"
                    )
                }
                config.workingHoursByGroup[name] = try WorkingHours.parse(schedule, key: "workingHours.\(name)", fail: fail)
            }
        }
        if let value = dictionary["workingHoursByPartner"] {
            guard let partners = value as? [String: Any] else {
                throw fail("workingHoursByPartner: expected an object of partner ids to schedules")
            }
            for (id, schedule) in partners.sorted(by: { $0.key < $1.key }) {
                config.workingHoursByPartner[id] = try WorkingHours.parse(
                    schedule, key: "workingHoursByPartner.\(id)", fail: fail)
            }
        }
        return config
    }
}
