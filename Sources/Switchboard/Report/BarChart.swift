/// One named set of bars of a `BarChart`: a value a category.
public struct BarSeries: Sendable, Equatable {
    public var name: String
    public var colour: String
    public var values: [Double]

    public init(name: String, colour: String, values: [Double]) {
        self.name = name
        self.colour = colour
        self.values = values
    }
}

/// Vertical bars, grouped by category: category c takes the band [plotLeft + c·w, plotLeft + (c + 1)·w) with
/// w = plotWidth / categories; inside it the series' bars stand side by side, after a gap of `padding`·w/2.
/// A bar of value v spans from yScale(0) to yScale(v). A `background` series (capacity, say) is drawn behind, one
/// full-width bar per category, in a light tint of its colour.
public struct BarChart: Sendable, Equatable {
    public var frame: ChartFrame
    public var categories: [String]
    public var series: [BarSeries]
    public var background: BarSeries?
    public var valueAxis: ChartAxis
    /// The title under the categories.
    public var categoryTitle: String
    /// Every how many categories a label is written (1: each; 0: none); the first is always labelled.
    public var labelStride: Int
    /// The share of each band left empty between groups, in [0, 1).
    public var padding: Double
    /// Each bar's value written above it, in the value axis's format with these decimals (for a few bars); nil
    /// for none.
    public var valueLabelDecimals: Int?
    public var description: String

    public init(
        frame: ChartFrame, categories: [String], series: [BarSeries], background: BarSeries? = nil, valueAxis: ChartAxis,
        categoryTitle: String, labelStride: Int = 1, padding: Double = 0.2, valueLabelDecimals: Int? = nil, description: String
    ) {
        self.frame = frame
        self.categories = categories
        self.series = series
        self.background = background
        self.valueAxis = valueAxis
        self.categoryTitle = categoryTitle
        self.labelStride = labelStride
        self.padding = padding
        self.valueLabelDecimals = valueLabelDecimals
        self.description = description
    }

    public var valueScale: LinearScale {
        LinearScale(lower: valueAxis.lower, upper: valueAxis.upper, start: frame.plotBottom, end: frame.plotTop)
    }

    /// The width of one category's band.
    public var bandWidth: Double { categories.isEmpty ? 0 : frame.plotWidth / Double(categories.count) }

    /// The rectangle of series `seriesIndex`'s bar in category `category`: x, y (top), width, height.
    public func bar(series seriesIndex: Int, category: Int) -> (x: Double, y: Double, width: Double, height: Double) {
        let band = bandWidth
        let inner = band * (1 - padding)
        let width = inner / Double(max(1, series.count))
        let x = frame.plotLeft + Double(category) * band + (band - inner) / 2 + Double(seriesIndex) * width
        let value = series[seriesIndex].values[category]
        let zero = valueScale(max(valueAxis.lower, min(valueAxis.upper, 0)))
        let top = valueScale(max(valueAxis.lower, min(valueAxis.upper, value)))
        return (x, min(zero, top), width, abs(zero - top))
    }

    public func render() -> Markup {
        let scale = valueScale
        var parts = ChartDrawing.verticalAxis(valueAxis, scale: scale, frame: frame)
        let band = bandWidth
        if let background {
            var group: [Markup] = []
            for (c, value) in background.values.enumerated() where c < categories.count {
                let zero = scale(max(valueAxis.lower, 0))
                let top = scale(min(valueAxis.upper, max(valueAxis.lower, value)))
                let inner = band * (1 - padding)
                group.append(
                    ChartDrawing.rect(
                        x: frame.plotLeft + Double(c) * band + (band - inner) / 2, y: min(zero, top), width: inner,
                        height: abs(zero - top), fill: background.colour, extra: [.init("fill-opacity", "0.28")]))
            }
            parts.append(.tag("g", [.init("class", "background")], group))
        }
        for (s, bars) in series.enumerated() {
            var group: [Markup] = []
            for c in categories.indices where c < bars.values.count {
                let rect = bar(series: s, category: c)
                group.append(ChartDrawing.rect(x: rect.x, y: rect.y, width: rect.width, height: rect.height, fill: bars.colour))
                if let valueLabelDecimals {
                    let value = bars.values[c]
                    let label: String
                    switch valueAxis.format {
                    case .number: label = NumberFormat.fixed(value, valueLabelDecimals)
                    case .percent: label = NumberFormat.percent(value, valueLabelDecimals)
                    case .grouped: label = NumberFormat.grouped(value)
                    }
                    group.append(
                        ChartDrawing.text(label, x: rect.x + rect.width / 2, y: rect.y - 3, anchor: "middle", size: 9))
                }
            }
            parts.append(.tag("g", [.init("class", "series")], group))
        }
        // Category labels and the axis line.
        for (c, category) in categories.enumerated() where labelStride > 0 && (c % labelStride == 0) {
            let x = frame.plotLeft + (Double(c) + 0.5) * band
            parts.append(ChartDrawing.text(category, x: x, y: frame.plotBottom + 16, anchor: "middle", size: 10))
        }
        parts.append(
            ChartDrawing.line(
                x1: frame.plotLeft, y1: frame.plotBottom, x2: frame.plotRight, y2: frame.plotBottom,
                stroke: ChartPalette.axisLine))
        parts.append(
            ChartDrawing.text(
                categoryTitle, x: (frame.plotLeft + frame.plotRight) / 2, y: frame.height - 8, anchor: "middle"))
        var legend = series.map { ($0.name, $0.colour, false) }
        if let background { legend.append((background.name, background.colour, false)) }
        if legend.count > 1 || background != nil {
            parts += ChartDrawing.legend(legend, frame: frame)
        }
        return ChartDrawing.svg(frame, description: description, parts)
    }
}

/// One bar of a `HorizontalBarChart`.
public struct LabelledBar: Sendable, Equatable {
    public var label: String
    public var value: Double
    /// Written at the bar's end (the value formatted for people: `12.3%`, `1,250`).
    public var valueLabel: String
    public var colour: String

    public init(label: String, value: Double, valueLabel: String, colour: String = ChartPalette.blue) {
        self.label = label
        self.value = value
        self.valueLabel = valueLabel
        self.colour = colour
    }
}

/// Horizontal bars, one a row, labelled on the left, each with its value written at its end. Row r takes the band
/// [plotTop + r·h, plotTop + (r + 1)·h) with h = plotHeight / rows; a bar of value v spans from xScale(0) to
/// xScale(v). The frame's left margin should hold the longest label (`frameFitting` sizes it).
public struct HorizontalBarChart: Sendable, Equatable {
    public var frame: ChartFrame
    public var bars: [LabelledBar]
    public var valueAxis: ChartAxis
    public var description: String

    public init(frame: ChartFrame, bars: [LabelledBar], valueAxis: ChartAxis, description: String) {
        self.frame = frame
        self.bars = bars
        self.valueAxis = valueAxis
        self.description = description
    }

    /// A frame `width` wide with a left margin that fits the longest label and `rowHeight` per bar.
    public static func frameFitting(_ bars: [LabelledBar], width: Double, rowHeight: Double = 24) -> ChartFrame {
        let longest = bars.map { ChartDrawing.textWidth($0.label) }.max() ?? 0
        let longestValue = bars.map { ChartDrawing.textWidth($0.valueLabel, fontSize: 10) }.max() ?? 0
        return ChartFrame(
            width: width, height: 16 + Double(bars.count) * rowHeight + 40, left: min(width / 2, longest + 16),
            right: longestValue + 12, top: 12, bottom: 40)
    }

    public var valueScale: LinearScale {
        LinearScale(lower: valueAxis.lower, upper: valueAxis.upper, start: frame.plotLeft, end: frame.plotRight)
    }

    /// The rectangle of bar `row`: x, y (top), width, height (70% of its band).
    public func bar(_ row: Int) -> (x: Double, y: Double, width: Double, height: Double) {
        let band = frame.plotHeight / Double(max(1, bars.count))
        let zero = valueScale(max(valueAxis.lower, min(valueAxis.upper, 0)))
        let end = valueScale(max(valueAxis.lower, min(valueAxis.upper, bars[row].value)))
        return (min(zero, end), frame.plotTop + Double(row) * band + 0.15 * band, abs(end - zero), 0.7 * band)
    }

    public func render() -> Markup {
        var parts = ChartDrawing.horizontalAxis(valueAxis, scale: valueScale, frame: frame)
        for (row, entry) in bars.enumerated() {
            let rect = bar(row)
            let middle = rect.y + rect.height / 2 + 4
            parts.append(ChartDrawing.text(entry.label, x: frame.plotLeft - 8, y: middle, anchor: "end"))
            parts.append(ChartDrawing.rect(x: rect.x, y: rect.y, width: rect.width, height: rect.height, fill: entry.colour))
            parts.append(ChartDrawing.text(entry.valueLabel, x: rect.x + rect.width + 4, y: middle, size: 10))
        }
        parts.append(
            ChartDrawing.line(
                x1: frame.plotLeft, y1: frame.plotTop, x2: frame.plotLeft, y2: frame.plotBottom, stroke: ChartPalette.axisLine))
        return ChartDrawing.svg(frame, description: description, parts)
    }
}
