/// The geometry shared by the report's SVG charts: the frame and its plot area, linear scales, axes with "nice"
/// ticks, a legend and the colour palette. Everything is in SVG user units (pixels at 100%), y growing downwards.
///
/// Charts are values; `render()` returns `Markup`, so every label is escaped and every element closed.
public struct ChartFrame: Sendable, Equatable {
    public var width: Double
    public var height: Double
    /// Margins around the plot area (axes, tick labels, axis titles and the legend live there).
    public var left: Double
    public var right: Double
    public var top: Double
    public var bottom: Double

    public init(width: Double, height: Double, left: Double = 56, right: Double = 16, top: Double = 30, bottom: Double = 44) {
        self.width = width
        self.height = height
        self.left = left
        self.right = right
        self.top = top
        self.bottom = bottom
    }

    public var plotLeft: Double { left }
    public var plotRight: Double { width - right }
    public var plotTop: Double { top }
    public var plotBottom: Double { height - bottom }
    public var plotWidth: Double { plotRight - plotLeft }
    public var plotHeight: Double { plotBottom - plotTop }
}

/// Maps [lower, upper] linearly onto [start, end] (for a y axis, start is the bottom: end < start).
public struct LinearScale: Sendable, Equatable {
    public var lower: Double
    public var upper: Double
    public var start: Double
    public var end: Double

    public init(lower: Double, upper: Double, start: Double, end: Double) {
        self.lower = lower
        self.upper = upper
        self.start = start
        self.end = end
    }

    /// start + (value − lower)·(end − start)/(upper − lower); the middle of the range for an empty domain.
    public func callAsFunction(_ value: Double) -> Double {
        guard upper > lower else { return (start + end) / 2 }
        return start + (value - lower) * (end - start) / (upper - lower)
    }
}

/// How tick labels are written.
public enum TickFormat: Sendable, Equatable {
    /// As numbers, with as many decimals as the tick step needs (0.2 → 1, 0.25 → 2, 50 → 0).
    case number
    /// As percentages of 1 (0.25 → `25%`), with as many decimals as the step in percent needs.
    case percent
    /// Whole numbers with thousands separators (`12,500`).
    case grouped
}

/// One axis: its title, its domain and its ticks.
public struct ChartAxis: Sendable, Equatable {
    public var label: String
    public var lower: Double
    public var upper: Double
    /// Tick positions, inside the domain, increasing.
    public var ticks: [Double]
    public var format: TickFormat

    /// An axis over `domain` with about `tickCount` ticks at nice values (1, 2 or 5 times a power of ten).
    public init(label: String, domain: ClosedRange<Double>, tickCount: Int = 5, format: TickFormat = .number) {
        self.label = label
        lower = domain.lowerBound
        upper = domain.upperBound
        ticks = ChartAxis.niceTicks(lower: lower, upper: upper, count: tickCount)
        self.format = format
    }

    /// The domain from 0 (or the smallest value, when negative) to a nice number at or above the largest value, so
    /// that the top tick closes the axis: [0, 1] for values up to 1 in steps of 0.2.
    public static func covering(_ values: [Double], tickCount: Int = 5) -> ClosedRange<Double> {
        let low = min(0, values.filter(\.isFinite).min() ?? 0)
        var high = max(0, values.filter(\.isFinite).max() ?? 0)
        if high <= low { high = low + 1 }
        let step = niceStep((high - low) / Double(max(1, tickCount)))
        return low...((high / step).rounded(.up) * step * 1e9).rounded() / 1e9
    }

    /// 1, 2, 2.5 or 5 times a power of ten, the smallest at or above `rough` (as the nearest Double: 5 × 10⁻² is
    /// computed as 5 / 100, so it equals the literal 0.05).
    public static func niceStep(_ rough: Double) -> Double {
        guard rough > 0 && rough.isFinite else { return 1 }
        var exponent = 0
        while value(1, exponent + 1) <= rough { exponent += 1 }
        while value(1, exponent) > rough { exponent -= 1 }
        for multiple in [1.0, 2, 2.5, 5] where value(multiple, exponent) >= rough * (1 - 1e-12) {
            return value(multiple, exponent)
        }
        return value(1, exponent + 1)
    }

    /// multiple × 10^exponent, by one multiplication or one division of exact numbers.
    static func value(_ multiple: Double, _ exponent: Int) -> Double {
        exponent >= 0 ? multiple * NumberFormat.pow10(exponent) : multiple / NumberFormat.pow10(-exponent)
    }

    /// The multiples of a nice step (about (upper − lower)/count) inside [lower, upper].
    public static func niceTicks(lower: Double, upper: Double, count: Int) -> [Double] {
        guard upper > lower, count >= 1 else { return [lower] }
        let step = niceStep((upper - lower) / Double(count))
        var ticks: [Double] = []
        var k = (lower / step).rounded(.up)
        while k * step <= upper + step * 1e-9 {
            // k·step, cleaned of accumulated rounding (0.30000000000000004 → 0.3).
            let value = (k * step * 1e9).rounded() / 1e9
            ticks.append(value == 0 ? 0 : value)
            k += 1
        }
        return ticks
    }

    /// The step between ticks (1 with fewer than two ticks).
    var step: Double { ticks.count >= 2 ? ticks[1] - ticks[0] : 1 }

    /// A tick's label in the axis's format.
    public func label(_ value: Double) -> String {
        switch format {
        case .number: return NumberFormat.fixed(value, Self.decimals(step))
        case .percent: return NumberFormat.fixed(100 * value, Self.decimals(100 * step)) + "%"
        case .grouped: return NumberFormat.grouped(value)
        }
    }

    /// The decimals that show a step exactly: 0 for 5 or 50, 1 for 0.2, 2 for 0.25.
    static func decimals(_ step: Double) -> Int {
        var decimals = 0
        var scaled = abs(step)
        while decimals < 6 && abs(scaled - scaled.rounded()) > 1e-9 * max(1, scaled) {
            scaled *= 10
            decimals += 1
        }
        return decimals
    }
}

/// One point of a line.
public struct ChartPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    /// The first and last points, and every point at least `spacing` (in domain units, the larger of |Δx| and |Δy|)
    /// from the last one kept: a curve of thousands of points drawn with a few hundred, indistinguishable on screen.
    public static func thinned(_ points: [ChartPoint], spacing: Double) -> [ChartPoint] {
        guard points.count > 2 else { return points }
        var kept = [points[0]]
        for point in points.dropFirst().dropLast() {
            let last = kept[kept.count - 1]
            if max(abs(point.x - last.x), abs(point.y - last.y)) >= spacing { kept.append(point) }
        }
        kept.append(points[points.count - 1])
        return kept
    }
}

/// The report's colours: the Okabe–Ito palette, distinguishable with the common colour-vision deficiencies.
public enum ChartPalette {
    public static let blue = "#0072B2"
    public static let orange = "#E69F00"
    public static let green = "#009E73"
    public static let vermillion = "#D55E00"
    public static let purple = "#CC79A7"
    public static let sky = "#56B4E9"
    public static let grey = "#8C8C8C"
    public static let gridLine = "#E3E3E3"
    public static let axisLine = "#555555"
    public static let text = "#222222"

    /// The colours given to series in order.
    public static let series = [blue, orange, green, vermillion, purple, sky]
}

/// Drawing helpers shared by the charts.
enum ChartDrawing {
    /// The approximate width of `text` at `fontSize` in a sans-serif face (0.58 em a character): enough to keep
    /// legends and labels from overlapping without measuring fonts.
    static func textWidth(_ text: String, fontSize: Double = 11) -> Double {
        Double(text.count) * fontSize * 0.58
    }

    static func number(_ value: Double) -> String { NumberFormat.coordinate(value) }

    static func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, dashed: Bool = false)
        -> Markup
    {
        var attributes: [Markup.Attribute] = [
            .init("x1", number(x1)), .init("y1", number(y1)), .init("x2", number(x2)), .init("y2", number(y2)),
            .init("stroke", stroke), .init("stroke-width", number(width)),
        ]
        if dashed { attributes.append(.init("stroke-dasharray", "5 4")) }
        return .empty("line", attributes)
    }

    static func text(
        _ content: String, x: Double, y: Double, anchor: String = "start", size: Double = 11, fill: String = ChartPalette.text,
        extra: [Markup.Attribute] = []
    ) -> Markup {
        .tag(
            "text",
            [
                .init("x", number(x)), .init("y", number(y)), .init("text-anchor", anchor), .init("font-size", number(size)),
                .init("fill", fill),
            ] + extra, text: content)
    }

    static func rect(x: Double, y: Double, width: Double, height: Double, fill: String, extra: [Markup.Attribute] = [])
        -> Markup
    {
        .empty(
            "rect",
            [
                .init("x", number(x)), .init("y", number(y)), .init("width", number(max(0, width))),
                .init("height", number(max(0, height))), .init("fill", fill),
            ] + extra)
    }

    /// The `<svg>` element of a chart: its size, a view box of the same size, and an accessible description.
    static func svg(_ frame: ChartFrame, description: String, _ children: [Markup]) -> Markup {
        .tag(
            "svg",
            [
                .init("width", number(frame.width)), .init("height", number(frame.height)),
                .init("viewBox", "0 0 \(number(frame.width)) \(number(frame.height))"), .init("role", "img"),
                .init("aria-label", description), .init("font-family", "sans-serif"),
            ], [.tag("title", text: description)] + children)
    }

    /// The vertical axis at the plot's left: grid lines, tick labels and the rotated title.
    static func verticalAxis(_ axis: ChartAxis, scale: LinearScale, frame: ChartFrame) -> [Markup] {
        var parts: [Markup] = []
        for tick in axis.ticks {
            let y = scale(tick)
            parts.append(line(x1: frame.plotLeft, y1: y, x2: frame.plotRight, y2: y, stroke: ChartPalette.gridLine))
            parts.append(text(axis.label(tick), x: frame.plotLeft - 6, y: y + 4, anchor: "end", size: 10))
        }
        parts.append(
            line(
                x1: frame.plotLeft, y1: frame.plotTop, x2: frame.plotLeft, y2: frame.plotBottom, stroke: ChartPalette.axisLine))
        let middle = (frame.plotTop + frame.plotBottom) / 2
        parts.append(
            text(
                axis.label, x: 14, y: middle, anchor: "middle",
                extra: [.init("transform", "rotate(-90 14 \(number(middle)))")]))
        return parts
    }

    /// The horizontal axis at the plot's bottom: grid lines, tick labels and the title.
    static func horizontalAxis(_ axis: ChartAxis, scale: LinearScale, frame: ChartFrame, grid: Bool = true) -> [Markup] {
        var parts: [Markup] = []
        for tick in axis.ticks {
            let x = scale(tick)
            if grid { parts.append(line(x1: x, y1: frame.plotTop, x2: x, y2: frame.plotBottom, stroke: ChartPalette.gridLine)) }
            parts.append(line(x1: x, y1: frame.plotBottom, x2: x, y2: frame.plotBottom + 4, stroke: ChartPalette.axisLine))
            parts.append(text(axis.label(tick), x: x, y: frame.plotBottom + 16, anchor: "middle", size: 10))
        }
        parts.append(
            line(
                x1: frame.plotLeft, y1: frame.plotBottom, x2: frame.plotRight, y2: frame.plotBottom,
                stroke: ChartPalette.axisLine))
        parts.append(
            text(axis.label, x: (frame.plotLeft + frame.plotRight) / 2, y: frame.height - 8, anchor: "middle"))
        return parts
    }

    /// A legend above the plot: a swatch and the name of each entry, left to right, wrapping onto a new row when the
    /// next entry would pass the plot's right edge.
    static func legend(_ entries: [(name: String, colour: String, dashed: Bool)], frame: ChartFrame) -> [Markup] {
        var parts: [Markup] = []
        var x = frame.plotLeft
        var y = 14.0
        for entry in entries {
            let width = 22 + textWidth(entry.name) + 14
            if x > frame.plotLeft && x + width > frame.plotRight {
                x = frame.plotLeft
                y += 14
            }
            parts.append(line(x1: x, y1: y - 4, x2: x + 16, y2: y - 4, stroke: entry.colour, width: 3, dashed: entry.dashed))
            parts.append(text(entry.name, x: x + 21, y: y))
            x += width
        }
        return parts
    }
}
