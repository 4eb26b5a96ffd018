#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

import LinearAlgebra

/// Choosing among options whose values are uncertain: each option's value is a nondecreasing function Vᵢ(Zᵢ) of its
/// own standard normal Zᵢ, the Z independent, tabulated on the common grid `nodes` (z₀ < … < z_{K−1}, evenly
/// spaced). A constant table is an option with no uncertainty.
///
///     P(i is best) = ∫ φ(z) Πⱼ≠ᵢ Fⱼ(Vᵢ(z)) dz,   Fⱼ(v) = P(Vⱼ(Zⱼ) < v) = Φ(Vⱼ⁻¹(v))
///
/// by the trapezoid rule over the grid, Vⱼ⁻¹ by linear interpolation in its table (a tie with a flat stretch counts
/// half), the weights normalised to sum to 1. Every loop runs in a fixed order.
public enum ProbabilityOfBest {
    /// The default grid: 481 points from −6 to 6 (step 0.025; the normal mass beyond is 2·10⁻⁹).
    public static let nodes: [Double] = (0...480).map { -6 + Double($0) * 0.025 }

    /// Φ(z), the standard normal distribution function.
    public static func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// The standard normal quantile Φ⁻¹(p), 0 < p < 1 (Acklam's rational approximation, refined by one Halley step).
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "normalQuantile needs 0 < p < 1")
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01,
        ]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x =
                (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x =
                (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x =
                -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let e = normalCDF(x) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }

    /// The trapezoid weights of φ over `nodes`, normalised to sum to 1.
    public static func weights(_ nodes: [Double]) -> [Double] {
        var w = nodes.map { exp(-$0 * $0 / 2) }
        if w.count > 1 {
            w[0] *= 0.5
            w[w.count - 1] *= 0.5
        }
        let total = w.reduce(0, +)
        return w.map { $0 / total }
    }

    /// E[Vᵢ(Z)] for one table: Σₖ weightₖ·Vᵢ(zₖ).
    public static func expectation(_ table: [Double], nodes: [Double] = nodes) -> Double {
        let w = weights(nodes)
        var total = 0.0
        for k in table.indices { total += w[k] * table[k] }
        return total
    }

    /// P(Vⱼ(Z) < v), from its table: Φ at the interpolated z where the table reaches v (half the flat stretch at a tie).
    static func below(_ v: Double, table: [Double], nodes: [Double]) -> Double {
        let last = table.count - 1
        if v > table[last] { return 1 }
        if v < table[0] { return 0 }
        // The first index with table ≥ v and the first with table > v (binary searches: the table is sorted).
        func firstIndex(_ goesPast: (Double) -> Bool) -> Int {
            var low = 0, high = table.count
            while low < high {
                let mid = (low + high) / 2
                if goesPast(table[mid]) { high = mid } else { low = mid + 1 }
            }
            return low
        }
        let atLeast = firstIndex { $0 >= v }, above = firstIndex { $0 > v }
        if atLeast == above {
            // v lies strictly between entries atLeast − 1 and atLeast (atLeast ≥ 1 because v ≥ table[0]).
            let v0 = table[atLeast - 1], v1 = table[atLeast]
            let z = nodes[atLeast - 1] + (v - v0) / (v1 - v0) * (nodes[atLeast] - nodes[atLeast - 1])
            return normalCDF(z)
        }
        // v is attained on the flat stretch atLeast … above − 1: half of it counts as below.
        let lower = atLeast == 0 ? 0 : normalCDF(nodes[atLeast])
        let upper = above > last ? 1 : normalCDF(nodes[above - 1])
        return lower + 0.5 * (upper - lower)
    }

    /// P(option i has the highest value) for every option; the tables are each nondecreasing, all on `nodes`.
    ///
    /// A constant option i is best with probability Πⱼ Fⱼ(cᵢ). For any other, the constant options make the integrand a
    /// step: it is 0 below z*, the largest z where Vᵢ crosses a constant's value, so the integral runs from z* (the
    /// trapezoid rule over the nodes above it, the partial interval by linear interpolation of the integrand).
    /// - Precondition: every table has `nodes.count` entries.
    /// - Complexity: O(options² · K · log K).
    public static func probabilities(_ tables: [[Double]], nodes: [Double] = nodes) -> [Double] {
        let last = nodes.count - 1
        let isConstant = tables.map { $0[0] == $0[last] }
        let density = nodes.map { exp(-$0 * $0 / 2) }
        var normaliser = 0.0
        for k in 0..<last { normaliser += 0.5 * (density[k] + density[k + 1]) * (nodes[k + 1] - nodes[k]) }
        return tables.indices.map { i in
            if isConstant[i] {
                var product = 1.0
                for j in tables.indices where j != i { product *= below(tables[i][0], table: tables[j], nodes: nodes) }
                return product
            }
            let table = tables[i]
            var start = nodes[0]
            for j in tables.indices where j != i && isConstant[j] {
                let c = tables[j][0]
                if table[last] <= c { return 0 }
                if table[0] > c { continue }
                var k = 1
                while table[k] <= c { k += 1 }
                let crossing = nodes[k - 1] + (c - table[k - 1]) / (table[k] - table[k - 1]) * (nodes[k] - nodes[k - 1])
                start = max(start, crossing)
            }
            var integrand = [Double](repeating: 0, count: nodes.count)
            for k in nodes.indices where k == last || nodes[k + 1] > start {
                var product = density[k]
                for j in tables.indices where j != i && !isConstant[j] {
                    product *= below(table[k], table: tables[j], nodes: nodes)
                    if product == 0 { break }
                }
                integrand[k] = product
            }
            var total = 0.0
            for k in 0..<last where nodes[k + 1] > start {
                if nodes[k] >= start {
                    total += 0.5 * (integrand[k] + integrand[k + 1]) * (nodes[k + 1] - nodes[k])
                } else {
                    let t = (start - nodes[k]) / (nodes[k + 1] - nodes[k])
                    let atStart = integrand[k] + t * (integrand[k + 1] - integrand[k])
                    total += 0.5 * (atStart + integrand[k + 1]) * (nodes[k + 1] - start)
                }
            }
            return total / normaliser
        }
    }
}

extension ProbabilityOfBest {
    /// Vᵢ(z) by linear interpolation in its table (held at the ends beyond the grid).
    public static func interpolate(_ table: [Double], at z: Double, nodes: [Double] = nodes) -> Double {
        let last = nodes.count - 1
        if z <= nodes[0] { return table[0] }
        if z >= nodes[last] { return table[last] }
        let step = (nodes[last] - nodes[0]) / Double(last)
        let index = min(last - 1, Int((z - nodes[0]) / step))
        let t = (z - nodes[index]) / step
        return table[index] + t * (table[index + 1] - table[index])
    }

    /// Thompson sampling: one standard normal draw per option, in option order, and the option whose value at its
    /// draw is highest (ties to the lower index). Over many draws each option is chosen with its probability of being
    /// best (`probabilities`).
    public static func thompsonChoice(_ tables: [[Double]], nodes: [Double] = nodes, using rng: inout SeededGenerator)
        -> Int
    {
        thompsonChoice(tables, draws: tables.map { _ in rng.nextGaussian() }, nodes: nodes)
    }

    /// The option whose value at its given standard normal draw is highest (ties to the lower index): Thompson
    /// sampling with the draws made by the caller, e.g. one per unknown shared by several decisions.
    public static func thompsonChoice(_ tables: [[Double]], draws: [Double], nodes: [Double] = nodes) -> Int {
        var best = 0, bestValue = -Double.infinity
        for (i, table) in tables.enumerated() {
            let value = interpolate(table, at: draws[i], nodes: nodes)
            if value > bestValue { (best, bestValue) = (i, value) }
        }
        return best
    }
}
