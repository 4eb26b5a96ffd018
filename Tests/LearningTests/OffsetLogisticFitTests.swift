import Foundation
import LinearAlgebra
import Testing
import TestSupport

@testable import Learning

@Suite("Offset logistic fit")
struct OffsetLogisticFitTests {
    /// The log posterior written out naively.
    static func logPosterior(
        _ beta: [Double], _ rows: [OffsetLogisticFit.Row], means: [Double], precisions: [Double]
    ) -> Double {
        var total = 0.0
        for j in beta.indices { total -= 0.5 * precisions[j] * (beta[j] - means[j]) * (beta[j] - means[j]) }
        for row in rows {
            var z = row.offset
            for entry in row.entries { z += entry.value * beta[entry.column] }
            let p = 1 / (1 + exp(-z))
            total += row.won ? log(p) : log(1 - p)
        }
        return total
    }

    /// Three coefficients (one with a flat prior), rows naming one or two columns with values other than 1: every
    /// partial derivative of the naive log posterior is zero at the fit, and the covariance is the inverse of its
    /// finite-difference negative Hessian.
    @Test func isTheModeAndLaplaceCovarianceOfTheNaivePosterior() throws {
        var rng = SeededGenerator(seed: 41)
        let truth = [0.4, -0.3, 0.8]
        let rows = (0..<900).map { i -> OffsetLogisticFit.Row in
            let offset = rng.nextGaussian()
            var entries: [(column: Int, value: Double)] = [(i % 3, 1 + Double(i % 2))]
            if i % 4 == 0 { entries.append(((i + 1) % 3, 0.5)) }
            let z = entries.reduce(offset) { $0 + $1.value * truth[$1.column] }
            return OffsetLogisticFit.Row(offset: offset, entries: entries, won: rng.nextUniform() < 1 / (1 + exp(-z)))
        }
        let means = [0.1, 0.0, -0.2], precisions = [4.0, 0.0, 1.0]
        let fit = OffsetLogisticFit.fit(rows: rows, priorMeans: means, priorPrecisions: precisions)
        let covariance = try #require(fit.covariance)
        func f(_ b: [Double]) -> Double { Self.logPosterior(b, rows, means: means, precisions: precisions) }
        let beta = fit.coefficients
        for (k, derivative) in finiteDifferenceGradient(f, at: beta, step: 1e-5).enumerated() {
            #expect(abs(derivative) < 1e-5, "∂/∂β\(k)")
        }
        let hessian = finiteDifferenceHessian(f, at: beta, step: 1e-3).map { $0.map { -$0 } }
        let numeric = try CholeskyFactor(factoring: Matrix(rows: hessian)).solving(Matrix<Double>.identity(3))
        for i in 0..<3 {
            for j in 0..<3 {
                #expect(abs(covariance[i, j] - numeric[i, j]) <= 1e-4 * covariance[i, i], "covariance[\(i), \(j)]")
            }
        }
    }

    /// One coefficient, flat prior, no offset, every row's entry 1: the closed form β̂ = logit(ȳ), variance
    /// 1/(n·ȳ(1 − ȳ)). A coefficient no row names keeps its prior mean, with variance 1/precision.
    @Test func matchesTheClosedFormsOfOneProportion() throws {
        let won = 37, n = 100
        let rows = (0..<n).map { OffsetLogisticFit.Row(offset: 0, entries: [(0, 1)], won: $0 < won) }
        let fit = OffsetLogisticFit.fit(rows: rows, priorMeans: [0, 0.25], priorPrecisions: [0, 8])
        let ybar = Double(won) / Double(n)
        #expect(abs(fit.coefficients[0] - log(ybar / (1 - ybar))) < 1e-10)
        let covariance = try #require(fit.covariance)
        #expect(abs(covariance[0, 0] - 1 / (Double(n) * ybar * (1 - ybar))) < 1e-10)
        #expect(fit.coefficients[1] == 0.25 && abs(covariance[1, 1] - 1.0 / 8) < 1e-12)
        // A flat-prior coefficient no row names has no information: no covariance.
        #expect(OffsetLogisticFit.fit(rows: rows, priorMeans: [0, 0], priorPrecisions: [0, 0]).covariance == nil)
    }
}
