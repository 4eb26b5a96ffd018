import Foundation
import Learning
import LinearAlgebra
import Testing

@testable import Switchboard

@Suite("The generator's own Bayes forecast")
struct PotentialBayesForecastTests {
    /// ε's grid posterior against Bayes' rule by rejection sampling: draw ε from its prior and the partner's n periods
    /// of deals from the generator's Poisson, keep the draws that reproduce its S deals, and compare the mean rate.
    @Test(arguments: [(-0.5, 0.0, 5.0), (0.4, 7.0, 10.0), (0.1, 30.0, 20.0), (0.0, 0.0, 0.0)])
    func posteriorMatchesRejectionSampling(linear: Double, deals: Double, periods: Double) {
        let posterior = PotentialBayesForecast.posterior(linear: linear, deals: deals, periods: periods)
        var rng = SeededGenerator(seed: 404)
        var kept: [Double] = []
        while kept.count < 20_000 {
            let rate = Kernels.exponential(
                PotentialGenerator.baseRate + linear + PotentialGenerator.noise * rng.nextGaussian())
            if poisson(periods * rate, &rng) == deals { kept.append(rate) }
        }
        let mean = kept.reduce(0, +) / Double(kept.count)
        let sd = (kept.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(kept.count - 1)).squareRoot()
        #expect(
            abs(posterior.meanRate - mean) < 4 * sd / Double(kept.count).squareRoot(),
            "grid \(posterior.meanRate), rejection \(mean) ± \(sd / Double(kept.count).squareRoot())")
        // Its draws have the same mean.
        var draws = 0.0
        for _ in 0..<20_000 { draws += posterior.draw(&rng) }
        #expect(abs(draws / 20_000 - posterior.meanRate) < 4 * sd / Double(20_000).squareRoot())
    }

    /// ℓ recomputed from the files is the generator's: what is left of each partner's true potential, divided by
    /// the noise's spread, is standard normal (a wrong coefficient, feature or early-behaviour window would widen it).
    @Test func linearPartLeavesStandardNormalNoise() throws {
        let (input, generated) = try PartnerProfileTests.generated(partners: 600, seed: 75)
        let reference = PotentialBayesForecast.make(
            partners: input.partners, firmographics: input.firmographics, activity: input.activity,
            performance: input.performance, partnerIDs: input.partners.map(\.id), horizons: [1], draws: 10)
        let potential = Dictionary(
            uniqueKeysWithValues: generated.potential!.truth.partners.map { ($0.partnerID, $0.potential) })
        let residuals = reference.rows.map { (potential[$0.partnerID]! - $0.linear) / PotentialGenerator.noise }
        let n = Double(residuals.count)
        let mean = residuals.reduce(0, +) / n
        let sd = (residuals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
        #expect(abs(mean) < 4 / n.squareRoot(), "mean \(mean)")
        #expect(abs(sd - 1) < 4 / (2 * n).squareRoot(), "sd \(sd)")
    }

    /// The evaluation measures a reference exactly as it measures the forecast: given the forecast's own medians
    /// as the reference, both errors are equal; a partner the reference leaves out counts as a forecast of 0.
    @Test func evaluationMeasuresTheReferenceLikeTheForecast() throws {
        let (input, generated) = try PartnerProfileTests.generated(partners: 300, seed: 76)
        let forecast = try PartnerForecast.make(input)
        let future = generated.potential!.truth.future
        let same = PotentialBayesForecast(
            horizons: forecast.horizons,
            rows: forecast.rows.map { row in
                PotentialBayesForecast.Row(
                    partnerID: row.partnerID, deals: row.deals.map(\.median), revenue: row.revenue.map(\.median),
                    linear: 0, meanRate: 0)
            })
        let evaluation = ForecastEvaluation.evaluate(forecast, input: input, future: future, reference: same)
        for h in evaluation.horizons {
            #expect(h.referenceRevenueMAE == h.revenueMAE)
            #expect(h.referenceDealsMAE == h.dealsMAE)
        }
        let none = PotentialBayesForecast(horizons: forecast.horizons, rows: [])
        let zero = ForecastEvaluation.evaluate(forecast, input: input, future: future, reference: none)
        let actual = Dictionary(grouping: future.filter { $0.period == forecast.firstPeriod }, by: \.partnerID)
        let expected = forecast.rows.reduce(0.0) { $0 + (actual[$1.partnerID]?.first?.revenue ?? 0) }
        let n = Double(forecast.rows.count)
        #expect(abs(zero.horizons[0].referenceRevenueMAE! - expected / n) <= 1e-9 * max(1, expected / n))
        #expect(ForecastEvaluation.evaluate(forecast, input: input, future: future).horizons[0].referenceRevenueMAE == nil)
    }
}
