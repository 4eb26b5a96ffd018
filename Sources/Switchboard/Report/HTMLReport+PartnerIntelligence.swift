extension HTMLReport {
    /// High-potential partners, shortlisted applicants and new partners listed; history periods drawn before the
    /// forecast.
    static let intelligenceListed = 12
    static let intelligenceHistoryPeriods = 12

    /// The partner-intelligence section: each segment's ideal profile, the high-potential partners furthest below
    /// their segment's ideal, the recruitment shortlist, the new partners' outlook, and the next quarter's forecast
    /// with its 80% band.
    static func intelligenceSection(_ figures: PartnerIntelligence) -> Markup {
        let profiles = figures.profiles
        let model = profiles.model
        let tau = model.model.shrinkage
        var children: [Markup] = [
            paragraph(
                "A top performer is in the top quartile of partner-sourced revenue of its \(model.segmentColumn) over "
                    + "\(model.windowPeriods) periods. One logistic model with each segment's coefficients shrunk toward "
                    + "shared ones (τ = \(tau.isInfinite ? "∞, one shared profile" : NumberFormat.fixed(tau, 3)), "
                    + "λ = \(NumberFormat.fixed(model.model.l2Strength, 3)), both by cross-validation), "
                    + "\(model.trainingWords), from \(figures.performanceSource). Odds ratios are per "
                    + "standard deviation of the feature (log scale for counts), with 95% intervals; the medians compare "
                    + "the segment's top performers with the rest (`switchboard profile`).")
        ]
        children.append(.tag("h3", text: "Ideal profile of each segment"))
        children.append(
            HTMLTable(
                header: ["segment", "partners", "top performers", "trait", "top performers", "the rest", "odds ratio (95%)"],
                rows: profiles.segments.flatMap { segment in
                    segment.traits.prefix(3).enumerated().map { k, trait in
                        [
                            k == 0 ? HTMLTable.Cell([.tag("strong", text: segment.segment)]) : .text(""),
                            .number(k == 0 ? count(segment.trainingPartners) : ""),
                            .number(k == 0 ? count(segment.topPerformers) : ""), .text(trait.feature.words),
                            .number(ProfileText.number(trait.topMedian)), .number(ProfileText.number(trait.otherMedian)),
                            .number(
                                "\(ProfileText.fixed(trait.oddsRatio, 2)) (\(ProfileText.fixed(trait.oddsRatioLow, 2))–"
                                    + "\(ProfileText.fixed(trait.oddsRatioHigh, 2)))"),
                        ]
                    }
                }, numericColumns: [1, 2, 4, 5, 6]
            ).render())

        children.append(.tag("h3", text: "High potential, low results"))
        let high = profiles.highPotential.prefix(intelligenceListed)
        children.append(
            paragraph(
                "\(count(profiles.highPotential.count)) of \(count(profiles.partners.count)) partners fit their segment's "
                    + "profile in its top quarter but deliver revenue in its bottom half over the last "
                    + "\(model.windowPeriods) periods: the ones to invest in. Largest disagreement first; gaps are the "
                    + "features where the partner is furthest below its segment's top performers, in log-odds."))
        if !high.isEmpty {
            children.append(
                HTMLTable(
                    header: ["partner", "segment, tier", "P(top)", "fit percentile", "revenue percentile", "gaps to the ideal"],
                    rows: high.map { p in
                        [
                            HTMLTable.Cell([.tag("strong", text: p.partnerID), .text(" \(p.name)")]),
                            .text("\(p.segment), \(p.tier.rawValue)"), .number(percent(p.probability, 0)),
                            .number(ProfileText.number(p.percentile)), .number(ProfileText.number(p.revenuePercentile)),
                            .text(p.gaps.isEmpty ? "–" : p.gaps.map(\.words).joined(separator: "; ")),
                        ]
                    }, numericColumns: [2, 3, 4]
                ).render())
        }

        if let recruitment = figures.recruitment {
            children.append(.tag("h3", text: "Recruitment shortlist"))
            children.append(
                paragraph(
                    "The \(min(intelligenceListed, recruitment.rows.count)) most promising of "
                        + "\(count(recruitment.rows.count)) applicants in \(figures.applicantsSource ?? "the applicants file"): "
                        + "the probability of becoming a top performer of their segment within \(model.windowPeriods) "
                        + "periods, from what an application shows (`switchboard recruit`)."))
            children.append(
                HTMLTable(
                    header: ["rank", "applicant", "segment", "P(top)", "reasons"],
                    rows: recruitment.rows.prefix(intelligenceListed).map { r in
                        [
                            .number("\(r.rank)"), .text(r.applicantID), .text(r.segment), .number(percent(r.probability, 0)),
                            .text(r.reasons.isEmpty ? "–" : r.reasons.joined(separator: "; ")),
                        ]
                    }, numericColumns: [0, 3]
                ).render())
        }

        let newPartners = figures.newPartners
        children.append(.tag("h3", text: "New partners"))
        children.append(
            paragraph(
                newPartners.rows.isEmpty
                    ? "No partner joined in the last \(newPartners.newWithin) periods."
                    : "The \(count(newPartners.rows.count)) partners in their first \(newPartners.newWithin) periods, "
                        + "most promising first (\(min(intelligenceListed, newPartners.rows.count)) listed): the "
                        + "probability of becoming a top performer of their segment over the next "
                        + "\(model.windowPeriods) periods, from their application and their behaviour in their first "
                        + "months, updated by the deals they have won so far; beside it, the application alone "
                        + "(`switchboard recruit --new-partners`)."))
        if !newPartners.rows.isEmpty {
            children.append(
                HTMLTable(
                    header: ["rank", "partner", "segment", "months", "deals so far", "P(top)", "application alone", "reasons"],
                    rows: newPartners.rows.prefix(intelligenceListed).map { r in
                        [
                            .number("\(r.rank)"), .text(r.partnerID), .text(r.segment), .number("\(r.monthsActive)"),
                            .number(ProfileText.number(r.deals)), .number(percent(r.probability, 0)),
                            .number(percent(r.applicationProbability, 0)),
                            .text(r.reasons.isEmpty ? "–" : r.reasons.joined(separator: "; ")),
                        ]
                    }, numericColumns: [0, 3, 4, 5, 6]
                ).render())
        }

        children.append(.tag("h3", text: "Next quarter's forecast"))
        let forecast = figures.forecast
        let quarter = figures.quarterIndex
        let periods = forecast.horizons[quarter]
        let next = forecast.totals[0], total = forecast.totals[quarter]
        children.append(
            paragraph(
                "Partner-sourced revenue of the \(count(forecast.rows.count)) partners in the programme, forecast for "
                    + "periods \(forecast.firstPeriod)–\(forecast.firstPeriod + periods - 1): won deals are Poisson with a "
                    + "log-linear mean in the partner's recent and long-run deal rates, tenure, profile and segment; each "
                    + "deal's value is log-normal around its segment's mean (`switchboard forecast`). Next quarter: "
                    + "\(money(total.mean)) expected, 80% interval \(money(total.low))–\(money(total.high)); next period: "
                    + "\(money(next.mean)) (\(money(next.low))–\(money(next.high)))."))
        children.append(
            grid([
                figure(
                    "Ecosystem revenue a period: history and forecast", forecastChart(figures),
                    note: "The band is the 80% interval of each coming period's total (the model's rate holds over the "
                        + "quarter, so each period has the same forecast)."),
                .tag(
                    "div", [],
                    [
                        HTMLTable(
                            header: ["segment", "partners", "next quarter", "80% interval"],
                            rows: forecast.segmentTotals.keys.sorted().map { segment in
                                let t = forecast.segmentTotals[segment]![quarter]
                                return [
                                    .text(segment), .number(count(forecast.rows.count { $0.segment == segment })),
                                    .number(money(t.mean)), .number("\(money(t.low))–\(money(t.high))"),
                                ]
                            } + [
                                [
                                    HTMLTable.Cell([.tag("strong", text: "all")]), .number(count(forecast.rows.count)),
                                    .number(money(total.mean)), .number("\(money(total.low))–\(money(total.high))"),
                                ]
                            ], numericColumns: [1, 2, 3]
                        ).render()
                    ]),
            ]))
        return section("intelligence", "Partner intelligence", children)
    }

    /// The last `intelligenceHistoryPeriods` periods of ecosystem revenue, then the forecast's periods with the
    /// 80% band of one period's total.
    static func forecastChart(_ figures: PartnerIntelligence) -> Markup {
        let forecast = figures.forecast
        let history = figures.history.suffix(intelligenceHistoryPeriods)
        let next = forecast.totals[0]
        let periods = forecast.horizons[figures.quarterIndex]
        let band = (0..<periods).map { k in
            BandChart.BandPoint(x: Double(forecast.firstPeriod + k), value: next.mean, low: next.low, high: next.high)
        }
        let first = Double(history.first?.period ?? forecast.firstPeriod)
        let last = Double(forecast.firstPeriod + periods - 1)
        let values = history.map(\.revenue) + [next.high]
        let chart = BandChart(
            frame: ChartFrame(width: halfWidth, height: 300, left: 72),
            xAxis: ChartAxis(label: "period", domain: first...max(first + 1, last), tickCount: 6),
            yAxis: ChartAxis(
                label: "partner-sourced revenue", domain: ChartAxis.covering(values), tickCount: 5, format: .grouped),
            history: history.map { ChartPoint(x: Double($0.period), y: $0.revenue) }, forecast: band,
            historyName: "history", forecastName: "forecast (mean)", bandName: "80% interval",
            description: "Ecosystem partner-sourced revenue a period, with the forecast and its 80% interval")
        return chart.render()
    }
}
