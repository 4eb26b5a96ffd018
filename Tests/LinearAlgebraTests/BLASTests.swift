import Testing
@testable import LinearAlgebra
import TestSupport

/// op(a)·op(b) by the textbook triple loop.
func naiveProduct(_ a: Matrix<Double>, transposeA: Bool, _ b: Matrix<Double>, transposeB: Bool) -> Matrix<Double> {
    let opA = transposeA ? a.transposed() : a
    let opB = transposeB ? b.transposed() : b
    var c = Matrix<Double>(rowCount: opA.rowCount, columnCount: opB.columnCount)
    for i in 0..<opA.rowCount {
        for j in 0..<opB.columnCount {
            var sum = 0.0
            for k in 0..<opA.columnCount { sum += opA[i, k] * opB[k, j] }
            c[i, j] = sum
        }
    }
    return c
}

@Suite("BLAS wrappers against naive loops")
struct BLASTests {
    static let shapes: [(Int, Int, Int)] = [
        (0, 0, 0), (0, 3, 2), (3, 0, 2), (2, 3, 0), (1, 1, 1), (1, 5, 1),
        (5, 1, 7), (7, 6, 5), (17, 9, 13), (64, 33, 1),
    ]

    @Test(arguments: 0..<shapes.count, [false, true])
    func gemmMatchesTripleLoop(shapeIndex: Int, transposeB: Bool) throws {
        let (m, n, k) = Self.shapes[shapeIndex]
        var rng = SeededGenerator(seed: UInt64(100 + shapeIndex))
        for transposeA in [false, true] {
            let a: Matrix<Double> = transposeA ? randomMatrix(k, m, using: &rng) : randomMatrix(m, k, using: &rng)
            let b: Matrix<Double> = transposeB ? randomMatrix(n, k, using: &rng) : randomMatrix(k, n, using: &rng)
            let c0: Matrix<Double> = randomMatrix(m, n, using: &rng)
            var c = c0
            try BLAS.gemm(a, transposeA: transposeA, b, transposeB: transposeB, alpha: 1.5, beta: -0.5, into: &c)
            let product = naiveProduct(a, transposeA: transposeA, b, transposeB: transposeB)
            var expected = c0
            for i in expected.storage.indices { expected.storage[i] = 1.5 * product.storage[i] - 0.5 * c0.storage[i] }
            #expect(maxAbsDifference(c.storage, expected.storage) < 1e-12)
        }
    }

    @Test func gemmSinglePrecisionAndRowRange() throws {
        var rng = SeededGenerator(seed: 7)
        let a: Matrix<Float> = randomMatrix(10, 4, Float.self, using: &rng)
        let b: Matrix<Float> = randomMatrix(4, 3, Float.self, using: &rng)
        var c = Matrix<Float>(rowCount: 5, columnCount: 3)
        try BLAS.gemm(a, aRows: 3..<8, b, into: &c)
        for i in 0..<5 {
            for j in 0..<3 {
                var sum: Float = 0
                for k in 0..<4 { sum += a[i + 3, k] * b[k, j] }
                #expect(abs(c[i, j] - sum) < 1e-5)
            }
        }
    }

    @Test func betaZeroIgnoresNaNInOutput() throws {
        let a = try Matrix<Double>(rows: [[1, 2], [3, 4]])
        var c = Matrix<Double>(rowCount: 2, columnCount: 2, repeating: .nan)
        try BLAS.gemm(a, a, beta: 0, into: &c)
        #expect(c.storage == [7, 10, 15, 22])
        var empty = Matrix<Double>(rowCount: 2, columnCount: 2, repeating: .nan)
        try BLAS.gemm(Matrix(rowCount: 2, columnCount: 0), Matrix(rowCount: 0, columnCount: 2), into: &empty)
        #expect(empty.storage == [0, 0, 0, 0])
    }

    @Test func gemmRejectsMismatchedShapes() {
        var c = Matrix<Double>(rowCount: 2, columnCount: 2)
        #expect(throws: LinearAlgebraError.self) {
            try BLAS.gemm(Matrix<Double>(rowCount: 2, columnCount: 3), Matrix<Double>(rowCount: 2, columnCount: 2), into: &c)
        }
        #expect(throws: LinearAlgebraError.self) {
            try BLAS.gemm(
                Matrix<Double>(rowCount: 2, columnCount: 3), aRows: 1..<3, Matrix<Double>(rowCount: 3, columnCount: 2), into: &c)
        }
    }

    @Test(arguments: [(0, 0), (0, 4), (4, 0), (1, 1), (9, 4), (4, 9), (50, 31)])
    func gemvMatchesLoop(rows: Int, columns: Int) throws {
        var rng = SeededGenerator(seed: UInt64(rows * 100 + columns))
        let a: Matrix<Double> = randomMatrix(rows, columns, using: &rng)
        let x: [Double] = randomVector(columns, using: &rng)
        let y0: [Double] = randomVector(rows, using: &rng)
        var y = y0
        try BLAS.gemv(a, x, alpha: 2, beta: 0.25, into: &y)
        for i in 0..<rows {
            var sum = 0.0
            for j in 0..<columns { sum += a[i, j] * x[j] }
            #expect(abs(y[i] - (2 * sum + 0.25 * y0[i])) < 1e-12)
        }
        let xt: [Double] = randomVector(rows, using: &rng)
        var yt = [Double](repeating: 0, count: columns)
        try BLAS.gemv(a, transpose: true, xt, into: &yt)
        for j in 0..<columns {
            var sum = 0.0
            for i in 0..<rows { sum += a[i, j] * xt[i] }
            #expect(abs(yt[j] - sum) < 1e-12)
        }
        if rows >= 3 {
            var part = [Double](repeating: 0, count: rows - 2)
            try BLAS.gemv(a, aRows: 1..<(rows - 1), x, into: &part)
            for i in 0..<(rows - 2) {
                var sum = 0.0
                for j in 0..<columns { sum += a[i + 1, j] * x[j] }
                #expect(abs(part[i] - sum) < 1e-12)
            }
        }
    }

    @Test func gemvRejectsWrongLengths() {
        var y = [0.0, 0.0]
        #expect(throws: LinearAlgebraError.self) { try BLAS.gemv(Matrix<Double>(rowCount: 2, columnCount: 3), [1, 2], into: &y) }
    }

    @Test(arguments: [(0, 3), (3, 0), (1, 1), (12, 5), (5, 12), (40, 40)])
    func syrkMatchesProductWithTranspose(rows: Int, columns: Int) throws {
        var rng = SeededGenerator(seed: UInt64(7 * rows + columns))
        let a: Matrix<Double> = randomMatrix(rows, columns, using: &rng)
        var c = Matrix<Double>(rowCount: columns, columnCount: columns, repeating: 1)
        try BLAS.syrk(a, transpose: true, alpha: 1, beta: 2, into: &c)
        let expected = naiveProduct(a, transposeA: true, a, transposeB: false)
        #expect(maxAbsDifference(c.storage, expected.storage.map { $0 + 2 }) < 1e-12)
        var outer = Matrix<Double>(rowCount: rows, columnCount: rows)
        try BLAS.syrk(a, transpose: false, into: &outer)
        #expect(maxAbsDifference(outer.storage, naiveProduct(a, transposeA: false, a, transposeB: true).storage) < 1e-12)
    }

    @Test(arguments: [0, 1, 2, 17, 1000])
    func levelOneMatchesLoops(count: Int) throws {
        var rng = SeededGenerator(seed: UInt64(count))
        let x: [Double] = randomVector(count, using: &rng)
        var y: [Double] = randomVector(count, using: &rng)
        let y0 = y
        var naiveDot = 0.0, naiveNorm = 0.0
        for i in 0..<count { naiveDot += x[i] * y[i]; naiveNorm += x[i] * x[i] }
        #expect(isClose(try BLAS.dot(x, y), naiveDot, absolute: 1e-12))
        #expect(isClose(try BLAS.nrm2(x), naiveNorm.squareRoot(), absolute: 1e-12))
        try BLAS.axpy(-3, x, &y)
        #expect(maxAbsDifference(y, (0..<count).map { y0[$0] - 3 * x[$0] }) < 1e-12)
        var z = x
        try BLAS.scal(0.5, &z)
        #expect(maxAbsDifference(z, x.map { $0 * 0.5 }) < 1e-15)
        let xf = x.map(Float.init)
        #expect(abs(Double(try BLAS.dot(xf, xf)) - naiveNorm) < 1e-3 * max(1, naiveNorm))
        #expect(throws: LinearAlgebraError.self) { try BLAS.axpy(1, x + [1], &y) }
    }

    @Test func nrm2DoesNotOverflow() throws {
        #expect(isClose(try BLAS.nrm2([3e200, 4e200]), 5e200))
    }

    @Test func openBLASIsPinnedToOneThread() throws {
        var c = Matrix<Double>(rowCount: 2, columnCount: 2)
        try BLAS.gemm(Matrix(rowCount: 2, columnCount: 2), Matrix(rowCount: 2, columnCount: 2), into: &c)
        #expect(BLAS.threadCount == 1)
    }
}

@Suite("Cholesky factor and solve")
struct CholeskyTests {
    @Test(arguments: [1, 2, 5, 30, 100])
    func solvesRandomSPDSystems(order: Int) throws {
        var rng = SeededGenerator(seed: UInt64(order))
        let b: Matrix<Double> = randomMatrix(order + 3, order, using: &rng)
        var a = Matrix<Double>(rowCount: order, columnCount: order)
        try BLAS.syrk(b, into: &a)
        for i in 0..<order { a[i, i] += 0.1 }
        let x: [Double] = randomVector(order, using: &rng)
        var rhs = [Double](repeating: 0, count: order)
        try BLAS.gemv(a, x, into: &rhs)
        let factor = try CholeskyFactor(factoring: a)
        let solved = try factor.solving(rhs)
        #expect(maxAbsDifference(solved, x) < 1e-8)
        // Several right-hand sides at once.
        let many: Matrix<Double> = randomMatrix(order, 3, using: &rng)
        var product = Matrix<Double>(rowCount: order, columnCount: 3)
        try BLAS.gemm(a, many, into: &product)
        #expect(maxAbsDifference(try factor.solving(product).storage, many.storage) < 1e-8)
    }

    @Test func logDeterminantOfDiagonal() throws {
        var a = Matrix<Double>.identity(3)
        a[0, 0] = 2; a[1, 1] = 3; a[2, 2] = 4
        #expect(isClose(try CholeskyFactor(factoring: a).logDeterminant, Kernels.logarithm(24)))
    }

    @Test func rejectsIndefiniteAndNonSquare() {
        let indefinite = try! Matrix<Double>(rows: [[1, 2], [2, 1]])
        #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 2, pivot: 2)) {
            _ = try CholeskyFactor(factoring: indefinite)
        }
        #expect(throws: LinearAlgebraError.self) {
            _ = try CholeskyFactor(factoring: Matrix<Double>(rowCount: 2, columnCount: 3))
        }
        #expect(throws: LinearAlgebraError.self) { _ = try CholeskyFactor(factoring: Matrix<Double>.identity(2)).solving([1]) }
    }

    @Test func emptyMatrixFactors() throws {
        let factor = try CholeskyFactor(factoring: Matrix<Double>(rowCount: 0, columnCount: 0))
        #expect(try factor.solving([]).isEmpty)
    }
}

@Suite("Stable kernels")
struct KernelTests {
    @Test func sigmoidIsStableAndSymmetric() {
        for x in stride(from: -800.0, through: 800.0, by: 7.3) {
            let s = Kernels.sigmoid(x)
            #expect(s.isFinite && s >= 0 && s <= 1)
            #expect(abs(s + Kernels.sigmoid(-x) - 1) < 1e-15)
        }
        #expect(Kernels.sigmoid(0.0) == 0.5)
        #expect(Kernels.sigmoid(-745.0) > 0)
        #expect(abs(Kernels.sigmoid(Float(3)) - Float(Kernels.sigmoid(3.0))) < 1e-6)
    }

    @Test func log1pexpMatchesDirectFormulaWhereThatIsSafe() {
        for x in stride(from: -30.0, through: 30.0, by: 0.37) {
            #expect(
                isClose(Kernels.log1pexp(x), Kernels.logarithm(1 + Kernels.expForTesting(x)), absolute: 1e-15, relative: 1e-12))
        }
        #expect(Kernels.log1pexp(1000.0) == 1000)
        #expect(Kernels.log1pexp(-1000.0) == 0)
        #expect(Kernels.log1pexp(-40.0) > 0)
    }

    @Test func bufferKernelsMatchScalarOnes() {
        var rng = SeededGenerator(seed: 3)
        let x = (0..<257).map { _ in rng.uniform(-50, 50) }
        var y = [Double](repeating: 0, count: x.count)
        Kernels.sigmoid(x, into: &y)
        #expect(y == x.map { Kernels.sigmoid($0) })
        Kernels.log1pexp(x, into: &y)
        #expect(y == x.map { Kernels.log1pexp($0) })
        let xf = x.map(Float.init)
        var yf = [Float](repeating: 0, count: x.count)
        Kernels.sigmoid(xf, into: &yf)
        #expect(maxAbsDifference(yf.map(Double.init), x.map { Kernels.sigmoid($0) }) < 1e-6)
    }
}

@Suite("Seeded generator and matrix basics")
struct MatrixTests {
    @Test func generatorIsDeterministicAndUniform() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let xs = (0..<1000).map { _ in a.nextUniform() }
        #expect(xs == (0..<1000).map { _ in b.nextUniform() })
        #expect(xs != (0..<1000).map { _ in c.nextUniform() })
        let mean = xs.reduce(0, +) / 1000
        #expect(abs(mean - 0.5) < 0.05)
        #expect(xs.allSatisfy { $0 >= 0 && $0 < 1 })
        var g = SeededGenerator(seed: 1)
        let normals = (0..<20000).map { _ in g.nextGaussian() }
        let m = normals.reduce(0, +) / 20000
        let v = normals.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 20000
        #expect(abs(m) < 0.03 && abs(v - 1) < 0.05)
    }

    @Test func constructionTransposeAndGather() throws {
        let m = try Matrix<Double>(rows: [[1, 2, 3], [4, 5, 6]])
        #expect(m.transposed().storage == [1, 4, 2, 5, 3, 6])
        #expect(m.gatheringRows([1, 0, 1]).storage == [4, 5, 6, 1, 2, 3, 4, 5, 6])
        #expect(m.row(1) == [4, 5, 6])
        #expect(throws: LinearAlgebraError.raggedRows(row: 1, expected: 2, got: 1)) {
            _ = try Matrix<Double>(rows: [[1, 2], [3]])
        }
        #expect(throws: LinearAlgebraError.storageSize(expected: 4, got: 3)) {
            _ = try Matrix<Double>(rowCount: 2, columnCount: 2, storage: [1, 2, 3])
        }
        #expect(Matrix<Double>(rowCount: 0, columnCount: 5).isEmpty)
    }
}
