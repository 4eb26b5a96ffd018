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
}
