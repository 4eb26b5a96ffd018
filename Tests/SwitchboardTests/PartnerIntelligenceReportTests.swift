import Learning
import Testing

@testable import Switchboard

@Suite("Partner intelligence in the report")
struct PartnerIntelligenceReportTests {
    /// The band polygon: lows left to right, then highs right to left, each at the scales' positions (recomputed by
    /// hand from the frame and the axes).
    @Test func bandPolygonFollowsLowsThenHighsBack() {
        let frame = ChartFrame(width: 200, height: 100, left: 20, right: 10, top: 10, bottom: 20)
        let chart = BandChart(
            frame: frame, xAxis: ChartAxis(label: "x", domain: 0...10), yAxis: ChartAxis(label: "y", domain: 0...100),
            history: [ChartPoint(x: 0, y: 50)],
            forecast: [
                .init(x: 8, value: 50, low: 20, high: 80), .init(x: 10, value: 60, low: 30, high: 90),
            ], historyName: "h", forecastName: "f", bandName: "b", description: "d")
        func x(_ v: Double) -> Double { 20 + v * 170 / 10 }
        func y(_ v: Double) -> Double { 80 - v * 70 / 100 }
        let expected = [(8.0, 20.0), (10, 30), (10, 90), (8, 80)].map { px, py in
            "\(NumberFormat.coordinate(x(px))),\(NumberFormat.coordinate(y(py)))"
        }.joined(separator: " ")
        #expect(chart.bandPoints == expected)
        var svg = ""
        chart.render().render(into: &svg)
        #expect(svg.contains("<polygon"))
        #expect(svg.contains("stroke-dasharray"))
    }

    /// The section holds every segment's profile, the high-potential partners, the shortlist and the forecast's
    /// chart, with the figures of the models it is made of.
    @Test func sectionShowsProfilesShortlistAndForecast() throws {
        let (input, generated) = try PartnerProfileTests.generated(partners: 300, seed: 606)
        let applicants = generated.potential!.applicants.prefix(40).enumerated().map { i, a in
            ApplicantRecord(
                id: a.id, segment: a.type.rawValue, verticals: a.verticals, technologies: a.technologies,
                certifications: a.certifications, firmographics: a.firmographics, line: i + 2)
        }
        let figures = try PartnerIntelligence(input, applicants: Array(applicants))
        #expect(figures.forecast.horizons == [1, 3])
        #expect(figures.history.count == input.periodCount)
        let total = input.performance.filter { $0.period == input.periodCount - 1 }.reduce(0) { $0 + $1.revenue }
        #expect(abs(figures.history.last!.revenue - total) < 1e-6)
        var html = ""
        HTMLReport.intelligenceSection(figures).render(into: &html)
        #expect(html.contains("<section id=\"intelligence\">"))
        for segment in figures.profiles.segments { #expect(html.contains(segment.segment)) }
        for row in figures.recruitment!.rows.prefix(3) { #expect(html.contains(row.applicantID)) }
        for partner in figures.profiles.highPotential.prefix(3) { #expect(html.contains(partner.partnerID)) }
        #expect(html.contains(NumberFormat.grouped(figures.forecast.totals[1].mean)))
        #expect(html.contains("<polygon"))
        // The new partners: the same outlook as `recruit --new-partners` computes with its defaults, best first.
        let model = try PartnerProfileModel.fit(input, features: ProfileFeature.application, performanceFile: "p.csv")
        let rates = try ApplicantRateModel.fit(input)
        let outlook = NewPartnerOutlook(
            model: model, rates: rates, behaviourRates: try NewPartnerOutlook.fitBehaviourRates(input), input: input,
            newWithin: NewPartnerOutlook.defaultNewWithin)
        #expect(!outlook.rows.isEmpty)
        #expect(figures.newPartners.rows.map(\.partnerID) == outlook.rows.map(\.partnerID))
        #expect(figures.newPartners.rows.map(\.probability) == outlook.rows.map(\.probability))
        #expect(html.contains("<h3>New partners</h3>"))
        for row in outlook.rows.prefix(HTMLReport.intelligenceListed) { #expect(html.contains(row.partnerID)) }
    }

    /// With no partner in its first periods the section says so instead of an empty table.
    @Test func sectionSaysWhenNoPartnerIsNew() throws {
        let (input, _) = try PartnerProfileTests.generated(partners: 300, seed: 606)
        var figures = try PartnerIntelligence(input)
        figures.newPartners.rows = []
        var html = ""
        HTMLReport.intelligenceSection(figures).render(into: &html)
        #expect(html.contains("No partner joined in the last \(NewPartnerOutlook.defaultNewWithin) periods."))
    }
}
