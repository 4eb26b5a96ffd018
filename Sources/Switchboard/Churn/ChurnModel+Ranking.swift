import Learning

/// The partners still active at their latest period, highest churn risk first, with the factors behind each.
public struct ChurnRanking: Sendable {
    public struct Entry: Sendable, Equatable {
        public var key: ChurnRowKey
        public var risk: Double
        public var factors: [ChurnFactor]
    }

    /// Highest risk first; ties by partner id.
    public var entries: [Entry]
    /// Partners whose latest row says they already churned (left out: no risk left to score).
    public var churnedCount: Int
    /// The feature table of the ranked rows (one a partner, in the table's order, not the ranking's).
    public var latest: ChurnFeatureTable
}

extension ChurnModel {
    /// Scores every partner's latest row of `table` that does not already say it churned, and ranks them, highest
    /// risk first (ties by partner id), each with its `factorCount` largest factors. `predict churn` and the report's
    /// at-risk table both rank this way.
    /// - Throws: `LearningError` when the table does not fit the model.
    public func rankLatest(_ table: ChurnFeatureTable, factorCount: Int) throws(LearningError) -> ChurnRanking {
        let latestRows = table.latestRowPerPartner()
        let live = latestRows.filter { !table.labels[$0] }
        let latest = table.selectingRows(live)
        if live.isEmpty { return ChurnRanking(entries: [], churnedCount: latestRows.count, latest: latest) }
        let risks = try risk(for: latest)
        let factors = try explain(latest, top: factorCount)
        let order = latest.keys.indices.sorted {
            risks[$0] != risks[$1] ? risks[$0] > risks[$1] : latest.keys[$0].partnerID < latest.keys[$1].partnerID
        }
        return ChurnRanking(
            entries: order.map { ChurnRanking.Entry(key: latest.keys[$0], risk: risks[$0], factors: factors[$0]) },
            churnedCount: latestRows.count - live.count, latest: latest)
    }
}
