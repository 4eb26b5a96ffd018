import LinearAlgebra

/// The canonical margin of a bilinear model, m(φ, ψ) = φᵀ·W·ψ, computed in one fixed order so that it is the same
/// Double, bit for bit, on every CPU, whatever the batch it is computed in, the number of workers or the BLAS build:
///
/// 1. v = W·ψ, each entry v[p] = Σ_q W[p,q]·ψ[q] summed in ascending q;
/// 2. m = Σ_p φ[p]·v[p] summed in ascending p, terms with φ[p] = 0 skipped (adding 0·v[p] never changes a sum of
///    finite terms, so skipping them does not change the result).
///
/// Both are plain Swift loops: the compiler neither reassociates floating-point sums nor contracts a·b + c into a
/// fused multiply-add, so the arithmetic is the IEEE-754 sequence written here on x86-64 and arm64 alike. BLAS may
/// rank candidates (`BilinearTopK`'s Float32 screening) but never writes a margin.
///
/// Every figure derived from a bilinear model's margin (scores, routing objectives, simulations, recommendations,
/// reports) goes through `BilinearMargins` or `BilinearLogisticRegression.margins(left:right:)`, which use the same
/// two loops; so a pair's margin is the same Double wherever it is computed.
public struct BilinearMargins: Sendable {
    /// a, the width of φ.
    public let leftCount: Int
    /// m, the number of columns (right rows ψⱼ).
    public let columnCount: Int
    /// V, m × a: row j is vⱼ = W·ψⱼ (step 1).
    public let projected: Matrix<Double>

    /// Precomputes vⱼ = W·ψⱼ for every right row.
    /// - Parameters:
    ///   - interaction: W, a × b.
    ///   - right: Ψ, m × b.
    /// - Throws: `LearningError.lengthMismatch` when the widths disagree.
    /// - Complexity: O(m·a·b), split across `workers` (the result does not depend on how many).
    public init(interaction: Matrix<Double>, right: Matrix<Double>, workers: Int? = nil) throws(LearningError) {
        guard interaction.columnCount == right.columnCount else {
            throw .lengthMismatch(what: "right design columns", expected: interaction.columnCount, got: right.columnCount)
        }
        let a = interaction.rowCount, b = interaction.columnCount, m = right.rowCount
        leftCount = a
        columnCount = m
        var v = Matrix<Double>(rowCount: m, columnCount: a)
        if a == 0 || b == 0 || m == 0 {
            projected = v
            return
        }
        let threads = max(1, min(workers ?? ParallelRows.workerCount(rows: m, columns: a * b), m))
        v.storage.withUnsafeMutableBufferPointer { out in
            let target = SendableBuffer(out)
            interaction.storage.withUnsafeBufferPointer { w in
                right.storage.withUnsafeBufferPointer { psi in
                    let wBase = SendablePointer(w.baseAddress), psiBase = SendablePointer(psi.baseAddress)
                    ParallelRows.run(workers: threads) { worker in
                        for j in ParallelRows.range(worker: worker, of: threads, rows: m) {
                            canonicalProject(
                                wBase.pointer!, a, b, psiBase.pointer! + j * b, into: target.buffer.baseAddress! + j * a)
                        }
                    }
                }
            }
        }
        projected = v
    }

    /// The canonical margin of `left` (φ, length a) with column j.
    /// - Complexity: O(a).
    public func margin(left: ArraySlice<Double>, column: Int) -> Double {
        precondition(left.count == leftCount && (0..<columnCount).contains(column), "margin: bad row length or column")
        return left.withUnsafeBufferPointer { phi in
            projected.storage.withUnsafeBufferPointer { v in
                canonicalMargin(phi.baseAddress!, v.baseAddress! + column * leftCount, leftCount)
            }
        }
    }

    /// The canonical margin of every row of `left` (n × a) with every column: an n × m matrix.
    /// - Throws: `LearningError.lengthMismatch` when `left` does not have a columns.
    /// - Complexity: O(n·m·a), split across `workers` by rows (the result does not depend on how many).
    public func margins(left: Matrix<Double>, workers: Int? = nil) throws(LearningError) -> Matrix<Double> {
        guard left.columnCount == leftCount else {
            throw .lengthMismatch(what: "left design columns", expected: leftCount, got: left.columnCount)
        }
        let n = left.rowCount, m = columnCount, a = leftCount
        var result = Matrix<Double>(rowCount: n, columnCount: m)
        if n == 0 || m == 0 { return result }
        let threads = max(1, min(workers ?? ParallelRows.workerCount(rows: n, columns: m * max(1, a)), n))
        result.storage.withUnsafeMutableBufferPointer { out in
            let target = SendableBuffer(out)
            left.storage.withUnsafeBufferPointer { phi in
                projected.storage.withUnsafeBufferPointer { v in
                    let phiBase = SendablePointer(phi.baseAddress), vBase = SendablePointer(v.baseAddress)
                    ParallelRows.run(workers: threads) { worker in
                        for i in ParallelRows.range(worker: worker, of: threads, rows: n) {
                            for j in 0..<m {
                                target.buffer[i * m + j] =
                                    a == 0 ? 0 : canonicalMargin(phiBase.pointer! + i * a, vBase.pointer! + j * a, a)
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}

/// v[p] ← Σ_q w[p·b + q]·ψ[q], q ascending, for p in 0..<a (step 1 of the canonical margin).
@inline(__always)
func canonicalProject(
    _ w: UnsafePointer<Double>, _ a: Int, _ b: Int, _ psi: UnsafePointer<Double>, into v: UnsafeMutablePointer<Double>
) {
    for p in 0..<a {
        var sum = 0.0
        for q in 0..<b { sum += w[p * b + q] * psi[q] }
        v[p] = sum
    }
}

/// Σ_p φ[p]·v[p], p ascending, zero φ[p] skipped (step 2 of the canonical margin).
@inline(__always)
func canonicalMargin(_ phi: UnsafePointer<Double>, _ v: UnsafePointer<Double>, _ a: Int) -> Double {
    var total = 0.0
    for p in 0..<a where phi[p] != 0 { total += phi[p] * v[p] }
    return total
}

/// The same sum as `canonicalMargin` over a row's nonzero entries given as (index, value) in ascending index.
@inline(__always)
func canonicalMargin(nonzeroIndices: UnsafePointer<Int32>, values: UnsafePointer<Double>, count: Int, _ v: UnsafePointer<Double>)
    -> Double
{
    var total = 0.0
    for t in 0..<count { total += values[t] * v[Int(nonzeroIndices[t])] }
    return total
}

/// `canonicalMargin(nonzeroIndices:values:count:_:)` for four columns at once: each the same sum, in the same order,
/// so each is the same Double; interleaving the four chains lets them proceed in parallel.
@inline(__always)
func canonicalMargins(
    nonzeroIndices: UnsafePointer<Int32>, values: UnsafePointer<Double>, count: Int, _ v0: UnsafePointer<Double>,
    _ v1: UnsafePointer<Double>, _ v2: UnsafePointer<Double>, _ v3: UnsafePointer<Double>
) -> (Double, Double, Double, Double) {
    var t0 = 0.0, t1 = 0.0, t2 = 0.0, t3 = 0.0
    for t in 0..<count {
        let p = Int(nonzeroIndices[t]), x = values[t]
        t0 += x * v0[p]
        t1 += x * v1[p]
        t2 += x * v2[p]
        t3 += x * v3[p]
    }
    return (t0, t1, t2, t3)
}

/// A pointer handed to parallel workers that only read through it.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafePointer<Double>?
    init(_ pointer: UnsafePointer<Double>?) { self.pointer = pointer }
}
