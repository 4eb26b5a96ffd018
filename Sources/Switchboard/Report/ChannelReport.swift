import Learning

/// Everything the channel report reads: the ecosystem's records (with its incoming leads to route, and its truth
/// when it has one) and the two models.
public struct ReportInput: Sendable {
    /// Partners, historical leads, outcomes, activity, the action catalogue, the action history and the incoming
    /// leads (the new leads to score and route), with references checked across files (`Ecosystem.load`). With a
    /// generated ecosystem's truth (`truth/partners.csv`, `truth/pairs.csv`) the replay values decisions with the true
    /// win probabilities; without, with the match model.
    public var ecosystem: Ecosystem
    public var matchModel: MatchModel
    public var churnModel: ChurnModel
    /// The model files' names, for error messages and the report's text.
    public var matchModelSource: String
    public var churnModelSource: String
    /// The lead-score model (`switchboard train` on lead data), whose shape functions the report draws; optional.
    public var leadModel: TabularModel?
    public var leadModelSource: String

    public init(
        ecosystem: Ecosystem, matchModel: MatchModel, churnModel: ChurnModel, matchModelSource: String = "match.json",
        churnModelSource: String = "churn.json", leadModel: TabularModel? = nil, leadModelSource: String = "leads.json"
    ) {
        self.leadModel = leadModel
        self.leadModelSource = leadModelSource
        self.ecosystem = ecosystem
        self.matchModel = matchModel
        self.churnModel = churnModel
        self.matchModelSource = matchModelSource
        self.churnModelSource = churnModelSource
    }

    public var incoming: [Lead] { ecosystem.incoming }
    public var sources: EcosystemSources { ecosystem.sources }
    public var incomingSource: String { ecosystem.sources.incoming }
    public var truth: EcosystemTruth? { ecosystem.truth }
}

/// How the report's figures are computed.
public struct ReportOptions: Sendable {
    /// The partners kept for each incoming lead by `LeadScorer` (the router chooses among them).
    public var candidatesPerLead = 10
    /// Eligibility of partners for incoming leads; the history's account owners are added to `accountOwners`
    /// (an owner given here wins).
    public var rules = EligibilityRules()
    /// The routing settings; the report runs them with the `optimal`, `greedy` and `round-robin` policies.
    public var routing = RoutingConfig()
    /// The fairness controls of the `optimal+fairness` runs (the incoming batch and the replay): by default
    /// `minimumShare` 0.02 for new and small partners and `exploration` 1, as `switchboard simulate` uses.
    public var fairness = SimulationSettings().fairness
    /// The replays of the history (`PolicySimulation`), one per capacity scale: as recorded, and tight.
    public var replayCapacityScales = [1.0, 0.5]
    /// The replay's other settings (its `capacityScale` and `fairness` are replaced by the above).
    public var replay = SimulationSettings()
    /// Partners listed in the churn-risk table.
    public var atRiskCount = 15
    /// Spacing of the points drawn of the ROC and gains curves (domain units); the metrics use every point.
    public var curveSpacing = 0.004
    public var recommendation = RecommendationSettings()
    public var segments = SegmentOptions()

    public init() {}

    /// Throws for the first option out of range, quoting it.
    public func validate() throws(ReportError) {
        func bad(_ name: String, _ value: Any, _ requirement: String) -> ReportError {
            .invalidOption(name: name, value: "\(value)", requirement: requirement)
        }
        if candidatesPerLead < 1 { throw bad("candidatesPerLead", candidatesPerLead, "must be at least 1") }
        for scale in replayCapacityScales where !(scale > 0 && scale.isFinite) {
            throw bad("replayCapacityScales", scale, "must each be finite and > 0")
        }
        if atRiskCount < 1 { throw bad("atRiskCount", atRiskCount, "must be at least 1") }
        if !(curveSpacing >= 0 && curveSpacing < 1) { throw bad("curveSpacing", curveSpacing, "must be in [0, 1)") }
    }
}

/// Why the report could not be made (problems in record files are `RecordError`s, with file, line and column).
public enum ReportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A model that does not fit the data it is asked to score.
    case model(source: String, reason: String)
    /// Data that cannot give a figure (for example a history whose outcomes are all wins).
    case data(source: String, reason: String)
    case invalidOption(name: String, value: String, requirement: String)

    public var description: String {
        switch self {
        case let .model(source, reason): return "\(source): \(reason)"
        case let .data(source, reason): return "\(source): \(reason)"
        case let .invalidOption(name, value, requirement): return "\(name) \(requirement) (got \(value))"
        }
    }
}

/// One model's figures on labelled history.
public struct ModelFigures: Sendable, Equatable {
    /// `Match model`, `Churn model`.
    public var name: String
    /// What was scored, e.g. `18,764 accepted outcomes of outcomes.csv`.
    public var subject: String
    /// What a positive is (`won`, `churned next period`).
    public var positive: String
    /// Every metric of `Metrics.report` on all the rows.
    public var report: ClassificationReport
    /// The ROC curve (`Metrics.rocCurve`), thinned for drawing: (false positive rate, true positive rate).
    public var roc: [ChartPoint]
    /// The cumulative gains curve, thinned: (share of rows targeted, share of positives found), from the ROC
    /// points: x = (TPR·P + FPR·N)/(P + N), y = TPR.
    public var gains: [ChartPoint]
    /// `Metrics.lift` of the top 10%, 20%, …, 100% of rows (cumulative lift by decile; the last is 1).
    public var liftByDecile: [Double]
    /// The positive rate over all rows.
    public var baseRate: Double

    /// The figures of probabilities `probabilities` against `labels`.
    /// - Throws: `MetricsError` (no rows, one class only, a probability outside [0, 1]).
    public init(
        name: String, subject: String, positive: String, labels: [Bool], probabilities: [Double], curveSpacing: Double
    ) throws(MetricsError) {
        self.name = name
        self.subject = subject
        self.positive = positive
        report = try Metrics.report(labels: labels, probabilities: probabilities)
        let curve = try Metrics.rocCurve(labels: labels, scores: probabilities)
        let positives = Double(report.positiveCount), rows = Double(report.rowCount)
        let negatives = rows - positives
        roc = ChartPoint.thinned(
            curve.map { ChartPoint(x: $0.falsePositiveRate, y: $0.truePositiveRate) }, spacing: curveSpacing)
        gains = ChartPoint.thinned(
            curve.map {
                ChartPoint(
                    x: ($0.truePositiveRate * positives + $0.falsePositiveRate * negatives) / rows, y: $0.truePositiveRate)
            }, spacing: curveSpacing)
        var lifts: [Double] = []
        for decile in 1...10 {
            lifts.append(try Metrics.lift(labels: labels, scores: probabilities, topFraction: Double(decile) / 10))
        }
        liftByDecile = lifts
        baseRate = positives / rows
    }
}

/// A partner that takes leads, as the routing section sees it.
public struct RoutedPartner: Sendable, Equatable {
    public var partnerID: String
    /// Capacity minus open leads before the batch.
    public var capacityLeft: Int
    /// Small and new as `ModelRouter.smallPartners` and `.newPartners` define them.
    public var isSmall: Bool
    public var isNew: Bool
}

/// How one routing policy shares the incoming leads out.
public struct PolicyFigures: Sendable, Equatable {
    /// `optimal`, `optimal+fairness`, `greedy` or `round-robin`.
    public var run: PolicyRun
    public var name: String { run.rawValue }
    public var config: RoutingConfig
    public var assigned: Int
    public var unassigned: Int
    /// Σ expected value (P(win) × deal value) of the assignments.
    public var expectedValue: Double
    /// Σ P(win) of the assignments: the deals the batch is expected to win.
    public var expectedWins: Double
    /// Leads given to their account owner before the policy ran.
    public var ownerAssignments: Int
    /// Leads assigned to each partner that takes leads, in `RoutingFigures.partners` order.
    public var loads: [Int]
    /// Gini coefficient of `loads`: Σᵢ Σⱼ |xᵢ − xⱼ| / (2·n²·mean); 0 for equal loads (and for no leads at all).
    public var gini: Double
    /// Share of the assigned leads given to small partners, and to new ones.
    public var smallShare: Double
    public var newShare: Double
    /// Share given to partners that are new or small (or both): those guaranteed the minimum share.
    public var newOrSmallShare: Double
    /// Partners that got at least one lead.
    public var partnersServed: Int
    /// The largest share of the assigned leads any one partner got.
    public var largestShare: Double
    /// The Lorenz curve of `loads`: (share of partners, share of leads), partners from the least loaded.
    public var lorenz: [ChartPoint]
    /// How many leads were left unassigned for each reason, in `UnassignedReason` order (reasons with none left
    /// out).
    public var unassignedReasons: [UnassignedCount]

    public struct UnassignedCount: Sendable, Equatable {
        public var reason: UnassignedReason
        public var count: Int
    }
}

/// The incoming leads scored and routed with each policy.
public struct RoutingFigures: Sendable, Equatable {
    public var leadCount: Int
    /// Leads with at least one eligible partner.
    public var placeableCount: Int
    /// Candidates over all leads (at most `candidatesPerLead` a lead).
    public var candidateCount: Int
    public var candidatesPerLead: Int
    /// Leads whose account owner is among their candidates.
    public var ownedLeads: Int
    /// The partners that take leads (eligible status, capacity left), by id.
    public var partners: [RoutedPartner]
    /// Shares of the partners' capacity left held by small and by new partners (the share a capacity-proportional
    /// split would give them).
    public var smallCapacityShare: Double
    public var newCapacityShare: Double
    /// Optimal, optimal+fairness, greedy, round-robin.
    public var policies: [PolicyFigures]
}

/// A partner at risk of churning, with the factors behind its risk.
public struct AtRiskPartner: Sendable, Equatable {
    public var partnerID: String
    public var name: String
    public var managerID: String
    public var tier: PartnerTier
    public var type: PartnerType
    public var status: PartnerStatus
    /// The latest activity period, the one scored.
    public var period: Int
    /// P(churn in the next period).
    public var risk: Double
    /// The largest contributions to its log-odds (`ChurnModel.explain`), largest |contribution| first.
    public var factors: [ChurnFactor]
    /// Each factor's standardised value z = (x − mean)/scale: below the training rows' average when negative.
    public var factorScores: [Double]
}

/// The figures of the channel report: model quality, routing and its fairness, segments, churn risk and the
/// channel managers' to-do lists. Pure: built from values, rendered by `HTMLReport`.
public struct ChannelReport: Sendable {
    /// The end of the match model's history: incoming leads are scored with partners as of then.
    public var asOf: Timestamp
    public var partnerCount: Int
    public var activePartnerCount: Int
    public var leadCount: Int
    public var outcomeCount: Int
    public var activityRowCount: Int
    public var managerCount: Int
    public var sources: EcosystemSources
    public var incomingSource: String
    /// The match model on the outcome history, then the churn model on the activity history.
    public var models: [ModelFigures]
    public var routing: RoutingFigures
    /// The history's last days replayed under each policy, once per `ReportOptions.replayCapacityScales`.
    public var replays: [SimulationReport]
    public var segments: SegmentReport
    /// The partners most at risk (highest risk first, ties by id), at most `atRiskCount`.
    public var atRisk: [AtRiskPartner]
    /// Partners scored for churn (latest row not already churned), and those at or above the high-risk threshold.
    public var churnScoredCount: Int
    public var highRiskCount: Int
    public var actions: ActionPlan
    /// The lead-score model's shape functions, when the input has one.
    public var leadModel: LeadModelFigures?
}
