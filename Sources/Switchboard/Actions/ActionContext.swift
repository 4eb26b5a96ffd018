import LinearAlgebra

/// What an action's catalogue entry says it does: additive changes to the five activity figures of every period
/// after it (`ChurnFeatures.figureNames` order), and a change in the win logit (`quality`), used only for actions
/// the match model has no feature for.
struct CatalogueEffect: Sendable, Equatable {
    var figureChanges: [Double]
    var qualityChange: Double

    /// The attributes an effect may name.
    static let attributes = ChurnFeatures.figureNames + ["quality"]

    /// Parses an action's effects.
    /// - Throws: `RecordError.impossibleValue` (column `effects`) for an attribute that is not one of `attributes`.
    init(_ action: Action, file: String, line: Int) throws(RecordError) {
        figureChanges = [Double](repeating: 0, count: ChurnFeatures.figureNames.count)
        qualityChange = 0
        for effect in action.effects {
            let name = effect.attribute.lowercased()
            if let index = ChurnFeatures.figureNames.firstIndex(of: name) {
                figureChanges[index] += effect.change
            } else if name == "quality" {
                qualityChange += effect.change
            } else {
                throw .impossibleValue(
                    file: file, line: line, column: "effects",
                    value: "\(effect.attribute)=\(RecordColumns.format(effect.change))",
                    reason: "names an unknown attribute (use \(Self.attributes.joined(separator: ", ")))")
            }
        }
    }
}

/// The records, indexed once for valuing actions: each partner's activity history, the leads it will be offered,
/// the actions it received, its resolved outcomes, and the calendar of periods.
struct ActionContext {
    let asOf: Timestamp
    let settings: RecommendationSettings
    /// All partners, ordered by id.
    let partners: [Partner]
    let partnerIndex: [String: Int]
    let actions: [Action]
    let effects: [CatalogueEffect]
    /// Per partner: its activity rows ordered by period.
    let histories: [[PartnerActivity]]
    /// The latest period over all activity: the calendar month that holds `calendarEnd`.
    let latestPeriod: Int
    /// The latest creation time of a lead named in the outcomes (`asOf` when there is none): its month is the
    /// latest activity period.
    let calendarEnd: Timestamp
    /// Per partner: the accepted leads assigned in the lead window, in outcome order.
    let windowLeads: [[Lead]]
    /// Per partner: the lead window's length in days (shorter for a partner that joined during it).
    let windowDays: [Double]
    /// Per partner: each action it received (action index, time), ordered by time; only those before `asOf`.
    let received: [[(action: Int, time: Timestamp)]]
    /// Per partner: its resolved counted outcomes (assigned time, won), ordered by assignment time.
    let resolved: [[(assigned: Int64, won: Bool)]]
    /// How often each action appears in the action history (catalogue order).
    let popularity: [Int]

    init(_ ecosystem: Ecosystem, settings: RecommendationSettings) throws(RecommendError) {
        let sources = ecosystem.sources
        self.settings = settings
        partners = ecosystem.partners.sorted { $0.id < $1.id }
        var partnerIndex: [String: Int] = [:]
        for (index, partner) in partners.enumerated() { partnerIndex[partner.id] = index }
        self.partnerIndex = partnerIndex
        actions = ecosystem.actions
        var effects: [CatalogueEffect] = []
        for (index, action) in actions.enumerated() {
            do {
                effects.append(try CatalogueEffect(action, file: sources.actions, line: sources.line(.actions, index)))
            } catch { throw .record(error) }
        }
        self.effects = effects
        guard let asOf = settings.asOf ?? ecosystem.outcomes.map(\.assigned).max() else {
            throw .record(.emptySet(file: sources.outcomes, what: "outcomes (or give the as-of time)"))
        }
        self.asOf = asOf

        var histories = [[PartnerActivity]](repeating: [], count: partners.count)
        for row in ecosystem.activity {
            guard let p = partnerIndex[row.partnerID] else { continue }
            histories[p].append(row)
        }
        for p in histories.indices { histories[p].sort { $0.period < $1.period } }
        self.histories = histories
        latestPeriod = ecosystem.activity.map(\.period).max() ?? 0

        var leadByID: [String: Lead] = [:]
        for lead in ecosystem.leads { leadByID[lead.id] = lead }
        calendarEnd = ecosystem.outcomes.compactMap { leadByID[$0.leadID]?.created }.max() ?? asOf
        let windowStart = asOf.adding(days: -settings.leadWindowDays)
        var windowLeads = [[Lead]](repeating: [], count: partners.count)
        var resolved = [[(assigned: Int64, won: Bool)]](repeating: [], count: partners.count)
        for outcome in ecosystem.outcomes where OutcomeRule.counts(outcome.outcome) {
            guard let p = partnerIndex[outcome.partnerID] else { continue }
            if outcome.assigned > windowStart && outcome.assigned <= asOf, let lead = leadByID[outcome.leadID] {
                windowLeads[p].append(lead)
            }
            if outcome.closed != nil {
                resolved[p].append((outcome.assigned.secondsSinceEpoch, OutcomeRule.isWin(outcome.outcome)))
            }
        }
        for p in resolved.indices { resolved[p].sort { $0.assigned < $1.assigned } }
        self.windowLeads = windowLeads
        self.resolved = resolved
        windowDays = partners.map { partner in
            max(min(settings.leadWindowDays, partner.joined.days(until: asOf)), RecommendationSettings.daysPerPeriod)
        }

        var actionIndex: [String: Int] = [:]
        for (index, action) in actions.enumerated() { actionIndex[action.id] = index }
        var received = [[(action: Int, time: Timestamp)]](repeating: [], count: partners.count)
        var popularity = [Int](repeating: 0, count: actions.count)
        for taken in ecosystem.actionHistory {
            guard let a = actionIndex[taken.actionID] else { continue }
            popularity[a] += 1
            guard let p = partnerIndex[taken.partnerID], taken.time <= asOf else { continue }
            received[p].append((a, taken.time))
        }
        for p in received.indices { received[p].sort { $0.time < $1.time || ($0.time == $1.time && $0.action < $1.action) } }
        self.received = received
        self.popularity = popularity
    }

    /// The period that holds `time`: `latestPeriod` for the month of `calendarEnd`, one less for each month before.
    func period(of time: Timestamp) -> Int {
        latestPeriod - (Self.monthIndex(calendarEnd) - Self.monthIndex(time))
    }

    static func monthIndex(_ time: Timestamp) -> Int {
        let (year, month, _) = Timestamp.civilFromDays(Int(time.secondsSinceEpoch.floorDivided(by: 86_400)))
        return year * 12 + month - 1
    }

    /// The expected number of leads a period: window leads over the window's periods.
    func leadsPerPeriod(_ p: Int) -> Double {
        Double(windowLeads[p].count) * RecommendationSettings.daysPerPeriod / windowDays[p]
    }

    /// The catalogue indices of the actions `partner` is eligible for.
    func eligibleActions(_ p: Int) -> [Int] { actions.indices.filter { actions[$0].isEligible(partners[p]) } }

    /// Whether the partner is still there: it has activity and its latest row does not say it churned.
    func liveness(_ p: Int) -> SkipReason? {
        guard let last = histories[p].last else { return .noActivity }
        if last.churnedNext { return .churned(afterPeriod: last.period) }
        return nil
    }

    /// Per catalogue action: the within-partner information about its effect on the win logit, Σ over the partners
    /// that received it of p̄(1 − p̄)·nᵦ·nₐ/(nᵦ + nₐ) (`ActionWinEffect.standardError`).
    func effectInformation() -> [Double] {
        let outcomes = resolved.reduce(0) { $0 + $1.count }
        let wins = resolved.reduce(0) { $0 + $1.count { $0.won } }
        let rate = outcomes > 0 ? Double(wins) / Double(outcomes) : 0.5
        var information = [Double](repeating: 0, count: actions.count)
        for p in partners.indices {
            var first: [Int: Int64] = [:]
            for taken in received[p] where first[taken.action] == nil { first[taken.action] = taken.time.secondsSinceEpoch }
            for (a, time) in first {
                let before = Double(resolved[p].count { $0.assigned < time })
                let after = Double(resolved[p].count) - before
                if before > 0 && after > 0 { information[a] += rate * (1 - rate) * before * after / (before + after) }
            }
        }
        return information
    }

    /// Among `candidates`, the most received in the action history (ties by catalogue order).
    func mostPopular(among candidates: [Int]) -> Int? {
        candidates.min { popularity[$0] != popularity[$1] ? popularity[$0] > popularity[$1] : $0 < $1 }
    }
}

/// A partner's activity carried forward over the horizon, and what the churn risk along it implies.
enum ActivityProjection {
    /// The mean of each figure over the partner's rows in the trend window, periods T − 2 … T (T its latest).
    /// - Precondition: `history` is not empty and ordered by period.
    static func recentLevel(_ history: [PartnerActivity]) -> [Double] {
        let latest = history.last!.period
        let recent = history.filter { $0.period > latest - ChurnFeatures.trendWindow }
        var sums = [Double](repeating: 0, count: ChurnFeatures.figureNames.count)
        for row in recent {
            for (index, value) in ChurnFeatures.figures(row.figures).enumerated() { sums[index] += value }
        }
        return sums.map { $0 / Double(recent.count) }
    }

    static func figures(_ values: [Double]) -> ActivityFigures {
        ActivityFigures(
            portalLogins: values[0], trainingsCompleted: values[1], dealRegistrations: values[2],
            marketingFundsUsed: values[3], revenue: values[4])
    }

    /// `history` followed by `count` rows for periods T + 1 … T + count, each with `figures` (negative figures
    /// become 0), labelled not churned.
    static func extended(_ history: [PartnerActivity], with figures: [Double], count: Int) -> [PartnerActivity] {
        let latest = history.last!.period
        let clamped = Self.figures(figures.map { max(0, $0) })
        return history
            + (0..<count).map {
                PartnerActivity(partnerID: history[0].partnerID, period: latest + 1 + $0, figures: clamped, churnedNext: false)
            }
    }

    /// A = Σₖ₌₁ᴴ Πₛ₌₀ᵏ⁻¹ (1 − cₛ): the expected periods a partner is still active over the horizon, from its churn
    /// risk c₀ … c_{H−1} at its latest period and the projected ones after.
    static func expectedActivePeriods(_ risks: [Double]) -> Double {
        var survival = 1.0, total = 0.0
        for risk in risks {
            survival *= 1 - risk
            total += survival
        }
        return total
    }

    /// 1 − Πₛ (1 − cₛ): the probability of leaving within the horizon.
    static func churnWithin(_ risks: [Double]) -> Double { 1 - risks.reduce(1) { $0 * (1 - $1) } }
}
