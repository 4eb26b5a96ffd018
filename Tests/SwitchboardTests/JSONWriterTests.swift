import Foundation
import Testing
import TestSupport

@testable import Switchboard

/// `JSONWriter` against Foundation on seeded random values: the API's answers byte-for-byte as
/// `JSONSerialization` (`.sortedKeys`) writes them, the ledger's events read back by `JSONDecoder` as they were.
@Suite struct JSONWriterTests {
    /// Text with every kind of character the escaping rules treat apart: controls, quotes, backslashes, slashes,
    /// DEL, Latin, the line separators JavaScript dislikes, astral emoji.
    static func text(_ rng: inout RepeatableRandomNumberGenerator) -> String {
        let pool: [Unicode.Scalar] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\u{0}", "\u{1}", "\u{8}", "\u{9}", "\u{A}", "\u{B}", "\u{C}", "\u{D}",
            "\u{1F}", "\u{7F}", "é", "ß", "\u{2028}", "\u{2029}", "中", "😀", "\u{FEFF}", "\u{10FFFF}",
        ]
        var text = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...12, using: &rng) {
            if Bool.random(using: &rng) {
                text.append(pool.randomElement(using: &rng)!)
            } else {
                // Any scalar: skip the surrogate gap.
                var value = UInt32.random(in: 0...0x10FFFF, using: &rng)
                if (0xD800...0xDFFF).contains(value) { value -= 0x800 }
                text.append(Unicode.Scalar(value)!)
            }
        }
        return String(text)
    }

    /// A finite double of any magnitude: random bit patterns, round numbers, integers around 2^53, subnormals.
    static func double(_ rng: inout RepeatableRandomNumberGenerator) -> Double {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0:
            var value: Double
            repeat { value = Double(bitPattern: rng.next()) } while !value.isFinite
            return value
        case 1: return Double(Int.random(in: -1_000_000...1_000_000, using: &rng))
        case 2: return Double(Int64.random(in: (1 << 52)...(1 << 55), using: &rng)) * (Bool.random(using: &rng) ? 1 : -1)
        case 3: return [0.0, -0.0, 0.1, 1e15, 1e16, 1e20, 1e-7, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .leastNormalMagnitude].randomElement(using: &rng)!
        case 4: return rng.uniform(-1, 1) * pow(10, Double(Int.random(in: -30...30, using: &rng)))
        default: return (rng.uniform(0, 1) * 1000).rounded() / 100
        }
    }

    /// Keys as the API writes them: lower-case ASCII letters and `_` (where `JSONSerialization`'s case-insensitive,
    /// numeric order and the writer's byte order agree).
    static func key(_ rng: inout RepeatableRandomNumberGenerator) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz_")
        return String((0..<Int.random(in: 1...8, using: &rng)).map { _ in letters.randomElement(using: &rng)! })
    }

    static func value(_ rng: inout RepeatableRandomNumberGenerator, depth: Int) -> Any {
        switch Int.random(in: 0..<(depth < 3 ? 9 : 7), using: &rng) {
        case 0: return text(&rng)
        case 1: return double(&rng)
        case 2: return Int.random(in: Int.min...Int.max, using: &rng)
        case 3: return Bool.random(using: &rng)
        case 4: return NSNull()
        case 5: return Int64.random(in: -1000...1000, using: &rng)
        case 6: return [text(&rng), text(&rng)]
        case 7: return (0..<Int.random(in: 0...4, using: &rng)).map { _ in value(&rng, depth: depth + 1) }
        default: return object(&rng, depth: depth + 1)
        }
    }

    static func object(_ rng: inout RepeatableRandomNumberGenerator, depth: Int) -> [String: Any] {
        var object: [String: Any] = [:]
        for _ in 0..<Int.random(in: 0...8, using: &rng) { object[key(&rng)] = value(&rng, depth: depth) }
        return object
    }

    @Test func answersAreWhatJSONSerializationWrites() throws {
        var rng = RepeatableRandomNumberGenerator(seed: 2026)
        for _ in 0..<2_000 {
            let object = Self.object(&rng, depth: 0)
            let expected = Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            let written = try JSONWriter.bytes(of: object)
            #expect(
                written == expected,
                "\(String(decoding: written, as: UTF8.self)) != \(String(decoding: expected, as: UTF8.self))")
        }
    }

    @Test func scalarsRoundTripThroughJSONDecoder() throws {
        var rng = RepeatableRandomNumberGenerator(seed: 7)
        for _ in 0..<5_000 {
            let number = Self.double(&rng), text = Self.text(&rng)
            let bytes = try JSONWriter.bytes(of: ["n": number, "s": text] as [String: Any])
            let decoded = try JSONDecoder().decode([String: Scalar].self, from: Data(bytes))
            #expect(decoded["n"] == .number(number), "\(number) came back as \(String(describing: decoded["n"]))")
            #expect(decoded["s"] == .text(text))
        }
    }

    enum Scalar: Decodable, Equatable {
        case number(Double), text(String)
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { self = .text(text) } else { self = .number(try container.decode(Double.self)) }
        }
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, .signalingNaN])
    func nonFiniteNumbersAreRefused(_ number: Double) {
        #expect(throws: JSONWriter.Failure.self) { try JSONWriter.bytes(of: ["a": [1, number]] as [String: Any]) }
        #expect(throws: (any Error).self) { try JSONSerialization.data(withJSONObject: ["a": [1, number]] as [String: Any]) }
    }

    @Test func unsupportedValuesAreRefused() {
        #expect(throws: JSONWriter.Failure.unsupported("Date")) { try JSONWriter.bytes(of: ["a": Date()] as [String: Any]) }
    }

    @Test func optionalsAndNumbersFromFoundation() throws {
        let absent: String? = nil
        let object: [String: Any] = [
            "a": absent as Any, "b": Optional("x") as Any, "c": NSNumber(value: 2.5), "d": NSNumber(value: true),
            "e": NSNumber(value: -7), "f": Float(1.5), "g": UInt8(200),
        ]
        #expect(String(decoding: try JSONWriter.bytes(of: object), as: UTF8.self)
            == #"{"a":null,"b":"x","c":2.5,"d":true,"e":-7,"f":1.5,"g":200}"#)
    }

    // MARK: - Ledger events

    static func event(_ rng: inout RepeatableRandomNumberGenerator) -> LedgerEvent {
        func maybe<T>(_ make: () -> T) -> T? { Bool.random(using: &rng) ? make() : nil }
        func time() -> Timestamp { Timestamp(secondsSinceEpoch: Int64.random(in: -1 << 40...1 << 40, using: &rng)) }
        var event = LedgerEvent(
            kind: LedgerEventKind.allCases.randomElement(using: &rng)!, time: time(), actor: Self.text(&rng))
        event.leadID = maybe { Self.text(&rng) }
        event.offerID = maybe { Self.text(&rng) }
        event.partnerID = maybe { Self.text(&rng) }
        event.reason = maybe { Self.text(&rng) }
        event.modelVersion = maybe { Self.text(&rng) }
        event.lead = maybe {
            Lead(
                id: Self.text(&rng), created: time(), region: Self.text(&rng), country: Self.text(&rng),
                vertical: Self.text(&rng), technology: Self.text(&rng), sizeBand: Self.text(&rng),
                estimatedValue: Self.double(&rng), source: Self.text(&rng),
                requiredCertifications: (0..<Int.random(in: 0...3, using: &rng)).map { _ in Self.text(&rng) },
                accountID: maybe { Self.text(&rng) })
        }
        event.candidates = maybe {
            (0..<Int.random(in: 0...5, using: &rng)).map { _ in
                LiveCandidate(
                    partnerID: Self.text(&rng), expectedValue: Self.double(&rng), winProbability: maybe { Self.double(&rng) },
                    isAccountOwner: Bool.random(using: &rng))
            }
        }
        event.offer = maybe {
            OfferExplanation(
                expectedValue: Self.double(&rng), winProbability: maybe { Self.double(&rng) },
                rank: Int.random(in: 1...100, using: &rng), candidateCount: Int.random(in: 0...100, using: &rng),
                shadowPrice: Self.double(&rng), bestAlternative: maybe { Self.text(&rng) },
                alternativeExpectedValue: maybe { Self.double(&rng) }, alternativeNotChosen: maybe { Self.text(&rng) },
                basis: Self.text(&rng))
        }
        event.expiresAt = maybe { time() }
        event.won = maybe { Bool.random(using: &rng) }
        event.revenue = maybe { Self.double(&rng) }
        event.prices = maybe {
            Dictionary((0..<Int.random(in: 0...4, using: &rng)).map { _ in (Self.text(&rng), Self.double(&rng)) }) { a, _ in a }
        }
        return event
    }

    @Test func eventsReadBackAsTheyWereAndAsJSONEncoderWroteThem() throws {
        var rng = RepeatableRandomNumberGenerator(seed: 13)
        for _ in 0..<1_000 {
            let event = Self.event(&rng)
            let written = try event.jsonBytes()
            #expect(try JSONDecoder().decode(LedgerEvent.self, from: Data(written)) == event)
            // The same JSON value as JSONEncoder's (keys, nil fields left out, numbers), whatever the key order.
            let ours = try JSONSerialization.jsonObject(with: Data(written)) as! NSDictionary
            let foundation = try JSONSerialization.jsonObject(with: JSONEncoder().encode(event)) as! NSDictionary
            #expect(ours == foundation)
        }
    }

    @Test func eventsWithNonFiniteNumbersAreRefused() {
        var event = LedgerEvent(kind: .outcome, time: Timestamp(secondsSinceEpoch: 0), actor: "router")
        event.revenue = .nan
        #expect(throws: JSONWriter.Failure.self) { try event.jsonBytes() }
        event.revenue = 1
        event.prices = ["P1": .infinity]
        #expect(throws: JSONWriter.Failure.self) { try event.jsonBytes() }
    }
}
