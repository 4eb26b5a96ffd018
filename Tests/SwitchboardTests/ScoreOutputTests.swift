import Foundation
import Learning
import LinearAlgebra
import Testing
import TestSupport

@testable import Switchboard

/// `switchboard score`'s output formatter (`OutputCursor`, `LeadScore.bytes`) against plain string formatting: the
/// numbers against a String-built fixed-point reference and C's printf, whole leads against the lines built field by
/// field with `CSVWriter.field` and `JSONText.string`, on seeded random values and the edge cases.
@Suite("Score output")
struct ScoreOutputTests {
    /// What `OutputCursor.fixed` writes for `value`.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        let bytes = [UInt8](unsafeUninitializedCapacity: OutputCursor.maximumNumberBytes) { buffer, count in
            var cursor = OutputCursor(buffer.baseAddress!)
            cursor.fixed(value, decimals: decimals)
            count = cursor.position - buffer.baseAddress!
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// What `OutputCursor.integer` writes for `value`.
    static func integer(_ value: Int) -> String {
        let bytes = [UInt8](unsafeUninitializedCapacity: OutputCursor.maximumNumberBytes) { buffer, count in
            var cursor = OutputCursor(buffer.baseAddress!)
            cursor.integer(value)
            count = cursor.position - buffer.baseAddress!
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The plain reference: |value|·10^decimals rounded half away from zero, its integer and fractional parts
    /// printed with `String(_:)` and padded; Swift's shortest form beyond 9.2·10¹⁸ units or for non-finite values.
    static func plainFixed(_ value: Double, _ decimals: Int) -> String {
        var power: UInt64 = 1
        for _ in 0..<decimals { power *= 10 }
        let scaled = (abs(value) * Double(power)).rounded(.toNearestOrAwayFromZero)
        guard value.isFinite, scaled < 9.2e18 else { return "\(value)" }
        let units = UInt64(scaled)
        var text = value < 0 && units != 0 ? "-" : ""
        text += String(units / power)
        if decimals > 0 {
            let fraction = String(units % power)
            text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        return text
    }

    /// Random doubles of every magnitude and sign, with the cases that break fixed-point formatters.
    static func numbers(count: Int, seed: UInt64) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        var values: [Double] = [
            0, -0.0, 0.5, -0.5, 1.5, 2.5, 0.05, 0.005, 0.0049999999, 0.0000000005, 0.00000000049, -0.0000000004,
            0.999999999, 0.9999999995, 0.99999999949, 1, 9.5, 99.995, 999_999_999.999, 1e-300, -1e-300,
            Double.leastNonzeroMagnitude, Double.ulpOfOne, 123_456_789.123_456_789, 9.19e18, 9.2e18, 9.3e18, 1e19, 1e300,
            -1e300, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity, -.infinity, .nan,
            Double(UInt64.max), Double(Int64.max), 18_446_744_073.709_55, 9_199_999_999.999_999,
        ]
        for _ in 0..<count {
            let magnitude = rng.uniform(-12, 20)
            var value = Foundation.pow(10, magnitude) * rng.nextUniform()
            if rng.nextUniform() < 0.3 { value = (value * 100).rounded() / 100 + 0.005 }  // halves at 2 decimals
            if rng.nextUniform() < 0.5 { value = -value }
            values.append(value)
        }
        return values
    }

    @Test("fixed-point numbers equal the plain string formatting, 0 to 15 decimals")
    func fixedMatchesPlain() {
        for (index, value) in Self.numbers(count: 20_000, seed: 16).enumerated() {
            let decimals = [9, 2, index % 16][index % 3]
            #expect(Self.fixed(value, decimals) == Self.plainFixed(value, decimals), "\(value) with \(decimals) decimals")
        }
    }

    @Test("fixed-point numbers equal printf's %.*f away from rounding ties")
    func fixedMatchesPrintf() {
        var compared = 0
        for (index, value) in Self.numbers(count: 20_000, seed: 61).enumerated() where value.isFinite {
            let decimals = [9, 2, index % 10][index % 3]
            let scaled = abs(value) * Foundation.pow(10, Double(decimals))
            // printf rounds the exact binary value; the formatter rounds the product: they agree away from halves.
            guard scaled < 1e15, abs(scaled - scaled.rounded(.down) - 0.5) > 1e-3 else { continue }
            var expected = String(format: "%.\(decimals)f", value)
            if expected.hasPrefix("-"), expected.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) {
                expected.removeFirst()  // printf keeps the sign of a value that rounds to zero; the formatter does not
            }
            #expect(Self.fixed(value, decimals) == expected, "\(value) with \(decimals) decimals")
            compared += 1
        }
        #expect(compared > 5000)
    }

    @Test("integers equal String(_:), extremes included")
    func integers() {
        var rng = SeededGenerator(seed: 5)
        var values = [0, 1, -1, 9, 10, 99, 100, 101, Int.max, Int.min, Int.min + 1, 1_000_000_000_000_000_000]
        for _ in 0..<5000 {
            let magnitude = Int(rng.nextUniform() * 19)
            var value = 1
            for _ in 0..<magnitude { value *= 10 }
            values.append(Int(Double(value) * rng.nextUniform()) * (rng.nextUniform() < 0.5 ? -1 : 1))
        }
        for value in values { #expect(Self.integer(value) == String(value)) }
    }

    /// A lead's output built the plain way, field by field, as the formatter before it wrote it.
    static func plain(_ score: LeadScore, _ format: ScoreFormat) -> String {
        let p = LeadScore.probabilityDecimals, v = LeadScore.valueDecimals
        switch format {
        case .csv:
            guard let leadScore = score.leadScore else {
                return CSVWriter.field(score.leadID) + ",,0,,,,,," + CSVWriter.field(score.reason ?? "") + "\n"
            }
            return score.partners.map { partner in
                [
                    CSVWriter.field(score.leadID), plainFixed(leadScore, p), String(score.eligibleCount), String(partner.rank),
                    CSVWriter.field(partner.partnerID), plainFixed(partner.winProbability, p),
                    plainFixed(partner.expectedValue, v), partner.isAccountOwner ? "true" : "false", "",
                ].joined(separator: ",") + "\n"
            }.joined()
        case .jsonl:
            let partners = score.partners.map { partner in
                "{\"rank\":\(partner.rank),\"partner_id\":\(JSONText.string(partner.partnerID)),\"win_probability\":"
                    + "\(plainFixed(partner.winProbability, p)),\"expected_value\":\(plainFixed(partner.expectedValue, v)),"
                    + "\"account_owner\":\(partner.isAccountOwner)}"
            }
            return "{\"lead_id\":\(JSONText.string(score.leadID)),\"lead_score\":"
                + (score.leadScore.map { plainFixed($0, p) } ?? "null") + ",\"eligible_partners\":\(score.eligibleCount)"
                + ",\"partners\":[" + partners.joined(separator: ",") + "],\"reason\":"
                + (score.reason.map(JSONText.string) ?? "null") + "}\n"
        }
    }

    /// Random lead scores: ids and reasons with commas, quotes, newlines, control characters and non-ASCII text;
    /// probabilities, values and counts over their whole ranges; no partner or up to 12.
    static func scores(count: Int, seed: UInt64) -> [LeadScore] {
        var rng = SeededGenerator(seed: seed)
        let pieces = ["L", "P", "0", "42", ",", "\"", "\n", "\r", "\\", "\u{1}", "\t", "é", "漢", "🙂", " ", ""]
        func text() -> String {
            (0..<Int(rng.nextUniform() * 6)).map { _ in pieces[Int(rng.nextUniform() * Double(pieces.count))] }.joined()
        }
        func number() -> Double {
            switch Int(rng.nextUniform() * 4) {
            case 0: rng.nextUniform()
            case 1: rng.uniform(0, 1e6)
            case 2: -rng.uniform(0, 1e-9)
            default: [0, 1, 1e-12, 0.9999999999, 5e-10, 1e20, .nan, .infinity][Int(rng.nextUniform() * 8)]
            }
        }
        return (0..<count).map { _ in
            if rng.nextUniform() < 0.2 {
                return LeadScore(leadID: text(), leadScore: nil, eligibleCount: 0, partners: [], reason: text())
            }
            let partners = (0..<Int(1 + rng.nextUniform() * 12)).map { rank in
                RankedPartner(
                    partnerID: text(), rank: rank + 1, winProbability: number(), expectedValue: number() * 1e3,
                    isAccountOwner: rng.nextUniform() < 0.2)
            }
            return LeadScore(
                leadID: text(), leadScore: number(), eligibleCount: Int(rng.nextUniform() * 20_000), partners: partners,
                reason: nil)
        }
    }

    @Test("whole leads equal the plain field-by-field output, CSV and JSON lines", arguments: ScoreFormat.allCases)
    func leadsMatchPlain(format: ScoreFormat) throws {
        let scores = Self.scores(count: 3000, seed: format == .csv ? 1 : 2)
        for score in scores.prefix(500) {
            #expect(score.output(format) == Self.plain(score, format))
            #expect(LeadScore.bytes([score], format).count <= score.maximumByteCount(format))
        }
        let all = LeadScore.bytes(scores, format)
        #expect(all == Array(scores.map { Self.plain($0, format) }.joined().utf8))
        #expect(LeadScore.bytes([LeadScore](), format).isEmpty)
    }

    @Test("the CSV output parses back to its fields; each JSON line is a JSON object")
    func parsesBack() throws {
        let scores = Self.scores(count: 400, seed: 9).filter { score in
            // Finite numbers only: JSON has no NaN or infinity.
            ([score.leadScore ?? 0] + score.partners.flatMap { [$0.winProbability, $0.expectedValue] }).allSatisfy(\.isFinite)
        }
        let csv = Array(LeadScore.header(.csv).utf8) + LeadScore.bytes(scores, .csv)
        let table = try CSVTable(parsing: csv, source: "scores.csv")
        let expectedRows = scores.map { $0.leadScore == nil ? 1 : $0.partners.count }.reduce(0, +)
        #expect(table.rowCount == expectedRows)
        var row = 0
        for score in scores {
            for partner in score.leadScore == nil ? [nil] : score.partners.map(Optional.some) {
                #expect(table.columns[0][row] == score.leadID && table.columns[4][row] == (partner?.partnerID ?? ""))
                row += 1
            }
        }
        let lines = LeadScore.bytes(scores, .jsonl).split(separator: 10)
        #expect(lines.count == scores.count)
        for (line, score) in zip(lines, scores) {
            let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            #expect(object?["lead_id"] as? String == score.leadID)
            #expect((object?["partners"] as? [Any])?.count == score.partners.count)
        }
    }
}
