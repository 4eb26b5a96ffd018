import LinearAlgebra

/// Distances between the rows of point matrices, formed with BLAS, and the checks every clustering routine shares.
public enum Clustering {
    /// dᵢⱼ = ‖xᵢ − cⱼ‖² for every row xᵢ of `points` (n×d) and row cⱼ of `centres` (k×d), as ‖xᵢ‖² + ‖cⱼ‖² − 2·xᵢ·cⱼ
    /// with every cross term from one GEMM (X·Cᵀ). Rounding can leave a tiny negative value where two rows are
    /// (nearly) equal; such values are clamped to 0.
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
        squaredDistances(
            points, rows: 0..<points.rowCount, pointNorms: rowSquaredNorms(points), centres,
            centreNorms: rowSquaredNorms(centres),
            into: &result)
        return result
    }

    /// ‖xᵢ‖² of every row.
    /// - Complexity: O(n·d).
    static func rowSquaredNorms(_ points: Matrix<Double>) -> [Double] {
        let d = points.columnCount
        return points.storage.withUnsafeBufferPointer { x in
            (0..<points.rowCount).map { row in
                var sum = 0.0
                for j in 0..<d { sum += x[row * d + j] * x[row * d + j] }
                return sum
            }
        }
    }

    /// result ← ‖xᵢ‖² + ‖cⱼ‖² − 2·xᵢ·cⱼ (clamped at 0) for the rows i in `rows` of `points` and every row j of
    /// `centres`; `result` is rows.count × centres.rowCount and is overwritten. Norms are those of `rowSquaredNorms`.
    /// - Precondition: the shapes agree (a programmer error otherwise).
    static func squaredDistances(
        _ points: Matrix<Double>, rows: Range<Int>, pointNorms: [Double], _ centres: Matrix<Double>, centreNorms: [Double],
        into result: inout Matrix<Double>
    ) {
        precondition(result.rowCount == rows.count && result.columnCount == centres.rowCount, "distance matrix shape")
        precondition(points.columnCount == centres.columnCount, "points and centres differ in columns")
        if result.isEmpty { return }
        // result ← −2·X[rows]·Cᵀ: the shapes were checked above, so BLAS cannot refuse them.
        try! BLAS.gemm(points, aRows: rows, centres, transposeB: true, alpha: -2, beta: 0, into: &result)
        let k = centres.rowCount, first = rows.lowerBound
        result.storage.withUnsafeMutableBufferPointer { r in
            for i in 0..<rows.count {
                let xNorm = pointNorms[first + i]
                for j in 0..<k { r[i * k + j] = max(0, r[i * k + j] + xNorm + centreNorms[j]) }
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
