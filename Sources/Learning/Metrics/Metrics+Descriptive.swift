extension Metrics {
    /// The Gini coefficient of non-negative amounts (leads per partner, revenue per segment):
    /// Σᵢ Σⱼ |xᵢ − xⱼ| / (2·n²·mean). 0 when all are equal, all are zero or there are none; (n − 1)/n when one holds
    /// everything.
    /// - Complexity: O(n log n), by the sorted form Σᵢ (2i − n − 1)·x₍ᵢ₎ / (n·Σx) with i from 1.
    public static func gini(_ amounts: [Double]) -> Double {
        let sorted = amounts.sorted(), n = Double(sorted.count), total = sorted.reduce(0, +)
        guard n > 0, total > 0 else { return 0 }
        var weighted = 0.0
        for (i, x) in sorted.enumerated() { weighted += (2 * Double(i + 1) - n - 1) * x }
        return max(0, weighted / (n * total))
    }

    /// Pearson's correlation of paired values: Σ(x − x̄)(y − ȳ) / √(Σ(x − x̄)²·Σ(y − ȳ)²); 0 when the counts differ,
    /// there are fewer than two pairs, or either side is constant.
    public static func pearsonCorrelation(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        guard x.count == y.count, x.count > 1 else { return 0 }
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices {
            sxy += (x[i] - mx) * (y[i] - my)
            sxx += (x[i] - mx) * (x[i] - mx)
            syy += (y[i] - my) * (y[i] - my)
        }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
    }
}
