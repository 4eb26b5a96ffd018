/// Numbers for people, the one way every command and the report write them: fixed decimals rounded half away from
/// zero (never `-0`), thousands grouped, percentages, chart coordinates. Data files keep Double's shortest exact form.
public enum NumberFormat {
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
