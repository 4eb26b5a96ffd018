import LinearAlgebra

/// A discrete-time event process: in period t = 1, 2, … the event happens with probability hₜ if it has not
/// happened before. The first `hazards.count` periods have their own hazards; every later period has `tailHazard`.
///
/// Survival Sₜ = Πᵤ₌₁ᵗ (1 − hᵤ) (S₀ = 1); P(T = t) = hₜ·Sₜ₋₁.
public struct DiscreteTimeHazard: Sendable, Equatable {
    /// h₁ … h_K, each in [0, 1].
    public var hazards: [Double]
    /// The hazard of every period after the K-th, in [0, 1].
    public var tailHazard: Double

    public init(hazards: [Double], tailHazard: Double) {
        self.hazards = hazards
        self.tailHazard = tailHazard
    }

    /// The hazard of period `t` (1-based).
    public func hazard(_ t: Int) -> Double { t <= hazards.count ? hazards[t - 1] : tailHazard }

    /// S₀ … S_n.
    public func survival(through n: Int) -> [Double] {
        var s = [Double](repeating: 1, count: n + 1)
        for t in stride(from: 1, through: n, by: 1) { s[t] = s[t - 1] * (1 - hazard(t)) }
        return s
    }

    /// E[T] = Σₜ₌₀^∞ P(T > t) = Σₜ₌₀^{K−1} Sₜ + S_K / h_tail (the tail is geometric); ∞ when the tail hazard is 0
    /// and the event can still not have happened by K.
    /// - Complexity: O(K).
    public var expectedTime: Double {
        let k = hazards.count
        let s = survival(through: k)
        var total = 0.0
        for t in 0..<k { total += s[t] }
        if s[k] == 0 { return total }
        return tailHazard > 0 ? total + s[k] / tailHazard : .infinity
    }

    /// P(T ≤ n) = 1 − S_n.
    public func eventProbability(within n: Int) -> Double { 1 - survival(through: n)[n] }

    /// The expected reward over periods 1 … `periods` when the event pays `atEvent` in its period and
    /// `perPeriodAfter` in every later period: Σₜ₌₁ⁿ P(T = t)·(atEvent + (n − t)·perPeriodAfter).
    public func expectedReward(periods n: Int, atEvent: Double, perPeriodAfter: Double) -> Double {
        let s = survival(through: n)
        var total = 0.0
        for t in stride(from: 1, through: n, by: 1) {
            total += hazard(t) * s[t - 1] * (atEvent + Double(n - t) * perPeriodAfter)
        }
        return total
    }

    /// Hazards from logits: hₜ = σ(zₜ).
    public init(logits: [Double], tailLogit: Double) {
        self.init(hazards: logits.map(Kernels.sigmoid), tailHazard: Kernels.sigmoid(tailLogit))
    }
}

/// Exhaustive search over ordered selections: every sequence of `length` distinct items out of `itemCount`
/// (itemCount!/(itemCount − length)! of them), the one with the lowest cost. Ties keep the sequence that comes first
/// in lexicographic order of item indices, so the answer does not depend on anything but the costs.
public enum OrderedSelection {
    /// The number of sequences `best` visits; nil when it exceeds `Int.max`.
    public static func count(itemCount: Int, length: Int) -> Int? {
        guard length <= itemCount else { return 0 }
        var total = 1
        for k in 0..<length {
            let (product, overflow) = total.multipliedReportingOverflow(by: itemCount - k)
            if overflow { return nil }
            total = product
        }
        return total
    }

    /// The sequence of `min(length, itemCount)` distinct items with the lowest `cost`, and that cost.
    /// - Complexity: count(itemCount, length) calls of `cost`.
    public static func best(itemCount: Int, length: Int, cost: ([Int]) -> Double) -> (sequence: [Int], cost: Double) {
        let length = max(0, min(length, itemCount))
        var used = [Bool](repeating: false, count: itemCount)
        var current: [Int] = []
        var best: [Int] = []
        var bestCost = Double.infinity
        func visit() {
            if current.count == length {
                let c = cost(current)
                if c < bestCost || best.isEmpty { (best, bestCost) = (current, c) }
                return
            }
            for item in 0..<itemCount where !used[item] {
                used[item] = true
                current.append(item)
                visit()
                current.removeLast()
                used[item] = false
            }
        }
        visit()
        return (best, bestCost)
    }
}
