import Foundation
import Learning
import Testing

@testable import Switchboard

/// The generated ecosystem: determinism, files that load back to the same records, realistic shape, and the
/// committed sample and models.
@Suite("Ecosystem generator and shipped sample")
struct EcosystemSampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        try #require(FileManager.default.contents(atPath: root.appendingPathComponent(relativePath).path)).map { $0 }
    }

    @Test func committedSampleRegeneratesExactly() throws {
        let files = EcosystemGenerator(partnerCount: 300, leadCount: 20_000, periodCount: 24, incomingCount: 3000, seed: 2026)
            .generate().files()
        #expect(files.count == 21)
        for file in files {
            #expect(Array(file.text.utf8) == (try Self.bytes("Data/ecosystem/\(file.name)")), "Data/ecosystem/\(file.name)")
        }
    }

    @Test func shippedModelsWereTrainedOnTheSample() throws {
        let match = try ModelFile.decode(MatchModel.self, from: try Self.bytes("Models/match.json"), file: "Models/match.json")
        let sample = ["partners.csv", "leads.csv", "outcomes.csv", "action_history.csv"]
        #expect(match.training.dataChecksum == FNV1a64.digest(try sample.flatMap { try Self.bytes("Data/ecosystem/\($0)") }))
        #expect(match.training.converged)
        #expect(match.encoding.actions.count == 10)
        let churn = try ModelFile.decode(ChurnModel.self, from: try Self.bytes("Models/churn.json"), file: "Models/churn.json")
        #expect(churn.training.converged)
        #expect(churn.usesPartnerAttributes)
    }

    @Test func generatorIsDeterministicPerSeed() {
        let a = EcosystemGenerator(partnerCount: 40, leadCount: 2000, periodCount: 6, incomingCount: 50, seed: 1).generate()
        let b = EcosystemGenerator(partnerCount: 40, leadCount: 2000, periodCount: 6, incomingCount: 50, seed: 1).generate()
        let c = EcosystemGenerator(partnerCount: 40, leadCount: 2000, periodCount: 6, incomingCount: 50, seed: 2).generate()
        #expect(a.files().map(\.text) == b.files().map(\.text))
        #expect(a.files()[2].text != c.files()[2].text)
    }

    /// Every written file loads back through the validating loaders to the same records, and references check out.
    @Test func writtenFilesLoadBackAndValidate() throws {
        let generated = EcosystemGenerator(partnerCount: 60, leadCount: 5000, periodCount: 12, incomingCount: 100, seed: 3)
            .generate()
        let files = Dictionary(uniqueKeysWithValues: generated.files().map { ($0.name, $0.text) })
        func table(_ name: String) throws -> CSVTable { try CSVTable(parsing: Array(files[name]!.utf8), source: name) }
        let e = generated.ecosystem
        #expect(try RecordLoader.partners(table("partners.csv")) == e.partners)
        #expect(try RecordLoader.leads(table("leads.csv")) == e.leads)
        #expect(try RecordLoader.outcomes(table("outcomes.csv")) == e.outcomes)
        #expect(try RecordLoader.activity(table("activity.csv")) == e.activity)
        #expect(try RecordLoader.actions(table("actions.csv")) == e.actions)
        #expect(try RecordLoader.actionHistory(table("action_history.csv")) == e.actionHistory)
        #expect(try RecordLoader.leads(table("incoming.csv")) == generated.incoming)
        try e.validate()
        #expect(generated.truth.pairs.count == e.outcomes.count { $0.outcome != .declined })
        #expect(generated.truth.churn.count == e.activity.count)
    }

    /// The shape the issue asks for: long-tailed partner sizes, win probability falling with load, churn following
    /// falling engagement, and the truth function reproducing the recorded pair probabilities.
    @Test func theSimulatedWorldHasTheIntendedShape() throws {
        let generated = EcosystemGenerator(partnerCount: 500, leadCount: 60_000, periodCount: 24, incomingCount: 0, seed: 4)
            .generate()
        let e = generated.ecosystem
        let capacities = e.partners.map(\.capacity).sorted()
        let top = capacities.suffix(capacities.count / 10).reduce(0, +), all = capacities.reduce(0, +)
        #expect(Double(top) / Double(all) > 0.3, "the largest 10% of partners hold \(Double(top) / Double(all)) of capacity")
        #expect(capacities[capacities.count / 2] <= 8, "median capacity \(capacities[capacities.count / 2])")
        // Win probability falls with utilisation, all else equal.
        let partner = e.partners[0], lead = e.leads[0]
        let idle = generated.truth.winProbability(lead: lead, partner: partner, utilisation: 0)
        let busy = generated.truth.winProbability(lead: lead, partner: partner, utilisation: 1.5)
        #expect(busy < idle)
        // Churners' logins fell over their last periods more than everyone else's did.
        var churnTrend: [Double] = [], stayTrend: [Double] = []
        var history: [String: [ActivityFigures]] = [:]
        for row in e.activity {
            history[row.partnerID, default: []].append(row.figures)
            let trend = EcosystemTruth.trend(history[row.partnerID]!.map { log1p($0.portalLogins) })
            if row.churnedNext { churnTrend.append(trend) } else { stayTrend.append(trend) }
        }
        let mean = { (x: [Double]) in x.reduce(0, +) / Double(x.count) }
        #expect(mean(churnTrend) < mean(stayTrend) - 0.1, "login trend of churners \(mean(churnTrend)) vs \(mean(stayTrend))")
        // Churn rate per month in a realistic range.
        let rate = Double(e.activity.count { $0.churnedNext }) / Double(e.activity.count)
        #expect(rate > 0.01 && rate < 0.08, "monthly churn rate \(rate)")
        let won = Double(e.outcomes.count { $0.outcome == .won }) / Double(e.outcomes.count)
        #expect(won > 0.25 && won < 0.6, "won share \(won)")
    }
}
