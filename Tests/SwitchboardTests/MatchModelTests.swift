import Foundation
import Learning
import LinearAlgebra
import Testing

@testable import Switchboard

/// The match model's features against brute-force recomputation, its folds, and its file.
@Suite("Match model features and file")
struct MatchModelTests {
    static let generated = EcosystemGenerator(partnerCount: 40, leadCount: 3000, periodCount: 8, incomingCount: 20, seed: 17)
        .generate()

    /// Each pair's track record and open count, recomputed by brute force from the outcomes before its time.
    @Test func trackRecordsUseOnlyTheEarlierOutcomes() throws {
        let e = Self.generated.ecosystem
        let encoding = MatchEncoding(leads: e.leads, partners: e.partners, priorStrength: 20)
        let data = MatchData(partners: e.partners, leads: e.leads, outcomes: e.outcomes)
        var rng = SeededGenerator(seed: 3)
        let expected = e.outcomes.map { _ in rng.nextUniform() }
        let examples = data.examples(encoding, expected: expected)
        let record = data.trackRecord(encoding, expected: expected)
        var vertical: [String: String] = [:]
        for lead in e.leads { vertical[lead.id] = lead.vertical }
        for row in stride(from: 0, to: examples.count, by: 37) {
            let pair = e.outcomes[examples.outcomeIndices[row]]
            let t = pair.assigned
            var wins = 0.0, trials = 0.0, expectedWins = 0.0, open = 0
            var verticalTrials = [Double](repeating: 0, count: encoding.verticals.count)
            for (index, o) in e.outcomes.enumerated() where o.partnerID == pair.partnerID && o.outcome != .declined {
                if let closed = o.closed, closed < t {
                    trials += 1
                    expectedWins += expected[index]
                    if o.outcome == .won { wins += 1 }
                    verticalTrials[encoding.verticals.firstIndex(of: vertical[o.leadID]!)!] += 1
                }
                if o.assigned < t && (o.closed.map { $0 > t } ?? true) { open += 1 }
            }
            let p = record.partnerIndex[pair.partnerID]!
            #expect(record.openCount(p, at: t.secondsSinceEpoch) == open)
            var seen: WinCounts?
            record.sweep(times: [(t.secondsSinceEpoch, p)]) { _, counts, _ in seen = counts }
            #expect(seen?.wins == wins && seen?.trials == trials && seen?.verticalTrials == verticalTrials)
            #expect(abs((seen?.expectedWins ?? -1) - expectedWins) < 1e-9)
            // And the encoded row agrees: log(1 + resolved leads) is the last entry of ψ̃.
            let b = examples.rawRight.columnCount
            #expect(abs(examples.rawRight.storage[row * b + b - 1] - log1p(trials)) < 1e-12)
            #expect(abs(examples.rawRight.storage[row * b + encoding.rightNumericStart + 1] - log1p(Double(open))) < 1e-12)
        }
    }

    @Test func encodingNamesMatchTheRowsAndPenaltyWeightsFavourExpectedTerms() {
        let e = Self.generated.ecosystem
        let encoding = MatchEncoding(leads: e.leads, partners: e.partners, actionHistory: e.actionHistory, priorStrength: 20)
        let examples = MatchData(partners: e.partners, leads: e.leads, outcomes: e.outcomes, actionHistory: e.actionHistory)
            .examples(encoding)
        #expect(examples.left.columnCount == encoding.leftNames.count)
        #expect(examples.rawRight.columnCount == encoding.rightNames.count)
        // Each lead row: the constant, then exactly one entry in each one-hot group.
        let a = examples.left.columnCount
        for i in 0..<examples.count {
            let row = examples.left.storage[(i * a)..<((i + 1) * a)]
            #expect(row.first == 1)
            #expect(
                row.reduce(0, +) == 7
                    + Double(
                        e.leads.first { $0.id == e.outcomes[examples.outcomeIndices[i]].leadID }!.requiredCertifications.count))
            if i > 50 { break }
        }
        let weights = encoding.penaltyWeights(interactionPenalty: 100)
        let b = encoding.rightNames.count
        let vertical = encoding.leftNames.firstIndex(of: "vertical=retail")!
        #expect(weights[vertical * b + encoding.rightNames.firstIndex(of: "expert in retail")!] == 1)
        #expect(weights[vertical * b + encoding.rightNames.firstIndex(of: "expert in energy")!] == 100)
        #expect(weights[vertical * b] == 1 && weights[3] == 1)
    }

    @Test func timeFoldsNeverTrainOnTheFuture() {
        var rng = SeededGenerator(seed: 5)
        let times = (0..<1001).map { _ in Int64(rng.nextUniform() * 1e6) }
        let folds = MatchTrainer.timeFolds(times: times, folds: 4)
        #expect(folds.count == 4)
        for (i, fold) in folds.enumerated() {
            let latestTrain = fold.train.map { times[$0] }.max()!, earliestTest = fold.test.map { times[$0] }.min()!
            #expect(latestTrain <= earliestTest)
            #expect(Set(fold.train).isDisjoint(with: fold.test))
            #expect(fold.train.count + fold.test.count == 1001 * (i + 2) / 5)
        }
    }

    @Test func trainedModelRoundTripsAndExplainsItself() throws {
        let e = Self.generated.ecosystem
        var request = MatchTrainingRequest()
        request.l2Strength = 0.01
        request.folds = 2
        let model = try MatchTrainer.train(
            partners: e.partners, leads: e.leads, outcomes: e.outcomes, actionHistory: e.actionHistory, request: request)
        #expect(model.training.converged)
        #expect(model.metrics.crossValidation?.foldCount == 2)
        var decoded = try ModelFile.decode(MatchModel.self, from: try ModelFile.encode(model), file: "match.json")
        #expect(!decoded.header.checksum.isEmpty)
        decoded.header = model.header
        #expect(decoded == model)
        // The margin matrix is the pairwise probabilities' logits.
        let leads = Array(Self.generated.incoming.prefix(5)), partners = Array(e.partners.prefix(7))
        let states = model.states(of: partners, at: model.historyEnd)
        let margins = model.marginMatrix(leads: leads, states: states)
        for i in leads.indices {
            let p = try model.probabilities(leads: Array(repeating: leads[i], count: partners.count), states: states)
            for j in partners.indices { #expect(abs(Kernels.sigmoid(margins.storage[i * partners.count + j]) - p[j]) < 1e-12) }
        }
        let effects = model.partnerEffects(leads: leads, partners: partners, at: model.historyEnd)
        #expect(abs(effects.reduce(0, +)) < 1e-9)
        // Evaluating on the training history reproduces the training pairs.
        let scored = try model.evaluate(
            partners: e.partners, leads: e.leads, outcomes: e.outcomes, actionHistory: e.actionHistory)
        #expect(scored.labels.count == model.training.rowCount)
        let report = try Metrics.report(labels: scored.labels, probabilities: scored.probabilities)
        #expect(abs(report.rocAUC - model.metrics.training!.rocAUC) < 1e-9)
    }

    @Test func badRequestsAreRejected() {
        let e = Self.generated.ecosystem
        for mutate in [
            { (r: inout MatchTrainingRequest) in r.l2Strength = -1 }, { $0.folds = 1 }, { $0.rank = 0 },
            { $0.priorStrength = 0 }, { $0.interactionPenalty = .nan }, { $0.rank = 2 },
        ] {
            var request = MatchTrainingRequest()
            mutate(&request)
            #expect(throws: LearningError.self) {
                try MatchTrainer.train(partners: e.partners, leads: e.leads, outcomes: e.outcomes, request: request)
            }
        }
        #expect(throws: LearningError.self) {
            try MatchTrainer.train(partners: e.partners, leads: e.leads, outcomes: [], request: MatchTrainingRequest())
        }
    }
}
