#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The normal–normal hierarchical model (random-effects meta-analysis, empirical Bayes):
///
///     yᵢ | θᵢ ~ N(θᵢ, sᵢ²),   θᵢ ~ N(μ, τ²)
///
/// Each unit i reports an estimate yᵢ with a known sampling variance sᵢ²; the units' true values θᵢ scatter around a
/// pooled value μ with between-unit variance τ². `fit` estimates τ² by restricted maximum likelihood (REML) and μ by
/// generalised least squares at that τ²; `posterior` shrinks one unit's estimate toward μ̂.
///
/// The REML log-likelihood, with wᵢ = 1/(sᵢ² + τ²) and μ̂(τ²) = Σwᵢyᵢ / Σwᵢ:
///
///     ℓ(τ²) = −½ Σ log(sᵢ² + τ²) − ½ log Σwᵢ − ½ Σ wᵢ (yᵢ − μ̂)²
///
/// maximised over τ² ≥ 0 by Fisher scoring from the method-of-moments (DerSimonian–Laird) value.
public struct RandomEffects: Sendable, Equatable {
    /// μ̂: the pooled value, Σwᵢyᵢ / Σwᵢ at τ̂².
    public var mean: Double
    /// Var(μ̂) = 1 / Σwᵢ.
    public var meanVariance: Double
    /// τ̂² ≥ 0: the between-unit variance.
    public var betweenVariance: Double
    /// The method-of-moments τ² the scoring started from.
    public var momentsVariance: Double
    /// Fisher-scoring steps taken.
    public var iterations: Int

    public init(mean: Double, meanVariance: Double, betweenVariance: Double) {
        self.mean = mean
        self.meanVariance = meanVariance
        self.betweenVariance = betweenVariance
        momentsVariance = betweenVariance
        iterations = 0
    }

    /// Fits τ² (REML) and μ from the units' estimates and their sampling variances.
    /// - Throws: `LearningError.emptyData` for no units, `.lengthMismatch` when the arrays differ in length,
    ///   `.invalidParameter` for a non-finite estimate or a variance that is not finite and > 0.
    /// - Complexity: O(units · iterations).
    public static func fit(estimates: [Double], variances: [Double], maxIterations: Int = 100, tolerance: Double = 1e-10)
        throws(LearningError) -> RandomEffects
    {
        guard !estimates.isEmpty else { throw .emptyData }
        guard estimates.count == variances.count else {
            throw .lengthMismatch(what: "variances", expected: estimates.count, got: variances.count)
        }
        for (i, y) in estimates.enumerated() where !y.isFinite {
            throw .invalidParameter(name: "estimate \(i)", value: "\(y)", requirement: "must be finite")
        }
        for (i, v) in variances.enumerated() where !(v.isFinite && v > 0) {
            throw .invalidParameter(name: "variance \(i)", value: "\(v)", requirement: "must be finite and > 0")
        }
        let moments = momentsEstimate(estimates, variances)
        var tau2 = moments
        var iterations = 0
        if estimates.count > 1 {
            while iterations < maxIterations {
                iterations += 1
                let (score, information) = remlScore(estimates, variances, tau2)
                guard information > 0 else { break }
                let next = max(0, tau2 + score / information)
                let step = abs(next - tau2)
                tau2 = next
                if step <= tolerance * (1 + tau2) { break }
            }
        } else {
            tau2 = 0
        }
        let (mean, meanVariance) = pooled(estimates, variances, tau2)
        var fit = RandomEffects(mean: mean, meanVariance: meanVariance, betweenVariance: tau2)
        fit.momentsVariance = moments
        fit.iterations = iterations
        return fit
    }

    /// μ̂ = Σwᵢyᵢ/Σwᵢ and 1/Σwᵢ with wᵢ = 1/(sᵢ² + τ²).
    public static func pooled(_ y: [Double], _ s2: [Double], _ tau2: Double) -> (mean: Double, variance: Double) {
        var sw = 0.0, swy = 0.0
        for i in y.indices {
            let w = 1 / (s2[i] + tau2)
            sw += w
            swy += w * y[i]
        }
        return (swy / sw, 1 / sw)
    }

    /// DerSimonian–Laird: τ² = max(0, (Q − (k − 1)) / (Σw − Σw²/Σw)), w = 1/sᵢ², Q = Σw(y − ȳ_w)².
    public static func momentsEstimate(_ y: [Double], _ s2: [Double]) -> Double {
        guard y.count > 1 else { return 0 }
        let (mean, _) = pooled(y, s2, 0)
        var q = 0.0, sw = 0.0, sw2 = 0.0
        for i in y.indices {
            let w = 1 / s2[i]
            q += w * (y[i] - mean) * (y[i] - mean)
            sw += w
            sw2 += w * w
        }
        let denominator = sw - sw2 / sw
        return denominator > 0 ? max(0, (q - Double(y.count - 1)) / denominator) : 0
    }

    /// The REML log-likelihood ℓ(τ²) (up to a constant).
    public static func remlLogLikelihood(_ y: [Double], _ s2: [Double], _ tau2: Double) -> Double {
        let (mean, meanVariance) = pooled(y, s2, tau2)
        var value = 0.5 * log(meanVariance)
        for i in y.indices {
            let v = s2[i] + tau2
            value -= 0.5 * (log(v) + (y[i] - mean) * (y[i] - mean) / v)
        }
        return value
    }

    /// dℓ/dτ² = ½[Σw²(y − μ̂)² − Σw + Σw²/Σw] and its expected information ½[Σw² − 2Σw³/Σw + (Σw²/Σw)²].
    static func remlScore(_ y: [Double], _ s2: [Double], _ tau2: Double) -> (score: Double, information: Double) {
        let (mean, _) = pooled(y, s2, tau2)
        var sw = 0.0, sw2 = 0.0, sw3 = 0.0, sw2r = 0.0
        for i in y.indices {
            let w = 1 / (s2[i] + tau2)
            sw += w
            sw2 += w * w
            sw3 += w * w * w
            sw2r += w * w * (y[i] - mean) * (y[i] - mean)
        }
        let score = 0.5 * (sw2r - sw + sw2 / sw)
        let information = 0.5 * (sw2 - 2 * sw3 / sw + (sw2 / sw) * (sw2 / sw))
        return (score, information)
    }

    /// The posterior of a unit's true value θ given its estimate y (variance s²) and the fit, μ integrated over its
    /// flat-prior posterior N(μ̂, Var μ̂):
    ///
    ///     mean = μ̂ + B·(y − μ̂),   variance = B·s² + (1 − B)²·Var(μ̂),   B = τ²/(τ² + s²)
    ///
    /// (exact for the fitted τ²). τ² = 0 gives μ̂ for every unit; τ² → ∞ gives the unit's own estimate.
    public func posterior(estimate: Double, variance: Double) -> (mean: Double, variance: Double) {
        let b = betweenVariance / (betweenVariance + variance)
        return (mean + b * (estimate - mean), b * variance + (1 - b) * (1 - b) * meanVariance)
    }

    /// The posterior of a unit with no estimate of its own: N(μ̂, τ² + Var μ̂).
    public var newUnit: (mean: Double, variance: Double) { (mean, betweenVariance + meanVariance) }
}
