import Foundation
import Learning
import Testing
import LinearAlgebra

@testable import Switchboard

/// The policy replay and the model-to-router glue.
@Suite("Routing simulation")
struct SimulationTests {
    static let fixture = GeneratedFixture(partners: 60, leads: 4000, periods: 6, incoming: 50, seed: 41)
    static var generated: GeneratedEcosystem { fixture.generated }
    static var model: MatchModel { fixture.model }

    @Test func uncertaintyIsTheBetaPosteriorsStandardDeviation() {
        var counts = WinCounts(verticalCount: 1)
        counts.wins = 3
        counts.trials = 10
        let a = 4.0, b = 8.0
        #expect(abs(ModelRouter.winRateUncertainty(counts) - (a * b / ((a + b) * (a + b) * (a + b + 1))).squareRoot()) < 1e-15)
        #expect(abs(ModelRouter.winRateUncertainty(nil) - (1.0 / 12).squareRoot()) < 1e-15)
    }

    @Test func replayValuesTheHistoryByTheTruthAndIsDeterministic() throws {
        let e = Self.generated.ecosystem, truth = Self.generated.truth
        var settings = SimulationSettings()
        settings.days = 20
        settings.capacityScale = 0.5
        let report = try PolicySimulation.run(model: Self.model, ecosystem: e, truth: truth, settings: settings)
        #expect(
            report.outcomes.map(\.name) == ["historical", "optimal", "optimal+fairness", "greedy", "round-robin", "weighted"])
        // The historical row, recomputed: each window lead's accepted pair, its true P(win).
        var first: [String: Timestamp] = [:], accepted: [String: Outcome] = [:]
        for o in e.outcomes.sorted(by: { $0.assigned < $1.assigned }) {
            if first[o.leadID] == nil { first[o.leadID] = o.assigned }
            if o.outcome != .declined && accepted[o.leadID] == nil { accepted[o.leadID] = o }
        }
        let inWindow = first.filter { $0.value >= report.windowStart }.map(\.key)
        var truePairs: [String: Double] = [:]
        for pair in truth.pairs { truePairs["\(pair.leadID)|\(pair.partnerID)"] = pair.winProbability }
        let expected = inWindow.compactMap { accepted[$0] }.reduce(0.0) { $0 + truePairs["\($1.leadID)|\($1.partnerID)"]! }
        let historical = report.outcomes[0]
        #expect(historical.leads == inWindow.count && abs(historical.expectedWins - expected) < 1e-9)
        for outcome in report.outcomes {
            #expect(outcome.assigned <= outcome.leads && outcome.leadsPerPartner.values.reduce(0, +) == outcome.assigned)
            #expect(outcome.loadGini >= 0 && outcome.loadGini < 1)
        }
        // Steering by the model beats rotating blindly.
        let wins = Dictionary(uniqueKeysWithValues: report.outcomes.map { ($0.name, $0.expectedWins) })
        #expect(wins["optimal"]! > wins["round-robin"]!)
        let again = try PolicySimulation.run(model: Self.model, ecosystem: e, truth: truth, settings: settings)
        #expect(again.outcomes == report.outcomes)
    }

    @Test func truthFilesReadBack() throws {
        let files = Self.generated.files()
        func table(_ name: String) throws -> CSVTable {
            try CSVTable(parsing: Array(files.first { $0.name == name }!.text.utf8), source: name)
        }
        let loaded = try EcosystemTruth.load(partners: try table("truth/partners.csv"), pairs: try table("truth/pairs.csv"))
        let truth = Self.generated.truth
        for (id, q) in truth.quality { #expect(abs(loaded.quality[id]! - q) < 1e-12) }
        #expect(loaded.pairs.count == truth.pairs.count)
        let lead = Self.generated.incoming[0], partner = Self.generated.ecosystem.partners[0]
        #expect(
            abs(
                loaded.winProbability(lead: lead, partner: partner, utilisation: 0.5)
                    - truth.winProbability(lead: lead, partner: partner, utilisation: 0.5)) < 1e-12)
        #expect(throws: RecordError.self) {
            try EcosystemTruth.load(
                partners: try CSVTable(parsing: Array("partner_id,quality\nP1,0.1\n".utf8), source: "t.csv"), pairs: nil)
        }
    }
}
