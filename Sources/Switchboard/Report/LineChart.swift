/// A named line of a `LineChart`.
public struct ChartSeries: Sendable, Equatable {
    public var name: String
    public var colour: String
    public var points: [ChartPoint]
    /// Drawn dashed (reference lines: the diagonal of a ROC or calibration chart, perfect equality).
    public var dashed: Bool
    /// A dot at every point (short series such as calibration bins).
    public var markers: Bool
    /// Each dot's radius (one a point); nil for 3.5 each.
    public var markerRadii: [Double]?

    public init(
        name: String, colour: String, points: [ChartPoint], dashed: Bool = false, markers: Bool = false,
        markerRadii: [Double]? = nil
    ) {
        self.name = name
        self.colour = colour
        self.points = points
        self.dashed = dashed
        self.markers = markers
        self.markerRadii = markerRadii
    }
}

/// Lines over two numeric axes, with grid, tick labels, axis titles and a legend.
///
/// A point (x, y) is drawn at (xScale(x), yScale(y)) with xScale mapping [x.lower, x.upper] onto
/// [plotLeft, plotRight] and yScale mapping [y.lower, y.upper] onto [plotBottom, plotTop]; points outside the
/// domain are clamped to the plot's edge. Each series is one `<polyline>` (plus a `<circle>` a point with markers).
public struct LineChart: Sendable, Equatable {
    public var frame: ChartFrame
    public var xAxis: ChartAxis
    public var yAxis: ChartAxis
    public var series: [ChartSeries]
    /// What the chart shows, for screen readers and the SVG's `<title>`.
    public var description: String

    public init(frame: ChartFrame, xAxis: ChartAxis, yAxis: ChartAxis, series: [ChartSeries], description: String) {
        self.frame = frame
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.series = series
        self.description = description
    }

    public var xScale: LinearScale {
        LinearScale(lower: xAxis.lower, upper: xAxis.upper, start: frame.plotLeft, end: frame.plotRight)
    }

    public var yScale: LinearScale {
        LinearScale(lower: yAxis.lower, upper: yAxis.upper, start: frame.plotBottom, end: frame.plotTop)
    }

    /// The SVG position of a data point, clamped to the plot area.
    public func position(_ point: ChartPoint) -> (x: Double, y: Double) {
        let x = min(frame.plotRight, max(frame.plotLeft, xScale(point.x)))
        let y = min(frame.plotBottom, max(frame.plotTop, yScale(point.y)))
        return (x, y)
    }

    /// The `points` attribute of a series' polyline: `x,y` pairs separated by spaces.
    public func polylinePoints(_ series: ChartSeries) -> String {
        series.points.map { point in
            let (x, y) = position(point)
            return "\(ChartDrawing.number(x)),\(ChartDrawing.number(y))"
        }.joined(separator: " ")
    }

    public func render() -> Markup {
        var parts = ChartDrawing.verticalAxis(yAxis, scale: yScale, frame: frame)
        parts += ChartDrawing.horizontalAxis(xAxis, scale: xScale, frame: frame)
        for line in series where !line.points.isEmpty {
            var attributes: [Markup.Attribute] = [
                .init("points", polylinePoints(line)), .init("fill", "none"), .init("stroke", line.colour),
                .init("stroke-width", line.dashed ? "1.5" : "2.25"), .init("stroke-linejoin", "round"),
            ]
            if line.dashed { attributes.append(.init("stroke-dasharray", "5 4")) }
            var group: [Markup] = [.empty("polyline", attributes)]
            if line.markers {
                for (index, point) in line.points.enumerated() {
                    let (x, y) = position(point)
                    let radius = line.markerRadii.flatMap { index < $0.count ? $0[index] : nil } ?? 3.5
                    group.append(
                        .empty(
                            "circle",
                            [
                                .init("cx", ChartDrawing.number(x)), .init("cy", ChartDrawing.number(y)),
                                .init("r", ChartDrawing.number(radius)),
                                .init("fill", line.colour), .init("stroke", "#ffffff"), .init("stroke-width", "1"),
                            ]))
                }
            }
            parts.append(.tag("g", [.init("class", "series")], group))
        }
        parts += ChartDrawing.legend(series.map { ($0.name, $0.colour, $0.dashed) }, frame: frame)
        return ChartDrawing.svg(frame, description: description, parts)
    }
}
