import Learning
import LinearAlgebra

/// What to train the match model with; validated in one place before any work.
public struct MatchTrainingRequest: Sendable {
    /// λ; nil chooses it from `l2Candidates` by time-split cross-validated log loss.
    public var l2Strength: Double?
    public var l2Candidates: [Double] = [1e-4, 1e-3, 1e-2, 1e-1, 1]
    /// Constrain W to this rank (W = U·Vᵀ); nil for a full W.
    public var rank: Int?
    /// Time-split folds: the pairs sorted by assignment time are cut into folds + 1 blocks, and fold i trains on
    /// blocks 0…i and tests on block i + 1. 0 skips cross-validation (then λ must be given).
    public var folds: Int = 4
    /// How many times harder than the main effects and the expected interactions the other entries of W are
    /// penalised (see `MatchEncoding.penaltyWeights`); 1 penalises all alike.
    public var interactionPenalty: Double = 100
    /// k, the Beta prior's weight in pseudo-leads for the smoothed win rates.
    public var priorStrength: Double = 20
    public var options = SolverOptions(gradientTolerance: 1e-6, maxIterations: 2000)
    /// For the model's training metadata.
    public var source: String = ""
    public var dataChecksum: String = ""

    public init() {}

    public func validate() throws(LearningError) {
        if let l2Strength, !(l2Strength.isFinite && l2Strength >= 0) {
            throw .invalidParameter(name: "l2", value: "\(l2Strength)", requirement: "must be finite and >= 0")
        }
        if l2Strength == nil {
            guard !l2Candidates.isEmpty, l2Candidates.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw .invalidParameter(
                    name: "l2 candidates", value: "\(l2Candidates)", requirement: "must be a non-empty list of finite values >= 0"
                )
            }
            guard folds >= 2 else {
                throw .invalidParameter(name: "folds", value: "\(folds)", requirement: "must be >= 2 to choose λ (or give λ)")
            }
        }
        if folds < 0 || folds == 1 { throw .invalidParameter(name: "folds", value: "\(folds)", requirement: "must be 0 or >= 2") }
        if let rank, rank < 1 { throw .invalidParameter(name: "rank", value: "\(rank)", requirement: "must be >= 1") }
        guard interactionPenalty >= 0, interactionPenalty.isFinite else {
            throw .invalidParameter(
                name: "interaction penalty", value: "\(interactionPenalty)", requirement: "must be finite and >= 0")
        }
        if rank != nil && interactionPenalty != 1 {
            throw .invalidParameter(
                name: "interaction penalty", value: "\(interactionPenalty)", requirement: "must be 1 with a low-rank W")
        }
        guard priorStrength > 0, priorStrength.isFinite else {
            throw .invalidParameter(name: "prior strength", value: "\(priorStrength)", requirement: "must be finite and > 0")
        }
        try options.validate()
    }
}

/// A fitted pair of models: the baseline (no track records), whose expected wins feed the track records, and the
/// full model.
struct MatchFit {
    var encoding: MatchEncoding
    var baseline: BilinearLogisticRegression
    var model: BilinearLogisticRegression
    var report: SolverReport
    /// The examples rebuilt with the baseline's expected wins (all rows, not only the training ones).
    var examples: MatchExamples
}

/// Trains the match model on an outcome history.
public enum MatchTrainer {
    /// Stages reported to `progress`.
    public enum Stage: Sendable {
        case encoded(pairs: Int, leftCount: Int, rightCount: Int)
        case fold(l2Strength: Double, fold: Int, of: Int, rocAUC: Double)
        case fitting(l2Strength: Double)
    }

    /// Fits the model to the outcomes (declined ones left out, see `OutcomeRule`), choosing λ by time-split
    /// cross-validation when it is not given.
    /// - Throws: `LearningError` for bad hyperparameters, no counted outcomes, or a single class (in the history or
    ///   a fold's training part).
    public static func train(
        partners: [Partner], leads: [Lead], outcomes: [Outcome], actionHistory: [ActionTaken] = [],
        request: MatchTrainingRequest, progress: ((Stage) -> Void)? = nil
    ) throws -> MatchModel {
        try request.validate()
        let encoding = MatchEncoding(
            leads: leads, partners: partners, actionHistory: actionHistory, priorStrength: request.priorStrength)
        let data = MatchData(partners: partners, leads: leads, outcomes: outcomes, actionHistory: actionHistory)
        let examples = data.examples(encoding)
        guard examples.count > 0 else { throw LearningError.emptyData }
        progress?(
            .encoded(pairs: examples.count, leftCount: examples.left.columnCount, rightCount: examples.rawRight.columnCount))
        var search: [MatchModel.L2Trial] = []
        var crossValidation: CrossValidationSummary? = nil
        let candidates = request.l2Strength.map { [$0] } ?? request.l2Candidates
        var chosen = candidates[0]
        if request.folds >= 2 {
            var best = Double.infinity
            for l2 in candidates {
                let folds = try crossValidate(data, examples, encoding: encoding, l2: l2, request: request) { fold, auc in
                    progress?(.fold(l2Strength: l2, fold: fold, of: request.folds, rocAUC: auc))
                }
                let summary = CrossValidationSummary(foldCount: folds.count, seed: 0, folds: folds)
                search.append(.init(l2Strength: l2, meanLogLoss: summary.logLoss.mean, meanROCAUC: summary.rocAUC.mean))
                if summary.logLoss.mean < best {
                    best = summary.logLoss.mean
                    chosen = l2
                    crossValidation = summary
                }
            }
            if request.l2Strength != nil { search = [] }
        }
        progress?(.fitting(l2Strength: chosen))
        let fit = try fit(data, examples, rows: Array(0..<examples.count), encoding: encoding, l2: chosen, request: request)
        let probabilities = try fit.model.probabilities(
            left: fit.examples.left, right: fit.examples.right(fit.encoding, baseline: false))
        let training = try? Metrics.report(labels: fit.examples.labels, probabilities: probabilities)
        let (perPartner, overall) = data.trackRecord(encoding, expected: data.expectations(fit.baseline, fit.encoding, examples))
            .finalCounts()
        var trackRecords: [String: WinCounts] = [:]
        for (index, partner) in partners.enumerated() { trackRecords[partner.id] = perPartner[index] }
        return MatchModel(
            header: ModelHeader(kind: MatchModel.kind), encoding: fit.encoding, interaction: fit.model.interaction,
            baselineInteraction: fit.baseline.interaction, rank: request.rank,
            training: TrainingMetadata(
                source: request.source, rowCount: examples.count, positiveCount: examples.labels.count { $0 },
                l2Strength: chosen, report: fit.report, dataChecksum: request.dataChecksum),
            metrics: ModelMetrics(training: training, crossValidation: crossValidation), l2Search: search,
            trackRecords: trackRecords, overallRecord: overall,
            historyEnd: Timestamp(secondsSinceEpoch: examples.times.max() ?? 0))
    }

    /// Fits on the example `rows`: the standardisation, the baseline (track records zeroed), the baseline's expected
    /// wins for every outcome, then the full model on the rebuilt examples.
    static func fit(
        _ data: MatchData, _ examples: MatchExamples, rows: [Int], encoding: MatchEncoding, l2: Double,
        request: MatchTrainingRequest
    ) throws(LearningError) -> MatchFit {
        let configuration = BilinearConfiguration(
            l2Strength: l2, form: request.rank.map { .lowRank($0) } ?? .full, options: request.options,
            penaltyWeights: request.rank == nil ? encoding.penaltyWeights(interactionPenalty: request.interactionPenalty) : nil)
        var fitted = encoding
        let training = examples.selecting(rows)
        fitted.fitStandardisation(training.rawRight)
        let (baseline, _) = try BilinearLogisticRegression.fit(
            left: training.left, right: training.right(fitted, baseline: true), labels: training.labels,
            configuration: configuration)
        let rebuilt = data.examples(encoding, expected: data.expectations(baseline, fitted, examples))
        let rebuiltTraining = rebuilt.selecting(rows)
        fitted.fitStandardisation(rebuiltTraining.rawRight)
        let (model, report) = try BilinearLogisticRegression.fit(
            left: rebuiltTraining.left, right: rebuiltTraining.right(fitted, baseline: false), labels: rebuiltTraining.labels,
            configuration: configuration)
        return MatchFit(encoding: fitted, baseline: baseline, model: model, report: report, examples: rebuilt)
    }

    /// The forward-chaining time folds: the example indices sorted by time, cut into `folds + 1` blocks; fold i
    /// trains on blocks 0…i and tests on block i + 1.
    static func timeFolds(times: [Int64], folds: Int) -> [(train: [Int], test: [Int])] {
        let order = times.indices.sorted { times[$0] < times[$1] || (times[$0] == times[$1] && $0 < $1) }
        let blocks = folds + 1
        let bounds = (0...blocks).map { order.count * $0 / blocks }
        return (0..<folds).map { i in
            (Array(order[0..<bounds[i + 1]]), Array(order[bounds[i + 1]..<bounds[i + 2]]))
        }
    }

    static func crossValidate(
        _ data: MatchData, _ examples: MatchExamples, encoding: MatchEncoding, l2: Double, request: MatchTrainingRequest,
        progress: (Int, Double) -> Void
    ) throws -> [ClassificationReport] {
        var reports: [ClassificationReport] = []
        for (index, fold) in timeFolds(times: examples.times, folds: request.folds).enumerated() {
            let fit = try fit(data, examples, rows: fold.train, encoding: encoding, l2: l2, request: request)
            let test = fit.examples.selecting(fold.test)
            let probabilities = try fit.model.probabilities(left: test.left, right: test.right(fit.encoding, baseline: false))
            guard let report = try? Metrics.report(labels: test.labels, probabilities: probabilities) else { continue }
            progress(index + 1, report.rocAUC)
            reports.append(report)
        }
        guard !reports.isEmpty else {
            throw LearningError.invalidParameter(
                name: "folds", value: "\(request.folds)", requirement: "leave both outcomes in at least one test block")
        }
        return reports
    }
}

/// The records a match model is trained or evaluated on, indexed once.
struct MatchData {
    let partners: [Partner]
    let leads: [Lead]
    let outcomes: [Outcome]
    let actionHistory: [ActionTaken]
    let leadVertical: [String: String]

    init(partners: [Partner], leads: [Lead], outcomes: [Outcome], actionHistory: [ActionTaken] = []) {
        self.partners = partners
        self.leads = leads
        self.outcomes = outcomes
        self.actionHistory = actionHistory
        var verticals: [String: String] = [:]
        for lead in leads { verticals[lead.id] = lead.vertical }
        leadVertical = verticals
    }

    func examples(_ encoding: MatchEncoding, expected: [Double]? = nil) -> MatchExamples {
        MatchExamples(
            encoding: encoding, partners: partners, leads: leads, outcomes: outcomes, actionHistory: actionHistory,
            expected: expected)
    }

    func trackRecord(_ encoding: MatchEncoding, expected: [Double]?) -> PartnerTrackRecord {
        PartnerTrackRecord(
            partners: partners, verticals: encoding.verticals, outcomes: outcomes, leadVertical: leadVertical,
            expected: expected)
    }

    /// The baseline's P(won) for every outcome (indexed like `outcomes`; 0 for those not counted).
    func expectations(_ baseline: BilinearLogisticRegression, _ encoding: MatchEncoding, _ examples: MatchExamples)
        -> [Double]
    {
        let probabilities = try! baseline.probabilities(left: examples.left, right: examples.right(encoding, baseline: true))
        var expected = [Double](repeating: 0, count: outcomes.count)
        for (row, index) in examples.outcomeIndices.enumerated() { expected[index] = probabilities[row] }
        return expected
    }
}

extension MatchModel {
    /// The model's P(won) for every counted outcome of a history (declined ones left out), with each pair's
    /// features as they stood when the lead was assigned (track records from the earlier outcomes of this history,
    /// expected wins from the stored baseline), and the outcomes' labels.
    /// - Returns: the index in `outcomes` of each scored pair, its label and its probability.
    public func evaluate(partners: [Partner], leads: [Lead], outcomes: [Outcome], actionHistory: [ActionTaken] = [])
        throws(LearningError) -> (outcomeIndices: [Int], labels: [Bool], probabilities: [Double])
    {
        let data = MatchData(partners: partners, leads: leads, outcomes: outcomes, actionHistory: actionHistory)
        let plain = data.examples(encoding)
        guard plain.count > 0 else { throw .emptyData }
        let baseline = BilinearLogisticRegression(
            leftCount: encoding.leftNames.count, rightCount: encoding.rightNames.count, interaction: baselineInteraction)
        let examples = data.examples(encoding, expected: data.expectations(baseline, encoding, plain))
        let probabilities = try regression.probabilities(left: examples.left, right: examples.right(encoding, baseline: false))
        return (examples.outcomeIndices, examples.labels, probabilities)
    }

    /// The largest interactions of W (by |Wᵢⱼ| times the spread of the ψ̃ entry, which is 1 after standardisation),
    /// named lead feature × partner feature, the intercept left out.
    public func strongestTerms(_ count: Int) -> [(lead: String, partner: String, weight: Double)] {
        let left = encoding.leftNames, right = encoding.rightNames
        var terms: [(String, String, Double)] = []
        for i in left.indices {
            for j in right.indices where !(i == 0 && j == 0) {
                terms.append((left[i], right[j], interaction[i * right.count + j]))
            }
        }
        return Array(terms.sorted { abs($0.2) > abs($1.2) }.prefix(count))
    }
}
