import Learning
import LinearAlgebra

/// What to train the match model with; validated in one place before any work.
public struct MatchTrainingRequest: Sendable {
    /// λ; nil chooses it from `l2Candidates` by time-split cross-validated log loss.
    public var l2Strength: Double?
    public var l2Candidates: [Double] = [1e-5, 1e-4, 1e-3, 1e-2]
    /// Constrain W to this rank (W = U·Vᵀ); nil for a full W.
    public var rank: Int?
    /// Time-split folds: the pairs sorted by assignment time are cut into folds + 1 blocks, and fold i trains on
    /// blocks 0…i and tests on block i + 1. 0 skips cross-validation (then λ must be given).
    public var folds: Int = 4
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
                    name: "l2 candidates", value: "\(l2Candidates)", requirement: "must be a non-empty list of finite values >= 0")
            }
            guard folds >= 2 else {
                throw .invalidParameter(name: "folds", value: "\(folds)", requirement: "must be >= 2 to choose λ (or give λ)")
            }
        }
        if folds < 0 || folds == 1 { throw .invalidParameter(name: "folds", value: "\(folds)", requirement: "must be 0 or >= 2") }
        if let rank, rank < 1 { throw .invalidParameter(name: "rank", value: "\(rank)", requirement: "must be >= 1") }
        guard priorStrength > 0, priorStrength.isFinite else {
            throw .invalidParameter(name: "prior strength", value: "\(priorStrength)", requirement: "must be finite and > 0")
        }
        try options.validate()
    }
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
        partners: [Partner], leads: [Lead], outcomes: [Outcome], request: MatchTrainingRequest,
        progress: ((Stage) -> Void)? = nil
    ) throws -> MatchModel {
        try request.validate()
        let encoding = MatchEncoding(leads: leads, partners: partners, priorStrength: request.priorStrength)
        let examples = MatchExamples(encoding: encoding, partners: partners, leads: leads, outcomes: outcomes)
        guard examples.count > 0 else { throw LearningError.emptyData }
        progress?(.encoded(pairs: examples.count, leftCount: examples.left.columnCount, rightCount: examples.rawRight.columnCount))
        var search: [MatchModel.L2Trial] = []
        var crossValidation: CrossValidationSummary? = nil
        let candidates = request.l2Strength.map { [$0] } ?? request.l2Candidates
        var chosen = candidates[0]
        if request.folds >= 2 {
            var best = Double.infinity
            for l2 in candidates {
                let folds = try crossValidate(examples, encoding: encoding, l2: l2, request: request) { fold, auc in
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
        var fitted = encoding
        let (regression, report, right) = try fit(examples, encoding: &fitted, l2: chosen, request: request)
        let probabilities = try regression.probabilities(left: examples.left, right: right)
        let training = try? Metrics.report(labels: examples.labels, probabilities: probabilities)
        let record = PartnerTrackRecord(
            partners: partners, verticals: encoding.verticals, outcomes: outcomes,
            leadVertical: Dictionary(leads.map { ($0.id, $0.vertical) }, uniquingKeysWith: { first, _ in first }))
        let historyEnd = examples.times.max() ?? 0
        let (perPartner, overall) = record.finalCounts(end: historyEnd)
        var trackRecords: [String: WinCounts] = [:]
        for (index, partner) in partners.enumerated() { trackRecords[partner.id] = perPartner[index] }
        return MatchModel(
            header: ModelHeader(kind: MatchModel.kind), encoding: fitted, interaction: regression.interaction,
            rank: request.rank,
            training: TrainingMetadata(
                source: request.source, rowCount: examples.count, positiveCount: examples.labels.count { $0 },
                l2Strength: chosen, report: report, dataChecksum: request.dataChecksum),
            metrics: ModelMetrics(training: training, crossValidation: crossValidation), l2Search: search,
            trackRecords: trackRecords, overallRecord: overall,
            historyEnd: Timestamp(secondsSinceEpoch: historyEnd))
    }

    /// Fits W on `examples` after fitting the partner standardisation to them; returns the standardised Ψ̃ too.
    static func fit(
        _ examples: MatchExamples, encoding: inout MatchEncoding, l2: Double, request: MatchTrainingRequest
    ) throws(LearningError) -> (BilinearLogisticRegression, SolverReport, Matrix<Double>) {
        encoding.fitStandardisation(examples.rawRight)
        var right = examples.rawRight
        encoding.standardise(&right)
        let configuration = BilinearConfiguration(
            l2Strength: l2, form: request.rank.map { .lowRank($0) } ?? .full, options: request.options)
        let (model, report) = try BilinearLogisticRegression.fit(
            left: examples.left, right: right, labels: examples.labels, configuration: configuration)
        return (model, report, right)
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
        _ examples: MatchExamples, encoding: MatchEncoding, l2: Double, request: MatchTrainingRequest,
        progress: (Int, Double) -> Void
    ) throws -> [ClassificationReport] {
        var reports: [ClassificationReport] = []
        for (index, fold) in timeFolds(times: examples.times, folds: request.folds).enumerated() {
            let train = examples.selecting(fold.train), test = examples.selecting(fold.test)
            var foldEncoding = encoding
            let (model, _, _) = try fit(train, encoding: &foldEncoding, l2: l2, request: request)
            var right = test.rawRight
            foldEncoding.standardise(&right)
            let probabilities = try model.probabilities(left: test.left, right: right)
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
