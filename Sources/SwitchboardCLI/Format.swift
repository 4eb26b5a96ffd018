import Learning
import Switchboard

/// Text for people: numbers as the domain's `NumberFormat` writes them (the report's too), and aligned tables.
enum Format {
    static func fixed(_ value: Double, _ decimals: Int = 4) -> String { NumberFormat.fixed(value, decimals) }

    /// A log-odds contribution with its sign, two decimals: `+0.31`, `−0.41` (a true minus sign).
    static func signed(_ value: Double) -> String {
        let text = fixed(abs(value), 2)
        return (value < 0 && text != "0.00" ? "−" : "+") + text
    }

    static func meanAndDeviation(_ value: MeanAndDeviation, _ decimals: Int = 4) -> String {
        "\(fixed(value.mean, decimals)) ± \(fixed(value.standardDeviation, decimals))"
    }

    /// A table with a header and right-aligned columns after the first.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return all.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
