import Dispatch
import LinearAlgebra

/// The best `k` columns of every row of a bilinear score matrix S = L·W·Rᵀ (S[i][j] = lᵢᵀ·W·rⱼ), each row restricted
/// to a mask of eligible columns, without ever holding S.
///
/// Rows of L are taken in tiles of `rowsPerTile`. For a tile, U = L_tile·W (Float32 GEMM) is formed once; then for
/// each block of `blockSize` right rows the score tile U·R_blockᵀ (Float32 GEMM, tile × block, a few hundred KiB)
/// is scanned while it is in cache: a 64-column group is skipped with one vector compare when the mask excludes it or
/// nothing in it beats the row's current k-th best, and only the rare winners go through an insertion into the row's
/// sorted top k. The selected pairs' margins are then recomputed in Double (U_d = L_tile·W in Double, and one dot
/// product with rⱼ per selected pair), so the reported margins carry no Float32 error; Float32 only decides which
/// columns are selected, and a column whose margin is within Float32 rounding (about 1e-6 relative) of the k-th
/// best may be swapped with it.
///
/// Ties (equal Float32 scores) go to the lower column index; with columns ordered by id that is "ties broken by id".
/// Tiles are split across workers (OpenBLAS pinned to one thread meanwhile) and each row's result depends only on
/// its own tile's arithmetic, which does not depend on the worker count: the output is the same whatever the number
/// of threads.
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
    let interaction64: Matrix<Double>
    let blocks32: [Matrix<Float>]
    let right64: Matrix<Double>

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
        interaction64 = interaction
        interaction32 = try! Matrix(
            rowCount: interaction.rowCount, columnCount: interaction.columnCount, storage: interaction.storage.map(Float.init))
        right64 = right
        let b = right.columnCount
        // Every block holds `blockSize` rows; the last is padded with zero rows, never selected.
        blocks32 = stride(from: 0, to: right.rowCount, by: size).map { start in
            let end = min(right.rowCount, start + size)
            var storage = right.storage[(start * b)..<(end * b)].map(Float.init)
            storage.append(contentsOf: repeatElement(0, count: (start + size - end) * b))
            return try! Matrix(rowCount: size, columnCount: b, storage: storage)
        }
    }

    /// The exact margin lᵀ·W·rⱼ of one left row with one column, by direct sums.
    /// - Complexity: O(a·b).
    public func margin(left: ArraySlice<Double>, column: Int) -> Double {
        precondition(left.count == leftCount && (0..<columnCount).contains(column), "margin: bad row length or column")
        let b = rightCount
        var total = 0.0
        for (p, value) in left.enumerated() where value != 0 {
            var row = 0.0
            for q in 0..<b { row += interaction64.storage[p * b + q] * right64.storage[column * b + q] }
            total += value * row
        }
        return total
    }

    /// The selection for every row of L: `counts[i]` columns, best first, in `columns[i*k..<i*k+counts[i]]` with
    /// their exact (Double) margins in `margins`; `eligibleCounts[i]` is the size of row i's mask.
    public struct Selection: Sendable, Equatable {
        public let rowCount: Int
        public let k: Int
        public var columns: [Int32]
        public var margins: [Double]
        public var counts: [Int32]
        public var eligibleCounts: [Int32]

        /// Row i's selected columns and margins, best first.
        public func row(_ i: Int) -> [(column: Int, margin: Double)] {
            (0..<Int(counts[i])).map { (Int(columns[i * k + $0]), margins[i * k + $0]) }
        }
    }

    /// Selects the best `k` eligible columns of every row of L.
    ///
    /// - Parameters:
    ///   - left: L, n × a.
    ///   - k: how many columns to keep per row (rows with fewer eligible columns keep them all).
    ///   - masks: the distinct eligibility masks (each over `columnCount` columns).
    ///   - rowMasks: for each row, the index of its mask in `masks`, or -1 for every column.
    ///   - rowsPerTile: rows of L per tile.
    ///   - workers: threads to use (default: one per core when the work is large enough).
    /// - Complexity: O(n·a·b + n·m·b) arithmetic, O(rowsPerTile·(b + blockSize)) memory per worker besides the output.
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
        ParallelRows.run(workers: threads) { worker in
            let space = TopKWorkspace(
                rowsPerTile: rowsPerTile, k: k, leftCount: leftCount, rightCount: rightCount, blockSize: blockSize)
            var tile = worker
            while tile < tileCount {
                let rows = (tile * rowsPerTile)..<min(n, (tile + 1) * rowsPerTile)
                space.run(self, left: left, rows: rows, masks: masks, rowMasks: rowMasks, maskCounts: maskCounts, into: output)
                tile += threads
            }
        }
        return output.selection()
    }
}

/// The output arrays, written by the workers at disjoint rows.
final class SelectionBuffers: @unchecked Sendable {
    let rows: Int, k: Int
    let columns: UnsafeMutablePointer<Int32>
    let margins: UnsafeMutablePointer<Double>
    let counts: UnsafeMutablePointer<Int32>
    let eligible: UnsafeMutablePointer<Int32>

    init(rows: Int, k: Int) {
        self.rows = rows
        self.k = k
        columns = .allocate(capacity: max(1, rows * k))
        margins = .allocate(capacity: max(1, rows * k))
        counts = .allocate(capacity: max(1, rows))
        eligible = .allocate(capacity: max(1, rows))
        columns.initialize(repeating: -1, count: max(1, rows * k))
        margins.initialize(repeating: 0, count: max(1, rows * k))
        counts.initialize(repeating: 0, count: max(1, rows))
        eligible.initialize(repeating: 0, count: max(1, rows))
    }

    deinit {
        columns.deallocate()
        margins.deallocate()
        counts.deallocate()
        eligible.deallocate()
    }

    func selection() -> BilinearTopK.Selection {
        BilinearTopK.Selection(
            rowCount: rows, k: k, columns: Array(UnsafeBufferPointer(start: columns, count: rows * k)),
            margins: Array(UnsafeBufferPointer(start: margins, count: rows * k)),
            counts: Array(UnsafeBufferPointer(start: counts, count: rows)),
            eligibleCounts: Array(UnsafeBufferPointer(start: eligible, count: rows)))
    }
}

/// One worker's buffers, reused for every tile it takes.
final class TopKWorkspace {
    let k: Int
    var left32: Matrix<Float>
    var projected32: Matrix<Float>
    var projected64: Matrix<Double>
    var scores: Matrix<Float>
    /// Per row of the tile: the selected columns and Float32 scores so far, best first.
    var bestColumns: [Int32]
    var bestScores: [Float]
    var bestCounts: [Int]

    init(rowsPerTile: Int, k: Int, leftCount: Int, rightCount: Int, blockSize: Int) {
        self.k = k
        left32 = Matrix(rowCount: rowsPerTile, columnCount: leftCount)
        projected32 = Matrix(rowCount: rowsPerTile, columnCount: rightCount)
        projected64 = Matrix(rowCount: rowsPerTile, columnCount: rightCount)
        scores = Matrix(rowCount: rowsPerTile, columnCount: blockSize)
        bestColumns = [Int32](repeating: -1, count: rowsPerTile * k)
        bestScores = [Float](repeating: -.infinity, count: rowsPerTile * k)
        bestCounts = [Int](repeating: 0, count: rowsPerTile)
    }

    func run(
        _ scorer: BilinearTopK, left: Matrix<Double>, rows: Range<Int>, masks: [ColumnMask], rowMasks: [Int32],
        maskCounts: [Int32], into output: SelectionBuffers
    ) {
        let count = rows.count, a = scorer.leftCount
        if count != left32.rowCount {
            left32 = Matrix(rowCount: count, columnCount: a)
            projected32 = Matrix(rowCount: count, columnCount: scorer.rightCount)
            projected64 = Matrix(rowCount: count, columnCount: scorer.rightCount)
        }
        for t in 0..<(count * a) { left32.storage[t] = Float(left.storage[rows.lowerBound * a + t]) }
        try! BLAS.gemm(left32, scorer.interaction32, into: &projected32)
        try! BLAS.gemm(left, aRows: rows, scorer.interaction64, into: &projected64)
        for r in 0..<count {
            bestCounts[r] = 0
            for s in 0..<k { bestScores[r * k + s] = -.infinity }
        }
        if scores.rowCount != count { scores = Matrix(rowCount: count, columnCount: scorer.blockSize) }
        for (index, block) in scorer.blocks32.enumerated() {
            let start = index * scorer.blockSize
            try! BLAS.gemm(projected32, block, transposeB: true, into: &scores)
            scan(
                block: start, width: min(scorer.blockSize, scorer.columnCount - start), rows: rows, masks: masks,
                rowMasks: rowMasks)
        }
        // Exact margins of the selected columns, then best first by them (ties: lower column).
        let b = scorer.rightCount
        for r in 0..<count {
            let i = rows.lowerBound + r
            var picked: [(column: Int32, margin: Double)] = []
            picked.reserveCapacity(bestCounts[r])
            for s in 0..<bestCounts[r] {
                let column = Int(bestColumns[r * k + s])
                let margin = rowDot(projected64.storage, r * b, scorer.right64.storage, column * b, b)
                picked.append((Int32(column), margin))
            }
            picked.sort { $0.margin != $1.margin ? $0.margin > $1.margin : $0.column < $1.column }
            for (s, pick) in picked.enumerated() {
                output.columns[i * k + s] = pick.column
                output.margins[i * k + s] = pick.margin
            }
            output.counts[i] = Int32(picked.count)
            let maskIndex = Int(rowMasks[i])
            output.eligible[i] = maskIndex < 0 ? Int32(scorer.columnCount) : maskCounts[maskIndex]
        }
    }

    /// Folds the first `width` columns of the score tile (columns `start..<start+width` of S) into the rows' top k.
    private func scan(block start: Int, width: Int, rows: Range<Int>, masks: [ColumnMask], rowMasks: [Int32]) {
        let k = self.k, stride = scores.columnCount
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
                                    // Vector compares against the k-th best decide which 16-column quarters can hold
                                    // an entrant; the others leave the mask.
                                    let threshold = SIMD16<Float>(repeating: best[k - 1])
                                    let raw = UnsafeRawPointer(rowScores + group)
                                    for quarter in 0..<4
                                    where !any(
                                        raw.loadUnaligned(fromByteOffset: 64 * quarter, as: SIMD16<Float>.self) .> threshold)
                                    {
                                        bits &= ~(0xFFFF << UInt64(16 * quarter))
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
