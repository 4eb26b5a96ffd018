import Learning

/// How `switchboard score` writes lead scores.
public enum ScoreFormat: String, Sendable, CaseIterable {
    /// One row per (lead, ranked partner); a lead with no eligible partner has one row with the reason.
    case csv
    /// One JSON object per lead and line.
    case jsonl
}

extension LeadScore {
    public static let csvHeader = [
        "lead_id", "lead_score", "eligible_partners", "rank", "partner_id", "win_probability", "expected_value",
        "account_owner", "reason",
    ]

    /// Decimals written for probabilities (lead score, win probability): rounding error at most 5e-10.
    public static let probabilityDecimals = 9
    /// Decimals written for expected values (currency: cents).
    public static let valueDecimals = 2

    /// The CSV header line (with its newline) for `format`, or "" for JSON lines.
    public static func header(_ format: ScoreFormat) -> String {
        format == .csv ? CSVWriter.line(csvHeader) : ""
    }

    /// This lead's output in `format`, newline-terminated.
    public func output(_ format: ScoreFormat) -> String {
        var bytes: [UInt8] = []
        write(format, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends this lead's output in `format` (newline-terminated) to `bytes`: probabilities with
    /// `probabilityDecimals` decimals, expected values with `valueDecimals`.
    public func write(_ format: ScoreFormat, into bytes: inout [UInt8]) {
        bytes.append(contentsOf: Self.bytes(CollectionOfOne(self), format))
    }

    /// The output of every score in `scores`, in order, in `format`: one allocation, bytes stored through a pointer
    /// into room reserved up front (`maximumByteCount`).
    public static func bytes(_ scores: some Collection<LeadScore>, _ format: ScoreFormat) -> [UInt8] {
        var room = 0
        for score in scores { room += score.maximumByteCount(format) }
        return [UInt8](unsafeUninitializedCapacity: room) { buffer, initialized in
            var out = OutputCursor(buffer.baseAddress!)
            for score in scores {
                switch format {
                case .csv: score.writeCSV(&out)
                case .jsonl: score.writeJSON(&out)
                }
            }
            initialized = out.position - buffer.baseAddress!
            precondition(initialized <= room, "lead score output overran its reserved room")
        }
    }

    /// An upper bound on the bytes `write(format, …)` produces for this score.
    func maximumByteCount(_ format: ScoreFormat) -> Int {
        let number = OutputCursor.maximumNumberBytes
        switch format {
        case .csv:
            let id = OutputCursor.maximumCSVFieldBytes(leadID)
            guard leadScore != nil else { return id + 10 + OutputCursor.maximumCSVFieldBytes(reason ?? "") }
            let head = id + 3 + number + number
            var total = head
            for partner in partners {
                total += head + OutputCursor.maximumCSVFieldBytes(partner.partnerID) + 3 * number + 12
            }
            return total
        case .jsonl:
            var total = 100 + OutputCursor.maximumJSONStringBytes(leadID) + 2 * number
            total += OutputCursor.maximumJSONStringBytes(reason ?? "")
            for partner in partners {
                total += 100 + OutputCursor.maximumJSONStringBytes(partner.partnerID) + 3 * number
            }
            return total
        }
    }

    fileprivate func writeCSV(_ out: inout OutputCursor) {
        let start = out.position
        out.csvField(leadID)
        guard let leadScore else {
            out.ascii(",,0,,,,,,")
            out.csvField(reason ?? "")
            out.byte(10)
            return
        }
        out.byte(44)
        out.fixed(leadScore, decimals: Self.probabilityDecimals)
        out.byte(44)
        out.integer(eligibleCount)
        out.byte(44)
        // The lead's columns, the same on each of its rows: written once, then copied.
        let headCount = out.position - start
        for (index, partner) in partners.enumerated() {
            if index > 0 { out.copy(from: start, count: headCount) }
            out.integer(partner.rank)
            out.byte(44)
            out.csvField(partner.partnerID)
            out.byte(44)
            out.fixed(partner.winProbability, decimals: Self.probabilityDecimals)
            out.byte(44)
            out.fixed(partner.expectedValue, decimals: Self.valueDecimals)
            out.ascii(partner.isAccountOwner ? ",true,\n" : ",false,\n")
        }
        // A lead with a score always has a partner; should it have none, nothing is written, as before.
        if partners.isEmpty { out.position = start }
    }

    fileprivate func writeJSON(_ out: inout OutputCursor) {
        out.ascii("{\"lead_id\":")
        out.jsonString(leadID)
        out.ascii(",\"lead_score\":")
        if let leadScore {
            out.fixed(leadScore, decimals: Self.probabilityDecimals)
        } else {
            out.ascii("null")
        }
        out.ascii(",\"eligible_partners\":")
        out.integer(eligibleCount)
        out.ascii(",\"partners\":[")
        for (index, partner) in partners.enumerated() {
            if index > 0 { out.byte(44) }
            out.ascii("{\"rank\":")
            out.integer(partner.rank)
            out.ascii(",\"partner_id\":")
            out.jsonString(partner.partnerID)
            out.ascii(",\"win_probability\":")
            out.fixed(partner.winProbability, decimals: Self.probabilityDecimals)
            out.ascii(",\"expected_value\":")
            out.fixed(partner.expectedValue, decimals: Self.valueDecimals)
            out.ascii(partner.isAccountOwner ? ",\"account_owner\":true}" : ",\"account_owner\":false}")
        }
        out.ascii("],\"reason\":")
        if let reason { out.jsonString(reason) } else { out.ascii("null") }
        out.ascii("}\n")
    }
}

/// Stores bytes through a pointer into room reserved beforehand (the caller bounds what it writes), with fixed-point
/// numbers formatted in place: no intermediate strings or arrays, no capacity check per byte.
struct OutputCursor {
    var position: UnsafeMutablePointer<UInt8>

    init(_ start: UnsafeMutablePointer<UInt8>) { position = start }

    /// The most bytes `fixed` or `integer` writes: a sign, 19 integer digits, a point and 15 decimals (or Swift's
    /// shortest form of a Double, at most 24).
    static let maximumNumberBytes = 40

    /// The most bytes `csvField(text)` writes: every byte a doubled quote, plus the two quotes.
    static func maximumCSVFieldBytes(_ text: String) -> Int { 2 * text.utf8.count + 2 }

    /// The most bytes `jsonString(text)` writes: every byte a `\u00XX` escape, plus the two quotes.
    static func maximumJSONStringBytes(_ text: String) -> Int { 6 * text.utf8.count + 2 }

    @inline(__always) mutating func byte(_ value: UInt8) {
        position.pointee = value
        position += 1
    }

    /// Bytes of a literal (ASCII in practice; any UTF-8 is copied as is).
    @inline(__always) mutating func ascii(_ text: StaticString) {
        let count = text.utf8CodeUnitCount
        position.update(from: text.utf8Start, count: count)
        position += count
    }

    mutating func bytes(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            position.update(from: utf8.baseAddress!, count: utf8.count)
            position += utf8.count
        }
    }

    /// `count` bytes already written, starting at `start`, written again here.
    mutating func copy(from start: UnsafeMutablePointer<UInt8>, count: Int) {
        position.update(from: start, count: count)
        position += count
    }

    /// `CSVWriter.field(text)`: verbatim, or quoted when it holds a comma, a quote, CR or LF.
    mutating func csvField(_ text: String) {
        if text.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) {
            bytes(CSVWriter.field(text))
        } else {
            bytes(text)
        }
    }

    /// `JSONText.string(text)`: quoted, escaped where RFC 8259 requires it.
    mutating func jsonString(_ text: String) {
        if text.utf8.contains(where: { $0 < 0x20 || $0 == 34 || $0 == 92 }) {
            bytes(JSONText.string(text))
        } else {
            byte(34)
            bytes(text)
            byte(34)
        }
    }

    /// `value` rounded to `decimals` places (0 to 15; half away from zero), e.g. 0.5 with 3 → "0.500". Values too
    /// large for exact fixed-point (|value|·10^decimals ≥ 9.2·10¹⁸) and non-finite ones are written in Swift's
    /// shortest form.
    mutating func fixed(_ value: Double, decimals: Int) {
        precondition((0...15).contains(decimals), "0 to 15 decimals")
        let power = decimalPowers[decimals]
        let scaled = (abs(value) * Double(power)).rounded()
        guard value.isFinite, scaled < 9.2e18 else {
            bytes("\(value)")
            return
        }
        let units = UInt64(scaled)
        if value < 0 && units != 0 { byte(45) }
        unsigned(units / power)
        guard decimals > 0 else { return }
        byte(46)
        digits(units % power, count: decimals)
    }

    mutating func integer(_ value: Int) {
        if value < 0 { byte(45) }
        unsigned(UInt64(value.magnitude))
    }

    /// The decimal digits of `value`, without leading zeros ("0" for zero).
    mutating func unsigned(_ value: UInt64) {
        var count = 1
        while count < 20 && value >= decimalPowers[count] { count += 1 }
        digits(value, count: count)
    }

    /// The last `count` decimal digits of `value`, zero-padded on the left; two digits a step from the right.
    private mutating func digits(_ value: UInt64, count: Int) {
        var rest = value
        var index = count
        while index >= 2 {
            let pair = Int(truncatingIfNeeded: rest % 100) &* 2
            rest /= 100
            index -= 2
            position[index] = digitPairs[pair]
            position[index + 1] = digitPairs[pair + 1]
        }
        if index == 1 { position[0] = 48 &+ UInt8(truncatingIfNeeded: rest % 10) }
        position += count
    }
}

/// 10⁰ … 10¹⁹.
private let decimalPowers: [UInt64] = (0...19).map { (power: Int) -> UInt64 in
    (0..<power).reduce(1) { value, _ in value * 10 }
}

/// "00" "01" … "99" as ASCII pairs.
private let digitPairs: [UInt8] = (0..<100).flatMap { (pair: Int) -> [UInt8] in
    [UInt8(48 + pair / 10), UInt8(48 + pair % 10)]
}
