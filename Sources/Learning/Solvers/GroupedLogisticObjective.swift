import LinearAlgebra

/// Logistic regression with group-specific coefficients shrunk toward shared ones (partial pooling):
///
///     zᵢ = xᵢ·(β + δ_g(i)) + b + c_g(i)
///     f(θ) = (1/n)·Σᵢ log(1 + exp(−ỹᵢ·zᵢ)) + (λ/2)·‖β‖² + (τ/2)·Σ_g (‖δ_g‖² + c_g²)
///
/// with ỹᵢ ∈ {−1, +1}, the shared intercept b unpenalised, λ the shared coefficients' L2 strength and τ the
/// shrinkage of every group's deviations toward the shared model. τ → ∞ gives the pooled model (one coefficient
/// vector for all groups); τ = 0 leaves each group's coefficients free (β is then driven to 0 and each group
/// is fitted on its own rows, unpenalised). θ = `[β₀, …, β_{d−1}, b, δ₀₀, …, δ₀_{d−1}, c₀, δ₁₀, …]`: the
/// shared block, then one block of d + 1 per group.
///
/// Each pass is a plain loop over rows in a fixed order (written figures must not depend on BLAS kernels); the
/// data are small (one row per partner).
public final class GroupedLogisticObjective: DifferentiableObjective, @unchecked Sendable {
    public let sampleCount: Int
    public let featureCount: Int
    public let groupCount: Int
    public let l2Strength: Double
    public let shrinkage: Double
    public var parameterCount: Int { (groupCount + 1) * (featureCount + 1) }
    public private(set) var passCount = 0

    let design: Matrix<Double>
    let targets: [Double]
    let groups: [Int]

    /// Makes the objective over `design` (n×d), binary `labels` and each row's group in 0..<`groupCount`.
    /// τ = ∞ holds every group block at zero (its gradient is zero, so a solver started at zero keeps it there):
    /// the pooled model.
    /// - Throws: `LearningError` for mismatched lengths, a group out of range, λ < 0 or τ < 0.
    public init(
        design: Matrix<Double>, labels: [Bool], groups: [Int], groupCount: Int, l2Strength: Double, shrinkage: Double
    ) throws(LearningError) {
        guard labels.count == design.rowCount else {
            throw .lengthMismatch(what: "labels", expected: design.rowCount, got: labels.count)
        }
        guard groups.count == design.rowCount else {
            throw .lengthMismatch(what: "groups", expected: design.rowCount, got: groups.count)
        }
        guard design.rowCount > 0 else { throw .emptyData }
        guard groupCount >= 1 else {
            throw .invalidParameter(name: "groupCount", value: "\(groupCount)", requirement: "must be >= 1")
        }
        if let bad = groups.first(where: { $0 < 0 || $0 >= groupCount }) {
            throw .invalidParameter(name: "groups", value: "\(bad)", requirement: "must lie in 0..<\(groupCount)")
        }
        guard l2Strength >= 0, l2Strength.isFinite else {
            throw .invalidParameter(name: "l2Strength", value: "\(l2Strength)", requirement: "must be finite and >= 0")
        }
        guard shrinkage >= 0, !shrinkage.isNaN else {
            throw .invalidParameter(name: "shrinkage", value: "\(shrinkage)", requirement: "must be >= 0")
        }
        self.design = design
        self.sampleCount = design.rowCount
        self.featureCount = design.columnCount
        self.groupCount = groupCount
        self.groups = groups
        self.targets = labels.map { $0 ? 1 : 0 }
        self.l2Strength = l2Strength
        self.shrinkage = shrinkage
    }

    /// zᵢ for every row at θ.
    public func margins(at parameters: [Double]) -> [Double] {
        let d = featureCount
        return (0..<sampleCount).map { i in
            let block = (groups[i] + 1) * (d + 1)
            var z = parameters[d] + parameters[block + d]
            for k in 0..<d { z += design[i, k] * (parameters[k] + parameters[block + k]) }
            return z
        }
    }

    public func value(at parameters: [Double], gradient: inout [Double]) -> Double {
        passCount += 1
        let d = featureCount, n = Double(sampleCount)
        for j in gradient.indices { gradient[j] = 0 }
        var loss = 0.0
        let z = margins(at: parameters)
        for i in 0..<sampleCount {
            loss += Kernels.log1pexp(z[i]) - targets[i] * z[i]
            let r = (Kernels.sigmoid(z[i]) - targets[i]) / n
            let block = (groups[i] + 1) * (d + 1)
            for k in 0..<d {
                let g = r * design[i, k]
                gradient[k] += g
                gradient[block + k] += g
            }
            gradient[d] += r
            gradient[block + d] += r
        }
        var penalty = 0.0
        for k in 0..<d {
            penalty += 0.5 * l2Strength * parameters[k] * parameters[k]
            gradient[k] += l2Strength * parameters[k]
        }
        for j in (d + 1)..<parameterCount {
            if shrinkage.isInfinite {
                gradient[j] = 0
            } else {
                penalty += 0.5 * shrinkage * parameters[j] * parameters[j]
                gradient[j] += shrinkage * parameters[j]
            }
        }
        return loss / n + penalty
    }

    /// ∇²f(θ): (1/n)·Σᵢ σᵢ(1 − σᵢ)·aᵢaᵢᵀ plus the penalty's diagonal, where aᵢ is row i expanded to θ's layout
    /// (with τ = ∞, the group blocks' rows and columns are those of the identity: they are fixed).
    /// - Complexity: O(n·d²).
    public func hessian(at parameters: [Double]) -> Matrix<Double> {
        let d = featureCount, p = parameterCount, n = Double(sampleCount)
        var h = Matrix<Double>(rowCount: p, columnCount: p)
        let z = margins(at: parameters)
        var indices = [Int](repeating: 0, count: 2 * (d + 1))
        var values = [Double](repeating: 0, count: 2 * (d + 1))
        for i in 0..<sampleCount {
            let s = Kernels.sigmoid(z[i])
            let w = s * (1 - s) / n
            let block = (groups[i] + 1) * (d + 1)
            for k in 0...d {
                let x = k < d ? design[i, k] : 1
                indices[k] = k
                values[k] = x
                indices[d + 1 + k] = block + k
                values[d + 1 + k] = x
            }
            for a in indices.indices {
                for b in indices.indices { h[indices[a], indices[b]] += w * values[a] * values[b] }
            }
        }
        for k in 0..<d { h[k, k] += l2Strength }
        for j in (d + 1)..<p {
            if shrinkage.isInfinite {
                for k in 0..<p {
                    h[j, k] = 0
                    h[k, j] = 0
                }
                h[j, j] = 1
            } else {
                h[j, j] += shrinkage
            }
        }
        return h
    }
}
