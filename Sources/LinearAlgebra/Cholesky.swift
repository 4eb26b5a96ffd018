internal import COpenBLAS

/// The Cholesky factor of a symmetric positive definite matrix, A = L·Lᵀ (LAPACK `potrf`), and solves with it
/// (`potrs`).
public struct CholeskyFactor<Scalar: BLASScalar>: Sendable {
    /// The order n of the factored n×n matrix.
    public let order: Int
    /// The factor as LAPACK leaves it: column-major, in the lower triangle (the upper one is stale).
    var factor: [Scalar]

    /// Factors the symmetric positive definite `matrix`; only its upper triangle (row-major) is read.
    /// - Throws: `shapeMismatch` when the matrix is not square; `notPositiveDefinite` when a pivot is not positive.
    /// - Complexity: O(n³/3).
    public init(factoring matrix: Matrix<Scalar>) throws(LinearAlgebraError) {
        guard matrix.rowCount == matrix.columnCount else {
            throw .shapeMismatch(operation: "Cholesky", detail: "matrix is \(matrix.rowCount)×\(matrix.columnCount)")
        }
        BLAS.pinThreads()
        order = matrix.rowCount
        // The row-major upper triangle is the column-major lower triangle of the same buffer.
        factor = matrix.storage
        if order == 0 { return }
        var n = try BLAS.int32(order, "potrf")
        var lda = n
        var uplo = CChar(UInt8(ascii: "L"))
        var info: Int32 = 0
        factor.withUnsafeMutableBufferPointer { p in
            switch Scalar.precision {
            case .double: dpotrf_(&uplo, &n, mutableRebound(p, Double.self), &lda, &info)
            case .single: spotrf_(&uplo, &n, mutableRebound(p, Float.self), &lda, &info)
            }
        }
        if info > 0 { throw .notPositiveDefinite(order: order, pivot: Int(info)) }
        if info < 0 { throw .lapackFailure(routine: "potrf", info: Int(info)) }
    }

    /// Solves A·x = b in place.
    /// - Throws: `shapeMismatch` when `b.count != order`.
    /// - Complexity: O(n²).
    public func solve(_ b: inout [Scalar]) throws(LinearAlgebraError) {
        guard b.count == order else {
            throw .shapeMismatch(operation: "Cholesky solve", detail: "order \(order), right-hand side \(b.count)")
        }
        try solveColumnMajor(&b, rightHandSides: 1)
    }

    /// Solves A·x = b and returns x.
    public func solving(_ b: [Scalar]) throws(LinearAlgebraError) -> [Scalar] {
        var x = b
        try solve(&x)
        return x
    }

    /// Solves A·X = B for a matrix of right-hand sides (B: n×r) and returns X.
    public func solving(_ b: Matrix<Scalar>) throws(LinearAlgebraError) -> Matrix<Scalar> {
        guard b.rowCount == order else {
            throw .shapeMismatch(
                operation: "Cholesky solve", detail: "order \(order), right-hand sides \(b.rowCount)×\(b.columnCount)")
        }
        if b.columnCount == 0 { return b }
        var columnMajor = b.transposed().storage
        try solveColumnMajor(&columnMajor, rightHandSides: b.columnCount)
        return try Matrix(rowCount: b.columnCount, columnCount: order, storage: columnMajor).transposed()
    }

    /// log det A = 2·Σ log Lᵢᵢ.
    public var logDeterminant: Scalar {
        var total: Scalar = 0
        for i in 0..<order { total += 2 * Scalar(Kernels.logarithm(Double(factor[i * order + i]))) }
        return total
    }

    private func solveColumnMajor(_ b: inout [Scalar], rightHandSides: Int) throws(LinearAlgebraError) {
        if order == 0 { return }
        BLAS.pinThreads()
        var n = try BLAS.int32(order, "potrs")
        var nrhs = try BLAS.int32(rightHandSides, "potrs")
        var lda = n, ldb = n
        var uplo = CChar(UInt8(ascii: "L"))
        var info: Int32 = 0
        factor.withUnsafeBufferPointer { pa in
            b.withUnsafeMutableBufferPointer { pb in
                switch Scalar.precision {
                case .double:
                    dpotrs_(&uplo, &n, &nrhs, rebound(pa, Double.self), &lda, mutableRebound(pb, Double.self), &ldb, &info)
                case .single:
                    spotrs_(&uplo, &n, &nrhs, rebound(pa, Float.self), &lda, mutableRebound(pb, Float.self), &ldb, &info)
                }
            }
        }
        if info != 0 { throw .lapackFailure(routine: "potrs", info: Int(info)) }
    }
}
