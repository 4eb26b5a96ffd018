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
