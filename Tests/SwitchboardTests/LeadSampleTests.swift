import Foundation
import Testing
import Learning
@testable import Switchboard

@Suite("Lead sample generator and shipped files")
struct LeadSampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        try #require(FileManager.default.contents(atPath: root.appendingPathComponent(relativePath).path)).map { $0 }
    }

    @Test func committedSamplesRegenerateExactly() throws {
        #expect(
            Array(LeadSampleGenerator(rowCount: 5000, seed: 7).generate().csv.utf8) == (try Self.bytes("Data/sample-leads.csv")))
        #expect(
            Array(LeadSampleGenerator(rowCount: 1000, seed: 8).generate().csv.utf8) == (try Self.bytes("Data/incoming-leads.csv"))
        )
    }

    @Test func generatorIsDeterministicPerSeed() {
        let a = LeadSampleGenerator(rowCount: 300, seed: 1).generate()
        #expect(a.csv == LeadSampleGenerator(rowCount: 300, seed: 1).generate().csv)
        #expect(a.csv != LeadSampleGenerator(rowCount: 300, seed: 2).generate().csv)
        #expect(a.trueProbabilities.allSatisfy { $0 > 0 && $0 < 1 })
    }

    @Test func shippedModelWasTrainedOnTheShippedSample() throws {
        let model = try ModelFile.decode(TabularModel.self, from: try Self.bytes("Models/leads.json"), file: "Models/leads.json")
        #expect(model.training.dataChecksum == FNV1a64.digest(try Self.bytes("Data/sample-leads.csv")))
        #expect(model.training.converged)
        #expect(model.target.positive == "yes")
    }

    @Test func fittedProbabilitiesRecoverTheHiddenTruth() throws {
        let (csv, truth) = LeadSampleGenerator(rowCount: 20_000, seed: 11).generate()
        let table = try CSVTable(parsing: Array(csv.utf8), source: "generated")
        let result = try TabularTrainer.train(
            table,
            request: TabularTrainingRequest(
                target: "converted", columns: ColumnOptions(drop: ["lead_id"])))
        let (fitted, _) = try result.model.probabilities(for: table)
        // Pearson correlation between fitted and true probabilities.
        let n = Double(truth.count)
        let meanA = fitted.reduce(0, +) / n, meanB = truth.reduce(0, +) / n
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in truth.indices {
            ab += (fitted[i] - meanA) * (truth[i] - meanB)
            aa += (fitted[i] - meanA) * (fitted[i] - meanA)
            bb += (truth[i] - meanB) * (truth[i] - meanB)
        }
        let correlation = ab / (aa * bb).squareRoot()
        #expect(correlation > 0.95, "correlation with the true probabilities: \(correlation)")
    }
}
