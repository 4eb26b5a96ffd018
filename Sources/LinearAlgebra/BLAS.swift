internal import COpenBLAS

/// Checked wrappers over OpenBLAS for row-major `Matrix` values and `[Scalar]` vectors.
///
/// Every call checks shapes first and throws `LinearAlgebraError` with both shapes quoted, converts sizes
/// with `Int32(exactly:)`, returns early on empty shapes, then makes one scoped BLAS call.
///
/// OpenBLAS runs on one thread: the first BLAS or LAPACK call of the process (every wrapper passes through
/// `pinThreads()`) sets it to one thread, whatever `OPENBLAS_NUM_THREADS` says, and nothing changes it afterwards.
/// All parallelism is the library's own (rows split across workers), so concurrent callers never race on a
/// process-wide setting, and no result depends on how many threads OpenBLAS would have used.
public enum BLAS {
    /// The number of threads OpenBLAS uses: always 1 once any wrapper has run (reading it pins it first).
    public static var threadCount: Int {
        pinThreads()
        return Int(openblas_get_num_threads())
    }

    /// Run once per process, before the first BLAS or LAPACK call (a Swift global is initialised exactly once, under
    /// a lock).
    private static let pinnedToOneThread: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    /// Pins OpenBLAS to one thread on first use; a no-op afterwards.
    @inline(__always) static func pinThreads() { _ = pinnedToOneThread }

    // MARK: Level 3

    /// c ← α·op(a)·op(b) + β·c, where op(x) is x or xᵀ; a: m×k after op, b: k×n after op, c: m×n.
    ///
    /// `aRows` restricts `a` to a range of its stored rows (before the transpose) without copying.
    /// - Throws: `LinearAlgebraError.shapeMismatch` when the inner or outer dimensions disagree.
    /// - Complexity: O(m·n·k).
    public static func gemm<S: BLASScalar>(
        _ a: Matrix<S>, aRows: Range<Int>? = nil, transposeA: Bool = false,
        _ b: Matrix<S>, transposeB: Bool = false,
        alpha: S = 1, beta: S = 0, into c: inout Matrix<S>
    ) throws(LinearAlgebraError) {
        pinThreads()
        let rowsA = aRows ?? 0..<a.rowCount
        guard rowsA.lowerBound >= 0, rowsA.upperBound <= a.rowCount else {
            throw .shapeMismatch(operation: "gemm", detail: "row range \(rowsA) outside a with \(a.rowCount) rows")
        }
        let m = transposeA ? a.columnCount : rowsA.count
        let k = transposeA ? rowsA.count : a.columnCount
        let kb = transposeB ? b.columnCount : b.rowCount
        let n = transposeB ? b.rowCount : b.columnCount
        guard k == kb, c.rowCount == m, c.columnCount == n else {
            throw .shapeMismatch(
                operation: "gemm",
                detail: "op(a) \(m)×\(k), op(b) \(kb)×\(n), c \(c.rowCount)×\(c.columnCount)")
        }
        if m == 0 || n == 0 { return }
        if k == 0 {
            scaleInPlace(&c.storage, by: beta)
            return
        }
        let m32 = try int32(m, "gemm"), n32 = try int32(n, "gemm"), k32 = try int32(k, "gemm")
        let lda = try int32(max(1, a.columnCount), "gemm"), ldb = try int32(max(1, b.columnCount), "gemm")
        let ldc = try int32(max(1, n), "gemm")
        let ta = transposeA ? CblasTrans : CblasNoTrans, tb = transposeB ? CblasTrans : CblasNoTrans
        let offset = rowsA.lowerBound * a.columnCount
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    switch S.precision {
                    case .double:
                        cblas_dgemm(
                            CblasRowMajor, ta, tb, m32, n32, k32, Double(alpha),
                            rebound(pa, Double.self) + offset, lda, rebound(pb, Double.self), ldb,
                            Double(beta), mutableRebound(pc, Double.self), ldc)
                    case .single:
                        cblas_sgemm(
                            CblasRowMajor, ta, tb, m32, n32, k32, Float(alpha),
                            rebound(pa, Float.self) + offset, lda, rebound(pb, Float.self), ldb,
                            Float(beta), mutableRebound(pc, Float.self), ldc)
                    }
                }
            }
        }
    }

    /// c ← α·aᵀ·a + β·c (`transpose: true`, c: k×k for a: n×k) or c ← α·a·aᵀ + β·c (c: n×n).
    ///
    /// Both triangles of `c` are filled on return. `aRows` restricts `a` to a range of its rows.
    /// - Throws: `LinearAlgebraError.shapeMismatch` when `c` has the wrong order.
    /// - Complexity: O(n·k²) or O(n²·k).
    public static func syrk<S: BLASScalar>(
        _ a: Matrix<S>, aRows: Range<Int>? = nil, transpose: Bool = true,
        alpha: S = 1, beta: S = 0, into c: inout Matrix<S>
    ) throws(LinearAlgebraError) {
        pinThreads()
        let rowsA = aRows ?? 0..<a.rowCount
        guard rowsA.lowerBound >= 0, rowsA.upperBound <= a.rowCount else {
            throw .shapeMismatch(operation: "syrk", detail: "row range \(rowsA) outside a with \(a.rowCount) rows")
        }
        let order = transpose ? a.columnCount : rowsA.count
        let inner = transpose ? rowsA.count : a.columnCount
        guard c.rowCount == order, c.columnCount == order else {
            throw .shapeMismatch(
                operation: "syrk",
                detail: "a \(rowsA.count)×\(a.columnCount) gives order \(order), c \(c.rowCount)×\(c.columnCount)")
        }
        if order == 0 { return }
        if inner == 0 {
            scaleInPlace(&c.storage, by: beta)
            return
        }
        let n32 = try int32(order, "syrk"), k32 = try int32(inner, "syrk")
        let lda = try int32(max(1, a.columnCount), "syrk"), ldc = try int32(order, "syrk")
        let trans = transpose ? CblasTrans : CblasNoTrans
        let offset = rowsA.lowerBound * a.columnCount
        a.storage.withUnsafeBufferPointer { pa in
            c.storage.withUnsafeMutableBufferPointer { pc in
                switch S.precision {
                case .double:
                    cblas_dsyrk(
                        CblasRowMajor, CblasUpper, trans, n32, k32, Double(alpha),
                        rebound(pa, Double.self) + offset, lda, Double(beta),
                        mutableRebound(pc, Double.self), ldc)
                case .single:
                    cblas_ssyrk(
                        CblasRowMajor, CblasUpper, trans, n32, k32, Float(alpha),
                        rebound(pa, Float.self) + offset, lda, Float(beta),
                        mutableRebound(pc, Float.self), ldc)
                }
            }
        }
        c.symmetrizeFromUpper()
    }

    // MARK: Level 2

    /// y ← α·op(a)·x + β·y; op(a) is a (m×n, x: n, y: m) or aᵀ (x: m, y: n).
    ///
    /// `aRows` restricts `a` to a range of its stored rows without copying.
    /// - Throws: `LinearAlgebraError.shapeMismatch` when the vector lengths disagree with `a`.
    /// - Complexity: O(m·n).
    public static func gemv<S: BLASScalar>(
        _ a: Matrix<S>, aRows: Range<Int>? = nil, transpose: Bool = false,
        _ x: [S], alpha: S = 1, beta: S = 0, into y: inout [S]
    ) throws(LinearAlgebraError) {
        pinThreads()
        let rowsA = aRows ?? 0..<a.rowCount
        guard rowsA.lowerBound >= 0, rowsA.upperBound <= a.rowCount else {
            throw .shapeMismatch(operation: "gemv", detail: "row range \(rowsA) outside a with \(a.rowCount) rows")
        }
        let m = rowsA.count, n = a.columnCount
        let xLength = transpose ? m : n, yLength = transpose ? n : m
        guard x.count == xLength, y.count == yLength else {
            throw .shapeMismatch(
                operation: "gemv",
                detail: "a \(m)×\(n)\(transpose ? "ᵀ" : ""), x \(x.count), y \(y.count)")
        }
        if yLength == 0 { return }
        if xLength == 0 {
            scaleInPlace(&y, by: beta)
            return
        }
        let m32 = try int32(m, "gemv"), n32 = try int32(n, "gemv"), lda = try int32(max(1, n), "gemv")
        let trans = transpose ? CblasTrans : CblasNoTrans
        let offset = rowsA.lowerBound * n
        a.storage.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    switch S.precision {
                    case .double:
                        cblas_dgemv(
                            CblasRowMajor, trans, m32, n32, Double(alpha),
                            rebound(pa, Double.self) + offset, lda, rebound(px, Double.self), 1,
                            Double(beta), mutableRebound(py, Double.self), 1)
                    case .single:
                        cblas_sgemv(
                            CblasRowMajor, trans, m32, n32, Float(alpha),
                            rebound(pa, Float.self) + offset, lda, rebound(px, Float.self), 1,
                            Float(beta), mutableRebound(py, Float.self), 1)
                    }
                }
            }
        }
    }

    // MARK: Level 1

    /// y ← α·x + y.
    /// - Throws: `LinearAlgebraError.shapeMismatch` when the lengths differ.
    public static func axpy<S: BLASScalar>(_ alpha: S, _ x: [S], _ y: inout [S]) throws(LinearAlgebraError) {
        pinThreads()
        guard x.count == y.count else {
            throw .shapeMismatch(operation: "axpy", detail: "x \(x.count), y \(y.count)")
        }
        if x.isEmpty { return }
        let n = try int32(x.count, "axpy")
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                switch S.precision {
                case .double:
                    cblas_daxpy(n, Double(alpha), rebound(px, Double.self), 1, mutableRebound(py, Double.self), 1)
                case .single:
                    cblas_saxpy(n, Float(alpha), rebound(px, Float.self), 1, mutableRebound(py, Float.self), 1)
                }
            }
        }
    }

    /// xᵀ·y.
    /// - Throws: `LinearAlgebraError.shapeMismatch` when the lengths differ.
    public static func dot<S: BLASScalar>(_ x: [S], _ y: [S]) throws(LinearAlgebraError) -> S {
        pinThreads()
        guard x.count == y.count else {
            throw .shapeMismatch(operation: "dot", detail: "x \(x.count), y \(y.count)")
        }
        if x.isEmpty { return 0 }
        let n = try int32(x.count, "dot")
        return x.withUnsafeBufferPointer { px in
            y.withUnsafeBufferPointer { py in
                switch S.precision {
                case .double:
                    return S(cblas_ddot(n, rebound(px, Double.self), 1, rebound(py, Double.self), 1))
                case .single:
                    return S(cblas_sdot(n, rebound(px, Float.self), 1, rebound(py, Float.self), 1))
                }
            }
        }
    }

    /// x ← α·x.
    public static func scal<S: BLASScalar>(_ alpha: S, _ x: inout [S]) throws(LinearAlgebraError) {
        pinThreads()
        if x.isEmpty { return }
        let n = try int32(x.count, "scal")
        x.withUnsafeMutableBufferPointer { px in
            switch S.precision {
            case .double: cblas_dscal(n, Double(alpha), mutableRebound(px, Double.self), 1)
            case .single: cblas_sscal(n, Float(alpha), mutableRebound(px, Float.self), 1)
            }
        }
    }

    /// ‖x‖₂, computed without overflow or underflow.
    public static func nrm2<S: BLASScalar>(_ x: [S]) throws(LinearAlgebraError) -> S {
        pinThreads()
        if x.isEmpty { return 0 }
        let n = try int32(x.count, "nrm2")
        return x.withUnsafeBufferPointer { px in
            switch S.precision {
            case .double: return S(cblas_dnrm2(n, rebound(px, Double.self), 1))
            case .single: return S(cblas_snrm2(n, rebound(px, Float.self), 1))
            }
        }
    }

    // MARK: Helpers

    static func int32(_ value: Int, _ operation: String) throws(LinearAlgebraError) -> Int32 {
        guard let result = Int32(exactly: value) else { throw .dimensionTooLarge(operation: operation, value: value) }
        return result
    }

    /// β·c without reading c when β is zero (BLAS's convention: c may hold NaN then).
    static func scaleInPlace<S: BLASScalar>(_ values: inout [S], by beta: S) {
        if beta == 0 {
            for i in values.indices { values[i] = 0 }
        } else if beta != 1 {
            for i in values.indices { values[i] *= beta }
        }
    }
}

@inline(__always)
func rebound<S, T>(_ buffer: UnsafeBufferPointer<S>, _: T.Type) -> UnsafePointer<T> {
    UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: T.self)
}

@inline(__always)
func mutableRebound<S, T>(_ buffer: UnsafeMutableBufferPointer<S>, _: T.Type) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: T.self)
}

extension Matrix {
    /// Copies the upper triangle onto the lower one (for results of `syrk`).
    mutating func symmetrizeFromUpper() {
        let order = rowCount
        storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<order {
                for j in 0..<i { p[i * order + j] = p[j * order + i] }
            }
        }
    }
}
