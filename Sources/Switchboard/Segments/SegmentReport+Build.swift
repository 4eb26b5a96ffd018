import Learning
import LinearAlgebra

extension SegmentReport {
    /// Segments every partner as of the latest activity period and the one before, and reports each segment's KPIs
    /// and the partners that moved.
    ///
    /// - Periods are calendar months. Period 0 is the month of `options.firstPeriodStart`, or else the month of the
    ///   earliest assignment in the history; without either, joining dates are not used (tenure counts from the
    ///   first activity row). Without activity, the segments are as of the month of the latest assignment (or of
    ///   the latest joining date without history).
    /// - Type and expertise come from the partners file; expertise's primary cell counts won leads up to the period.
    /// - Lifecycle follows `LifecycleRules`, value `ValueTierRule` over the window of `options.windowPeriods`.
    /// - Behaviour: the partners present and not dormant at the latest period are described by the mean log1p of
    ///   the five activity figures over the recent periods and the engagement trend (without activity: log1p of
    ///   the 12-month figures / 12), standardised (population standard deviation, 1 for 0); k-means is fitted for
    ///   each k in `options.clusterCounts` and the k with the best mean silhouette kept (`ClusterCountSelection`).
    ///   The previous period's partners are standardised with the same means and scales and given their nearest
    ///   centroid, so a move between clusters is a change in behaviour, not a relabelling.
    /// - KPIs count every partner at the latest period; moves compare the partners present at both periods.
    /// - Throws: `RecordError` for bad references (an activity row or outcome naming an unknown partner or lead,
    ///   with file, line and column), no partners, or no activity rows; `LearningError` for an option out of
    ///   range, or a churn model without activity or whose features do not fit.
    /// - Complexity: O(partners · (rows + assignments) + clustering).
    public init(_ input: SegmentInput, options: SegmentOptions = SegmentOptions()) throws {
        try options.validate()
        let partners = input.partners
        let sources = input.sources
        try Ecosystem(
            partners: partners, leads: input.outcomes == nil ? [] : input.leads, outcomes: input.outcomes ?? [],
            activity: input.activity ?? [], sources: sources
        ).validate()
        if let activity = input.activity, activity.isEmpty {
            throw RecordError.emptySet(file: sources.activity, what: "activity rows")
        }
        if input.churnModel != nil && input.activity == nil {
            throw LearningError.invalidParameter(
                name: "churnModel", value: "a churn model", requirement: "needs the partners' activity to score")
        }

        // Churn risk of every activity row; building the features also checks the rows (duplicates, figures).
        var risk: [String: [Int: Double]] = [:]
        if let activity = input.activity {
            let model = input.churnModel
            let table = try ChurnFeatures.build(
                activity: activity, partners: model?.usesPartnerAttributes == true ? partners : nil, sources: sources)
            if let model {
                let risks = try model.risk(for: table)
                for (key, value) in zip(table.keys, risks) { risk[key.partnerID, default: [:]][key.period] = value }
            }
        }

        let outcomes = input.outcomes ?? []
        var calendar = options.firstPeriodStart.map(MonthCalendar.init(starting:))
        if calendar == nil, let first = outcomes.map(\.assigned).min() { calendar = MonthCalendar(starting: first) }
        if calendar == nil && input.activity == nil { calendar = MonthCalendar(starting: partners.map(\.joined).min()!) }

        var indexByID: [String: Int] = [:]
        for (index, partner) in partners.enumerated() { indexByID[partner.id] = index }
        var rows: [[PartnerActivity]]?
        if let activity = input.activity {
            var grouped = [[PartnerActivity]](repeating: [], count: partners.count)
            for record in activity { grouped[indexByID[record.partnerID]!].append(record) }
            rows = grouped.map { $0.sorted { $0.period < $1.period } }
        }
        var leadByID: [String: Lead] = [:]
        for lead in input.leads { leadByID[lead.id] = lead }
        var assignments = [[Assignment]](repeating: [], count: partners.count)
        if let calendar {
            for outcome in outcomes {
                let lead = leadByID[outcome.leadID]!
                assignments[indexByID[outcome.partnerID]!].append(
                    Assignment(
                        period: calendar.period(of: outcome.assigned), outcome: outcome.outcome, value: lead.estimatedValue,
                        vertical: lead.vertical, technology: lead.technology))
            }
        }
        let maker = SnapshotMaker(
            partners: partners, rows: rows, assignments: assignments, calendar: calendar, risk: risk, options: options)

        let latest: Int
        if let activity = input.activity {
            latest = activity.map(\.period).max()!
        } else if let last = outcomes.map(\.assigned).max() {
            latest = calendar!.period(of: last)
        } else {
            latest = calendar!.period(of: partners.map(\.joined).max()!)
        }
        let earlier: Int? = input.activity.flatMap { activity in
            activity.contains { $0.period < latest } ? latest - 1 : nil
        }

        var current = partners.indices.map { maker.snapshot($0, at: latest) }
        maker.assignValueTiers(&current, usesPipeline: input.outcomes != nil)
        var before: [PartnerSnapshot] = []
        if let earlier {
            before = partners.indices.map { maker.snapshot($0, at: earlier) }
            maker.assignValueTiers(&before, usesPipeline: input.outcomes != nil)
        }

        let clustering = try BehaviourSegmentation(
            clustered: current.map { $0.present && !$0.dormant }, snapshots: current, usesTrend: input.activity != nil,
            options: options)
        let currentClusters = clustering?.clusterNames ?? [String](repeating: "none", count: partners.count)
        let previousClusters =
            try clustering?.assign(before, clustered: before.map { $0.present && !$0.dormant })
            ?? [String](repeating: "none", count: before.count)

        func segments(_ index: Int, _ s: PartnerSnapshot, period: Int?, cluster: String) -> PartnerSegments {
            let partner = partners[index]
            let cells = partner.verticals.flatMap { vertical in partner.technologies.map { "\(vertical)/\($0)" } }
            return PartnerSegments(
                partnerID: partner.id, name: partner.name, period: period, type: partner.type,
                expertiseCell: "\(s.primaryVertical ?? "(none)")/\(s.primaryTechnology ?? "(none)")", expertiseCells: cells,
                lifecycle: s.lifecycle, valueTier: s.valueTier, behaviour: cluster, tenurePeriods: s.tenure,
                engagementTrend: s.trend, revenue: s.revenue, pipeline: s.pipeline, valueScore: s.valueScore,
                leadsReceived: s.leads, wins: s.wins, resolved: s.resolved, openLeads: partner.openLeads,
                capacity: partner.capacity, churnRisk: s.risk)
        }
        let period = input.activity == nil ? nil : latest
        self.period = period
        previousPeriod = earlier
        self.partners = current.enumerated().map { segments($0, $1, period: period, cluster: currentClusters[$0]) }
        previous = before.indices.filter { before[$0].present }.map {
            segments($0, before[$0], period: earlier, cluster: previousClusters[$0])
        }
        behaviour = clustering?.summary
        windowPeriods = options.windowPeriods
        kpis = SegmentReport.kpis(self.partners, behaviour: behaviour)
        moves = SegmentReport.moves(from: previous, to: self.partners)
    }
}
