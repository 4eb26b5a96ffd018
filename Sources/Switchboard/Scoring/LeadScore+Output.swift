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
        let start = bytes.count
        appendCSVField(leadID, to: &bytes)
        guard let leadScore else {
            bytes.append(contentsOf: ",,0,,,,,,".utf8)
            appendCSVField(reason ?? "", to: &bytes)
            bytes.append(10)
            return
        }
        bytes.append(44)
        FixedDecimal.append(leadScore, decimals: Self.probabilityDecimals, to: &bytes)
        bytes.append(44)
        FixedDecimal.append(eligibleCount, to: &bytes)
        bytes.append(44)
        // The lead's columns, the same on each of its rows: written once, then copied.
        let head = partners.count > 1 ? Array(bytes[start...]) : []
        for (index, partner) in partners.enumerated() {
            if index > 0 { bytes.append(contentsOf: head) }
            FixedDecimal.append(partner.rank, to: &bytes)
            bytes.append(44)
            appendCSVField(partner.partnerID, to: &bytes)
            bytes.append(44)
            FixedDecimal.append(partner.winProbability, decimals: Self.probabilityDecimals, to: &bytes)
            bytes.append(44)
            FixedDecimal.append(partner.expectedValue, decimals: Self.valueDecimals, to: &bytes)
            bytes.append(contentsOf: (partner.isAccountOwner ? ",true,\n" : ",false,\n").utf8)
        }
        // A lead with a score always has a partner; should it have none, nothing is written, as before.
        if partners.isEmpty { bytes.removeSubrange(start...) }
    }

    func writeJSON(into bytes: inout [UInt8]) {
        bytes.append(contentsOf: "{\"lead_id\":".utf8)
        appendJSONString(leadID, to: &bytes)
        bytes.append(contentsOf: ",\"lead_score\":".utf8)
        if let leadScore {
            FixedDecimal.append(leadScore, decimals: Self.probabilityDecimals, to: &bytes)
        } else {
            bytes.append(contentsOf: "null".utf8)
        }
        bytes.append(contentsOf: ",\"eligible_partners\":".utf8)
        FixedDecimal.append(eligibleCount, to: &bytes)
        bytes.append(contentsOf: ",\"partners\":[".utf8)
        for (index, partner) in partners.enumerated() {
            if index > 0 { bytes.append(44) }
            bytes.append(contentsOf: "{\"rank\":".utf8)
            FixedDecimal.append(partner.rank, to: &bytes)
            bytes.append(contentsOf: ",\"partner_id\":".utf8)
            appendJSONString(partner.partnerID, to: &bytes)
            bytes.append(contentsOf: ",\"win_probability\":".utf8)
            FixedDecimal.append(partner.winProbability, decimals: Self.probabilityDecimals, to: &bytes)
            bytes.append(contentsOf: ",\"expected_value\":".utf8)
            FixedDecimal.append(partner.expectedValue, decimals: Self.valueDecimals, to: &bytes)
            bytes.append(contentsOf: (partner.isAccountOwner ? ",\"account_owner\":true}" : ",\"account_owner\":false}").utf8)
        }
        bytes.append(contentsOf: "],\"reason\":".utf8)
        if let reason { appendJSONString(reason, to: &bytes) } else { bytes.append(contentsOf: "null".utf8) }
        bytes.append(contentsOf: "}\n".utf8)
    }
}

/// `CSVWriter.field(text)`'s bytes, without an intermediate string when no quoting is needed.
private func appendCSVField(_ text: String, to bytes: inout [UInt8]) {
    if text.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) {
        bytes.append(contentsOf: CSVWriter.field(text).utf8)
    } else {
        bytes.append(contentsOf: text.utf8)
    }
}

/// `JSONText.string(text)`'s bytes, without an intermediate string when nothing needs escaping.
private func appendJSONString(_ text: String, to bytes: inout [UInt8]) {
    if text.utf8.contains(where: { $0 < 0x20 || $0 == 34 || $0 == 92 }) {
        bytes.append(contentsOf: JSONText.string(text).utf8)
    } else {
        bytes.append(34)
        bytes.append(contentsOf: text.utf8)
        bytes.append(34)
    }
}

/// Fast fixed-point formatting of numbers into UTF-8 bytes (no Foundation, no intermediate strings or arrays).
enum FixedDecimal {
    static let powers: [UInt64] = (0...15).map { (0..<$0).reduce(1) { value, _ in value * 10 } }

    /// Appends `value` rounded to `decimals` places (half away from zero), e.g. 0.5 with 3 → "0.500". Values too
    /// large for exact fixed-point (|value|·10^decimals ≥ 2⁶³) and non-finite ones are written in Swift's shortest form.
    static func append(_ value: Double, decimals: Int, to bytes: inout [UInt8]) {
        precondition((0...15).contains(decimals), "0 to 15 decimals")
        let scaled = (abs(value) * Double(powers[decimals])).rounded()
        guard value.isFinite, scaled < 9.2e18 else {
            bytes.append(contentsOf: "\(value)".utf8)
            return
        }
        let units = UInt64(scaled)
        if value < 0 && units != 0 { bytes.append(45) }
        append(units / powers[decimals], to: &bytes)
        guard decimals > 0 else { return }
        bytes.append(46)
        var fraction = units % powers[decimals]
        let end = bytes.count + decimals
        for _ in 0..<decimals { bytes.append(48) }
        bytes.withUnsafeMutableBufferPointer { buffer in
            var position = end - 1
            while fraction > 0 {
                buffer[position] = 48 + UInt8(fraction % 10)
                fraction /= 10
                position -= 1
            }
        }
    }

    static func append(_ value: Int, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(45) }
        append(UInt64(value.magnitude), to: &bytes)
    }

    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        let start = bytes.count
        var rest = value
        repeat {
            bytes.append(48 + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        bytes[start...].reverse()
    }
}
