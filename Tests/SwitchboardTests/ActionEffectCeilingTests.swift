import Foundation
import Learning
import LinearAlgebra
import Testing

@testable import Switchboard

@Suite("Action effects as well as the history allows")
struct ActionEffectCeilingTests {
    /// Newton's solution is the maximum of the naive log-likelihood (central differences of the gradient vanish) and
    /// its standard errors are the inverse of the finite-difference Hessian's diagonal.
    @Test func estimateIsTheMaximumAndItsErrorsTheCurvature() throws {
        let generated = EcosystemGenerator(
            partnerCount: 200, leadCount: 8_000, periodCount: 18, incomingCount: 0, seed: 32
        ).generate()
        let design = try ActionEffectCeiling.design(generated.ecosystem, truth: generated.truth)
        let ceiling = try ActionEffectCeiling.fit(generated.ecosystem, truth: generated.truth)
        #expect(ceiling.estimates.count == design.actionIDs.indices.count { design.treated[$0] > 0 })
        #expect(ceiling.estimates.count >= 5)
        // β in the design's order (an action with no treated outcome stays at 0 and is left out).
        var beta = [Double](repeating: 0, count: design.actionIDs.count)
        for e in ceiling.estimates { beta[design.actionIDs.firstIndex(of: e.actionID)!] = e.estimate }
        let fitted = design.actionIDs.indices.filter { design.treated[$0] > 0 }
        let h = 1e-4
        var hessian = Matrix<Double>(rowCount: fitted.count, columnCount: fitted.count)
        func shifted(_ moves: [(Int, Double)]) -> Double {
            var b = beta
            for (a, d) in moves { b[a] += d }
            return design.logLikelihood(b)
        }
        for (i, a) in fitted.enumerated() {
            let gradient = (shifted([(a, h)]) - shifted([(a, -h)])) / (2 * h)
            #expect(abs(gradient) < 1e-4 * Double(design.rows.count).squareRoot(), "\(design.actionIDs[a]): \(gradient)")
            for (j, b) in fitted.enumerated() {
                hessian[i, j] =
                    (shifted([(a, h), (b, h)]) - shifted([(a, h), (b, -h)]) - shifted([(a, -h), (b, h)])
                        + shifted([(a, -h), (b, -h)])) / (4 * h * h)
            }
        }
        var information = hessian
        for i in 0..<fitted.count { for j in 0..<fitted.count { information[i, j] = -hessian[i, j] } }
        let covariance = try CholeskyFactor(factoring: information).solving(Matrix<Double>.identity(fitted.count))
        for (i, a) in fitted.enumerated() {
            let e = try #require(ceiling.estimates.first { $0.actionID == design.actionIDs[a] })
            let reference = covariance[i, i].squareRoot()
            #expect(abs(e.standardError - reference) < 0.01 * reference, "\(e.actionID): \(e.standardError) vs \(reference)")
            #expect(e.treatedOutcomes == design.treated[a])
        }
    }

    /// On a long history the estimates land on the generator's true effects: every action's within 4 standard errors,
    /// and the standardised errors' mean square is of order 1 (a wrong offset or timing would bias them).
    @Test func estimatesRecoverTheTrueEffects() throws {
        let generated = EcosystemGenerator(
            partnerCount: 1_000, leadCount: 60_000, periodCount: 24, incomingCount: 0, seed: 31
        ).generate()
        let ceiling = try ActionEffectCeiling.fit(generated.ecosystem, truth: generated.truth)
        let truth = Dictionary(uniqueKeysWithValues: generated.truth.actionEffects.map { ($0.actionID, $0.winLogit) })
        var squares: [Double] = []
        for e in ceiling.estimates where e.treatedOutcomes >= 500 {
            let z = (e.estimate - truth[e.actionID]!) / e.standardError
            squares.append(z * z)
            #expect(abs(z) < 4, "\(e.actionID): \(e.estimate) ± \(e.standardError), true \(truth[e.actionID]!)")
        }
        print("standardised errors: \(squares.map { $0.squareRoot() })")
        #expect(squares.count >= 8)
        #expect(squares.reduce(0, +) / Double(squares.count) < 3)
    }

    /// Pairs that do not match the outcomes are refused, not silently misaligned.
    @Test func mismatchedPairsAreRefused() throws {
        let generated = EcosystemGenerator(
            partnerCount: 60, leadCount: 1_000, periodCount: 12, incomingCount: 0, seed: 33
        ).generate()
        var truth = generated.truth
        truth.pairs.removeFirst()
        #expect(throws: RecommendError.self) { try ActionEffectCeiling.fit(generated.ecosystem, truth: truth) }
    }
}
