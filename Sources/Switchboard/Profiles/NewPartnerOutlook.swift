import Learning
import LinearAlgebra

extension ApplicantRateModel {
    /// The posterior of a partner's deal rate after `deals` won deals over `periods` periods, from the prior
    /// λ ~ Gamma(α, α/μ) (mean μ): by conjugacy λ | S, n ~ Gamma(α + S, α/μ + n), whose mean
    /// (α + S)/(α/μ + n) is a weighted average of μ and the partner's own rate S/n, weight n/(n + α/μ) on its own.
    /// - Returns: the shape and rate of the Gamma posterior.
    static func ratePosterior(priorMean mu: Double, shape alpha: Double, deals: Double, periods: Double) -> (
        shape: Double, rate: Double
    ) {
        (alpha + deals, alpha / max(mu, 1e-300) + periods)
    }

    /// P(top performer over the next window) of a partner with application features `values` in segment `segment`
    /// that won `deals` deals over `periods` periods so far: the window's deals are NB(α + S, W·(α + S)/(α/μ + n))
    /// (the Gamma posterior of its rate, Poisson deals over W periods), against the same exceedance table as an
    /// applicant's:
    ///
    ///     P(top | x, s, S, n) = Σ_k NB(k; α + S, W·(α + S)/(α/μ(x) + n)) · G_s[k]
    ///
    /// With no periods it is the applicant's probability `probability(values, segment:)`.
    func probability(_ values: PartnerFeatureValues, segment: Int, deals: Double, periods: Double) -> Double {
        Self.topProbability(
            priorMean: rate(values, segment: segment), shape: priorShape, deals: deals, periods: periods,
            windowPeriods: windowPeriods, exceedance: exceedance[segment])
    }

    /// Σ_k NB(k; α + S, W·(α + S)/(α/μ + n))·G[k]: `topProbability(mean:shape:exceedance:)` of the posterior
    /// predictive count over the next `windowPeriods` periods.
    static func topProbability(
        priorMean mu: Double, shape alpha: Double, deals: Double, periods: Double, windowPeriods: Int,
        exceedance table: [Double]
    ) -> Double {
        let posterior = ratePosterior(priorMean: mu, shape: alpha, deals: deals, periods: periods)
        return topProbability(
            mean: Double(windowPeriods) * posterior.shape / posterior.rate, shape: posterior.shape, exceedance: table)
    }
}

/// New partners in their first months: each one's probability of becoming a top performer of its segment over the
/// next window, from a prior on its application features and its behaviour so far (portal logins and deal
/// registrations a month over its first m ≤ 3 activity periods) updated by its own won deals so far
/// (`ApplicantRateModel.probability(_:segment:deals:periods:)`), beside the application alone and the application
/// with the deals (no behaviour).
///
/// The behaviour enters the prior, not the likelihood: a partner with m months of activity gets the count model
/// fitted on every partner's first m months of behaviour (`behaviourRates[m − 1]`, `fitBehaviourRates`), so the
/// features it is scored on are as noisy as those the model learnt from (a one-month mean is noisier than a
/// three-month one, and its coefficients come out smaller).
public struct NewPartnerOutlook: Sendable {
    public struct Row: Sendable {
        public var partnerID: String
        public var segment: String
        /// Periods with a performance row (in the programme), and the partner-sourced deals and revenue over them.
        public var monthsActive: Int
        public var deals: Double
        public var revenue: Double
        /// Activity periods whose behaviour the prior used (0 when none was used), and that behaviour: portal
        /// logins and deal registrations a month over them.
        public var behaviourMonths: Int
        public var logins: Double
        public var registrations: Double
        /// With its behaviour and early deals; with its early deals and the application alone; and from its
        /// application features alone (what `recruit` gives an applicant).
        public var probability: Double
        public var dealsOnlyProbability: Double
        public var applicationProbability: Double
        /// 1 for the most promising.
        public var rank: Int
        public var reasons: [String]
    }
    public var rows: [Row]
    public var newWithin: Int

    /// A partner is new while its first period is among the last 6 (its first half year of months).
    public static let defaultNewWithin = 6

    /// The partners in the programme at the last period whose first performance period is among the last
    /// `newWithin`, in partner order, with their periods, deals and revenue so far.
    static func newPartners(_ input: ProfileInput, newWithin: Int) -> [(
        partner: Int, periods: Int, deals: Double, revenue: Double
    )] {
        let end = input.periodCount
        let index = Dictionary(uniqueKeysWithValues: input.partners.enumerated().map { ($1.id, $0) })
        var first = [Int](repeating: .max, count: input.partners.count)
        var periods = [Int](repeating: 0, count: input.partners.count)
        var deals = [Double](repeating: 0, count: input.partners.count), revenue = deals
        var present = [Bool](repeating: false, count: input.partners.count)
        for row in input.performance {
            let p = index[row.partnerID]!
            first[p] = min(first[p], row.period)
            periods[p] += 1
            deals[p] += row.deals
            revenue[p] += row.revenue
            if row.period == end - 1 { present[p] = true }
        }
        return input.partners.indices.filter { present[$0] && first[$0] >= end - newWithin }.map {
            ($0, periods[$0], deals[$0], revenue[$0])
        }
    }

    /// Fits the count models behind the behaviour priors: element m − 1 on the application features and every
    /// partner's first m activity periods of behaviour, m = 1, 2, 3.
    /// - Throws: `LearningError` from a fit.
    public static func fitBehaviourRates(_ input: ProfileInput, options: ApplicantRateOptions = ApplicantRateOptions())
        throws -> [ApplicantRateModel]
    {
        try (1...3).map { m in
            var o = options
            o.earlyRows = m
            return try ApplicantRateModel.fit(input, features: ProfileFeature.allCases, options: o)
        }
    }

    /// Scores the new partners of `input` (first performance period within the last `newWithin` periods, in the
    /// programme at the last one) with `rates` (the application model) and, for a partner with m ≥ 1 activity
    /// periods, `behaviourRates[min(m, count) − 1]` (none: the application model alone); reasons as
    /// `Recruitment`'s, after the deals so far against the prior's expectation and the behaviour. Best first.
    public init(
        model: PartnerProfileModel, rates: ApplicantRateModel, behaviourRates: [ApplicantRateModel] = [],
        input: ProfileInput, newWithin: Int
    ) {
        precondition(newWithin >= 1)
        let segmentIndex = Dictionary(uniqueKeysWithValues: rates.segments.enumerated().map { ($1, $0) })
        let values = input.featureValues()
        let behaviourValues = behaviourRates.indices.map { input.featureValues(earlyRows: $0 + 1) }
        var activityRows: [String: Int] = [:]
        for row in input.activity { activityRows[row.partnerID, default: 0] += 1 }
        var rows: [Row] = []
        for partner in Self.newPartners(input, newWithin: newWithin) {
            let p = partner.partner
            guard let s = segmentIndex[input.segments[p]] else { continue }
            let n = Double(partner.periods)
            let months = min(activityRows[input.partners[p].id] ?? 0, behaviourRates.count)
            let prior = months > 0 ? behaviourRates[months - 1] : rates
            let priorValues = months > 0 ? behaviourValues[months - 1][p] : values[p]
            let priorSegment = months > 0 ? prior.segments.firstIndex(of: input.segments[p]) : s
            guard let priorSegment else { continue }
            let expected = n * prior.rate(priorValues, segment: priorSegment)
            let evidence =
                "\(ProfileText.number(partner.deals)) \(partner.deals == 1 ? "deal" : "deals") in \(partner.periods) "
                + "\(partner.periods == 1 ? "month" : "months") "
                + "(partners like it: \(ProfileText.fixed(expected, 1)))"
            var reasons = [evidence]
            if months > 0 {
                reasons.append(
                    "\(ProfileText.fixed(priorValues[.earlyLogins], 1)) portal logins and "
                        + "\(ProfileText.fixed(priorValues[.earlyDealRegistrations], 1)) deal registrations a month "
                        + "over its first \(months == 1 ? "month" : "\(months) months")")
            }
            rows.append(
                Row(
                    partnerID: input.partners[p].id, segment: input.segments[p], monthsActive: partner.periods,
                    deals: partner.deals, revenue: partner.revenue, behaviourMonths: months,
                    logins: months > 0 ? priorValues[.earlyLogins] : 0,
                    registrations: months > 0 ? priorValues[.earlyDealRegistrations] : 0,
                    probability: prior.probability(priorValues, segment: priorSegment, deals: partner.deals, periods: n),
                    dealsOnlyProbability: rates.probability(values[p], segment: s, deals: partner.deals, periods: n),
                    applicationProbability: rates.probability(values[p], segment: s), rank: 0,
                    reasons: reasons + Recruitment.reasons(model: model, rates: rates, values: values[p], segment: s)))
        }
        let order = rows.indices.sorted {
            (rows[$0].probability, rows[$1].partnerID) > (rows[$1].probability, rows[$0].partnerID)
        }
        for (rank, index) in order.enumerated() { rows[index].rank = rank + 1 }
        self.rows = order.map { rows[$0] }
        self.newWithin = newWithin
    }

    /// partner_id, segment, months_active, deals_so_far, revenue_so_far, behaviour_months, logins_per_month,
    /// registrations_per_month, top_probability, deals_only_probability, application_probability, rank, reasons
    /// (`; `-separated); best first.
    public func csv() -> String {
        var text = CSVWriter.line([
            "partner_id", "segment", "months_active", "deals_so_far", "revenue_so_far", "behaviour_months",
            "logins_per_month", "registrations_per_month", "top_probability", "deals_only_probability",
            "application_probability", "rank", "reasons",
        ])
        for row in rows {
            text += CSVWriter.line([
                row.partnerID, row.segment, "\(row.monthsActive)", ProfileText.number(row.deals),
                ProfileText.number(row.revenue), "\(row.behaviourMonths)", ProfileText.fixed(row.logins, 2),
                ProfileText.fixed(row.registrations, 2), ProfileText.fixed(row.probability, 4),
                ProfileText.fixed(row.dealsOnlyProbability, 4), ProfileText.fixed(row.applicationProbability, 4),
                "\(row.rank)", row.reasons.joined(separator: "; "),
            ])
        }
        return text
    }
}
