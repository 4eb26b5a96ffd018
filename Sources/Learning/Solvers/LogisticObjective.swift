import LinearAlgebra

/// The L2-regularised logistic loss that every Switchboard model minimises:
///
///     f(w, b) = (1/Σsᵢ) · Σᵢ sᵢ · log(1 + exp(−ỹᵢ·(xᵢ·w + b))) + (λ/2)·‖w‖² + Σ_blocks (μ_k/2)·‖Δᵒβ_k‖²
///
/// (the last sum over `penalties`, difference penalties on blocks of w such as a P-spline's coefficients; empty by
/// default)
/// with ỹᵢ ∈ {−1, +1}, sample weights sᵢ ≥ 0, and the intercept b unpenalised. The parameter vector θ is
/// `[w₀, …, w_{d−1}, b]`: coefficients first, intercept last (absent when the model has no intercept).
///
/// The design matrix is swept in row blocks that stay in cache: for each block, z = X_b·w + b (gemv), the
/// loss, the residual rᵢ = sᵢ·(σ(zᵢ) − yᵢ) and the curvature Dᵢ = sᵢ·σ(zᵢ)·(1 − σ(zᵢ)); then the gradient
/// Xᵀr (gemv) and, when asked, the Hessian Xᵀ·diag(D)·X (syrk on √D·X_b). One pass over memory gives value,
/// gradient and Hessian together. Blocks are split across workers with OpenBLAS pinned to one thread, and the
/// workers' partial sums are added in a fixed order, so results do not depend on scheduling. All work buffers
/// are allocated once, when the objective is made.
public final class LogisticObjective: DifferentiableObjective, @unchecked Sendable {
    /// Number of samples n.
    public let sampleCount: Int
    /// Number of features d (columns of the design matrix).
    public let featureCount: Int
    /// λ, the L2 strength on the coefficients (not on the intercept).
    public let l2Strength: Double
    /// Whether θ carries an intercept as its last entry.
    public let fitsIntercept: Bool
    /// The length of θ: d, plus one with an intercept.
    public var parameterCount: Int { featureCount + (fitsIntercept ? 1 : 0) }
    /// Number of full value-and-gradient passes made so far.
    public private(set) var passCount = 0
    /// Difference penalties on blocks of coefficients, added to the ridge.
    public let penalties: [DifferencePenalty]

    let design: Matrix<Double>
    /// The design's non-zeros row by row, when it is sparse enough that sweeping them beats the dense BLAS sweep (an
    /// additive model's design: each row touches degree + 1 functions of each spline and one cell of each one-hot
    /// block); nil for a dense sweep.
    let sparseRows: SparseRows?
    let targets: [Double]  // yᵢ ∈ {0, 1}
    let normalizedWeights: [Double]  // sᵢ / Σs (1/n each when unweighted)
    let workspaces: [Workspace]

    /// Makes the objective over `design` (n×d) and binary `labels`.
    /// - Parameters:
    ///   - sampleWeights: sᵢ ≥ 0 with a positive sum, or nil for all ones.
    ///   - workerCount: how many threads sweep the rows (nil: one per core for large data, else one).
    /// - Throws: `LearningError` for a length mismatch, negative or non-finite weights, or λ < 0.
    public convenience init(
        design: Matrix<Double>, labels: [Bool], sampleWeights: [Double]? = nil,
        l2Strength: Double, fitsIntercept: Bool = true, penalties: [DifferencePenalty] = [], workerCount: Int? = nil
    ) throws(LearningError) {
        try self.init(
            design: design, labels: labels, sampleWeights: sampleWeights, l2Strength: l2Strength,
            fitsIntercept: fitsIntercept, penalties: penalties, workerCount: workerCount, sparse: nil)
    }

    /// As the public initialiser; `sparse` forces the sparse (true) or dense (false) sweep, nil chooses by density.
    convenience init(
        design: Matrix<Double>, labels: [Bool], sampleWeights: [Double]?, l2Strength: Double, fitsIntercept: Bool,
        penalties: [DifferencePenalty], workerCount: Int?, sparse: Bool?
    ) throws(LearningError) {
        try self.init(
            rowCount: design.rowCount, columnCount: design.columnCount, design: design,
            sparseRows: (sparse ?? SparseRows.pays(for: design)) ? SparseRows(design) : nil, labels: labels,
            sampleWeights: sampleWeights, l2Strength: l2Strength, fitsIntercept: fitsIntercept, penalties: penalties,
            workerCount: workerCount)
    }

    /// The objective over a design given by its non-zeros only (`columnCount` columns), swept row by row; no dense
    /// design is ever built. The same objective, bit for bit, as over the dense design with the sparse sweep.
    convenience init(
        sparseRows: SparseRows, columnCount: Int, labels: [Bool], sampleWeights: [Double]?, l2Strength: Double,
        fitsIntercept: Bool, penalties: [DifferencePenalty], workerCount: Int?
    ) throws(LearningError) {
        try self.init(
            rowCount: sparseRows.rowCount, columnCount: columnCount, design: Matrix(rowCount: 0, columnCount: columnCount),
            sparseRows: sparseRows, labels: labels, sampleWeights: sampleWeights, l2Strength: l2Strength,
            fitsIntercept: fitsIntercept, penalties: penalties, workerCount: workerCount)
    }

    /// `design` is swept when `sparseRows` is nil (it is then rowCount × columnCount); otherwise `sparseRows` is.
    private init(
        rowCount: Int, columnCount: Int, design: Matrix<Double>, sparseRows: SparseRows?, labels: [Bool],
        sampleWeights: [Double]?, l2Strength: Double, fitsIntercept: Bool, penalties: [DifferencePenalty],
        workerCount: Int?
    ) throws(LearningError) {
        for penalty in penalties { try penalty.validate(featureCount: columnCount) }
        self.penalties = penalties
        guard labels.count == rowCount else {
            throw .lengthMismatch(what: "labels", expected: rowCount, got: labels.count)
        }
        guard l2Strength >= 0, l2Strength.isFinite else {
            throw .invalidParameter(name: "l2Strength", value: "\(l2Strength)", requirement: "must be finite and >= 0")
        }
        guard rowCount > 0 else { throw .emptyData }
        self.design = design
        self.sparseRows = sparseRows
        self.sampleCount = rowCount
        self.featureCount = columnCount
        self.l2Strength = l2Strength
        self.fitsIntercept = fitsIntercept
        self.targets = labels.map { $0 ? 1 : 0 }
        if let weights = sampleWeights {
            guard weights.count == rowCount else {
                throw .lengthMismatch(what: "sample weights", expected: rowCount, got: weights.count)
            }
            var total = 0.0
            for (index, weight) in weights.enumerated() {
                guard weight.isFinite, weight >= 0 else { throw .invalidSampleWeight(index: index, value: weight) }
                total += weight
            }
            guard total > 0 else {
                throw .invalidParameter(name: "sampleWeights", value: "all zero", requirement: "must have a positive sum")
            }
            self.normalizedWeights = weights.map { $0 / total }
        } else {
            self.normalizedWeights = [Double](repeating: 1 / Double(rowCount), count: rowCount)
        }
        let workers = max(
            1, min(workerCount ?? ParallelRows.workerCount(rows: rowCount, columns: columnCount), rowCount))
        let blockRows = Self.blockRows(columns: columnCount)
        let sweepsDense = sparseRows == nil
        self.workspaces = (0..<workers).map { w in
            Workspace(
                rows: ParallelRows.range(worker: w, of: workers, rows: rowCount), blockRows: blockRows,
                featureCount: columnCount, sweepsDense: sweepsDense)
        }
    }

    /// Rows per block: about 512 KiB of the design (half an L2 cache), from 64 to 8192 rows.
    static func blockRows(columns: Int) -> Int {
        max(64, min(8192, 65_536 / max(1, columns)))
    }

    /// Rows of √D·X gathered before each `syrk` call: enough inner dimension for level-3 efficiency.
    static func hessianRows(blockRows: Int) -> Int {
        max(blockRows, 2048)
    }

    /// f(θ).
    /// - Precondition: `parameters.count == parameterCount`.
    public func value(at parameters: [Double]) -> Double {
        evaluate(at: parameters, gradient: nil, hessian: nil)
    }

    /// f(θ), writing ∇f(θ) into `gradient` (length `parameterCount`).
    public func value(at parameters: [Double], gradient: inout [Double]) -> Double {
        withUnsafeMutablePointer(to: &gradient) { g in evaluate(at: parameters, gradient: g, hessian: nil) }
    }

    /// f(θ), writing ∇f(θ) into `gradient` and ∇²f(θ) into `hessian` (`parameterCount` square).
    public func value(at parameters: [Double], gradient: inout [Double], hessian: inout Matrix<Double>) -> Double {
        withUnsafeMutablePointer(to: &gradient) { g in
            withUnsafeMutablePointer(to: &hessian) { h in evaluate(at: parameters, gradient: g, hessian: h) }
        }
    }

    private func evaluate(
        at parameters: [Double], gradient: UnsafeMutablePointer<[Double]>?, hessian: UnsafeMutablePointer<Matrix<Double>>?
    ) -> Double {
        precondition(parameters.count == parameterCount, "θ has \(parameters.count) entries; expected \(parameterCount)")
        let d = featureCount
        let coefficients = Array(parameters[0..<d])
        let intercept = fitsIntercept ? parameters[d] : 0
        let wantGradient = gradient != nil, wantHessian = hessian != nil
        if wantGradient { passCount += 1 }
        let spaces = workspaces
        ParallelRows.run(workers: spaces.count) { [self] w in
            spaces[w].sweep(
                objective: self, coefficients: coefficients, intercept: intercept,
                wantGradient: wantGradient, wantHessian: wantHessian)
        }
        // Reduce in a fixed order.
        var loss = 0.0
        for space in spaces { loss += space.loss }
        var penalty = 0.0
        for c in coefficients { penalty += c * c }
        var objective = loss + 0.5 * l2Strength * penalty
        var blockGradient: [Double]? = gradient == nil || penalties.isEmpty ? nil : [Double](repeating: 0, count: d)
        var blockHessian: [Double]? = hessian == nil || penalties.isEmpty ? nil : [Double](repeating: 0, count: d * d)
        for block in penalties {
            objective += withOptionalPointer(&blockGradient) { g in
                withOptionalPointer(&blockHessian) { h in block.apply(coefficients, gradient: g, hessian: h, stride: d) }
            }
        }
        if let gradient {
            var g = [Double](repeating: 0, count: parameterCount)
            for space in spaces {
                for j in 0..<d { g[j] += space.gradient[j] }
                if fitsIntercept { g[d] += space.residualSum }
            }
            for j in 0..<d { g[j] += l2Strength * coefficients[j] }
            if let blockGradient { for j in 0..<d { g[j] += blockGradient[j] } }
            gradient.pointee = g
        }
        if let hessian {
            let p = parameterCount
            var h = Matrix<Double>(rowCount: p, columnCount: p)
            for space in spaces {
                for i in 0..<d {
                    for j in 0..<d { h.storage[i * p + j] += space.hessian.storage[i * d + j] }
                }
                if fitsIntercept {
                    for j in 0..<d {
                        h.storage[j * p + d] += space.curvatureColumn[j]
                        h.storage[d * p + j] += space.curvatureColumn[j]
                    }
                    h.storage[d * p + d] += space.curvatureSum
                }
            }
            for j in 0..<d { h.storage[j * p + j] += l2Strength }
            if let blockHessian {
                for i in 0..<d {
                    for j in 0..<d where blockHessian[i * d + j] != 0 { h.storage[i * p + j] += blockHessian[i * d + j] }
                }
            }
            hessian.pointee = h
        }
        return objective
    }
}

/// Calls `body` with a pointer to the wrapped array, or nil when there is none.
private func withOptionalPointer<Result>(
    _ array: inout [Double]?, _ body: (UnsafeMutablePointer<[Double]>?) -> Result
) -> Result {
    guard array != nil else { return body(nil) }
    var unwrapped = array!
    defer { array = unwrapped }
    return withUnsafeMutablePointer(to: &unwrapped) { body($0) }
}

/// One worker's rows, reused buffers and partial sums.
final class Workspace: @unchecked Sendable {
    let rows: Range<Int>
    let blockRows: Int
    var full: BlockVectors
    var tail: BlockVectors
    var scaled: Matrix<Double>
    var scaledFill = 0
    var gradient: [Double]
    var hessian: Matrix<Double>
    var curvatureColumn: [Double]
    var loss = 0.0, residualSum = 0.0, curvatureSum = 0.0

    /// `sweepsDense`: whether the dense sweep runs (the sparse one needs no block buffers nor √D·X rows).
    init(rows: Range<Int>, blockRows: Int, featureCount: Int, sweepsDense: Bool = true) {
        self.rows = rows
        self.blockRows = blockRows
        let fullCount = sweepsDense ? min(blockRows, rows.count) : 0
        full = BlockVectors(count: fullCount)
        tail = BlockVectors(count: sweepsDense ? rows.count % max(1, fullCount) : 0)
        scaled = Matrix(
            rowCount: sweepsDense ? min(rows.count, LogisticObjective.hessianRows(blockRows: blockRows)) : 0,
            columnCount: featureCount)
        gradient = [Double](repeating: 0, count: featureCount)
        hessian = Matrix(rowCount: featureCount, columnCount: featureCount)
        curvatureColumn = [Double](repeating: 0, count: featureCount)
    }

    func sweep(objective: LogisticObjective, coefficients: [Double], intercept: Double, wantGradient: Bool, wantHessian: Bool) {
        loss = 0; residualSum = 0; curvatureSum = 0
        let d = objective.featureCount
        if wantGradient { for j in 0..<d { gradient[j] = 0 } }
        if wantHessian {
            scaledFill = 0
            for j in hessian.storage.indices { hessian.storage[j] = 0 }
            for j in 0..<d { curvatureColumn[j] = 0 }
        }
        if let sparse = objective.sparseRows {
            sweepSparse(sparse, objective, coefficients, intercept, wantGradient, wantHessian)
            return
        }
        var start = rows.lowerBound
        while start < rows.upperBound {
            let end = min(start + blockRows, rows.upperBound)
            if end - start == full.count {
                process(&full, start..<end, objective, coefficients, intercept, wantGradient, wantHessian)
            } else {
                process(&tail, start..<end, objective, coefficients, intercept, wantGradient, wantHessian)
            }
            start = end
        }
        if wantHessian { flushScaled() }
    }

    /// The sweep over the non-zeros: z = x·w + b, then the gradient Xᵀr and the upper triangle of Xᵀ·diag(D)·X row by
    /// row (mirrored at the end).
    /// - Complexity: O(Σ nnzᵢ) for value and gradient, O(Σ nnzᵢ²) more for the Hessian.
    private func sweepSparse(
        _ sparse: SparseRows, _ objective: LogisticObjective, _ coefficients: [Double], _ intercept: Double,
        _ wantGradient: Bool, _ wantHessian: Bool
    ) {
        let d = objective.featureCount
        var blockLoss = 0.0, blockResidual = 0.0, blockCurvature = 0.0
        sparse.starts.withUnsafeBufferPointer { starts in
            sparse.columns.withUnsafeBufferPointer { columns in
                sparse.values.withUnsafeBufferPointer { values in
                    objective.normalizedWeights.withUnsafeBufferPointer { weights in
                        objective.targets.withUnsafeBufferPointer { y in
                            coefficients.withUnsafeBufferPointer { w in
                                gradient.withUnsafeMutableBufferPointer { g in
                                    hessian.storage.withUnsafeMutableBufferPointer { h in
                                        curvatureColumn.withUnsafeMutableBufferPointer { cc in
                                            for row in rows {
                                                let first = starts[row], last = starts[row + 1]
                                                var zi = intercept
                                                for k in first..<last { zi += values[k] * w[Int(columns[k])] }
                                                let s = weights[row], yi = y[row]
                                                let e = Kernels.exponential(-abs(zi))
                                                let softplus = max(zi, 0) + Kernels.log1p(e)
                                                let p = zi >= 0 ? 1 / (1 + e) : e / (1 + e)
                                                blockLoss += s * (softplus - yi * zi)
                                                guard wantGradient else { continue }
                                                let residual = s * (p - yi)
                                                blockResidual += residual
                                                for k in first..<last { g[Int(columns[k])] += residual * values[k] }
                                                guard wantHessian else { continue }
                                                let curvature = s * p * (1 - p)
                                                blockCurvature += curvature
                                                for k in first..<last {
                                                    let a = Int(columns[k]), scaled = curvature * values[k]
                                                    cc[a] += scaled
                                                    let base = a * d
                                                    // Columns ascend within a row: (a, b) with b ≥ a is the upper triangle.
                                                    for m in k..<last { h[base + Int(columns[m])] += scaled * values[m] }
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
        loss = blockLoss
        residualSum = blockResidual
        curvatureSum = blockCurvature
        if wantHessian {
            for i in 0..<d { for j in (i + 1)..<d { hessian.storage[j * d + i] = hessian.storage[i * d + j] } }
        }
    }

    /// hessian += (√D·X)ᵀ(√D·X) over the gathered rows.
    private func flushScaled() {
        guard scaledFill > 0 else { return }
        try! BLAS.syrk(scaled, aRows: 0..<scaledFill, transpose: true, beta: 1, into: &hessian)
        scaledFill = 0
    }

    private func process(
        _ block: inout BlockVectors, _ range: Range<Int>, _ objective: LogisticObjective, _ coefficients: [Double],
        _ intercept: Double, _ wantGradient: Bool, _ wantHessian: Bool
    ) {
        let count = range.count, d = objective.featureCount
        let design = objective.design
        // z ← X_b·w + b
        for i in 0..<count { block.margin[i] = intercept }
        if d > 0 { try! BLAS.gemv(design, aRows: range, coefficients, beta: 1, into: &block.margin) }
        var blockLoss = 0.0, blockResidual = 0.0, blockCurvature = 0.0
        objective.normalizedWeights.withUnsafeBufferPointer { weights in
            objective.targets.withUnsafeBufferPointer { y in
                block.margin.withUnsafeBufferPointer { z in
                    block.residual.withUnsafeMutableBufferPointer { r in
                        block.curvature.withUnsafeMutableBufferPointer { c in
                            for i in 0..<count {
                                let row = range.lowerBound + i
                                let s = weights[row]
                                let zi = z[i], yi = y[row]
                                // One exponential serves the loss and σ: e = exp(−|z|).
                                let e = Kernels.exponential(-abs(zi))
                                let softplus = max(zi, 0) + Kernels.log1p(e)
                                let p = zi >= 0 ? 1 / (1 + e) : e / (1 + e)
                                blockLoss += s * (softplus - yi * zi)
                                let residual = s * (p - yi)
                                r[i] = residual
                                blockResidual += residual
                                let curvature = s * p * (1 - p)
                                c[i] = curvature
                                blockCurvature += curvature
                            }
                        }
                    }
                }
            }
        }
        loss += blockLoss
        guard wantGradient else { return }
        residualSum += blockResidual
        if d > 0 { try! BLAS.gemv(design, aRows: range, transpose: true, block.residual, beta: 1, into: &gradient) }
        guard wantHessian else { return }
        curvatureSum += blockCurvature
        guard d > 0 else { return }
        try! BLAS.gemv(design, aRows: range, transpose: true, block.curvature, beta: 1, into: &curvatureColumn)
        if scaledFill + count > scaled.rowCount { flushScaled() }
        let fill = scaledFill
        design.storage.withUnsafeBufferPointer { x in
            scaled.storage.withUnsafeMutableBufferPointer { out in
                block.curvature.withUnsafeBufferPointer { c in
                    for i in 0..<count {
                        let factor = c[i].squareRoot()
                        let source = (range.lowerBound + i) * d, target = (fill + i) * d
                        for j in 0..<d { out[target + j] = factor * x[source + j] }
                    }
                }
            }
        }
        scaledFill += count
    }
}

/// A design's non-zeros in compressed rows: row i's are `values[starts[i]..<starts[i+1]]` at `columns[…]`, columns
/// ascending.
struct SparseRows: Sendable {
    var starts: [Int]
    var columns: [Int32]
    var values: [Double]

    var rowCount: Int { starts.count - 1 }

    /// Rows given by their non-zeros: `starts` has rowCount + 1 entries from 0, each row's columns ascending.
    init(starts: [Int], columns: [Int32], values: [Double]) {
        precondition(starts.first == 0 && starts.last == values.count && columns.count == values.count)
        self.starts = starts
        self.columns = columns
        self.values = values
    }

    /// The dense rowCount × `columnCount` matrix.
    func dense(columnCount: Int) -> Matrix<Double> {
        var matrix = Matrix<Double>(rowCount: rowCount, columnCount: columnCount)
        for i in 0..<rowCount {
            for k in starts[i]..<starts[i + 1] { matrix.storage[i * columnCount + Int(columns[k])] = values[k] }
        }
        return matrix
    }

    /// `pays(for:)` of the dense `columnCount`-column matrix these rows hold, decided on the same sampled rows.
    func pays(columnCount d: Int) -> Bool {
        guard d >= 64, d < Int(Int32.max), rowCount > 0 else { return false }
        let stride = max(1, rowCount / 2000)
        var nonZero = 0, sampled = 0, i = 0
        while i < rowCount {
            for k in starts[i]..<starts[i + 1] where values[k] != 0 { nonZero += 1 }
            sampled += 1
            i += stride
        }
        return nonZero * 5 <= sampled * d
    }

    init(_ design: Matrix<Double>) {
        let d = design.columnCount
        starts = [0]
        starts.reserveCapacity(design.rowCount + 1)
        columns = []
        values = []
        design.storage.withUnsafeBufferPointer { x in
            for i in 0..<design.rowCount {
                for j in 0..<d where x[i * d + j] != 0 {
                    columns.append(Int32(j))
                    values.append(x[i * d + j])
                }
                starts.append(values.count)
            }
        }
    }

    /// Whether the sparse sweep pays: a wide design (≥ 64 columns, where the dense Hessian's d² per row dominates)
    /// with at most a fifth of its entries non-zero, and column indices that fit 32 bits.
    static func pays(for design: Matrix<Double>) -> Bool {
        let d = design.columnCount
        guard d >= 64, d < Int(Int32.max), design.rowCount > 0 else { return false }
        var nonZero = 0
        // A sample of rows decides: every row for small designs, about 2,000 spread evenly for large ones.
        let stride = max(1, design.rowCount / 2000)
        var sampled = 0
        design.storage.withUnsafeBufferPointer { x in
            var i = 0
            while i < design.rowCount {
                for j in 0..<d where x[i * d + j] != 0 { nonZero += 1 }
                sampled += 1
                i += stride
            }
        }
        return nonZero * 5 <= sampled * d
    }
}

/// Per-block vectors: margins z, residuals r and curvatures D.
struct BlockVectors {
    var margin: [Double]
    var residual: [Double]
    var curvature: [Double]
    var count: Int { margin.count }

    init(count: Int) {
        margin = [Double](repeating: 0, count: count)
        residual = margin
        curvature = margin
    }
}
