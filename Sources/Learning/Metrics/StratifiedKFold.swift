import LinearAlgebra

/// Stratified k-fold cross-validation splits for binary labels.
///
/// Each class is shuffled on its own with a `SeededGenerator`, then the positives and after them the negatives
/// are dealt to the folds in turn (row r of that sequence goes to fold r mod k). So per fold the positive counts
/// differ by at most 1, as do the negative counts and the fold sizes, and each fold's positive share is as close
/// to the whole set's as whole rows allow. The same labels, fold count and seed give the same folds on every
/// platform (the shuffle is written here, not borrowed from the standard library, whose algorithm may change).
/// - Complexity: O(n·foldCount) time and memory (every fold stores its training indices).
public struct StratifiedKFold: Sendable {
    /// One train/test split; the two are disjoint, together cover every row, and are each sorted ascending.
    public struct Fold: Codable, Sendable, Equatable, Hashable {
        public var trainIndices: [Int]
        public var testIndices: [Int]

        public init(trainIndices: [Int], testIndices: [Int]) {
            self.trainIndices = trainIndices
            self.testIndices = testIndices
        }
    }

    public let foldCount: Int
    public let seed: UInt64
    /// `foldCount` folds; every row index is in exactly one fold's `testIndices`.
    public let folds: [Fold]

    /// - Throws: `.invalidFoldCount` unless 2 ≤ foldCount ≤ the number of rows in the smaller class
    ///   (so every test fold holds at least one row of each class; one class alone always throws).
    public init(labels: [Bool], foldCount: Int, seed: UInt64) throws(MetricsError) {
        var positives = labels.indices.filter { labels[$0] }
        var negatives = labels.indices.filter { !labels[$0] }
        let smallestClass = min(positives.count, negatives.count)
        guard foldCount >= 2 && foldCount <= smallestClass else {
            throw .invalidFoldCount(requested: foldCount, smallestClass: smallestClass)
        }
        var generator = SeededGenerator(seed: seed)
        Self.shuffle(&positives, using: &generator)
        Self.shuffle(&negatives, using: &generator)

        var foldOfRow = [Int](repeating: 0, count: labels.count)
        for (rank, row) in (positives + negatives).enumerated() {
            foldOfRow[row] = rank % foldCount
        }
        var testIndices = [[Int]](repeating: [], count: foldCount)
        for fold in 0..<foldCount {
            testIndices[fold].reserveCapacity(labels.count / foldCount + 1)
        }
        for row in labels.indices {
            testIndices[foldOfRow[row]].append(row)
        }
        self.folds = (0..<foldCount).map { fold in
            var train: [Int] = []
            train.reserveCapacity(labels.count - testIndices[fold].count)
            for row in labels.indices where foldOfRow[row] != fold { train.append(row) }
            return Fold(trainIndices: train, testIndices: testIndices[fold])
        }
        self.foldCount = foldCount
        self.seed = seed
    }

    /// Fisher–Yates. The index below i+1 is the high word of a 64×64-bit product (Lemire), whose bias of at
    /// most (i+1)/2⁶⁴ is far below anything a fold assignment could show.
    static func shuffle(_ values: inout [Int], using generator: inout SeededGenerator) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            let j = Int(generator.next().multipliedFullWidth(by: UInt64(i + 1)).high)
            values.swapAt(i, j)
        }
    }
}
