import Learning
import LinearAlgebra

/// The generator's own forecast of partner-sourced business: what a forecaster would predict that knew the
/// generator's population model exactly (each type's coefficients, the noise's spread, the base rate, the deal sizes
/// and their spread) but, like any forecaster, not a partner's own noise ε.
///
/// A partner's potential is ℓ + 0.45·ε with ℓ = Σₖ β[type]ₖ·fₖ from its firmographics, coverage and early behaviour
/// (`PotentialGenerator`), and it wins Poisson(exp(−0.7 + potential)) deals a period. Having won S deals over its n
/// periods so far, ε's posterior is ∝ φ(ε)·exp(S·log r(ε) − n·r(ε)), r(ε) = exp(−0.7 + ℓ + 0.45·ε), evaluated on
/// a grid of ε (−6 … 6, step 0.01). The next h periods' deals are Poisson(h·r(ε)) under it, each deal its type's size
/// times a mean-1 log-normal factor (σ = 0.6). The point forecasts are the medians of draws from this predictive
/// distribution (each partner its own seeded stream), the forecast that minimises the expected absolute error.
///
/// `evaluate forecast` measures it beside the fitted forecast: it is the ceiling a forecaster fitted on the data can
/// approach but, on average, not beat; on one drawn future it may lose (its expected error is the lowest, not each
/// draw's).
public struct PotentialBayesForecast: Sendable {
    public struct Row: Sendable, Equatable {
        public var partnerID: String
        /// Median deals and revenue over each horizon, in `horizons` order.
        public var deals: [Double]
        public var revenue: [Double]
        /// ℓ, the part of its potential the population model explains.
        public var linear: Double
        /// The posterior mean of the partner's deal rate a period.
        public var meanRate: Double
    }
    public var horizons: [Int]
    public var rows: [Row]

    /// - Parameters:
    ///   - partnerIDs: the partners to forecast (those in the programme at the end of the history).
    ///   - performance: the partner-sourced history, one row a partner a period in the programme.
    ///   - activity: the activity rows, whose first three give each partner's early behaviour.
    /// - Precondition: every partner of `partnerIDs` is in `partners` and has firmographics.
    public static func make(
        partners: [Partner], firmographics: [String: Firmographics], activity: [PartnerActivity],
        performance: [PartnerPerformance], partnerIDs: [String], horizons: [Int],
        effects: PotentialEffects = .segmentSpecific, draws: Int = 4_000, seed: UInt64 = 1
    ) -> PotentialBayesForecast {
        let generator = PotentialGenerator(seed: 0, effects: effects, applicantCount: 0)
        let byID = Dictionary(uniqueKeysWithValues: partners.map { ($0.id, $0) })
        var history: [String: [(period: Int, figures: ActivityFigures)]] = [:]
        for row in activity { history[row.partnerID, default: []].append((row.period, row.figures)) }
        var deals: [String: (total: Double, periods: Double)] = [:]
        for row in performance {
            let sums = deals[row.partnerID] ?? (0, 0)
            deals[row.partnerID] = (sums.total + row.deals, sums.periods + 1)
        }
        let rows = partnerIDs.enumerated().map { index, id in
            let partner = byID[id]!
            let early = PotentialFeatures.earlyBehaviour(
                (history[id] ?? []).sorted { $0.period < $1.period }.map(\.figures))
            let features = PotentialFeatures.values(
                firmographics: firmographics[id]!, verticals: partner.verticals.count,
                technologies: partner.technologies.count, early: early)
            let linear = zip(generator.coefficients(partner.type), features).reduce(0) { $0 + $1.0 * $1.1 }
            let own = deals[id] ?? (0, 0)
            let posterior = Self.posterior(linear: linear, deals: own.total, periods: own.periods)
            var rng = SeededGenerator(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
            var dealMedians: [Double] = [], revenueMedians: [Double] = []
            for h in horizons {
                var dealDraws: [Double] = [], revenueDraws: [Double] = []
                dealDraws.reserveCapacity(draws)
                revenueDraws.reserveCapacity(draws)
                for _ in 0..<draws {
                    let rate = posterior.draw(&rng)
                    let count = poisson(Double(h) * rate, &rng)
                    dealDraws.append(count)
                    revenueDraws.append(generator.dealRevenue(Int(count), partner.type, &rng))
                }
                dealMedians.append(median(dealDraws))
                revenueMedians.append(median(revenueDraws))
            }
            return Row(
                partnerID: id, deals: dealMedians, revenue: revenueMedians, linear: linear, meanRate: posterior.meanRate)
        }
        return PotentialBayesForecast(horizons: horizons, rows: rows)
    }

    /// ε's posterior on the grid, as rates and cumulative probabilities.
    struct Posterior {
        var rates: [Double]
        var cumulative: [Double]
        var meanRate: Double

        func draw(_ rng: inout SeededGenerator) -> Double {
            let u = rng.nextUniform()
            var low = 0, high = cumulative.count - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] < u { low = middle + 1 } else { high = middle }
            }
            return rates[low]
        }
    }

    /// The posterior of a partner's deal rate given its linear part ℓ and S deals over n periods.
    static func posterior(linear: Double, deals: Double, periods: Double) -> Posterior {
        let nodes = 1_201
        var rates = [Double](repeating: 0, count: nodes), logWeights = rates
        for i in 0..<nodes {
            let epsilon = -6 + 0.01 * Double(i)
            let logRate = PotentialGenerator.baseRate + linear + PotentialGenerator.noise * epsilon
            rates[i] = Kernels.exponential(logRate)
            logWeights[i] = -0.5 * epsilon * epsilon + deals * logRate - periods * rates[i]
        }
        let top = logWeights.max()!
        var cumulative = [Double](repeating: 0, count: nodes)
        var total = 0.0, mean = 0.0
        for i in 0..<nodes {
            let w = Kernels.exponential(logWeights[i] - top)
            total += w
            mean += w * rates[i]
            cumulative[i] = total
        }
        for i in 0..<nodes { cumulative[i] /= total }
        return Posterior(rates: rates, cumulative: cumulative, meanRate: mean / total)
    }

    /// The lower median (the value at rank ⌈n/2⌉), as the forecast's intervals take quantiles.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[max(0, (sorted.count + 1) / 2 - 1)]
    }
}
