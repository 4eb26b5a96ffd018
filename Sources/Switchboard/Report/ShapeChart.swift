import Learning

/// A lead-score model's shape functions drawn as SVG, one panel a term, as explainable boosting machines show them:
/// a curve for a numeric input (log-odds against the input over its training range), bars for categories, date parts
/// and interaction cells (the 12 largest in magnitude when there are more), each panel scaled to its own largest
/// log-odds, which is printed beside it. Pure: the same shapes give the same bytes.
public enum ShapeChart {
    static let width = 640.0, panel = 170.0, plotLeft = 190.0, plotWidth = 420.0
    /// The most bars a panel draws (the largest in magnitude).
    static let maximumBars = 12

    /// The panels as one `<svg>` element (for a page: no namespace attribute needed inside HTML).
    public static func markup(_ shapes: [ShapeFunction]) -> Markup {
        .tag(
            "svg",
            [
                .init("width", "\(Int(width))"), .init("height", "\(Int(Double(shapes.count) * panel + 20))"),
                .init("font-family", "sans-serif"), .init("font-size", "11"), .init("role", "img"),
            ],
            shapes.enumerated().flatMap { index, shape in panelMarkup(shape, top: Double(index) * panel + 10) })
    }

    /// The panels as a standalone SVG file.
    public static func svg(_ shapes: [ShapeFunction]) -> String {
        guard case let .element(name, attributes, children, selfClosing) = markup(shapes) else { return "" }
        let file = Markup.element(
            name: name, attributes: [.init("xmlns", "http://www.w3.org/2000/svg")] + attributes, children: children,
            selfClosing: selfClosing)
        return file.rendered() + "\n"
    }

    /// A log-odds with its sign and two decimals, with a true minus sign.
    static func signed(_ value: Double) -> String {
        let text = NumberFormat.fixed(abs(value), 2)
        return (value < 0 && text != "0.00" ? "−" : "+") + text
    }

    static func number(_ value: Double) -> String { NumberFormat.fixed(value, 1) }

    static func panelMarkup(_ shape: ShapeFunction, top: Double) -> [Markup] {
        var out: [Markup] = [
            .tag("text", [.init("x", "10"), .init("y", number(top + 14)), .init("font-weight", "bold")], text: shape.term)
        ]
        var points = shape.points
        if shape.numericInputs == nil && points.count > maximumBars {
            points = Array(points.sorted { abs($0.value) > abs($1.value) }.prefix(maximumBars))
        }
        let largest = max(1e-9, points.map { abs($0.value) }.max() ?? 0)
        let middle = top + 20 + (panel - 40) / 2, half = (panel - 40) / 2
        out.append(
            .empty(
                "line",
                [
                    .init("x1", number(plotLeft)), .init("x2", number(plotLeft + plotWidth)), .init("y1", number(middle)),
                    .init("y2", number(middle)), .init("stroke", "#999"),
                ]))
        out.append(
            .tag(
                "text", [.init("x", number(plotLeft + plotWidth + 4)), .init("y", number(middle - half + 10))],
                text: signed(largest)))
        if let inputs = shape.numericInputs, inputs.count == points.count, let low = inputs.first, let high = inputs.last,
            high > low
        {
            let path = zip(inputs, points).map { x, point in
                "\(number(plotLeft + (x - low) / (high - low) * plotWidth)),\(number(middle - point.value / largest * half))"
            }.joined(separator: " ")
            out.append(
                .empty(
                    "polyline",
                    [.init("fill", "none"), .init("stroke", "#1f77b4"), .init("stroke-width", "2"), .init("points", path)]))
            out.append(.tag("text", [.init("x", number(plotLeft)), .init("y", number(top + panel - 6))], text: points[0].input))
            out.append(
                .tag(
                    "text",
                    [.init("x", number(plotLeft + plotWidth)), .init("y", number(top + panel - 6)), .init("text-anchor", "end")],
                    text: points[points.count - 1].input))
        } else {
            let barHeight = (panel - 40) / Double(max(1, points.count))
            for (k, point) in points.enumerated() {
                let y = top + 20 + Double(k) * barHeight
                let length = abs(point.value) / largest * plotWidth / 2
                let x = point.value < 0 ? plotLeft + plotWidth / 2 - length : plotLeft + plotWidth / 2
                out.append(
                    .empty(
                        "rect",
                        [
                            .init("x", number(x)), .init("y", number(y)), .init("width", number(length)),
                            .init("height", number(max(1, barHeight - 1))),
                            .init("fill", point.value < 0 ? "#d62728" : "#2ca02c"),
                        ]))
                out.append(
                    .tag(
                        "text",
                        [
                            .init("x", number(plotLeft - 4)), .init("y", number(y + barHeight - 2)),
                            .init("text-anchor", "end"), .init("font-size", number(min(11, barHeight))),
                        ], text: point.input))
            }
        }
        return out
    }
}

/// The lead-score model's figures for the report: what it is, how it was chosen, and every term's shape function.
public struct LeadModelFigures: Sendable, Equatable {
    /// The model file's name, as given.
    public var source: String
    /// `linear`, or `splines (8 knots, μ·n 1) + 2 interactions (…)`.
    public var shape: String
    /// The target column and its positive value.
    public var target: String
    public var positive: String
    public var trainingRows: Int
    /// The inner cross-validation that chose the shape (nil when the shape was fixed or the data too small).
    public var selection: ShapeSelection?
    /// The cross-validated ROC AUC, when the model was trained with `--cv`.
    public var crossValidatedAUC: Double?
    public var shapes: [ShapeFunction]

    public init(_ model: TabularModel, source: String) {
        self.source = source
        shape = (model.training.settings ?? .linear).summary
        target = model.target.column
        positive = model.target.positive
        trainingRows = model.training.rowCount
        selection = model.training.shapeSelection
        crossValidatedAUC = model.metrics.crossValidation?.rocAUC.mean
        shapes = model.shapeFunctions()
    }
}
