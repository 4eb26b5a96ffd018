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
        switch format {
        case .csv: writeCSV(into: &bytes)
        case .jsonl: writeJSON(into: &bytes)
        }
    }

    func writeCSV(into bytes: inout [UInt8]) {
        let id = Array(CSVWriter.field(leadID).utf8)
        guard let leadScore else {
            bytes += id
            bytes += Array(",,0,,,,,,".utf8)
            bytes += Array(CSVWriter.field(reason ?? "").utf8)
            bytes.append(10)
            return
        }
        for partner in partners {
            bytes += id
            bytes.append(44)
            FixedDecimal.append(leadScore, decimals: Self.probabilityDecimals, to: &bytes)
            bytes.append(44)
            FixedDecimal.append(eligibleCount, to: &bytes)
            bytes.append(44)
            FixedDecimal.append(partner.rank, to: &bytes)
            bytes.append(44)
            bytes += Array(CSVWriter.field(partner.partnerID).utf8)
            bytes.append(44)
            FixedDecimal.append(partner.winProbability, decimals: Self.probabilityDecimals, to: &bytes)
            bytes.append(44)
            FixedDecimal.append(partner.expectedValue, decimals: Self.valueDecimals, to: &bytes)
            bytes += Array((partner.isAccountOwner ? ",true,\n" : ",false,\n").utf8)
        }
    }

    func writeJSON(into bytes: inout [UInt8]) {
        bytes += Array("{\"lead_id\":".utf8)
        bytes += Array(JSONText.string(leadID).utf8)
        bytes += Array(",\"lead_score\":".utf8)
        if let leadScore {
            FixedDecimal.append(leadScore, decimals: Self.probabilityDecimals, to: &bytes)
        } else {
            bytes += Array("null".utf8)
        }
        bytes += Array(",\"eligible_partners\":".utf8)
        FixedDecimal.append(eligibleCount, to: &bytes)
        bytes += Array(",\"partners\":[".utf8)
        for (index, partner) in partners.enumerated() {
            if index > 0 { bytes.append(44) }
            bytes += Array("{\"rank\":".utf8)
            FixedDecimal.append(partner.rank, to: &bytes)
            bytes += Array(",\"partner_id\":".utf8)
            bytes += Array(JSONText.string(partner.partnerID).utf8)
            bytes += Array(",\"win_probability\":".utf8)
            FixedDecimal.append(partner.winProbability, decimals: Self.probabilityDecimals, to: &bytes)
            bytes += Array(",\"expected_value\":".utf8)
            FixedDecimal.append(partner.expectedValue, decimals: Self.valueDecimals, to: &bytes)
            bytes += Array((partner.isAccountOwner ? ",\"account_owner\":true}" : ",\"account_owner\":false}").utf8)
        }
        bytes += Array("],\"reason\":".utf8)
        bytes += Array((reason.map(JSONText.string) ?? "null").utf8)
        bytes += Array("}\n".utf8)
    }
}

/// Fast fixed-point formatting of numbers into UTF-8 bytes (no Foundation, no intermediate strings).
enum FixedDecimal {
    static let powers: [UInt64] = (0...15).map { (0..<$0).reduce(1) { value, _ in value * 10 } }

    /// Appends `value` rounded to `decimals` places (half away from zero), e.g. 0.5 with 3 → "0.500". Values too
    /// large for exact fixed-point (|value|·10^decimals ≥ 2⁶³) and non-finite ones are written in Swift's shortest form.
    static func append(_ value: Double, decimals: Int, to bytes: inout [UInt8]) {
        precondition((0...15).contains(decimals), "0 to 15 decimals")
        let scaled = (abs(value) * Double(powers[decimals])).rounded()
        guard value.isFinite, scaled < 9.2e18 else {
            bytes += Array("\(value)".utf8)
            return
        }
        let units = UInt64(scaled)
        if value < 0 && units != 0 { bytes.append(45) }
        append(units / powers[decimals], to: &bytes)
        guard decimals > 0 else { return }
        bytes.append(46)
        var fraction = units % powers[decimals]
        var digits = [UInt8](repeating: 48, count: decimals)
        for position in stride(from: decimals - 1, through: 0, by: -1) {
            digits[position] = 48 + UInt8(fraction % 10)
            fraction /= 10
        }
        bytes += digits
    }

    static func append(_ value: Int, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(45) }
        append(value.magnitude.toUInt64, to: &bytes)
    }

    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var digits: [UInt8] = []
        var rest = value
        repeat {
            digits.append(48 + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        bytes += digits.reversed()
    }
}

extension UInt {
    fileprivate var toUInt64: UInt64 { UInt64(self) }
}
