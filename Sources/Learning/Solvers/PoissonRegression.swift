import LinearAlgebra

/// Poisson regression with a log link and an L2 penalty:
///
///     f(w, b) = (1/n)·Σᵢ (exp(zᵢ) − yᵢ·zᵢ) + (λ/2)·‖w‖²,   zᵢ = xᵢ·w + b
///
/// (the negative log-likelihood up to log yᵢ!, the intercept b unpenalised; θ = `[w₀, …, w_{d−1}, b]`), minimised
/// by Newton's method with the Hessian (1/n)·Aᵀ·diag(exp(z))·A + λ (A = [X 1]) factored by Cholesky. Every sum is a
/// plain loop in a fixed order, so the fitted figures are the same Double on every CPU and BLAS kernel
/// (docs/determinism.md); the data (one row a partner a period, a few features) are small.
public struct PoissonRegression: Sendable, Equatable, Codable {
    public var coefficients: [Double]
    public var intercept: Double

    public init(coefficients: [Double], intercept: Double) {
        self.coefficients = coefficients
        self.intercept = intercept
    }

    /// f(θ) and its gradient, by plain loops.
    /// With `weights`, row i counts sᵢ times and 1/n becomes 1/Σsᵢ: a row whose target is the mean of sᵢ periods
    /// with the same features stands for those periods exactly.
    public static func objective(
        design: Matrix<Double>, targets: [Double], weights: [Double]? = nil, l2Strength: Double,
        parameters theta: [Double], gradient: inout [Double]
    ) -> Double {
        let n = design.rowCount, d = design.columnCount
        let total = weights.map { $0.reduce(0, +) } ?? Double(n)
        for j in gradient.indices { gradient[j] = 0 }
        var sum = 0.0
        for i in 0..<n {
            let s = weights?[i] ?? 1
            var z = theta[d]
            for k in 0..<d { z += design[i, k] * theta[k] }
            let mu = Kernels.exponential(z)
            sum += s * (mu - targets[i] * z)
            let r = s * (mu - targets[i]) / total
            for k in 0..<d { gradient[k] += r * design[i, k] }
            gradient[d] += r
        }
        var penalty = 0.0
        for k in 0..<d {
            penalty += 0.5 * l2Strength * theta[k] * theta[k]
            gradient[k] += l2Strength * theta[k]
        }
        return sum / total + penalty
    }

    /// Minimises f by Newton's method with a backtracking line search, from b = log(mean y), w = 0; `weights`
    /// (each > 0) as in `objective`.
    /// - Throws: `LearningError` for mismatched lengths, negative or non-finite targets or weights, λ < 0, no rows,
    ///   or a failed factorisation.
    public static func fit(
        design: Matrix<Double>, targets: [Double], weights: [Double]? = nil, l2Strength: Double,
        options: SolverOptions = SolverOptions(gradientTolerance: 1e-6, maxIterations: 100)
    ) throws(LearningError) -> (model: PoissonRegression, report: SolverReport) {
        try options.validate()
        let n = design.rowCount, d = design.columnCount, p = d + 1
        guard n > 0 else { throw .emptyData }
        guard targets.count == n else { throw .lengthMismatch(what: "targets", expected: n, got: targets.count) }
        if let bad = targets.first(where: { !($0 >= 0 && $0.isFinite) }) {
            throw .invalidParameter(name: "targets", value: "\(bad)", requirement: "must be finite and >= 0")
        }
        if let weights {
            guard weights.count == n else { throw .lengthMismatch(what: "weights", expected: n, got: weights.count) }
            if let bad = weights.first(where: { !($0 > 0 && $0.isFinite) }) {
                throw .invalidParameter(name: "weights", value: "\(bad)", requirement: "must be finite and > 0")
            }
        }
        guard l2Strength >= 0, l2Strength.isFinite else {
            throw .invalidParameter(name: "l2Strength", value: "\(l2Strength)", requirement: "must be finite and >= 0")
        }
        let totalWeight = weights.map { $0.reduce(0, +) } ?? Double(n)
        var weightedSum = 0.0
        for i in 0..<n { weightedSum += (weights?[i] ?? 1) * targets[i] }
        let mean = weightedSum / totalWeight
        var theta = [Double](repeating: 0, count: p)
        theta[d] = Kernels.logarithm(max(mean, 1e-6))
        var gradient = [Double](repeating: 0, count: p)
        var value = objective(
            design: design, targets: targets, weights: weights, l2Strength: l2Strength, parameters: theta,
            gradient: &gradient)
        var iteration = 0, passes = 1
        while infinityNorm(gradient) > options.gradientTolerance && iteration < options.maxIterations {
            iteration += 1
            // Hessian: (1/Σs)·Aᵀ·diag(s·μ)·A + λ on the coefficients, A = [X 1].
            var hessian = Matrix<Double>(rowCount: p, columnCount: p)
            var row = [Double](repeating: 1, count: p)
            for i in 0..<n {
                var z = theta[d]
                for k in 0..<d {
                    row[k] = design[i, k]
                    z += design[i, k] * theta[k]
                }
                let w = (weights?[i] ?? 1) * Kernels.exponential(z) / totalWeight
                for a in 0..<p { for b in a..<p { hessian[a, b] += w * row[a] * row[b] } }
            }
            for a in 0..<p { for b in 0..<a { hessian[a, b] = hessian[b, a] } }
            for k in 0..<d { hessian[k, k] += l2Strength }
            for j in 0..<p { hessian[j, j] += 1e-12 }
            var step = gradient.map { -$0 }
            do { try CholeskyFactor(factoring: hessian).solve(&step) } catch { throw .numerical("Poisson Newton step: \(error)") }
            var slope = 0.0
            for j in 0..<p { slope += gradient[j] * step[j] }
            var t = 1.0, accepted = false
            var trial = theta, trialGradient = gradient
            for _ in 0..<60 {
                for j in 0..<p { trial[j] = theta[j] + t * step[j] }
                let trialValue = objective(
                    design: design, targets: targets, weights: weights, l2Strength: l2Strength, parameters: trial,
                    gradient: &trialGradient)
                passes += 1
                if trialValue.isFinite && trialValue <= value + 1e-4 * t * slope {
                    (theta, gradient, value, accepted) = (trial, trialGradient, trialValue, true)
                    break
                }
                t *= 0.5
            }
            if !accepted { break }
        }
        let report = SolverReport(
            parameters: theta, solver: .newton, iterations: iteration,
            converged: infinityNorm(gradient) <= options.gradientTolerance, objective: value,
            gradientNorm: infinityNorm(gradient), passes: passes)
        return (PoissonRegression(coefficients: Array(theta[0..<d]), intercept: theta[d]), report)
    }

    /// exp(x·w + b) for one row, summed in ascending feature order.
    public func mean(_ row: [Double]) -> Double {
        var z = intercept
        for k in coefficients.indices { z += row[k] * coefficients[k] }
        return Kernels.exponential(z)
    }
}
