/// The records segmentation reads: partners, and optionally their activity, the assignment history with its leads,
/// and a churn model.
public struct SegmentInput: Sendable {
    public var partners: [Partner]
    /// One row a partner a period; nil when not given (then there is one snapshot, from the partners file's
    /// 12-month figures, and no moves).
    public var activity: [PartnerActivity]?
    /// Every lead the history names (only read with `outcomes`).
    public var leads: [Lead]
    /// The assignment history; nil when not given (then pipeline, leads received and win rates are 0 or empty).
    public var outcomes: [Outcome]?
    /// Scores each partner's churn risk at each period (needs `activity`).
    public var churnModel: ChurnModel?
    /// File names and record lines for error messages.
    public var sources: EcosystemSources

    public init(
        partners: [Partner], activity: [PartnerActivity]? = nil, leads: [Lead] = [], outcomes: [Outcome]? = nil,
        churnModel: ChurnModel? = nil, sources: EcosystemSources = EcosystemSources()
    ) {
        self.partners = partners
        self.activity = activity
        self.leads = leads
        self.outcomes = outcomes
        self.churnModel = churnModel
        self.sources = sources
    }

    /// The segmentation input of a loaded ecosystem: its activity and outcomes when their files were loaded.
    public init(_ ecosystem: Ecosystem, churnModel: ChurnModel? = nil) {
        let loaded = ecosystem.sources.lines
        self.init(
            partners: ecosystem.partners, activity: loaded[.activity] == nil ? nil : ecosystem.activity,
            leads: ecosystem.leads, outcomes: loaded[.outcomes] == nil ? nil : ecosystem.outcomes, churnModel: churnModel,
            sources: ecosystem.sources)
    }
}

/// Periods as calendar months: period p is the month `firstMonth + p` (months counted from year 0).
struct MonthCalendar: Sendable, Equatable {
    /// year · 12 + (month − 1) of period 0.
    var firstMonth: Int

    init(firstMonth: Int) { self.firstMonth = firstMonth }
    init(starting time: Timestamp) { firstMonth = Self.monthIndex(time) }

    /// The period whose month holds `time` (negative before period 0).
    func period(of time: Timestamp) -> Int { Self.monthIndex(time) - firstMonth }

    static func monthIndex(_ time: Timestamp) -> Int {
        let days = Int(time.secondsSinceEpoch.floorDivided(by: 86_400))
        let (year, month, _) = Timestamp.civilFromDays(days)
        return year * 12 + month - 1
    }
}
