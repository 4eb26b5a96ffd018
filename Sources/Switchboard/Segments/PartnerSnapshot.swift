import LinearAlgebra

/// The figures behind one partner's segments as of one period.
struct PartnerSnapshot: Sendable, Equatable {
    /// It had joined by then (an activity row at or before the period, or its joining month, when known).
    var present = false
    var tenure: Int?
    var dormant = false
    var trend = 0.0
    /// Mean log1p of the five activity figures over the recent periods (without activity: of the 12-month
    /// figures / 12), in `ChurnFeatures.figureNames` order.
    var levels = [Double](repeating: 0, count: 5)
    var revenue = 0.0
    var pipeline = 0.0
    var leads = 0
    var wins = 0
    var resolved = 0
    var everWon = false
    var risk: Double?
    var primaryVertical: String?
    var primaryTechnology: String?
    var lifecycle = LifecycleStage.onboarding
    var valueScore = 0.0
    var valueTier = ValueTier.none
}

/// One assignment of the history, as segmentation needs it.
struct Assignment: Sendable {
    var period: Int
    var outcome: OutcomeKind
    var value: Double
    var vertical: String
    var technology: String
}

/// Computes snapshots from each partner's records, indexed once.
struct SnapshotMaker: Sendable {
    let partners: [Partner]
    /// Each partner's activity rows, by period; nil without activity.
    let rows: [[PartnerActivity]]?
    /// Each partner's assignments, by period; empty without history.
    let assignments: [[Assignment]]
    let calendar: MonthCalendar?
    /// Churn risk by partner id and period.
    let risk: [String: [Int: Double]]
    let options: SegmentOptions

    /// ℓ of the five figures.
    static func logs(_ figures: ActivityFigures) -> [Double] { ChurnFeatures.figures(figures).map(Kernels.log1p) }

    /// (ℓ(portal_logins) + ℓ(deal_registrations)) / 2.
    static func engagement(_ figures: ActivityFigures) -> Double {
        (Kernels.log1p(figures.portalLogins) + Kernels.log1p(figures.dealRegistrations)) / 2
    }

    /// Partner `index` as of period `t`.
    func snapshot(_ index: Int, at t: Int) -> PartnerSnapshot {
        let partner = partners[index]
        let rules = options.lifecycle
        let recent = rules.recentPeriods
        var s = PartnerSnapshot()
        let joinedPeriod = calendar.map { $0.period(of: partner.joined) }
        if let rows {
            let upTo = rows[index].prefix { $0.period <= t }
            var start = upTo.first?.period
            if let joinedPeriod { start = min(start ?? joinedPeriod, joinedPeriod) }
            s.present = !upTo.isEmpty || (joinedPeriod.map { $0 <= t } ?? false)
            if s.present, let start { s.tenure = t - start + 1 }
            let recentRows = upTo.filter { $0.period > t - recent }
            let earlierRows = upTo.filter { $0.period > t - 2 * recent && $0.period <= t - recent }
            if !recentRows.isEmpty {
                for row in recentRows {
                    for (f, value) in Self.logs(row.figures).enumerated() { s.levels[f] += value / Double(recentRows.count) }
                }
                if !earlierRows.isEmpty {
                    s.trend =
                        recentRows.map { Self.engagement($0.figures) }.reduce(0, +) / Double(recentRows.count)
                        - earlierRows.map { Self.engagement($0.figures) }.reduce(0, +) / Double(earlierRows.count)
                }
            }
            if let last = upTo.last {
                let idle = recentRows.allSatisfy {
                    $0.figures.portalLogins == 0 && $0.figures.dealRegistrations == 0 && $0.figures.revenue == 0
                }
                s.dormant = (last.period < t && last.churnedNext) || recentRows.isEmpty || idle
            } else {
                s.dormant = s.present && s.tenure! > rules.onboardingPeriods
            }
            s.revenue = upTo.filter { $0.period > t - options.windowPeriods }.map(\.figures.revenue).reduce(0, +)
            s.everWon = upTo.contains { $0.figures.revenue > 0 }
            s.risk = risk[partner.id]?[t]
        } else {
            // No activity: the partners file's 12-month figures, as of period t.
            s.present = joinedPeriod.map { $0 <= t } ?? true
            if s.present, let joinedPeriod { s.tenure = t - joinedPeriod + 1 }
            var monthly = partner.activity
            monthly.portalLogins /= 12
            monthly.trainingsCompleted /= 12
            monthly.dealRegistrations /= 12
            monthly.marketingFundsUsed /= 12
            monthly.revenue /= 12
            s.levels = Self.logs(monthly)
            let figures = partner.activity
            s.dormant = s.present && figures.portalLogins == 0 && figures.dealRegistrations == 0 && figures.revenue == 0
            s.revenue = figures.revenue
            s.everWon = figures.revenue > 0
        }
        var verticalWins: [String: Int] = [:], technologyWins: [String: Int] = [:]
        for assignment in assignments[index] where assignment.period <= t {
            if assignment.outcome == .won {
                verticalWins[assignment.vertical, default: 0] += 1
                technologyWins[assignment.technology, default: 0] += 1
                s.everWon = true
            }
            guard assignment.period > t - options.windowPeriods else { continue }
            s.leads += 1
            switch assignment.outcome {
            case .won:
                s.wins += 1
                s.resolved += 1
                s.pipeline += assignment.value
            case .lost, .expired:
                s.resolved += 1
                s.pipeline += assignment.value
            case .declined:
                break
            }
        }
        s.primaryVertical = Self.mostWon(partner.verticals, verticalWins)
        s.primaryTechnology = Self.mostWon(partner.technologies, technologyWins)
        s.lifecycle = lifecycle(s)
        return s
    }

    /// The entry of `list` with the most wins (the first on a tie); nil for an empty list.
    static func mostWon(_ list: [String], _ wins: [String: Int]) -> String? {
        var best: String?, bestCount = -1
        for entry in list where wins[entry, default: 0] > bestCount {
            best = entry
            bestCount = wins[entry, default: 0]
        }
        return best
    }

    /// The stage by `LifecycleRules`, in order.
    func lifecycle(_ s: PartnerSnapshot) -> LifecycleStage {
        let rules = options.lifecycle
        guard s.present, let tenure = s.tenure else { return .onboarding }
        if s.dormant { return .dormant }
        if tenure <= rules.onboardingPeriods { return .onboarding }
        if s.trend <= rules.atRiskTrend || (s.risk.map { $0 >= rules.atRiskChurnRisk } ?? false) { return .atRisk }
        if tenure <= rules.rampingPeriods || !s.everWon { return .ramping }
        return .established
    }

    /// Sets the value score and tier of every present snapshot (absent ones stay at 0 and `none`).
    func assignValueTiers(_ snapshots: inout [PartnerSnapshot], usesPipeline: Bool) {
        let present = snapshots.indices.filter { snapshots[$0].present }
        let revenueRanks = Self.percentileRanks(present.map { snapshots[$0].revenue })
        let pipelineRanks = Self.percentileRanks(present.map { snapshots[$0].pipeline })
        for (position, index) in present.enumerated() {
            let score = usesPipeline ? (revenueRanks[position] + pipelineRanks[position]) / 2 : revenueRanks[position]
            snapshots[index].valueScore = score
            snapshots[index].valueTier = options.valueTiers.tier(
                score: score, revenue: snapshots[index].revenue, pipeline: snapshots[index].pipeline)
        }
    }

    /// (values below + half the values tied) / count, for each value.
    /// - Complexity: O(n log n).
    static func percentileRanks(_ values: [Double]) -> [Double] {
        let sorted = values.sorted()
        let n = Double(values.count)
        func firstIndex(where predicate: (Double) -> Bool) -> Int {
            var low = 0, high = sorted.count
            while low < high {
                let middle = (low + high) / 2
                if predicate(sorted[middle]) { high = middle } else { low = middle + 1 }
            }
            return low
        }
        return values.map { value in
            let below = firstIndex { $0 >= value }, notAbove = firstIndex { $0 > value }
            return (Double(below) + 0.5 * Double(notAbove - below)) / n
        }
    }
}
