extension SegmentReport {
    /// The KPIs of every partner, then of each dimension's segments that hold a partner: types, lifecycle stages
    /// and value tiers in their fixed order, expertise cells by partners (most first, then by name), behaviour
    /// clusters `B1`…`Bk` then `none`.
    /// - Complexity: O(partners · dimensions).
    public static func kpis(_ partners: [PartnerSegments], behaviour: BehaviourClustering?) -> [SegmentKPI] {
        var result = [kpi(partners, dimension: nil, segment: "all", description: "every partner")]
        for dimension in SegmentDimension.allCases {
            let groups = Dictionary(grouping: partners) { $0.segment(dimension) }
            let order: [String]
            switch dimension {
            case .type: order = PartnerType.allCases.map(\.rawValue)
            case .lifecycle: order = LifecycleStage.allCases.map(\.rawValue)
            case .value: order = ValueTier.allCases.map(\.rawValue)
            case .expertise:
                order = groups.keys.sorted { a, b in
                    groups[a]!.count != groups[b]!.count ? groups[a]!.count > groups[b]!.count : a < b
                }
            case .behaviour: order = (behaviour?.clusters.map(\.name) ?? []) + ["none"]
            }
            for segment in order {
                guard let members = groups[segment] else { continue }
                let description =
                    dimension == .behaviour
                    ? behaviour?.clusters.first { $0.name == segment }?.description ?? "not clustered" : ""
                result.append(kpi(members, dimension: dimension, segment: segment, description: description))
            }
        }
        return result
    }

    static func kpi(_ members: [PartnerSegments], dimension: SegmentDimension?, segment: String, description: String)
        -> SegmentKPI
    {
        let risks = members.compactMap(\.churnRisk)
        return SegmentKPI(
            dimension: dimension, segment: segment, description: description, partners: members.count,
            leadsReceived: members.map(\.leadsReceived).reduce(0, +), wins: members.map(\.wins).reduce(0, +),
            resolved: members.map(\.resolved).reduce(0, +), revenue: members.map(\.revenue).reduce(0, +),
            pipeline: members.map(\.pipeline).reduce(0, +),
            meanChurnRisk: risks.isEmpty ? nil : risks.reduce(0, +) / Double(risks.count), churnScored: risks.count,
            openLeads: members.map(\.openLeads).reduce(0, +), capacity: members.map(\.capacity).reduce(0, +))
    }

    /// Every dimension in which a partner of `previous` is in another segment in `current`, partner by partner in
    /// `current`'s order, dimensions in `SegmentDimension` order.
    public static func moves(from previous: [PartnerSegments], to current: [PartnerSegments]) -> [SegmentMove] {
        var before: [String: PartnerSegments] = [:]
        for segments in previous { before[segments.partnerID] = segments }
        var result: [SegmentMove] = []
        for now in current {
            guard let then = before[now.partnerID] else { continue }
            for dimension in SegmentDimension.allCases where then.segment(dimension) != now.segment(dimension) {
                result.append(
                    SegmentMove(
                        partnerID: now.partnerID, dimension: dimension, from: then.segment(dimension),
                        to: now.segment(dimension), fromPeriod: then.period ?? 0, toPeriod: now.period ?? 0))
            }
        }
        return result
    }
}
