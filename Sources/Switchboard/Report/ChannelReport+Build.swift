import Learning

extension ChannelReport {
    /// Computes every figure of the report.
    ///
    /// - **Match model**: `MatchModel.evaluate` on the outcome history (each accepted outcome scored with its
    ///   features as they stood when the lead was assigned), then `ModelFigures`.
    /// - **Churn model**: `ChurnModel.risk` on every activity row (`ChurnFeatures`, with tier and type when the model
    ///   uses them) against `churned_next`.
    /// - **Routing**: the incoming leads scored by `LeadScorer` against the partners as of `asOf` (the top
    ///   `candidatesPerLead` eligible partners of each lead, the account owner first), routed by `Router` with the
    ///   `optimal`, `optimal+fairness`, `greedy` and `round-robin` policies; see `routingFigures`.
    /// - **Replays**: `PolicySimulation` on the history, once per capacity scale of the options (valued with the
    ///   truth when the input has it).
    /// - **Segments**: `SegmentReport` (with the churn model's risk).
    /// - **At risk**: every partner's latest activity row, left out when it already says `churned_next`, scored and
    ///   explained by the churn model.
    /// - **To-do lists**: `ActionRecommender` with both models.
    /// - Throws: `ReportError` for an option out of range, a model that does not fit the data, or data that cannot
    ///   give a figure; `RecordError` for bad records (file, line and column); `RoutingError`, `RecommendError` from
    ///   those modules.
    /// - Complexity: about a second or two on the 300-partner sample, mostly the match model's evaluation and the
    ///   recommender.
    public init(_ input: ReportInput, options: ReportOptions = ReportOptions()) throws {
        try options.validate()
        let ecosystem = input.ecosystem
        let sources = input.sources
        if ecosystem.partners.isEmpty { throw RecordError.emptySet(file: sources.partners, what: "partners") }
        if ecosystem.outcomes.isEmpty { throw RecordError.emptySet(file: sources.outcomes, what: "outcomes") }
        if ecosystem.activity.isEmpty { throw RecordError.emptySet(file: sources.activity, what: "activity rows") }
        if input.incoming.isEmpty { throw RecordError.emptySet(file: input.incomingSource, what: "leads") }
        let match = input.matchModel, churn = input.churnModel
        asOf = match.historyEnd
        partnerCount = ecosystem.partners.count
        activePartnerCount = ecosystem.partners.count { $0.status == .active }
        leadCount = ecosystem.leads.count
        outcomeCount = ecosystem.outcomes.count
        activityRowCount = ecosystem.activity.count
        managerCount = Set(ecosystem.partners.map(\.managerID)).count
        self.sources = sources
        incomingSource = input.incomingSource

        // The match model on the outcome history.
        let evaluated: (outcomeIndices: [Int], labels: [Bool], probabilities: [Double])
        do {
            evaluated = try match.evaluate(
                partners: ecosystem.partners, leads: ecosystem.leads, outcomes: ecosystem.outcomes,
                actionHistory: ecosystem.actionHistory)
        } catch {
            throw ReportError.model(source: input.matchModelSource, reason: "cannot score \(sources.outcomes): \(error)")
        }
        let matchFigures: ModelFigures
        do {
            matchFigures = try ModelFigures(
                name: "Match model",
                subject: "P(win) of the \(NumberFormat.grouped(Double(evaluated.labels.count))) accepted outcomes of "
                    + "\(sources.outcomes), each with its features as they stood when the lead was assigned",
                positive: "won", labels: evaluated.labels, probabilities: evaluated.probabilities,
                curveSpacing: options.curveSpacing)
        } catch {
            throw ReportError.data(source: sources.outcomes, reason: "the match model cannot be evaluated: \(error)")
        }

        // The churn model on the activity history.
        let features = try ChurnFeatures.build(
            activity: ecosystem.activity, partners: churn.usesPartnerAttributes ? ecosystem.partners : nil,
            sources: sources)
        let risks: [Double]
        do {
            risks = try churn.risk(for: features)
        } catch {
            throw ReportError.model(source: input.churnModelSource, reason: "\(error)")
        }
        let churnFigures: ModelFigures
        do {
            churnFigures = try ModelFigures(
                name: "Churn model",
                subject: "P(churn next period) of the \(NumberFormat.grouped(Double(features.rowCount))) partner-periods "
                    + "of \(sources.activity)",
                positive: "churned next period", labels: features.labels, probabilities: risks,
                curveSpacing: options.curveSpacing)
        } catch {
            throw ReportError.data(source: sources.activity, reason: "the churn model cannot be evaluated: \(error)")
        }
        models = [matchFigures, churnFigures]

        // The partners most at risk now.
        let ranking: ChurnRanking
        do {
            ranking = try churn.rankLatest(features, factorCount: min(3, churn.featureNames.count))
        } catch {
            throw ReportError.model(source: input.churnModelSource, reason: "\(error)")
        }
        var partnerByID: [String: Partner] = [:]
        for partner in ecosystem.partners { partnerByID[partner.id] = partner }
        atRisk = ranking.entries.prefix(options.atRiskCount).compactMap { entry in
            let key = entry.key
            guard let partner = partnerByID[key.partnerID] else { return nil }
            return AtRiskPartner(
                partnerID: partner.id, name: partner.name, managerID: partner.managerID, tier: partner.tier,
                type: partner.type, status: partner.status, period: key.period, risk: entry.risk,
                factors: entry.factors,
                factorScores: entry.factors.map { factor in
                    let j = churn.featureNames.firstIndex(of: factor.name)!
                    return (factor.value - churn.means[j]) / churn.scales[j]
                })
        }
        churnScoredCount = ranking.entries.count
        highRiskCount = ranking.entries.count { $0.risk >= options.recommendation.highRiskThreshold }

        routing = try Self.routingFigures(input, options: options, asOf: asOf)
        replays = try options.replayCapacityScales.map { scale in
            var settings = options.replay
            settings.capacityScale = scale
            settings.fairness = options.fairness
            settings.fairness.policy = .optimal
            return try PolicySimulation.run(model: match, ecosystem: ecosystem, truth: input.truth, settings: settings)
        }

        let segmentInput = SegmentInput(
            partners: ecosystem.partners, activity: ecosystem.activity, leads: ecosystem.leads,
            outcomes: ecosystem.outcomes, churnModel: churn, sources: sources)
        segments = try SegmentReport(segmentInput, options: options.segments)

        let recommender = ActionRecommender(matchModel: match, churnModel: churn, settings: options.recommendation)
        actions = try recommender.recommend(ecosystem)
        leadModel = input.leadModel.map { LeadModelFigures($0, source: input.leadModelSource) }
    }

    /// Each account's owner as the history shows it: the partner that accepted the most of the account's leads
    /// (declined assignments left out; ties to the lower partner id).
    public static func accountOwners(leads: [Lead], outcomes: [Outcome]) -> [String: String] {
        var account: [String: String] = [:]
        for lead in leads { if let id = lead.accountID { account[lead.id] = id } }
        var counts: [String: [String: Int]] = [:]
        for outcome in outcomes where outcome.outcome != .declined {
            guard let id = account[outcome.leadID] else { continue }
            counts[id, default: [:]][outcome.partnerID, default: 0] += 1
        }
        return counts.mapValues { partners in
            partners.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }!.key
        }
    }

    /// The Lorenz curve of the loads: (0, 0), then (k/n, share of the total held by the k least loaded) for
    /// k = 1…n. The diagonal for a zero total.
    public static func lorenzCurve(_ loads: [Int]) -> [ChartPoint] {
        let sorted = loads.sorted()
        let n = Double(sorted.count)
        let total = Double(sorted.reduce(0, +))
        guard n > 0 else { return [ChartPoint(x: 0, y: 0), ChartPoint(x: 1, y: 1)] }
        var points = [ChartPoint(x: 0, y: 0)]
        var cumulative = 0.0
        for (index, load) in sorted.enumerated() {
            cumulative += Double(load)
            points.append(ChartPoint(x: Double(index + 1) / n, y: total > 0 ? cumulative / total : Double(index + 1) / n))
        }
        return points
    }

    /// Scores the incoming leads, routes them with each policy, and measures how the leads were shared out.
    ///
    /// The routing problem is `route`'s in model mode (`ModelRouter.problem`: new and small partners flagged for the
    /// minimum share, each partner's win-rate uncertainty for the exploration bonus). Partners taking leads are those
    /// the eligibility rules let take any (status, capacity left); new and small as `ModelRouter` defines them. The
    /// policies: `optimal`, `greedy` and `round-robin` with `options.routing`, and `optimal+fairness` with
    /// `options.fairness`, all on the same candidates.
    static func routingFigures(_ input: ReportInput, options: ReportOptions, asOf: Timestamp) throws -> RoutingFigures {
        let ecosystem = input.ecosystem
        var rules = options.rules
        for (account, owner) in accountOwners(leads: ecosystem.leads, outcomes: ecosystem.outcomes)
        where rules.accountOwners[account] == nil {
            rules.accountOwners[account] = owner
        }
        let router = ModelRouter(
            model: input.matchModel, partners: ecosystem.partners, rules: rules, at: asOf,
            candidatesPerLead: options.candidatesPerLead)
        let problem: RoutingProblem, scores: [LeadScore]
        do {
            (problem, scores) = try router.problem(for: input.incoming)
        } catch let error as RoutingError {
            throw error
        } catch {
            throw ReportError.model(source: input.matchModelSource, reason: "cannot score \(input.incomingSource): \(error)")
        }
        let ownedLeads = scores.count { $0.partners.contains(where: \.isAccountOwner) }

        let small = ModelRouter.smallPartners(ecosystem.partners)
        let new = ModelRouter.newPartners(ecosystem.partners, at: asOf)
        let taking = ecosystem.partners.filter {
            !rules.ineligibleStatuses.contains($0.status) && (!rules.requireCapacity || $0.remainingCapacity > 0)
        }.sorted { $0.id < $1.id }
        let partners = taking.map {
            RoutedPartner(
                partnerID: $0.id, capacityLeft: $0.remainingCapacity, isSmall: small.contains($0.id),
                isNew: new.contains($0.id))
        }
        let totalLeft = Double(partners.reduce(0) { $0 + $1.capacityLeft })
        func capacityShare(_ include: (RoutedPartner) -> Bool) -> Double {
            totalLeft > 0 ? Double(partners.filter(include).reduce(0) { $0 + $1.capacityLeft }) / totalLeft : 0
        }

        var runs: [(PolicyRun, RoutingConfig)] = []
        for run in [PolicyRun.optimal, .greedy, .roundRobin] {
            var config = options.routing
            config.policy = run.policy!
            runs.append((run, config))
        }
        var fairness = options.fairness
        fairness.policy = .optimal
        runs.insert((.optimalWithFairness, fairness), at: 1)
        var policies: [PolicyFigures] = []
        for (run, config) in runs {
            let plan = try Router.route(problem, config: config)
            var assignedTo: [String: Int] = [:]
            for outcome in plan.partners { assignedTo[outcome.partnerID] = outcome.assigned }
            let loads = partners.map { assignedTo[$0.partnerID] ?? 0 }
            let assigned = plan.assignments.count
            func share(_ include: (RoutedPartner) -> Bool) -> Double {
                guard assigned > 0 else { return 0 }
                return Double(zip(partners, loads).filter { include($0.0) }.reduce(0) { $0 + $1.1 }) / Double(assigned)
            }
            var reasons: [UnassignedReason: Int] = [:]
            for lead in plan.unassigned { reasons[lead.reason, default: 0] += 1 }
            policies.append(
                PolicyFigures(
                    run: run, config: config, assigned: assigned, unassigned: plan.unassigned.count,
                    expectedValue: plan.totalExpectedValue,
                    expectedWins: plan.assignments.reduce(0) { $0 + ($1.winProbability ?? 0) },
                    ownerAssignments: plan.ownerAssignments, loads: loads, gini: Metrics.gini(loads.map(Double.init)),
                    smallShare: share(\.isSmall), newShare: share(\.isNew),
                    newOrSmallShare: share { $0.isSmall || $0.isNew }, partnersServed: loads.count { $0 > 0 },
                    largestShare: assigned > 0 ? Double(loads.max() ?? 0) / Double(assigned) : 0,
                    lorenz: lorenzCurve(loads),
                    unassignedReasons: UnassignedReason.allCases.compactMap { reason in
                        reasons[reason].map { PolicyFigures.UnassignedCount(reason: reason, count: $0) }
                    }))
        }
        return RoutingFigures(
            leadCount: input.incoming.count, placeableCount: scores.count { $0.leadScore != nil },
            candidateCount: problem.candidateCount, candidatesPerLead: options.candidatesPerLead, ownedLeads: ownedLeads,
            partners: partners, smallCapacityShare: capacityShare(\.isSmall), newCapacityShare: capacityShare(\.isNew),
            policies: policies)
    }
}
