import LinearAlgebra

/// The one seeded generator tests draw from (re-exported so test files need only `import TestSupport`).
public typealias RepeatableRandomNumberGenerator = SeededGenerator

extension SeededGenerator {
    /// A uniform double in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * nextUniform()
    }
}

/// A matrix of uniform entries in [-1, 1).
public func randomMatrix<S: BLASScalar>(
    _ rows: Int, _ columns: Int, _: S.Type = Double.self, using rng: inout SeededGenerator
) -> Matrix<S> {
    var m = Matrix<S>(rowCount: rows, columnCount: columns)
    for i in m.storage.indices { m.storage[i] = S(rng.uniform(-1, 1)) }
    return m
}

/// A vector of uniform entries in [-1, 1).
public func randomVector<S: BLASScalar>(_ count: Int, _: S.Type = Double.self, using rng: inout SeededGenerator) -> [S] {
    (0..<count).map { _ in S(rng.uniform(-1, 1)) }
}

/// The largest absolute elementwise difference (infinity when the lengths differ).
public func maxAbsDifference<S: BLASScalar>(_ a: [S], _ b: [S]) -> Double {
    guard a.count == b.count else { return .infinity }
    var worst = 0.0
    for i in a.indices { worst = max(worst, abs(Double(a[i]) - Double(b[i]))) }
    return worst
}

/// True when |a − b| ≤ absolute + relative·max(|a|, |b|).
public func isClose(_ a: Double, _ b: Double, absolute: Double = 1e-12, relative: Double = 1e-9) -> Bool {
    abs(a - b) <= absolute + relative * max(abs(a), abs(b))
}

/// The gradient of `f` at `x` by central differences of step `h`.
public func finiteDifferenceGradient(_ f: ([Double]) -> Double, at x: [Double], step h: Double) -> [Double] {
    x.indices.map { k in
        var up = x, down = x
        up[k] += h
        down[k] -= h
        return (f(up) - f(down)) / (2 * h)
    }
}

/// The Hessian of `f` at `x` by central differences of step `h` (four evaluations an entry).
public func finiteDifferenceHessian(_ f: ([Double]) -> Double, at x: [Double], step h: Double) -> [[Double]] {
    x.indices.map { i in
        x.indices.map { j in
            var pp = x, pm = x, mp = x, mm = x
            pp[i] += h
            pp[j] += h
            pm[i] += h
            pm[j] -= h
            mp[i] -= h
            mp[j] += h
            mm[i] -= h
            mm[j] -= h
            return (f(pp) - f(pm) - f(mp) + f(mm)) / (4 * h * h)
        }
    }
}
