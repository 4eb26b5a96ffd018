import LinearAlgebra
import Testing

@testable import Learning

/// `BilinearTopK` against a brute-force reference written here with plain loops in the canonical order
/// (vⱼ[p] = Σ_q W[p,q]·ψⱼ[q] ascending q; margin = Σ_p φ[p]·vⱼ[p] ascending p, zeros skipped): the selected columns
/// and their margins must be equal bit for bit, for every tile size, worker count and split of the rows into calls.
@Suite("Canonical bilinear selection")
struct CanonicalSelectionTests {
    struct Instance {
        var w: Matrix<Double>, right: Matrix<Double>, left: Matrix<Double>
        var masks: [ColumnMask], rowMasks: [Int32]
    }

    /// Random W, R and sparse L; columns 100..<160 repeat columns 0..<60 (exact ties), and columns 160..<220 are
    /// columns 0..<60 moved by 1e-9 relative (closer than Float32 can tell apart: the certificate must fail there).
    static func instance(seed: UInt64, rows: Int = 300) -> Instance {
        var rng = SeededGenerator(seed: seed)
        let a = 14, b = 9, m = 260
        let w = try! Matrix(rowCount: a, columnCount: b, storage: (0..<(a * b)).map { _ in rng.nextGaussian() })
        var r = (0..<(m * b)).map { _ in rng.nextGaussian() }
        for j in 100..<160 { for q in 0..<b { r[j * b + q] = r[(j - 100) * b + q] } }
        for j in 160..<220 { for q in 0..<b { r[j * b + q] = r[(j - 160) * b + q] * (1 + 1e-9 * rng.nextGaussian()) } }
        let right = try! Matrix(rowCount: m, columnCount: b, storage: r)
        let left = try! Matrix(
            rowCount: rows, columnCount: a,
            storage: (0..<(rows * a)).map { index in
                index % a == 0 ? 1 : rng.nextUniform() < 0.5 ? 0 : rng.nextGaussian() * 3
            })
        let masks = (0..<3).map { _ in ColumnMask(columnCount: m, columns: (0..<m).filter { _ in rng.nextUniform() < 0.6 }) }
        let rowMasks = (0..<rows).map { _ in Int32(Int(rng.nextUniform() * 4) - 1) }
        return Instance(w: w, right: right, left: left, masks: masks, rowMasks: rowMasks)
    }

    /// The canonical margin by the definition.
    static func canonical(_ x: Instance, row i: Int, column j: Int) -> Double {
        let a = x.w.rowCount, b = x.w.columnCount
        var total = 0.0
        for p in 0..<a where x.left.storage[i * a + p] != 0 {
            var v = 0.0
            for q in 0..<b { v += x.w.storage[p * b + q] * x.right.storage[j * b + q] }
            total += x.left.storage[i * a + p] * v
        }
        return total
    }

    /// The first k eligible columns by (canonical margin descending, column ascending).
    static func reference(_ x: Instance, k: Int) -> [[(column: Int, margin: Double)]] {
        (0..<x.left.rowCount).map { i in
            let mask = x.rowMasks[i]
            let columns = (0..<x.right.rowCount).filter { mask < 0 || x.masks[Int(mask)].contains($0) }
            let all = columns.map { (column: $0, margin: canonical(x, row: i, column: $0)) }
            return Array(all.sorted { $0.margin != $1.margin ? $0.margin > $1.margin : $0.column < $1.column }.prefix(k))
        }
    }

    static func expectSame(
        _ got: [[(column: Int, margin: Double)]], _ expected: [[(column: Int, margin: Double)]], _ label: String
    ) {
        #expect(got.count == expected.count)
        var mismatches = 0
        for (i, (g, e)) in zip(got, expected).enumerated()
        where g.map(\.column) != e.map(\.column) || g.map(\.margin.bitPattern) != e.map(\.margin.bitPattern) {
            mismatches += 1
            if mismatches <= 3 { Issue.record("\(label) row \(i): got \(g.prefix(4)), expected \(e.prefix(4))") }
        }
        #expect(mismatches == 0, "\(label): \(mismatches) rows differ from the canonical reference")
    }

    @Test(arguments: [(1 as UInt64, 1), (2, 5), (3, 12), (4, 40)])
    func selectionIsTheCanonicalTopKForAnyTileWorkerAndChunk(seed: UInt64, k: Int) throws {
        let x = Self.instance(seed: seed)
        let expected = Self.reference(x, k: k)
        let scorer = try BilinearTopK(interaction: x.w, right: x.right, blockSize: 64)
        for (rowsPerTile, workers) in [(1, 1), (7, 2), (64, 3), (256, 1), (300, 2)] {
            let selection = try scorer.select(
                left: x.left, k: k, masks: x.masks, rowMasks: x.rowMasks, rowsPerTile: rowsPerTile, workers: workers)
            Self.expectSame(
                (0..<x.left.rowCount).map { selection.row($0) }, expected, "tile \(rowsPerTile), workers \(workers)")
        }
        // Rows scored in calls of 37 (different GEMM shapes) give the same bytes.
        var chunked: [[(column: Int, margin: Double)]] = []
        for start in stride(from: 0, to: x.left.rowCount, by: 37) {
            let rows = start..<min(x.left.rowCount, start + 37)
            let part = try Matrix(
                rowCount: rows.count, columnCount: x.left.columnCount,
                storage: Array(x.left.storage[(rows.lowerBound * x.left.columnCount)..<(rows.upperBound * x.left.columnCount)]))
            let selection = try scorer.select(
                left: part, k: k, masks: x.masks, rowMasks: Array(x.rowMasks[rows]), workers: 1)
            chunked += (0..<rows.count).map { selection.row($0) }
        }
        Self.expectSame(chunked, expected, "chunks of 37")
        // The single-pair margin is the same Double.
        for i in [0, 17, 299] {
            let a = x.left.columnCount
            for j in [0, 100, 160, 259] {
                #expect(
                    scorer.margin(left: x.left.storage[(i * a)..<((i + 1) * a)], column: j).bitPattern
                        == Self.canonical(x, row: i, column: j).bitPattern)
            }
        }
    }

    /// Pairwise margins (training metrics, `MatchModel.probabilities`) use the same canonical order.
    @Test func pairMarginsAreCanonical() throws {
        let x = Self.instance(seed: 9, rows: 260)
        let model = BilinearLogisticRegression(
            leftCount: x.w.rowCount, rightCount: x.w.columnCount, interaction: x.w.storage)
        let margins = try model.margins(left: x.left, right: x.right)
        for i in 0..<260 { #expect(margins[i].bitPattern == Self.canonical(x, row: i, column: i).bitPattern) }
        let all = try BilinearMargins(interaction: x.w, right: x.right).margins(left: x.left, workers: 3)
        for i in stride(from: 0, to: 260, by: 13) {
            for j in stride(from: 0, to: 260, by: 11) {
                #expect(all.storage[i * 260 + j].bitPattern == Self.canonical(x, row: i, column: j).bitPattern)
            }
        }
    }

    /// The screening bound: every Float32 score of U·Rᵀ (through BLAS, as the screen forms it) lies within δᵢ of the
    /// canonical margin, on random instances with wide dynamic ranges.
    @Test(arguments: [11 as UInt64, 12, 13])
    func float32ScoresLieWithinTheCertifiedBound(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let a = 30, b = 20, m = 200, n = 50
        func wide() -> Double { rng.nextGaussian() * [0.001, 0.01, 0.1, 1, 10, 100, 1000][Int(rng.nextUniform() * 7)] }
        let w = try Matrix(rowCount: a, columnCount: b, storage: (0..<(a * b)).map { _ in wide() })
        let right = try Matrix(rowCount: m, columnCount: b, storage: (0..<(m * b)).map { _ in wide() })
        let left = try Matrix(rowCount: n, columnCount: a, storage: (0..<(n * a)).map { _ in wide() })
        let x = Instance(w: w, right: right, left: left, masks: [], rowMasks: [])
        let l32 = try Matrix(rowCount: n, columnCount: a, storage: left.storage.map(Float.init))
        let w32 = try Matrix(rowCount: a, columnCount: b, storage: w.storage.map(Float.init))
        let r32 = try Matrix(rowCount: m, columnCount: b, storage: right.storage.map(Float.init))
        var u = Matrix<Float>(rowCount: n, columnCount: b), s = Matrix<Float>(rowCount: n, columnCount: m)
        try BLAS.gemm(l32, w32, into: &u)
        try BLAS.gemm(u, r32, transposeB: true, into: &s)
        let pNorm = (0..<m).map { j in (0..<b).reduce(0.0) { $0 + right.storage[j * b + $1] * right.storage[j * b + $1] } }
            .max()!.squareRoot()
        let unit = 0x1p-24 * Double(a + b + 4)
        var worst = 0.0
        for i in 0..<n {
            var r = [Double](repeating: 0, count: b)
            for p in 0..<a { for q in 0..<b { r[q] += abs(left.storage[i * a + p]) * abs(w.storage[p * b + q]) } }
            let delta = 2 * unit / (1 - unit) * r.reduce(0) { $0 + $1 * $1 }.squareRoot() * pNorm
            for j in 0..<m {
                let error = abs(Double(s.storage[i * m + j]) - Self.canonical(x, row: i, column: j))
                #expect(error <= delta, "row \(i), column \(j): |s̃ − m| = \(error) > δ = \(delta)")
                worst = max(worst, error / delta)
            }
        }
        #expect(worst > 0, "the Float32 scores should differ from the exact ones somewhere")
    }
}
