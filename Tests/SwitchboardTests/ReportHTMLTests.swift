import Foundation
import Learning
import Testing
import TestSupport

@testable import Switchboard

/// The shipped sample and models, loaded through the validating loaders, and the report built on them once.
private struct ReportSample: Sendable {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let shared = Result { try ReportSample() }

    let input: ReportInput
    let report: ChannelReport
    let html: String

    init() throws {
        func model<Model: VersionedModel>(_ type: Model.Type, _ name: String) throws -> Model {
            let path = Self.root.appendingPathComponent("Models/\(name)").path
            return try ModelFile.decode(type, from: Array(try #require(FileManager.default.contents(atPath: path))), file: name)
        }
        var files = EcosystemFiles()
        for kind in [
            RecordKind.partners, .leads, .outcomes, .activity, .actions, .actionHistory, .incoming, .truthPartners, .truthPairs,
        ] {
            let path = Self.root.appendingPathComponent("Data/ecosystem/\(kind.fileName)").path
            files[kind] = RecordSource(
                name: kind.fileName, bytes: Array(try #require(FileManager.default.contents(atPath: path))))
        }
        input = ReportInput(
            ecosystem: try Ecosystem.load(files), matchModel: try model(MatchModel.self, "match.json"),
            churnModel: try model(ChurnModel.self, "churn.json"))
        report = try ChannelReport(input)
        html = HTMLReport.render(report)
    }
}

/// Checks that every opened tag is closed, in order, outside the style sheet; returns the first problem, or nil.
/// Self-closing elements (`<line …/>`, `<meta …/>`) need no closing tag; `<style>` holds raw text up to `</style>`.
func markupProblem(_ html: String) -> String? {
    var text = Substring(html)
    if text.hasPrefix("<!DOCTYPE html>") { text = text.dropFirst("<!DOCTYPE html>".count) }
    var stack: [String] = []
    while let open = text.firstIndex(of: "<") {
        if text[..<open].contains(">") { return "a stray '>' in text before \(text[open...].prefix(60))" }
        guard let close = text[open...].firstIndex(of: ">") else { return "an unterminated tag" }
        let tag = text[text.index(after: open)..<close]
        text = text[text.index(after: close)...]
        if tag.hasPrefix("/") {
            let name = String(tag.dropFirst())
            guard stack.last == name else { return "</\(name)> closes <\(stack.last ?? "nothing")>" }
            stack.removeLast()
            continue
        }
        let name = String(tag.prefix { $0 != " " && $0 != "/" })
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber }) else { return "a bad tag <\(tag.prefix(40))>" }
        // Attribute values are quoted and escaped: an even number of quotes, no '<'.
        if tag.filter({ $0 == "\"" }).count % 2 != 0 || tag.contains("<") { return "bad attributes in <\(tag.prefix(60))>" }
        if tag.hasSuffix("/") { continue }
        if name == "style" {
            guard let end = text.range(of: "</style>") else { return "an unclosed <style>" }
            text = text[end.upperBound...]
            continue
        }
        stack.append(name)
    }
    if text.contains(">") { return "a stray '>' at the end" }
    return stack.isEmpty ? nil : "unclosed: \(stack.joined(separator: ", "))"
}

@Suite("Report: figures and HTML on the shipped sample")
struct ReportHTMLTests {
    @Test func theCheckerCatchesBrokenMarkup() {
        #expect(markupProblem("<!DOCTYPE html>\n<html><body><p>a</p><svg><line x1=\"1\"/></svg></body></html>\n") == nil)
        #expect(markupProblem("<html><body><p>a</body></html>") != nil)
        #expect(markupProblem("<html><p>a</p>") != nil)
        #expect(markupProblem("<p>1 > 2</p>") != nil)
        #expect(markupProblem("<p title=\"a>b</p>") != nil)
    }

    @Test func everyTagIsClosedAndNothingIsFetched() throws {
        let sample = try ReportSample.shared.get()
        let html = sample.html
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"))
        #expect(markupProblem(html) == nil, "\(markupProblem(html) ?? "")")
        let lower = html.lowercased()
        for forbidden in ["http://", "https://", "<script", "<link", "<img", "<iframe", "src=", "url(", "@import", "//fonts"] {
            #expect(!lower.contains(forbidden), "the report contains \(forbidden)")
        }
        // The only links are to the page's own sections, and each has its target.
        var rest = Substring(html)
        while let range = rest.range(of: "href=\"") {
            let value = rest[range.upperBound...].prefix { $0 != "\"" }
            #expect(value.hasPrefix("#") && html.contains("id=\"\(value.dropFirst())\""), "href=\(value)")
            rest = rest[range.upperBound...]
        }
        // Charts are inline SVG: ROC, gains, two calibrations, lift, wins, shares, Lorenz, load, one chart per replay,
        // two segment charts.
        #expect(html.components(separatedBy: "<svg ").count - 1 == 13)
        #expect(html.components(separatedBy: "<polyline ").count - 1 >= 11)
        // The same inputs give the same bytes.
        #expect(HTMLReport.render(sample.report) == html)
    }

    @Test func modelFiguresEqualTheMetricsComputedDirectly() throws {
        let sample = try ReportSample.shared.get()
        let e = sample.input.ecosystem
        let match = try sample.input.matchModel.evaluate(
            partners: e.partners, leads: e.leads, outcomes: e.outcomes, actionHistory: e.actionHistory)
        let matchAUC = try Metrics.rocAUC(labels: match.labels, scores: match.probabilities)
        let matchFigures = sample.report.models[0]
        #expect(matchFigures.name == "Match model" && matchFigures.report.rowCount == match.labels.count)
        #expect(isClose(matchFigures.report.rocAUC, matchAUC, absolute: 1e-15))
        #expect(
            isClose(
                matchFigures.report.logLoss, try Metrics.logLoss(labels: match.labels, probabilities: match.probabilities)))
        #expect(sample.html.contains(">\(NumberFormat.fixed(matchAUC, 4))</td>"))
        #expect(sample.html.contains("Match model (AUC \(NumberFormat.fixed(matchAUC, 3)))"))

        let features = try ChurnFeatures.build(activity: e.activity, partners: e.partners)
        let risks = try sample.input.churnModel.risk(for: features)
        let churnAUC = try Metrics.rocAUC(labels: features.labels, scores: risks)
        let churnFigures = sample.report.models[1]
        #expect(churnFigures.report.rowCount == 4882 && isClose(churnFigures.report.rocAUC, churnAUC, absolute: 1e-15))
        #expect(sample.html.contains(">\(NumberFormat.fixed(churnAUC, 4))</td>"))
        for (figures, labels, probabilities) in [
            (matchFigures, match.labels, match.probabilities), (churnFigures, features.labels, risks),
        ] {
            for decile in [1, 5, 10] {
                let lift = try Metrics.lift(labels: labels, scores: probabilities, topFraction: Double(decile) / 10)
                #expect(isClose(figures.liftByDecile[decile - 1], lift))
            }
            // The curves run from (0, 0) to (1, 1); the drawn calibration is the metric's own.
            #expect(figures.roc.first == ChartPoint(x: 0, y: 0) && figures.roc.last == ChartPoint(x: 1, y: 1))
            #expect(figures.gains.first == ChartPoint(x: 0, y: 0) && isClose(figures.gains.last!.x, 1))
            #expect(figures.report.reliability == (try Metrics.calibration(labels: labels, probabilities: probabilities).bins))
        }
    }

    @Test func routingFiguresHoldTogether() throws {
        let sample = try ReportSample.shared.get()
        let routing = sample.report.routing
        #expect(
            routing.leadCount == 3000
                && routing.policies.map(\.name) == ["optimal", "optimal+fairness", "greedy", "round-robin"])
        #expect(routing.candidateCount <= 3000 * routing.candidatesPerLead)
        // The partners that take leads: eligible status and capacity left, as the default rules say.
        let expected = sample.input.ecosystem.partners.filter { $0.status == .active && $0.remainingCapacity > 0 }
        #expect(routing.partners.map(\.partnerID) == expected.map(\.id).sorted())
        // Small and new as route and simulate define them: bottom quarter of 12-month revenue, joined within 180 days.
        let revenues = sample.input.ecosystem.partners.map(\.activity.revenue).sorted()
        for routed in routing.partners {
            let partner = sample.input.ecosystem.partners.first { $0.id == routed.partnerID }!
            #expect(routed.isSmall == (partner.activity.revenue <= revenues[74]))
            #expect(routed.isNew == (partner.joined.days(until: sample.report.asOf) < 180))
        }
        for policy in routing.policies {
            #expect(policy.loads.reduce(0, +) == policy.assigned && policy.assigned + policy.unassigned == 3000)
            for (partner, load) in zip(routing.partners, policy.loads) { #expect(load <= partner.capacityLeft) }
            #expect(isClose(policy.gini, Metrics.gini(policy.loads.map(Double.init))))
            let small = zip(routing.partners, policy.loads).filter { $0.0.isSmall }.reduce(0) { $0 + $1.1 }
            #expect(isClose(policy.smallShare, Double(small) / Double(policy.assigned)))
            let either = zip(routing.partners, policy.loads).filter { $0.0.isSmall || $0.0.isNew }.reduce(0) { $0 + $1.1 }
            #expect(isClose(policy.newOrSmallShare, Double(either) / Double(policy.assigned)))
            #expect(policy.lorenz.last == ChartPoint(x: 1, y: 1) && policy.lorenz.count == routing.partners.count + 1)
            #expect(policy.expectedWins > 0 && policy.expectedWins < Double(policy.assigned))
            #expect(policy.unassignedReasons.reduce(0) { $0 + $1.count } == policy.unassigned)
        }
        // The optimal policy maximises expected value: no other policy beats it (up to the value resolution per
        // lead); the fairness controls give new and small partners at least as large a share.
        let optimal = routing.policies[0]
        #expect(routing.policies[1].newOrSmallShare >= optimal.newOrSmallShare)
        for baseline in routing.policies.dropFirst() {
            #expect(optimal.expectedValue >= baseline.expectedValue - 0.005 * 3000)
        }
        let row = "<td>optimal</td><td class=\"num\">\(NumberFormat.grouped(Double(optimal.assigned)))</td>"
        #expect(sample.html.contains(row))
        #expect(sample.html.contains(">\(NumberFormat.fixed(optimal.expectedWins, 1))</td>"))
    }

    @Test func replaysAreTheSimulationsOwn() throws {
        let sample = try ReportSample.shared.get()
        #expect(sample.report.replays.map(\.capacityScale) == [1, 0.5])
        for replay in sample.report.replays {
            var settings = SimulationSettings()
            settings.capacityScale = replay.capacityScale
            let expected = try PolicySimulation.run(
                model: sample.input.matchModel, ecosystem: sample.input.ecosystem, truth: sample.input.truth,
                settings: settings)
            #expect(replay.usesTruth && replay.outcomes == expected.outcomes)
            #expect(
                replay.outcomes.map(\.name) == [
                    "historical", "optimal", "optimal+fairness", "greedy", "round-robin", "weighted",
                ])
            for outcome in replay.outcomes {
                #expect(sample.html.contains(">\(NumberFormat.fixed(outcome.expectedWins, 1))</td>"))
            }
        }
        #expect(sample.html.contains("3. Replaying the history under each policy"))
        #expect(sample.html.contains("Tight capacity: every partner&#39;s capacity × 0.50"))
    }

    @Test func segmentsRiskAndTodosAreTheModulesOwn() throws {
        let sample = try ReportSample.shared.get()
        let input = sample.input, e = input.ecosystem
        #expect(sample.report.segments == (try SegmentReport(SegmentInput(e, churnModel: input.churnModel))))
        let plan = try ActionRecommender(matchModel: input.matchModel, churnModel: input.churnModel).recommend(e)
        #expect(sample.report.actions.todos == plan.todos)
        for todo in plan.todos { #expect(sample.html.contains("\(todo.managerID) · \(todo.items.count) partners")) }

        // The churn-risk table: the highest risks at the latest period, as `predict churn` ranks them.
        let features = try ChurnFeatures.build(activity: e.activity, partners: e.partners)
        let latest = features.latestRowPerPartner().filter { !features.labels[$0] }
        let risks = try input.churnModel.risk(for: features.selectingRows(latest))
        let ids = latest.map { features.keys[$0].partnerID }
        let order = risks.indices.sorted { (a: Int, b: Int) -> Bool in
            risks[a] != risks[b] ? risks[a] > risks[b] : ids[a] < ids[b]
        }
        #expect(sample.report.atRisk.count == 15 && sample.report.churnScoredCount == latest.count)
        for (entry, index) in zip(sample.report.atRisk, order) {
            #expect(entry.partnerID == ids[index] && isClose(entry.risk, risks[index], absolute: 1e-15))
            #expect(entry.factors.count == 3 && entry.factorScores.count == 3)
            #expect(sample.html.contains("<strong>\(entry.partnerID)</strong>"))
        }
        #expect(zip(sample.report.atRisk, sample.report.atRisk.dropFirst()).allSatisfy { $0.risk >= $1.risk })
    }

    /// `report` with the shipped lead score (Models/leads.json) as its lead model.
    static func withShippedLeadModel(_ report: ChannelReport) throws -> ChannelReport {
        let path = ReportSample.root.appendingPathComponent("Models/leads.json").path
        let lead = try ModelFile.decode(
            TabularModel.self, from: Array(try #require(FileManager.default.contents(atPath: path))), file: "leads.json")
        var report = report
        report.leadModel = LeadModelFigures(lead, source: "Models/leads.json")
        return report
    }

    /// A shape selection that chose the plain model, with no recalibration and no held-out calibration.
    static let plainSelection = ShapeSelection(
        innerFolds: 3, sampledRows: nil, candidates: [], pairs: [], chosen: .linear, recalibration: nil)

    /// The lead score's section states the Platt recalibration when the model carries one, and only then.
    @Test func leadScoreSectionStatesTheRecalibration() throws {
        let sample = try ReportSample.shared.get()
        var report = try Self.withShippedLeadModel(sample.report)
        var selection = Self.plainSelection
        report.leadModel?.selection = selection
        #expect(!HTMLReport.render(report).contains("Recalibrated:"))
        selection.recalibration = Recalibration(
            slope: 0.303, offset: -0.37, heldOutLogLossBefore: 0.6668, heldOutLogLossAfter: 0.656)
        report.leadModel?.selection = selection
        let html = HTMLReport.render(report)
        #expect(markupProblem(html) == nil, "\(markupProblem(html) ?? "")")
        #expect(html.contains("Recalibrated: the fitted log-odds × 0.303 − 0.370"))
        #expect(html.contains("held-out log loss 0.6668 → 0.6560"))
    }

    /// The lead score's section prints the chosen model's held-out calibration (ECE and one row a bin) when the
    /// model carries it, and only then.
    @Test func leadScoreSectionPrintsTheHeldOutCalibration() throws {
        let sample = try ReportSample.shared.get()
        var report = try Self.withShippedLeadModel(sample.report)
        var selection = Self.plainSelection
        report.leadModel?.selection = selection
        #expect(!HTMLReport.render(report).contains("Held-out calibration"))
        selection.heldOutCalibration = CalibrationReport(
            expectedCalibrationError: 0.0137, binCount: 10,
            bins: [
                ReliabilityBin(lower: 0, upper: 0.1, count: 1234, meanPredicted: 0.0512, observedRate: 0.0498),
                ReliabilityBin(lower: 0.9, upper: 1, count: 7, meanPredicted: 0.9321, observedRate: 0.8571),
            ])
        report.leadModel?.selection = selection
        let html = HTMLReport.render(report)
        #expect(markupProblem(html) == nil, "\(markupProblem(html) ?? "")")
        #expect(html.contains("expected calibration error 0.0137 over 10 equal-width bins"))
        #expect(html.contains("<td>0.0–0.1</td><td>1,234</td><td>0.0512</td><td>0.0498</td>"))
        #expect(html.contains("<td>0.9–1.0</td><td>7</td><td>0.9321</td><td>0.8571</td>"))
        #expect(!html.contains("recalibrated by a map fitted on the other folds"))
    }

    /// The lead score's section: present only with a lead model, one panel a shape function, the panels' geometry
    /// read back from the SVG.
    @Test func leadScoreSectionDrawsEveryShapeFunction() throws {
        let sample = try ReportSample.shared.get()
        #expect(!sample.html.contains("id=\"lead-score\""))
        let path = ReportSample.root.appendingPathComponent("Models/leads.json").path
        let lead = try ModelFile.decode(
            TabularModel.self, from: Array(try #require(FileManager.default.contents(atPath: path))), file: "leads.json")
        var report = sample.report
        report.leadModel = LeadModelFigures(lead, source: "Models/leads.json")
        let html = HTMLReport.render(report)
        #expect(markupProblem(html) == nil, "\(markupProblem(html) ?? "")")
        #expect(html.contains("<section id=\"lead-score\">") && html.contains("href=\"#lead-score\""))
        #expect(html.components(separatedBy: "<svg ").count - 1 == 14)
        let shapes = lead.shapeFunctions()
        #expect(report.leadModel?.shapes == shapes)
        let chart = ShapeChart.markup(shapes).rendered()
        #expect(html.contains(chart))
        // One bold title a term, in order.
        var titles: [String] = []
        var rest = Substring(chart)
        while let range = rest.range(of: "font-weight=\"bold\">") {
            let title = rest[range.upperBound...].prefix { $0 != "<" }
            titles.append(String(title))
            rest = rest[range.upperBound...]
        }
        #expect(titles == shapes.map { Markup.escape($0.term) })
        // A numeric term's curve: x across the plot, y = middle − value / largest · half.
        let curve = ShapeFunction(
            term: "age", numericInputs: [0, 1, 2],
            points: [ShapePoint(input: "0", value: -1), ShapePoint(input: "1", value: 0), ShapePoint(input: "2", value: 2)])
        #expect(ShapeChart.markup([curve]).rendered().contains("points=\"190.0,127.5 400.0,95.0 610.0,30.0\""))
        // Categories: one bar each, at most 12 (the largest in magnitude), red below zero, green above.
        let many = ShapeFunction(
            term: "cell", numericInputs: nil,
            points: (0..<20).map { ShapePoint(input: "c\($0)", value: Double($0 - 10)) })
        let bars = ShapeChart.markup([many]).rendered()
        #expect(bars.components(separatedBy: "<rect ").count - 1 == 12)
        #expect(bars.contains(">c0<") && !bars.contains(">c10<") && bars.contains(">c19<"))
        #expect(ShapeChart.svg([curve]).hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\""))
    }

    @Test func everyDataTextIsEscaped() throws {
        var report = try ReportSample.shared.get().report
        let hostile = "<script>alert('x')</script> & \"co\""
        report.atRisk[0].name = hostile
        report.incomingSource = hostile
        report.sources.partners = hostile
        report.actions.todos[0].managerID = hostile
        report.segments.kpis[1].segment = hostile
        let html = HTMLReport.render(report)
        #expect(!html.contains("<script") && !html.contains("'x'"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;"))
        #expect(markupProblem(html) == nil)
    }

    @Test func badOptionsAndEmptyInputsAreRefused() throws {
        let input = try ReportSample.shared.get().input
        var options = ReportOptions()
        options.candidatesPerLead = 0
        #expect(throws: ReportError.invalidOption(name: "candidatesPerLead", value: "0", requirement: "must be at least 1")) {
            _ = try ChannelReport(input, options: options)
        }
        var empty = input
        empty.ecosystem.incoming = []
        empty.ecosystem.sources.incoming = "incoming.csv"
        #expect(throws: RecordError.emptySet(file: "incoming.csv", what: "leads")) { _ = try ChannelReport(empty) }
    }
}
