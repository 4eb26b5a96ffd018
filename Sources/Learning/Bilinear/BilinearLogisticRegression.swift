import LinearAlgebra

/// Hyperparameters of a bilinear logistic fit, validated in one place before any work.
public struct BilinearConfiguration: Sendable, Equatable, Codable {
    /// λ in (λ/2)·‖W‖²_F (or (λ/2)·(‖U‖²_F + ‖V‖²_F) in the low-rank form).
    public var l2Strength: Double
    public var form: BilinearForm
    /// `.auto`: Newton-CG for the full form when its Hessian can be formed (`BilinearObjective.formsHessian`),
    /// L-BFGS otherwise; `.lbfgs`; `.newtonCG` (full form only). `.newton` is not offered.
    public var solver: SolverKind
    public var options: SolverOptions
    /// Seeds the low-rank factors' small random start (the full form starts at W = 0).
    public var seed: UInt64
    /// ωᵢⱼ, each entry's share of the penalty (λ/2)·Σ ωᵢⱼ·Wᵢⱼ² (full form only; nil for all ones).
    public var penaltyWeights: [Double]?

    public init(
        l2Strength: Double, form: BilinearForm = .full, solver: SolverKind = .auto, options: SolverOptions = SolverOptions(),
        seed: UInt64 = 1, penaltyWeights: [Double]? = nil
    ) {
        self.l2Strength = l2Strength
        self.form = form
        self.solver = solver
        self.options = options
        self.seed = seed
        self.penaltyWeights = penaltyWeights
    }

    public func validate() throws(LearningError) {
        guard l2Strength.isFinite, l2Strength >= 0 else {
            throw .invalidParameter(name: "l2Strength", value: "\(l2Strength)", requirement: "must be finite and >= 0")
        }
        if case .lowRank(let rank) = form, rank < 1 {
            throw .invalidParameter(name: "rank", value: "\(rank)", requirement: "must be >= 1")
        }
        switch (solver, form) {
        case (.newton, _):
            throw .invalidParameter(
                name: "solver", value: solver.rawValue, requirement: "must be auto, lbfgs or newton-cg for a bilinear model")
        case (.newtonCG, .lowRank):
            throw .invalidParameter(name: "solver", value: solver.rawValue, requirement: "needs the full form")
        default: break
        }
        try options.validate()
    }

    enum CodingKeys: String, CodingKey { case l2Strength, form, solver, options, seed, penaltyWeights }

    /// Decodes a configuration; one written before `solver` existed gets `.auto`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        l2Strength = try container.decode(Double.self, forKey: .l2Strength)
        form = try container.decode(BilinearForm.self, forKey: .form)
        solver = try container.decodeIfPresent(SolverKind.self, forKey: .solver) ?? .auto
        options = try container.decode(SolverOptions.self, forKey: .options)
        seed = try container.decode(UInt64.self, forKey: .seed)
        penaltyWeights = try container.decodeIfPresent([Double].self, forKey: .penaltyWeights)
    }
}

/// A fitted bilinear logistic model over paired feature vectors: P(y = 1 | φ, ψ) = σ(φᵀ·W·ψ).
///
/// With a constant 1 in column 0 of both φ and ψ, W₀₀ is the intercept, W₀ⱼ and Wᵢ₀ the main effects of ψ and φ,
/// and the rest the interactions. It minimises `BilinearObjective`'s f(W), by default with Newton-CG preconditioned
/// by the Hessian's Cholesky factor (full form; `NewtonCGSolver`) or L-BFGS (low rank, or W too large for a dense
/// Hessian).
public struct BilinearLogisticRegression: Sendable, Equatable, Codable {
    public var leftCount: Int
    public var rightCount: Int
    /// W, a×b row-major.
    public var interaction: [Double]

    public init(leftCount: Int, rightCount: Int, interaction: [Double]) {
        precondition(interaction.count == leftCount * rightCount, "W must have leftCount × rightCount entries")
        self.leftCount = leftCount
        self.rightCount = rightCount
        self.interaction = interaction
    }

    /// W as a matrix.
    public var matrix: Matrix<Double> { try! Matrix(rowCount: leftCount, columnCount: rightCount, storage: interaction) }

    /// Wᵢⱼ.
    public subscript(left: Int, right: Int) -> Double { interaction[left * rightCount + right] }

    /// Fits W to paired designs `left` (n×a) and `right` (n×b) and `labels`.
    /// - Throws: `LearningError` for bad hyperparameters, mismatched shapes, a single class or non-finite data.
    /// - Complexity: L-BFGS O(iterations·n·a·b) (O(iterations·n·(a + b)·rank) low rank); Newton-CG
    ///   O(passes·n·a·b) plus, per Hessian formation, O(Σᵢ nnz(φᵢ)²·b²/2) and an O((a·b)³/3) factorisation.
    public static func fit(
        left: Matrix<Double>, right: Matrix<Double>, labels: [Bool], sampleWeights: [Double]? = nil,
        configuration: BilinearConfiguration, unpenalizedIntercept: Bool = true, start: [Double]? = nil,
        workerCount: Int? = nil, progress: SolverProgress? = nil
    ) throws(LearningError) -> (model: BilinearLogisticRegression, report: SolverReport) {
        try configuration.validate()
        guard !labels.isEmpty else { throw .emptyData }
        var hasPositive = false, hasNegative = false
        for (index, label) in labels.enumerated() where (sampleWeights?[index] ?? 1) > 0 {
            if label { hasPositive = true } else { hasNegative = true }
        }
        if !hasPositive || !hasNegative { throw .singleClass(label: hasPositive) }
        let objective = try BilinearObjective(
            left: left, right: right, labels: labels, sampleWeights: sampleWeights,
            l2Strength: configuration.l2Strength, form: configuration.form,
            unpenalizedIntercept: unpenalizedIntercept, penaltyWeights: configuration.penaltyWeights, workerCount: workerCount)
        var initial = start
        if initial == nil, case .lowRank = configuration.form {
            var random = SeededGenerator(seed: configuration.seed)
            initial = (0..<objective.parameterCount).map { _ in 0.01 * random.nextGaussian() }
        }
        if let initial, initial.count != objective.parameterCount {
            throw .lengthMismatch(what: "starting parameters", expected: objective.parameterCount, got: initial.count)
        }
        let report: SolverReport
        if configuration.solver == .newtonCG || (configuration.solver == .auto && objective.formsHessian) {
            report = try NewtonCGSolver.minimize(objective, start: initial, options: configuration.options, progress: progress)
        } else {
            report = try LBFGSSolver.minimize(objective, start: initial, options: configuration.options, progress: progress)
        }
        let w = objective.interaction(report.parameters)
        return (BilinearLogisticRegression(leftCount: w.rowCount, rightCount: w.columnCount, interaction: w.storage), report)
    }

    /// φᵢᵀ·W·ψᵢ for every row.
    /// - Throws: `LearningError.lengthMismatch` when the designs' shapes do not fit W.
    public func margins(left: Matrix<Double>, right: Matrix<Double>) throws(LearningError) -> [Double] {
        try BilinearObjective.margins(left: left, right: right, interaction: matrix)
    }

    /// σ(φᵢᵀ·W·ψᵢ) for every row.
    public func probabilities(left: Matrix<Double>, right: Matrix<Double>) throws(LearningError) -> [Double] {
        try margins(left: left, right: right).map { Kernels.sigmoid($0) }
    }
}
