import LinearAlgebra
import Testing
import TestSupport

@testable import Learning

/// The masked top-k selection against scoring every pair with naive loops in Double and sorting.
@Suite("Bilinear top-k scoring")
struct BilinearTopKTests {
    struct Instance {
        var left: Matrix<Double>
        var interaction: Matrix<Double>
        var right: Matrix<Double>
        var masks: [ColumnMask]
        var rowMasks: [Int32]
    }

    /// Gaussian L, W, R; a few random masks (one empty, one full) and rows spread over them and "all" (-1).
    static func instance(rows n: Int, columns m: Int, left a: Int, right b: Int, seed: UInt64) -> Instance {
        var rng = SeededGenerator(seed: seed)
        let left: Matrix<Double> = randomMatrix(n, a, using: &rng)
        let interaction: Matrix<Double> = randomMatrix(a, b, using: &rng)
        let right: Matrix<Double> = randomMatrix(m, b, using: &rng)
        var masks = [ColumnMask(columnCount: m, full: false), ColumnMask(columnCount: m, full: true)]
        for density in [0.02, 0.3, 0.8] {
            masks.append(ColumnMask(columnCount: m, columns: (0..<m).filter { _ in rng.nextUniform() < density }))
        }
        let rowMasks = (0..<n).map { _ in Int32(Int(rng.nextUniform() * Double(masks.count + 1)) - 1) }
        return Instance(left: left, interaction: interaction, right: right, masks: masks, rowMasks: rowMasks)
    }

    /// Every eligible pair's margin by loops, sorted best first (ties: lower column), cut to k.
    static func naive(_ x: Instance, k: Int) -> [[(column: Int, margin: Double)]] {
        let a = x.left.columnCount, b = x.right.columnCount, m = x.right.rowCount
        return (0..<x.left.rowCount).map { i in
            var all: [(column: Int, margin: Double)] = []
            for j in 0..<m {
                let mask = x.rowMasks[i]
                if mask >= 0 && !x.masks[Int(mask)].contains(j) { continue }
                var margin = 0.0
                for p in 0..<a {
                    for q in 0..<b {
                        margin += x.left.storage[i * a + p] * x.interaction.storage[p * b + q] * x.right.storage[j * b + q]
                    }
                }
                all.append((j, margin))
            }
            all.sort { $0.margin != $1.margin ? $0.margin > $1.margin : $0.column < $1.column }
            return Array(all.prefix(k))
        }
    }

    static func expectMatches(_ selection: BilinearTopK.Selection, _ expected: [[(column: Int, margin: Double)]], _ x: Instance) {
        #expect(selection.rowCount == expected.count)
        for i in 0..<expected.count {
            let got = selection.row(i)
            #expect(got.map(\.column) == expected[i].map(\.column), "row \(i)")
            for (g, e) in zip(got, expected[i]) { #expect(isClose(g.margin, e.margin, absolute: 1e-10, relative: 1e-10)) }
            let mask = x.rowMasks[i]
            #expect(Int(selection.eligibleCounts[i]) == (mask < 0 ? x.right.rowCount : x.masks[Int(mask)].count))
        }
    }

    @Test(
        "equals naive scoring: masks, several blocks, a short last block and tile, k beyond the eligible set",
        arguments: [(1, 64), (3, 64), (5, 128), (40, 1024)])
    func matchesNaive(k: Int, blockSize: Int) throws {
        for seed in UInt64(1)...3 {
            let x = Self.instance(rows: 157, columns: 300, left: 9, right: 7, seed: seed * 31 + UInt64(k))
            let scorer = try BilinearTopK(interaction: x.interaction, right: x.right, blockSize: blockSize)
            let selection = try scorer.select(left: x.left, k: k, masks: x.masks, rowMasks: x.rowMasks, rowsPerTile: 50)
            Self.expectMatches(selection, Self.naive(x, k: k), x)
        }
    }

    @Test(
        "sparse and all-zero rows, columns repeated in threes (ties at the k-th place): equals naive",
        arguments: [1, 2, 6, 31])
    func sparseRowsAndTies(k: Int) throws {
        var x = Self.instance(rows: 211, columns: 257, left: 10, right: 6, seed: 100 + UInt64(k))
        var rng = SeededGenerator(seed: UInt64(k))
        // Mostly zero rows, as one-hot encodings are, and every 17th row all zero (every margin 0: ties throughout).
        for t in x.left.storage.indices where rng.nextUniform() < 0.7 { x.left.storage[t] = 0 }
        for i in stride(from: 0, to: 211, by: 17) { for p in 0..<10 { x.left.storage[i * 10 + p] = 0 } }
        for j in stride(from: 0, to: 255, by: 3) {
            for copy in (j + 1)...(j + 2) { for q in 0..<6 { x.right.storage[copy * 6 + q] = x.right.storage[j * 6 + q] } }
        }
        let scorer = try BilinearTopK(interaction: x.interaction, right: x.right, blockSize: 64)
        for workers in [1, 2] {
            let selection = try scorer.select(
                left: x.left, k: k, masks: x.masks, rowMasks: x.rowMasks, rowsPerTile: 37, workers: workers)
            Self.expectMatches(selection, Self.naive(x, k: k), x)
        }
    }

    @Test("the same output whatever the number of workers and the tile height")
    func deterministic() throws {
        let x = Self.instance(rows: 1000, columns: 700, left: 12, right: 10, seed: 7)
        let scorer = try BilinearTopK(interaction: x.interaction, right: x.right, blockSize: 256)
        let one = try scorer.select(left: x.left, k: 5, masks: x.masks, rowMasks: x.rowMasks, rowsPerTile: 64, workers: 1)
        let two = try scorer.select(left: x.left, k: 5, masks: x.masks, rowMasks: x.rowMasks, rowsPerTile: 64, workers: 2)
        let three = try scorer.select(left: x.left, k: 5, masks: x.masks, rowMasks: x.rowMasks, rowsPerTile: 64, workers: 3)
        #expect(one == two && two == three)
        Self.expectMatches(one, Self.naive(x, k: 5), x)
    }

    @Test("equal scores go to the lower column")
    func ties() throws {
        var x = Self.instance(rows: 20, columns: 130, left: 4, right: 4, seed: 11)
        // Columns 100..<130 copy column 7: equal scores wherever 7 is selected.
        for j in 100..<130 { for q in 0..<4 { x.right.storage[j * 4 + q] = x.right.storage[7 * 4 + q] } }
        x.rowMasks = [Int32](repeating: -1, count: 20)
        let scorer = try BilinearTopK(interaction: x.interaction, right: x.right, blockSize: 64)
        let selection = try scorer.select(left: x.left, k: 130, masks: [], rowMasks: x.rowMasks)
        for i in 0..<20 {
            let columns = selection.row(i).map(\.column)
            let copies = columns.filter { $0 == 7 || $0 >= 100 }
            #expect(copies == [7] + Array(100..<130), "row \(i): \(copies)")
        }
        Self.expectMatches(selection, Self.naive(x, k: 130), x)
    }

    @Test("the certificate: identical columns (every score tied) send every row to exhaustive ranking; distinct ones none")
    func exhaustiveRows() throws {
        var x = Self.instance(rows: 30, columns: 300, left: 5, right: 4, seed: 13)
        x.rowMasks = [Int32](repeating: -1, count: 30)
        let distinct = try BilinearTopK(interaction: x.interaction, right: x.right, blockSize: 64)
            .select(left: x.left, k: 3, masks: x.masks, rowMasks: x.rowMasks)
        Self.expectMatches(distinct, Self.naive(x, k: 3), x)
        #expect(distinct.exhaustiveRows == 0)
        for j in 0..<300 {
            for q in 0..<4 { x.right.storage[j * 4 + q] = x.right.storage[q] }
        }
        let tied = try BilinearTopK(interaction: x.interaction, right: x.right, blockSize: 64)
            .select(left: x.left, k: 3, masks: x.masks, rowMasks: x.rowMasks)
        Self.expectMatches(tied, Self.naive(x, k: 3), x)
        #expect(tied.exhaustiveRows == 30)
        for i in 0..<30 { #expect(tied.row(i).map(\.column) == [0, 1, 2]) }
    }

    @Test("empty inputs: no rows, no columns, an empty mask")
    func empty() throws {
        let x = Self.instance(rows: 5, columns: 70, left: 3, right: 3, seed: 3)
        let scorer = try BilinearTopK(interaction: x.interaction, right: x.right)
        let none = try scorer.select(left: Matrix(rowCount: 0, columnCount: 3), k: 5, masks: [], rowMasks: [])
        #expect(none.rowCount == 0 && none.counts.isEmpty)
        let emptyMask = try scorer.select(
            left: x.left, k: 5, masks: [ColumnMask(columnCount: 70, full: false)], rowMasks: [Int32](repeating: 0, count: 5))
        #expect(emptyMask.counts.allSatisfy { $0 == 0 } && emptyMask.eligibleCounts.allSatisfy { $0 == 0 })
        let noColumns = try BilinearTopK(interaction: x.interaction, right: Matrix(rowCount: 0, columnCount: 3))
        let nothing = try noColumns.select(left: x.left, k: 2, masks: [], rowMasks: [Int32](repeating: -1, count: 5))
        #expect(nothing.counts.allSatisfy { $0 == 0 })
    }

    @Test("rejects bad shapes, k < 1, unknown masks and non-finite values")
    func validation() throws {
        let x = Self.instance(rows: 4, columns: 10, left: 3, right: 2, seed: 5)
        let scorer = try BilinearTopK(interaction: x.interaction, right: x.right)
        #expect(throws: LearningError.self) { try scorer.select(left: x.left, k: 0, masks: [], rowMasks: [-1, -1, -1, -1]) }
        #expect(throws: LearningError.self) { try scorer.select(left: x.left, k: 1, masks: [], rowMasks: [-1, 0, -1, -1]) }
        #expect(throws: LearningError.self) { try scorer.select(left: x.left, k: 1, masks: [], rowMasks: [-1]) }
        var bad = x.left
        bad.storage[2] = .nan
        #expect(throws: LearningError.self) { try scorer.select(left: bad, k: 1, masks: [], rowMasks: [-1, -1, -1, -1]) }
        #expect(throws: LearningError.self) { try BilinearTopK(interaction: x.interaction, right: x.left) }
    }

    @Test("masks: set operations against a plain set")
    func masks() {
        var rng = SeededGenerator(seed: 9)
        for m in [0, 1, 63, 64, 65, 200] {
            let a = Set((0..<m).filter { _ in rng.nextUniform() < 0.4 }), b = Set((0..<m).filter { _ in rng.nextUniform() < 0.6 })
            let ma = ColumnMask(columnCount: m, columns: a), mb = ColumnMask(columnCount: m, columns: b)
            #expect(ma.columns == a.sorted() && ma.count == a.count)
            #expect(ma.intersection(mb).columns == a.intersection(b).sorted())
            #expect(ColumnMask(columnCount: m, full: true).count == m)
            #expect(ma.isEmpty == a.isEmpty)
        }
    }
}
