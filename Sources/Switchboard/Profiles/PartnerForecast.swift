import Learning
import LinearAlgebra

/// How forecasts are made.
public struct ForecastOptions: Sendable, Equatable {
    /// Horizons forecast, in periods (each forecast is the total over the next h periods).
    public var horizons = [1, 3]
    /// The prediction intervals' probability.
    public var coverage = 0.8
    /// Monte Carlo draws behind each revenue interval.
    public var draws = 2000
    public var seed: UInt64 = 7
    /// The Poisson GLM's L2 strength.
    public var l2Strength = 1e-3

    public init() {}
}

/// Partner-sourced won deals and revenue forecasts with prediction intervals.
///
/// Deals a period are Poisson with a log-linear mean (a GLM fitted on every partner-period of the history): from the
/// partner's recent and long-run deal rates, its tenure, its profile features and its segment. Revenue is the sum of
/// the deals' values, each its segment's mean deal value times a log-normal factor (σ estimated from single-deal
/// periods): a compound Poisson–log-normal, which has the point mass at zero (no deal this period) and the long right
/// tail partner-sourced revenue shows; a Gaussian or log-normal model of revenue itself has neither. The point
/// forecast is the predictive median (it minimises the expected absolute error); totals add the predictive means.
/// Intervals: with P(0) ≥ the coverage, [0, 0]; with P(0) above (1 − coverage)/2, [0, q(coverage)]; else the
/// central interval. Each partner's draws come from its own seeded stream, so every figure is reproducible.
public struct PartnerForecast: Sendable {
    public struct Interval: Sendable, Equatable {
        public var mean: Double
        public var median: Double
        public var low: Double
        public var high: Double
    }

    public struct Row: Sendable {
        public var partnerID: String
        public var segment: String
        /// Per horizon (`horizons` order).
        public var deals: [Interval]
        public var revenue: [Interval]
        /// The partner's Monte Carlo revenue draws per horizon (for totals).
        var revenueDraws: [[Double]]
    }

    public var horizons: [Int]
    public var coverage: Double
    public var rows: [Row]
    /// Per horizon: the ecosystem total and each segment's total (mean and interval).
    public var totals: [Interval]
    public var segmentTotals: [String: [Interval]]
    public var model: PoissonRegression
    public var dealValue: [String: Double]
    public var dealValueSpread: Double
    /// The first period forecast (the one after the last in the history).
    public var firstPeriod: Int

    /// Fits on every partner-period of `input` before `end` (default: the whole history) and forecasts the partners
    /// in the programme at period `end − 1`.
    public static func make(_ input: ProfileInput, options: ForecastOptions = ForecastOptions(), end: Int? = nil) throws
        -> PartnerForecast
    {
        let end = end ?? input.periodCount
        let index = Dictionary(uniqueKeysWithValues: input.partners.enumerated().map { ($1.id, $0) })
        var deals = [[Double?]](repeating: [Double?](repeating: nil, count: end), count: input.partners.count)
        var revenueTotal: [String: Double] = [:], dealTotal: [String: Double] = [:]
        var singleDealLogs: [(String, Double)] = []
        for row in input.performance where row.period < end {
            let p = index[row.partnerID]!
            deals[p][row.period] = row.deals
            revenueTotal[input.segments[p], default: 0] += row.revenue
            dealTotal[input.segments[p], default: 0] += row.deals
            if row.deals == 1 && row.revenue > 0 { singleDealLogs.append((input.segments[p], Kernels.logarithm(row.revenue))) }
        }
        var dealValue: [String: Double] = [:]
        let overallValue = revenueTotal.values.reduce(0, +) / max(1, dealTotal.values.reduce(0, +))
        for segment in input.segmentNames {
            let d = dealTotal[segment] ?? 0
            dealValue[segment] = d > 0 ? (revenueTotal[segment] ?? 0) / d : overallValue
        }
        // σ of log deal value around its segment's log mean, from single-deal periods.
        var spread = 0.6
        if singleDealLogs.count >= 10 {
            var bySegment: [String: [Double]] = [:]
            for (s, v) in singleDealLogs { bySegment[s, default: []].append(v) }
            var sum = 0.0, count = 0.0
            for (_, values) in bySegment where values.count >= 2 {
                let m = values.reduce(0, +) / Double(values.count)
                for v in values { sum += (v - m) * (v - m) }
                count += Double(values.count - 1)
            }
            if count >= 5 { spread = (sum / count).squareRoot() }
        }
        let profile = input.featureValues()
        let segmentIndex = Dictionary(uniqueKeysWithValues: input.segmentNames.enumerated().map { ($1, $0) })
        func features(_ p: Int, _ t: Int) -> [Double]? {
            var history: [Double] = []
            for s in 0..<min(t, end) { if let d = deals[p][s] { history.append(d) } }
            guard !history.isEmpty else { return nil }
            func mean(_ values: ArraySlice<Double>) -> Double { values.reduce(0, +) / Double(max(1, values.count)) }
            var row = [
                Kernels.log1p(mean(history.suffix(3))), Kernels.log1p(mean(history.suffix(12))),
                Kernels.log1p(mean(history[...])), Kernels.log1p(Double(history.count)),
            ]
            for feature in ProfileFeature.allCases { row.append(feature.transform(profile[p][feature])) }
            for s in 1..<max(1, input.segmentNames.count) { row.append(segmentIndex[input.segments[p]] == s ? 1 : 0) }
            return row
        }
        var rows: [[Double]] = [], targets: [Double] = []
        for p in input.partners.indices {
            for t in 1..<max(1, end) {
                guard let target = deals[p][t], let x = features(p, t) else { continue }
                rows.append(x)
                targets.append(target)
            }
        }
        guard let width = rows.first?.count else { throw LearningError.emptyData }
        var design = Matrix<Double>(rowCount: rows.count, columnCount: width)
        for (i, row) in rows.enumerated() { for k in 0..<width { design[i, k] = row[k] } }
        let (model, _) = try PoissonRegression.fit(design: design, targets: targets, l2Strength: options.l2Strength)

        var forecastRows: [Row] = []
        for p in input.partners.indices where end >= 1 && deals[p][end - 1] != nil {
            guard let x = features(p, end) else { continue }
            let rate = model.mean(x)
            let segment = input.segments[p]
            var rng = SeededGenerator(seed: options.seed &+ UInt64(p) &* 0x9E37_79B9_7F4A_7C15)
            var dealIntervals: [Interval] = [], revenueIntervals: [Interval] = [], allDraws: [[Double]] = []
            for h in options.horizons {
                let mu = rate * Double(h)
                dealIntervals.append(poissonInterval(mu, options.coverage))
                let draws = (0..<options.draws).map { _ in
                    compoundDraw(mu, dealValue[segment]!, spread, &rng)
                }
                allDraws.append(draws)
                revenueIntervals.append(
                    interval(draws, mean: mu * dealValue[segment]!, coverage: options.coverage))
            }
            forecastRows.append(
                Row(
                    partnerID: input.partners[p].id, segment: segment, deals: dealIntervals, revenue: revenueIntervals,
                    revenueDraws: allDraws))
        }
        func total(_ members: [Row], _ h: Int) -> Interval {
            var sums = [Double](repeating: 0, count: options.draws)
            var mean = 0.0
            for row in members {
                mean += row.revenue[h].mean
                for d in 0..<options.draws { sums[d] += row.revenueDraws[h][d] }
            }
            return interval(sums, mean: mean, coverage: options.coverage)
        }
        let totals = options.horizons.indices.map { total(forecastRows, $0) }
        var segmentTotals: [String: [Interval]] = [:]
        for segment in input.segmentNames {
            let members = forecastRows.filter { $0.segment == segment }
            segmentTotals[segment] = options.horizons.indices.map { total(members, $0) }
        }
        return PartnerForecast(
            horizons: options.horizons, coverage: options.coverage, rows: forecastRows, totals: totals,
            segmentTotals: segmentTotals, model: model, dealValue: dealValue, dealValueSpread: spread, firstPeriod: end)
    }

    /// partner_id, segment, then per horizon h: deals_h (median), deals_h_mean, deals_h_low, deals_h_high,
    /// revenue_h, revenue_h_mean, revenue_h_low, revenue_h_high.
    public func csv() -> String {
        var header = ["partner_id", "segment"]
        for h in horizons {
            header += ["deals_\(h)", "deals_\(h)_mean", "deals_\(h)_low", "deals_\(h)_high"]
            header += ["revenue_\(h)", "revenue_\(h)_mean", "revenue_\(h)_low", "revenue_\(h)_high"]
        }
        var text = CSVWriter.line(header)
        for row in rows {
            var fields = [row.partnerID, row.segment]
            for k in horizons.indices {
                let d = row.deals[k], r = row.revenue[k]
                fields += [
                    RecordWriter.number(d.median), ProfileText.fixed(d.mean, 3), RecordWriter.number(d.low),
                    RecordWriter.number(d.high),
                ]
                fields += [
                    RecordWriter.number(r.median.rounded()), RecordWriter.number(r.mean.rounded()),
                    RecordWriter.number(r.low.rounded()), RecordWriter.number(r.high.rounded()),
                ]
            }
            text += CSVWriter.line(fields)
        }
        return text
    }
}

/// A draw of the sum of Poisson(μ) deal values, each `value` times a mean-1 log-normal factor of spread σ.
func compoundDraw(_ mu: Double, _ value: Double, _ sigma: Double, _ rng: inout SeededGenerator) -> Double {
    let count = poisson(mu, &rng)
    var total = 0.0
    for _ in 0..<Int(count) { total += value * Kernels.exponential(sigma * rng.nextGaussian() - sigma * sigma / 2) }
    return total
}

/// The interval rule of `PartnerForecast` on Monte Carlo draws: [0, 0] when P(0) ≥ coverage, [0, q(coverage)] when
/// P(0) > (1 − coverage)/2, else [q((1 − c)/2), q((1 + c)/2)]; the median; and the given mean.
func interval(_ draws: [Double], mean: Double, coverage: Double) -> PartnerForecast.Interval {
    let sorted = draws.sorted()
    let n = sorted.count
    func quantile(_ q: Double) -> Double { sorted[min(n - 1, max(0, Int((q * Double(n)).rounded(.up)) - 1))] }
    let zeros = Double(sorted.count { $0 <= 0 }) / Double(n)
    let tail = (1 - coverage) / 2
    let (low, high): (Double, Double) =
        zeros >= coverage ? (0, 0) : zeros > tail ? (0, quantile(coverage)) : (quantile(tail), quantile(1 - tail))
    return PartnerForecast.Interval(mean: mean, median: quantile(0.5), low: low, high: high)
}

/// The same rule on the exact Poisson(μ) distribution.
func poissonInterval(_ mu: Double, _ coverage: Double) -> PartnerForecast.Interval {
    func quantile(_ q: Double) -> Double {
        var k = 0.0, p = Kernels.exponential(-mu), cdf = p
        while cdf < q && k < 10_000 {
            k += 1
            p *= mu / k
            cdf += p
        }
        return k
    }
    let zero = Kernels.exponential(-mu)
    let tail = (1 - coverage) / 2
    let (low, high): (Double, Double) =
        zero >= coverage ? (0, 0) : zero > tail ? (0, quantile(coverage)) : (quantile(tail), quantile(1 - tail))
    return PartnerForecast.Interval(mean: mu, median: quantile(0.5), low: low, high: high)
}

/// Forecasts measured against what happened next (a generated ecosystem's drawn future, truth/performance.csv):
/// per horizon, the mean absolute error of each partner's revenue and deals against the two naive forecasts a
/// user would try (the last period's figure, and the mean of the last three, each times the horizon), the absolute
/// percentage error of the ecosystem total, and the share of partners whose outcome fell in its interval.
public struct ForecastEvaluation: Sendable {
    public struct Horizon: Sendable, Codable, Equatable {
        public var periods: Int
        public var partners: Int
        public var revenueMAE: Double
        public var naiveLastRevenueMAE: Double
        public var naiveMeanRevenueMAE: Double
        public var dealsMAE: Double
        public var naiveLastDealsMAE: Double
        public var naiveMeanDealsMAE: Double
        /// |forecast total − actual total| / actual total, for the model (sum of means) and the naive forecasts.
        public var totalAPE: Double
        public var naiveLastTotalAPE: Double
        public var naiveMeanTotalAPE: Double
        public var revenueCoverage: Double
        public var dealsCoverage: Double
    }
    public var horizons: [Horizon]

    public static func evaluate(_ forecast: PartnerForecast, input: ProfileInput, future: [PartnerPerformance])
        -> ForecastEvaluation
    {
        let first = forecast.firstPeriod
        var futureRevenue: [String: [Int: Double]] = [:], futureDeals: [String: [Int: Double]] = [:]
        for row in future {
            futureRevenue[row.partnerID, default: [:]][row.period] = row.revenue
            futureDeals[row.partnerID, default: [:]][row.period] = row.deals
        }
        var pastRevenue: [String: [Int: Double]] = [:], pastDeals: [String: [Int: Double]] = [:]
        for row in input.performance where row.period < first && row.period >= first - 3 {
            pastRevenue[row.partnerID, default: [:]][row.period] = row.revenue
            pastDeals[row.partnerID, default: [:]][row.period] = row.deals
        }
        func naive(_ past: [Int: Double]?, _ h: Int) -> (last: Double, mean: Double) {
            let values = (first - 3..<first).compactMap { past?[$0] }
            let last = past?[first - 1] ?? 0
            let mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
            return (Double(h) * last, Double(h) * mean)
        }
        var results: [Horizon] = []
        for (k, h) in forecast.horizons.enumerated() {
            var sums = [Double](repeating: 0, count: 6)
            var totals = [Double](repeating: 0, count: 4)
            var covered = 0.0, dealsCovered = 0.0
            for row in forecast.rows {
                let actual = (first..<(first + h)).reduce(0) { $0 + (futureRevenue[row.partnerID]?[$1] ?? 0) }
                let actualDeals = (first..<(first + h)).reduce(0) { $0 + (futureDeals[row.partnerID]?[$1] ?? 0) }
                let r = row.revenue[k], d = row.deals[k]
                let nr = naive(pastRevenue[row.partnerID], h), nd = naive(pastDeals[row.partnerID], h)
                sums[0] += abs(r.median - actual)
                sums[1] += abs(nr.last - actual)
                sums[2] += abs(nr.mean - actual)
                sums[3] += abs(d.median - actualDeals)
                sums[4] += abs(nd.last - actualDeals)
                sums[5] += abs(nd.mean - actualDeals)
                totals[0] += actual
                totals[1] += r.mean
                totals[2] += nr.last
                totals[3] += nr.mean
                if actual >= r.low && actual <= r.high { covered += 1 }
                if actualDeals >= d.low && actualDeals <= d.high { dealsCovered += 1 }
            }
            let n = Double(max(1, forecast.rows.count))
            func ape(_ value: Double) -> Double { totals[0] > 0 ? abs(value - totals[0]) / totals[0] : .nan }
            results.append(
                Horizon(
                    periods: h, partners: forecast.rows.count, revenueMAE: sums[0] / n, naiveLastRevenueMAE: sums[1] / n,
                    naiveMeanRevenueMAE: sums[2] / n, dealsMAE: sums[3] / n, naiveLastDealsMAE: sums[4] / n,
                    naiveMeanDealsMAE: sums[5] / n, totalAPE: ape(totals[1]), naiveLastTotalAPE: ape(totals[2]),
                    naiveMeanTotalAPE: ape(totals[3]), revenueCoverage: covered / n, dealsCoverage: dealsCovered / n))
        }
        return ForecastEvaluation(horizons: results)
    }
}
