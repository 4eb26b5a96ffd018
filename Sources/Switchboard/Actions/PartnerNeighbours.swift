import Learning
import LinearAlgebra

/// Nearest neighbours among rows of a profile matrix (one row a partner), by Euclidean distance after
/// standardising each column.
public enum PartnerNeighbours {
    /// z = (x − mean) / sd for every column (population standard deviation; a constant column gets sd 1).
    /// - Complexity: O(rows · columns).
    public static func standardised(_ profiles: Matrix<Double>) -> Matrix<Double> {
        let n = profiles.rowCount, d = profiles.columnCount
        guard n > 0 else { return profiles }
        var z = profiles
        for j in 0..<d {
            var mean = 0.0
            for i in 0..<n { mean += profiles.storage[i * d + j] }
            mean /= Double(n)
            var variance = 0.0
            for i in 0..<n {
                let deviation = profiles.storage[i * d + j] - mean
                variance += deviation * deviation
            }
            let sd = (variance / Double(n)).squareRoot()
            let scale = sd > 1e-12 * max(1, abs(mean)) ? sd : 1
            for i in 0..<n { z.storage[i * d + j] = (profiles.storage[i * d + j] - mean) / scale }
        }
        return z
    }

    /// For each row i of `points`, the `count` nearest other rows, nearest first (ties by lower index), and their
    /// squared distances ‖zᵢ − zⱼ‖², each from `Clustering.squaredDistance`'s fixed-order sum, so neighbours and
    /// distances are the same on every CPU (recommend's evidence cites them).
    /// - Complexity: O(rows² · columns) for the distances, O(rows² · count) at worst for the selection.
    public static func nearest(_ points: Matrix<Double>, count: Int) -> [[(index: Int, squaredDistance: Double)]] {
        let n = points.rowCount, d = points.columnCount
        let k = min(max(count, 0), max(n - 1, 0))
        guard n > 0 else { return [] }
        return points.storage.withUnsafeBufferPointer { buffer in
            (0..<n).map { i in
                var best: [(index: Int, squaredDistance: Double)] = []
                best.reserveCapacity(k + 1)
                for j in 0..<n where j != i {
                    let distance =
                        if let z = buffer.baseAddress {
                            Clustering.squaredDistance(z + i * d, z + j * d, count: d)
                        } else { 0.0 }
                    if best.count == k, let last = best.last, !(distance < last.squaredDistance) { continue }
                    // Insert after every entry at the same or a smaller distance, so earlier indices win ties.
                    var position = best.count
                    while position > 0 && best[position - 1].squaredDistance > distance { position -= 1 }
                    best.insert((j, distance), at: position)
                    if best.count > k { best.removeLast() }
                }
                return best
            }
        }
    }
}
