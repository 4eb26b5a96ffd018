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

    /// The CSV header line (with its newline) for `format`, or "" for JSON lines.
    public static func header(_ format: ScoreFormat) -> String {
        format == .csv ? CSVWriter.line(csvHeader) : ""
    }

    /// This lead's output in `format`, newline-terminated. Numbers are written in Double's shortest exact form.
    public func output(_ format: ScoreFormat) -> String {
        switch format {
        case .csv: return csvRows()
        case .jsonl: return jsonLine()
        }
    }

    func csvRows() -> String {
        let id = CSVWriter.field(leadID)
        guard let leadScore else {
            return [id, "", "0", "", "", "", "", "", CSVWriter.field(reason ?? "")].joined(separator: ",") + "\n"
        }
        var text = ""
        let score = "\(leadScore)", eligible = "\(eligibleCount)"
        for partner in partners {
            text += id + "," + score + "," + eligible + ",\(partner.rank)," + CSVWriter.field(partner.partnerID) + ","
            text += "\(partner.winProbability),\(partner.expectedValue),\(partner.isAccountOwner),\n"
        }
        return text
    }

    func jsonLine() -> String {
        var text = "{\"lead_id\":" + JSONText.string(leadID)
        text += ",\"lead_score\":" + (leadScore.map { "\($0)" } ?? "null")
        text += ",\"eligible_partners\":\(eligibleCount),\"partners\":["
        text += partners.map { partner in
            "{\"rank\":\(partner.rank),\"partner_id\":" + JSONText.string(partner.partnerID)
                + ",\"win_probability\":\(partner.winProbability),\"expected_value\":\(partner.expectedValue)"
                + ",\"account_owner\":\(partner.isAccountOwner)}"
        }.joined(separator: ",")
        text += "],\"reason\":" + (reason.map(JSONText.string) ?? "null") + "}\n"
        return text
    }
}

/// JSON text for strings, escaped per RFC 8259.
enum JSONText {
    static func string(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
