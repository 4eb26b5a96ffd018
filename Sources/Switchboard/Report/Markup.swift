/// A tree of HTML or SVG elements and text, rendered with every text and attribute value escaped.
///
/// Built as values and rendered once, so an element is always closed where it was opened and no data can inject
/// markup: text goes through `Markup.escape`. `raw` is for the report's own constants only (the doctype and the
/// style sheet, whose content HTML does not unescape).
public indirect enum Markup: Sendable, Equatable {
    /// `<name a="v" …>children</name>`, or `<name a="v" …/>` when `selfClosing` and there are no children.
    case element(name: String, attributes: [Attribute], children: [Markup], selfClosing: Bool)
    /// Text, escaped when rendered.
    case text(String)
    /// Markup written as is: constants of the report only, never data.
    case raw(String)

    /// One attribute; its value is escaped when rendered.
    public struct Attribute: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// An element with children (always written with a closing tag).
    public static func tag(_ name: String, _ attributes: [Attribute] = [], _ children: [Markup] = []) -> Markup {
        .element(name: name, attributes: attributes, children: children, selfClosing: false)
    }

    /// An element with text content.
    public static func tag(_ name: String, _ attributes: [Attribute] = [], text: String) -> Markup {
        .element(name: name, attributes: attributes, children: [.text(text)], selfClosing: false)
    }

    /// An SVG shape without content (`<line …/>`), or an HTML void element such as `meta`.
    public static func empty(_ name: String, _ attributes: [Attribute]) -> Markup {
        .element(name: name, attributes: attributes, children: [], selfClosing: true)
    }

    /// `&`, `<`, `>`, `"` and `'` as character references: safe in text and in quoted attribute values.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// The markup as text.
    public func rendered() -> String {
        var out = ""
        render(into: &out)
        return out
    }

    public func render(into out: inout String) {
        switch self {
        case let .text(text): out += Self.escape(text)
        case let .raw(text): out += text
        case let .element(name, attributes, children, selfClosing):
            out += "<" + name
            for attribute in attributes { out += " \(attribute.name)=\"\(Self.escape(attribute.value))\"" }
            if selfClosing && children.isEmpty {
                out += "/>"
                return
            }
            out += ">"
            for child in children { child.render(into: &out) }
            out += "</\(name)>"
        }
    }
}

/// Numbers as the report writes them.
public enum ReportNumber {
    /// `value` with at most `decimals` decimals, trailing zeros (and a trailing point) dropped, and no `-0`: the
    /// coordinates of SVG shapes (`12.5`, `40`, `-3.25`).
    public static func coordinate(_ value: Double, decimals: Int = 2) -> String {
        guard value.isFinite else { return "0" }
        var text = fixed(value, decimals)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// `value` with exactly `decimals` decimals, rounded half away from zero; `–` when it is not finite.
    public static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "–" }
        let scale = pow10(decimals)
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        let whole = (scaled / scale).rounded(.towardZero)
        var fraction = (scaled - whole * scale).rounded()
        var integer = whole
        if fraction >= scale {
            integer += 1
            fraction -= scale
        }
        var text = digits(integer)
        if decimals > 0 {
            var decimalDigits = digits(fraction)
            while decimalDigits.count < decimals { decimalDigits = "0" + decimalDigits }
            text += "." + decimalDigits
        }
        let isZero = scaled == 0
        return (value < 0 && !isZero ? "-" : "") + text
    }

    /// A whole number with thousands separators: `1,234,567`; negative numbers with a minus sign.
    public static func grouped(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        let rounded = value.rounded(.toNearestOrAwayFromZero)
        let whole = digits(abs(rounded))
        var text = ""
        for (index, character) in whole.enumerated() {
            if index > 0 && (whole.count - index) % 3 == 0 { text += "," }
            text.append(character)
        }
        return (rounded < 0 ? "−" : "") + text
    }

    /// `value` as a percentage with `decimals` decimals: `12.3%`.
    public static func percent(_ value: Double, _ decimals: Int = 1) -> String {
        fixed(100 * value, decimals) + "%"
    }

    static func pow10(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<max(0, exponent) { result *= 10 }
        return result
    }

    /// The digits of a whole, non-negative Double (exact below 2⁵³).
    private static func digits(_ whole: Double) -> String {
        whole < 9.0e15 ? String(Int64(whole)) : String(describing: whole)
    }
}
