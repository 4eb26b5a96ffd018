/// A clamped B-spline basis of one variable: `count` piecewise polynomials of `degree` on a knot vector whose first and
/// last knots are repeated `degree + 1` times. At every x in [lower, upper] the basis functions are ≥ 0 and sum to 1;
/// outside that range x is clamped to it, so a spline extends as a constant (a safe guess for scores out of range).
///
/// Evaluation is the triangular Cox–de Boor scheme (Piegl and Tiller, *The NURBS Book*, algorithm A2.2): the
/// `degree + 1` functions that are non-zero at x, in O(degree²).
public struct BSplineBasis: Sendable, Codable, Equatable {
    /// The full knot vector, non-decreasing, with `degree + 1` copies of each end.
    public var knots: [Double]
    public var degree: Int

    /// The number of basis functions: knots − degree − 1.
    public var count: Int { knots.count - degree - 1 }
    public var lower: Double { knots[degree] }
    public var upper: Double { knots[knots.count - degree - 1] }

    /// The basis with the given interior knots on [lower, upper].
    /// - Precondition: lower < upper, interior knots strictly inside and increasing, degree ≥ 0.
    public init(lower: Double, upper: Double, interior: [Double], degree: Int) {
        precondition(degree >= 0 && lower < upper)
        knots =
            [Double](repeating: lower, count: degree + 1) + interior
            + [Double](repeating: upper, count: degree + 1)
        self.degree = degree
    }

    /// A basis with interior knots at the quantiles of `values` (distinct ones only, so a column of few values gets
    /// few knots); nil when the values hold fewer than two distinct numbers.
    /// - Complexity: O(n log n).
    public static func quantiles(of values: [Double], interiorCount: Int, degree: Int) -> BSplineBasis? {
        let sorted = values.sorted()
        guard let lower = sorted.first, let upper = sorted.last, lower < upper else { return nil }
        var interior: [Double] = []
        if interiorCount > 0 {
            for k in 1...interiorCount {
                let position = Double(k) / Double(interiorCount + 1) * Double(sorted.count - 1)
                let value = sorted[Int(position.rounded(.down))]
                if value > lower && value < upper && value > (interior.last ?? lower) { interior.append(value) }
            }
        }
        return BSplineBasis(lower: lower, upper: upper, interior: interior, degree: degree)
    }

    /// The knot span index s with knots[s] ≤ x < knots[s+1] (the last non-empty span at the upper end).
    func span(_ x: Double) -> Int {
        let last = count - 1
        if x >= knots[last + 1] { return last }
        var low = degree, high = last + 1
        while high - low > 1 {
            let middle = (low + high) / 2
            if x < knots[middle] { high = middle } else { low = middle }
        }
        return low
    }

    /// Writes the non-zero basis values at x (clamped to [lower, upper]) and returns the index of the first one:
    /// B_{first+j}(x) = values[j] for j in 0...degree. `values` must hold at least degree + 1 entries; `left` and
    /// `right` are scratch of the same length.
    func nonZero(at x: Double, values: inout [Double], left: inout [Double], right: inout [Double]) -> Int {
        let x = min(max(x, lower), upper)
        let s = span(x)
        values[0] = 1
        if degree > 0 {
            for j in 1...degree {
                left[j] = x - knots[s + 1 - j]
                right[j] = knots[s + j] - x
                var saved = 0.0
                for r in 0..<j {
                    let denominator = right[r + 1] + left[j - r]
                    let term = denominator > 0 ? values[r] / denominator : 0
                    values[r] = saved + right[r + 1] * term
                    saved = left[j - r] * term
                }
                values[j] = saved
            }
        }
        return s - degree
    }

    /// Every basis value at x (length `count`).
    public func values(at x: Double) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        var local = [Double](repeating: 0, count: degree + 1), left = local, right = local
        let first = nonZero(at: x, values: &local, left: &left, right: &right)
        for j in 0...degree { out[first + j] = local[j] }
        return out
    }

    /// Writes the basis at each of `xs` into consecutive rows of `storage` (row stride `stride`, starting at column
    /// `offset`); the other columns are left as they are (zeros in a fresh design).
    func write(_ xs: [Double], into storage: inout [Double], stride: Int, offset: Int) {
        var local = [Double](repeating: 0, count: degree + 1), left = local, right = local
        for (row, x) in xs.enumerated() {
            let first = nonZero(at: x, values: &local, left: &left, right: &right)
            for j in 0...degree { storage[row * stride + offset + first + j] = local[j] }
        }
    }
}

/// A quadratic penalty on one block of coefficients β (a `width`-long slice of w starting at `offset`):
///
///     (strength/2)·‖Δᵒβ‖²
///
/// with Δᵒ the order-o difference operator (Δ¹β_k = β_{k+1} − β_k; order 0 is a ridge on the block). With a B-spline
/// basis and order 2 this is Eilers and Marx's P-spline penalty: it pulls the shape function towards a straight line.
public struct DifferencePenalty: Sendable, Codable, Equatable {
    public var offset: Int
    public var width: Int
    public var order: Int
    public var strength: Double

    public init(offset: Int, width: Int, order: Int, strength: Double) {
        self.offset = offset
        self.width = width
        self.order = order
        self.strength = strength
    }

    /// The rows of Δᵒ (each a list of (column within the block, weight)): binomial coefficients with signs.
    var rows: [[(Int, Double)]] {
        guard width > order else { return [] }
        var weights: [Double] = [1]
        for _ in 0..<order {
            var next = [Double](repeating: 0, count: weights.count + 1)
            for (k, w) in weights.enumerated() {
                next[k] -= w
                next[k + 1] += w
            }
            weights = next
        }
        return (0..<(width - order)).map { start in weights.enumerated().map { (start + $0.offset, $0.element) } }
    }

    /// Adds (strength/2)·‖Δβ‖² to the returned value, strength·ΔᵀΔβ to `gradient` and strength·ΔᵀΔ to `hessian`
    /// (row-major, `stride` columns) when given.
    func apply(
        _ coefficients: [Double], gradient: UnsafeMutablePointer<[Double]>?, hessian: UnsafeMutablePointer<[Double]>?,
        stride: Int
    ) -> Double {
        var value = 0.0
        for row in rows {
            var difference = 0.0
            for (k, w) in row { difference += w * coefficients[offset + k] }
            value += 0.5 * strength * difference * difference
            if let gradient { for (k, w) in row { gradient.pointee[offset + k] += strength * w * difference } }
            if let hessian {
                for (a, wa) in row {
                    for (b, wb) in row { hessian.pointee[(offset + a) * stride + offset + b] += strength * wa * wb }
                }
            }
        }
        return value
    }

    /// Checks the block fits `featureCount` coefficients and the numbers are sane, quoting the bad value.
    func validate(featureCount: Int) throws(LearningError) {
        guard offset >= 0, width >= 0, offset + width <= featureCount else {
            throw .invalidParameter(
                name: "penalty block", value: "\(offset)..<\(offset + width)",
                requirement: "must lie within the \(featureCount) coefficients")
        }
        guard order >= 0 else {
            throw .invalidParameter(name: "penalty order", value: "\(order)", requirement: "must be >= 0")
        }
        guard strength.isFinite, strength >= 0 else {
            throw .invalidParameter(name: "penalty strength", value: "\(strength)", requirement: "must be finite and >= 0")
        }
    }
}
