import LinearAlgebra

/// How a model was trained: the data, the hyperparameters and the solver's report.
public struct TrainingMetadata: Sendable, Codable, Equatable {
    public var source: String
    public var rowCount: Int
    public var positiveCount: Int
    public var l2Strength: Double
    public var solver: SolverKind
    public var iterations: Int
    public var converged: Bool
    public var objective: Double
    public var gradientNorm: Double
    /// FNV-1a 64 of the training file's bytes.
    public var dataChecksum: String
    /// When training finished (ISO 8601), and how long it took.
    public var trainedAt: String
    public var seconds: Double
    /// The additive model's settings (splines, penalties, interactions); nil for a plain model from before version 2.
    public var settings: AdditiveSettings?
    /// How inner cross-validation chose the model's shape; nil when it was not run.
    public var shapeSelection: ShapeSelection?

    public init(
        source: String, rowCount: Int, positiveCount: Int, l2Strength: Double, report: SolverReport,
        dataChecksum: String, trainedAt: String = "", seconds: Double = 0
    ) {
        self.source = source
        self.rowCount = rowCount
        self.positiveCount = positiveCount
        self.l2Strength = l2Strength
        self.solver = report.solver
        self.iterations = report.iterations
        self.converged = report.converged
        self.objective = report.objective
        self.gradientNorm = report.gradientNorm
        self.dataChecksum = dataChecksum
        self.trainedAt = trainedAt
        self.seconds = seconds
    }
}

/// Cross-validated metrics: mean ± sample standard deviation over folds, and each fold's report.
public struct CrossValidationSummary: Sendable, Codable, Equatable {
    public var foldCount: Int
    public var seed: UInt64
    public var rocAUC: MeanAndDeviation
    public var averagePrecision: MeanAndDeviation
    public var logLoss: MeanAndDeviation
    public var brierScore: MeanAndDeviation
    public var expectedCalibrationError: MeanAndDeviation
    public var liftTopDecile: MeanAndDeviation
    public var folds: [ClassificationReport]

    public init(foldCount: Int, seed: UInt64, folds: [ClassificationReport]) {
        self.foldCount = foldCount
        self.seed = seed
        self.folds = folds
        rocAUC = MeanAndDeviation(folds.map(\.rocAUC))
        averagePrecision = MeanAndDeviation(folds.map(\.averagePrecision))
        logLoss = MeanAndDeviation(folds.map(\.logLoss))
        brierScore = MeanAndDeviation(folds.map(\.brierScore))
        expectedCalibrationError = MeanAndDeviation(folds.map(\.expectedCalibrationError))
        liftTopDecile = MeanAndDeviation(folds.map(\.liftTopDecile))
    }
}

/// The metrics stored with a model.
public struct ModelMetrics: Sendable, Codable, Equatable {
    /// On the training rows (optimistic; for reference).
    public var training: ClassificationReport?
    /// Cross-validated, when requested.
    public var crossValidation: CrossValidationSummary?

    public init(training: ClassificationReport? = nil, crossValidation: CrossValidationSummary? = nil) {
        self.training = training
        self.crossValidation = crossValidation
    }
}

/// A logistic regression over an encoded table: schema, coefficients, training metadata and metrics.
public struct TabularModel: VersionedModel, Sendable, Equatable {
    public static let kind = "tabular-logistic"

    public var header: ModelHeader
    public var target: TargetSpecification
    public var schema: TabularSchema
    /// One name a design column, in order (`tenure`, `Contract=One year`, …).
    public var featureNames: [String]
    public var coefficients: [Double]
    public var intercept: Double
    public var training: TrainingMetadata
    public var metrics: ModelMetrics

    public init(
        target: TargetSpecification, schema: TabularSchema, model: LogisticRegression,
        training: TrainingMetadata, metrics: ModelMetrics
    ) {
        header = ModelHeader(kind: Self.kind, version: schema.isAdditive || training.settings != nil ? 2 : 1)
        self.target = target
        self.schema = schema
        featureNames = schema.featureNames
        coefficients = model.coefficients
        intercept = model.intercept
        self.training = training
        self.metrics = metrics
    }

    /// The fitted logistic regression on the design space.
    public var regression: LogisticRegression { LogisticRegression(coefficients: coefficients, intercept: intercept) }

    public func consistencyProblem() -> String? {
        if featureNames.count != coefficients.count {
            return "\(coefficients.count) coefficients for \(featureNames.count) features"
        }
        if schema.featureCount != coefficients.count {
            return "the encoding schema gives \(schema.featureCount) features but there are \(coefficients.count) coefficients"
        }
        if schema.featureNames != featureNames { return "feature names disagree with the encoding schema" }
        if let bad = coefficients.firstIndex(where: { !$0.isFinite }) { return "coefficient \(bad) is not finite" }
        if !intercept.isFinite { return "the intercept is not finite" }
        for column in schema.columns {
            if case let .numeric(encoding) = column, !(encoding.scale > 0 && encoding.scale.isFinite && encoding.mean.isFinite) {
                return "column '\(encoding.name)' has an invalid standardisation"
            }
        }
        return nil
    }

    /// P(positive) for every row of `table`, with notes on unseen categories and imputed cells.
    /// - Throws: `TabularError` naming file, line and column.
    public func probabilities(for table: CSVTable) throws -> (probabilities: [Double], notes: EncodingNotes) {
        let (design, notes) = try TabularEncoder.encode(table, schema: schema)
        return (try regression.probabilities(for: design), notes)
    }
}
