/// A point in time as whole seconds since 1970-01-01T00:00:00Z (UTC), parsed from ISO 8601 text without
/// Foundation's formatters: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` with an optional `Z`, or a space for the `T`.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var secondsSinceEpoch: Int64

    public init(secondsSinceEpoch: Int64) { self.secondsSinceEpoch = secondsSinceEpoch }

    /// The UTC instant of a civil date and time.
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        secondsSinceEpoch = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// The decimal number in `bytes[from..<from+count]`; nil when it runs past the end or holds a non-digit.
    static func digits<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, _ from: Int, _ count: Int) -> Int?
    where Bytes.Index == Int {
        guard from + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[from..<(from + count)] {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// Parses ISO 8601 text; nil when it is not a valid date or time.
    public init?(iso text: Substring) {
        var text = text
        // The text's own bytes, not a copy (one per lead read otherwise).
        guard let time = text.withUTF8({ Self.parse(iso: $0) }) else { return nil }
        self = time
    }

    private static func parse(iso bytes: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        func number(_ from: Int, _ count: Int) -> Int? { Timestamp.digits(bytes, from, count) }
        guard bytes.count >= 10, bytes[4] == 0x2D, bytes[7] == 0x2D,
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            (1...12).contains(month), day >= 1, day <= Self.daysInMonth(year: year, month: month)
        else { return nil }
        var hour = 0, minute = 0, second = 0
        var rest = bytes[10...]
        if let separator = rest.first {
            guard separator == 0x54 || separator == 0x20, bytes.count >= 16, bytes[13] == 0x3A,
                let h = number(11, 2), let m = number(14, 2), h < 24, m < 60
            else { return nil }
            hour = h; minute = m
            rest = bytes[16...]
            if rest.first == 0x3A {
                guard let s = number(17, 2), s < 60 else { return nil }
                second = s
                rest = bytes[19...]
                if rest.first == 0x2E {  // fractional seconds are dropped
                    rest = rest.dropFirst()
                    while let digit = rest.first, digit >= 0x30 && digit <= 0x39 { rest = rest.dropFirst() }
                }
            }
            if rest.first == 0x5A { rest = rest.dropFirst() }
            guard rest.isEmpty else { return nil }
        }
        return Timestamp(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// Why text in the date format is not a date or time, when it is an impossible one: `2024-02-30` ("February
    /// 2024 has 29 days"), month 13, hour 25; nil when the text is valid or not in the format at all.
    public static func impossibility(_ text: Substring) -> String? {
        let bytes = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? { Timestamp.digits(bytes, from, count) }
        guard Timestamp(iso: text) == nil, bytes.count >= 10, bytes[4] == 0x2D, bytes[7] == 0x2D,
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2)
        else { return nil }
        let months = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December",
        ]
        guard (1...12).contains(month) else { return "there is no month \(month)" }
        let days = daysInMonth(year: year, month: month)
        guard (1...days).contains(day) else { return "\(months[month - 1]) \(year) has \(days) days" }
        if bytes.count >= 16, bytes[10] == 0x54 || bytes[10] == 0x20, bytes[13] == 0x3A,
            let hour = number(11, 2), let minute = number(14, 2)
        {
            if hour >= 24 { return "there is no hour \(hour)" }
            if minute >= 60 { return "there is no minute \(minute)" }
            if bytes.count >= 19, bytes[16] == 0x3A, let second = number(17, 2), second >= 60 {
                return "there is no second \(second)"
            }
        }
        return nil
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    public var description: String {
        let days = Int(secondsSinceEpoch.floorDivided(by: 86_400))
        let seconds = Int(secondsSinceEpoch - Int64(days) * 86_400)
        let (y, m, d) = Self.civilFromDays(days)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))Z"
    }

    /// `YYYY-MM-DD`.
    public var dateDescription: String { String(description.prefix(10)) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.secondsSinceEpoch < b.secondsSinceEpoch }

    /// Days between this instant and a later one (fractional).
    public func days(until later: Timestamp) -> Double { Double(later.secondsSinceEpoch - secondsSinceEpoch) / 86_400 }

    public func adding(days: Double) -> Timestamp {
        Timestamp(secondsSinceEpoch: secondsSinceEpoch + Int64((days * 86_400).rounded()))
    }

    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func daysInMonth(year: Int, month: Int) -> Int {
        [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
