/// A numeric column as a smooth shape function: its (imputed) value through a B-spline basis.
public struct SplineEncoding: Sendable, Codable, Equatable {
    public var name: String
    public var basis: BSplineBasis
    /// The value that fills a missing cell (the training mean), when imputing.
    public var imputedValue: Double?
    public var hasMissingIndicator: Bool

    public init(name: String, basis: BSplineBasis, imputedValue: Double?, hasMissingIndicator: Bool) {
        self.name = name
        self.basis = basis
        self.imputedValue = imputedValue
        self.hasMissingIndicator = hasMissingIndicator
    }
}

/// A column of calendar dates (`YYYY-MM-DD`, optionally followed by a time), expanded into month (12 one-hot columns),
/// weekday (7), day of month (a spline) and age (a spline of the days before `referenceDay`, the latest training date).
public struct DateEncoding: Sendable, Codable, Equatable {
    public var name: String
    /// The latest date seen in training, as days since 1970-01-01.
    public var referenceDay: Int
    public var dayOfMonthBasis: BSplineBasis
    public var ageBasis: BSplineBasis
    /// The date (days since 1970-01-01) that fills a missing cell (the training median), when imputing.
    public var imputedDay: Int?
    public var hasMissingIndicator: Bool

    public static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    /// Weekday names from Monday.
    public static let weekdayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    public var width: Int { 12 + 7 + dayOfMonthBasis.count + ageBasis.count + (hasMissingIndicator ? 1 : 0) }

    public var featureNames: [String] {
        Self.monthNames.map { "\(name):month=\($0)" } + Self.weekdayNames.map { "\(name):weekday=\($0)" }
            + (1...dayOfMonthBasis.count).map { "\(name):day[\($0)]" } + (1...ageBasis.count).map { "\(name):age[\($0)]" }
            + (hasMissingIndicator ? ["\(name)=missing"] : [])
    }
}

/// Calendar arithmetic on the proleptic Gregorian calendar (Howard Hinnant's `days_from_civil`).
public enum CalendarDay {
    /// Days since 1970-01-01 of a valid `YYYY-MM-DD` date, optionally followed by `T` or a space and a time (which is
    /// ignored); nil for anything else, including impossible dates such as 2024-02-30.
    public static func parse(_ text: Substring) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 10, bytes[4] == 0x2D, bytes[7] == 0x2D else { return nil }
        if bytes.count > 10 {
            guard bytes[10] == 0x54 || bytes[10] == 0x20, bytes.count >= 16, bytes[13] == 0x3A else { return nil }
        }
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return days(year: year, month: month, day: day)
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    /// Days since 1970-01-01.
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// (year, month 1–12, day 1–31) of a day count since 1970-01-01.
    public static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// 0 for Monday … 6 for Sunday (1970-01-01 was a Thursday).
    public static func weekday(_ days: Int) -> Int { ((days % 7 + 7) % 7 + 3) % 7 }
}

/// One side of a pairwise interaction: a column cut into levels. A categorical side has one level per listed
/// category plus one for any other (unseen, rare or missing); a numeric side has `cuts.count + 1` bins
/// (x < cuts[0], cuts[0] ≤ x < cuts[1], …) plus one for a missing cell.
public struct InteractionSide: Sendable, Codable, Equatable {
    public var name: String
    /// The categories of a categorical side (nil for a numeric one).
    public var categories: [String]?
    /// The bin edges of a numeric side (nil for a categorical one).
    public var cuts: [Double]?

    public init(name: String, categories: [String]? = nil, cuts: [Double]? = nil) {
        self.name = name
        self.categories = categories
        self.cuts = cuts
    }

    public var levelCount: Int { (categories?.count ?? 0) + (cuts.map { $0.count + 1 } ?? 0) + 1 }

    /// The level of a cell.
    func level(of cell: String) -> Int {
        if let categories {
            let value = cell.blankTrimmed
            return categories.firstIndex { $0[...] == value } ?? categories.count
        }
        let cuts = cuts ?? []
        guard !TabularEncoder.isMissing(cell), let x = TabularEncoder.number(cell) else { return cuts.count + 1 }
        var level = 0
        while level < cuts.count && x >= cuts[level] { level += 1 }
        return level
    }

    /// The level in words: `month=may`, `month=other`, `day 15–20`, `day < 5`, `day ≥ 28`, `day missing`.
    public func label(_ level: Int) -> String {
        if let categories { return level < categories.count ? "\(name)=\(categories[level])" : "\(name)=other" }
        let cuts = cuts ?? []
        if level > cuts.count { return "\(name) missing" }
        if cuts.isEmpty { return "\(name) any" }
        if level == 0 { return "\(name) < \(shortNumber(cuts[0]))" }
        if level == cuts.count { return "\(name) ≥ \(shortNumber(cuts[level - 1]))" }
        return "\(name) \(shortNumber(cuts[level - 1]))–\(shortNumber(cuts[level]))"
    }
}

/// A pairwise interaction: one indicator column per cell of the two sides' levels (first-major), ridge penalised.
public struct InteractionEncoding: Sendable, Codable, Equatable {
    public var first: InteractionSide
    public var second: InteractionSide

    public init(first: InteractionSide, second: InteractionSide) {
        self.first = first
        self.second = second
    }

    public var width: Int { first.levelCount * second.levelCount }
    public var name: String { "\(first.name) × \(second.name)" }

    public var featureNames: [String] {
        var names: [String] = []
        for a in 0..<first.levelCount {
            for b in 0..<second.levelCount { names.append("\(first.label(a)) & \(second.label(b))") }
        }
        return names
    }
}

/// A number as short as it reads: integers without a decimal point, others to three significant digits.
func shortNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
    let magnitude = abs(value)
    let decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3
    return NumberText.fixed(value, decimals)
}

/// Fixed-decimal formatting without Foundation.
enum NumberText {
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        let scale = (0..<decimals).reduce(1.0) { value, _ in value * 10 }
        let rounded = (abs(value) * scale).rounded()
        let whole = Int(rounded / scale)
        let fraction = Int(rounded - Double(whole) * scale)
        var text = (value < 0 && rounded != 0 ? "-" : "") + String(whole)
        if decimals > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: decimals - digits.count) + digits
        }
        return text
    }
}
