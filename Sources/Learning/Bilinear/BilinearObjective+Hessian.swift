import LinearAlgebra

/// Which rows and blocks of the Hessian `formHessian` sums, and which worker sums each block: block (j, k), j ≤ k,
/// of b×b entries gathers the rows where left columns j and k are both nonzero, and workers take whole blocks, the
/// largest first.
struct BilinearHessianPlan: Sendable {
    /// The rows summed: 0, rowStride, 2·rowStride, …
    let rowStride: Int
    /// owner[j·a + k] for j ≤ k: the worker that sums block (j, k), or −1 when no row has both columns nonzero.
    let owner: [Int32]
    let workerCount: Int

    /// Counts each block's rows (one scan of Φ's sampled rows) and deals the blocks out to `workerCount` workers.
    init(left: Matrix<Double>, rowStride: Int, workerCount: Int) {
        let n = left.rowCount, a = left.columnCount
        var rows = [Int](repeating: 0, count: a * a)
        var nonzero = [Int](repeating: 0, count: a)
        left.storage.withUnsafeBufferPointer { phi in
            for i in stride(from: 0, to: n, by: rowStride) {
                var count = 0
                for j in 0..<a where phi[i * a + j] != 0 {
                    nonzero[count] = j
                    count += 1
                }
                for p in 0..<count {
                    for q in p..<count { rows[nonzero[p] * a + nonzero[q]] += 1 }
                }
            }
        }
        var owner = [Int32](repeating: -1, count: a * a)
        var load = [Int](repeating: 0, count: workerCount)
        for block in rows.indices.filter({ rows[$0] > 0 }).sorted(by: { rows[$0] > rows[$1] }) {
            let worker = load.indices.min { load[$0] < load[$1] }!
            owner[block] = Int32(worker)
            load[worker] += rows[block]
        }
        self.rowStride = rowStride
        self.owner = owner
        self.workerCount = workerCount
    }
}

extension BilinearObjective {
    /// The largest θ (a·b entries) whose dense Hessian `formHessian` makes: 6,000, a 275 MiB matrix.
    public static let largestHessianOrder = 6000

    /// Whether `formHessian` is available: the full form, with a·b ≤ `largestHessianOrder`.
    public var formsHessian: Bool { form == .full && parameterCount <= Self.largestHessianOrder }

    /// ∇²f(θ) = Σᵢ cᵢ·(φᵢ⊗ψᵢ)(φᵢ⊗ψᵢ)ᵀ + λ·diag(ω), θ from the last `value(at:gradient:)` call, into `hessian`
    /// ((a·b)×(a·b), θ's row-major order), from every row when n ≤ `hessianRowLimit`. Otherwise an estimate
    /// from evenly spaced rows i = 0, k, 2k, … (k = ⌈n / limit⌉), their loss terms scaled by 1/Σ_sampled sᵢ, and
    /// the exact penalty: a preconditioner need not be exact, and on the match benchmark a factor from 20,000 of
    /// 100,000 rows costs Newton-CG 35 Hessian-vector products where the exact one costs 30.
    /// Only the blocks (j, k) with j ≤ k are written (b×b each, the others are zeroed), which holds the upper
    /// triangle that `CholeskyFactor` reads.
    ///
    /// Block (j, k) is Σᵢ cᵢ·φᵢⱼ·φᵢₖ·ψᵢψᵢᵀ over the rows where φᵢⱼ and φᵢₖ are both nonzero, so a row costs
    /// b² for each pair of its nonzero left entries, not (a·b)². Each block's rows are queued with their weights
    /// wᵢ = cᵢ·φᵢⱼ·φᵢₖ, and every 512 queued rows are summed by two syrk calls on √|wᵢ|·ψᵢ (positive weights
    /// added, negative ones subtracted). Workers own whole blocks (`BilinearHessianPlan`).
    /// - Precondition: `formsHessian`, a gradient evaluated before, and `hessian` of order a·b.
    /// - Complexity: O(Σᵢ nnz(φᵢ)²·b²/2) over the rows summed, mostly in level-3 BLAS; O(a²·512) queue memory.
    public func formHessian(into hessian: inout Matrix<Double>) {
        precondition(formsHessian, "the dense Hessian is formed for the full form with a·b ≤ \(Self.largestHessianOrder)")
        precondition(hasCurvature, "evaluate a gradient before forming the Hessian")
        let p = parameterCount
        precondition(hessian.rowCount == p && hessian.columnCount == p, "the Hessian must be \(p)×\(p)")
        hessianPassCount += 1
        let limit = max(1, hessianRowLimit ?? sampleCount)
        let rowStride = (sampleCount + limit - 1) / limit
        if hessianPlan?.rowStride != rowStride {
            hessianPlan = BilinearHessianPlan(left: left, rowStride: rowStride, workerCount: workspaces.count)
        }
        let plan = hessianPlan!
        var curvatures: [Double] = []
        curvatures.reserveCapacity(sampleCount)
        for space in workspaces { curvatures.append(contentsOf: space.curvature) }
        if rowStride > 1 {
            var sampled = 0.0
            for i in stride(from: 0, to: sampleCount, by: rowStride) { sampled += normalizedWeights[i] }
            let scale = sampled > 0 ? 1 / sampled : 0
            for i in stride(from: 0, to: sampleCount, by: rowStride) { curvatures[i] *= scale }
        }
        let c = curvatures
        for index in hessian.storage.indices { hessian.storage[index] = 0 }
        hessian.storage.withUnsafeMutableBufferPointer { storage in
            let target = SendableBuffer(storage)
            ParallelRows.run(workers: plan.workerCount) { [self] worker in
                let accumulator = BilinearHessianAccumulator(
                    plan: plan, worker: worker, leftCount: leftCount, rightCount: rightCount)
                accumulator.run(left: left, right: right, curvatures: c, rowStride: rowStride, into: target.buffer)
            }
        }
        for j in 0..<p { hessian.storage[j * p + j] += l2Strength * penaltyWeights[j] }
    }
}

/// One worker's share of `formHessian`: a queue of (row, weight) per block it owns, emptied into the Hessian by
/// syrk every `chunkRows` rows. The queues live in raw buffers so that the row loop runs without copy-on-write or
/// exclusivity checks.
final class BilinearHessianAccumulator {
    static let chunkRows = 512
    let leftCount: Int
    let rightCount: Int
    /// slot[j·a + k]: this worker's queue for block (j, k), or −1.
    let slot: UnsafeMutableBufferPointer<Int32>
    /// Each slot's block (j, k).
    let blocks: [(Int, Int)]
    let queuedRows: UnsafeMutableBufferPointer<Int32>
    let queuedWeights: UnsafeMutableBufferPointer<Double>
    let queued: UnsafeMutableBufferPointer<Int>
    /// √|wᵢ|·ψᵢ of a queue, positive weights first.
    var scaled: Matrix<Double>
    /// One block's sum.
    var sum: Matrix<Double>

    init(plan: BilinearHessianPlan, worker: Int, leftCount a: Int, rightCount b: Int) {
        leftCount = a
        rightCount = b
        slot = .allocate(capacity: a * a)
        slot.initialize(repeating: -1)
        var blocks: [(Int, Int)] = []
        for j in 0..<a {
            for k in j..<a where plan.owner[j * a + k] == Int32(worker) {
                slot[j * a + k] = Int32(blocks.count)
                blocks.append((j, k))
            }
        }
        self.blocks = blocks
        queuedRows = .allocate(capacity: max(1, blocks.count * Self.chunkRows))
        queuedRows.initialize(repeating: 0)
        queuedWeights = .allocate(capacity: max(1, blocks.count * Self.chunkRows))
        queuedWeights.initialize(repeating: 0)
        queued = .allocate(capacity: max(1, blocks.count))
        queued.initialize(repeating: 0)
        scaled = Matrix(rowCount: Self.chunkRows, columnCount: b)
        sum = Matrix(rowCount: b, columnCount: b)
    }

    deinit {
        slot.deallocate()
        queuedRows.deallocate()
        queuedWeights.deallocate()
        queued.deallocate()
    }

    func run(
        left: Matrix<Double>, right: Matrix<Double>, curvatures: [Double], rowStride: Int,
        into hessian: UnsafeMutableBufferPointer<Double>
    ) {
        let n = left.rowCount, a = leftCount
        let chunk = Self.chunkRows
        let slot = slot, queuedRows = queuedRows, queuedWeights = queuedWeights, queued = queued
        var nonzero = [Int](repeating: 0, count: a)
        var values = [Double](repeating: 0, count: a)
        left.storage.withUnsafeBufferPointer { phi in
            curvatures.withUnsafeBufferPointer { c in
                for i in stride(from: 0, to: n, by: rowStride) where c[i] != 0 {
                    var count = 0
                    for j in 0..<a where phi[i * a + j] != 0 {
                        nonzero[count] = j
                        values[count] = phi[i * a + j]
                        count += 1
                    }
                    for p in 0..<count {
                        let weight = c[i] * values[p], base = nonzero[p] * a
                        for q in p..<count {
                            let s = Int(slot[base + nonzero[q]])
                            if s < 0 { continue }
                            let position = s * chunk + queued[s]
                            queuedRows[position] = Int32(truncatingIfNeeded: i)
                            queuedWeights[position] = weight * values[q]
                            queued[s] += 1
                            if queued[s] == chunk { flush(s, right: right, into: hessian) }
                        }
                    }
                }
            }
        }
        for s in blocks.indices where queued[s] > 0 { flush(s, right: right, into: hessian) }
    }

    /// Adds Σ wᵢ·ψᵢψᵢᵀ over slot `s`'s queue to its block of the Hessian and empties the queue.
    private func flush(_ s: Int, right: Matrix<Double>, into hessian: UnsafeMutableBufferPointer<Double>) {
        let b = rightCount, start = s * Self.chunkRows, queue = start..<(start + queued[s])
        let queuedRows = queuedRows, queuedWeights = queuedWeights
        var positives = 0, total = 0
        right.storage.withUnsafeBufferPointer { psi in
            scaled.storage.withUnsafeMutableBufferPointer { out in
                func gather(_ q: Int) {
                    let root = abs(queuedWeights[q]).squareRoot()
                    let source = psi.baseAddress! + Int(queuedRows[q]) * b, target = out.baseAddress! + total * b
                    for l in 0..<b { target[l] = root * source[l] }
                    total += 1
                }
                for q in queue where queuedWeights[q] > 0 { gather(q) }
                positives = total
                for q in queue where queuedWeights[q] < 0 { gather(q) }
            }
        }
        if positives > 0 {
            try! BLAS.syrk(scaled, aRows: 0..<positives, transpose: true, into: &sum)
        } else {
            for index in sum.storage.indices { sum.storage[index] = 0 }
        }
        if total > positives {
            try! BLAS.syrk(scaled, aRows: positives..<total, transpose: true, alpha: -1, beta: 1, into: &sum)
        }
        let (j, k) = blocks[s], p = leftCount * b
        sum.storage.withUnsafeBufferPointer { block in
            for l in 0..<b {
                let target = hessian.baseAddress! + (j * b + l) * p + k * b, source = block.baseAddress! + l * b
                for m in 0..<b { target[m] += source[m] }
            }
        }
        queued[s] = 0
    }
}
