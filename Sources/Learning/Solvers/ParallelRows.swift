import Dispatch
import Foundation
import LinearAlgebra

/// Splits row-wise work across cores. OpenBLAS itself runs on one thread for the whole process (`BLAS`), so the
/// two kinds of threading never stack and no worker changes a process-wide setting.
public enum ParallelRows {
    /// One worker per core when the work (rows × columns) is large enough to pay for the threads; one otherwise.
    public static func workerCount(rows: Int, columns: Int) -> Int {
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        return min(max(1, rows), rows * max(1, columns) >= 200_000 ? cores : 1)
    }

    /// The contiguous row range of worker `index` of `count`.
    public static func range(worker index: Int, of count: Int, rows: Int) -> Range<Int> {
        (rows * index / count)..<(rows * (index + 1) / count)
    }

    /// Runs `body(worker)` for every worker index, in parallel when there is more than one.
    public static func run(workers: Int, _ body: @Sendable (Int) -> Void) {
        guard workers > 1 else {
            body(0)
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers, execute: body)
    }

    /// `transform(slice)` for every slice index in `0..<count`, on up to `workers` threads, in index order. Each
    /// result is written to its own slot (no lock), so the answer does not depend on the number of workers.
    public static func map<T: Sendable>(count: Int, workers: Int, _ transform: @Sendable (Int) -> T) -> [T] {
        if count == 0 { return [] }
        let threads = max(1, min(workers, count))
        if threads == 1 { return (0..<count).map(transform) }
        let slots = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
        slots.initialize(repeating: nil)
        defer {
            slots.deinitialize()
            slots.deallocate()
        }
        let target = SlotBuffer(slots)
        run(workers: threads) { worker in
            var index = worker
            while index < count {
                target.slots[index] = transform(index)
                index += threads
            }
        }
        return slots.map { $0! }
    }
}

/// Slots written by parallel workers, each at indices no other worker touches.
private struct SlotBuffer<T>: @unchecked Sendable {
    let slots: UnsafeMutableBufferPointer<T?>
    init(_ slots: UnsafeMutableBufferPointer<T?>) { self.slots = slots }
}
