import Learning
import LinearAlgebra

/// The behaviour clusters of the latest period, and how partners of another period are placed in them.
struct BehaviourSegmentation {
    static let levelNames = ChurnFeatures.figureNames
    static let trendName = "engagement_trend"

    let featureNames: [String]
    let means: [Double]
    let scales: [Double]
    let model: KMeans
    /// The name of each k-means cluster index (`B1` for the largest).
    let names: [String]
    /// Per snapshot of the latest period: its cluster's name, or `none`.
    let clusterNames: [String]
    let summary: BehaviourClustering

    /// Clusters the snapshots flagged in `clustered`; nil when none is.
    init?(clustered: [Bool], snapshots: [PartnerSnapshot], usesTrend: Bool, options: SegmentOptions) throws {
        let members = snapshots.indices.filter { clustered[$0] }
        guard !members.isEmpty else { return nil }
        featureNames = Self.levelNames + (usesTrend ? [Self.trendName] : [])
        let raw = Self.features(members.map { snapshots[$0] }, usesTrend: usesTrend)
        // Population mean and standard deviation of each feature (1 for a constant one).
        let n = Double(members.count), d = featureNames.count
        var means = [Double](repeating: 0, count: d), scales = [Double](repeating: 0, count: d)
        for i in 0..<members.count { for j in 0..<d { means[j] += raw[i, j] / n } }
        for i in 0..<members.count {
            for j in 0..<d { scales[j] += (raw[i, j] - means[j]) * (raw[i, j] - means[j]) / n }
        }
        scales = scales.enumerated().map { j, variance in
            let deviation = variance.squareRoot()
            return deviation > 1e-12 * max(1, abs(means[j])) ? deviation : 1
        }
        self.means = means
        self.scales = scales
        let z = Self.standardise(raw, means: means, scales: scales)

        let (model, candidates, silhouette, sampleSize) = try Self.fit(z, options: options)
        self.model = model
        // Name clusters by size, largest first (ties by index).
        let order = (0..<model.clusterCount).sorted {
            model.clusterSizes[$0] != model.clusterSizes[$1] ? model.clusterSizes[$0] > model.clusterSizes[$1] : $0 < $1
        }
        var names = [String](repeating: "", count: model.clusterCount)
        for (rank, cluster) in order.enumerated() { names[cluster] = "B\(rank + 1)" }
        self.names = names
        var clusterNames = [String](repeating: "none", count: snapshots.count)
        for (row, index) in members.enumerated() { clusterNames[index] = names[model.assignments[row]] }
        self.clusterNames = clusterNames
        let featureNames = self.featureNames
        summary = BehaviourClustering(
            featureNames: featureNames, means: means, scales: scales, partnerCount: members.count, candidates: candidates,
            silhouette: silhouette, sampleSize: sampleSize,
            clusters: order.map { cluster in
                let centroid = model.centroids.row(cluster)
                return BehaviourClustering.Cluster(
                    name: names[cluster], size: model.clusterSizes[cluster], centroid: centroid,
                    description: Self.describe(centroid, featureNames: featureNames))
            })
    }

    /// k-means on the standardised rows `z`, k chosen by `ClusterCountSelection`; one cluster when there are too few
    /// rows to choose, or no k splits them (every row alike).
    static func fit(_ z: Matrix<Double>, options: SegmentOptions) throws -> (
        model: KMeans, candidates: [ClusterCountSelection.Candidate], silhouette: Double?, sampleSize: Int
    ) {
        if z.rowCount >= options.clusterCounts.lowerBound + 1 {
            do {
                let selection = try ClusterCountSelection(
                    selectingFrom: z, clusterCounts: options.clusterCounts, sampleSize: options.silhouetteSampleSize,
                    options: options.clustering)
                return (selection.model, selection.candidates, selection.silhouette, selection.sampleRows.count)
            } catch LearningError.numerical {
                // No k splits the rows: fall through to one cluster.
            }
        }
        return (try KMeans(fitting: z, clusterCount: 1, options: options.clustering), [], nil, 0)
    }

    /// The cluster name of each snapshot flagged in `clustered` (its nearest centroid after standardising with this
    /// clustering's means and scales), `none` for the others.
    func assign(_ snapshots: [PartnerSnapshot], clustered: [Bool]) throws -> [String] {
        let members = snapshots.indices.filter { clustered[$0] }
        var result = [String](repeating: "none", count: snapshots.count)
        guard !members.isEmpty else { return result }
        let raw = Self.features(members.map { snapshots[$0] }, usesTrend: featureNames.count > Self.levelNames.count)
        let labels = try model.assign(Self.standardise(raw, means: means, scales: scales))
        for (row, index) in members.enumerated() { result[index] = names[labels[row]] }
        return result
    }

    /// One row a snapshot: its levels, then its trend.
    static func features(_ snapshots: [PartnerSnapshot], usesTrend: Bool) -> Matrix<Double> {
        let d = levelNames.count + (usesTrend ? 1 : 0)
        var x = Matrix<Double>(rowCount: snapshots.count, columnCount: d)
        for (i, s) in snapshots.enumerated() {
            for j in 0..<levelNames.count { x[i, j] = s.levels[j] }
            if usesTrend { x[i, d - 1] = s.trend }
        }
        return x
    }

    static func standardise(_ x: Matrix<Double>, means: [Double], scales: [Double]) -> Matrix<Double> {
        var z = x
        for i in 0..<x.rowCount { for j in 0..<x.columnCount { z[i, j] = (x[i, j] - means[j]) / scales[j] } }
        return z
    }

    /// Up to two features at least half a standard deviation from the mean, furthest first: `high revenue, low
    /// portal logins`; `average` when there is none.
    static func describe(_ centroid: [Double], featureNames: [String]) -> String {
        let notable = centroid.indices.filter { abs(centroid[$0]) >= 0.5 }
            .sorted { abs(centroid[$0]) != abs(centroid[$1]) ? abs(centroid[$0]) > abs(centroid[$1]) : $0 < $1 }
        guard !notable.isEmpty else { return "average" }
        return notable.prefix(2).map { j in
            let name = featureNames[j].replacingUnderscores
            if featureNames[j] == trendName { return centroid[j] > 0 ? "rising engagement" : "falling engagement" }
            return (centroid[j] > 0 ? "high " : "low ") + name
        }.joined(separator: ", ")
    }
}

extension String {
    fileprivate var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
