import Learning
import LinearAlgebra
import Testing

@testable import Switchboard

/// Library entry points used at once from several tasks (as a server will) give the same results as alone.
@Suite("Concurrent use of the library")
struct ConcurrencyTests {
    static func fit() throws -> [Double] {
        var rng = SeededGenerator(seed: 9)
        let n = 600, a = 6, b = 5
        let left = try Matrix(
            rowCount: n, columnCount: a, storage: (0..<(n * a)).map { $0 % a == 0 ? 1 : rng.nextGaussian() })
        let right = try Matrix(
            rowCount: n, columnCount: b, storage: (0..<(n * b)).map { $0 % b == 0 ? 1 : rng.nextGaussian() })
        let labels = (0..<n).map { _ in rng.nextUniform() < 0.4 }
        return try BilinearLogisticRegression.fit(
            left: left, right: right, labels: labels, configuration: BilinearConfiguration(l2Strength: 0.1)
        ).model.interaction
    }

    @Test func twoScoringsAndAFitInParallelGiveTheSameResultsAsAlone() async throws {
        let (model, partners, leads, rules) = LeadScorerTests.instance(seed: 5)
        let scorer = try LeadScorer(model: model, partners: partners, rules: rules, at: model.historyEnd)
        let other = try LeadScorer(model: model, partners: partners, rules: EligibilityRules(), at: model.historyEnd)
        let aloneA = try scorer.score(leads, top: 7)
        let aloneB = try other.score(leads, top: 3, workers: 1)
        let aloneFit = try Self.fit()
        for _ in 0..<3 {
            let a = Task.detached { try scorer.score(leads, top: 7) }
            let b = Task.detached { try other.score(leads, top: 3, workers: 1) }
            let c = Task.detached { try Self.fit() }
            let d = Task.detached { try scorer.score(Array(leads.reversed()), top: 7, workers: 2) }
            #expect(try await a.value == aloneA)
            #expect(try await b.value == aloneB)
            #expect(try await c.value == aloneFit)
            #expect(try await d.value == Array(aloneA.reversed()))
        }
    }
}
