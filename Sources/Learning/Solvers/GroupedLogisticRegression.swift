import LinearAlgebra

/// A fitted `GroupedLogisticObjective`: each group's coefficients (shared plus deviation) and intercept, with
/// Laplace standard errors (from the inverse Hessian of the penalised objective at the optimum, over n).
public struct GroupedLogisticRegression: Sendable, Equatable, Codable {
    public var sharedCoefficients: [Double]
    public var sharedIntercept: Double
    /// β + δ_g, one array per group.
    public var groupCoefficients: [[Double]]
    /// b + c_g.
    public var groupIntercepts: [Double]
    /// The standard error of each group coefficient β_k + δ_gk.
    public var standardErrors: [[Double]]
    public var l2Strength: Double
    public var shrinkage: Double

    /// Minimises the objective by Newton's method from zero: each step solves ∇²f·s = −∇f by Cholesky (with a
    /// 1e-10 ridge, which only matters for τ = 0, where b + c_g is flat in one direction), then backtracks by
    /// Armijo's rule. The data are small (one row a partner), so the dense Hessian is cheap.
    /// - Throws: `LearningError` for bad inputs, a single class, or a non-finite objective.
    public static func fit(
        design: Matrix<Double>, labels: [Bool], groups: [Int], groupCount: Int, l2Strength: Double, shrinkage: Double,
        options: SolverOptions = SolverOptions(gradientTolerance: 1e-10, maxIterations: 200)
    ) throws(LearningError) -> (model: GroupedLogisticRegression, report: SolverReport) {
        let objective = try GroupedLogisticObjective(
            design: design, labels: labels, groups: groups, groupCount: groupCount, l2Strength: l2Strength,
            shrinkage: shrinkage)
        if !labels.contains(true) || !labels.contains(false) { throw .singleClass(label: labels.first ?? false) }
        let report = try newton(objective, options: options)
        let theta = report.parameters
        let d = design.columnCount, p = objective.parameterCount
        // Laplace covariance: (n·∇²f)⁻¹. τ = 0 leaves b + c_g flat in one direction: add a tiny ridge so the
        // factorisation exists (it changes no identifiable combination's variance noticeably).
        var hessian = objective.hessian(at: theta)
        for j in 0..<p { hessian[j, j] += 1e-10 }
        var standardErrors = [[Double]](repeating: [Double](repeating: .nan, count: d), count: groupCount)
        if let factor = try? CholeskyFactor(factoring: hessian) {
            for g in 0..<groupCount {
                let block = (g + 1) * (d + 1)
                for k in 0..<d {
                    var e = [Double](repeating: 0, count: p)
                    e[k] = 1
                    if !shrinkage.isInfinite { e[block + k] = 1 }
                    guard let solved = try? factor.solving(e) else { continue }
                    var variance = 0.0
                    for j in 0..<p { variance += e[j] * solved[j] }
                    standardErrors[g][k] = (max(0, variance) / Double(design.rowCount)).squareRoot()
                }
            }
        }
        let model = GroupedLogisticRegression(
            sharedCoefficients: Array(theta[0..<d]), sharedIntercept: theta[d],
            groupCoefficients: (0..<groupCount).map { g in
                (0..<d).map { k in theta[k] + theta[(g + 1) * (d + 1) + k] }
            },
            groupIntercepts: (0..<groupCount).map { g in theta[d] + theta[(g + 1) * (d + 1) + d] },
            standardErrors: standardErrors, l2Strength: l2Strength, shrinkage: shrinkage)
        return (model, report)
    }

    static func newton(_ objective: GroupedLogisticObjective, options: SolverOptions) throws(LearningError)
        -> SolverReport
    {
        let p = objective.parameterCount
        var (theta, value, gradient) = try startingPoint(
            nil, parameterCount: p, options, evaluate: { objective.value(at: $0, gradient: &$1) })
        var iteration = 0
        var trial = theta, trialGradient = gradient
        while infinityNorm(gradient) > options.gradientTolerance && iteration < options.maxIterations {
            iteration += 1
            var hessian = objective.hessian(at: theta)
            for j in 0..<p { hessian[j, j] += 1e-10 }
            var step = gradient.map { -$0 }
            do { try CholeskyFactor(factoring: hessian).solve(&step) } catch { step = gradient.map { -$0 } }
            var slope = directionalDerivative(gradient, step)
            if slope >= 0 {
                step = gradient.map { -$0 }
                slope = directionalDerivative(gradient, step)
            }
            guard
                let next = backtrack(
                    from: theta, value: value, direction: step, slope: slope, trial: &trial, trialGradient: &trialGradient,
                    evaluate: { objective.value(at: $0, gradient: &$1) })
            else { break }
            (theta, gradient, value) = (trial, trialGradient, next)
        }
        let norm = infinityNorm(gradient)
        return SolverReport(
            parameters: theta, solver: .newton, iterations: iteration, converged: norm <= options.gradientTolerance,
            objective: value, gradientNorm: norm, passes: objective.passCount)
    }

    /// zᵢ = xᵢ·w_g + b_g for each row, summed in ascending feature order.
    public func margins(design: Matrix<Double>, groups: [Int]) -> [Double] {
        (0..<design.rowCount).map { i in
            let g = groups[i]
            var z = groupIntercepts[g]
            for k in 0..<design.columnCount { z += design[i, k] * groupCoefficients[g][k] }
            return z
        }
    }

    public func probabilities(design: Matrix<Double>, groups: [Int]) -> [Double] {
        margins(design: design, groups: groups).map(Kernels.sigmoid)
    }

    /// The (λ, τ) of the grids with the lowest mean held-out log loss over stratified folds: λ first on the pooled
    /// model (τ = ∞), then τ with that λ. Ties keep the earlier grid value (list grids from most to least shrunk).
    /// - Throws: `LearningError` when a fold cannot be fitted, `invalidParameter` for an empty grid.
    public static func crossValidate(
        design: Matrix<Double>, labels: [Bool], groups: [Int], groupCount: Int, l2Grid: [Double],
        shrinkageGrid: [Double], foldCount: Int, seed: UInt64
    ) throws(LearningError) -> (l2Strength: Double, shrinkage: Double, losses: [(l2: Double, shrinkage: Double, loss: Double)]) {
        guard !l2Grid.isEmpty, !shrinkageGrid.isEmpty else {
            throw .invalidParameter(name: "grid", value: "empty", requirement: "must hold at least one value")
        }
        let folds: [StratifiedKFold.Fold]
        do { folds = try StratifiedKFold(labels: labels, foldCount: foldCount, seed: seed).folds } catch {
            throw .invalidParameter(name: "foldCount", value: "\(foldCount)", requirement: "needs \(error)")
        }
        var losses: [(l2: Double, shrinkage: Double, loss: Double)] = []
        func heldOutLoss(_ l2: Double, _ tau: Double) throws(LearningError) -> Double {
            var total = 0.0, count = 0
            for fold in folds {
                let train = design.gatheringRows(fold.trainIndices)
                let test = design.gatheringRows(fold.testIndices)
                let (model, _) = try fit(
                    design: train, labels: fold.trainIndices.map { labels[$0] },
                    groups: fold.trainIndices.map { groups[$0] }, groupCount: groupCount, l2Strength: l2,
                    shrinkage: tau, options: SolverOptions(gradientTolerance: 1e-8, maxIterations: 100))
                let z = model.margins(design: test, groups: fold.testIndices.map { groups[$0] })
                for (j, i) in fold.testIndices.enumerated() {
                    total += Kernels.log1pexp(z[j]) - (labels[i] ? z[j] : 0)
                    count += 1
                }
            }
            return total / Double(max(1, count))
        }
        var bestL2 = l2Grid[0], best = Double.infinity
        for l2 in l2Grid {
            let loss = try heldOutLoss(l2, .infinity)
            losses.append((l2, .infinity, loss))
            if loss < best - 1e-12 { (best, bestL2) = (loss, l2) }
        }
        var bestTau = Double.infinity
        for tau in shrinkageGrid where !tau.isInfinite {
            let loss = try heldOutLoss(bestL2, tau)
            losses.append((bestL2, tau, loss))
            if loss < best - 1e-12 { (best, bestTau) = (loss, tau) }
        }
        return (bestL2, bestTau, losses)
    }
}

extension GroupedLogisticRegression {
    /// An empirical-Bayes shrinkage: the between-group variance σ_b² of the coefficients, estimated from a nearly
    /// free fit (τ = `looseShrinkage`, default 1/n: a prior variance of 1 on each standardised deviation) by
    /// DerSimonian and Laird's moment estimator per feature,
    ///
    ///     Q_k = Σ_g u_g·(w_gk − w̄_k)²,  u_g = 1/se_gk²,  σ²_k = max(0, (Q_k − (G − 1)) / (Σu − Σu²/Σu)),
    ///
    /// averaged over the features, then τ = 1/(n·σ_b²), the strength at which the objective's penalty
    /// (τ/2)·‖δ_g‖² against the mean loss is the Gaussian prior δ ~ N(0, σ_b²). ∞ (pooling) when σ_b² is 0.
    /// Groups whose standard errors are not finite are left out.
    /// - Throws: `LearningError` from the fit.
    public static func empiricalBayesShrinkage(
        design: Matrix<Double>, labels: [Bool], groups: [Int], groupCount: Int, l2Strength: Double,
        looseShrinkage: Double? = nil
    ) throws(LearningError) -> Double {
        let n = Double(design.rowCount), d = design.columnCount
        let (free, _) = try fit(
            design: design, labels: labels, groups: groups, groupCount: groupCount, l2Strength: l2Strength,
            shrinkage: looseShrinkage ?? 1 / max(1, n))
        var total = 0.0, features = 0.0
        for k in 0..<d {
            var estimates: [Double] = [], weights: [Double] = []
            for g in 0..<groupCount where !groups.allSatisfy({ $0 != g }) {
                let se = free.standardErrors[g][k]
                guard se.isFinite, se > 0 else { continue }
                estimates.append(free.groupCoefficients[g][k])
                weights.append(1 / (se * se))
            }
            guard estimates.count >= 2 else { continue }
            let sumW = weights.reduce(0, +), sumW2 = weights.reduce(0) { $0 + $1 * $1 }
            var mean = 0.0
            for j in estimates.indices { mean += weights[j] * estimates[j] }
            mean /= sumW
            var q = 0.0
            for j in estimates.indices { q += weights[j] * (estimates[j] - mean) * (estimates[j] - mean) }
            let denominator = sumW - sumW2 / sumW
            total += denominator > 0 ? max(0, (q - Double(estimates.count - 1)) / denominator) : 0
            features += 1
        }
        let variance = features > 0 ? total / features : 0
        return variance > 0 ? 1 / (n * variance) : .infinity
    }
}
