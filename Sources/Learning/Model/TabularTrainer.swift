import LinearAlgebra

/// Everything that defines a tabular training run.
public struct TabularTrainingRequest: Sendable {
    public var target: String
    public var positive: String?
    public var columns: ColumnOptions
    /// λ; nil means 1/n for n training rows, which is scikit-learn's default C = 1.
    public var l2Strength: Double?
    public var solver: SolverKind
    public var options: SolverOptions
    /// Folds for cross-validation before the final fit; nil or 0 for none.
    public var crossValidationFolds: Int?
    public var seed: UInt64
    /// FNV-1a 64 of the training file's bytes, recorded in the model.
    public var dataChecksum: String
    /// Plain, additive, or chosen by inner cross-validation.
    public var shape: ModelShape
    /// How many interactions to add (the best by held-out gain, among those that gain); nil: those that gain on
    /// every inner fold, at most 8. 0 for none.
    public var interactions: Int?
    /// Interior knots per numeric spline; nil for 8.
    public var splineKnots: Int?
    /// μ·n of the splines' difference penalty; nil to choose among 1, 10 and 100 by inner cross-validation.
    public var splineStrength: Double?

    public init(
        target: String, positive: String? = nil, columns: ColumnOptions = ColumnOptions(), l2Strength: Double? = nil,
        solver: SolverKind = .auto, options: SolverOptions = SolverOptions(), crossValidationFolds: Int? = nil,
        seed: UInt64 = 42, dataChecksum: String = "", shape: ModelShape = .linear, interactions: Int? = nil,
        splineKnots: Int? = nil, splineStrength: Double? = nil
    ) {
        self.shape = shape
        self.interactions = interactions
        self.splineKnots = splineKnots
        self.splineStrength = splineStrength
        self.target = target
        self.positive = positive
        self.columns = columns
        self.l2Strength = l2Strength
        self.solver = solver
        self.options = options
        self.crossValidationFolds = crossValidationFolds
        self.seed = seed
        self.dataChecksum = dataChecksum
    }

    /// Checks every hyperparameter before any work, quoting the bad value.
    public func validate() throws(LearningError) {
        if let l2Strength, !(l2Strength.isFinite && l2Strength >= 0) {
            throw .invalidParameter(name: "l2Strength", value: "\(l2Strength)", requirement: "must be finite and >= 0")
        }
        if let folds = crossValidationFolds, folds != 0, folds < 2 {
            throw .invalidParameter(name: "crossValidationFolds", value: "\(folds)", requirement: "must be >= 2 (or 0 for none)")
        }
        if let interactions, interactions < 0 {
            throw .invalidParameter(name: "interactions", value: "\(interactions)", requirement: "must be >= 0")
        }
        if let splineKnots, !(1...50).contains(splineKnots) {
            throw .invalidParameter(name: "splineKnots", value: "\(splineKnots)", requirement: "must be between 1 and 50")
        }
        if let splineStrength, !(splineStrength.isFinite && splineStrength >= 0) {
            throw .invalidParameter(name: "splineStrength", value: "\(splineStrength)", requirement: "must be finite and >= 0")
        }
        try options.validate()
    }
}

/// What a training run produced, besides the model.
public struct TabularTrainingResult: Sendable {
    public var model: TabularModel
    public var notes: EncodingNotes
}

/// Stage reports for progress displays.
public enum TrainingStage: Sendable {
    case fold(index: Int, of: Int)
    case finalFit
    case iteration(Int, objective: Double, gradientNorm: Double)
}

/// Encodes a table, optionally cross-validates, and fits the final model on every row.
public enum TabularTrainer {
    public static func train(
        _ table: CSVTable, request: TabularTrainingRequest, progress: ((TrainingStage) -> Void)? = nil
    ) throws -> TabularTrainingResult {
        try request.validate()
        let target = try TabularEncoder.target(in: table, column: request.target, positive: request.positive)
        let labels = try TabularEncoder.labels(in: table, target: target)
        var crossValidation: CrossValidationSummary?
        if let folds = request.crossValidationFolds, folds >= 2 {
            let splits = try StratifiedKFold(labels: labels, foldCount: folds, seed: request.seed)
            var reports: [ClassificationReport] = []
            for (index, fold) in splits.folds.enumerated() {
                progress?(.fold(index: index + 1, of: folds))
                let train = table.selectingRows(fold.trainIndices), test = table.selectingRows(fold.testIndices)
                let trainLabels = fold.trainIndices.map { labels[$0] }, testLabels = fold.testIndices.map { labels[$0] }
                let (fitted, _) = try AdditiveFit.train(train, labels: trainLabels, target: target.column, request: request)
                let (testDesign, _) = try TabularEncoder.encode(test, schema: fitted.schema)
                reports.append(
                    try Metrics.report(labels: testLabels, probabilities: try fitted.model.probabilities(for: testDesign)))
            }
            crossValidation = CrossValidationSummary(foldCount: folds, seed: request.seed, folds: reports)
        }
        progress?(.finalFit)
        let (fitted, selection) = try AdditiveFit.train(
            table, labels: labels, target: target.column, request: request,
            progress: progress.map { callback in { callback(.iteration($0, objective: $1, gradientNorm: $2)) } })
        let trainingReport = try Metrics.report(
            labels: labels, probabilities: try fitted.trainingProbabilities())
        var metadata = TrainingMetadata(
            source: table.source, rowCount: table.rowCount, positiveCount: labels.filter { $0 }.count,
            l2Strength: fitted.l2Strength, report: fitted.report, dataChecksum: request.dataChecksum)
        if fitted.schema.isAdditive || selection != nil {
            metadata.settings = selection?.chosen ?? .linear
            metadata.shapeSelection = selection
        }
        let tabular = TabularModel(
            target: target, schema: fitted.schema, model: fitted.model, training: metadata,
            metrics: ModelMetrics(training: trainingReport, crossValidation: crossValidation))
        let notes = fitted.notes
        return TabularTrainingResult(model: tabular, notes: notes)
    }
}
