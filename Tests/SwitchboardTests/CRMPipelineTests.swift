import Foundation
import Learning
import Testing

@testable import Switchboard

/// ../shared/data/crm-sales-pipeline as a negative control: its outcomes do not depend on the sales agent
/// (chi-square p = 0.26), so the match model must not invent agent effects. Skipped when the data is absent.
@Suite("CRM sales pipeline")
struct CRMPipelineTests {
    /// ../shared/data/crm-sales-pipeline beside the checkout (the first such folder above this file: a git worktree
    /// sits deeper than the main checkout).
    static let folder: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<6 {
            directory = directory.deletingLastPathComponent()
            let candidate = directory.appendingPathComponent("shared/data/crm-sales-pipeline")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        return directory.appendingPathComponent("shared/data/crm-sales-pipeline")
    }()

    static func table(_ name: String) throws -> CSVTable? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { return nil }
        return try CSVTable(parsing: Array(data), source: name)
    }

    @Test func theMatchModelFindsNoAgentEffects() throws {
        guard let pipeline = try Self.table("sales_pipeline.csv"), let teams = try Self.table("sales_teams.csv"),
            let accounts = try Self.table("accounts.csv"), let products = try Self.table("products.csv")
        else { return }
        let e = try CRMSalesPipeline.ecosystem(pipeline: pipeline, teams: teams, accounts: accounts, products: products)
        #expect(e.outcomes.count == 6711)
        #expect(e.outcomes.count { $0.outcome == .won } == 4238)
        let model = try MatchTrainer.train(
            partners: e.partners, leads: e.leads, outcomes: e.outcomes, request: MatchTrainingRequest())
        let active = e.partners.filter { partner in e.outcomes.contains { $0.partnerID == partner.id } }
        let effects = model.partnerEffects(leads: e.leads, partners: active, at: model.historyEnd)
        // The raw win rates' spread across agents, on the logit scale, for comparison.
        let rates = active.map { partner -> Double in
            let mine = e.outcomes.filter { $0.partnerID == partner.id }
            let rate = Double(mine.count { $0.outcome == .won }) / Double(mine.count)
            return log(rate / (1 - rate))
        }
        let spread = standardDeviation(effects), rawSpread = standardDeviation(rates)
        let largest = effects.map(abs).max() ?? 0
        print(
            "crm agent effects: λ \(model.training.l2Strength), sd \(spread), largest |effect| \(largest) (logit); raw win-rate sd \(rawSpread); CV AUC \(model.metrics.crossValidation?.rocAUC.mean ?? .nan)"
        )
        #expect(spread < 0.05, "agent effects' standard deviation \(spread) on the logit scale")
        #expect(largest < 0.1, "largest agent effect \(largest) on the logit scale")
        #expect(spread < rawSpread / 2, "effects \(spread) against raw win-rate spread \(rawSpread)")
    }
}

func standardDeviation(_ values: [Double]) -> Double {
    let mean = values.reduce(0, +) / Double(values.count)
    return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
}

/// The partner forecast on the CRM pipeline's sales agents (../shared/data; skipped when absent): each agent a
/// partner, each month from March to December 2017 a period, its won deals and their close values its
/// performance, the opportunities it engaged that month its deal registrations, its regional office its segment
/// (agents have no firmographics: every feature the same). Fitted on March–September, measured on October–December.
/// The months of a quarter are the season (period 0, March, is the third).
@Suite("CRM sales pipeline forecast")
struct CRMPipelineForecastTests {
    static func input() throws -> ProfileInput? {
        guard let pipeline = try CRMPipelineTests.table("sales_pipeline.csv"),
            let teams = try CRMPipelineTests.table("sales_teams.csv"),
            let accounts = try CRMPipelineTests.table("accounts.csv"),
            let products = try CRMPipelineTests.table("products.csv")
        else { return nil }
        let e = try CRMSalesPipeline.ecosystem(pipeline: pipeline, teams: teams, accounts: accounts, products: products)
        func month(_ t: Timestamp) -> Int {
            let (y, m, _) = Timestamp.civilFromDays(Int(t.secondsSinceEpoch / 86_400))
            return (y - 2017) * 12 + (m - 3)
        }
        let created = Dictionary(uniqueKeysWithValues: e.leads.map { ($0.id, $0.created) })
        var deals: [String: [Int: (Double, Double)]] = [:], engaged: [String: [Int: Double]] = [:]
        for o in e.outcomes {
            if let c = created[o.leadID], month(c) >= 0 { engaged[o.partnerID, default: [:]][month(c), default: 0] += 1 }
            guard o.outcome == .won, let closed = o.closed else { continue }
            let old = deals[o.partnerID, default: [:]][month(closed)] ?? (0, 0)
            deals[o.partnerID, default: [:]][month(closed)] = (old.0 + 1, old.1 + o.revenue)
        }
        let agents = e.partners.filter { deals[$0.id] != nil }
        var performance: [PartnerPerformance] = [], activity: [PartnerActivity] = []
        for agent in agents {
            for period in 0..<10 {
                let (d, r) = deals[agent.id]?[period] ?? (0, 0)
                performance.append(PartnerPerformance(partnerID: agent.id, period: period, deals: d, revenue: r))
                activity.append(
                    PartnerActivity(
                        partnerID: agent.id, period: period,
                        figures: ActivityFigures(
                            portalLogins: 0, trainingsCompleted: 0, dealRegistrations: engaged[agent.id]?[period] ?? 0,
                            marketingFundsUsed: 0, revenue: 0), churnedNext: false))
            }
        }
        let ecosystem = Ecosystem(partners: agents, activity: activity)
        let firmographics = Dictionary(
            uniqueKeysWithValues: agents.map { ($0.id, Firmographics(employees: 1, yearsInBusiness: 1, certifiedStaff: 0)) })
        return try ProfileInput(
            ecosystem: ecosystem, segments: agents.map(\.region), segmentColumn: "regional_office",
            firmographics: firmographics, firmographicsFile: "none", performance: performance)
    }

    @Test func agentsForecastBeatsTheNaiveForecastsOnTheLastQuarter() throws {
        guard let input = try Self.input() else { return }
        #expect(input.partners.count == 30 && input.periodCount == 10)
        var options = ForecastOptions()
        options.horizons = [1, 3]
        options.seasonOffset = 2  // period 0 is March, the third month of a quarter
        let forecast = try PartnerForecast.make(input, options: options, end: 7)
        let future = input.performance.filter { $0.period >= 7 }
        let e = ForecastEvaluation.evaluate(forecast, input: input, future: future)
        for h in e.horizons {
            print(
                "crm forecast next \(h.periods): MAE \(h.revenueMAE) naive last \(h.naiveLastRevenueMAE) mean3 \(h.naiveMeanRevenueMAE); "
                    + "deals MAE \(h.dealsMAE) vs \(h.naiveLastDealsMAE) / \(h.naiveMeanDealsMAE); total APE \(h.totalAPE) vs "
                    + "\(h.naiveLastTotalAPE) / \(h.naiveMeanTotalAPE); coverage \(h.revenueCoverage) (deals \(h.dealsCoverage)); "
                    + "α \(forecast.priorShape)")
        }
        // Agents differ steadily in volume (their first and second halves correlate at 0.9), in deal value (their
        // product mix), and every quarter's first month wins far less than its last: with the season (found by its
        // test) and each agent's own deal value, the forecast beats both naive forecasts at both horizons.
        let test = try #require(forecast.seasonTest)
        #expect(test.pValue < 0.01)
        #expect(forecast.seasonFactors[0] < forecast.seasonFactors[2])
        #expect(forecast.dealValueBetweenSpread > 0)
        print(
            "crm season factors \(forecast.seasonFactors), F \(test.statistic), p \(test.pValue); deal-value τ² \(forecast.dealValueBetweenSpread)"
        )
        for h in e.horizons { #expect(h.revenueMAE < min(h.naiveLastRevenueMAE, h.naiveMeanRevenueMAE), "next \(h.periods)") }
        let next = e.horizons[0]
        #expect(next.dealsMAE < next.naiveLastDealsMAE)
    }
}
