import LinearAlgebra

/// Newton's method on the logistic objective: each step solves ∇²f·p = −∇f by Cholesky, then backtracks until
/// f decreases by Armijo's rule. The Hessian at a trial point is computed in the same pass as its value and
/// gradient, so an accepted full step costs one pass over the data.
public enum NewtonSolver {
    /// Minimises `objective` from `start` (zeros when nil).
    /// - Throws: `LearningError.nonFiniteObjective` when the data makes f non-finite.
    public static func minimize(
        _ objective: LogisticObjective, start: [Double]? = nil, options: SolverOptions = SolverOptions(),
        progress: SolverProgress? = nil
    ) throws(LearningError) -> SolverReport {
        let p = objective.parameterCount
        var hessian = Matrix<Double>(rowCount: p, columnCount: p)
        var (theta, value, gradient) = try startingPoint(
            start, parameterCount: p, options, evaluate: { objective.value(at: $0, gradient: &$1, hessian: &hessian) })
        var iteration = 0
        var trialGradient = gradient, trialHessian = hessian
        while infinityNorm(gradient) > options.gradientTolerance && iteration < options.maxIterations {
            iteration += 1
            var step = gradient.map { -$0 }
            try solveRegularised(hessian, &step)
            var slope = 0.0
            for j in 0..<p { slope += gradient[j] * step[j] }
            if slope >= 0 {
                // Not a descent direction (numerically singular Hessian): fall back to steepest descent.
                step = gradient.map { -$0 }
                slope = -gradient.reduce(0) { $0 + $1 * $1 }
            }
            var trial = theta
            guard
                let trialValue = backtrack(
                    from: theta, value: value, direction: step, slope: slope, trial: &trial, trialGradient: &trialGradient,
                    evaluate: { objective.value(at: $0, gradient: &$1, hessian: &trialHessian) })
            else { break }
            theta = trial; value = trialValue
            swap(&gradient, &trialGradient); swap(&hessian, &trialHessian)
            progress?(iteration, value, infinityNorm(gradient))
        }
        let norm = infinityNorm(gradient)
        guard value.isFinite else { throw .nonFiniteObjective(iteration: iteration) }
        return SolverReport(
            parameters: theta, solver: .newton, iterations: iteration,
            converged: norm <= options.gradientTolerance, objective: value, gradientNorm: norm,
            passes: objective.passCount)
    }

    /// Solves H·x = b in place; adds a growing ridge when H is numerically singular (λ = 0 with collinear columns).
    static func solveRegularised(_ hessian: Matrix<Double>, _ rhs: inout [Double]) throws(LearningError) {
        var ridge = 0.0
        var trace = 0.0
        for i in 0..<hessian.rowCount { trace += hessian[i, i] }
        let scale = max(trace / Double(max(1, hessian.rowCount)), 1e-300)
        for _ in 0..<12 {
            var shifted = hessian
            if ridge > 0 { for i in 0..<shifted.rowCount { shifted[i, i] += ridge } }
            if let factor = try? CholeskyFactor(factoring: shifted) {
                do { try factor.solve(&rhs) } catch { throw .numerical("\(error)") }
                return
            }
            ridge = ridge == 0 ? 1e-12 * scale : ridge * 100
        }
        throw .numerical("the Hessian could not be factored even with a ridge of \(ridge)")
    }
}
