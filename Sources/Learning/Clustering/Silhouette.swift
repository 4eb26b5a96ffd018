import LinearAlgebra

/// Silhouette values of a clustering: how much closer each point is to its own cluster than to the next nearest.
public struct Silhouette: Sendable, Equatable {
    /// s(i) of every point, in [−1, 1].
    public var values: [Double]
    /// The mean of `values` (the silhouette score).
    public var mean: Double

    public init(values: [Double]) {
        self.values = values
        mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }
}

extension Clustering {
    /// The silhouette of the clustering `assignments` of the rows of `points`, with Euclidean distances:
    ///
    ///     s(i) = (b(i) − a(i)) / max(a(i), b(i))
    ///
    /// where a(i) is the mean distance from point i to the other points of its cluster and b(i) the smallest mean
    /// distance from i to the points of another cluster; s(i) = 0 when i is alone in its cluster (scikit-learn's
    /// convention) or when a(i) = b(i) = 0. Distances are `Clustering`'s fixed-order ones, over blocks of rows so
    /// that memory stays O(block · n); the result does not depend on the block size or the CPU.
    /// - Parameter assignments: one cluster label (≥ 0) a row; labels need not be contiguous.
    /// - Throws: `LearningError.lengthMismatch` when there is not one label a row; `.invalidParameter` for a
    ///   negative label, fewer than 2 or more than n − 1 distinct labels, or a value that is not finite.
    /// - Complexity: O(n²·d) time.
    public static func silhouette(_ points: Matrix<Double>, assignments: [Int]) throws(LearningError) -> Silhouette {
        try validatePoints(points)
        let n = points.rowCount
        guard assignments.count == n else {
            throw .lengthMismatch(what: "assignments", expected: n, got: assignments.count)
        }
        if let bad = assignments.first(where: { $0 < 0 }) {
            throw .invalidParameter(name: "assignments", value: "\(bad)", requirement: "must be cluster labels >= 0")
        }
        let labelCount = assignments.max()! + 1
        var sizes = [Int](repeating: 0, count: labelCount)
        for label in assignments { sizes[label] += 1 }
        let distinct = sizes.count { $0 > 0 }
        guard distinct >= 2 && distinct <= n - 1 else {
            throw .invalidParameter(
                name: "assignments", value: "\(distinct) distinct labels for \(n) points",
                requirement: "must hold between 2 and n − 1 distinct labels")
        }
        let blockRows = max(1, min(n, (1 << 20) / n))
        var block = Matrix<Double>(rowCount: blockRows, columnCount: n)
        var values = [Double](repeating: 0, count: n)
        var sums = [Double](repeating: 0, count: labelCount)
        var start = 0
        while start < n {
            let end = min(n, start + blockRows)
            if end - start != block.rowCount { block = Matrix(rowCount: end - start, columnCount: n) }
            squaredDistances(points, rows: start..<end, points, into: &block)
            for i in start..<end {
                for c in 0..<labelCount { sums[c] = 0 }
                let offset = (i - start) * n
                for j in 0..<n where j != i { sums[assignments[j]] += block.storage[offset + j].squareRoot() }
                let own = assignments[i]
                guard sizes[own] > 1 else { continue }
                let a = sums[own] / Double(sizes[own] - 1)
                var b = Double.infinity
                for c in 0..<labelCount where c != own && sizes[c] > 0 { b = min(b, sums[c] / Double(sizes[c])) }
                let scale = max(a, b)
                values[i] = scale > 0 ? (b - a) / scale : 0
            }
            start = end
        }
        return Silhouette(values: values)
    }
}
