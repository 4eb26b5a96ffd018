import LinearAlgebra

/// Hyperparameters of a logistic regression fit, validated in one place before any work.
public struct LogisticRegressionConfiguration: Sendable, Equatable, Codable {
    /// λ in `(λ/2)·‖w‖²`; scikit-learn's `C` is `1/(λ·n)` for n unweighted rows.
    public var l2Strength: Double
    public var solver: SolverKind
    public var options: SolverOptions
    public var fitsIntercept: Bool
    /// Difference penalties on blocks of coefficients (P-splines), beside the ridge; empty for a plain fit.
    public var penalties: [DifferencePenalty]

    public init(
        l2Strength: Double, solver: SolverKind = .auto, options: SolverOptions = SolverOptions(), fitsIntercept: Bool = true,
        penalties: [DifferencePenalty] = []
    ) {
        self.penalties = penalties
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
        guard solver != .newtonCG else {
            throw .invalidParameter(
                name: "solver", value: solver.rawValue, requirement: "must be auto, lbfgs or newton for a logistic regression")
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
        configuration: LogisticRegressionConfiguration, workerCount: Int? = nil, start: [Double]? = nil,
        progress: SolverProgress? = nil
    ) throws(LearningError) -> (model: LogisticRegression, report: SolverReport) {
        if let start, start.count != design.columnCount + (configuration.fitsIntercept ? 1 : 0) {
            throw .lengthMismatch(
                what: "starting point", expected: design.columnCount + (configuration.fitsIntercept ? 1 : 0), got: start.count)
        }
        try configuration.validate()
        guard !labels.isEmpty else { throw .emptyData }
        var hasPositive = false, hasNegative = false
        for (index, label) in labels.enumerated() where (sampleWeights?[index] ?? 1) > 0 {
            if label { hasPositive = true } else { hasNegative = true }
        }
        if !hasPositive || !hasNegative { throw .singleClass(label: hasPositive) }
        let objective = try LogisticObjective(
            design: design, labels: labels, sampleWeights: sampleWeights, l2Strength: configuration.l2Strength,
            fitsIntercept: configuration.fitsIntercept, penalties: configuration.penalties, workerCount: workerCount)
        return try solve(objective, configuration: configuration, start: start, progress: progress)
    }

    /// As `fit(design:…)` for a design given by its non-zeros (`columnCount` columns), never built dense: the same
    /// objective and solver steps, bit for bit, as the dense design swept sparse.
    static func fit(
        sparseRows: SparseRows, columnCount: Int, labels: [Bool], configuration: LogisticRegressionConfiguration,
        start: [Double]? = nil, progress: SolverProgress? = nil
    ) throws(LearningError) -> (model: LogisticRegression, report: SolverReport) {
        if let start, start.count != columnCount + (configuration.fitsIntercept ? 1 : 0) {
            throw .lengthMismatch(
                what: "starting point", expected: columnCount + (configuration.fitsIntercept ? 1 : 0), got: start.count)
        }
        try configuration.validate()
        guard !labels.isEmpty else { throw .emptyData }
        let positives = labels.count { $0 }
        if positives == 0 || positives == labels.count { throw .singleClass(label: positives > 0) }
        let objective = try LogisticObjective(
            sparseRows: sparseRows, columnCount: columnCount, labels: labels, sampleWeights: nil,
            l2Strength: configuration.l2Strength, fitsIntercept: configuration.fitsIntercept,
            penalties: configuration.penalties, workerCount: nil)
        return try solve(objective, configuration: configuration, start: start, progress: progress)
    }

    /// Runs the configured solver on `objective` and reads the model off its solution.
    private static func solve(
        _ objective: LogisticObjective, configuration: LogisticRegressionConfiguration, start: [Double]?,
        progress: SolverProgress?
    ) throws(LearningError) -> (model: LogisticRegression, report: SolverReport) {
        let rowCount = objective.sampleCount, columnCount = objective.featureCount
        var report: SolverReport
        switch configuration.solver {
        case .newton:
            report = try NewtonSolver.minimize(objective, start: start, options: configuration.options, progress: progress)
        case .lbfgs, .newtonCG:  // newton-cg is turned away by `validate()`
            report = try LBFGSSolver.minimize(objective, start: start, options: configuration.options, progress: progress)
        case .auto where start != nil && columnCount <= 2000:
            // From a given start (a warm start, near the solution), Newton's quadratic convergence takes a few steps
            // where L-BFGS would spend its whole budget; with at most 2,000 columns the Hessian's Cholesky is cheap.
            report = try NewtonSolver.minimize(objective, start: start, options: configuration.options, progress: progress)
        case .auto:
            var first = configuration.options
            // A sparse sweep forms the Hessian at O(nnz²) a row, not O(d²): the budget counts the non-zeros per row.
            let width =
                objective.sparseRows.map { ($0.values.count + rowCount - 1) / rowCount } ?? columnCount
            first.maxIterations = min(first.maxIterations, SolverKind.lbfgsIterationBudget(featureCount: width))
            report = try LBFGSSolver.minimize(objective, start: start, options: first, progress: progress)
            if !report.converged && report.iterations < configuration.options.maxIterations {
                var rest = configuration.options
                rest.maxIterations -= report.iterations
                let done = report.iterations
                let newton = try NewtonSolver.minimize(objective, start: report.parameters, options: rest) { k, f, g in
                    progress?(done + k, f, g)
                }
                report = SolverReport(
                    parameters: newton.parameters, solver: .newton, iterations: done + newton.iterations,
                    converged: newton.converged, objective: newton.objective,
                    gradientNorm: newton.gradientNorm, passes: newton.passes)
            }
        }
        let d = columnCount
        let model = LogisticRegression(
            coefficients: Array(report.parameters[0..<d]),
            intercept: configuration.fitsIntercept ? report.parameters[d] : 0)
        return (model, report)
    }

    /// The margins x·w + b for every row of `design`, each in one fixed order: Σ_p x[p]·w[p] summed in ascending p
    /// (terms with x[p] = 0 skipped, which never changes the sum), then + b. A plain loop, so each row's margin is the
    /// same Double on every CPU, whatever rows it is scored with and however many workers share them.
    /// - Throws: `LearningError.lengthMismatch` when the design has the wrong number of columns.
    /// - Complexity: O(n·d), rows split across cores.
    public func margins(for design: Matrix<Double>) throws(LearningError) -> [Double] {
        guard design.columnCount == coefficients.count else {
            throw .lengthMismatch(what: "design columns", expected: coefficients.count, got: design.columnCount)
        }
        return rowwise(design) { $0 }
    }

    /// The margins of rows given by their non-zeros, in the same fixed order as `margins(for:)` (so the same Doubles
    /// as for the dense rows).
    /// - Precondition: every column index is below `coefficients.count`.
    func margins(for rows: SparseRows) -> [Double] {
        (0..<rows.rowCount).map { i in
            var sum = 0.0
            for k in rows.starts[i]..<rows.starts[i + 1] where rows.values[k] != 0 {
                sum += rows.values[k] * coefficients[Int(rows.columns[k])]
            }
            return sum + intercept
        }
    }

    /// P(y = 1 | x) = σ(margin) for every row of `design`, with the fixed-order margins of `margins(for:)`.
    /// - Throws: `LearningError.lengthMismatch` when the design has the wrong number of columns.
    public func probabilities(for design: Matrix<Double>) throws(LearningError) -> [Double] {
        guard design.columnCount == coefficients.count else {
            throw .lengthMismatch(what: "design columns", expected: coefficients.count, got: design.columnCount)
        }
        return rowwise(design) { Kernels.sigmoid($0) }
    }

    /// transform(x·w + b) for every row, rows split across cores (each row's value does not depend on the split).
    private func rowwise(_ design: Matrix<Double>, _ transform: @Sendable @escaping (Double) -> Double) -> [Double] {
        let rows = design.rowCount, d = design.columnCount
        var output = [Double](repeating: 0, count: rows)
        if rows == 0 { return output }
        let workers = ParallelRows.workerCount(rows: rows, columns: d)
        let coefficients = self.coefficients, intercept = self.intercept
        output.withUnsafeMutableBufferPointer { out in
            let target = SendableBuffer(out)
            design.storage.withUnsafeBufferPointer { x in
                let base = SendablePointer(x.baseAddress)
                ParallelRows.run(workers: workers) { w in
                    for i in ParallelRows.range(worker: w, of: workers, rows: rows) {
                        var sum = 0.0
                        for p in 0..<d where base.pointer![i * d + p] != 0 { sum += base.pointer![i * d + p] * coefficients[p] }
                        target.buffer[i] = transform(sum + intercept)
                    }
                }
            }
        }
        return output
    }
}

/// A mutable buffer handed to parallel workers that write disjoint ranges of it.
struct SendableBuffer: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Double>
    init(_ buffer: UnsafeMutableBufferPointer<Double>) { self.buffer = buffer }
}
