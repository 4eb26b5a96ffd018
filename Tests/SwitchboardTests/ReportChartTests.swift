import Foundation
import Learning
import Testing
import TestSupport

@testable import Switchboard

/// The report's SVG primitives against coordinates worked out by hand, and the escaping of everything they write.
@Suite("Report: SVG charts")
struct ReportChartTests {
    /// 200 × 100 with margins 40 left, 10 right, 10 top, 30 bottom: the plot spans x 40…190 and y 10…70.
    static let frame = ChartFrame(width: 200, height: 100, left: 40, right: 10, top: 10, bottom: 30)

    @Test func frameAndScalesMapTheDomainOntoThePlotArea() {
        let f = Self.frame
        #expect(f.plotLeft == 40 && f.plotRight == 190 && f.plotTop == 10 && f.plotBottom == 70)
        #expect(f.plotWidth == 150 && f.plotHeight == 60)
        let x = LinearScale(lower: 0, upper: 1, start: 40, end: 190)
        #expect(x(0) == 40 && x(1) == 190 && x(0.5) == 115 && x(0.25) == 77.5)
        let y = LinearScale(lower: 0, upper: 1, start: 70, end: 10)
        #expect(y(0) == 70 && y(1) == 10 && y(0.8) == 22)
        // An empty domain maps to the middle rather than dividing by zero.
        #expect(LinearScale(lower: 3, upper: 3, start: 0, end: 10)(3) == 5)
    }

    @Test func ticksAreNiceMultiplesInsideTheDomain() {
        #expect(ChartAxis.niceTicks(lower: 0, upper: 1, count: 5) == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(ChartAxis.niceTicks(lower: 0, upper: 7, count: 5) == [0, 2, 4, 6])
        #expect(ChartAxis.niceTicks(lower: 0, upper: 0.3, count: 3) == [0, 0.1, 0.2, 0.3])
        #expect(ChartAxis.niceTicks(lower: -1, upper: 1, count: 4) == [-1, -0.5, 0, 0.5, 1])
        #expect(ChartAxis.niceStep(1.4) == 2 && ChartAxis.niceStep(0.03) == 0.05 && ChartAxis.niceStep(220) == 250)
        #expect(ChartAxis.covering([0.13, 0.42]) == 0...0.5)
        #expect(ChartAxis.covering([4.7, 1.2]) == 0...5)
        #expect(ChartAxis.covering([]) == 0...1)
        let percent = ChartAxis(label: "share", domain: 0...1, format: .percent)
        #expect(percent.ticks.map(percent.label) == ["0%", "20%", "40%", "60%", "80%", "100%"])
        let quarter = ChartAxis(label: "x", domain: 0...1, tickCount: 4)
        #expect(quarter.ticks.map(quarter.label) == ["0.00", "0.25", "0.50", "0.75", "1.00"])
        let money = ChartAxis(label: "revenue", domain: 0...2_000_000, tickCount: 4, format: .grouped)
        #expect(money.ticks.map(money.label) == ["0", "500,000", "1,000,000", "1,500,000", "2,000,000"])
    }

    @Test func lineChartPlacesEveryPointByHand() {
        let chart = LineChart(
            frame: Self.frame, xAxis: ChartAxis(label: "x", domain: 0...1), yAxis: ChartAxis(label: "y", domain: 0...1),
            series: [
                ChartSeries(
                    name: "model", colour: "#0072B2",
                    points: [
                        ChartPoint(x: 0, y: 0), ChartPoint(x: 0.25, y: 0.8), ChartPoint(x: 0.5, y: 0.5), ChartPoint(x: 1, y: 1),
                    ],
                    markers: true),
                ChartSeries(
                    name: "outside", colour: "#E69F00", points: [ChartPoint(x: -1, y: 0.5), ChartPoint(x: 2, y: -3)], dashed: true
                ),
            ], description: "a tiny chart")
        #expect(chart.polylinePoints(chart.series[0]) == "40,70 77.5,22 115,40 190,10")
        // Points outside the domain are clamped to the plot's edges.
        #expect(chart.polylinePoints(chart.series[1]) == "40,40 190,70")
        let svg = chart.render().rendered()
        #expect(svg.hasPrefix("<svg width=\"200\" height=\"100\" viewBox=\"0 0 200 100\""))
        #expect(svg.contains("<polyline points=\"40,70 77.5,22 115,40 190,10\" fill=\"none\" stroke=\"#0072B2\""))
        #expect(svg.contains("stroke-dasharray=\"5 4\""))
        #expect(svg.contains("<circle cx=\"77.5\" cy=\"22\" r=\"3.5\""))
        #expect(svg.components(separatedBy: "<circle").count - 1 == 4)
        // y ticks: a grid line across the plot and a label right-aligned left of it, at y(0.6) = 34 (label 4 lower).
        #expect(svg.contains("<line x1=\"40\" y1=\"34\" x2=\"190\" y2=\"34\""))
        #expect(svg.contains("<text x=\"34\" y=\"38\" text-anchor=\"end\" font-size=\"10\" fill=\"#222222\">0.6</text>"))
        // x ticks: labels 16 below the plot, centred: x(0.4) = 100.
        #expect(svg.contains("<text x=\"100\" y=\"86\" text-anchor=\"middle\" font-size=\"10\" fill=\"#222222\">0.4</text>"))
        // Legend: the first swatch starts at the plot's left edge.
        #expect(svg.contains("<line x1=\"40\" y1=\"10\" x2=\"56\" y2=\"10\" stroke=\"#0072B2\" stroke-width=\"3\"/>"))
        #expect(svg.contains("<title>a tiny chart</title>"))
    }

    @Test func groupedBarsSitInTheirBands() {
        // Plot x 40…240 (two bands of 100, 80 wide after padding 0.2, two bars of 40), y 20…100 for values 0…4.
        let chart = BarChart(
            frame: ChartFrame(width: 240, height: 120, left: 40, right: 0, top: 20, bottom: 20), categories: ["a", "b"],
            series: [
                BarSeries(name: "one", colour: "#111111", values: [2, 1]),
                BarSeries(name: "two", colour: "#222222", values: [3, 4]),
            ], valueAxis: ChartAxis(label: "value", domain: 0...4), categoryTitle: "category", padding: 0.2,
            description: "bars")
        #expect(chart.bandWidth == 100)
        #expect(chart.bar(series: 0, category: 0) == (50, 60, 40, 40))
        #expect(chart.bar(series: 1, category: 0) == (90, 40, 40, 60))
        #expect(chart.bar(series: 0, category: 1) == (150, 80, 40, 20))
        #expect(chart.bar(series: 1, category: 1) == (190, 20, 40, 80))
        let svg = chart.render().rendered()
        #expect(svg.contains("<rect x=\"190\" y=\"20\" width=\"40\" height=\"80\" fill=\"#222222\"/>"))
        // Category labels centred in their bands, 16 below the plot.
        #expect(svg.contains("<text x=\"90\" y=\"116\" text-anchor=\"middle\" font-size=\"10\" fill=\"#222222\">a</text>"))
        #expect(svg.contains("<text x=\"190\" y=\"116\" text-anchor=\"middle\" font-size=\"10\" fill=\"#222222\">b</text>"))
    }

    @Test func backgroundBarsAreClippedToTheAxis() {
        let chart = BarChart(
            frame: ChartFrame(width: 140, height: 120, left: 40, right: 0, top: 20, bottom: 20), categories: ["p"],
            series: [BarSeries(name: "load", colour: "#111111", values: [2])],
            background: BarSeries(name: "capacity", colour: "#999999", values: [10]),
            valueAxis: ChartAxis(label: "leads", domain: 0...4), categoryTitle: "partners", padding: 0.5, description: "load")
        let svg = chart.render().rendered()
        // Band 100, inner 50: x 65; the capacity of 10 stops at the top of the axis (y 20).
        #expect(svg.contains("<rect x=\"65\" y=\"20\" width=\"50\" height=\"80\" fill=\"#999999\" fill-opacity=\"0.28\"/>"))
        #expect(svg.contains("<rect x=\"65\" y=\"60\" width=\"50\" height=\"40\" fill=\"#111111\"/>"))
    }

    @Test func horizontalBarsStartAtZero() {
        // Plot x 100…250 for 0…10, y 0…60 in two rows of 30; bars are 70% of a row, from 15% into it.
        let chart = HorizontalBarChart(
            frame: ChartFrame(width: 300, height: 100, left: 100, right: 50, top: 0, bottom: 40),
            bars: [
                LabelledBar(label: "first", value: 5, valueLabel: "5 wins"),
                LabelledBar(label: "second", value: 10, valueLabel: "10 wins"),
            ], valueAxis: ChartAxis(label: "wins", domain: 0...10), description: "wins")
        #expect(chart.bar(0) == (100, 4.5, 75, 21))
        #expect(chart.bar(1) == (100, 34.5, 150, 21))
        let svg = chart.render().rendered()
        #expect(svg.contains("<rect x=\"100\" y=\"4.5\" width=\"75\" height=\"21\""))
        #expect(svg.contains(">5 wins</text>") && svg.contains(">second</text>"))
        let fitted = HorizontalBarChart.frameFitting(chart.bars, width: 400, rowHeight: 20)
        #expect(fitted.height == 16 + 2 * 20 + 40 && fitted.left > ChartDrawing.textWidth("second"))
    }

    @Test func everyLabelIsEscaped() {
        let hostile = "<script>alert(\"x\")</script> & 'co'"
        let chart = LineChart(
            frame: Self.frame, xAxis: ChartAxis(label: hostile, domain: 0...1), yAxis: ChartAxis(label: hostile, domain: 0...1),
            series: [ChartSeries(name: hostile, colour: "#000000", points: [ChartPoint(x: 0, y: 0)])], description: hostile)
        let bars = HorizontalBarChart(
            frame: Self.frame, bars: [LabelledBar(label: hostile, value: 1, valueLabel: hostile)],
            valueAxis: ChartAxis(label: hostile, domain: 0...1), description: hostile)
        let table = HTMLTable(header: [hostile], rows: [[.text(hostile)]], caption: hostile)
        for text in [chart.render().rendered(), bars.render().rendered(), table.render().rendered()] {
            #expect(!text.contains("<script") && !text.contains("\"x\"") && !text.contains("'co'"))
            #expect(text.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;"))
        }
        #expect(Markup.escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&#39;")
        #expect(
            Markup.tag("p", [.init("title", "\"><b>")], text: "1 < 2").rendered()
                == "<p title=\"&quot;&gt;&lt;b&gt;\">1 &lt; 2</p>")
    }

    @Test func numbersAreWrittenPlainly() {
        #expect(NumberFormat.coordinate(12.5) == "12.5" && NumberFormat.coordinate(40) == "40")
        #expect(NumberFormat.coordinate(-0.001) == "0" && NumberFormat.coordinate(1.005, decimals: 1) == "1")
        #expect(NumberFormat.coordinate(.nan) == "0")
        #expect(NumberFormat.fixed(0.74213, 4) == "0.7421" && NumberFormat.fixed(-2.5, 0) == "-3")
        #expect(NumberFormat.fixed(0.9999, 2) == "1.00" && NumberFormat.fixed(-0.0001, 2) == "0.00")
        #expect(NumberFormat.grouped(70_999_729.4) == "70,999,729" && NumberFormat.grouped(-1234) == "−1,234")
        #expect(NumberFormat.grouped(999) == "999" && NumberFormat.percent(0.0625) == "6.3%")
    }

    @Test func thinningKeepsTheEndsAndSpacing() {
        let points = (0...1000).map { ChartPoint(x: Double($0) / 1000, y: Double($0) / 1000) }
        // Steps of 0.001: every tenth point is the first at least 0.0095 from the last kept.
        let thinned = ChartPoint.thinned(points, spacing: 0.0095)
        #expect(thinned.first == points.first && thinned.last == points.last)
        #expect(thinned.count == 101)
        for (a, b) in zip(thinned, thinned.dropFirst().dropLast()) { #expect(max(abs(b.x - a.x), abs(b.y - a.y)) >= 0.0095) }
        #expect(ChartPoint.thinned(Array(points.prefix(2)), spacing: 1) == Array(points.prefix(2)))
    }

    @Test func lorenzCurveByHand() {
        #expect(
            ChannelReport.lorenzCurve([10, 0, 0, 30]) == [
                ChartPoint(x: 0, y: 0), ChartPoint(x: 0.25, y: 0), ChartPoint(x: 0.5, y: 0), ChartPoint(x: 0.75, y: 0.25),
                ChartPoint(x: 1, y: 1),
            ])
    }

    @Test func accountOwnersAreTheMostFrequentAcceptingPartner() {
        func lead(_ id: String, _ account: String?) -> Lead {
            Lead(
                id: id, created: Timestamp(year: 2025, month: 1, day: 1), region: "EMEA", country: "DE", vertical: "retail",
                technology: "erp", sizeBand: "smb", estimatedValue: 1000, source: "web", requiredCertifications: [],
                accountID: account)
        }
        func outcome(_ lead: String, _ partner: String, _ kind: OutcomeKind) -> Outcome {
            let time = Timestamp(year: 2025, month: 2, day: 1)
            return Outcome(
                leadID: lead, partnerID: partner, assigned: time, outcome: kind,
                closed: kind == .won || kind == .lost ? time : nil,
                revenue: 0)
        }
        let leads = [lead("L1", "A1"), lead("L2", "A1"), lead("L3", "A1"), lead("L4", "A2"), lead("L5", nil), lead("L6", "A3")]
        let outcomes = [
            outcome("L1", "P2", .won), outcome("L2", "P2", .lost), outcome("L3", "P1", .won),
            outcome("L1", "P1", .declined), outcome("L3", "P3", .declined),
            outcome("L4", "P9", .expired), outcome("L4", "P8", .lost), outcome("L5", "P1", .won),
            outcome("L6", "P4", .declined),
        ]
        // A1: P2 twice; A2: a tie goes to the lower id; A3: only declined, so no owner; L5 has no account.
        #expect(ChannelReport.accountOwners(leads: leads, outcomes: outcomes) == ["A1": "P2", "A2": "P8"])
    }

    @Test func modelFiguresReuseTheMetrics() throws {
        var rng = RepeatableRandomNumberGenerator(seed: 11)
        let probabilities = (0..<500).map { _ in rng.uniform(0, 1) }
        let labels = probabilities.map { rng.uniform(0, 1) < $0 }
        let figures = try ModelFigures(
            name: "m", subject: "s", positive: "p", labels: labels, probabilities: probabilities, curveSpacing: 0)
        #expect(figures.report == (try Metrics.report(labels: labels, probabilities: probabilities)))
        let roc = try Metrics.rocCurve(labels: labels, scores: probabilities)
        #expect(figures.roc == roc.map { ChartPoint(x: $0.falsePositiveRate, y: $0.truePositiveRate) })
        #expect(figures.liftByDecile[0] == figures.report.liftTopDecile && isClose(figures.liftByDecile[9], 1))
        #expect(figures.baseRate == Double(labels.count { $0 }) / 500)
        // Gains: the share of positives among the top k rows, at every k where a new score starts (all distinct here).
        let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }
        let positives = Double(labels.count { $0 })
        var found = 0.0
        for (k, row) in order.enumerated() {
            if labels[row] { found += 1 }
            let point = figures.gains[k + 1]
            #expect(isClose(point.x, Double(k + 1) / 500) && isClose(point.y, found / positives))
        }
        #expect(throws: MetricsError.self) {
            _ = try ModelFigures(
                name: "m", subject: "s", positive: "p", labels: [true, true], probabilities: [0.2, 0.8], curveSpacing: 0)
        }
    }
}
