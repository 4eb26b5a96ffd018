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
    /// Periods in the season the deal rate may cycle over (3: the months of a quarter; 1: no season), and the
    /// position of period 0 in it (period t is in phase (t + offset) mod length).
    public var seasonLength = 3
    public var seasonOffset = 0
    /// The season is used only when its test's p-value is below this.
    public var seasonSignificance = 0.01
    /// Candidate scales of the segments' own profile effects in the prior (0: shared effects only), chosen by
    /// cross-validation.
    public var interactionGrid: [Double] = [0, 0.1, 0.3, 1]

    public init() {}
}

/// Partner-sourced won deals and revenue forecasts with prediction intervals.
///
/// Each partner wins deals at a steady rate λ of its own: Poisson(λ) deals a period. The rate is estimated by
/// empirical Bayes (a Gamma–Poisson model): the prior mean μ comes from a Poisson GLM fitted on every partner-period
/// of the history with what describes the partner rather than its own deal count (its profile features, its
/// activity: mean portal logins, deal registrations and activity revenue over its history and over its last three
/// periods, tenure, and its segment); the prior is Gamma with mean μ and shape α (λ/μ ~ Gamma(α, α)), α chosen
/// by maximising the negative-binomial marginal likelihood of every partner's deal total against prior means from a
/// GLM fitted without it (5 folds over partners). The GLM may give each segment its own profile effects (copies of
/// the profile features per segment, scaled by c from `interactionGrid`, chosen by cross-validation of the held-out
/// likelihood), and a factor for each phase of a season when an F test of the period totals supports one (then a
/// partner's exposure is the sum of its periods' factors, not their number). A partner with S deals in
/// n periods then has λ ~ Gamma(α + S, α/μ + n): a long history speaks for itself, a short one borrows from
/// partners like it. Revenue is the sum of the deals' values, each the partner's mean deal value (its own, shrunk
/// toward its segment's) times a mean-1
/// log-normal factor (σ estimated from single-deal periods): a compound (Gamma–)Poisson–log-normal, which has the
/// point mass at zero (no deal this period) and the long right tail partner-sourced revenue shows; a Gaussian or
/// log-normal model of revenue itself has neither. Draws take λ from its posterior, then deals, then values, so
/// the intervals carry the rate's uncertainty as well as the period's luck. The point forecast is the predictive
/// median (it minimises the expected absolute error); totals add the predictive means.
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
        /// The posterior of the partner's deal rate a period: Gamma(shape, rate) (mean shape/rate).
        public var rateShape: Double
        public var rateRate: Double
        /// The prior mean rate μ from the GLM, and the periods and deals of its own history.
        public var priorRate: Double
        /// Its mean deal value: its own, shrunk toward its segment's (`dealValueBetweenSpread`).
        public var dealValue: Double
        public var periods: Int
        public var historyDeals: Double
        /// The partner's Monte Carlo revenue draws per horizon (for totals).
        var revenueDraws: [[Double]]
    }

    public var horizons: [Int]
    public var coverage: Double
    public var rows: [Row]
    /// Per horizon: the ecosystem total and each segment's total (mean and interval).
    public var totals: [Interval]
    public var segmentTotals: [String: [Interval]]
    /// The prior mean's GLM (over `priorFeatureNames`).
    public var model: PoissonRegression
    public var priorFeatureNames: [String]
    /// α: the Gamma prior's shape (large: partners like each other deal alike; small: they differ beyond the features).
    public var priorShape: Double
    public var dealValue: [String: Double]
    public var dealValueSpread: Double
    /// τ²: the variance of partners' true mean deal values relative to their segment's (0: the segment's value).
    public var dealValueBetweenSpread: Double
    /// The first period forecast (the one after the last in the history).
    public var firstPeriod: Int
    /// Each phase's multiplier of the deal rate (all 1 without a season, or when the data did not support one).
    public var seasonFactors: [Double]
    public var seasonOffset: Int
    /// The test of the season (nil when `seasonLength` is 1).
    public var seasonTest: AnalysisOfVariance?
    /// The scale of the segment copies of the profile features in the prior (0: shared effects only), and each
    /// candidate's held-out log-likelihood.
    public var interaction: Double
    public var interactionScores: [(interaction: Double, logLikelihood: Double)]

    /// Σ of the season's multipliers over `periods` periods from `start`.
    public func exposure(from start: Int, periods: Int) -> Double {
        let n = seasonFactors.count
        return (start..<(start + periods)).reduce(0) { $0 + seasonFactors[((($1 + seasonOffset) % n) + n) % n] }
    }

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
        var activity = [[ActivityFigures]](repeating: [], count: input.partners.count)
        for row in input.activity where row.period < end {
            if let p = index[row.partnerID] { activity[p].append(row.figures) }
        }
        var dealValue: [String: Double] = [:]
        // Sums over the segments in a fixed order (a dictionary's own order changes from run to run).
        let segments = revenueTotal.keys.sorted()
        let overallValue =
            segments.reduce(0) { $0 + revenueTotal[$1]! } / max(1, segments.reduce(0) { $0 + (dealTotal[$1] ?? 0) })
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
            for segment in bySegment.keys.sorted() {
                let values = bySegment[segment]!
                guard values.count >= 2 else { continue }
                let m = values.reduce(0, +) / Double(values.count)
                for v in values { sum += (v - m) * (v - m) }
                count += Double(values.count - 1)
            }
            if count >= 5 { spread = (sum / count).squareRoot() }
        }
        // Each partner's own mean deal value, shrunk toward its segment's: relative to the segment, a partner's mean
        // over S deals varies by c²/S around its true one (c² = e^{σ²} − 1, a log-normal's squared coefficient of
        // variation), and the true ones vary by τ² (a moment estimate: the mean of (r − 1)² − c²/S); the weight on
        // its own is τ²/(τ² + c²/S). τ² = 0 when the segments' deal values describe their partners.
        var partnerRevenue = [Double](repeating: 0, count: input.partners.count)
        var partnerDeals = [Double](repeating: 0, count: input.partners.count)
        for row in input.performance where row.period < end {
            let p = index[row.partnerID]!
            partnerRevenue[p] += row.revenue
            partnerDeals[p] += row.deals
        }
        let c2 = Kernels.exponential(spread * spread) - 1
        var excess = 0.0, dealers = 0.0
        for p in input.partners.indices where partnerDeals[p] > 0 {
            let r = partnerRevenue[p] / partnerDeals[p] / dealValue[input.segments[p]]!
            excess += (r - 1) * (r - 1) - c2 / partnerDeals[p]
            dealers += 1
        }
        let valueSpread = dealers > 0 ? max(0, excess / dealers) : 0
        let partnerValue = input.partners.indices.map { p -> Double in
            let segmentValue = dealValue[input.segments[p]]!
            guard partnerDeals[p] > 0, valueSpread > 0 else { return segmentValue }
            let r = partnerRevenue[p] / partnerDeals[p] / segmentValue
            let w = valueSpread / (valueSpread + c2 / partnerDeals[p])
            return segmentValue * max(0, 1 + w * (r - 1))
        }
        let profile = input.featureValues(before: end)
        let segmentIndex = Dictionary(uniqueKeysWithValues: input.segmentNames.enumerated().map { ($1, $0) })
        var names = [
            "log1p_mean_logins", "log1p_mean_deal_registrations", "log1p_mean_activity_revenue",
            "log1p_recent_logins", "log1p_recent_deal_registrations", "log1p_periods",
        ]
        names += ProfileFeature.allCases.map(\.rawValue)
        names += input.segmentNames.dropFirst().map { "segment_\($0)" }
        // What describes partner p (not its own deal count): the prior mean's features.
        func features(_ p: Int) -> [Double] {
            func mean(_ rows: ArraySlice<ActivityFigures>, _ value: (ActivityFigures) -> Double) -> Double {
                rows.isEmpty ? 0 : rows.reduce(0) { $0 + value($1) } / Double(rows.count)
            }
            let all = activity[p][...], recent = activity[p].suffix(3)
            var row = [
                Kernels.log1p(mean(all, \.portalLogins)), Kernels.log1p(mean(all, \.dealRegistrations)),
                Kernels.log1p(mean(all, \.revenue) / 1000), Kernels.log1p(mean(recent, \.portalLogins)),
                Kernels.log1p(mean(recent, \.dealRegistrations)), Kernels.log1p(Double(activity[p].count)),
            ]
            for feature in ProfileFeature.allCases { row.append(feature.transform(profile[p][feature])) }
            for s in 1..<max(1, input.segmentNames.count) { row.append(segmentIndex[input.segments[p]] == s ? 1 : 0) }
            return row
        }
        let g = input.segmentNames.count
        let season = max(1, options.seasonLength)
        func phase(_ t: Int) -> Int { ((t + options.seasonOffset) % season + season) % season }
        // Each partner's periods and deals in each phase of the season (one phase without a season).
        var periodsByPhase = [[Double]](repeating: [Double](repeating: 0, count: season), count: input.partners.count)
        var dealsByPhase = periodsByPhase
        var history: [(periods: Int, deals: Double)] = []
        var partnerFeatures: [[Double]] = []
        for p in input.partners.indices {
            var count = 0, sum = 0.0
            for t in 0..<end {
                guard let value = deals[p][t] else { continue }
                periodsByPhase[p][phase(t)] += 1
                dealsByPhase[p][phase(t)] += value
                count += 1
                sum += value
            }
            history.append((count, sum))
            partnerFeatures.append(features(p))
        }
        let observed = input.partners.indices.filter { history[$0].periods > 0 }
        guard let width = partnerFeatures.first?.count, !observed.isEmpty else { throw LearningError.emptyData }
        // Standardise the features over the partner-periods so one L2 strength suits them all.
        var means = [Double](repeating: 0, count: width), scales = [Double](repeating: 1, count: width)
        let totalPeriods = observed.reduce(0.0) { $0 + Double(history[$1].periods) }
        for k in 0..<width {
            var m = 0.0
            for p in observed { m += Double(history[p].periods) * partnerFeatures[p][k] }
            m /= totalPeriods
            var v = 0.0
            for p in observed { v += Double(history[p].periods) * (partnerFeatures[p][k] - m) * (partnerFeatures[p][k] - m) }
            v /= max(1, totalPeriods - 1)
            means[k] = m
            scales[k] = v > 1e-12 ? v.squareRoot() : 1
        }
        let standardized = partnerFeatures.map { row in (0..<width).map { (row[$0] - means[$0]) / scales[$0] } }
        let profileColumns = 6..<(6 + ProfileFeature.allCases.count)
        let segmentOf = input.partners.indices.map { segmentIndex[input.segments[$0]]! }
        /// Partner p's row: its standardised features, each segment's copy of the profile features times
        /// `interaction` (zero outside its segment; the copies' effective L2 strength is λ/interaction²), then
        /// the phase indicators (phase 0 the reference).
        func row(_ p: Int, interaction: Double, seasonal: Bool, phase j: Int) -> [Double] {
            var r = standardized[p]
            if interaction > 0 {
                for s in 0..<g {
                    for k in profileColumns { r.append(segmentOf[p] == s ? interaction * standardized[p][k] : 0) }
                }
            }
            if seasonal { for q in 1..<season { r.append(q == j ? 1 : 0) } }
            return r
        }
        struct Prior {
            var model: PoissonRegression
            /// Each phase's multiplier of the rate (phase 0: 1).
            var factors: [Double]
        }
        /// The GLM on the partners `members`, one row a partner and phase with its mean deals, weighted by its periods.
        func fitPrior(_ members: [Int], interaction: Double, seasonal: Bool) throws -> Prior {
            var rows: [[Double]] = [], targets: [Double] = [], weights: [Double] = []
            for p in members {
                for j in 0..<(seasonal ? season : 1) {
                    let n = seasonal ? periodsByPhase[p][j] : Double(history[p].periods)
                    guard n > 0 else { continue }
                    rows.append(row(p, interaction: interaction, seasonal: seasonal, phase: j))
                    targets.append((seasonal ? dealsByPhase[p][j] : history[p].deals) / n)
                    weights.append(n)
                }
            }
            var design = Matrix<Double>(rowCount: rows.count, columnCount: rows[0].count)
            for (i, r) in rows.enumerated() { for k in r.indices { design[i, k] = r[k] } }
            let (fitted, _) = try PoissonRegression.fit(
                design: design, targets: targets, weights: weights, l2Strength: options.l2Strength)
            let base = rows[0].count - (seasonal ? season - 1 : 0)
            var factors = [Double](repeating: 1, count: season)
            if seasonal { for q in 1..<season { factors[q] = Kernels.exponential(fitted.coefficients[base + q - 1]) } }
            return Prior(model: fitted, factors: factors)
        }
        func priorMean(_ prior: Prior, _ p: Int, interaction: Double, seasonal: Bool) -> Double {
            prior.model.mean(row(p, interaction: interaction, seasonal: seasonal, phase: 0))
        }
        /// Σ over partner p's periods of its phase's multiplier.
        func exposure(_ p: Int, _ factors: [Double]) -> Double {
            var e = 0.0
            for j in 0..<season { e += periodsByPhase[p][j] * factors[j] }
            return e
        }
        // The season, if the data support it: the ecosystem's deals each period against the steady prior's
        // expectation, their ratios compared across phases by a one-way analysis of variance.
        var seasonal = false
        var seasonTest: AnalysisOfVariance? = nil
        if season > 1 {
            let steady = try fitPrior(observed, interaction: 0, seasonal: false)
            let mu = input.partners.indices.map { priorMean(steady, $0, interaction: 0, seasonal: false) }
            var ratios: [Double] = [], phases: [Int] = []
            for t in 0..<end {
                var actual = 0.0, expected = 0.0
                for p in input.partners.indices {
                    guard let value = deals[p][t] else { continue }
                    actual += value
                    expected += mu[p]
                }
                guard expected > 0 else { continue }
                ratios.append(actual / expected)
                phases.append(phase(t))
            }
            seasonTest = AnalysisOfVariance(values: ratios, groups: phases, groupCount: season)
            seasonal = (seasonTest?.pValue ?? 1) < options.seasonSignificance
        }
        // How far each segment's profile effects may leave the shared ones: by 5-fold cross-validation over
        // partners of the held-out negative-binomial log-likelihood of each partner's deals.
        var interaction = 0.0
        var interactionScores: [(interaction: Double, logLikelihood: Double)] = []
        var shuffler = SeededGenerator(seed: options.seed ^ 0x4352_4F53_5356_414C)
        var order = observed
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            let j = Int(shuffler.nextUniform() * Double(i + 1))
            order.swapAt(i, min(i, j))
        }
        let foldCount = 5
        if g > 1 && observed.count >= 10 {
            for candidate in options.interactionGrid {
                var score = 0.0
                for fold in 0..<foldCount {
                    let test = order.indices.filter { $0 % foldCount == fold }.map { order[$0] }
                    let train = order.indices.filter { $0 % foldCount != fold }.map { order[$0] }
                    let prior = try fitPrior(train, interaction: candidate, seasonal: seasonal)
                    let alpha = GammaPoisson.shape(
                        exposures: train.map {
                            exposure($0, prior.factors) * priorMean(prior, $0, interaction: candidate, seasonal: seasonal)
                        },
                        counts: train.map { history[$0].deals })
                    for p in test {
                        let m = exposure(p, prior.factors) * priorMean(prior, p, interaction: candidate, seasonal: seasonal)
                        score +=
                            GammaPoisson.logLikelihood(alpha: alpha, exposures: [m], counts: [history[p].deals])
                            + history[p].deals * Kernels.logarithm(max(m, 1e-300))
                    }
                }
                interactionScores.append((candidate, score))
            }
            if let best = interactionScores.max(by: { $0.logLikelihood < $1.logLikelihood }) {
                interaction = best.interaction
            }
        }
        let fittedPrior = try fitPrior(observed, interaction: interaction, seasonal: seasonal)
        let fitted = fittedPrior.model
        let factors = fittedPrior.factors
        // The same model on the raw features (coefficients divided by the scales, the intercept shifted).
        var rawCoefficients = fitted.coefficients, rawIntercept = fitted.intercept
        for k in 0..<width {
            rawCoefficients[k] = fitted.coefficients[k] / scales[k]
            rawIntercept -= rawCoefficients[k] * means[k]
        }
        var allNames = names
        if interaction > 0 {
            for segment in input.segmentNames {
                for k in profileColumns { allNames.append("\(names[k])_x_\(segment)") }
            }
        }
        if seasonal { for q in 1..<season { allNames.append("season_phase_\(q)") } }
        let model = PoissonRegression(coefficients: rawCoefficients, intercept: rawIntercept)
        let prior = input.partners.indices.map { priorMean(fittedPrior, $0, interaction: interaction, seasonal: seasonal) }
        // α from each partner's deals against the prior mean of a GLM fitted without it (5 folds over partners):
        // fitted on the partner itself, the GLM would explain part of its own deviation, and α would come out too
        // large and the intervals too narrow.
        var heldOutExposure = [Double](repeating: 0, count: input.partners.count)
        if observed.count >= 10 {
            for fold in 0..<foldCount {
                let test = order.indices.filter { $0 % foldCount == fold }.map { order[$0] }
                let train = order.indices.filter { $0 % foldCount != fold }.map { order[$0] }
                let foldPrior = try fitPrior(train, interaction: interaction, seasonal: seasonal)
                for p in test {
                    heldOutExposure[p] =
                        exposure(p, foldPrior.factors) * priorMean(foldPrior, p, interaction: interaction, seasonal: seasonal)
                }
            }
        } else {
            for p in observed { heldOutExposure[p] = exposure(p, factors) * prior[p] }
        }
        let alpha = GammaPoisson.shape(
            exposures: observed.map { heldOutExposure[$0] }, counts: observed.map { history[$0].deals })
        /// Σ of the multipliers over the h periods from `end`.
        func futureExposure(_ h: Int) -> Double { (end..<(end + h)).reduce(0) { $0 + factors[phase($1)] } }

        var forecastRows: [Row] = []
        for p in input.partners.indices where end >= 1 && deals[p][end - 1] != nil {
            let shape = alpha + history[p].deals
            let rate = alpha / prior[p] + exposure(p, factors)
            let segment = input.segments[p]
            var rng = SeededGenerator(seed: options.seed &+ UInt64(p) &* 0x9E37_79B9_7F4A_7C15)
            var dealIntervals: [Interval] = [], revenueIntervals: [Interval] = [], allDraws: [[Double]] = []
            for h in options.horizons {
                var dealDraws = [Double](repeating: 0, count: options.draws)
                var draws = [Double](repeating: 0, count: options.draws)
                for d in 0..<options.draws {
                    let lambda = GammaPoisson.gammaDraw(shape: shape, rate: rate, &rng)
                    let count = poisson(lambda * futureExposure(h), &rng)
                    dealDraws[d] = count
                    draws[d] = compoundValues(count, partnerValue[p], spread, &rng)
                }
                let mu = futureExposure(h) * shape / rate
                dealIntervals.append(interval(dealDraws, mean: mu, coverage: options.coverage))
                allDraws.append(draws)
                revenueIntervals.append(interval(draws, mean: mu * partnerValue[p], coverage: options.coverage))
            }
            forecastRows.append(
                Row(
                    partnerID: input.partners[p].id, segment: segment, deals: dealIntervals, revenue: revenueIntervals,
                    rateShape: shape, rateRate: rate, priorRate: prior[p], dealValue: partnerValue[p],
                    periods: history[p].periods,
                    historyDeals: history[p].deals, revenueDraws: allDraws))
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
            segmentTotals: segmentTotals, model: model, priorFeatureNames: allNames, priorShape: alpha,
            dealValue: dealValue, dealValueSpread: spread, dealValueBetweenSpread: valueSpread, firstPeriod: end,
            seasonFactors: factors,
            seasonOffset: options.seasonOffset, seasonTest: seasonTest, interaction: interaction,
            interactionScores: interactionScores)
    }

    /// One draw of a partner's revenue over `periods` from its fitted predictive distribution: a rate from its
    /// posterior, deals, then their values.
    func predictiveDraw(_ row: Row, periods: Int, _ rng: inout SeededGenerator) -> Double {
        let lambda = GammaPoisson.gammaDraw(shape: row.rateShape, rate: row.rateRate, &rng)
        return compoundValues(
            poisson(lambda * exposure(from: firstPeriod, periods: periods), &rng), row.dealValue,
            dealValueSpread, &rng)
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

/// The sum of `count` deal values, each `value` times a mean-1 log-normal factor of spread σ.
func compoundValues(_ count: Double, _ value: Double, _ sigma: Double, _ rng: inout SeededGenerator) -> Double {
    var total = 0.0
    for _ in 0..<Int(count) { total += value * Kernels.exponential(sigma * rng.nextGaussian() - sigma * sigma / 2) }
    return total
}

/// The Gamma–Poisson (negative binomial) pieces of `PartnerForecast`.
enum GammaPoisson {
    /// The negative-binomial log-likelihood of counts Sᵢ with exposures mᵢ = nᵢ·μᵢ under λᵢ/μᵢ ~ Gamma(α, α),
    /// up to terms free of α:
    ///
    ///     ℓ(α) = Σᵢ [ Σ_{j<Sᵢ} log(α + j) + α·log(α/(α + mᵢ)) − Sᵢ·log(α + mᵢ) ]
    ///
    /// (Σ_{j<S} log(α + j) = log Γ(α + S) − log Γ(α) for whole counts).
    static func logLikelihood(alpha: Double, exposures: [Double], counts: [Double]) -> Double {
        var total = 0.0
        for i in counts.indices {
            let s = Int(counts[i].rounded()), m = exposures[i]
            for j in 0..<max(0, s) { total += Kernels.logarithm(alpha + Double(j)) }
            total += alpha * Kernels.logarithm(alpha / (alpha + m)) - Double(s) * Kernels.logarithm(alpha + m)
        }
        return total
    }

    /// α maximising `logLikelihood`, by golden-section search on log α over [log 0.05, log 10⁴] (the
    /// likelihood is unimodal in practice; at the upper end the counts are as Poisson as the features allow).
    static func shape(exposures: [Double], counts: [Double]) -> Double {
        guard !counts.isEmpty else { return 1e4 }
        let ratio = (5.0.squareRoot() - 1) / 2
        var a = Kernels.logarithm(0.05), b = Kernels.logarithm(1e4)
        func f(_ x: Double) -> Double { logLikelihood(alpha: Kernels.exponential(x), exposures: exposures, counts: counts) }
        var c = b - ratio * (b - a), d = a + ratio * (b - a)
        var fc = f(c), fd = f(d)
        for _ in 0..<60 {
            if fc > fd {
                b = d
                d = c
                fd = fc
                c = b - ratio * (b - a)
                fc = f(c)
            } else {
                a = c
                c = d
                fc = fd
                d = a + ratio * (b - a)
                fd = f(d)
            }
        }
        return Kernels.exponential((a + b) / 2)
    }

    /// A Gamma(shape, rate) draw (mean shape/rate): Marsaglia and Tsang's squeeze for shape ≥ 1; for shape < 1, a
    /// Gamma(shape + 1) draw times U^(1/shape).
    static func gammaDraw(shape: Double, rate: Double, _ rng: inout SeededGenerator) -> Double {
        if shape < 1 {
            var u = rng.nextUniform()
            while u <= 0 { u = rng.nextUniform() }
            return gammaDraw(shape: shape + 1, rate: rate, &rng) * Kernels.exponential(Kernels.logarithm(u) / shape)
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0, v = 0.0
            repeat {
                x = rng.nextGaussian()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = rng.nextUniform()
            if u < 1 - 0.0331 * x * x * x * x { return d * v / rate }
            if u > 0, Kernels.logarithm(u) < 0.5 * x * x + d * (1 - v + Kernels.logarithm(v)) { return d * v / rate }
        }
    }
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
        /// The coverage the model itself expects: the mean over partners of its predictive mass inside its revenue
        /// interval (above 0.8 where the atom at zero makes [0, 0] or [0, q] hold more than 80%).
        public var expectedRevenueCoverage: Double
        /// The reference forecast's revenue and deals MAE (the generator's own Bayes forecast), when one is given.
        public var referenceRevenueMAE: Double?
        public var referenceDealsMAE: Double?
    }
    public var horizons: [Horizon]

    /// - Parameter reference: another forecast of the same partners and horizons (medians) measured the same way,
    ///   e.g. `PotentialBayesForecast`, the ceiling on generated data.
    public static func evaluate(
        _ forecast: PartnerForecast, input: ProfileInput, future: [PartnerPerformance],
        reference: PotentialBayesForecast? = nil
    ) -> ForecastEvaluation {
        var referenceRows: [String: PotentialBayesForecast.Row] = [:]
        for row in reference?.rows ?? [] { referenceRows[row.partnerID] = row }
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
            var covered = 0.0, dealsCovered = 0.0, mass = 0.0
            var referenceSums: (revenue: Double, deals: Double)? = reference == nil ? nil : (0, 0)
            let referenceHorizon = reference?.horizons.firstIndex(of: h)
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
                let draws = row.revenueDraws[k]
                mass += Double(draws.count { $0 >= r.low && $0 <= r.high }) / Double(max(1, draws.count))
                if actualDeals >= d.low && actualDeals <= d.high { dealsCovered += 1 }
                if let sums = referenceSums {
                    // A partner the reference does not forecast counts as a forecast of 0.
                    let own = referenceRows[row.partnerID]
                    let revenue = referenceHorizon.flatMap { own?.revenue[$0] } ?? 0
                    let deals = referenceHorizon.flatMap { own?.deals[$0] } ?? 0
                    referenceSums = (sums.revenue + abs(revenue - actual), sums.deals + abs(deals - actualDeals))
                }
            }
            let n = Double(max(1, forecast.rows.count))
            func ape(_ value: Double) -> Double { totals[0] > 0 ? abs(value - totals[0]) / totals[0] : .nan }
            results.append(
                Horizon(
                    periods: h, partners: forecast.rows.count, revenueMAE: sums[0] / n, naiveLastRevenueMAE: sums[1] / n,
                    naiveMeanRevenueMAE: sums[2] / n, dealsMAE: sums[3] / n, naiveLastDealsMAE: sums[4] / n,
                    naiveMeanDealsMAE: sums[5] / n, totalAPE: ape(totals[1]), naiveLastTotalAPE: ape(totals[2]),
                    naiveMeanTotalAPE: ape(totals[3]), revenueCoverage: covered / n, dealsCoverage: dealsCovered / n,
                    expectedRevenueCoverage: mass / n, referenceRevenueMAE: referenceSums.map { $0.revenue / n },
                    referenceDealsMAE: referenceSums.map { $0.deals / n }))
        }
        return ForecastEvaluation(horizons: results)
    }
}
