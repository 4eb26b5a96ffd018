import LinearAlgebra

/// The number of clusters chosen by the mean silhouette: k-means is fitted for every candidate k, and the k whose
/// clustering has the highest mean silhouette on a seeded sample of the points wins (the smaller k on a tie).
public struct ClusterCountSelection: Sendable, Equatable {
    /// One candidate k: its fitted inertia and mean silhouette on the sample.
    public struct Candidate: Sendable, Equatable {
        public var clusterCount: Int
        public var inertia: Double
        /// Nil when the sample's points fell in fewer than two clusters (no silhouette is defined).
        public var silhouette: Double?

        public init(clusterCount: Int, inertia: Double, silhouette: Double?) {
            self.clusterCount = clusterCount
            self.inertia = inertia
            self.silhouette = silhouette
        }
    }

    /// Every candidate, in increasing k.
    public var candidates: [Candidate]
    /// The k-means fit of the chosen k, on all the points.
    public var model: KMeans
    /// The chosen k's mean silhouette on the sample.
    public var silhouette: Double
    /// The rows the silhouettes were computed on, increasing (all rows when n ≤ the sample size).
    public var sampleRows: [Int]

    public var clusterCount: Int { model.clusterCount }

    /// Fits k-means (`options`, the same seed for every k) for every k in `clusterCounts` up to n − 1 and keeps the
    /// one with the best mean silhouette over `sampleSize` rows drawn without replacement by a generator seeded with
    /// `options.seed` (every row when n ≤ `sampleSize`).
    /// - Throws: `LearningError.invalidParameter` when `clusterCounts` starts below 2, there are fewer than
    ///   `clusterCounts.lowerBound + 1` points, `sampleSize` is below 3, an option is out of range or a value is
    ///   not finite; `.emptyData` for no points; `.numerical` when no candidate has a silhouette.
    /// - Complexity: O(Σₖ fit(k) + |clusterCounts| · s²·d) for a sample of s rows.
    public init(
        selectingFrom points: Matrix<Double>, clusterCounts: ClosedRange<Int> = 2...8, sampleSize: Int = 2000,
        options: KMeansOptions = KMeansOptions()
    ) throws(LearningError) {
        try options.validate()
        try Clustering.validatePoints(points)
        let n = points.rowCount
        guard clusterCounts.lowerBound >= 2 else {
            throw .invalidParameter(
                name: "clusterCounts", value: "\(clusterCounts.lowerBound)...\(clusterCounts.upperBound)",
                requirement: "must start at 2 or more (a silhouette needs two clusters)")
        }
        guard clusterCounts.lowerBound <= n - 1 else {
            throw .invalidParameter(
                name: "clusterCounts", value: "\(clusterCounts.lowerBound)...\(clusterCounts.upperBound)",
                requirement: "needs at least \(clusterCounts.lowerBound + 1) points; there are \(n)")
        }
        guard sampleSize >= 3 else {
            throw .invalidParameter(name: "sampleSize", value: "\(sampleSize)", requirement: "must be >= 3")
        }
        var rng = SeededGenerator(seed: options.seed)
        var rows = Array(0..<n)
        if n > sampleSize {
            // A partial Fisher–Yates shuffle: the first sampleSize entries are a uniform sample without replacement.
            for i in 0..<sampleSize {
                let j = i + min(n - i - 1, Int(rng.nextUniform() * Double(n - i)))
                rows.swapAt(i, j)
            }
            rows = Array(rows[0..<sampleSize]).sorted()
        }
        let sample = n > sampleSize ? points.gatheringRows(rows) : points
        var candidates: [Candidate] = []
        var best: (model: KMeans, silhouette: Double)?
        for k in clusterCounts.lowerBound...min(clusterCounts.upperBound, n - 1) {
            let model = try KMeans(fitting: points, clusterCount: k, options: options)
            let labels = rows.map { model.assignments[$0] }
            var score: Double?
            if Set(labels).count >= 2 && Set(labels).count <= labels.count - 1 {
                score = try Clustering.silhouette(sample, assignments: labels).mean
            }
            candidates.append(Candidate(clusterCount: k, inertia: model.inertia, silhouette: score))
            if let score, best == nil || score > best!.silhouette { best = (model, score) }
        }
        guard let best else {
            throw .numerical("no candidate number of clusters has a silhouette: the sample's points fall in one cluster")
        }
        self.candidates = candidates
        model = best.model
        silhouette = best.silhouette
        sampleRows = rows
    }
}
