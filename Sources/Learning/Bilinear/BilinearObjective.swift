import LinearAlgebra

/// The shape of the interaction matrix W of a bilinear logistic model.
public enum BilinearForm: Sendable, Equatable, Codable {
    /// W is a full leftCount × rightCount matrix; θ = vec(W), row-major.
    case full
    /// W = U·Vᵀ with U: leftCount × rank and V: rightCount × rank; θ = [vec(U), vec(V)], each row-major.
    case lowRank(Int)
}

/// The L2-regularised logistic loss of a bilinear model over paired rows:
///
///     f(W) = (1/Σsᵢ) · Σᵢ sᵢ · log(1 + exp(−ỹᵢ·φᵢᵀ·W·ψᵢ)) + (λ/2)·‖W‖²_F
///
/// where φᵢ is row i of the left design Φ (n×a), ψᵢ row i of the right design Ψ (n×b), ỹ ∈ {−1, +1} and sᵢ ≥ 0.
/// When `unpenalizedIntercept` is set, both designs carry a constant 1 in column 0 and W₀₀ (the intercept) is left
/// out of the penalty; `penaltyWeights` ωᵢⱼ (full form) scale each entry's share, (λ/2)·Σ ωᵢⱼ·Wᵢⱼ². In the low-rank form W = U·Vᵀ the penalty is (λ/2)·(‖U‖²_F + ‖V‖²_F), whose minimum over
/// factorisations of a fixed W is λ times W's nuclear norm; the problem is then not convex.
///
/// The a·b outer products φᵢ⊗ψᵢ are never formed. Rows are swept in blocks: M = Φ_B·W (gemm), the margins
/// mᵢ = ⟨Mᵢ, ψᵢ⟩, residuals rᵢ = sᵢ·(σ(mᵢ) − yᵢ), and the gradient Φ_Bᵀ·diag(r)·Ψ_B (gemm). A pass costs
/// about 4·n·a·b flops in level-3 BLAS and reads Φ and Ψ once (n·(a + b) numbers) where the explicit design
/// would read n·a·b. In the low-rank form, P = Φ_B·U and Q = Ψ_B·V, mᵢ = ⟨Pᵢ, Qᵢ⟩, ∇U = Φᵀ·diag(r)·Q and
/// ∇V = Ψᵀ·diag(r)·P. In the full form, when most of Φ's columns are indicators (every value 0 or 1, as in one-hot
/// and multi-hot encodings), they are split off (`IndicatorColumns`): their share of Φ_B·W is a sum of W's rows
/// and their share of the gradient adds rᵢ·ψᵢ to rows of ∇W, so the GEMMs only run over Φ's other columns.
/// Blocks are split across workers (OpenBLAS pinned to one thread meanwhile) whose partial
/// sums are added in a fixed order, so results do not depend on scheduling.
///
/// Second order (full form): a gradient pass keeps the curvatures cᵢ = sᵢ·pᵢ·(1 − pᵢ) (pᵢ = σ(mᵢ), sᵢ normalised),
/// and then ∇²f·V = Φᵀ·diag(cᵢ·φᵢᵀ·V·ψᵢ)·Ψ + λ·ω∘V is the same sweep as the gradient with V for W and cᵢ·uᵢ for
/// the residual; `formHessian` sums cᵢ·(φᵢ⊗ψᵢ)(φᵢ⊗ψᵢ)ᵀ over the pairs of nonzero entries of each φᵢ (see
/// `BilinearObjective+Hessian.swift`).
public final class BilinearObjective: HessianVectorObjective, @unchecked Sendable {
    public let sampleCount: Int
    /// a, the left design's column count.
    public let leftCount: Int
    /// b, the right design's column count.
    public let rightCount: Int
    public let form: BilinearForm
    /// λ.
    public let l2Strength: Double
    public let unpenalizedIntercept: Bool
    /// ωⱼ, each parameter's share of the penalty (λ/2)·Σ ωⱼ·θⱼ².
    public let penaltyWeights: [Double]
    public private(set) var passCount = 0
    public internal(set) var hessianPassCount = 0
    /// Whether a gradient pass has left curvatures for the second-order methods.
    var hasCurvature = false
    /// Which left columns pair with which in `formHessian`, and each pair's share of the work; made on first use.
    var hessianPlan: BilinearHessianPlan?
    /// `formHessian` sums at most this many rows, evenly spaced (nil: every row); see there.
    public var hessianRowLimit: Int? = 50_000

    public var parameterCount: Int {
        switch form {
        case .full: leftCount * rightCount
        case .lowRank(let rank): (leftCount + rightCount) * rank
        }
    }

    let left: Matrix<Double>
    let right: Matrix<Double>
    let targets: [Double]
    let normalizedWeights: [Double]
    let workspaces: [BilinearWorkspace]
    /// Φ's indicator columns split off from the others (full form, when that pays), or nil.
    let indicators: IndicatorColumns?

    /// Makes the objective.
    /// - Parameters:
    ///   - left: Φ, n×a. With `unpenalizedIntercept`, column 0 must be all ones.
    ///   - right: Ψ, n×b, row i paired with row i of Φ. With `unpenalizedIntercept`, column 0 must be all ones.
    ///   - sampleWeights: sᵢ ≥ 0 with a positive sum, or nil for all ones.
    /// - Throws: `LearningError` for mismatched lengths, bad weights, λ < 0, a rank < 1, no rows, or a missing
    ///   constant column.
    public init(
        left: Matrix<Double>, right: Matrix<Double>, labels: [Bool], sampleWeights: [Double]? = nil,
        l2Strength: Double, form: BilinearForm = .full, unpenalizedIntercept: Bool = true, penaltyWeights: [Double]? = nil,
        workerCount: Int? = nil
    ) throws(LearningError) {
        let n = left.rowCount
        guard right.rowCount == n else { throw .lengthMismatch(what: "right design rows", expected: n, got: right.rowCount) }
        guard labels.count == n else { throw .lengthMismatch(what: "labels", expected: n, got: labels.count) }
        guard n > 0, left.columnCount > 0, right.columnCount > 0 else { throw .emptyData }
        guard l2Strength >= 0, l2Strength.isFinite else {
            throw .invalidParameter(name: "l2Strength", value: "\(l2Strength)", requirement: "must be finite and >= 0")
        }
        if case .lowRank(let rank) = form, rank < 1 {
            throw .invalidParameter(name: "rank", value: "\(rank)", requirement: "must be >= 1")
        }
        if unpenalizedIntercept {
            for i in 0..<n where left.storage[i * left.columnCount] != 1 || right.storage[i * right.columnCount] != 1 {
                throw .invalidParameter(
                    name: "designs", value: "row \(i) column 0",
                    requirement: "must be 1 in both designs when the intercept W₀₀ is unpenalised")
            }
        }
        for (what, design) in [("left design", left), ("right design", right)] {
            if let index = design.storage.firstIndex(where: { !$0.isFinite }) {
                throw .invalidParameter(
                    name: what, value: "row \(index / design.columnCount) column \(index % design.columnCount)",
                    requirement: "must be finite")
            }
        }
        self.left = left
        self.right = right
        self.sampleCount = n
        self.leftCount = left.columnCount
        self.rightCount = right.columnCount
        self.form = form
        self.l2Strength = l2Strength
        self.unpenalizedIntercept = unpenalizedIntercept
        let width: Int
        switch form {
        case .full: width = left.columnCount * right.columnCount
        case .lowRank(let rank): width = (left.columnCount + right.columnCount) * rank
        }
        var weights = [Double](repeating: 1, count: width)
        if let penaltyWeights {
            guard case .full = form else {
                throw .invalidParameter(name: "penaltyWeights", value: "given", requirement: "apply to the full form only")
            }
            guard penaltyWeights.count == width else {
                throw .lengthMismatch(what: "penalty weights", expected: width, got: penaltyWeights.count)
            }
            if let bad = penaltyWeights.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
                throw .invalidParameter(name: "penaltyWeights", value: "entry \(bad)", requirement: "must be finite and >= 0")
            }
            weights = penaltyWeights
        }
        if unpenalizedIntercept, case .full = form { weights[0] = 0 }
        self.penaltyWeights = weights
        self.targets = labels.map { $0 ? 1 : 0 }
        self.normalizedWeights = try normalized(sampleWeights, count: n)
        if case .full = form { self.indicators = IndicatorColumns(left) } else { self.indicators = nil }
        let workers = max(1, min(workerCount ?? ParallelRows.workerCount(rows: n, columns: width), n))
        // Blocks of about 128 KiB of Φ_B and Ψ_B (134 rows when a + b = 122), so that they, Φ_B·W and diag(r)·Ψ_B
        // stay in a core's L2 cache between the two GEMMs (OpenBLAS packs Φ_B in both): at 61 + 61 columns a pass
        // takes about 20% less time than with 2 MiB blocks.
        let blockRows = max(64, min(4096, 16_384 / max(1, right.columnCount + left.columnCount)))
        self.workspaces = (0..<workers).map { w in
            BilinearWorkspace(
                rows: ParallelRows.range(worker: w, of: workers, rows: n), blockRows: blockRows,
                leftCount: left.columnCount, rightCount: right.columnCount, form: form)
        }
    }

    /// f(θ).
    public func value(at parameters: [Double]) -> Double {
        evaluate(parameters, gradient: nil)
    }

    /// f(θ), writing ∇f(θ) into `gradient`.
    public func value(at parameters: [Double], gradient: inout [Double]) -> Double {
        withUnsafeMutablePointer(to: &gradient) { evaluate(parameters, gradient: $0) }
    }

    /// The interaction matrix W (a×b) of θ.
    public func interaction(_ parameters: [Double]) -> Matrix<Double> {
        precondition(parameters.count == parameterCount, "θ has \(parameters.count) entries; expected \(parameterCount)")
        switch form {
        case .full:
            return try! Matrix(rowCount: leftCount, columnCount: rightCount, storage: parameters)
        case .lowRank(let rank):
            let (u, v) = factors(parameters, rank: rank)
            var w = Matrix<Double>(rowCount: leftCount, columnCount: rightCount)
            try! BLAS.gemm(u, v, transposeB: true, into: &w)
            return w
        }
    }

    func factors(_ parameters: [Double], rank: Int) -> (Matrix<Double>, Matrix<Double>) {
        let split = leftCount * rank
        return (
            try! Matrix(rowCount: leftCount, columnCount: rank, storage: Array(parameters[0..<split])),
            try! Matrix(rowCount: rightCount, columnCount: rank, storage: Array(parameters[split...]))
        )
    }

    /// ∇²f(θ)·v, θ from the last `value(at:gradient:)` call (full form).
    /// - Precondition: the full form, `vector.count == parameterCount`, and a gradient evaluated before.
    /// - Complexity: one sweep over the rows, about the cost of a gradient pass without its exponentials.
    public func hessianProduct(_ vector: [Double], into product: inout [Double]) {
        precondition(form == .full, "Hessian-vector products are for the full form")
        precondition(vector.count == parameterCount, "v has \(vector.count) entries; expected \(parameterCount)")
        precondition(hasCurvature, "evaluate a gradient before Hessian-vector products")
        hessianPassCount += 1
        let direction = try! Matrix(rowCount: leftCount, columnCount: rightCount, storage: vector)
        let denseRows = indicators.map { $0.denseRows(of: vector, columnCount: rightCount) }
        let spaces = workspaces
        ParallelRows.run(workers: spaces.count) { [self] w in
            spaces[w].sweep(self, direction, nil, denseRows, mode: .hessianProduct)
        }
        if product.count != parameterCount { product = [Double](repeating: 0, count: parameterCount) }
        for j in 0..<parameterCount { product[j] = l2Strength * penaltyWeights[j] * vector[j] }
        for space in spaces {
            for j in 0..<parameterCount { product[j] += space.gradient[j] }
        }
    }

    private func evaluate(_ parameters: [Double], gradient: UnsafeMutablePointer<[Double]>?) -> Double {
        precondition(parameters.count == parameterCount, "θ has \(parameters.count) entries; expected \(parameterCount)")
        let wantGradient = gradient != nil
        if wantGradient {
            passCount += 1
            hasCurvature = form == .full
        }
        let coefficients: (Matrix<Double>, Matrix<Double>?)
        switch form {
        case .full: coefficients = (try! Matrix(rowCount: leftCount, columnCount: rightCount, storage: parameters), nil)
        case .lowRank(let rank):
            let (u, v) = factors(parameters, rank: rank)
            coefficients = (u, v)
        }
        // W's rows of Φ's columns that are not indicators, when those are split off.
        let denseRows = indicators.map { $0.denseRows(of: parameters, columnCount: rightCount) }
        let spaces = workspaces
        ParallelRows.run(workers: spaces.count) { [self] w in
            spaces[w].sweep(self, coefficients.0, coefficients.1, denseRows, mode: wantGradient ? .gradient : .value)
        }
        var loss = 0.0
        for space in spaces { loss += space.loss }
        var penalty = 0.0
        for (j, value) in parameters.enumerated() { penalty += penaltyWeights[j] * value * value }
        if let gradient {
            var g = [Double](repeating: 0, count: parameterCount)
            for space in spaces {
                for j in 0..<space.gradient.count { g[j] += space.gradient[j] }
            }
            for j in 0..<g.count { g[j] += l2Strength * penaltyWeights[j] * parameters[j] }
            gradient.pointee = g
        }
        return loss + 0.5 * l2Strength * penalty
    }

    /// The canonical margins φᵢᵀ·W·ψᵢ of every row (pair i), for a fitted W (a×b): the fixed-order sums of
    /// `BilinearMargins`, so each is the same Double whatever the rows around it or the number of workers.
    /// - Complexity: O(n·a·b), rows split across cores.
    public static func margins(left: Matrix<Double>, right: Matrix<Double>, interaction w: Matrix<Double>) throws(LearningError)
        -> [Double]
    {
        guard left.rowCount == right.rowCount else {
            throw .lengthMismatch(what: "right design rows", expected: left.rowCount, got: right.rowCount)
        }
        guard w.rowCount == left.columnCount, w.columnCount == right.columnCount else {
            throw .lengthMismatch(what: "interaction shape", expected: left.columnCount * right.columnCount, got: w.storage.count)
        }
        let n = left.rowCount, a = left.columnCount, b = right.columnCount
        var result = [Double](repeating: 0, count: n)
        if n == 0 || a == 0 || b == 0 { return result }
        // Each pair's canonical margin (`BilinearMargins`): v = W·ψᵢ, then Σ_p φᵢ[p]·v[p], both in fixed order.
        let threads = ParallelRows.workerCount(rows: n, columns: a * b)
        result.withUnsafeMutableBufferPointer { out in
            let target = SendableBuffer(out)
            left.storage.withUnsafeBufferPointer { phi in
                right.storage.withUnsafeBufferPointer { psi in
                    w.storage.withUnsafeBufferPointer { wp in
                        let phiBase = SendablePointer(phi.baseAddress), psiBase = SendablePointer(psi.baseAddress)
                        let wBase = SendablePointer(wp.baseAddress)
                        ParallelRows.run(workers: threads) { worker in
                            let v = UnsafeMutablePointer<Double>.allocate(capacity: a)
                            defer { v.deallocate() }
                            for i in ParallelRows.range(worker: worker, of: threads, rows: n) {
                                canonicalProject(wBase.pointer!, a, b, psiBase.pointer! + i * b, into: v)
                                target.buffer[i] = canonicalMargin(phiBase.pointer! + i * a, v, a)
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}

func normalized(_ weights: [Double]?, count: Int) throws(LearningError) -> [Double] {
    guard let weights else { return [Double](repeating: 1 / Double(count), count: count) }
    guard weights.count == count else { throw .lengthMismatch(what: "sample weights", expected: count, got: weights.count) }
    var total = 0.0
    for (index, weight) in weights.enumerated() {
        guard weight.isFinite, weight >= 0 else { throw .invalidSampleWeight(index: index, value: weight) }
        total += weight
    }
    guard total > 0 else {
        throw .invalidParameter(name: "sampleWeights", value: "all zero", requirement: "must have a positive sum")
    }
    return weights.map { $0 / total }
}

@inline(__always)
func rowDot(_ x: [Double], _ xStart: Int, _ y: [Double], _ yStart: Int, _ count: Int) -> Double {
    x.withUnsafeBufferPointer { px in
        y.withUnsafeBufferPointer { py in pointerDot(px.baseAddress! + xStart, py.baseAddress! + yStart, count) }
    }
}

/// Σⱼ x[j]·y[j] over `count` entries, in four independent partial sums so that the additions do not wait on each
/// other (one running sum is bound by the latency of each addition).
@inline(__always)
func pointerDot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ count: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var j = 0
    while j + 4 <= count {
        s0 += x[j] * y[j]
        s1 += x[j + 1] * y[j + 1]
        s2 += x[j + 2] * y[j + 2]
        s3 += x[j + 3] * y[j + 3]
        j += 4
    }
    while j < count {
        s0 += x[j] * y[j]
        j += 1
    }
    return (s0 + s1) + (s2 + s3)
}

/// x[0..<width] += Σ_q source[rows[q]·width ..< rows[q]·width + width], eight entries at a time (each sum kept in
/// registers across the rows).
@inline(__always)
func addRows(
    _ source: UnsafePointer<Double>, _ rows: UnsafePointer<Int32>, _ rowCount: Int, into x: UnsafeMutablePointer<Double>,
    width: Int
) {
    var k = 0
    while k + 8 <= width {
        var sum = UnsafeRawPointer(x + k).loadUnaligned(as: SIMD8<Double>.self)
        for q in 0..<rowCount {
            sum += UnsafeRawPointer(source + Int(rows[q]) * width + k).loadUnaligned(as: SIMD8<Double>.self)
        }
        UnsafeMutableRawPointer(x + k).storeBytes(of: sum, as: SIMD8<Double>.self)
        k += 8
    }
    while k < width {
        var sum = x[k]
        for q in 0..<rowCount { sum += source[Int(rows[q]) * width + k] }
        x[k] = sum
        k += 1
    }
}

/// target[rows[q]·width ..< rows[q]·width + width] += x[0..<width] for every q, eight entries at a time.
@inline(__always)
func add(
    _ x: UnsafePointer<Double>, toRows rows: UnsafePointer<Int32>, _ rowCount: Int, of target: UnsafeMutablePointer<Double>,
    width: Int
) {
    var k = 0
    while k + 8 <= width {
        let value = UnsafeRawPointer(x + k).loadUnaligned(as: SIMD8<Double>.self)
        for q in 0..<rowCount {
            let t = UnsafeMutableRawPointer(target + Int(rows[q]) * width + k)
            t.storeBytes(of: t.loadUnaligned(as: SIMD8<Double>.self) + value, as: SIMD8<Double>.self)
        }
        k += 8
    }
    while k < width {
        for q in 0..<rowCount { target[Int(rows[q]) * width + k] += x[k] }
        k += 1
    }
}

/// The left design's indicator columns — every value 0 or 1, and at most half of them 1 — as lists of the columns
/// that are 1 in each row, and its other columns as a dense copy Φ_D (n×d, often just the constant). Then
/// Φ_B·W = Φ_D,B·W_D plus, in each row, a sum of rows of W, and Φ_Bᵀ·diag(r)·Ψ_B = Φ_D,Bᵀ·diag(r)·Ψ_B in Φ_D's
/// rows plus rᵢ·ψᵢ added to the rows of row i's indicators: a few row additions where the GEMMs multiplied by a
/// column's zeros. A one-hot group of k columns costs one row addition per row instead of k GEMM columns.
struct IndicatorColumns: Sendable {
    /// The columns of Φ that are not indicators, in order, and Φ restricted to them.
    let denseColumns: [Int]
    let dense: Matrix<Double>
    /// Row i's indicator columns that are 1 are `columns[offsets[i]..<offsets[i + 1]]`.
    let offsets: [Int]
    let columns: [Int32]

    /// Nil when splitting would not pay. A row's indicator ones cost about 5 GEMM columns each in the row additions
    /// (measured with 61 + 61 columns, 6.8 ones a row and OpenBLAS's AVX-512 kernels against this code's SSE2), so
    /// the split is taken when d + 5·(ones per row) < 0.8·a.
    init?(_ left: Matrix<Double>) {
        let n = left.rowCount, a = left.columnCount
        guard n > 0, a > 0 else { return nil }
        var ones = [Int](repeating: 0, count: a), binary = [Bool](repeating: true, count: a)
        left.storage.withUnsafeBufferPointer { p in
            for i in 0..<n {
                for j in 0..<a {
                    let value = p[i * a + j]
                    if value == 1 { ones[j] += 1 } else if value != 0 { binary[j] = false }
                }
            }
        }
        let isIndicator = (0..<a).map { binary[$0] && 2 * ones[$0] <= n }
        let denseColumns = (0..<a).filter { !isIndicator[$0] }
        var total = 0
        for j in 0..<a where isIndicator[j] { total += ones[j] }
        guard Double(denseColumns.count) + 5 * Double(total) / Double(n) < 0.8 * Double(a) else { return nil }
        let d = denseColumns.count
        var dense = Matrix<Double>(rowCount: n, columnCount: d)
        var offsets = [Int](repeating: 0, count: n + 1), columns = [Int32](repeating: 0, count: total)
        left.storage.withUnsafeBufferPointer { p in
            var next = 0
            for i in 0..<n {
                for (k, j) in denseColumns.enumerated() { dense.storage[i * d + k] = p[i * a + j] }
                for j in 0..<a where isIndicator[j] && p[i * a + j] == 1 {
                    columns[next] = Int32(j)
                    next += 1
                }
                offsets[i + 1] = next
            }
        }
        self.denseColumns = denseColumns
        self.dense = dense
        self.offsets = offsets
        self.columns = columns
    }

    /// W_D: the rows of W (a×b, row-major in `parameters`) of the dense columns.
    func denseRows(of parameters: [Double], columnCount b: Int) -> Matrix<Double> {
        var result = Matrix<Double>(rowCount: denseColumns.count, columnCount: b)
        for (k, j) in denseColumns.enumerated() {
            for l in 0..<b { result.storage[k * b + l] = parameters[j * b + l] }
        }
        return result
    }
}

/// What a sweep over the rows computes.
enum BilinearSweep {
    /// f only.
    case value
    /// f and ∇f, keeping the curvatures cᵢ (full form).
    case gradient
    /// ∇²f·V without the penalty term, from the kept curvatures (full form): V in place of W, cᵢ·uᵢ for rᵢ.
    case hessianProduct
}

/// One worker's rows, reused block buffers and partial sums.
final class BilinearWorkspace: @unchecked Sendable {
    let rows: Range<Int>
    let blockRows: Int
    let form: BilinearForm
    /// Per block size (full blocks, and the last short one): products and scaled copies.
    var buffers: [Int: BilinearBlock] = [:]
    var gradient: [Double]
    var loss = 0.0
    /// cᵢ = sᵢ·pᵢ·(1 − pᵢ) of this worker's rows at the last gradient pass (full form; empty otherwise).
    var curvature: [Double]

    init(rows: Range<Int>, blockRows: Int, leftCount: Int, rightCount: Int, form: BilinearForm) {
        self.rows = rows
        self.blockRows = blockRows
        self.form = form
        switch form {
        case .full:
            gradient = [Double](repeating: 0, count: leftCount * rightCount)
            curvature = [Double](repeating: 0, count: rows.count)
        case .lowRank(let rank):
            gradient = [Double](repeating: 0, count: (leftCount + rightCount) * rank)
            curvature = []
        }
        let full = min(blockRows, rows.count)
        if full > 0 { buffers[full] = BilinearBlock(count: full, leftCount: leftCount, rightCount: rightCount, form: form) }
        let tail = rows.count % max(1, full)
        if tail > 0 { buffers[tail] = BilinearBlock(count: tail, leftCount: leftCount, rightCount: rightCount, form: form) }
    }

    func sweep(
        _ objective: BilinearObjective, _ first: Matrix<Double>, _ second: Matrix<Double>?, _ denseFirst: Matrix<Double>?,
        mode: BilinearSweep
    ) {
        let wantGradient = mode != .value
        loss = 0
        if wantGradient { for j in gradient.indices { gradient[j] = 0 } }
        var gradientFirst: Matrix<Double>, gradientSecond: Matrix<Double>?
        switch form {
        case .full:
            gradientFirst = Matrix(rowCount: objective.leftCount, columnCount: objective.rightCount)
            gradientSecond = nil
        case .lowRank(let rank):
            gradientFirst = Matrix(rowCount: objective.leftCount, columnCount: rank)
            gradientSecond = Matrix(rowCount: objective.rightCount, columnCount: rank)
        }
        var gradientDense = denseFirst.map { Matrix<Double>(rowCount: $0.rowCount, columnCount: $0.columnCount) }
        var start = rows.lowerBound
        while start < rows.upperBound {
            let end = min(start + blockRows, rows.upperBound)
            var block = buffers.removeValue(forKey: end - start)!
            process(
                &block, start..<end, objective, first, second, denseFirst, mode, &gradientFirst, &gradientSecond,
                &gradientDense)
            buffers[end - start] = block
            start = end
        }
        if wantGradient, let gradientDense, let indicators = objective.indicators {
            let b = gradientDense.columnCount
            for (k, j) in indicators.denseColumns.enumerated() {
                for l in 0..<b { gradientFirst.storage[j * b + l] += gradientDense.storage[k * b + l] }
            }
        }
        if wantGradient {
            let split = gradientFirst.storage.count
            for j in 0..<split { gradient[j] = gradientFirst.storage[j] }
            if let gradientSecond { for j in gradientSecond.storage.indices { gradient[split + j] = gradientSecond.storage[j] } }
        }
    }

    private func process(
        _ block: inout BilinearBlock, _ range: Range<Int>, _ objective: BilinearObjective, _ first: Matrix<Double>,
        _ second: Matrix<Double>?, _ denseFirst: Matrix<Double>?, _ mode: BilinearSweep, _ gradientFirst: inout Matrix<Double>,
        _ gradientSecond: inout Matrix<Double>?, _ gradientDense: inout Matrix<Double>?
    ) {
        let wantGradient = mode != .value
        let count = range.count
        let left = objective.left, right = objective.right
        let width = block.product.columnCount
        let split = second == nil ? objective.indicators : nil
        // Margins: full, mᵢ = ⟨(Φ_B·W)ᵢ, ψᵢ⟩; low rank, mᵢ = ⟨(Φ_B·U)ᵢ, (Ψ_B·V)ᵢ⟩. With Φ's indicator columns split
        // off, (Φ_B·W)ᵢ = (Φ_D,B·W_D)ᵢ plus the rows of W of row i's indicator columns that are 1, added below.
        if let split, let denseFirst {
            try! BLAS.gemm(split.dense, aRows: range, denseFirst, into: &block.product)
        } else {
            try! BLAS.gemm(left, aRows: range, first, into: &block.product)
        }
        if let second { try! BLAS.gemm(right, aRows: range, second, into: &block.partner!) }
        // One sweep over the block's rows: the margin, its loss and residual, and (full form, with a gradient) the
        // row rᵢ·ψᵢ of diag(r)·Ψ_B while ψᵢ is still in cache, added at once to ∇W's rows of row i's indicators.
        // For a Hessian-vector product the "margin" is uᵢ = φᵢᵀ·V·ψᵢ and rᵢ = cᵢ·uᵢ; there is no loss.
        let scaleRows = second == nil && wantGradient
        let keepsCurvature = mode == .gradient && !curvature.isEmpty, local = range.lowerBound - rows.lowerBound
        let partnerStart = second == nil ? range.lowerBound * width : 0
        let hasSplit = split != nil
        let offsets = split?.offsets ?? [], columns = split?.columns ?? []
        var blockLoss = 0.0
        objective.normalizedWeights.withUnsafeBufferPointer { weights in
            objective.targets.withUnsafeBufferPointer { targets in
                (second == nil ? right.storage : block.partner!.storage).withUnsafeBufferPointer { partner in
                    block.product.storage.withUnsafeMutableBufferPointer { product in
                        block.scaled.storage.withUnsafeMutableBufferPointer { scaled in
                            block.residual.withUnsafeMutableBufferPointer { residual in
                                first.storage.withUnsafeBufferPointer { w in
                                    gradientFirst.storage.withUnsafeMutableBufferPointer { g in
                                        offsets.withUnsafeBufferPointer { offset in
                                            columns.withUnsafeBufferPointer { column in
                                                curvature.withUnsafeMutableBufferPointer { curvatures in
                                                    for i in 0..<count {
                                                        let row = range.lowerBound + i
                                                        let x = product.baseAddress! + i * width
                                                        let z = partner.baseAddress! + partnerStart + i * width
                                                        let ones = hasSplit ? offset[row + 1] - offset[row] : 0
                                                        if ones > 0 {
                                                            addRows(
                                                                w.baseAddress!, column.baseAddress! + offset[row], ones, into: x,
                                                                width: width)
                                                        }
                                                        let m = pointerDot(x, z, width)
                                                        let r: Double
                                                        if mode == .hessianProduct {
                                                            r = curvatures[local + i] * m
                                                        } else {
                                                            let s = weights[row], y = targets[row]
                                                            let e = Kernels.exponential(-abs(m))
                                                            let p = m >= 0 ? 1 / (1 + e) : e / (1 + e)
                                                            blockLoss += s * (max(m, 0) + Kernels.log1p(e) - y * m)
                                                            r = s * (p - y)
                                                            // s·p·(1 − p) = s·e/(1 + e)² whatever the sign of m.
                                                            if keepsCurvature {
                                                                curvatures[local + i] = s * e / ((1 + e) * (1 + e))
                                                            }
                                                        }
                                                        residual[i] = r
                                                        if scaleRows {
                                                            let out = scaled.baseAddress! + i * width
                                                            for j in 0..<width { out[j] = r * z[j] }
                                                            if ones > 0 {
                                                                add(
                                                                    out, toRows: column.baseAddress! + offset[row], ones,
                                                                    of: g.baseAddress!, width: width)
                                                            }
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        loss += blockLoss
        guard wantGradient else { return }
        if second == nil {
            // ∇W += Φ_Bᵀ·diag(r)·Ψ_B (diag(r)·Ψ_B was filled in above); split, only Φ_D's rows are left to add.
            if let split {
                try! BLAS.gemm(split.dense, aRows: range, transposeA: true, block.scaled, beta: 1, into: &gradientDense!)
            } else {
                try! BLAS.gemm(left, aRows: range, transposeA: true, block.scaled, beta: 1, into: &gradientFirst)
            }
        } else {
            // ∇U += Φ_Bᵀ·diag(r)·Q, ∇V += Ψ_Bᵀ·diag(r)·P
            for i in 0..<count {
                let r = block.residual[i]
                for j in 0..<width {
                    block.scaled.storage[i * width + j] = r * block.partner!.storage[i * width + j]
                    block.partner!.storage[i * width + j] = r * block.product.storage[i * width + j]
                }
            }
            try! BLAS.gemm(left, aRows: range, transposeA: true, block.scaled, beta: 1, into: &gradientFirst)
            try! BLAS.gemm(right, aRows: range, transposeA: true, block.partner!, beta: 1, into: &gradientSecond!)
        }
    }
}

/// Buffers for one block of `count` rows.
struct BilinearBlock {
    /// Φ_B·W (count×b) or Φ_B·U (count×rank).
    var product: Matrix<Double>
    /// Ψ_B·V (count×rank), low rank only.
    var partner: Matrix<Double>?
    /// diag(r)·Ψ_B or diag(r)·Q.
    var scaled: Matrix<Double>
    var residual: [Double]

    init(count: Int, leftCount: Int, rightCount: Int, form: BilinearForm) {
        switch form {
        case .full:
            product = Matrix(rowCount: count, columnCount: rightCount)
            partner = nil
            scaled = Matrix(rowCount: count, columnCount: rightCount)
        case .lowRank(let rank):
            product = Matrix(rowCount: count, columnCount: rank)
            partner = Matrix(rowCount: count, columnCount: rank)
            scaled = Matrix(rowCount: count, columnCount: rank)
        }
        residual = [Double](repeating: 0, count: count)
    }
}
