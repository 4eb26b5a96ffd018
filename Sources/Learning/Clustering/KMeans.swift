import LinearAlgebra

/// How k-means is run: restarts, the iteration limit, and the seed of every random choice.
public struct KMeansOptions: Sendable, Equatable {
    /// Independent k-means++ seedings, each followed by Lloyd iterations; the run with the lowest inertia wins.
    public var initialisations: Int
    /// The limit on assignment steps of one run.
    public var maxIterations: Int
    /// Seeds the generator behind the k-means++ draws, so the same seed gives the same clustering.
    public var seed: UInt64

    public init(initialisations: Int = 10, maxIterations: Int = 300, seed: UInt64 = 42) {
        self.initialisations = initialisations
        self.maxIterations = maxIterations
        self.seed = seed
    }

    /// Throws for a hyperparameter out of range, quoting it.
    public func validate() throws(LearningError) {
        if initialisations < 1 {
            throw .invalidParameter(name: "initialisations", value: "\(initialisations)", requirement: "must be >= 1")
        }
        if maxIterations < 1 {
            throw .invalidParameter(name: "maxIterations", value: "\(maxIterations)", requirement: "must be >= 1")
        }
    }
}

/// A k-means clustering: k centroids and the cluster of every point it was fitted on.
///
/// Fitting minimises the inertia
///
///     Σᵢ min_j ‖xᵢ − cⱼ‖²
///
/// over the centroids c₁…c_k by Lloyd's algorithm from greedy k-means++ seeds (Arthur and Vassilvitskii, with
/// scikit-learn's 2 + ⌊ln k⌋ candidates a step). Each assignment step forms every squared distance with one GEMM,
/// ‖x‖² + ‖c‖² − 2·X·Cᵀ; each update step moves a centroid to the mean of its points. A run stops when an
/// assignment step changes no point's cluster, or after `maxIterations` assignment steps. A cluster left empty by
/// an assignment step takes the point farthest from its own centroid (among points with a positive distance, from
/// clusters of two or more; the next farthest for a second empty cluster), so no step increases the inertia.
/// Ties go to the lowest index everywhere, and all randomness comes from the seeded generator, so the result is a
/// function of the points, k and the options.
public struct KMeans: Sendable, Equatable {
    /// k×d, one row a cluster.
    public var centroids: Matrix<Double>
    /// The cluster (0..<k) of every point fitted on: its nearest centroid.
    public var assignments: [Int]
    /// Points in each cluster (0 only when there are fewer distinct points than clusters).
    public var clusterSizes: [Int]
    /// Σᵢ ‖xᵢ − c_{assignment(i)}‖² of the points fitted on.
    public var inertia: Double
    /// Assignment steps of the winning run.
    public var iterations: Int
    /// Whether the winning run stopped because no assignment changed (rather than at `maxIterations`).
    public var converged: Bool
    /// The winning run's inertia after each assignment step; never increasing.
    public var inertiaHistory: [Double]

    public var clusterCount: Int { centroids.rowCount }
    public var featureCount: Int { centroids.columnCount }

    public init(
        centroids: Matrix<Double>, assignments: [Int], clusterSizes: [Int], inertia: Double, iterations: Int,
        converged: Bool, inertiaHistory: [Double]
    ) {
        self.centroids = centroids
        self.assignments = assignments
        self.clusterSizes = clusterSizes
        self.inertia = inertia
        self.iterations = iterations
        self.converged = converged
        self.inertiaHistory = inertiaHistory
    }

    /// Fits k-means with `clusterCount` clusters to the rows of `points` (n×d).
    /// - Throws: `LearningError.emptyData` for no rows; `.invalidParameter` when `clusterCount` is not in 1…n, an
    ///   option is out of range, or a value is not finite (naming its row and column).
    /// - Complexity: O(initialisations · (iterations + log k) · n·k·d).
    public init(fitting points: Matrix<Double>, clusterCount: Int, options: KMeansOptions = KMeansOptions())
        throws(LearningError)
    {
        try options.validate()
        try Clustering.validatePoints(points)
        guard clusterCount >= 1 else {
            throw .invalidParameter(name: "clusterCount", value: "\(clusterCount)", requirement: "must be >= 1")
        }
        guard clusterCount <= points.rowCount else {
            throw .invalidParameter(
                name: "clusterCount", value: "\(clusterCount)",
                requirement: "must be at most the number of points, \(points.rowCount)")
        }
        var rng = SeededGenerator(seed: options.seed)
        var work = LloydWork(points: points, clusterCount: clusterCount)
        var best: KMeans?
        for _ in 0..<options.initialisations {
            var runRNG = rng.split()
            let seeds = KMeans.plusPlusSeeds(points, clusterCount: clusterCount, rng: &runRNG)
            let run = work.run(from: seeds, maxIterations: options.maxIterations)
            if best == nil || run.inertia < best!.inertia { best = run }
        }
        self = best!
    }

    /// The nearest centroid of every row of `points` (ties to the lowest cluster index).
    /// - Throws: `LearningError` when the column count is not the model's or a value is not finite.
    /// - Complexity: O(n·k·d).
    public func assign(_ points: Matrix<Double>) throws(LearningError) -> [Int] {
        if points.rowCount == 0 { return [] }
        try Clustering.validatePoints(points)
        let distances = try Clustering.squaredDistances(points, centroids)
        return (0..<points.rowCount).map { KMeans.nearest(distances, row: $0).index }
    }

    /// The first column holding the row's smallest value, and that value.
    static func nearest(_ distances: Matrix<Double>, row: Int) -> (index: Int, distance: Double) {
        let k = distances.columnCount
        var index = 0, best = distances.storage[row * k]
        for j in 1..<k where distances.storage[row * k + j] < best {
            best = distances.storage[row * k + j]
            index = j
        }
        return (index, best)
    }
}

/// The buffers of Lloyd's algorithm, allocated once a fit and reused by every run.
struct LloydWork {
    let points: Matrix<Double>
    let clusterCount: Int
    var distances: Matrix<Double>
    var sums: Matrix<Double>

    init(points: Matrix<Double>, clusterCount: Int) {
        self.points = points
        self.clusterCount = clusterCount
        distances = Matrix(rowCount: points.rowCount, columnCount: clusterCount)
        sums = Matrix(rowCount: clusterCount, columnCount: points.columnCount)
    }

    /// Lloyd's algorithm from `seeds` (k×d).
    mutating func run(from seeds: Matrix<Double>, maxIterations: Int) -> KMeans {
        let n = points.rowCount, k = clusterCount
        var centroids = seeds
        var labels = [Int](repeating: -1, count: n)
        var history: [Double] = []
        var converged = false
        var iterations = 0
        for iteration in 1...maxIterations {
            iterations = iteration
            Clustering.squaredDistances(
                points, rows: 0..<n, centroids, into: &distances)
            var changed = false, inertia = 0.0
            for i in 0..<n {
                let (j, distance) = KMeans.nearest(distances, row: i)
                if j != labels[i] {
                    labels[i] = j
                    changed = true
                }
                inertia += distance
            }
            history.append(inertia)
            if !changed {
                converged = true
                break
            }
            if iteration < maxIterations { centroids = update(labels: &labels, previous: centroids) }
        }
        var sizes = [Int](repeating: 0, count: k)
        for label in labels { sizes[label] += 1 }
        return KMeans(
            centroids: centroids, assignments: labels, clusterSizes: sizes, inertia: history.last!, iterations: iterations,
            converged: converged, inertiaHistory: history)
    }

    /// The mean of each cluster's points. An empty cluster first takes the point farthest from its centroid in
    /// `previous` (distances by direct subtraction, so a point on its centroid is at exactly 0), which leaves its old
    /// cluster; a cluster still empty (every point sits on a centroid) keeps its place.
    mutating func update(labels: inout [Int], previous: Matrix<Double>) -> Matrix<Double> {
        let n = points.rowCount, d = points.columnCount, k = clusterCount
        var counts = [Int](repeating: 0, count: k)
        for label in labels { counts[label] += 1 }
        if counts.contains(0) {
            let distance = (0..<n).map { i in
                var sum = 0.0
                for j in 0..<d {
                    let difference = points[i, j] - previous[labels[i], j]
                    sum += difference * difference
                }
                return sum
            }
            var farthest = (0..<n).filter { distance[$0] > 0 }
            farthest.sort { distance[$0] != distance[$1] ? distance[$0] > distance[$1] : $0 < $1 }
            var next = 0
            for empty in 0..<k where counts[empty] == 0 {
                while next < farthest.count && counts[labels[farthest[next]]] < 2 { next += 1 }
                guard next < farthest.count else { break }
                let point = farthest[next]
                counts[labels[point]] -= 1
                labels[point] = empty
                counts[empty] = 1
                next += 1
            }
        }
        for i in sums.storage.indices { sums.storage[i] = 0 }
        points.storage.withUnsafeBufferPointer { x in
            sums.storage.withUnsafeMutableBufferPointer { s in
                for i in 0..<n {
                    let label = labels[i]
                    for j in 0..<d { s[label * d + j] += x[i * d + j] }
                }
            }
        }
        var centroids = Matrix<Double>(rowCount: k, columnCount: d)
        for c in 0..<k where counts[c] > 0 {
            let scale = 1 / Double(counts[c])
            for j in 0..<d { centroids[c, j] = sums[c, j] * scale }
        }
        for c in 0..<k where counts[c] == 0 {
            for j in 0..<d { centroids[c, j] = previous[c, j] }
        }
        return centroids
    }
}
