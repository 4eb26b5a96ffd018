import Learning

/// The ways the ecosystem is segmented.
public enum SegmentDimension: String, Sendable, Codable, CaseIterable {
    /// The partner type (reseller, msp, …).
    case type
    /// The primary vertical × technology cell.
    case expertise
    /// The lifecycle stage.
    case lifecycle
    /// The value tier, by revenue and influenced pipeline.
    case value
    /// The behaviour cluster, by k-means on activity features.
    case behaviour
}

/// Where a partner stands in its life with the programme. The rules are in `LifecycleRules`.
public enum LifecycleStage: String, Sendable, Codable, CaseIterable {
    case onboarding, ramping, established
    case atRisk = "at risk"
    case dormant
}

/// A partner's value tier, by its revenue and influenced pipeline over the window. The rule is in `ValueTierRule`.
public enum ValueTier: String, Sendable, Codable, CaseIterable {
    case high, medium, low
    /// No revenue and no pipeline in the window.
    case none
}

/// One partner's segments as of one period, with the figures they were derived from.
public struct PartnerSegments: Sendable, Equatable, Codable {
    public var partnerID: String
    public var name: String
    /// The activity period the segments are as of; nil without activity (then they are as of the data's end).
    public var period: Int?
    public var type: PartnerType
    /// The primary expertise cell, `vertical/technology`: its vertical and its technology with the most won leads
    /// so far (ties, and no history, go to the first listed); `(none)` for an empty list.
    public var expertiseCell: String
    /// Every cell of its verticals × technologies, vertical by vertical, in the partners file's order.
    public var expertiseCells: [String]
    public var lifecycle: LifecycleStage
    public var valueTier: ValueTier
    /// `B1`…`Bk` (B1 the largest cluster), or `none` for a partner not clustered (dormant or not yet active).
    public var behaviour: String
    /// Periods since it joined (its first activity row, or its joining month when the calendar is known),
    /// counting the current one; nil when it has not started yet.
    public var tenurePeriods: Int?
    /// Mean of (ℓ(portal_logins) + ℓ(deal_registrations)) / 2 over the recent periods minus that over the periods
    /// before them, ℓ = log1p; 0 when either window has no row.
    public var engagementTrend: Double
    /// Revenue over the window (activity `revenue`; without activity, `revenue_12m` of the partners file).
    public var revenue: Double
    /// Estimated value of the leads assigned to it in the window and not declined (0 without history).
    public var pipeline: Double
    /// The mean of its percentile ranks in revenue and pipeline among the partners present (revenue alone
    /// without history), in [0, 1].
    public var valueScore: Double
    /// Leads assigned to it in the window, declined ones included.
    public var leadsReceived: Int
    /// Of those, won, and resolved (won, lost or expired).
    public var wins: Int
    public var resolved: Int
    /// Its open leads and capacity in the partners file.
    public var openLeads: Int
    public var capacity: Int
    /// P(churn next period) of its activity row at `period`, when a churn model was given and it has that row.
    public var churnRisk: Double?

    /// wins / resolved; nil when nothing was resolved.
    public var winRate: Double? { resolved > 0 ? Double(wins) / Double(resolved) : nil }
    /// open leads / capacity; nil for a capacity of 0.
    public var utilisation: Double? { capacity > 0 ? Double(openLeads) / Double(capacity) : nil }

    /// The partner's segment in `dimension`, as written in the outputs.
    public func segment(_ dimension: SegmentDimension) -> String {
        switch dimension {
        case .type: return type.rawValue
        case .expertise: return expertiseCell
        case .lifecycle: return lifecycle.rawValue
        case .value: return valueTier.rawValue
        case .behaviour: return behaviour
        }
    }
}

/// Figures of one segment (or of every partner, when `dimension` is nil), as of the latest period.
public struct SegmentKPI: Sendable, Equatable, Codable {
    /// Nil for the row of every partner.
    public var dimension: SegmentDimension?
    public var segment: String
    /// What the segment is (for behaviour clusters, the features that set the centroid apart); may be empty.
    public var description: String
    public var partners: Int
    public var leadsReceived: Int
    public var wins: Int
    public var resolved: Int
    public var revenue: Double
    public var pipeline: Double
    /// The mean churn risk of its partners that have one; nil when none has.
    public var meanChurnRisk: Double?
    /// Partners with a churn risk.
    public var churnScored: Int
    /// Σ open leads / Σ capacity of its partners (the partners file).
    public var openLeads: Int
    public var capacity: Int

    /// Σ wins / Σ resolved; nil when nothing was resolved.
    public var winRate: Double? { resolved > 0 ? Double(wins) / Double(resolved) : nil }
    /// Σ open leads / Σ capacity; nil when the capacity is 0.
    public var utilisation: Double? { capacity > 0 ? Double(openLeads) / Double(capacity) : nil }
}

/// A partner whose segment in one dimension changed between the previous period and the latest.
public struct SegmentMove: Sendable, Equatable, Codable {
    public var partnerID: String
    public var dimension: SegmentDimension
    public var from: String
    public var to: String
    public var fromPeriod: Int
    public var toPeriod: Int
}

/// The behaviour clustering: its features, their standardisation, the choice of k and each cluster's profile.
public struct BehaviourClustering: Sendable, Equatable {
    /// One behaviour cluster.
    public struct Cluster: Sendable, Equatable {
        /// `B1`…`Bk`, by size (largest first).
        public var name: String
        public var size: Int
        /// The centroid, in standardised units (one a feature).
        public var centroid: [Double]
        /// The features furthest from the mean, e.g. `high revenue, low portal logins`; `average` when none is
        /// half a standard deviation away.
        public var description: String
    }

    public var featureNames: [String]
    /// The latest period's clustered partners' mean and population standard deviation of each feature (1 for 0).
    public var means: [Double]
    public var scales: [Double]
    /// Partners clustered (present and not dormant at the latest period).
    public var partnerCount: Int
    /// Every candidate k with its inertia and mean silhouette; empty when k was not chosen.
    public var candidates: [ClusterCountSelection.Candidate]
    /// The chosen k's mean silhouette; nil when k was not chosen: one cluster, because there were too few partners
    /// (fewer than the smallest candidate k + 1) or no k split them (all alike).
    public var silhouette: Double?
    /// Partners whose silhouette was computed.
    public var sampleSize: Int
    public var clusters: [Cluster]
}

/// Every partner's segments as of the latest activity period and the one before, the KPIs of each segment, the
/// partners that moved, and how the behaviour clusters were found.
public struct SegmentReport: Sendable, Equatable {
    /// The latest activity period; nil without activity.
    public var period: Int?
    /// The period before it; nil without activity or with a single period.
    public var previousPeriod: Int?
    /// As of `period`, one a partner, in the partners file's order.
    public var partners: [PartnerSegments]
    /// As of `previousPeriod`, for the partners already present then (empty when there is no previous period).
    public var previous: [PartnerSegments]
    /// The whole ecosystem first, then each dimension's segments (see `SegmentKPI`).
    public var kpis: [SegmentKPI]
    /// Partners present in both periods whose segment changed, partner by partner in file order.
    public var moves: [SegmentMove]
    /// Nil when no partner could be clustered.
    public var behaviour: BehaviourClustering?
    /// The periods the window covers, counting the latest.
    public var windowPeriods: Int
}
