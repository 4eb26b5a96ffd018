import LinearAlgebra

/// Truncated Newton with a line search, after liblinear's `NEWTON` (`newton.cpp`): each iteration solves
/// ∇²f·s = −∇f approximately by preconditioned conjugate gradients (CG) on Hessian-vector products, stops CG on
/// liblinear's quadratic-model rule, then backtracks from t = 1 until `acceptsStep` (Armijo, or the approximate
/// Wolfe test once f cannot resolve the decrease).
///
/// The preconditioner is a Cholesky factor of the Hessian (`formHessian`) at an earlier iterate: formed at the first
/// iteration, and again when CG needed more than `refreshIterations` steps. At the iterate where it was formed the
/// preconditioned system is the identity; later the curvatures σ(m)(1 − σ(m)) drift, but the Hessian's
/// structure (which features co-occur, their scales, exact collinearities) does not, and that is what makes CG slow
/// without it: on the bilinear match problem a factor formed once at θ = 0 keeps CG to 2–10 steps per Newton
/// iteration where a diagonal (Jacobi) preconditioner needs up to 400. Objectives that do not form their Hessian
/// (`formsHessian` false) get unpreconditioned CG.
///
/// CG stops at step k when k·(Q_k − Q_{k−1}) ≥ η·Q_k, Q being the quadratic model sᵀ∇f + ½·sᵀ∇²f·s and
/// η = min(0.5, (∇fᵀM⁻¹∇f)^¼) (Hsia, Chiang and Lin, 2018), so steps get more exact as ∇f vanishes.
public enum NewtonCGSolver {
    /// A CG solve longer than this many steps refreshes the preconditioner at the next iteration.
    public static let refreshIterations = 25

    /// Minimises `objective` from `start` (zeros when nil); `options.historySize` is unused.
    /// - Throws: `LearningError.nonFiniteObjective` when the data makes f non-finite; `.numerical` when the
    ///   preconditioner cannot be factored even with a ridge.
    /// - Complexity: per iteration, a few Hessian-vector products and line-search passes; a Hessian formation
    ///   and an O(d³/3) factorisation when the preconditioner is (re)made, O(d²) per CG step to apply it.
    public static func minimize<Objective: HessianVectorObjective>(
        _ objective: Objective, start: [Double]? = nil, options: SolverOptions = SolverOptions(),
        progress: SolverProgress? = nil
    ) throws(LearningError) -> SolverReport {
        let p = objective.parameterCount
        var (theta, value, gradient) = try startingPoint(
            start, parameterCount: p, options, evaluate: { objective.value(at: $0, gradient: &$1) })
        var preconditioner: CholeskyFactor<Double>?
        var refresh = objective.formsHessian
        var iteration = 0, stalled = 0
        var trial = theta, trialGradient = gradient
        var step = [Double](repeating: 0, count: p)
        var work = ConjugateGradientBuffers(count: p)
        while infinityNorm(gradient) > options.gradientTolerance && iteration < options.maxIterations {
            iteration += 1
            if refresh {
                preconditioner = nil  // release the old factor before the new Hessian is made
                var hessian = Matrix<Double>(rowCount: p, columnCount: p)
                objective.formHessian(into: &hessian)
                preconditioner = try factorWithRidge(hessian)
            }
            let steps = try conjugateGradients(objective, gradient, preconditioner, &step, &work)
            refresh = objective.formsHessian && steps > refreshIterations
            var slope = directionalDerivative(gradient, step)
            if !(slope < 0) {
                for j in 0..<p { step[j] = -gradient[j] }
                slope = -directionalDerivative(gradient, gradient)
            }
            guard
                let trialValue = backtrack(
                    from: theta, value: value, direction: step, slope: slope, trial: &trial, trialGradient: &trialGradient,
                    evaluate: { objective.value(at: $0, gradient: &$1) })
            else { break }
            stalled = trialValue >= value - 1e-16 * abs(value) ? stalled + 1 : 0
            swap(&theta, &trial)
            swap(&gradient, &trialGradient)
            value = trialValue
            progress?(iteration, value, infinityNorm(gradient))
            if stalled >= 5 { break }
        }
        let norm = infinityNorm(gradient)
        return SolverReport(
            parameters: theta, solver: .newtonCG, iterations: iteration,
            converged: norm <= options.gradientTolerance, objective: value, gradientNorm: norm,
            passes: objective.passCount + objective.hessianPassCount)
    }

    /// Vectors reused by every CG solve.
    struct ConjugateGradientBuffers {
        var residual: [Double]
        var preconditioned: [Double]
        var direction: [Double]
        var product: [Double]

        init(count: Int) {
            residual = [Double](repeating: 0, count: count)
            preconditioned = residual
            direction = residual
            product = residual
        }
    }

    /// Approximately solves ∇²f·s = −g into `step` by preconditioned CG from s = 0; returns the steps taken.
    static func conjugateGradients<Objective: HessianVectorObjective>(
        _ objective: Objective, _ gradient: [Double], _ preconditioner: CholeskyFactor<Double>?, _ step: inout [Double],
        _ work: inout ConjugateGradientBuffers
    ) throws(LearningError) -> Int {
        let p = gradient.count
        func applyPreconditioner(_ residual: [Double], into z: inout [Double]) throws(LearningError) {
            z = residual
            if let preconditioner {
                do { try preconditioner.solve(&z) } catch { throw .numerical("\(error)") }
            }
        }
        for j in 0..<p {
            step[j] = 0
            work.residual[j] = -gradient[j]
        }
        try applyPreconditioner(work.residual, into: &work.preconditioned)
        work.direction = work.preconditioned
        var zr = directionalDerivative(work.preconditioned, work.residual)
        guard zr > 0, zr.isFinite else { return 0 }
        let tolerance = min(0.5, zr.squareRoot().squareRoot())
        var quadratic = 0.0
        var steps = 0
        while steps < max(5, p) {
            steps += 1
            objective.hessianProduct(work.direction, into: &work.product)
            let curvature = directionalDerivative(work.direction, work.product)
            guard curvature > 0, curvature.isFinite else {
                // Not positive along d (only in rounding for a convex f): take d itself if nothing better is known.
                if steps == 1 { step = work.direction }
                break
            }
            let alpha = zr / curvature
            for j in 0..<p {
                step[j] += alpha * work.direction[j]
                work.residual[j] -= alpha * work.product[j]
            }
            // Q(s) = sᵀg + ½·sᵀ∇²f·s = −½·(sᵀr − sᵀg), with r = −g − ∇²f·s.
            let model = -0.5 * (directionalDerivative(step, work.residual) - directionalDerivative(step, gradient))
            let decrease = model - quadratic
            guard model <= 0, decrease <= 0 else { break }
            if Double(steps) * decrease >= tolerance * model { break }
            quadratic = model
            try applyPreconditioner(work.residual, into: &work.preconditioned)
            let next = directionalDerivative(work.preconditioned, work.residual)
            guard next > 0, next.isFinite else { break }
            let beta = next / zr
            for j in 0..<p { work.direction[j] = work.preconditioned[j] + beta * work.direction[j] }
            zr = next
        }
        return steps
    }

    /// The Cholesky factor of `hessian` (upper triangle read), with a growing ridge when it is numerically singular
    /// (λ = 0 with collinear features): as a preconditioner it need not be exact.
    static func factorWithRidge(_ hessian: Matrix<Double>) throws(LearningError) -> CholeskyFactor<Double> {
        let order = hessian.rowCount
        var trace = 0.0
        for i in 0..<order { trace += hessian.storage[i * order + i] }
        let scale = max(trace / Double(max(1, order)), 1e-300)
        if let factor = try? CholeskyFactor(factoring: hessian) { return factor }
        var ridge = 1e-12 * scale
        for _ in 0..<12 {
            var shifted = hessian
            for i in 0..<order { shifted.storage[i * order + i] += ridge }
            if let factor = try? CholeskyFactor(factoring: shifted) { return factor }
            ridge *= 100
        }
        throw .numerical("the Hessian preconditioner could not be factored even with a ridge of \(ridge)")
    }
}
