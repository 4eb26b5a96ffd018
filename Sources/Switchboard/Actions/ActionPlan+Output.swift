import Learning

/// The files `recommend` writes: the recommendations, and each channel manager's to-do list (CSV or Markdown).
extension ActionPlan {
    public static let recommendationHeader = [
        "partner_id", "partner_name", "manager_id", "rank", "action_id", "action_name", "expected_value", "revenue_change",
        "retention_change", "cost", "win_logit_change", "revenue_per_period", "revenue_per_period_after", "expected_leads",
        "churn_risk", "churn_within_horizon", "churn_within_horizon_after", "expected_active_periods",
        "expected_active_periods_after", "neighbours", "neighbours_took", "took_win_rate_change", "others_win_rate_change",
        "took_churn_rate", "others_churn_rate", "win_logit_change_sd", "value_low", "value_high", "probability_best",
        "explore_action_id", "why",
    ]

    /// The reason `actionID` suits the partner, with its basis: "no … certification; … (profile)"; empty when none.
    func why(_ partnerID: String, _ actionID: String?) -> String {
        guard let actionID, let reason = reasons[partnerID]?[actionID] else { return "" }
        return "\(reason.text) (\(reason.basis)\(reason.addressesGap ? "; a gap" : ""))"
    }

    static func optionalNumber(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }

    /// One row a partner a recommended action, partners by id, actions by rank (`recommend --out`).
    public func recommendationsCSV() -> String {
        let plan = self
        var text = CSVWriter.line(Self.recommendationHeader)
        for outlook in plan.partners {
            for r in outlook.recommendations {
                let e = r.evidence
                text += CSVWriter.line([
                    outlook.partnerID, outlook.partnerName, outlook.managerID, "\(r.rank)", r.actionID, r.actionName,
                    "\(r.expectedValue)", "\(r.revenueChange)", "\(r.retentionChange)", "\(r.cost)", "\(r.winLogitChange)",
                    "\(outlook.revenuePerPeriod)", "\(r.revenuePerPeriodAfter)", "\(outlook.expectedLeads)",
                    "\(outlook.churnRisk)", "\(outlook.churnWithinHorizon)", "\(r.churnWithinHorizonAfter)",
                    "\(outlook.expectedActivePeriods)", "\(r.expectedActivePeriodsAfter)", "\(e.neighbourCount)",
                    "\(e.tookCount)", Self.optionalNumber(e.tookWinRateChange), Self.optionalNumber(e.othersWinRateChange),
                    Self.optionalNumber(e.tookChurnRate), Self.optionalNumber(e.othersChurnRate),
                    "\(r.winLogitChangeDeviation)", "\(r.valueLow)", "\(r.valueHigh)", "\(r.probabilityBest)",
                    outlook.exploreActionID ?? "", why(outlook.partnerID, r.actionID),
                ])
            }
        }
        return text
    }

    /// Risk factors as `name +0.42; name −0.10`.
    public static func factors(_ factors: [ChurnFactor]) -> String {
        factors.map { "\($0.name) \($0.contribution >= 0 ? "+" : "−")\(NumberFormat.fixed(abs($0.contribution), 2))" }
            .joined(separator: "; ")
    }

    /// One row a partner: its manager, position in the to-do list, risk, factors and best action.
    public func todoCSV() -> String {
        let plan = self
        var text = CSVWriter.line([
            "manager_id", "position", "partner_id", "partner_name", "churn_risk", "high_risk", "risk_factors", "action_id",
            "action_name", "expected_value", "value_low", "value_high", "probability_best", "explore_action_id", "why",
        ])
        for todo in plan.todos {
            for item in todo.items {
                let o = item.outlook, best = o.recommendations.first
                text += CSVWriter.line([
                    todo.managerID, "\(item.position)", o.partnerID, o.partnerName, "\(o.churnRisk)",
                    o.isHighRisk ? "yes" : "no", Self.factors(o.riskFactors), best?.actionID ?? "", best?.actionName ?? "",
                    best.map { "\($0.expectedValue)" } ?? "", best.map { "\($0.valueLow)" } ?? "",
                    best.map { "\($0.valueHigh)" } ?? "", best.map { "\($0.probabilityBest)" } ?? "",
                    o.exploreActionID ?? "", why(o.partnerID, best?.actionID),
                ])
            }
        }
        return text
    }

    static func money(_ value: Double) -> String { NumberFormat.grouped(value) }

    static func signedMoney(_ value: Double) -> String { (value >= 0 ? "+" : "") + money(value) }

    static func percent(_ value: Double) -> String { NumberFormat.percent(value) }

    /// The probability of being best below which the top action is called too close to call.
    public static let closeCallThreshold = 0.5

    /// "too close to call: …" when the top action's probability of being best is below `closeCallThreshold`: the
    /// history cannot tell it from the runner-up, and trying either adds the evidence it lacks.
    public static func closeCall(_ outlook: PartnerOutlook) -> String? {
        guard let top = outlook.ranked.first, top.probabilityBest < closeCallThreshold, outlook.ranked.count > 1 else {
            return nil
        }
        let rivals = outlook.ranked.dropFirst().sorted { $0.probabilityBest > $1.probabilityBest }.prefix(2)
        let list = rivals.map { "\($0.actionID) \(percent($0.probabilityBest))" }.joined(separator: ", ")
        return "too close to call: \(top.actionID) is best with probability \(percent(top.probabilityBest)) "
            + "(\(list)); either choice is worth trying (explore)"
    }

    /// Each manager's to-do list as Markdown.
    public func todoMarkdown() -> String {
        let plan = self
        let s = plan.settings
        var text = "# Next-best actions as of \(plan.asOf.dateDescription)\n\n"
        text += "Expected value over \(s.horizonPeriods) months: revenue change + retention change − cost. "
        text += "Partners with a churn risk of \(Self.percent(s.highRiskThreshold)) or more a month come first.\n"
        for todo in plan.todos {
            text += "\n## \(todo.managerID) (\(todo.items.count) partners)\n\n"
            for item in todo.items {
                let o = item.outlook
                text += "\(item.position). **\(o.partnerID) \(o.partnerName)**: churn risk \(Self.percent(o.churnRisk)) a month"
                text += o.isHighRisk ? " (high)" : ""
                if !o.riskFactors.isEmpty { text += "; factors: \(Self.factors(o.riskFactors))" }
                text += "\n"
                for r in o.recommendations {
                    text += "   - \(r.actionID) \(r.actionName): expected value \(Self.signedMoney(r.expectedValue)) "
                    text += "(80% between \(Self.signedMoney(r.valueLow)) and \(Self.signedMoney(r.valueHigh)); "
                    text += "best of its actions with probability \(Self.percent(r.probabilityBest))) "
                    text += "(revenue \(Self.signedMoney(r.revenueChange)), retention \(Self.signedMoney(r.retentionChange)), "
                    text +=
                        "cost \(Self.money(r.cost))); \(r.evidence.tookCount) of \(r.evidence.neighbourCount) similar partners took it"
                    if let change = r.evidence.tookWinRateChange {
                        text += ", win rate \(change >= 0 ? "+" : "−")\(NumberFormat.fixed(100 * abs(change), 1)) points after"
                    }
                    text += "\n"
                    let reason = why(o.partnerID, r.actionID)
                    if !reason.isEmpty { text += "     why this partner: \(reason)\n" }
                }
                if let note = Self.closeCall(o) { text += "   - \(note)\n" }
                if let explore = o.exploreActionID, let r = o.ranked.first(where: { $0.actionID == explore }) {
                    text += "   - explore: try \(r.actionID) \(r.actionName) instead (a Thompson draw on the pooled effects; "
                    text += "best with probability \(Self.percent(r.probabilityBest)), gives up "
                    text += "\(Self.money(o.exploreCost)) of expected value)\n"
                }
            }
        }
        return text
    }
}

extension ActionEvaluation {
    /// One row a partner an eligible action: the recommender's rank and expected value, and the true value.
    public func detailsCSV(plan: ActionPlan) -> String {
        let e = self
        var text = CSVWriter.line([
            "partner_id", "action_id", "rank", "expected_value", "revenue_change", "retention_change", "true_value",
            "true_revenue_change", "true_retention_change", "best", "most_popular", "value_low", "value_high",
            "probability_best",
        ])
        var results: [String: ActionEvaluation.PartnerResult] = [:]
        for result in e.partners { results[result.partnerID] = result }
        for outlook in plan.partners {
            guard let result = results[outlook.partnerID] else { continue }
            for r in outlook.ranked {
                text += CSVWriter.line([
                    r.partnerID, r.actionID, "\(r.rank)", "\(r.expectedValue)", "\(r.revenueChange)", "\(r.retentionChange)",
                    result.trueValues[r.actionID].map { "\($0)" } ?? "",
                    result.trueRevenueChanges[r.actionID].map { "\($0)" } ?? "",
                    result.trueRetentionChanges[r.actionID].map { "\($0)" } ?? "",
                    r.actionID == result.bestActionID ? "yes" : "no",
                    r.actionID == result.popularActionID ? "yes" : "no", "\(r.valueLow)", "\(r.valueHigh)",
                    "\(r.probabilityBest)",
                ])
            }
        }
        return text
    }
}
