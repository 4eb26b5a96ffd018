import Testing
import LinearAlgebra
@testable import Learning
import TestSupport

/// `count` labels, each positive with probability `positiveRate`, from a seed.
private func randomLabels(seed: UInt64, count: Int, positiveRate: Double) -> [Bool] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in rng.nextUniform() < positiveRate }
}

@Suite("Stratified k-fold and fold summaries")
struct CrossValidationTests {
    @Test(arguments: [
        (UInt64(1), 10_000, 0.3, 5), (2, 9_999, 0.02, 10), (3, 50_001, 0.5, 3), (4, 777, 0.9, 7),
        (5, 20_000, 0.1, 2), (6, 12, 0.5, 6), (7, 31_415, 0.25, 9),
    ])
    func foldsPartitionTheRowsAndStratify(seed: UInt64, count: Int, positiveRate: Double, foldCount: Int) throws {
        let labels = randomLabels(seed: seed, count: count, positiveRate: positiveRate)
        let kFold = try StratifiedKFold(labels: labels, foldCount: foldCount, seed: seed)
        #expect(kFold.folds.count == foldCount && kFold.foldCount == foldCount)

        var testFoldOfRow = [Int](repeating: -1, count: count)
        var positiveCounts: [Int] = []
        var negativeCounts: [Int] = []
        for (fold, split) in kFold.folds.enumerated() {
            // Sorted, disjoint, and together every row exactly once.
            #expect(split.trainIndices == split.trainIndices.sorted())
            #expect(split.testIndices == split.testIndices.sorted())
            #expect(Set(split.trainIndices).count == split.trainIndices.count)
            #expect(split.trainIndices.count + split.testIndices.count == count)
            #expect(Set(split.trainIndices).union(split.testIndices) == Set(0..<count))
            #expect(Set(split.trainIndices).isDisjoint(with: split.testIndices))
            for row in split.testIndices {
                #expect(testFoldOfRow[row] == -1, "row \(row) in two test folds")
                testFoldOfRow[row] = fold
            }
            positiveCounts.append(split.testIndices.count { labels[$0] })
            negativeCounts.append(split.testIndices.count { !labels[$0] })
        }
        #expect(!testFoldOfRow.contains(-1), "a row in no test fold")
        #expect(positiveCounts.max()! - positiveCounts.min()! <= 1, "positives per fold \(positiveCounts)")
        #expect(negativeCounts.max()! - negativeCounts.min()! <= 1, "negatives per fold \(negativeCounts)")
        let sizes = kFold.folds.map(\.testIndices.count)
        #expect(sizes.max()! - sizes.min()! <= 1, "fold sizes \(sizes)")
        #expect(positiveCounts.min()! >= 1 && negativeCounts.min()! >= 1)
    }

    @Test(arguments: [UInt64(0), 1, 42, .max])
    func sameSeedSameFoldsOtherSeedOtherFolds(seed: UInt64) throws {
        let labels = randomLabels(seed: 9, count: 5_000, positiveRate: 0.2)
        let first = try StratifiedKFold(labels: labels, foldCount: 5, seed: seed)
        let again = try StratifiedKFold(labels: labels, foldCount: 5, seed: seed)
        #expect(first.folds == again.folds)
        let other = try StratifiedKFold(labels: labels, foldCount: 5, seed: seed &+ 1)
        for fold in 0..<5 {
            #expect(first.folds[fold].testIndices != other.folds[fold].testIndices)
        }
    }

    /// The shuffle mixes rows: a test fold is not a run of neighbours, in either class.
    @Test func foldsAreShuffledWithinEachClass() throws {
        let labels = (0..<1_000).map { $0 % 4 == 0 }
        let kFold = try StratifiedKFold(labels: labels, foldCount: 4, seed: 7)
        for split in kFold.folds {
            let positives = split.testIndices.filter { labels[$0] }
            let negatives = split.testIndices.filter { !labels[$0] }
            #expect(positives.last! - positives.first! > 500)
            #expect(negatives.last! - negatives.first! > 500)
        }
    }

    @Test func smallestValidCase() throws {
        let kFold = try StratifiedKFold(labels: [true, false, false, true], foldCount: 2, seed: 3)
        for split in kFold.folds {
            #expect(split.testIndices.count == 2)
            #expect(split.testIndices.count { [true, false, false, true][$0] } == 1)
        }
    }

    @Test func invalidFoldCounts() {
        let labels = [true, true, true, false, false, false, false]
        #expect(throws: MetricsError.invalidFoldCount(requested: 1, smallestClass: 3)) {
            try StratifiedKFold(labels: labels, foldCount: 1, seed: 0)
        }
        #expect(throws: MetricsError.invalidFoldCount(requested: 4, smallestClass: 3)) {
            try StratifiedKFold(labels: labels, foldCount: 4, seed: 0)
        }
        #expect(throws: MetricsError.invalidFoldCount(requested: -2, smallestClass: 3)) {
            try StratifiedKFold(labels: labels, foldCount: -2, seed: 0)
        }
        #expect(throws: MetricsError.invalidFoldCount(requested: 2, smallestClass: 0)) {
            try StratifiedKFold(labels: [true, true, true], foldCount: 2, seed: 0)
        }
        #expect(throws: MetricsError.invalidFoldCount(requested: 2, smallestClass: 0)) {
            try StratifiedKFold(labels: [], foldCount: 2, seed: 0)
        }
        #expect(throws: Never.self) { try StratifiedKFold(labels: labels, foldCount: 3, seed: 0) }
    }

    @Test func meanAndSampleDeviation() {
        let summary = MeanAndDeviation([2, 4, 4, 4, 5, 5, 7, 9])
        #expect(summary.mean == 5)
        #expect(isClose(summary.standardDeviation, (32.0 / 7).squareRoot()))
        #expect(MeanAndDeviation([0.8]) == MeanAndDeviation(mean: 0.8, standardDeviation: 0))
        // Two passes keep a tiny spread around a large mean.
        let shifted = MeanAndDeviation([1e9 + 1, 1e9 + 2, 1e9 + 3])
        #expect(shifted.mean == 1e9 + 2 && shifted.standardDeviation == 1)
    }
}
