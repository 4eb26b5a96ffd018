import Dispatch
import Foundation
import LinearAlgebra

/// Splits row-wise work across cores. OpenBLAS is pinned to one thread while the workers run (and restored
/// after), so the two kinds of threading never stack.
enum ParallelRows {
    /// One worker per core when the work (rows × columns) is large enough to pay for the threads; one otherwise.
    static func workerCount(rows: Int, columns: Int) -> Int {
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        return min(max(1, rows), rows * max(1, columns) >= 200_000 ? cores : 1)
    }

    /// The contiguous row range of worker `index` of `count`.
    static func range(worker index: Int, of count: Int, rows: Int) -> Range<Int> {
        (rows * index / count)..<(rows * (index + 1) / count)
    }

    /// Runs `body(worker)` for every worker index, in parallel when there is more than one.
    static func run(workers: Int, _ body: @Sendable (Int) -> Void) {
        guard workers > 1 else {
            body(0)
            return
        }
        let saved = BLAS.threadCount
        BLAS.setThreadCount(1)
        DispatchQueue.concurrentPerform(iterations: workers, execute: body)
        BLAS.setThreadCount(saved)
    }
}
