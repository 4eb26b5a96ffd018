import Learning
import LinearAlgebra

/// How the recruitment model is fitted.
public struct ApplicantRateOptions: Sendable, Equatable {
    /// The window a top performer is judged over (periods), as in `ProfileOptions.windowPeriods`.
    public var windowPeriods = 12
    /// The Poisson GLM's L2 strength (per partner-period, standardised features).
    public var l2Strength = 1e-3
    /// Candidate scales of the segments' own effects (0: shared effects only), chosen by cross-validation.
    public var interactionGrid: [Double] = [0, 0.1, 0.3, 1]
    public var foldCount = 5
    /// Simulated windows of the partners behind each segment's top-performer threshold.
    public var thresholdDraws = 200
    /// Monte Carlo sums of k deal values behind each segment's exceedance table.
    public var valueDraws = 4000
    public var seed: UInt64 = 11
    /// The activity rows whose mean gives the early-behaviour features (when the model has them): a model for
    /// partners with m months of behaviour is fitted on every partner's first m.
    public var earlyRows = 3

    public init() {}
}

/// Recruitment scored on the partners' won deals rather than on a binary label: a partner wins Poisson(λ) deals a
/// period, λ = μ(x)·g with g ~ Gamma(α, α) (what the application does not show: behaviour, luck in who it meets),
/// and μ(x) a Poisson GLM on what an application shows, with the segment's own effects (copies of the features per
/// segment, scaled by c, chosen by cross-validation of the held-out negative-binomial log-likelihood). Each deal is
/// worth the segment's mean deal value times a mean-1 log-normal factor. An applicant is a top performer when its
/// revenue over the window is positive and at least its segment's threshold, the 75th percentile (nearest rank) of
/// the window revenue of the partners in the programme at the last period (`TopPerformers`), drawn from their own
/// posteriors:
///
///     P(top | x, s) = Σ_k NB(k; α, W·μ(x)) · G_s[k],   G_s[k] = P(V₁ + … + V_k > 0, ≥ T_s)
///
/// with NB the Gamma–Poisson (negative-binomial) count over the W-period window and G_s a table of the segment's
/// k-deal sums against its threshold (Monte Carlo, once a segment; nondecreasing in k, since the sums are built one
/// deal at a time). Within a segment the probability rises with μ(x); across segments it is on one scale.
///
/// Why not a logistic model of the binary label: the label keeps one bit of each partner's history, the deal count
/// keeps all of it, and "top quartile of window revenue" is exactly a threshold on this compound count.
public struct ApplicantRateModel: Sendable {
    public var features: [ProfileFeature]
    public var segments: [String]
    /// Means and standard deviations of the transformed features over the partner-periods.
    public var means: [Double]
    public var scales: [Double]
    /// The GLM over [standardised features, segment indicators (the first segment the reference), the segments'
    /// copies of the standardised features times `interaction`].
    public var model: PoissonRegression
    public var interaction: Double
    public var interactionScores: [(interaction: Double, logLikelihood: Double)]
    /// α of the Gamma around μ(x).
    public var priorShape: Double
    public var windowPeriods: Int
    /// Per segment: the mean deal value, and the log-normal σ of a deal's value around it.
    public var dealValues: [Double]
    public var dealValueSpread: Double
    /// Per segment: the simulated thresholds, and G_s[k] for k = 0, 1, … (1 beyond the table).
    public var thresholds: [[Double]]
    public var exceedance: [[Double]]

    /// Fits on every partner-period of `input`.
    /// - Throws: `LearningError` from the GLM (no partner-periods, a failed factorisation).
    public static func fit(
        _ input: ProfileInput, features: [ProfileFeature] = ProfileFeature.application,
        options: ApplicantRateOptions = ApplicantRateOptions()
    ) throws -> ApplicantRateModel {
        let end = input.periodCount
        let index = Dictionary(uniqueKeysWithValues: input.partners.enumerated().map { ($1.id, $0) })
        let segmentIndex = Dictionary(uniqueKeysWithValues: input.segmentNames.enumerated().map { ($1, $0) })
        let g = input.segmentNames.count
        let segmentOf = input.partners.indices.map { segmentIndex[input.segments[$0]]! }
        var periods = [Double](repeating: 0, count: input.partners.count)
        var deals = periods
        var revenueTotal = [Double](repeating: 0, count: g), dealTotal = revenueTotal
        var singleDealLogs = [[Double]](repeating: [], count: g)
        var present = [Bool](repeating: false, count: input.partners.count)
        for row in input.performance {
            let p = index[row.partnerID]!
            periods[p] += 1
            deals[p] += row.deals
            revenueTotal[segmentOf[p]] += row.revenue
            dealTotal[segmentOf[p]] += row.deals
            if row.deals == 1 && row.revenue > 0 { singleDealLogs[segmentOf[p]].append(Kernels.logarithm(row.revenue)) }
            if row.period == end - 1 { present[p] = true }
        }
        let observed = input.partners.indices.filter { periods[$0] > 0 }
        guard !observed.isEmpty else { throw LearningError.emptyData }
        // Features, standardised over the partner-periods.
        let values = input.featureValues(earlyRows: options.earlyRows)
        let raw = input.partners.indices.map { p in features.map { $0.transform(values[p][$0]) } }
        let d = features.count
        var means = [Double](repeating: 0, count: d), scales = [Double](repeating: 1, count: d)
        let totalPeriods = observed.reduce(0.0) { $0 + periods[$1] }
        for k in 0..<d {
            var m = 0.0
            for p in observed { m += periods[p] * raw[p][k] }
            m /= totalPeriods
            var v = 0.0
            for p in observed { v += periods[p] * (raw[p][k] - m) * (raw[p][k] - m) }
            v /= max(1, totalPeriods - 1)
            means[k] = m
            scales[k] = v > 1e-12 ? v.squareRoot() : 1
        }
        let standardized = raw.map { r in (0..<d).map { (r[$0] - means[$0]) / scales[$0] } }
        func fitGLM(_ members: [Int], _ c: Double) throws -> PoissonRegression {
            var design = Matrix<Double>(rowCount: members.count, columnCount: Self.width(d, g, c))
            for (i, p) in members.enumerated() {
                for (k, value) in Self.row(standardized[p], segment: segmentOf[p], segmentCount: g, interaction: c)
                    .enumerated()
                {
                    design[i, k] = value
                }
            }
            return try PoissonRegression.fit(
                design: design, targets: members.map { deals[$0] / periods[$0] }, weights: members.map { periods[$0] },
                l2Strength: options.l2Strength
            ).0
        }
        func mean(_ glm: PoissonRegression, _ p: Int, _ c: Double) -> Double {
            glm.mean(Self.row(standardized[p], segment: segmentOf[p], segmentCount: g, interaction: c))
        }
        // Folds over partners (seeded shuffle).
        var shuffler = SeededGenerator(seed: options.seed ^ 0x5245_4352_5549_5453)
        var order = observed
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            let j = Int(shuffler.nextUniform() * Double(i + 1))
            order.swapAt(i, min(i, j))
        }
        let foldCount = max(2, options.foldCount)
        let folds = (0..<foldCount).map { fold in
            (
                test: order.indices.filter { $0 % foldCount == fold }.map { order[$0] },
                train: order.indices.filter { $0 % foldCount != fold }.map { order[$0] }
            )
        }
        let canValidate = observed.count >= 2 * foldCount
        var interaction = 0.0
        var scores: [(interaction: Double, logLikelihood: Double)] = []
        if g > 1 && canValidate {
            for c in options.interactionGrid {
                var score = 0.0
                for fold in folds {
                    let glm = try fitGLM(fold.train, c)
                    let alpha = GammaPoisson.shape(
                        exposures: fold.train.map { periods[$0] * mean(glm, $0, c) }, counts: fold.train.map { deals[$0] })
                    for p in fold.test {
                        let m = periods[p] * mean(glm, p, c)
                        score +=
                            GammaPoisson.logLikelihood(alpha: alpha, exposures: [m], counts: [deals[p]])
                            + deals[p] * Kernels.logarithm(max(m, 1e-300))
                    }
                }
                scores.append((c, score))
            }
            if let best = scores.max(by: { $0.logLikelihood < $1.logLikelihood }) { interaction = best.interaction }
        }
        let glm = try fitGLM(observed, interaction)
        // α against held-out prior means (fitted on the partner itself, the GLM explains part of its own deviation).
        var heldOut = [Double](repeating: 0, count: input.partners.count)
        if canValidate {
            for fold in folds {
                let foldGLM = try fitGLM(fold.train, interaction)
                for p in fold.test { heldOut[p] = periods[p] * mean(foldGLM, p, interaction) }
            }
        } else {
            for p in observed { heldOut[p] = periods[p] * mean(glm, p, interaction) }
        }
        let alpha = GammaPoisson.shape(exposures: observed.map { heldOut[$0] }, counts: observed.map { deals[$0] })
        // Deal values: each segment's mean, and σ of log value around the segment's log mean from single-deal periods.
        let overallValue = revenueTotal.reduce(0, +) / max(1, dealTotal.reduce(0, +))
        let dealValues = (0..<g).map { s in dealTotal[s] > 0 ? revenueTotal[s] / dealTotal[s] : overallValue }
        var sum = 0.0, count = 0.0
        for logs in singleDealLogs where logs.count >= 2 {
            let m = logs.reduce(0, +) / Double(logs.count)
            for v in logs { sum += (v - m) * (v - m) }
            count += Double(logs.count - 1)
        }
        let spread = count >= 5 ? (sum / count).squareRoot() : 0.6
        // Each segment's threshold, window by simulated window of the partners in the programme at the end.
        let window = Double(options.windowPeriods)
        var rng = SeededGenerator(seed: options.seed)
        var thresholds = [[Double]](repeating: [], count: g)
        let members = (0..<g).map { s in input.partners.indices.filter { present[$0] && segmentOf[$0] == s } }
        for _ in 0..<max(1, options.thresholdDraws) {
            for s in 0..<g where !members[s].isEmpty {
                let totals = members[s].map { p -> Double in
                    let mu = mean(glm, p, interaction)
                    let lambda = GammaPoisson.gammaDraw(shape: alpha + deals[p], rate: alpha / mu + periods[p], &rng)
                    return compoundValues(poisson(window * lambda, &rng), dealValues[s], spread, &rng)
                }
                thresholds[s].append(Self.nearestRankQuartile(totals))
            }
        }
        // G_s[k]: P(S_k > 0 and S_k ≥ T_s), S_k the sum of k deal values, T_s one of the thresholds.
        var exceedance = [[Double]](repeating: [0], count: g)
        let m = max(1, options.valueDraws)
        for s in 0..<g where !thresholds[s].isEmpty {
            var sums = [Double](repeating: 0, count: m)
            var above = [Bool](repeating: false, count: m)
            var table: [Double] = [0]
            var reached = 0
            while reached < m && table.count < 2000 {
                for j in 0..<m where !above[j] {
                    sums[j] += dealValues[s] * Kernels.exponential(spread * rng.nextGaussian() - spread * spread / 2)
                    if sums[j] > 0 && sums[j] >= thresholds[s][j % thresholds[s].count] {
                        above[j] = true
                        reached += 1
                    }
                }
                table.append(Double(reached) / Double(m))
            }
            exceedance[s] = table
        }
        return ApplicantRateModel(
            features: features, segments: input.segmentNames, means: means, scales: scales, model: glm,
            interaction: interaction, interactionScores: scores, priorShape: alpha, windowPeriods: options.windowPeriods,
            dealValues: dealValues, dealValueSpread: spread, thresholds: thresholds, exceedance: exceedance)
    }

    /// The value at rank ⌈0.75·n⌉ of `values`, ascending (as `TopPerformers.thresholds`).
    static func nearestRankQuartile(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[max(0, Int((0.75 * Double(sorted.count)).rounded(.up)) - 1)]
    }

    static func width(_ d: Int, _ g: Int, _ interaction: Double) -> Int { d + (g - 1) + (interaction > 0 ? g * d : 0) }

    /// [x, segment indicators (the first segment the reference), the segment's copy of x times `interaction`].
    static func row(_ x: [Double], segment: Int, segmentCount g: Int, interaction: Double) -> [Double] {
        var r = x
        for s in 1..<max(1, g) { r.append(segment == s ? 1 : 0) }
        if interaction > 0 {
            for s in 0..<g { for value in x { r.append(segment == s ? interaction * value : 0) } }
        }
        return r
    }

    func standardized(_ values: PartnerFeatureValues) -> [Double] {
        features.indices.map { k in (features[k].transform(values[features[k]]) - means[k]) / scales[k] }
    }

    /// μ(x): the expected deals a period of a partner with these values in segment `segment`.
    func rate(_ values: PartnerFeatureValues, segment: Int) -> Double {
        model.mean(Self.row(standardized(values), segment: segment, segmentCount: segments.count, interaction: interaction))
    }

    /// Each standardised feature's effect on log μ in segment `segment` (shared plus the segment's own).
    func effects(segment: Int) -> [Double] {
        let d = features.count, g = segments.count
        return (0..<d).map { k in
            model.coefficients[k] + (interaction > 0 ? interaction * model.coefficients[d + (g - 1) + segment * d + k] : 0)
        }
    }

    /// P(top performer over the window) = Σ_k NB(k; α, W·μ)·G_s[k].
    func probability(_ values: PartnerFeatureValues, segment: Int) -> Double {
        Self.topProbability(
            mean: Double(windowPeriods) * rate(values, segment: segment), shape: priorShape,
            exceedance: exceedance[segment])
    }

    /// Σ_k NB(k; α, m)·G[k], the negative-binomial weights by their recurrence, G = 1 beyond the table.
    static func topProbability(mean m: Double, shape alpha: Double, exceedance table: [Double]) -> Double {
        guard m > 0 else { return table.first ?? 0 }
        let q = m / (alpha + m)
        var weight = Kernels.exponential(alpha * Kernels.logarithm(alpha / (alpha + m)))
        var total = 0.0, mass = 0.0
        for k in table.indices {
            total += weight * table[k]
            mass += weight
            weight *= (alpha + Double(k)) / Double(k + 1) * q
        }
        return min(1, total + max(0, 1 - mass))
    }
}
