import LinearAlgebra

/// Distances between the rows of point matrices, and the checks every clustering routine shares.
///
/// Every distance is computed pair by pair in one fixed order (`squaredDistance(_:_:count:)`), never through BLAS,
/// so that cluster assignments, inertias and silhouettes are the same Doubles on every CPU, for every block size and
/// BLAS thread count: `switchboard segment` writes them.
public enum Clustering {
    /// dᵢⱼ = ‖xᵢ − cⱼ‖² for every row xᵢ of `points` (n×d) and row cⱼ of `centres` (k×d).
    /// - Returns: an n×k matrix.
    /// - Throws: `LearningError.lengthMismatch` when the two matrices have different column counts.
    /// - Complexity: O(n·k·d).
    public static func squaredDistances(_ points: Matrix<Double>, _ centres: Matrix<Double>) throws(LearningError)
        -> Matrix<Double>
    {
        guard points.columnCount == centres.columnCount else {
            throw .lengthMismatch(what: "columns of the centres", expected: points.columnCount, got: centres.columnCount)
        }
        var result = Matrix<Double>(rowCount: points.rowCount, columnCount: centres.rowCount)
        squaredDistances(points, rows: 0..<points.rowCount, centres, into: &result)
        return result
    }

    /// ‖a − b‖² of two vectors of length `count`, in a fixed order: four running sums over the entries with the same
    /// index modulo 4, added as (s₀ + s₁) + (s₂ + s₃), then the remaining entries in ascending order. Plain Swift
    /// arithmetic (no reassociation, no fused multiply-add), so the result is the same Double on every CPU.
    /// - Complexity: O(count).
    @inlinable
    public static func squaredDistance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, count: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var j = 0
        while j + 4 <= count {
            let e0 = a[j] - b[j], e1 = a[j + 1] - b[j + 1], e2 = a[j + 2] - b[j + 2], e3 = a[j + 3] - b[j + 3]
            s0 += e0 * e0
            s1 += e1 * e1
            s2 += e2 * e2
            s3 += e3 * e3
            j += 4
        }
        var total = (s0 + s1) + (s2 + s3)
        while j < count {
            let e = a[j] - b[j]
            total += e * e
            j += 1
        }
        return total
    }

    /// result ← ‖xᵢ − cⱼ‖² for the rows i in `rows` of `points` and every row j of `centres`; `result` is
    /// rows.count × centres.rowCount and is overwritten. Each entry depends only on its two rows.
    /// - Precondition: the shapes agree (a programmer error otherwise).
    static func squaredDistances(
        _ points: Matrix<Double>, rows: Range<Int>, _ centres: Matrix<Double>, into result: inout Matrix<Double>
    ) {
        precondition(result.rowCount == rows.count && result.columnCount == centres.rowCount, "distance matrix shape")
        precondition(points.columnCount == centres.columnCount, "points and centres differ in columns")
        if result.isEmpty { return }
        let d = points.columnCount, k = centres.rowCount, first = rows.lowerBound
        points.storage.withUnsafeBufferPointer { x in
            centres.storage.withUnsafeBufferPointer { c in
                result.storage.withUnsafeMutableBufferPointer { r in
                    guard let x = x.baseAddress, let c = c.baseAddress else {
                        for index in r.indices { r[index] = 0 }  // d = 0: every distance is 0
                        return
                    }
                    for i in 0..<rows.count {
                        for j in 0..<k { r[i * k + j] = squaredDistance(x + (first + i) * d, c + j * d, count: d) }
                    }
                }
            }
        }
    }

    /// Throws when `points` has no rows or columns, or holds a value that is not finite.
    static func validatePoints(_ points: Matrix<Double>) throws(LearningError) {
        if points.rowCount == 0 { throw .emptyData }
        if points.columnCount == 0 {
            throw .invalidParameter(name: "points", value: "0 columns", requirement: "must have at least one column")
        }
        if let bad = points.storage.firstIndex(where: { !$0.isFinite }) {
            let row = bad / points.columnCount, column = bad % points.columnCount
            throw .invalidParameter(
                name: "points", value: "\(points.storage[bad]) at row \(row), column \(column)", requirement: "must all be finite"
            )
        }
    }
}
