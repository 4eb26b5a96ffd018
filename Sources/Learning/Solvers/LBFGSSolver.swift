import LinearAlgebra

/// Limited-memory BFGS on any differentiable objective: the two-loop recursion over the last `historySize` correction
/// pairs, the first step scaled to unit length, and a backtracking line search on Armijo's rule. Pairs with
/// non-positive curvature sᵀy are skipped.
public enum LBFGSSolver {
    /// Minimises `objective` from `start` (zeros when nil).
    /// - Throws: `LearningError.nonFiniteObjective` when the data makes f non-finite.
    public static func minimize<Objective: DifferentiableObjective>(
        _ objective: Objective, start: [Double]? = nil, options: SolverOptions = SolverOptions(),
        progress: SolverProgress? = nil
    ) throws(LearningError) -> SolverReport {
        let p = objective.parameterCount
        var (theta, value, gradient) = try startingPoint(
            start, parameterCount: p, options, evaluate: { objective.value(at: $0, gradient: &$1) })
        var steps: [[Double]] = [], changes: [[Double]] = [], inverseCurvatures: [Double] = []
        var alphas = [Double](repeating: 0, count: options.historySize)
        var iteration = 0
        var trial = theta, trialGradient = gradient
        var stalled = 0
        while infinityNorm(gradient) > options.gradientTolerance && iteration < options.maxIterations {
            iteration += 1
            // Two-loop recursion: direction = −H·g.
            var q = gradient
            for k in stride(from: steps.count - 1, through: 0, by: -1) {
                var a = 0.0
                for j in 0..<p { a += steps[k][j] * q[j] }
                a *= inverseCurvatures[k]
                alphas[k] = a
                for j in 0..<p { q[j] -= a * changes[k][j] }
            }
            if let last = steps.indices.last {
                var sy = 0.0, yy = 0.0
                for j in 0..<p { sy += steps[last][j] * changes[last][j]; yy += changes[last][j] * changes[last][j] }
                let gamma = sy / yy
                for j in 0..<p { q[j] *= gamma }
            } else {
                let norm = max(gradient.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-300)
                for j in 0..<p { q[j] /= norm }
            }
            for k in 0..<steps.count {
                var b = 0.0
                for j in 0..<p { b += changes[k][j] * q[j] }
                b *= inverseCurvatures[k]
                for j in 0..<p { q[j] += steps[k][j] * (alphas[k] - b) }
            }
            var direction = q.map { -$0 }
            var slope = 0.0
            for j in 0..<p { slope += gradient[j] * direction[j] }
            if !(slope < 0) {
                steps.removeAll(); changes.removeAll(); inverseCurvatures.removeAll()
                direction = gradient.map { -$0 }
                slope = -gradient.reduce(0) { $0 + $1 * $1 }
            }
            guard
                let trialValue = backtrack(
                    from: theta, value: value, direction: direction, slope: slope, trial: &trial, trialGradient: &trialGradient,
                    evaluate: { objective.value(at: $0, gradient: &$1) })
            else { break }
            var s = [Double](repeating: 0, count: p), y = s
            var sy = 0.0
            for j in 0..<p {
                s[j] = trial[j] - theta[j]; y[j] = trialGradient[j] - gradient[j]; sy += s[j] * y[j]
            }
            if sy > 1e-16 * max(1, abs(value)) {
                if steps.count == options.historySize {
                    steps.removeFirst(); changes.removeFirst(); inverseCurvatures.removeFirst()
                }
                steps.append(s); changes.append(y); inverseCurvatures.append(1 / sy)
            }
            stalled = trialValue >= value - 1e-16 * abs(value) ? stalled + 1 : 0
            swap(&theta, &trial); swap(&gradient, &trialGradient)
            value = trialValue
            progress?(iteration, value, infinityNorm(gradient))
            if stalled >= 5 { break }
        }
        let norm = infinityNorm(gradient)
        return SolverReport(
            parameters: theta, solver: .lbfgs, iterations: iteration,
            converged: norm <= options.gradientTolerance, objective: value, gradientNorm: norm,
            passes: objective.passCount)
    }
}
