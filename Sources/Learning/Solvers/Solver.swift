import LinearAlgebra

/// Which algorithm minimises the logistic objective.
public enum SolverKind: String, Sendable, Codable, CaseIterable {
    /// L-BFGS first, within a budget of passes worth about six Newton iterations; when it has not converged by
    /// then (an ill-conditioned problem), Newton from where L-BFGS stopped. Well-conditioned problems finish at
    /// L-BFGS's cost; hard ones cost at most about twice Newton's.
    case auto
    /// Limited-memory BFGS with a backtracking Armijo line search: O(n·d) a pass, many passes.
    case lbfgs
    /// Newton's method with a Cholesky solve of the exact Hessian: O(n·d²) a pass, few passes.
    case newton
    /// Truncated Newton: each step solves ∇²f·s = −∇f by preconditioned conjugate gradients on Hessian-vector
    /// products (`NewtonCGSolver`). The bilinear model's full form only.
    case newtonCG = "newton-cg"

    /// How many L-BFGS iterations (about one pass each) `auto` allows before switching to Newton: six Newton iterations' worth, a pass
    /// with the Hessian costing about 1 + d/20 plain passes (measured on OpenBLAS), and never fewer than 20.
    public static func lbfgsIterationBudget(featureCount: Int) -> Int {
        max(20, Int(6 * (1 + Double(featureCount) / 20)))
    }
}

/// Stopping rules shared by the solvers.
public struct SolverOptions: Sendable, Equatable, Codable {
    /// Stop when ‖∇f‖∞ falls to this value.
    public var gradientTolerance: Double
    /// Give up after this many iterations (reported as not converged).
    public var maxIterations: Int
    /// L-BFGS memory: how many correction pairs are kept.
    public var historySize: Int

    public init(gradientTolerance: Double = 1e-8, maxIterations: Int = 500, historySize: Int = 12) {
        self.gradientTolerance = gradientTolerance
        self.maxIterations = maxIterations
        self.historySize = historySize
    }

    /// Checks every option, quoting the bad value.
    public func validate() throws(LearningError) {
        guard gradientTolerance > 0, gradientTolerance.isFinite else {
            throw .invalidParameter(
                name: "gradientTolerance", value: "\(gradientTolerance)", requirement: "must be finite and > 0")
        }
        guard maxIterations >= 1 else {
            throw .invalidParameter(name: "maxIterations", value: "\(maxIterations)", requirement: "must be >= 1")
        }
        guard historySize >= 1 else {
            throw .invalidParameter(name: "historySize", value: "\(historySize)", requirement: "must be >= 1")
        }
    }
}

/// What a solver returns: the minimiser and how it got there.
public struct SolverReport: Sendable, Equatable, Codable {
    /// θ at the end: coefficients, then the intercept when there is one.
    public var parameters: [Double]
    public var solver: SolverKind
    public var iterations: Int
    public var converged: Bool
    /// f(θ) at the end.
    public var objective: Double
    /// ‖∇f(θ)‖∞ at the end.
    public var gradientNorm: Double
    /// Passes over the data: value-and-gradient evaluations, plus (Newton-CG) Hessian-vector products and Hessian
    /// formations.
    public var passes: Int
}

/// A smooth function of a parameter vector that first-order solvers (L-BFGS) can minimise.
public protocol DifferentiableObjective: AnyObject {
    /// The length of θ.
    var parameterCount: Int { get }
    /// Number of value-and-gradient passes over the data made so far.
    var passCount: Int { get }
    /// f(θ), writing ∇f(θ) into `gradient` (length `parameterCount`).
    func value(at parameters: [Double], gradient: inout [Double]) -> Double
}

/// A twice-differentiable objective that truncated-Newton solvers can minimise. Its second-order methods all act at
/// θ of the last `value(at:gradient:)` call (the curvature is kept from that pass, as liblinear's `grad` keeps `D`).
public protocol HessianVectorObjective: DifferentiableObjective {
    /// Number of passes over the data made by `hessianProduct` and `formHessian` so far.
    var hessianPassCount: Int { get }
    /// Whether `formHessian` is available (the dense Hessian fits in memory and is cheap enough to form).
    var formsHessian: Bool { get }
    /// Writes ∇²f(θ)·v into `product` (length `parameterCount`), θ from the last `value(at:gradient:)` call.
    func hessianProduct(_ vector: [Double], into product: inout [Double])
    /// Writes ∇²f(θ), or an estimate of it good enough to precondition with (`BilinearObjective` may sum a sample
    /// of its rows), into `hessian` (`parameterCount` square); only its upper triangle need be filled.
    func formHessian(into hessian: inout Matrix<Double>)
}

/// Called after each iteration with (iteration, objective, ‖∇f‖∞); for progress displays.
public typealias SolverProgress = (Int, Double, Double) -> Void

func infinityNorm(_ values: [Double]) -> Double {
    var worst = 0.0
    for v in values { worst = max(worst, abs(v)) }
    return worst
}

/// Armijo's sufficient-decrease constant.
let armijo = 1e-4

/// Whether a trial step is acceptable: Armijo's sufficient decrease, or, once f can no longer resolve the decrease
/// in double precision, Hager and Zhang's approximate Wolfe test on the directional derivative
/// (f(t) ≤ f(0) + ε·|f(0)| and ∇f(t)·d ≤ (2δ − 1)·∇f(0)·d, with δ = Armijo's constant).
func acceptsStep(value: Double, slope: Double, step t: Double, trialValue: Double, trialSlope: Double) -> Bool {
    guard trialValue.isFinite else { return false }
    if trialValue <= value + armijo * t * slope { return true }
    let resolution = 1e-12 * abs(value)
    return trialValue <= value + resolution && trialSlope <= (2 * armijo - 1) * slope && trialSlope >= slope
}

/// Backtracking along `direction` from θ (value f(θ), slope ∇f(θ)·d < 0): t = 1, halved up to 60 times, until
/// `acceptsStep`. `evaluate` computes f at a point and writes its gradient. On success `trial` and `trialGradient`
/// hold θ + t·d and its gradient, and f there is returned; nil when no step was accepted.
func backtrack(
    from theta: [Double], value: Double, direction: [Double], slope: Double, trial: inout [Double],
    trialGradient: inout [Double], evaluate: ([Double], inout [Double]) -> Double
) -> Double? {
    var t = 1.0
    for _ in 0..<60 {
        for j in theta.indices { trial[j] = theta[j] + t * direction[j] }
        let trialValue = evaluate(trial, &trialGradient)
        if acceptsStep(
            value: value, slope: slope, step: t, trialValue: trialValue,
            trialSlope: directionalDerivative(trialGradient, direction))
        {
            return trialValue
        }
        t *= 0.5
    }
    return nil
}

func directionalDerivative(_ gradient: [Double], _ direction: [Double]) -> Double {
    var total = 0.0
    for j in gradient.indices { total += gradient[j] * direction[j] }
    return total
}

/// The common start of every solver: validated options, θ₀ (zeros when nil) and its value and gradient, from
/// `evaluate` (f at a point, its gradient written).
/// - Throws: `LearningError.nonFiniteObjective` when the data makes f non-finite at θ₀.
func startingPoint(
    _ start: [Double]?, parameterCount p: Int, _ options: SolverOptions, evaluate: ([Double], inout [Double]) -> Double
) throws(LearningError) -> (theta: [Double], value: Double, gradient: [Double]) {
    try options.validate()
    let theta = start ?? [Double](repeating: 0, count: p)
    var gradient = [Double](repeating: 0, count: p)
    let value = evaluate(theta, &gradient)
    guard value.isFinite, gradient.allSatisfy(\.isFinite) else { throw .nonFiniteObjective(iteration: 0) }
    return (theta, value, gradient)
}
