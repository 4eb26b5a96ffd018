import LinearAlgebra
import Testing
import TestSupport

@testable import Learning

// MARK: - Slow, obvious references

/// ‖xᵢ − cⱼ‖² by a double loop over the differences.
private func naiveSquaredDistances(_ x: Matrix<Double>, _ c: Matrix<Double>) -> Matrix<Double> {
    var result = Matrix<Double>(rowCount: x.rowCount, columnCount: c.rowCount)
    for i in 0..<x.rowCount {
        for j in 0..<c.rowCount {
            var sum = 0.0
            for f in 0..<x.columnCount {
                let difference = x[i, f] - c[j, f]
                sum += difference * difference
            }
            result[i, j] = sum
        }
    }
    return result
}

/// The within-cluster sum of squares about each cluster's mean.
private func withinSumOfSquares(_ x: Matrix<Double>, _ labels: [Int]) -> Double {
    var total = 0.0
    for label in Set(labels) {
        let members = labels.indices.filter { labels[$0] == label }
        for f in 0..<x.columnCount {
            let mean = members.map { x[$0, f] }.reduce(0, +) / Double(members.count)
            for i in members { total += (x[i, f] - mean) * (x[i, f] - mean) }
        }
    }
    return total
}

/// Every partition of 0..<n into exactly k non-empty groups, as restricted growth strings.
private func partitions(_ n: Int, _ k: Int) -> [[Int]] {
    var result: [[Int]] = []
    var labels = [Int](repeating: 0, count: n)
    func extend(_ i: Int, _ used: Int) {
        if i == n {
            if used == k { result.append(labels) }
            return
        }
        if used + (n - i) < k { return }
        for label in 0..<min(used + 1, k) {
            labels[i] = label
            extend(i + 1, max(used, label + 1))
        }
    }
    extend(0, 0)
    return result
}

/// The groups of a labelling, independent of label names.
private func groups(_ labels: [Int]) -> Set<Set<Int>> {
    Set(Dictionary(grouping: labels.indices, by: { labels[$0] }).values.map { Set($0) })
}

/// The silhouette by its definition: every distance by a loop over the differences, O(n²·d).
private func naiveSilhouette(_ x: Matrix<Double>, _ labels: [Int]) -> [Double] {
    let n = x.rowCount
    func distance(_ i: Int, _ j: Int) -> Double {
        var sum = 0.0
        for f in 0..<x.columnCount { sum += (x[i, f] - x[j, f]) * (x[i, f] - x[j, f]) }
        return sum.squareRoot()
    }
    return (0..<n).map { i in
        let own = labels.indices.filter { labels[$0] == labels[i] && $0 != i }
        if own.isEmpty { return 0 }
        let a = own.map { distance(i, $0) }.reduce(0, +) / Double(own.count)
        var b = Double.infinity
        for other in Set(labels) where other != labels[i] {
            let members = labels.indices.filter { labels[$0] == other }
            b = min(b, members.map { distance(i, $0) }.reduce(0, +) / Double(members.count))
        }
        return max(a, b) > 0 ? (b - a) / max(a, b) : 0
    }
}

/// `count` points around each centre, Gaussian with standard deviation `spread`; the truth is the blob index.
private func blobs(centres: [[Double]], count: Int, spread: Double, seed: UInt64) -> (Matrix<Double>, [Int]) {
    var rng = SeededGenerator(seed: seed)
    var rows: [[Double]] = [], truth: [Int] = []
    for _ in 0..<count {
        for (index, centre) in centres.enumerated() {
            rows.append(centre.map { $0 + spread * rng.nextGaussian() })
            truth.append(index)
        }
    }
    return (try! Matrix(rows: rows), truth)
}

// MARK: - Tests

@Suite("k-means, silhouette and the choice of k")
struct KMeansTests {
    @Test(arguments: [(1, 1, 1), (7, 3, 2), (50, 5, 8), (300, 12, 17), (3, 4, 0)])
    func squaredDistancesMatchNaiveLoops(rows: Int, centres: Int, features: Int) throws {
        var rng = SeededGenerator(seed: UInt64(rows * 31 + centres))
        var x: Matrix<Double> = randomMatrix(rows, features, using: &rng)
        let c: Matrix<Double> = randomMatrix(centres, features, using: &rng)
        for i in x.storage.indices { x.storage[i] *= 10 }
        let fast = try Clustering.squaredDistances(x, c)
        let slow = naiveSquaredDistances(x, c)
        #expect(fast.rowCount == rows && fast.columnCount == centres)
        #expect(maxAbsDifference(fast.storage, slow.storage) < 1e-10)
        #expect(fast.storage.allSatisfy { $0 >= 0 })
        // A point against itself is exactly 0.
        let own = try Clustering.squaredDistances(x, x)
        for i in 0..<rows { #expect(own[i, i] == 0) }
        // Each entry is the documented fixed-order sum, bit for bit, whatever the matrix it is computed in: the same
        // pair gives the same Double alone (1×1) as inside the whole block.
        for i in 0..<rows {
            for j in 0..<centres {
                let a = (0..<features).map { x[i, $0] }, b = (0..<features).map { c[j, $0] }
                #expect(fast[i, j] == fixedOrderSquaredDistance(a, b), "pair (\(i), \(j))")
                let alone = try Clustering.squaredDistances(x.gatheringRows([i]), c.gatheringRows([j]))
                #expect(alone[0, 0] == fast[i, j])
            }
        }
    }

    /// ‖a − b‖² summed as documented: four running sums by index modulo 4, (s₀ + s₁) + (s₂ + s₃), then the tail.
    func fixedOrderSquaredDistance(_ a: [Double], _ b: [Double]) -> Double {
        var partial = [0.0, 0.0, 0.0, 0.0]
        let whole = a.count / 4 * 4
        for j in 0..<whole { partial[j % 4] += (a[j] - b[j]) * (a[j] - b[j]) }
        var total = (partial[0] + partial[1]) + (partial[2] + partial[3])
        for j in whole..<a.count { total += (a[j] - b[j]) * (a[j] - b[j]) }
        return total
    }

    @Test func squaredDistancesRejectDifferentWidths() {
        let x = Matrix<Double>(rowCount: 2, columnCount: 3), c = Matrix<Double>(rowCount: 2, columnCount: 2)
        #expect(throws: LearningError.lengthMismatch(what: "columns of the centres", expected: 3, got: 2)) {
            try Clustering.squaredDistances(x, c)
        }
    }

    @Test(arguments: [(200, 3, 2, UInt64(1)), (200, 3, 5, 2), (500, 6, 8, 3), (40, 2, 7, 4), (64, 1, 3, 5)])
    func lloydNeverIncreasesTheObjectiveAndEndsAtNearestCentroids(
        rows: Int, features: Int, clusters: Int, seed: UInt64
    ) throws {
        var rng = SeededGenerator(seed: seed)
        let x: Matrix<Double> = randomMatrix(rows, features, using: &rng)
        let model = try KMeans(fitting: x, clusterCount: clusters, options: KMeansOptions(initialisations: 3, seed: seed))
        #expect(model.inertiaHistory.count == model.iterations)
        for (before, after) in zip(model.inertiaHistory, model.inertiaHistory.dropFirst()) {
            #expect(after <= before * (1 + 1e-12) + 1e-12, "inertia rose from \(before) to \(after)")
        }
        #expect(model.converged)
        // Every point is at its nearest centroid, the centroids are their clusters' means, and the inertia is the
        // within-cluster sum of squares.
        let distances = naiveSquaredDistances(x, model.centroids)
        for i in 0..<rows {
            let nearest = (0..<clusters).min { distances[i, $0] < distances[i, $1] }!
            #expect(distances[i, model.assignments[i]] <= distances[i, nearest] + 1e-12)
        }
        for c in 0..<clusters {
            let members = (0..<rows).filter { model.assignments[$0] == c }
            #expect(members.count == model.clusterSizes[c] && !members.isEmpty)
            for f in 0..<features {
                let mean = members.map { x[$0, f] }.reduce(0, +) / Double(members.count)
                #expect(abs(mean - model.centroids[c, f]) < 1e-12)
            }
        }
        #expect(isClose(model.inertia, withinSumOfSquares(x, model.assignments), absolute: 1e-10, relative: 1e-10))
        #expect(try model.assign(x) == model.assignments)
    }

    /// On instances small enough to enumerate every partition, k-means (10 seeded restarts) finds the optimum.
    @Test(arguments: [
        (7, 1, 2, UInt64(11)), (8, 1, 3, 12), (8, 2, 2, 13), (8, 2, 3, 14), (7, 2, 4, 15), (9, 2, 3, 16), (8, 3, 3, 17),
    ])
    func matchesTheBruteForceOptimumOnTinyInstances(rows: Int, features: Int, clusters: Int, seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let x: Matrix<Double> = randomMatrix(rows, features, using: &rng)
        var best = Double.infinity, bestLabels: [Int] = []
        for labels in partitions(rows, clusters) {
            let cost = withinSumOfSquares(x, labels)
            if cost < best {
                best = cost
                bestLabels = labels
            }
        }
        let model = try KMeans(fitting: x, clusterCount: clusters, options: KMeansOptions(seed: seed))
        #expect(isClose(model.inertia, best, absolute: 1e-12, relative: 1e-9), "k-means \(model.inertia), optimum \(best)")
        #expect(groups(model.assignments) == groups(bestLabels))
    }

    @Test func partitionEnumerationCountsStirlingNumbers() {
        #expect(partitions(5, 2).count == 15)
        #expect(partitions(8, 3).count == 966)
        #expect(partitions(4, 4).count == 1)
    }

    @Test(arguments: [(30, 3, 3, UInt64(21)), (61, 4, 5, 22), (1100, 3, 4, 23)])
    func silhouetteMatchesTheNaiveComputation(rows: Int, features: Int, clusters: Int, seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let x: Matrix<Double> = randomMatrix(rows, features, using: &rng)
        // Random labels with a gap in the label range and a singleton cluster.
        var labels = (0..<rows).map { _ in 2 * Int(rng.next() % UInt64(clusters)) }
        labels[0] = 2 * clusters + 1
        let fast = try Clustering.silhouette(x, assignments: labels)
        let slow = naiveSilhouette(x, labels)
        #expect(maxAbsDifference(fast.values, slow) < 1e-9)
        #expect(abs(fast.mean - slow.reduce(0, +) / Double(rows)) < 1e-9)
        #expect(fast.values[0] == 0)
    }

    @Test func silhouetteOfWellSeparatedBlobsIsNearOne() throws {
        let (x, truth) = blobs(centres: [[0, 0], [10, 0], [0, 10]], count: 20, spread: 0.3, seed: 5)
        let silhouette = try Clustering.silhouette(x, assignments: truth)
        #expect(silhouette.mean > 0.9)
        // Renaming the clusters changes nothing; a labelling unrelated to the blobs scores near 0.
        #expect(try Clustering.silhouette(x, assignments: truth.map { ($0 + 1) % 3 }).mean > 0.9)
        #expect(try Clustering.silhouette(x, assignments: truth.indices.map { $0 % 2 }).mean < 0.1)
    }

    static let blobCentres: [([[Double]], UInt64)] = [
        ([[0, 0], [8, 0], [0, 8], [8, 8]], 31),
        ([[0, 0, 0], [6, 0, 0], [0, 6, 0], [0, 0, 6], [6, 6, 6], [-6, 6, 0]], 32),
        ([[0, 0], [10, 10]], 33),
    ]

    @Test(arguments: blobCentres)
    func recoversSeparatedGaussianBlobs(centres: [[Double]], seed: UInt64) throws {
        let (x, truth) = blobs(centres: centres, count: 40, spread: 0.6, seed: seed)
        let selection = try ClusterCountSelection(selectingFrom: x, clusterCounts: 2...8, options: KMeansOptions(seed: seed))
        #expect(selection.clusterCount == centres.count)
        #expect(groups(selection.model.assignments) == groups(truth))
        #expect(selection.candidates.map(\.clusterCount) == Array(2...8))
        let best = selection.candidates.compactMap(\.silhouette).max()!
        #expect(selection.silhouette == best && best > 0.7)
        #expect(selection.sampleRows == Array(0..<x.rowCount))
        // Inertia falls with k (each k's best of ten restarts).
        for (a, b) in zip(selection.candidates, selection.candidates.dropFirst()) { #expect(b.inertia <= a.inertia * 1.0001) }
    }

    @Test func selectionOnASampleIsSeededAndUsesOnlyTheSample() throws {
        let (x, _) = blobs(centres: [[0, 0], [9, 0], [0, 9]], count: 200, spread: 0.8, seed: 41)
        let a = try ClusterCountSelection(
            selectingFrom: x, clusterCounts: 2...5, sampleSize: 150, options: KMeansOptions(seed: 7))
        let b = try ClusterCountSelection(
            selectingFrom: x, clusterCounts: 2...5, sampleSize: 150, options: KMeansOptions(seed: 7))
        #expect(a == b)
        #expect(a.sampleRows.count == 150 && Set(a.sampleRows).count == 150 && a.sampleRows == a.sampleRows.sorted())
        #expect(a.clusterCount == 3)
        let sample = x.gatheringRows(a.sampleRows)
        let expected = try Clustering.silhouette(sample, assignments: a.sampleRows.map { a.model.assignments[$0] }).mean
        #expect(a.silhouette == expected)
        let c = try ClusterCountSelection(
            selectingFrom: x, clusterCounts: 2...5, sampleSize: 150, options: KMeansOptions(seed: 8))
        #expect(c.sampleRows != a.sampleRows)
    }

    @Test func sameSeedSameClustering() throws {
        var rng = SeededGenerator(seed: 51)
        let x: Matrix<Double> = randomMatrix(400, 5, using: &rng)
        let a = try KMeans(fitting: x, clusterCount: 6, options: KMeansOptions(seed: 9))
        let b = try KMeans(fitting: x, clusterCount: 6, options: KMeansOptions(seed: 9))
        #expect(a == b)
        // One restart from another seed is a different (and no better) local optimum here.
        let c = try KMeans(fitting: x, clusterCount: 6, options: KMeansOptions(initialisations: 1, seed: 10))
        #expect(c.inertia >= a.inertia * (1 - 1e-12))
    }

    @Test func emptyClustersTakeTheFarthestPoints() throws {
        // Seeds far from every point: clusters 1 and 2 are empty after the first assignment, so they take the two
        // points farthest from centroid 0 (21, then 20), and Lloyd settles in the local optimum that leaves.
        let x = try Matrix<Double>(rows: [[0], [1], [10], [11], [20], [21]])
        var work = LloydWork(points: x, clusterCount: 3)
        let seeds = try Matrix<Double>(rows: [[5], [-100], [-200]])
        let run = work.run(from: seeds, maxIterations: 50)
        #expect(run.converged)
        #expect(run.assignments == [0, 0, 0, 0, 2, 1])
        #expect(run.clusterSizes == [4, 1, 1])
        #expect(isClose(run.inertia, 101, absolute: 1e-9))
        #expect(run.inertiaHistory.first! > run.inertia)
        for (before, after) in zip(run.inertiaHistory, run.inertiaHistory.dropFirst()) { #expect(after <= before + 1e-12) }
        // From k-means++ seeds with restarts the optimum {0, 1}, {10, 11}, {20, 21} is found.
        let model = try KMeans(fitting: x, clusterCount: 3)
        #expect(groups(model.assignments) == [[0, 1], [2, 3], [4, 5]])
        #expect(isClose(model.inertia, 1.5, absolute: 1e-9))
    }

    @Test func fewerDistinctPointsThanClusters() throws {
        let x = try Matrix<Double>(rows: [[1, 1], [1, 1], [1, 1], [4, 4], [4, 4]])
        let model = try KMeans(fitting: x, clusterCount: 4)
        #expect(model.converged)
        #expect(model.inertia == 0)
        #expect(model.clusterSizes.reduce(0, +) == 5)
        #expect(model.assignments[0] == model.assignments[2] && model.assignments[3] == model.assignments[4])
        #expect(model.assignments[0] != model.assignments[3])
    }

    @Test func oneClusterIsTheMean() throws {
        let x = try Matrix<Double>(rows: [[1, 2], [3, 4], [5, 9]])
        let model = try KMeans(fitting: x, clusterCount: 1)
        #expect(model.assignments == [0, 0, 0])
        #expect(isClose(model.centroids[0, 0], 3) && isClose(model.centroids[0, 1], 5))
        #expect(isClose(model.inertia, withinSumOfSquares(x, [0, 0, 0]), relative: 1e-12))
    }

    @Test func invalidHyperparametersAndDataAreRejected() throws {
        let x = try Matrix<Double>(rows: [[1, 2], [3, 4], [5, 6]])
        #expect(throws: LearningError.invalidParameter(name: "clusterCount", value: "0", requirement: "must be >= 1")) {
            try KMeans(fitting: x, clusterCount: 0)
        }
        #expect(
            throws: LearningError.invalidParameter(
                name: "clusterCount", value: "4", requirement: "must be at most the number of points, 3")
        ) { try KMeans(fitting: x, clusterCount: 4) }
        #expect(throws: LearningError.emptyData) { try KMeans(fitting: Matrix(rowCount: 0, columnCount: 2), clusterCount: 1) }
        var bad = x
        bad[1, 1] = .nan
        #expect(
            throws: LearningError.invalidParameter(
                name: "points", value: "nan at row 1, column 1", requirement: "must all be finite")
        ) { try KMeans(fitting: bad, clusterCount: 2) }
        #expect(
            throws: LearningError.invalidParameter(name: "initialisations", value: "0", requirement: "must be >= 1")
        ) { try KMeans(fitting: x, clusterCount: 2, options: KMeansOptions(initialisations: 0)) }
        #expect(
            throws: LearningError.invalidParameter(name: "maxIterations", value: "0", requirement: "must be >= 1")
        ) { try KMeans(fitting: x, clusterCount: 2, options: KMeansOptions(maxIterations: 0)) }
        #expect(throws: LearningError.self) { try Clustering.silhouette(x, assignments: [0, 0, 0]) }
        #expect(throws: LearningError.self) { try Clustering.silhouette(x, assignments: [0, 1, 2]) }
        #expect(throws: LearningError.self) { try Clustering.silhouette(x, assignments: [0, 1]) }
        #expect(throws: LearningError.self) { try Clustering.silhouette(x, assignments: [0, -1, 1]) }
        #expect(throws: LearningError.self) { try ClusterCountSelection(selectingFrom: x, clusterCounts: 1...3) }
        #expect(throws: LearningError.self) { try ClusterCountSelection(selectingFrom: x, clusterCounts: 3...4) }
        #expect(throws: LearningError.self) { try ClusterCountSelection(selectingFrom: x, clusterCounts: 2...3, sampleSize: 2) }
        let message = "\(LearningError.invalidParameter(name: "clusterCount", value: "0", requirement: "must be >= 1"))"
        #expect(message == "clusterCount must be >= 1 (got 0)")
    }

    @Test func assigningNewPointsUsesTheNearestCentroid() throws {
        var rng = SeededGenerator(seed: 61)
        let x: Matrix<Double> = randomMatrix(100, 3, using: &rng)
        let model = try KMeans(fitting: x, clusterCount: 4)
        let y: Matrix<Double> = randomMatrix(37, 3, using: &rng)
        let distances = naiveSquaredDistances(y, model.centroids)
        let expected = (0..<37).map { i in (0..<4).min { distances[i, $0] < distances[i, $1] }! }
        #expect(try model.assign(y) == expected)
        #expect(throws: LearningError.self) { try model.assign(Matrix(rowCount: 2, columnCount: 2)) }
    }
}
