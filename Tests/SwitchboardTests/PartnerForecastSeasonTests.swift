import Foundation
import Learning
import LinearAlgebra
import Testing

@testable import Switchboard

/// The forecast's season (a cycle of the deal rate within each quarter, used only when the data support it) and
/// each partner's own deal value.
@Suite("Partner forecast season and deal values")
struct PartnerForecastSeasonTests {
    /// A generated ecosystem whose partner-sourced deals are redrawn at each partner's true rate times `factors`
    /// [phase of the period], and whose deals are worth `values(partner index)` times the segment's size.
    static func redrawn(seed: UInt64, factors: [Double], values: (Int) -> Double = { _ in 1 }) throws -> (
        ProfileInput, [String: Double]
    ) {
        var (input, generated) = try PartnerProfileTests.generated(partners: 400, seed: seed)
        let rate = Dictionary(
            uniqueKeysWithValues: generated.potential!.truth.partners.map {
                ($0.partnerID, Kernels.exponential(PotentialGenerator.baseRate + $0.potential))
            })
        let index = Dictionary(uniqueKeysWithValues: input.partners.enumerated().map { ($1.id, $0) })
        var rng = SeededGenerator(seed: seed &+ 1)
        input.performance = input.performance.map { row in
            let p = index[row.partnerID]!
            let deals = poisson(rate[row.partnerID]! * factors[row.period % factors.count], &rng)
            let size = PotentialGenerator.dealSize[input.partners[p].type]! * values(p)
            let revenue = compoundValues(deals, size, PotentialGenerator.sizeSpread, &rng)
            return PartnerPerformance(partnerID: row.partnerID, period: row.period, deals: deals, revenue: revenue)
        }
        return (input, rate)
    }

    /// A 0.6 / 1.0 / 1.4 cycle is found (p < 0.01) and its factors recovered relative to the first phase; the
    /// partners' expected deals over the next 3 periods (one of each phase) then carry the cycle's sum.
    @Test func aQuarterlyCycleIsFoundAndRecovered() throws {
        let truth = [0.6, 1.0, 1.4]
        let (input, rate) = try Self.redrawn(seed: 301, factors: truth)
        let forecast = try PartnerForecast.make(input)
        let test = try #require(forecast.seasonTest)
        #expect(test.pValue < 1e-4, "p = \(test.pValue)")
        #expect(forecast.seasonFactors[0] == 1)
        #expect(abs(forecast.seasonFactors[1] - truth[1] / truth[0]) < 0.15, "\(forecast.seasonFactors)")
        #expect(abs(forecast.seasonFactors[2] - truth[2] / truth[0]) < 0.2, "\(forecast.seasonFactors)")
        // Next period is period 24, phase 0 (the low month): its expected deals over all partners against the truth.
        var expected = 0.0, truthNext = 0.0
        for row in forecast.rows {
            expected += row.deals[0].mean
            truthNext += rate[row.partnerID]! * truth[0]
        }
        #expect(abs(expected / truthNext - 1) < 0.12, "expected \(expected), truth \(truthNext)")
    }

    /// Without a cycle, the season is not used on most seeds (the test's level is 1%), and the figures are those
    /// of a forecast made without a season.
    @Test(arguments: [UInt64(302), 303])
    func noCycleMeansNoSeason(seed: UInt64) throws {
        let (input, _) = try Self.redrawn(seed: seed, factors: [1])
        let forecast = try PartnerForecast.make(input)
        #expect(forecast.seasonFactors == [1, 1, 1], "p = \(forecast.seasonTest?.pValue ?? .nan)")
        var options = ForecastOptions()
        options.seasonLength = 1
        let steady = try PartnerForecast.make(input, options: options)
        #expect(steady.seasonTest == nil && steady.seasonFactors == [1])
        // The same up to the order of the exposures' sums (three phases of factor 1 against one).
        func close(_ x: Double, _ y: Double) -> Bool { abs(x - y) <= 1e-9 * max(1, abs(x), abs(y)) }
        for (a, b) in zip(forecast.rows, steady.rows) {
            for (x, y) in zip(a.revenue, b.revenue) {
                #expect(close(x.mean, y.mean) && close(x.median, y.median) && close(x.low, y.low) && close(x.high, y.high))
            }
        }
    }

    /// Partners whose deals are worth half or twice their segment's get their own values back, shrunk: the
    /// between-partner variance is near the truth's, and a partner's value sits between its own mean and its
    /// segment's, nearer its own the more deals it has.
    @Test func partnersOwnDealValuesAreShrunkTowardTheSegment() throws {
        let (input, _) = try Self.redrawn(seed: 304, factors: [1], values: { $0 % 2 == 0 ? 0.5 : 2 })
        let forecast = try PartnerForecast.make(input)
        // Relative to the segment's mean value (1.25× the size), partners sit at 0.4 or 1.6: variance 0.36. The
        // estimate is lower (conservative): σ comes from single-deal periods around the segment's mean, so it
        // takes in part of the partners' own differences (docs/profiles.md).
        #expect(
            forecast.dealValueBetweenSpread > 0.08 && forecast.dealValueBetweenSpread < 0.45, "\(forecast.dealValueBetweenSpread)"
        )
        var revenue: [String: Double] = [:], deals: [String: Double] = [:]
        for row in input.performance {
            revenue[row.partnerID, default: 0] += row.revenue
            deals[row.partnerID, default: 0] += row.deals
        }
        for row in forecast.rows where deals[row.partnerID]! > 0 {
            let own = revenue[row.partnerID]! / deals[row.partnerID]!
            let segment = forecast.dealValue[row.segment]!
            #expect(row.dealValue >= min(own, segment) - 1e-6 && row.dealValue <= max(own, segment) + 1e-6)
        }
        // With the segments' values true, little between-partner spread is found.
        let (plain, _) = try Self.redrawn(seed: 305, factors: [1])
        #expect(try PartnerForecast.make(plain).dealValueBetweenSpread < 0.05)
    }
}
