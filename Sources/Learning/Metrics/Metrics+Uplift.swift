/// The Qini curve of an uplift score: units (treated or not, each with an outcome) ranked by the score, highest first
/// (ties by index), and after the first k of them
///
///     Q(k) = Σ treated outcomes − Σ control outcomes · Nₜ(k)/N_c(k)     (0 while N_c(k) = 0)
///
/// the extra outcome the treated among the top k had over what comparable control units suggest. A score that ranks
/// the units that gain most first rises fast; the random ranking is the straight line from 0 to Q(N).
public struct QiniCurve: Sendable, Equatable {
    /// Q(k) for k = 0 … N (Q(0) = 0).
    public var values: [Double]
    /// Σₖ (Q(k) − k/N·Q(N)) / N: the area between the curve and the random line, per unit.
    public var coefficient: Double

    /// - Precondition: the three arrays have the same length.
    /// - Complexity: O(N log N).
    public init(scores: [Double], treated: [Bool], outcomes: [Double]) {
        precondition(scores.count == treated.count && scores.count == outcomes.count, "QiniCurve: lengths differ")
        let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        var values = [0.0]
        var treatedSum = 0.0, controlSum = 0.0, treatedCount = 0.0, controlCount = 0.0
        for i in order {
            if treated[i] {
                treatedSum += outcomes[i]
                treatedCount += 1
            } else {
                controlSum += outcomes[i]
                controlCount += 1
            }
            values.append(controlCount > 0 ? treatedSum - controlSum * treatedCount / controlCount : treatedSum)
        }
        self.values = values
        let n = Double(order.count)
        var area = 0.0
        if n > 0 {
            for k in 1...order.count { area += values[k] - Double(k) / n * values[order.count] }
            area /= n
        }
        coefficient = area
    }
}
