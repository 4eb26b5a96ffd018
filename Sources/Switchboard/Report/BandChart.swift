/// A history line continued by a forecast line inside a shaded prediction band, over two numeric axes.
///
/// The band is one `<polygon>`: the `low` values left to right, then the `high` values right to left; the history
/// and the forecast are `<polyline>`s (the forecast dashed, starting at the history's last point so the two join).
/// Points outside the axes' domains are clamped to the plot's edge, as in `LineChart`.
public struct BandChart: Sendable, Equatable {
    /// One forecast point: x, the central value and the band around it.
    public struct BandPoint: Sendable, Equatable {
        public var x: Double
        public var value: Double
        public var low: Double
        public var high: Double

        public init(x: Double, value: Double, low: Double, high: Double) {
            self.x = x
            self.value = value
            self.low = low
            self.high = high
        }
    }

    public var frame: ChartFrame
    public var xAxis: ChartAxis
    public var yAxis: ChartAxis
    public var history: [ChartPoint]
    public var forecast: [BandPoint]
    public var historyName: String
    public var forecastName: String
    public var bandName: String
    public var description: String

    public init(
        frame: ChartFrame, xAxis: ChartAxis, yAxis: ChartAxis, history: [ChartPoint], forecast: [BandPoint],
        historyName: String, forecastName: String, bandName: String, description: String
    ) {
        self.frame = frame
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.history = history
        self.forecast = forecast
        self.historyName = historyName
        self.forecastName = forecastName
        self.bandName = bandName
        self.description = description
    }

    static let bandFill = "#F5C77E"

    /// The SVG position of (x, y), clamped to the plot area.
    public func position(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        let xScale = LinearScale(lower: xAxis.lower, upper: xAxis.upper, start: frame.plotLeft, end: frame.plotRight)
        let yScale = LinearScale(lower: yAxis.lower, upper: yAxis.upper, start: frame.plotBottom, end: frame.plotTop)
        return (
            min(frame.plotRight, max(frame.plotLeft, xScale(x))), min(frame.plotBottom, max(frame.plotTop, yScale(y)))
        )
    }

    func points(_ values: [(Double, Double)]) -> String {
        values.map { x, y in
            let p = position(x, y)
            return "\(ChartDrawing.number(p.x)),\(ChartDrawing.number(p.y))"
        }.joined(separator: " ")
    }

    /// The band polygon's `points`: lows left to right, then highs right to left.
    public var bandPoints: String {
        points(forecast.map { ($0.x, $0.low) } + forecast.reversed().map { ($0.x, $0.high) })
    }

    public func render() -> Markup {
        let xScale = LinearScale(lower: xAxis.lower, upper: xAxis.upper, start: frame.plotLeft, end: frame.plotRight)
        let yScale = LinearScale(lower: yAxis.lower, upper: yAxis.upper, start: frame.plotBottom, end: frame.plotTop)
        var parts = ChartDrawing.verticalAxis(yAxis, scale: yScale, frame: frame)
        parts += ChartDrawing.horizontalAxis(xAxis, scale: xScale, frame: frame)
        if !forecast.isEmpty {
            parts.append(
                .empty(
                    "polygon",
                    [
                        .init("points", bandPoints), .init("fill", Self.bandFill), .init("fill-opacity", "0.55"),
                        .init("stroke", "none"),
                    ]))
        }
        if !history.isEmpty {
            parts.append(
                .empty(
                    "polyline",
                    [
                        .init("points", points(history.map { ($0.x, $0.y) })), .init("fill", "none"),
                        .init("stroke", ChartPalette.blue), .init("stroke-width", "2.25"),
                        .init("stroke-linejoin", "round"),
                    ]))
        }
        if !forecast.isEmpty {
            let start = history.last.map { [($0.x, $0.y)] } ?? []
            parts.append(
                .empty(
                    "polyline",
                    [
                        .init("points", points(start + forecast.map { ($0.x, $0.value) })), .init("fill", "none"),
                        .init("stroke", ChartPalette.orange), .init("stroke-width", "2.25"),
                        .init("stroke-dasharray", "5 4"), .init("stroke-linejoin", "round"),
                    ]))
        }
        parts += ChartDrawing.legend(
            [
                (historyName, ChartPalette.blue, false), (forecastName, ChartPalette.orange, true),
                (bandName, Self.bandFill, false),
            ], frame: frame)
        return ChartDrawing.svg(frame, description: description, parts)
    }
}
