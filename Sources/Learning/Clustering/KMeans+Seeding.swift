import LinearAlgebra

extension KMeans {
    /// Greedy k-means++ seeds (k×d): the first centre is a point drawn uniformly; each next one is the best of
    /// 2 + ⌊ln k⌋ points drawn with probability proportional to D(x)², the squared distance to the nearest centre so
    /// far, where best means the lowest resulting Σ D². When every D is 0 (fewer distinct points than centres), the
    /// draw is uniform. Distances are `Clustering`'s fixed-order ones, so the seeds do not depend on the CPU.
    /// - Precondition: 1 ≤ clusterCount ≤ points.rowCount.
    /// - Complexity: O(k · (2 + ln k) · n·d).
    static func plusPlusSeeds(
        _ points: Matrix<Double>, clusterCount: Int, rng: inout SeededGenerator
    ) -> Matrix<Double> {
        let n = points.rowCount, d = points.columnCount
        precondition(clusterCount >= 1 && clusterCount <= n, "1 ≤ k ≤ n")
        var seeds = Matrix<Double>(rowCount: clusterCount, columnCount: d)
        func uniformIndex() -> Int { min(n - 1, Int(rng.nextUniform() * Double(n))) }
        let first = uniformIndex()
        for j in 0..<d { seeds[0, j] = points[first, j] }
        var closest = [Double](repeating: 0, count: n)
        var firstDistances = Matrix<Double>(rowCount: n, columnCount: 1)
        Clustering.squaredDistances(
            points, rows: 0..<n, points.gatheringRows([first]), into: &firstDistances)
        for i in 0..<n { closest[i] = i == first ? 0 : firstDistances.storage[i] }

        let trials = 2 + Int(Kernels.logarithm(Double(clusterCount)))
        var distances = Matrix<Double>(rowCount: n, columnCount: trials)
        var cumulative = [Double](repeating: 0, count: n)
        for centre in 1..<clusterCount {
            var running = 0.0
            for i in 0..<n {
                running += closest[i]
                cumulative[i] = running
            }
            let candidates = (0..<trials).map { _ -> Int in
                guard running > 0 else { return uniformIndex() }
                let target = rng.nextUniform() * running
                // The first index whose cumulative sum exceeds the target: a point with D = 0 is never drawn.
                var low = 0, high = n - 1
                while low < high {
                    let middle = (low + high) / 2
                    if cumulative[middle] > target { high = middle } else { low = middle + 1 }
                }
                return low
            }
            Clustering.squaredDistances(
                points, rows: 0..<n, points.gatheringRows(candidates), into: &distances)
            var bestTrial = 0, bestPotential = Double.infinity
            for t in 0..<trials {
                var sum = 0.0
                for i in 0..<n { sum += min(closest[i], i == candidates[t] ? 0 : distances[i, t]) }
                if sum < bestPotential {
                    bestPotential = sum
                    bestTrial = t
                }
            }
            let chosen = candidates[bestTrial]
            for i in 0..<n { closest[i] = min(closest[i], i == chosen ? 0 : distances[i, bestTrial]) }
            for j in 0..<d { seeds[centre, j] = points[chosen, j] }
        }
        return seeds
    }
}
