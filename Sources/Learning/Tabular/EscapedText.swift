/// Text from a file made safe to print in a one-line message: control characters are shown escaped, so a NUL or
/// an escape sequence in the input never reaches the terminal raw nor cuts the message short.
public enum EscapedText {
    /// `text` with each control character escaped: NUL as `\0`, tab, CR and LF as `\t`, `\r`, `\n`, other C0
    /// controls, DEL and the C1 controls as `\u{hh}`; a backslash stays as it is. With `keepingNewlines`, a line feed
    /// is kept (for messages of several lines).
    public static func controls(in text: String, keepingNewlines: Bool = true) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\0": result += "\\0"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case "\n": result += keepingNewlines ? "\n" : "\\n"
            case _ where isControl(scalar): result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A value quoted from a file: every control character escaped, line feeds included.
    public static func value(_ text: String) -> String { controls(in: text, keepingNewlines: false) }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
