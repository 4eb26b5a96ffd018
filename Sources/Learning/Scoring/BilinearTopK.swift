import Dispatch
import Foundation
import LinearAlgebra

/// The best `k` columns of every row of a bilinear score matrix S = L·W·Rᵀ (S[i][j] = lᵢᵀ·W·rⱼ), each row restricted
/// to a mask of eligible columns, without ever holding S; ranked by the canonical margin (`BilinearMargins`), ties to
/// the lower column.
///
/// **What is selected is defined exactly**: row i's selection is the first k eligible columns in the order (canonical
/// margin descending, column ascending), and the margins returned are those canonical Doubles. Neither depends on the
/// tile size, the number of rows per call, the number of workers, BLAS's thread count or the CPU's kernels. Float32
/// GEMM only screens candidates, under a certificate:
///
/// 1. **Screen.** Rows of L are taken in tiles of `rowsPerTile`. For a tile, U = L_tile·W (Float32 GEMM) is formed
///    once; then for each block of `blockSize` right rows the score tile U·R_blockᵀ (Float32 GEMM) is scanned while
///    it is in cache: a 64-column group is skipped with one vector compare when the mask excludes it or nothing in it
///    beats the row's current K′-th best, and the rare winners go through an insertion into the row's top K′, with
///    K′ = k + max(8, k/2) ("k plus extra"). Every eligible column left out has a Float32 score s̃ ≤ t, the K′-th kept
///    score (skips and evictions only drop scores at or below the running K′-th, which only rises).
/// 2. **Exact.** The kept columns' canonical margins are computed (O(K′·nnz(lᵢ)) per row at most, from the
///    precomputed vⱼ = W·rⱼ), in descending Float32 score, and ranked by (margin descending, column ascending); once
///    k are ranked, the kept columns whose s̃ + δᵢ (below) is under the k-th canonical margin cannot enter and are
///    not computed.
/// 3. **Certify.** With δᵢ a bound on |s̃ᵢⱼ − mᵢⱼ| valid for every column j (below), every column left out has
///    mᵢⱼ ≤ s̃ᵢⱼ + δᵢ ≤ t + δᵢ. If the k-th kept margin exceeds t + δᵢ, no column left out can enter the top k, so the
///    top k of the kept columns is the exact selection. Otherwise (near-ties at the boundary, or a row whose Float32
///    arithmetic could overflow) the row is ranked by the canonical margins of all its eligible columns. A row with
///    at most K′ eligible columns keeps them all and needs no certificate.
///
/// **The bound δᵢ.** Let u = 2⁻²⁴ (Float32 unit roundoff) and γₙ = n·u/(1 − n·u). Rounding φ, W and ψ to Float32
/// multiplies each by (1 + ε), |ε| ≤ u. A computed inner product of length n, in any order, blocked or not, with or
/// without fused multiply-adds, equals Σ xₚyₚ(1 + θₚ) with |θₚ| ≤ γₙ (Higham, *Accuracy and Stability of Numerical
/// Algorithms*, §3.1; an FMA only removes roundings). So the screened score is
/// s̃ = Σ_q Σ_p φₚWₚqψ_q·(1 + θₚq) with 1 + θₚq a product of three conversions, one γₐ and one γ_b factor, hence
/// |θₚq| ≤ γ_{a+b+3} (Higham's Lemma 3.3), and |s̃ − s| ≤ γ_{a+b+3}·Tᵢⱼ with s the real φᵀWψ and
/// Tᵢⱼ = Σ_q (Σ_p |φₚ||Wₚq|)·|ψ_q| = rᵢ·|ψⱼ|, rᵢ = |φᵢ|ᵀ|W|. The canonical Double margin m obeys the same bound with
/// 2⁻⁵³ in place of u, |m − s| ≤ γ⁽⁶⁴⁾_{a+b}·Tᵢⱼ, far below one more Float32 unit, so |s̃ − m| ≤ γ_{a+b+4}·Tᵢⱼ.
/// Cauchy–Schwarz gives Tᵢⱼ ≤ ‖rᵢ‖₂·P with P = maxⱼ ‖ψⱼ‖₂. We take δᵢ = 2·γ_{a+b+4}·‖rᵢ‖₂·P + ηᵢ: the factor 2
/// covers the rounding of δᵢ's own Double computation, and ηᵢ = 2⁻¹⁴⁸·((a·(max|W| + 1) + ‖φᵢ‖₁)·P₁ + 2‖rᵢ‖₁ + b),
/// P₁ = maxⱼ ‖ψⱼ‖₁, bounds four times over the absolute errors of Float32 results that underflow to subnormals
/// (at most 2⁻¹⁵⁰ each, propagated through both products). The screen is used only where no Float32 value can
/// overflow (max|W|, max|ψ| and each row's max|φ| below 10³⁰ and 4·‖rᵢ‖₂·P below 10³⁷); other rows are ranked
/// exactly. The test suite checks the bound against exact scores on random instances, including adversarial ones.
///
/// Tiles are split across workers; each row's result depends only on its own row.
public struct BilinearTopK: Sendable {
    /// a, the width of L.
    public let leftCount: Int
    /// b, the width of R.
    public let rightCount: Int
    /// m, the number of right rows (columns of S).
    public let columnCount: Int
    /// Columns per score tile (a multiple of 64).
    public let blockSize: Int
    let interaction32: Matrix<Float>
    let blocks32: [Matrix<Float>]
    /// vⱼ = W·rⱼ for every column: the canonical margins.
    public let exact: BilinearMargins
    /// |W|, a × b.
    let absoluteInteraction: [Double]
    /// P = maxⱼ ‖rⱼ‖₂ and P₁ = maxⱼ ‖rⱼ‖₁ (for the screening bound), max|W|.
    let rightNormMax: Double, rightL1Max: Double, interactionMax: Double
    /// Whether Float32 screening is safe from overflow for W and R (rows are checked too).
    let screens: Bool

    /// - Parameters:
    ///   - interaction: W, a × b.
    ///   - right: R, m × b (one row per column of S).
    ///   - blockSize: columns per score tile; rounded up to a multiple of 64.
    /// - Throws: `LearningError` when the shapes disagree or W or R holds a value that is not finite.
    public init(interaction: Matrix<Double>, right: Matrix<Double>, blockSize: Int = 512) throws(LearningError) {
        guard interaction.columnCount == right.columnCount else {
            throw .lengthMismatch(what: "right design columns", expected: interaction.columnCount, got: right.columnCount)
        }
        if interaction.storage.contains(where: { !$0.isFinite }) {
            throw .numerical("the interaction matrix W holds a value that is not finite")
        }
        if right.storage.contains(where: { !$0.isFinite }) {
            throw .numerical("the right design holds a value that is not finite")
        }
        guard blockSize > 0 else {
            throw .invalidParameter(name: "blockSize", value: "\(blockSize)", requirement: "must be positive")
        }
        leftCount = interaction.rowCount
        rightCount = interaction.columnCount
        columnCount = right.rowCount
        let size = (blockSize + 63) / 64 * 64
        self.blockSize = size
        exact = try BilinearMargins(interaction: interaction, right: right)
        absoluteInteraction = interaction.storage.map { abs($0) }
        interactionMax = absoluteInteraction.max() ?? 0
        var norm2 = 0.0, norm1 = 0.0, rightMax = 0.0
        for j in 0..<right.rowCount {
            var squares = 0.0, sum = 0.0
            for q in 0..<right.columnCount {
                let x = abs(right.storage[j * right.columnCount + q])
                squares += x * x
                sum += x
                rightMax = max(rightMax, x)
            }
            norm2 = max(norm2, squares.squareRoot())
            norm1 = max(norm1, sum)
        }
        rightNormMax = norm2
        rightL1Max = norm1
        screens = interactionMax < 1e30 && rightMax < 1e30 && norm2 < 1e30
        interaction32 = try! Matrix(
            rowCount: interaction.rowCount, columnCount: interaction.columnCount, storage: interaction.storage.map(Float.init))
        let b = right.columnCount
        // Every block holds `blockSize` rows; the last is padded with zero rows, never selected.
        blocks32 = stride(from: 0, to: right.rowCount, by: size).map { start in
            let end = min(right.rowCount, start + size)
            var storage = right.storage[(start * b)..<(end * b)].map(Float.init)
            storage.append(contentsOf: repeatElement(0, count: (start + size - end) * b))
            return try! Matrix(rowCount: size, columnCount: b, storage: storage)
        }
    }

    /// The canonical margin lᵀ·W·rⱼ of one left row with one column (`BilinearMargins`).
    /// - Complexity: O(a).
    public func margin(left: ArraySlice<Double>, column: Int) -> Double {
        exact.margin(left: left, column: column)
    }

    /// How many columns per row the Float32 screen keeps for a selection of `k`: k plus extra.
    public static func screenedCount(k: Int) -> Int { k + max(8, k / 2) }

    /// The selection for every row of L: `counts[i]` columns, best first, in `columns[i*k..<i*k+counts[i]]` with
    /// their canonical (Double) margins in `margins`; `eligibleCounts[i]` is the size of row i's mask.
    public struct Selection: Sendable, Equatable {
        public let rowCount: Int
        public let k: Int
        public var columns: [Int32]
        public var margins: [Double]
        public var counts: [Int32]
        public var eligibleCounts: [Int32]
        /// How many rows the certificate could not settle, ranked by the canonical margins of all their eligible
        /// columns (a diagnostic: the result is the same either way).
        public var exhaustiveRows: Int

        /// Equal selections: the same columns, margins and counts (`exhaustiveRows`, which can depend on the kernels'
        /// Float32 rounding, is not compared).
        public static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.rowCount == rhs.rowCount && lhs.k == rhs.k && lhs.columns == rhs.columns && lhs.margins == rhs.margins
                && lhs.counts == rhs.counts && lhs.eligibleCounts == rhs.eligibleCounts
        }

        /// Row i's selected columns and margins, best first.
        public func row(_ i: Int) -> [(column: Int, margin: Double)] {
            (0..<Int(counts[i])).map { (Int(columns[i * k + $0]), margins[i * k + $0]) }
        }
    }

    /// Selects the best `k` eligible columns of every row of L: by canonical margin descending, then column
    /// ascending. The result is the same for any `rowsPerTile`, `workers` and any split of L into calls.
    ///
    /// - Parameters:
    ///   - left: L, n × a.
    ///   - k: how many columns to keep per row (rows with fewer eligible columns keep them all).
    ///   - masks: the distinct eligibility masks (each over `columnCount` columns).
    ///   - rowMasks: for each row, the index of its mask in `masks`, or -1 for every column.
    ///   - rowsPerTile: rows of L per tile.
    ///   - workers: threads to use (default: one per core when the work is large enough).
    /// - Complexity: O(n·a·b + n·m·b) arithmetic in Float32 plus O(n·K′·a) in Double (more for rows whose
    ///   certificate fails: O(m·a) each); O(rowsPerTile·(b + blockSize)) memory per worker besides the output.
    public func select(
        left: Matrix<Double>, k: Int, masks: [ColumnMask], rowMasks: [Int32], rowsPerTile: Int = 256, workers: Int? = nil
    ) throws(LearningError) -> Selection {
        let n = left.rowCount
        guard left.columnCount == leftCount else {
            throw .lengthMismatch(what: "left design columns", expected: leftCount, got: left.columnCount)
        }
        guard rowMasks.count == n else { throw .lengthMismatch(what: "row masks", expected: n, got: rowMasks.count) }
        guard k >= 1 else { throw .invalidParameter(name: "k", value: "\(k)", requirement: "must be at least 1") }
        guard rowsPerTile >= 1 else {
            throw .invalidParameter(name: "rowsPerTile", value: "\(rowsPerTile)", requirement: "must be at least 1")
        }
        if let bad = masks.firstIndex(where: { $0.columnCount != columnCount }) {
            throw .lengthMismatch(what: "columns of mask \(bad)", expected: columnCount, got: masks[bad].columnCount)
        }
        if let bad = rowMasks.firstIndex(where: { $0 < -1 || Int($0) >= masks.count }) {
            throw .invalidParameter(name: "rowMasks[\(bad)]", value: "\(rowMasks[bad])", requirement: "must name a mask or be -1")
        }
        if left.storage.contains(where: { !$0.isFinite }) { throw .numerical("the left design holds a value that is not finite") }

        let output = SelectionBuffers(rows: n, k: k)
        let tileCount = (n + rowsPerTile - 1) / rowsPerTile
        let threads = max(1, min(workers ?? ParallelRows.workerCount(rows: n, columns: columnCount * rightCount / 64), tileCount))
        let maskCounts = masks.map { Int32($0.count) }
        // Tiles are handed out in order to whichever worker is free (a worker that loses its core to another thread
        // does not hold the others up); each row's result depends only on its own row.
        let next = TileCounter()
        ParallelRows.run(workers: threads) { _ in
            let space = TopKWorkspace(
                rowsPerTile: min(rowsPerTile, n), k: k, kept: Self.screenedCount(k: k), leftCount: leftCount,
                rightCount: rightCount, blockSize: blockSize)
            while case let tile = next.take(), tile < tileCount {
                let rows = (tile * rowsPerTile)..<min(n, (tile + 1) * rowsPerTile)
                space.run(self, left: left, rows: rows, masks: masks, rowMasks: rowMasks, maskCounts: maskCounts, into: output)
            }
        }
        return output.selection()
    }
}

/// The next tile to take, shared by the workers of one call.
private final class TileCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()

    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}

/// The output arrays, written by the workers at disjoint rows.
final class SelectionBuffers: @unchecked Sendable {
    let rows: Int, k: Int
    let columns: UnsafeMutablePointer<Int32>
    let margins: UnsafeMutablePointer<Double>
    let counts: UnsafeMutablePointer<Int32>
    let eligible: UnsafeMutablePointer<Int32>
    let exhaustive: UnsafeMutablePointer<Bool>

    init(rows: Int, k: Int) {
        self.rows = rows
        self.k = k
        columns = .allocate(capacity: max(1, rows * k))
        margins = .allocate(capacity: max(1, rows * k))
        counts = .allocate(capacity: max(1, rows))
        eligible = .allocate(capacity: max(1, rows))
        exhaustive = .allocate(capacity: max(1, rows))
        columns.initialize(repeating: -1, count: max(1, rows * k))
        margins.initialize(repeating: 0, count: max(1, rows * k))
        counts.initialize(repeating: 0, count: max(1, rows))
        eligible.initialize(repeating: 0, count: max(1, rows))
        exhaustive.initialize(repeating: false, count: max(1, rows))
    }

    deinit {
        columns.deallocate()
        margins.deallocate()
        counts.deallocate()
        eligible.deallocate()
        exhaustive.deallocate()
    }

    func selection() -> BilinearTopK.Selection {
        BilinearTopK.Selection(
            rowCount: rows, k: k, columns: Array(UnsafeBufferPointer(start: columns, count: rows * k)),
            margins: Array(UnsafeBufferPointer(start: margins, count: rows * k)),
            counts: Array(UnsafeBufferPointer(start: counts, count: rows)),
            eligibleCounts: Array(UnsafeBufferPointer(start: eligible, count: rows)),
            exhaustiveRows: UnsafeBufferPointer(start: exhaustive, count: rows).reduce(0) { $0 + ($1 ? 1 : 0) })
    }
}

/// One worker's buffers, reused for every tile it takes.
final class TopKWorkspace {
    /// The selection size and the screened count K′ ≥ k.
    let k: Int, kept: Int
    var left32: Matrix<Float>
    var projected32: Matrix<Float>
    var scores: Matrix<Float>
    /// Per row of the tile: the kept columns and Float32 scores so far, best first (K′ slots per row).
    var bestColumns: [Int32]
    var bestScores: [Float]
    var bestCounts: [Int]
    /// The current row's nonzero entries of l (a each), a bound's scratch (b), and its ranked columns with their
    /// canonical margins (k each).
    let nonzeroIndices: UnsafeMutablePointer<Int32>
    let nonzeroValues: UnsafeMutablePointer<Double>
    let bound: UnsafeMutablePointer<Double>
    let rankedColumns: UnsafeMutablePointer<Int32>
    let rankedMargins: UnsafeMutablePointer<Double>

    init(rowsPerTile: Int, k: Int, kept: Int, leftCount: Int, rightCount: Int, blockSize: Int) {
        self.k = k
        self.kept = kept
        left32 = Matrix(rowCount: rowsPerTile, columnCount: leftCount)
        projected32 = Matrix(rowCount: rowsPerTile, columnCount: rightCount)
        scores = Matrix(rowCount: rowsPerTile, columnCount: blockSize)
        bestColumns = [Int32](repeating: -1, count: rowsPerTile * kept)
        bestScores = [Float](repeating: -.infinity, count: rowsPerTile * kept)
        bestCounts = [Int](repeating: 0, count: rowsPerTile)
        nonzeroIndices = .allocate(capacity: max(1, leftCount))
        nonzeroValues = .allocate(capacity: max(1, leftCount))
        bound = .allocate(capacity: max(1, rightCount))
        rankedColumns = .allocate(capacity: k)
        rankedMargins = .allocate(capacity: k)
    }

    deinit {
        nonzeroIndices.deallocate()
        nonzeroValues.deallocate()
        bound.deallocate()
        rankedColumns.deallocate()
        rankedMargins.deallocate()
    }

    func run(
        _ scorer: BilinearTopK, left: Matrix<Double>, rows: Range<Int>, masks: [ColumnMask], rowMasks: [Int32],
        maskCounts: [Int32], into output: SelectionBuffers
    ) {
        let count = rows.count, a = scorer.leftCount
        if count != left32.rowCount {
            left32 = Matrix(rowCount: count, columnCount: a)
            projected32 = Matrix(rowCount: count, columnCount: scorer.rightCount)
        }
        if bestCounts.count < count {
            bestColumns = [Int32](repeating: -1, count: count * kept)
            bestScores = [Float](repeating: -.infinity, count: count * kept)
            bestCounts = [Int](repeating: 0, count: count)
        }
        let kept = self.kept
        bestScores.withUnsafeMutableBufferPointer { best in
            for t in 0..<(count * kept) { best[t] = -.infinity }
        }
        bestCounts.withUnsafeMutableBufferPointer { counts in
            for r in 0..<count { counts[r] = 0 }
        }
        if scorer.screens {
            left.storage.withUnsafeBufferPointer { source in
                left32.storage.withUnsafeMutableBufferPointer { target in
                    let offset = rows.lowerBound * a
                    for t in 0..<(count * a) { target[t] = Float(source[offset + t]) }
                }
            }
            try! BLAS.gemm(left32, scorer.interaction32, into: &projected32)
            if scores.rowCount != count { scores = Matrix(rowCount: count, columnCount: scorer.blockSize) }
            for (index, block) in scorer.blocks32.enumerated() {
                let start = index * scorer.blockSize
                try! BLAS.gemm(projected32, block, transposeB: true, into: &scores)
                scan(
                    block: start, width: min(scorer.blockSize, scorer.columnCount - start), rows: rows, masks: masks,
                    rowMasks: rowMasks)
            }
        }
        for r in 0..<count {
            let i = rows.lowerBound + r
            let maskIndex = Int(rowMasks[i])
            let eligible = maskIndex < 0 ? scorer.columnCount : Int(maskCounts[maskIndex])
            let (picked, exhaustive) = select(
                scorer, left: left, row: i, slot: r, eligible: eligible, mask: maskIndex < 0 ? nil : masks[maskIndex])
            output.exhaustive[i] = exhaustive
            for s in 0..<picked {
                output.columns[i * k + s] = rankedColumns[s]
                output.margins[i * k + s] = rankedMargins[s]
            }
            output.counts[i] = Int32(picked)
            output.eligible[i] = Int32(eligible)
        }
    }

    /// Row i's exact selection, left in `rankedColumns` and `rankedMargins` (returns how many): the certified top k
    /// of its screened columns, or the top k of all its eligible columns by canonical margin when the certificate
    /// fails (`exhaustive`).
    private func select(
        _ scorer: BilinearTopK, left: Matrix<Double>, row i: Int, slot r: Int, eligible: Int, mask: ColumnMask?
    ) -> (count: Int, exhaustive: Bool) {
        let a = scorer.leftCount, b = scorer.rightCount, k = self.k, kept = self.kept
        let nonzeroIndices = self.nonzeroIndices, nonzeroValues = self.nonzeroValues
        let rankedColumns = self.rankedColumns, rankedMargins = self.rankedMargins
        // The row's nonzero entries, in ascending index (the canonical sum skips the zeros).
        var nonzeros = 0, leftL1 = 0.0, leftMax = 0.0
        left.storage.withUnsafeBufferPointer { storage in
            for p in 0..<a {
                let value = storage[i * a + p]
                if value != 0 {
                    nonzeroIndices[nonzeros] = Int32(p)
                    nonzeroValues[nonzeros] = value
                    nonzeros += 1
                    leftL1 += abs(value)
                    leftMax = max(leftMax, abs(value))
                }
            }
        }
        // The running top k by (canonical margin descending, column ascending), by insertion.
        var rankedCount = 0
        @inline(__always) func insert(_ margin: Double, _ column: Int) {
            let entry = Int32(column)
            @inline(__always) func before(_ slot: Int) -> Bool {
                let other = rankedMargins[slot]
                return margin != other ? margin > other : entry < rankedColumns[slot]
            }
            if rankedCount == k && !before(k - 1) { return }
            var slot = rankedCount == k ? k - 1 : rankedCount
            while slot > 0 && before(slot - 1) {
                rankedMargins[slot] = rankedMargins[slot - 1]
                rankedColumns[slot] = rankedColumns[slot - 1]
                slot -= 1
            }
            rankedMargins[slot] = margin
            rankedColumns[slot] = entry
            if rankedCount < k { rankedCount += 1 }
        }
        // The top k of `columns`, every one's canonical margin computed.
        func ranked(_ columns: some Sequence<Int>) -> Int {
            rankedCount = 0
            scorer.exact.projected.storage.withUnsafeBufferPointer { v in
                for column in columns {
                    insert(
                        canonicalMargin(
                            nonzeroIndices: nonzeroIndices, values: nonzeroValues, count: nonzeros, v.baseAddress! + column * a),
                        column)
                }
            }
            return rankedCount
        }
        let filled = bestCounts[r]
        let screened = scorer.screens && leftMax < 1e30
        // The top k of the kept columns. They are held by Float32 score descending; with `delta` a bound on
        // |s̃ − m| for every column, a column with s̃ + δ below the k-th canonical margin so far has a smaller margin
        // than k columns already ranked, and so have all after it: the rest are not computed. Margins are computed
        // four columns at a time (each the same fixed-order sum).
        func rankedKept(delta: Double?) -> Int {
            rankedCount = 0
            return scorer.exact.projected.storage.withUnsafeBufferPointer { v in
                bestColumns.withUnsafeBufferPointer { best in
                    bestScores.withUnsafeBufferPointer { scores in
                        var s = 0
                        while s < filled {
                            if let delta, rankedCount == k, Double(scores[r * kept + s]) + delta < rankedMargins[k - 1] {
                                break
                            }
                            if filled - s >= 4 {
                                let c0 = Int(best[r * kept + s]), c1 = Int(best[r * kept + s + 1])
                                let c2 = Int(best[r * kept + s + 2]), c3 = Int(best[r * kept + s + 3])
                                let m = canonicalMargins(
                                    nonzeroIndices: nonzeroIndices, values: nonzeroValues, count: nonzeros,
                                    v.baseAddress! + c0 * a, v.baseAddress! + c1 * a, v.baseAddress! + c2 * a,
                                    v.baseAddress! + c3 * a)
                                insert(m.0, c0)
                                insert(m.1, c1)
                                insert(m.2, c2)
                                insert(m.3, c3)
                                s += 4
                            } else {
                                let column = Int(best[r * kept + s])
                                insert(
                                    canonicalMargin(
                                        nonzeroIndices: nonzeroIndices, values: nonzeroValues, count: nonzeros,
                                        v.baseAddress! + column * a),
                                    column)
                                s += 1
                            }
                        }
                        return rankedCount
                    }
                }
            }
        }
        if screened && eligible <= filled {
            // Every eligible column was kept.
            return (rankedKept(delta: nil), false)
        }
        if screened && filled == kept {
            // rᵢ = |φᵢ|ᵀ|W|, its norms, and the certificate t + δᵢ < k-th kept margin.
            let bound = self.bound
            for q in 0..<b { bound[q] = 0 }
            scorer.absoluteInteraction.withUnsafeBufferPointer { absolute in
                for t in 0..<nonzeros {
                    let row = absolute.baseAddress! + Int(nonzeroIndices[t]) * b, weight = abs(nonzeroValues[t])
                    for q in 0..<b { bound[q] += weight * row[q] }
                }
            }
            var squares = 0.0, sum = 0.0
            for q in 0..<b {
                squares += bound[q] * bound[q]
                sum += bound[q]
            }
            let norm = squares.squareRoot()
            if 4 * norm * scorer.rightNormMax < 1e37 {
                let unit = 0x1p-24 * Double(a + b + 4)
                let gamma = unit / (1 - unit)
                let tiny =
                    0x1p-148
                    * ((Double(a) * (scorer.interactionMax + 1) + leftL1) * scorer.rightL1Max + 2 * sum + Double(b))
                let delta = 2 * gamma * norm * scorer.rightNormMax + tiny
                let threshold = Double(bestScores[r * kept + kept - 1])
                let count = rankedKept(delta: unit < 0.5 ? delta : nil)
                if unit < 0.5 && count == k && rankedMargins[k - 1] > threshold + delta {
                    return (count, false)
                }
            }
        }
        // No certificate: every eligible column, exactly.
        if let mask { return (ranked(mask.columns), true) }
        return (ranked(0..<scorer.columnCount), true)
    }

    /// Lane i's bit, 1 << i: a 16-lane compare's result as 16 bits.
    private let laneBits = SIMD16<UInt32>(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)

    /// Folds the first `width` columns of the score tile (columns `start..<start+width` of S) into the rows' top k.
    private func scan(block start: Int, width: Int, rows: Range<Int>, masks: [ColumnMask], rowMasks: [Int32]) {
        let k = self.kept, stride = scores.columnCount
        scores.storage.withUnsafeBufferPointer { tile in
            bestScores.withUnsafeMutableBufferPointer { bestScores in
                bestColumns.withUnsafeMutableBufferPointer { bestColumns in
                    for r in 0..<rows.count {
                        let maskIndex = Int(rowMasks[rows.lowerBound + r])
                        let maskWords = maskIndex < 0 ? [] : masks[maskIndex].words
                        let rowScores = tile.baseAddress! + r * stride
                        var filled = bestCounts[r]
                        let best = bestScores.baseAddress! + r * k, bestColumn = bestColumns.baseAddress! + r * k
                        @inline(__always) func offer(_ j: Int) {
                            let score = rowScores[j]
                            // Strictly better than the k-th (columns come in ascending order, so an equal score
                            // loses the tie to the column already held).
                            if filled == k && !(score > best[k - 1]) { return }
                            var slot = filled == k ? k - 1 : filled
                            while slot > 0 && score > best[slot - 1] {
                                best[slot] = best[slot - 1]
                                bestColumn[slot] = bestColumn[slot - 1]
                                slot -= 1
                            }
                            best[slot] = score
                            bestColumn[slot] = Int32(start + j)
                            if filled < k { filled += 1 }
                        }
                        var group = 0
                        while group < width {
                            let groupWidth = min(64, width - group)
                            var bits: UInt64 =
                                maskIndex < 0
                                ? (groupWidth == 64 ? ~0 : (1 << UInt64(groupWidth)) - 1)
                                : maskWords[(start + group) >> 6]
                            if bits != 0 {
                                if filled == k && groupWidth == 64 {
                                    // Vector compares against the k-th best: only the columns above it stay in the
                                    // mask (the k-th best only rises, so no column dropped could have entered).
                                    let threshold = SIMD16<Float>(repeating: best[k - 1])
                                    let raw = UnsafeRawPointer(rowScores + group)
                                    for quarter in 0..<4 {
                                        let above =
                                            raw.loadUnaligned(fromByteOffset: 64 * quarter, as: SIMD16<Float>.self) .> threshold
                                        let lanes =
                                            any(above)
                                            ? UInt64(SIMD16<UInt32>(repeating: 0).replacing(with: laneBits, where: above).wrappedSum())
                                            : 0
                                        bits &= ~((0xFFFF & ~lanes) << UInt64(16 * quarter))
                                    }
                                }
                                while bits != 0 {
                                    offer(group + bits.trailingZeroBitCount)
                                    bits &= bits - 1
                                }
                            }
                            group += 64
                        }
                        bestCounts[r] = filled
                    }
                }
            }
        }
    }
}
