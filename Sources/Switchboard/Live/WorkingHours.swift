/// A partner's working week: the days and the daily hours it takes offers, in its own fixed offset from UTC.
///
/// As Distribution Engine does, the live router offers a lead only to partners that are at work (an off-duty partner
/// is skipped like a paused one, and a lead whose eligible partners are all off duty waits in the queue until one
/// starts work), and an offer's deadline counts working time only: a 4-hour offer made at 16:00 on a Friday to a
/// partner working 09:00–17:00 Monday to Friday expires at 12:00 on Monday.
///
/// In the configuration (`workingHours` by tier, type or `default`; `workingHoursByPartner` by partner id):
///
/// ```json
/// {"utcOffset": "-05:00", "days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}
/// ```
public struct WorkingHours: Sendable, Equatable {
    /// Seconds east of UTC (−05:00 is −18,000).
    public var utcOffset: Int64
    /// Working days, 0 = Monday … 6 = Sunday.
    public var days: Set<Int>
    /// The working day's start and end, in seconds after local midnight; start < end ≤ 86,400.
    public var start: Int64
    public var end: Int64

    public init(utcOffset: Int64 = 0, days: Set<Int> = [0, 1, 2, 3, 4], start: Int64 = 9 * 3600, end: Int64 = 17 * 3600) {
        self.utcOffset = utcOffset
        self.days = days
        self.start = start
        self.end = end
    }

    public static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// The local day number (days since 1970-01-01 local) and the seconds into it.
    func local(_ time: Timestamp) -> (day: Int64, second: Int64) {
        let local = time.secondsSinceEpoch + utcOffset
        let day = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        return (day, local - day * 86_400)
    }

    /// 0 = Monday; 1970-01-01 was a Thursday.
    static func weekday(_ day: Int64) -> Int { Int(((day + 3) % 7 + 7) % 7) }

    /// Whether the partner is at work at `time` (start inclusive, end exclusive).
    public func isWorking(at time: Timestamp) -> Bool {
        let (day, second) = local(time)
        return days.contains(Self.weekday(day)) && second >= start && second < end
    }

    /// The first moment at or after `time` the partner is at work (`time` itself when working).
    /// - Complexity: at most eight days are looked at.
    public func nextStart(atOrAfter time: Timestamp) -> Timestamp {
        if isWorking(at: time) || days.isEmpty { return time }
        let (day, second) = local(time)
        for ahead in Int64(0)...7 {
            let candidate = day + ahead
            guard days.contains(Self.weekday(candidate)) else { continue }
            if ahead == 0 && second >= start { continue }  // today's hours are over (or have not ended: handled above)
            return Timestamp(secondsSinceEpoch: candidate * 86_400 + start - utcOffset)
        }
        return time
    }

    /// The next start of work strictly after `time` (after the current shift's end when at work).
    public func nextShiftStart(after time: Timestamp) -> Timestamp {
        guard !days.isEmpty else { return Timestamp(secondsSinceEpoch: Int64.max / 2) }
        if isWorking(at: time) {
            let (_, second) = local(time)
            return nextStart(atOrAfter: Timestamp(secondsSinceEpoch: time.secondsSinceEpoch + (end - second)))
        }
        return nextStart(atOrAfter: time)
    }

    /// The moment `seconds` of working time after `time` have passed (the offer's deadline).
    /// - Complexity: O(seconds ÷ the working seconds per week + 7).
    public func adding(workingSeconds seconds: Int64, to time: Timestamp) -> Timestamp {
        guard !days.isEmpty, end > start else { return Timestamp(secondsSinceEpoch: time.secondsSinceEpoch + seconds) }
        var now = nextStart(atOrAfter: time)
        var remaining = seconds
        // Whole weeks at once, then day by day.
        let perWeek = Int64(days.count) * (end - start)
        if remaining > perWeek {
            let weeks = (remaining - 1) / perWeek
            now = Timestamp(secondsSinceEpoch: now.secondsSinceEpoch + weeks * 7 * 86_400)
            remaining -= weeks * perWeek
        }
        while true {
            let (_, second) = local(now)
            let available = end - second
            if remaining <= available { return Timestamp(secondsSinceEpoch: now.secondsSinceEpoch + remaining) }
            remaining -= available
            now = nextStart(atOrAfter: Timestamp(secondsSinceEpoch: now.secondsSinceEpoch + available))
        }
    }

    /// The offset as the configuration writes it: `+09:00`, `-05:00`.
    public var utcOffsetText: String {
        (utcOffset < 0 ? "-" : "+") + Self.clockText(abs(utcOffset))
    }

    /// Seconds after midnight as `HH:MM` (`24:00` for the end of the day).
    public static func clockText(_ seconds: Int64) -> String {
        let hours = seconds / 3600, minutes = seconds % 3600 / 60
        return (hours < 10 ? "0" : "") + "\(hours):" + (minutes < 10 ? "0" : "") + "\(minutes)"
    }

    /// Working seconds between two moments (for explanations: how much of an offer's time counted).
    public func workingSeconds(from: Timestamp, to: Timestamp) -> Int64 {
        var total: Int64 = 0
        var now = nextStart(atOrAfter: from)
        while now < to {
            let (_, second) = local(now)
            let shiftEnd = now.secondsSinceEpoch + (end - second)
            total += min(shiftEnd, to.secondsSinceEpoch) - now.secondsSinceEpoch
            now = nextStart(atOrAfter: Timestamp(secondsSinceEpoch: shiftEnd))
        }
        return total
    }

    /// Parses one schedule object; a bad one is an error (`fail` of a message naming `key` and the bad field).
    static func parse(_ value: Any, key: String, fail: (String) -> RoutingError) throws(RoutingError) -> WorkingHours {
        guard let object = value as? [String: Any] else {
            throw fail("\(key): expected an object {\"utcOffset\", \"days\", \"start\", \"end\"}")
        }
        let known: Set<String> = ["utcOffset", "days", "start", "end"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("\(key): unknown key '\(unknown)' (expected utcOffset, days, start, end)")
        }
        /// Seconds after midnight of "HH:MM"; nil when malformed.
        func clock(_ text: Any?, allow24: Bool) -> Int64? {
            guard let text = text as? String else { return nil }
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int64(parts[0]),
                let m = Int64(parts[1]), (0...59).contains(m), (0...23).contains(h) || (allow24 && h == 24 && m == 0)
            else { return nil }
            return h * 3600 + m * 60
        }
        var hours = WorkingHours()
        if let offset = object["utcOffset"] {
            guard let text = offset as? String, text.count == 6, text.first == "+" || text.first == "-",
                let seconds = clock(String(text.dropFirst()), allow24: false), seconds <= 14 * 3600
            else { throw fail("\(key).utcOffset: expected \"+HH:MM\" or \"-HH:MM\" within ±14:00 (got \(offset))") }
            hours.utcOffset = text.first == "-" ? -seconds : seconds
        }
        if let days = object["days"] {
            guard let names = days as? [Any], !names.isEmpty else {
                throw fail("\(key).days: expected a non-empty list of mon, tue, wed, thu, fri, sat, sun")
            }
            var set = Set<Int>()
            for name in names {
                guard let text = name as? String, let index = dayNames.firstIndex(of: text.lowercased()) else {
                    throw fail("\(key).days: '\(name)' is not one of mon, tue, wed, thu, fri, sat, sun")
                }
                set.insert(index)
            }
            hours.days = set
        }
        for (field, allow24) in [("start", false), ("end", true)] {
            guard let text = object[field] else { continue }
            guard let seconds = clock(text, allow24: allow24) else {
                throw fail("\(key).\(field): expected \"HH:MM\" (got \(text))")
            }
            if field == "start" { hours.start = seconds } else { hours.end = seconds }
        }
        guard hours.start < hours.end else { throw fail("\(key): start must be before end (no overnight shifts)") }
        return hours
    }
}
