import LinearAlgebra

/// A small logistic regression with a known offset per row and independent Gaussian priors on the coefficients: the
/// posterior mode of
///
///     −½ Σⱼ πⱼ·(βⱼ − μⱼ)² + Σᵢ [yᵢ·log σ(oᵢ + xᵢᵀβ) + (1 − yᵢ)·log(1 − σ(oᵢ + xᵢᵀβ))]
///
/// (πⱼ = 0: a flat prior), by Newton's method on the exact Hessian with step halving, from β = μ; and its Laplace
/// covariance, the inverse of the negative Hessian at the mode. For a handful of coefficients and sparse rows (each
/// row names its few non-zero columns); the Hessian is dense and factored by Cholesky each step.
public enum OffsetLogisticFit {
    /// One observation: its offset oᵢ, its non-zero entries of xᵢ, and whether it was a success.
    public struct Row: Sendable {
        public var offset: Double
        public var entries: [(column: Int, value: Double)]
        public var won: Bool

        public init(offset: Double, entries: [(column: Int, value: Double)], won: Bool) {
            self.offset = offset
            self.entries = entries
            self.won = won
        }
    }

    /// The mode and its covariance (nil when the Hessian at the mode is not positive definite, e.g. a coefficient
    /// with a flat prior and no information).
    public struct Result: Sendable {
        public var coefficients: [Double]
        public var covariance: Matrix<Double>?
    }

    /// Stops when a step moves no coefficient by more than `tolerance`, when no halving (at most 40) of a step fails
    /// to lower the objective, when the Hessian cannot be factored, or after `maximumIterations`.
    /// - Complexity: O(Σ entries² + p³) per iteration for p coefficients.
    public static func fit(
        rows: [Row], priorMeans: [Double], priorPrecisions: [Double], tolerance: Double = 1e-12,
        maximumIterations: Int = 100
    ) -> Result {
        let p = priorMeans.count
        precondition(priorPrecisions.count == p, "one prior precision per coefficient")
        func margin(_ row: Row, _ beta: [Double]) -> Double {
            row.entries.reduce(row.offset) { $0 + $1.value * beta[$1.column] }
        }
        func objective(_ beta: [Double]) -> Double {
            var total = 0.0
            for j in 0..<p { total -= 0.5 * priorPrecisions[j] * (beta[j] - priorMeans[j]) * (beta[j] - priorMeans[j]) }
            for row in rows {
                let z = margin(row, beta)
                total -= row.won ? Kernels.log1pexp(-z) : Kernels.log1pexp(z)
            }
            return total
        }
        /// The gradient of the log posterior and the Hessian of its negative.
        func derivatives(_ beta: [Double]) -> (gradient: [Double], hessian: Matrix<Double>) {
            var gradient = [Double](repeating: 0, count: p)
            var hessian = Matrix<Double>(rowCount: p, columnCount: p)
            for j in 0..<p {
                gradient[j] -= priorPrecisions[j] * (beta[j] - priorMeans[j])
                hessian[j, j] += priorPrecisions[j]
            }
            for row in rows {
                let s = Kernels.sigmoid(margin(row, beta))
                let r = (row.won ? 1 : 0) - s, w = s * (1 - s)
                for a in row.entries {
                    gradient[a.column] += r * a.value
                    for b in row.entries { hessian[a.column, b.column] += w * a.value * b.value }
                }
            }
            return (gradient, hessian)
        }
        var beta = priorMeans
        var value = objective(beta)
        for _ in 0..<maximumIterations {
            let (gradient, hessian) = derivatives(beta)
            guard let step = try? CholeskyFactor(factoring: hessian).solving(gradient) else { break }
            var scale = 1.0, accepted = false
            for _ in 0..<40 {
                let next = zip(beta, step).map { $0 + scale * $1 }
                let nextValue = objective(next)
                if nextValue >= value {
                    (beta, value, accepted) = (next, nextValue, true)
                    break
                }
                scale /= 2
            }
            if !accepted || (step.map(abs).max() ?? 0) * scale < tolerance { break }
        }
        let covariance = try? CholeskyFactor(factoring: derivatives(beta).hessian).solving(Matrix<Double>.identity(p))
        return Result(coefficients: beta, covariance: covariance)
    }
}
