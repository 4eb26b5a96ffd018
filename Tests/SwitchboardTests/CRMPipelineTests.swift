import Foundation
import Learning
import Testing

@testable import Switchboard

/// ../shared/data/crm-sales-pipeline as a negative control: its outcomes do not depend on the sales agent
/// (chi-square p = 0.26), so the match model must not invent agent effects. Skipped when the data is absent.
@Suite("CRM sales pipeline")
struct CRMPipelineTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/crm-sales-pipeline")

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
