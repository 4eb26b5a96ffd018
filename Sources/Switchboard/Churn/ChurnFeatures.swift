import Learning
import LinearAlgebra

/// Which activity record a feature row stands for: a partner at a period.
public struct ChurnRowKey: Sendable, Equatable, Hashable, Codable {
    public var partnerID: String
    public var period: Int
    /// The record's index in the activity array given to `ChurnFeatures.build`.
    public var activityIndex: Int

    public init(partnerID: String, period: Int, activityIndex: Int) {
        self.partnerID = partnerID
        self.period = period
        self.activityIndex = activityIndex
    }
}

/// One feature row a (partner, period), its label, and the raw (unstandardised) feature values.
///
/// Rows are ordered by partner id, then period. `values` is `rowCount × featureCount`, row-major, columns named
/// by `featureNames`.
public struct ChurnFeatureTable: Sendable, Equatable {
    /// The activity file the rows came from, for messages and model metadata.
    public var source: String
    public var featureNames: [String]
    /// Whether the partner tier and type columns are present.
    public var usesPartnerAttributes: Bool
    public var keys: [ChurnRowKey]
    /// `churned_next` of each row.
    public var labels: [Bool]
    public var values: Matrix<Double>

    public init(
        source: String, featureNames: [String], usesPartnerAttributes: Bool, keys: [ChurnRowKey], labels: [Bool],
        values: Matrix<Double>
    ) {
        precondition(keys.count == labels.count && values.rowCount == keys.count, "one key and one label a row")
        precondition(values.columnCount == featureNames.count, "one name a feature column")
        self.source = source
        self.featureNames = featureNames
        self.usesPartnerAttributes = usesPartnerAttributes
        self.keys = keys
        self.labels = labels
        self.values = values
    }

    public var rowCount: Int { keys.count }
    public var featureCount: Int { featureNames.count }

    /// The given rows, in the given order.
    /// - Complexity: O(indices.count · featureCount).
    public func selectingRows(_ indices: [Int]) -> ChurnFeatureTable {
        ChurnFeatureTable(
            source: source, featureNames: featureNames, usesPartnerAttributes: usesPartnerAttributes,
            keys: indices.map { keys[$0] }, labels: indices.map { labels[$0] }, values: values.gatheringRows(indices))
    }

    /// The index of each partner's row at its latest period, ordered by partner id.
    public func latestRowPerPartner() -> [Int] {
        var latest: [String: Int] = [:]
        for (index, key) in keys.enumerated() {
            if let seen = latest[key.partnerID], keys[seen].period >= key.period { continue }
            latest[key.partnerID] = index
        }
        return latest.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Row `row`'s value of the feature called `name`; nil when there is no such feature.
    public func value(row: Int, feature name: String) -> Double? {
        featureNames.firstIndex(of: name).map { values[row, $0] }
    }
}

/// Turns partner activity histories into churn feature rows, one a (partner, period), using only what was known
/// at that period.
///
/// For a row of partner P at period t, with ℓ(r) = log1p(figure) of P's record r:
/// - levels, one a figure (`portal_logins`, `trainings_completed`, `deal_registrations`, `marketing_funds_used`,
///   `revenue`): ℓ at period t;
/// - trends (`portal_logins_trend`, …): the mean of ℓ over P's records with period in [t − 2, t] minus the mean
///   over its records with period in [t − 5, t − 3]; 0 when P has no record in the earlier window. Missing
///   periods are simply absent from the means;
/// - `tenure_periods`: t minus the period of P's first record;
/// - with partners: one-hot `tier=<tier>` and `type=<type>` over every tier and type (`PartnerTier.allCases`,
///   `PartnerType.allCases`), so the columns do not depend on the data.
///
/// No row uses a record of a later period than its own, so dropping or changing later records never changes it.
public enum ChurnFeatures {
    /// The activity figures, in column order, with their CSV column names.
    public static let figureNames = [
        "portal_logins", "trainings_completed", "deal_registrations", "marketing_funds_used", "revenue",
    ]
    /// Periods in each of the two windows a trend compares.
    public static let trendWindow = 3

    /// The feature names, in column order.
    public static func featureNames(partnerAttributes: Bool) -> [String] {
        var names = figureNames + figureNames.map { $0 + "_trend" } + ["tenure_periods"]
        if partnerAttributes {
            names += PartnerTier.allCases.map { "tier=\($0.rawValue)" }
            names += PartnerType.allCases.map { "type=\($0.rawValue)" }
        }
        return names
    }

    /// Builds one feature row a record of `activity` (in any order), with tier and type when `partners` is given.
    ///
    /// - Parameters:
    ///   - sources: the file names errors mention (`activity` and `partners`), and the line of each activity record
    ///     (record i on line i + 2 when it has none).
    /// - Throws: `RecordError.unknownReference` for a partner id missing from `partners`,
    ///   `.duplicateID` for a second record of the same partner and period, `.impossibleValue` for a negative or
    ///   non-finite figure or a negative period, each naming the activity file, line and column.
    /// - Complexity: O(n log n + n·featureCount) for n records.
    public static func build(
        activity: [PartnerActivity], partners: [Partner]? = nil, sources: EcosystemSources = EcosystemSources()
    ) throws(RecordError) -> ChurnFeatureTable {
        func line(_ index: Int) -> Int { sources.line(.activity, index) }
        let file = sources.activity

        var partnerByID: [String: Partner]?
        if let partners {
            var byID: [String: Partner] = [:]
            for partner in partners { byID[partner.id] = partner }
            partnerByID = byID
        }
        for (index, record) in activity.enumerated() {
            if let partnerByID, partnerByID[record.partnerID] == nil {
                throw .unknownReference(
                    file: file, line: line(index), column: "partner_id", id: record.partnerID,
                    referencedFile: sources.partners)
            }
            if record.period < 0 {
                throw .impossibleValue(
                    file: file, line: line(index), column: "period", value: "\(record.period)", reason: "must be at least 0")
            }
            for (name, value) in zip(figureNames, figures(record.figures)) where !(value.isFinite && value >= 0) {
                throw .impossibleValue(
                    file: file, line: line(index), column: name, value: "\(value)", reason: "must be a finite number at least 0")
            }
        }

        // Group by partner, each partner's records by period (ties are duplicates).
        let order = activity.indices.sorted {
            let a = activity[$0], b = activity[$1]
            return a.partnerID != b.partnerID ? a.partnerID < b.partnerID : a.period != b.period ? a.period < b.period : $0 < $1
        }
        for (previous, next) in zip(order, order.dropFirst())
        where activity[previous].partnerID == activity[next].partnerID && activity[previous].period == activity[next].period {
            let record = activity[next]
            throw .duplicateID(
                file: file, line: max(line(previous), line(next)), column: "partner_id, period",
                id: "\(record.partnerID) period \(record.period)",
                firstLine: min(line(previous), line(next)))
        }

        let names = featureNames(partnerAttributes: partners != nil)
        let figureCount = figureNames.count
        var values = Matrix<Double>(rowCount: activity.count, columnCount: names.count)
        var keys: [ChurnRowKey] = []
        keys.reserveCapacity(activity.count)
        var labels: [Bool] = []
        labels.reserveCapacity(activity.count)

        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && activity[order[end]].partnerID == activity[order[start]].partnerID { end += 1 }
            let history = order[start..<end].map { activity[$0] }
            let logs = history.map { figures($0.figures).map(Kernels.log1p) }
            let firstPeriod = history[0].period
            let partner = partnerByID?[history[0].partnerID]
            for r in history.indices {
                let row = start + r, period = history[r].period
                keys.append(ChurnRowKey(partnerID: history[r].partnerID, period: period, activityIndex: order[row]))
                labels.append(history[r].churnedNext)
                for f in 0..<figureCount { values[row, f] = logs[r][f] }
                // Records in [t − 2, t] and [t − 5, t − 3], found by walking back from r (periods ascend).
                var recent = [Double](repeating: 0, count: figureCount), recentCount = 0
                var earlier = [Double](repeating: 0, count: figureCount), earlierCount = 0
                var back = r
                while back >= 0 && history[back].period > period - 2 * trendWindow {
                    if history[back].period > period - trendWindow {
                        for f in 0..<figureCount { recent[f] += logs[back][f] }
                        recentCount += 1
                    } else {
                        for f in 0..<figureCount { earlier[f] += logs[back][f] }
                        earlierCount += 1
                    }
                    back -= 1
                }
                for f in 0..<figureCount {
                    values[row, figureCount + f] =
                        earlierCount == 0
                        ? 0 : recent[f] / Double(recentCount) - earlier[f] / Double(earlierCount)
                }
                values[row, 2 * figureCount] = Double(period - firstPeriod)
                if let partner {
                    let tierColumn = 2 * figureCount + 1
                    let typeColumn = tierColumn + PartnerTier.allCases.count
                    values[row, tierColumn + PartnerTier.allCases.firstIndex(of: partner.tier)!] = 1
                    values[row, typeColumn + PartnerType.allCases.firstIndex(of: partner.type)!] = 1
                }
            }
            start = end
        }
        return ChurnFeatureTable(
            source: file, featureNames: names, usesPartnerAttributes: partners != nil, keys: keys, labels: labels,
            values: values)
    }

    /// The five figures in `figureNames` order.
    static func figures(_ f: ActivityFigures) -> [Double] {
        [f.portalLogins, f.trainingsCompleted, f.dealRegistrations, f.marketingFundsUsed, f.revenue]
    }
}
