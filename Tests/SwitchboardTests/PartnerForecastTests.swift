import Foundation
import Learning
import LinearAlgebra
import Testing

@testable import Switchboard

@Suite("Partner forecasts")
struct PartnerForecastTests {
    /// The 80% intervals cover 75–85% of outcomes drawn from the fitted model itself, and as much as their own
    /// predictive mass says they should.
    @Test func intervalsCoverDrawsFromTheFittedModel() throws {
        let (input, _) = try PartnerProfileTests.generated(partners: 800, seed: 71)
        let forecast = try PartnerForecast.make(input)
        var rng = SeededGenerator(seed: 99)
        for (k, h) in forecast.horizons.enumerated() {
            var covered = 0.0, expected = 0.0, n = 0.0
            for row in forecast.rows {
                let value = forecast.dealValue[row.segment]!
                let r = row.revenue[k]
                // The interval's own mass, from fresh draws, and one more draw as "what happened".
                var inside = 0.0
                for _ in 0..<400 {
                    let y = compoundDraw(row.deals[k].mean, value, forecast.dealValueSpread, &rng)
                    if y >= r.low && y <= r.high { inside += 1 }
                }
                expected += inside / 400
                let actual = compoundDraw(row.deals[k].mean, value, forecast.dealValueSpread, &rng)
                if actual >= r.low && actual <= r.high { covered += 1 }
                n += 1
            }
            let coverage = covered / n, mass = expected / n
            #expect(coverage >= 0.75 && coverage <= 0.85, "horizon \(h): coverage \(coverage)")
            #expect(abs(coverage - mass) < 3 * (mass * (1 - mass) / n).squareRoot() + 0.005, "horizon \(h)")
        }
    }

    /// Against the generator's drawn future: MAE below the better naive forecast and 80% intervals covering 75–85%.
    /// (The target, MAE 20% below the better naive, is met for the next period on the sample, 26%, but not
    /// everywhere: 14–18% on the next 3 periods and on 2,000 partners; see docs/profiles.md.)
    @Test(arguments: [UInt64(72), 73])
    func forecastsBeatNaiveForecastsOnTheDrawnFuture(seed: UInt64) throws {
        let (input, generated) = try PartnerProfileTests.generated(partners: 1500, seed: seed)
        let forecast = try PartnerForecast.make(input)
        let evaluation = ForecastEvaluation.evaluate(forecast, input: input, future: generated.potential!.truth.future)
        for h in evaluation.horizons {
            let naive = min(h.naiveLastRevenueMAE, h.naiveMeanRevenueMAE)
            #expect(h.revenueMAE < naive, "next \(h.periods): MAE \(h.revenueMAE) naive \(naive)")
            #expect(h.dealsMAE < min(h.naiveLastDealsMAE, h.naiveMeanDealsMAE), "next \(h.periods)")
            #expect(h.revenueCoverage >= 0.75 && h.revenueCoverage <= 0.85, "next \(h.periods): \(h.revenueCoverage)")
        }
    }

    @Test func intervalRuleHandlesTheAtomAtZero() {
        // P(0) = 0.9 ≥ 0.8: [0, 0]; P(0) = 0.5: [0, q80]; no zeros: the central interval.
        let mostlyZero = [Double](repeating: 0, count: 90) + (1...10).map(Double.init)
        #expect(interval(mostlyZero, mean: 1, coverage: 0.8) == PartnerForecast.Interval(mean: 1, median: 0, low: 0, high: 0))
        let half = [Double](repeating: 0, count: 50) + (1...50).map(Double.init)
        let i = interval(half, mean: 1, coverage: 0.8)
        #expect(i.low == 0 && i.high == 30)
        let none = (1...100).map(Double.init)
        let j = interval(none, mean: 50, coverage: 0.8)
        #expect(j.low == 10 && j.high == 90)
        // The exact Poisson version agrees with its definition.
        let p = poissonInterval(2, 0.8)
        #expect(p.low == 0 && p.high == 3 && p.median == 2)
    }
}
