/// The partner-intelligence figures of the channel report: each segment's ideal profile, the high-potential partners
/// furthest below their segment's ideal, the recruitment shortlist (when there are applicants), the new partners in
/// their first months with their outlook, and the next quarter's forecast with its band beside the history it
/// continues.
///
/// Made of the same models the `profile`, `recruit` and `forecast` commands fit, with their default options, so the
/// report and the commands agree.
public struct PartnerIntelligence: Sendable {
    /// One period's ecosystem total of partner-sourced revenue.
    public struct PeriodTotal: Sendable, Equatable {
        public var period: Int
        public var revenue: Double
    }

    public var profiles: PartnerProfileReport
    /// Nil when no applicants were given.
    public var recruitment: Recruitment?
    public var applicantsSource: String?
    /// The partners in their first `NewPartnerOutlook.defaultNewWithin` periods, best first (none: empty rows).
    public var newPartners: NewPartnerOutlook
    /// Horizons 1 and `quarterPeriods`.
    public var forecast: PartnerForecast
    /// The ecosystem's partner-sourced revenue in each period of the history, oldest first.
    public var history: [PeriodTotal]
    /// Periods in a quarter (the forecast's longer horizon).
    public var quarterPeriods: Int
    public var performanceSource: String

    /// Fits the profiles on `input`, the recruitment model on application features (its shortlist when
    /// `applicants` is not empty; the new partners' outlook with their behaviour and deals so far, as `recruit
    /// --new-partners` gives it), and the forecast over the next period and the next `quarterPeriods`.
    /// - Throws: `ProfileError` (too short a history, no top performers, an applicant's unknown segment),
    ///   `LearningError` from a fit.
    public init(
        _ input: ProfileInput, applicants: [ApplicantRecord] = [], applicantsSource: String = "applicants.csv",
        performanceSource: String = "performance.csv", profileOptions: ProfileOptions = ProfileOptions(),
        quarterPeriods: Int = 3
    ) throws {
        let model = try PartnerProfileModel.fit(
            input, features: ProfileFeature.allCases, options: profileOptions, performanceFile: performanceSource)
        profiles = PartnerProfileReport(model: model, input: input)
        let recruitModel = try PartnerProfileModel.fit(
            input, features: ProfileFeature.application, options: profileOptions, performanceFile: performanceSource)
        var rateOptions = ApplicantRateOptions()
        rateOptions.windowPeriods = profileOptions.windowPeriods
        let rates = try ApplicantRateModel.fit(input, features: ProfileFeature.application, options: rateOptions)
        if applicants.isEmpty {
            recruitment = nil
            self.applicantsSource = nil
        } else {
            recruitment = try Recruitment(
                model: recruitModel, rates: rates, applicants: applicants, file: applicantsSource)
            self.applicantsSource = applicantsSource
        }
        let newWithin = NewPartnerOutlook.defaultNewWithin
        let behaviourRates =
            NewPartnerOutlook.newPartners(input, newWithin: newWithin).isEmpty
            ? [] : try NewPartnerOutlook.fitBehaviourRates(input, options: rateOptions)
        newPartners = NewPartnerOutlook(
            model: recruitModel, rates: rates, behaviourRates: behaviourRates, input: input, newWithin: newWithin)
        var options = ForecastOptions()
        options.horizons = quarterPeriods == 1 ? [1] : [1, quarterPeriods]
        forecast = try PartnerForecast.make(input, options: options)
        var totals = [Double](repeating: 0, count: input.periodCount)
        for row in input.performance { totals[row.period] += row.revenue }
        history = totals.enumerated().map { PeriodTotal(period: $0, revenue: $1) }
        self.quarterPeriods = quarterPeriods
        self.performanceSource = performanceSource
    }

    /// The forecast's index of the next quarter's horizon.
    public var quarterIndex: Int { forecast.horizons.count - 1 }
}
