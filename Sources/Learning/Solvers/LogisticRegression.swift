import LinearAlgebra

/// Hyperparameters of a logistic regression fit, validated in one place before any work.
public struct LogisticRegressionConfiguration: Sendable, Equatable, Codable {
    /// λ in `(λ/2)·‖w‖²`; scikit-learn's `C` is `1/(λ·n)` for n unweighted rows.
    public var l2Strength: Double
    public var solver: SolverKind
    public var options: SolverOptions
    public var fitsIntercept: Bool

    public init(l2Strength: Double, solver: SolverKind = .auto, options: SolverOptions = SolverOptions(), fitsIntercept: Bool = true) {
        self.l2Strength = l2Strength
        self.solver = solver
        self.options = options
        self.fitsIntercept = fitsIntercept
    }

    /// Checks every hyperparameter, quoting the bad value.
    public func validate() throws(LearningError) {
        guard l2Strength.isFinite, l2Strength >= 0 else {
            throw .invalidParameter(name: "l2Strength", value: "\(l2Strength)", requirement: "must be finite and >= 0")
        }
        try options.validate()
    }
}

/// A fitted binary logistic regression on an encoded design: P(y = 1 | x) = σ(x·w + b).
///
/// It minimises exactly
///
///     (1/Σsᵢ) · Σᵢ sᵢ · log(1 + exp(−ỹᵢ·(xᵢ·w + b))) + (λ/2)·‖w‖²
///
/// (sample weights s, labels ỹ ∈ {−1, +1}, intercept b unpenalised); see `LogisticObjective`.
public struct LogisticRegression: Sendable, Equatable, Codable {
    public var coefficients: [Double]
    public var intercept: Double

    public init(coefficients: [Double], intercept: Double) {
        self.coefficients = coefficients
        self.intercept = intercept
    }

    /// Fits the model to `design` (n×d) and `labels`.
    /// - Throws: `LearningError` for bad hyperparameters, mismatched lengths, a single class, or non-finite data.
    /// - Complexity: Newton O(iterations·n·d²); L-BFGS O(iterations·n·d).
    public static func fit(
        design: Matrix<Double>, labels: [Bool], sampleWeights: [Double]? = nil,
        configuration: LogisticRegressionConfiguration, workerCount: Int? = nil, progress: SolverProgress? = nil
    ) throws(LearningError) -> (model: LogisticRegression, report: SolverReport) {
        try configuration.validate()
        guard !labels.isEmpty else { throw .emptyData }
        var hasPositive = false, hasNegative = false
        for (index, label) in labels.enumerated() where (sampleWeights?[index] ?? 1) > 0 {
            if label { hasPositive = true } else { hasNegative = true }
        }
        if !hasPositive || !hasNegative { throw .singleClass(label: hasPositive) }
        let objective = try LogisticObjective(
            design: design, labels: labels, sampleWeights: sampleWeights, l2Strength: configuration.l2Strength,
            fitsIntercept: configuration.fitsIntercept, workerCount: workerCount)
        let report: SolverReport
        switch configuration.solver.resolved(featureCount: design.columnCount) {
        case .newton:
            report = try NewtonSolver.minimize(objective, options: configuration.options, progress: progress)
        case .lbfgs, .auto:
            report = try LBFGSSolver.minimize(objective, options: configuration.options, progress: progress)
        }
        let d = design.columnCount
        let model = LogisticRegression(
            coefficients: Array(report.parameters[0..<d]),
            intercept: configuration.fitsIntercept ? report.parameters[d] : 0)
        return (model, report)
    }

    /// The margins x·w + b for every row of `design`.
    /// - Throws: `LearningError.lengthMismatch` when the design has the wrong number of columns.
    public func margins(for design: Matrix<Double>) throws(LearningError) -> [Double] {
        guard design.columnCount == coefficients.count else {
            throw .lengthMismatch(what: "design columns", expected: coefficients.count, got: design.columnCount)
        }
        var z = [Double](repeating: intercept, count: design.rowCount)
        if !coefficients.isEmpty {
            do { try BLAS.gemv(design, coefficients, beta: 1, into: &z) } catch { throw .numerical("\(error)") }
        }
        return z
    }

    /// P(y = 1 | x) for every row of `design`.
    public func probabilities(for design: Matrix<Double>) throws(LearningError) -> [Double] {
        var z = try margins(for: design)
        z.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = Kernels.sigmoid(p[i]) }
        }
        return z
    }
}
