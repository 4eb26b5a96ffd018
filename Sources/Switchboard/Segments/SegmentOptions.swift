import Learning

/// The lifecycle rules, applied in this order as of period t (the first that holds wins):
///
/// 1. **dormant**: the partner left (its latest row before t says `churned_next`), or it has no activity row in the
///    last `recentPeriods` periods, or every row there shows no portal login, no deal registration and no revenue;
///    also a partner with no activity row at all that joined more than `onboardingPeriods` periods ago;
/// 2. **onboarding**: tenure ≤ `onboardingPeriods` (or no activity row yet);
/// 3. **at risk**: the engagement trend is ≤ `atRiskTrend`, or (with a churn model) its churn risk is
///    ≥ `atRiskChurnRisk`;
/// 4. **ramping**: tenure ≤ `rampingPeriods`, or it has not won a deal yet (no revenue and no won lead so far);
/// 5. **established**: everyone else.
public struct LifecycleRules: Sendable, Equatable {
    /// The recent window (periods t − r + 1 … t); the trend compares it with the r periods before it.
    public var recentPeriods: Int
    public var onboardingPeriods: Int
    public var rampingPeriods: Int
    /// On the log1p scale: −0.3 is a fall of about a quarter in (logins + 1)·(deal registrations + 1)'s square root.
    public var atRiskTrend: Double
    public var atRiskChurnRisk: Double

    public init(
        recentPeriods: Int = 3, onboardingPeriods: Int = 3, rampingPeriods: Int = 12, atRiskTrend: Double = -0.3,
        atRiskChurnRisk: Double = 0.1
    ) {
        self.recentPeriods = recentPeriods
        self.onboardingPeriods = onboardingPeriods
        self.rampingPeriods = rampingPeriods
        self.atRiskTrend = atRiskTrend
        self.atRiskChurnRisk = atRiskChurnRisk
    }
}

/// The value tier rule: `none` for no revenue and no pipeline in the window; otherwise, by the value score (the
/// mean of the partner's percentile ranks in revenue and in pipeline among the partners present, a rank being
/// (partners below + half the partners tied) / partners), `high` at `high` or above, `medium` at `medium` or
/// above, else `low`.
public struct ValueTierRule: Sendable, Equatable {
    public var high: Double
    public var medium: Double

    public init(high: Double = 0.8, medium: Double = 0.5) {
        self.high = high
        self.medium = medium
    }

    public func tier(score: Double, revenue: Double, pipeline: Double) -> ValueTier {
        if revenue <= 0 && pipeline <= 0 { return .none }
        return score >= high ? .high : score >= medium ? .medium : .low
    }
}

/// How segments are computed.
public struct SegmentOptions: Sendable, Equatable {
    /// Revenue, pipeline and the KPIs count the periods t − w + 1 … t.
    public var windowPeriods: Int
    /// The first day of period 0's month. Nil: the month of the earliest assignment in the history (when given).
    public var firstPeriodStart: Timestamp?
    public var lifecycle: LifecycleRules
    public var valueTiers: ValueTierRule
    /// Candidate numbers of behaviour clusters (capped at the clustered partners − 1).
    public var clusterCounts: ClosedRange<Int>
    /// Partners the silhouette of each candidate k is computed on (a seeded sample when there are more).
    public var silhouetteSampleSize: Int
    /// Seeds and restarts of k-means.
    public var clustering: KMeansOptions

    public init(
        windowPeriods: Int = 12, firstPeriodStart: Timestamp? = nil, lifecycle: LifecycleRules = LifecycleRules(),
        valueTiers: ValueTierRule = ValueTierRule(), clusterCounts: ClosedRange<Int> = 2...8,
        silhouetteSampleSize: Int = 2000, clustering: KMeansOptions = KMeansOptions()
    ) {
        self.windowPeriods = windowPeriods
        self.firstPeriodStart = firstPeriodStart
        self.lifecycle = lifecycle
        self.valueTiers = valueTiers
        self.clusterCounts = clusterCounts
        self.silhouetteSampleSize = silhouetteSampleSize
        self.clustering = clustering
    }

    /// Throws for the first option out of range, quoting it.
    public func validate() throws(LearningError) {
        func bad(_ name: String, _ value: Any, _ requirement: String) -> LearningError {
            .invalidParameter(name: name, value: "\(value)", requirement: requirement)
        }
        if windowPeriods < 1 { throw bad("windowPeriods", windowPeriods, "must be >= 1") }
        let rules = lifecycle
        if rules.recentPeriods < 1 { throw bad("recentPeriods", rules.recentPeriods, "must be >= 1") }
        if rules.onboardingPeriods < 0 { throw bad("onboardingPeriods", rules.onboardingPeriods, "must be >= 0") }
        if rules.rampingPeriods < rules.onboardingPeriods {
            throw bad("rampingPeriods", rules.rampingPeriods, "must be >= onboardingPeriods (\(rules.onboardingPeriods))")
        }
        if !rules.atRiskTrend.isFinite { throw bad("atRiskTrend", rules.atRiskTrend, "must be finite") }
        if !(rules.atRiskChurnRisk >= 0 && rules.atRiskChurnRisk <= 1) {
            throw bad("atRiskChurnRisk", rules.atRiskChurnRisk, "must be in [0, 1]")
        }
        if !(valueTiers.medium >= 0 && valueTiers.medium <= valueTiers.high && valueTiers.high <= 1) {
            throw bad("valueTiers", "\(valueTiers.medium), \(valueTiers.high)", "must satisfy 0 <= medium <= high <= 1")
        }
        if clusterCounts.lowerBound < 2 {
            throw bad("clusterCounts", "\(clusterCounts.lowerBound)...\(clusterCounts.upperBound)", "must start at 2 or more")
        }
        if silhouetteSampleSize < 3 { throw bad("silhouetteSampleSize", silhouetteSampleSize, "must be >= 3") }
        try clustering.validate()
    }
}
