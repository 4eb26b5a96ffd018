import LinearAlgebra

/// Finds each partner's nearest neighbours by profile and what followed for those that received an action.
///
/// The profile of a partner with activity is, at its latest activity period: log(capacity), utilisation (open
/// leads / capacity, capped at 2), tenure in years at `asOf`, its smoothed win rate (wins + 1)/(resolved + 2) and
/// log(1 + resolved leads) over all its resolved outcomes, and its churn features (the five activity levels and
/// trends, tenure in periods, one-hot tier and type). Each column is standardised over all partners with activity
/// (those that churned included: what happened to them is evidence too), and neighbours are the nearest by
/// Euclidean distance (`PartnerNeighbours`, GEMM-based).
struct EvidenceFinder {
    let context: ActionContext
    /// Per partner (context order): its neighbours' partner indices, nearest first; empty without activity.
    let neighbours: [[Int]]
    /// Per partner: first and last activity period, and the period after which it churned (if it did).
    let firstPeriod: [Int?]
    let lastPeriod: [Int?]
    let churnPeriod: [Int?]

    init(context: ActionContext, profileTable: ChurnFeatureTable) {
        self.context = context
        let latest = profileTable.latestRowPerPartner()
        var rowOf: [String: Int] = [:]
        for row in latest { rowOf[profileTable.keys[row].partnerID] = row }
        let profiled = context.partners.indices.filter { rowOf[context.partners[$0].id] != nil }
        let extra = 5
        let d = extra + profileTable.featureCount
        var profiles = Matrix<Double>(rowCount: profiled.count, columnCount: d)
        for (i, p) in profiled.enumerated() {
            let partner = context.partners[p]
            let capacity = Double(max(partner.capacity, 1))
            let wins = Double(context.resolved[p].count { $0.won }), trials = Double(context.resolved[p].count)
            let values = [
                Kernels.logarithm(capacity), min(Double(partner.openLeads) / capacity, 2),
                max(0, partner.joined.days(until: context.asOf) / 365.25), (wins + 1) / (trials + 2), Kernels.log1p(trials),
            ]
            for (j, value) in values.enumerated() { profiles[i, j] = value }
            let row = rowOf[partner.id]!
            for j in 0..<profileTable.featureCount { profiles[i, extra + j] = profileTable.values[row, j] }
        }
        let nearest = PartnerNeighbours.nearest(
            PartnerNeighbours.standardised(profiles), count: context.settings.neighbourCount)
        var neighbours = [[Int]](repeating: [], count: context.partners.count)
        for (i, p) in profiled.enumerated() { neighbours[p] = nearest[i].map { profiled[$0.index] } }
        self.neighbours = neighbours
        firstPeriod = context.histories.map { $0.first?.period }
        lastPeriod = context.histories.map { $0.last?.period }
        churnPeriod = context.histories.map { history in history.last(where: \.churnedNext)?.period }
    }

    /// What followed for partner `p`'s neighbours that received action `a`, against those that did not.
    func evidence(partner p: Int, action a: Int) -> ActionEvidence {
        var took: [(partner: Int, time: Timestamp, period: Int)] = []
        var others: [Int] = []
        for j in neighbours[p] {
            if let first = context.received[j].first(where: { $0.action == a }) {
                took.append((j, first.time, context.period(of: first.time)))
            } else {
                others.append(j)
            }
        }
        var tookChanges: [Double] = [], otherChanges: [Double] = []
        var tookChurned: [Double] = [], otherChurned: [Double] = []
        for taker in took {
            if let change = winRateChange(taker.partner, at: taker.time) { tookChanges.append(change) }
            tookChurned.append(churned(taker.partner, from: taker.period) ? 1 : 0)
            for o in others {
                if let change = winRateChange(o, at: taker.time) { otherChanges.append(change) }
                if let first = firstPeriod[o], let last = lastPeriod[o], first <= taker.period, taker.period <= last {
                    otherChurned.append(churned(o, from: taker.period) ? 1 : 0)
                }
            }
        }
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        return ActionEvidence(
            neighbourCount: neighbours[p].count, tookCount: took.count, tookWinRateChange: mean(tookChanges),
            othersWinRateChange: mean(otherChanges), tookChurnRate: mean(tookChurned), othersChurnRate: mean(otherChurned))
    }

    /// Whether partner `j` churned after one of periods π … π + evidence periods − 1.
    func churned(_ j: Int, from period: Int) -> Bool {
        guard let churned = churnPeriod[j] else { return false }
        return churned >= period && churned < period + context.settings.evidencePeriods
    }

    /// Win rate on the leads assigned in [τ, τ + window) minus that in [τ − window, τ); nil when either span has no
    /// resolved lead.
    func winRateChange(_ j: Int, at time: Timestamp) -> Double? {
        let window = context.settings.evidenceWindowDays
        guard let before = winRate(j, from: time.adding(days: -window), to: time),
            let after = winRate(j, from: time, to: time.adding(days: window))
        else { return nil }
        return after - before
    }

    func winRate(_ j: Int, from start: Timestamp, to end: Timestamp) -> Double? {
        let outcomes = context.resolved[j]
        func lowerBound(_ bound: Int64) -> Int {
            var low = 0, high = outcomes.count
            while low < high {
                let mid = (low + high) / 2
                if outcomes[mid].assigned < bound { low = mid + 1 } else { high = mid }
            }
            return low
        }
        let range = lowerBound(start.secondsSinceEpoch)..<lowerBound(end.secondsSinceEpoch)
        guard !range.isEmpty else { return nil }
        return Double(outcomes[range].count { $0.won }) / Double(range.count)
    }
}
