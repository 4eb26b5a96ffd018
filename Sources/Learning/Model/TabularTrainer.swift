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

    public init(
        target: String, positive: String? = nil, columns: ColumnOptions = ColumnOptions(), l2Strength: Double? = nil,
        solver: SolverKind = .auto, options: SolverOptions = SolverOptions(), crossValidationFolds: Int? = nil,
        seed: UInt64 = 42, dataChecksum: String = ""
    ) {
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
                let (schema, _) = try TabularEncoder.fit(table: train, excluding: target.column, options: request.columns)
                let (design, _) = try TabularEncoder.encode(train, schema: schema)
                let configuration = LogisticRegressionConfiguration(
                    l2Strength: request.l2Strength ?? 1 / Double(train.rowCount), solver: request.solver, options: request.options
                )
                let (model, _) = try LogisticRegression.fit(design: design, labels: trainLabels, configuration: configuration)
                let (testDesign, _) = try TabularEncoder.encode(test, schema: schema)
                reports.append(try Metrics.report(labels: testLabels, probabilities: try model.probabilities(for: testDesign)))
            }
            crossValidation = CrossValidationSummary(foldCount: folds, seed: request.seed, folds: reports)
        }
        progress?(.finalFit)
        let (schema, notes) = try TabularEncoder.fit(table: table, excluding: target.column, options: request.columns)
        let (design, _) = try TabularEncoder.encode(table, schema: schema)
        let l2 = request.l2Strength ?? 1 / Double(table.rowCount)
        let configuration = LogisticRegressionConfiguration(l2Strength: l2, solver: request.solver, options: request.options)
        let (model, report) = try LogisticRegression.fit(
            design: design, labels: labels, configuration: configuration,
            progress: progress.map { callback in { callback(.iteration($0, objective: $1, gradientNorm: $2)) } })
        let trainingReport = try Metrics.report(labels: labels, probabilities: try model.probabilities(for: design))
        let metadata = TrainingMetadata(
            source: table.source, rowCount: table.rowCount, positiveCount: labels.filter { $0 }.count, l2Strength: l2,
            report: report, dataChecksum: request.dataChecksum)
        let tabular = TabularModel(
            target: target, schema: schema, model: model, training: metadata,
            metrics: ModelMetrics(training: trainingReport, crossValidation: crossValidation))
        return TabularTrainingResult(model: tabular, notes: notes)
    }
}
