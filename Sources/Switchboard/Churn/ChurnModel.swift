import Learning
import LinearAlgebra

/// One feature's part in a row's churn score.
public struct ChurnFactor: Sendable, Equatable, Codable {
    /// The feature name (`portal_logins_trend`, `tier=gold`, …).
    public var name: String
    /// The row's raw feature value, before standardisation (levels are log1p of the figure).
    public var value: Double
    /// wⱼ·zⱼ on the logit scale, zⱼ the standardised value: positive raises the risk, negative lowers it.
    public var contribution: Double

    public init(name: String, value: Double, contribution: Double) {
        self.name = name
        self.value = value
        self.contribution = contribution
    }
}

/// Forward-chaining cross-validation of a churn model: each fold's periods and metrics, and their summary.
public struct ChurnCrossValidation: Sendable, Codable, Equatable {
    /// One fold: trained on every row with a period in `trainPeriods`, tested on the rows in `testPeriods`.
    public struct Fold: Sendable, Codable, Equatable {
        public var trainPeriods: ClosedRange<Int>
        public var testPeriods: ClosedRange<Int>
        public var trainRowCount: Int
        public var testRowCount: Int
        /// The test rows' metrics; nil when the fold was skipped.
        public var report: ClassificationReport?
        /// Why the fold was skipped (a single class in its training or test rows); nil when evaluated.
        public var skipped: String?

        public init(
            trainPeriods: ClosedRange<Int>, testPeriods: ClosedRange<Int>, trainRowCount: Int, testRowCount: Int,
            report: ClassificationReport?, skipped: String?
        ) {
            self.trainPeriods = trainPeriods
            self.testPeriods = testPeriods
            self.trainRowCount = trainRowCount
            self.testRowCount = testRowCount
            self.report = report
            self.skipped = skipped
        }
    }

    /// Mean ± sample standard deviation of the evaluated folds' metrics.
    public struct Summary: Sendable, Codable, Equatable {
        public var rocAUC: MeanAndDeviation
        public var averagePrecision: MeanAndDeviation
        public var logLoss: MeanAndDeviation
        public var brierScore: MeanAndDeviation

        /// - Precondition: `reports` is not empty.
        public init(_ reports: [ClassificationReport]) {
            rocAUC = MeanAndDeviation(reports.map(\.rocAUC))
            averagePrecision = MeanAndDeviation(reports.map(\.averagePrecision))
            logLoss = MeanAndDeviation(reports.map(\.logLoss))
            brierScore = MeanAndDeviation(reports.map(\.brierScore))
        }
    }

    /// K: the distinct periods were cut into K + 1 blocks.
    public var foldCount: Int
    /// Every fold, skipped ones included, in time order.
    public var folds: [Fold]
    /// Over the evaluated folds; nil when every fold was skipped.
    public var summary: Summary?

    public init(foldCount: Int, folds: [Fold]) {
        self.foldCount = foldCount
        self.folds = folds
        let reports = folds.compactMap(\.report)
        summary = reports.isEmpty ? nil : Summary(reports)
    }

    /// The folds that were evaluated.
    public var evaluatedFoldCount: Int { folds.count { $0.report != nil } }
}

/// The metrics stored with a churn model.
public struct ChurnMetrics: Sendable, Codable, Equatable {
    /// On the training rows (optimistic; for reference).
    public var training: ClassificationReport?
    /// Forward-chaining cross-validation, when requested.
    public var crossValidation: ChurnCrossValidation?

    public init(training: ClassificationReport? = nil, crossValidation: ChurnCrossValidation? = nil) {
        self.training = training
        self.crossValidation = crossValidation
    }
}

/// A logistic regression on standardised churn features: P(churn next period | row) = σ(b + Σⱼ wⱼ·zⱼ), with
/// zⱼ = (xⱼ − meanⱼ) / scaleⱼ and x the row of `ChurnFeatures`.
public struct ChurnModel: VersionedModel, Sendable, Equatable {
    public static let kind = "churn-logistic"

    public var header: ModelHeader
    /// One name a feature, in `ChurnFeatures.featureNames(partnerAttributes:)` order.
    public var featureNames: [String]
    /// Whether the features include the partner's tier and type (then scoring needs the partners file).
    public var usesPartnerAttributes: Bool
    /// The training rows' mean of each feature.
    public var means: [Double]
    /// The training rows' population standard deviation of each feature, 1 where that is 0.
    public var scales: [Double]
    /// w, on the standardised features.
    public var coefficients: [Double]
    public var intercept: Double
    /// The data, λ and the solver's report.
    public var training: TrainingMetadata
    public var metrics: ChurnMetrics
    /// The features whose coefficient the fit kept ≤ 0 (`ChurnTrainingRequest.engagementLowersRisk`); nil for a fit
    /// without the constraint (and in files written before it existed).
    public var signConstrained: [String]?

    public init(
        usesPartnerAttributes: Bool, means: [Double], scales: [Double], model: LogisticRegression,
        training: TrainingMetadata, metrics: ChurnMetrics, signConstrained: [String]? = nil
    ) {
        header = ModelHeader(kind: Self.kind)
        featureNames = ChurnFeatures.featureNames(partnerAttributes: usesPartnerAttributes)
        self.usesPartnerAttributes = usesPartnerAttributes
        self.means = means
        self.scales = scales
        coefficients = model.coefficients
        intercept = model.intercept
        self.training = training
        self.metrics = metrics
        self.signConstrained = signConstrained
    }

    /// λ in the objective the model minimised (see `LogisticRegression`).
    public var l2Strength: Double { training.l2Strength }

    /// The fitted logistic regression on the standardised features.
    public var regression: LogisticRegression { LogisticRegression(coefficients: coefficients, intercept: intercept) }

    public func consistencyProblem() -> String? {
        let expected = ChurnFeatures.featureNames(partnerAttributes: usesPartnerAttributes)
        if featureNames != expected {
            return
                "the feature names are not those of churn features \(usesPartnerAttributes ? "with" : "without") partner attributes"
        }
        for (what, list) in [("coefficients", coefficients), ("means", means), ("scales", scales)]
        where list.count != featureNames.count {
            return "\(list.count) \(what) for \(featureNames.count) features"
        }
        if let bad = coefficients.firstIndex(where: { !$0.isFinite }) { return "coefficient \(bad) is not finite" }
        for name in signConstrained ?? [] {
            guard let j = featureNames.firstIndex(of: name) else { return "'\(name)' is sign-constrained but not a feature" }
            if coefficients[j] > 0 { return "the coefficient of '\(name)' is positive, but it was to be kept <= 0" }
        }
        if !intercept.isFinite { return "the intercept is not finite" }
        if let bad = means.firstIndex(where: { !$0.isFinite }) { return "the mean of '\(featureNames[bad])' is not finite" }
        if let bad = scales.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            return "the scale of '\(featureNames[bad])' is not a finite number > 0"
        }
        return nil
    }

    /// The standardised features z = (x − mean) / scale of every row.
    /// - Throws: `LearningError.invalidParameter` when the table's features are not the model's (built with or
    ///   without partner attributes when the model was not).
    public func standardised(_ features: ChurnFeatureTable) throws(LearningError) -> Matrix<Double> {
        guard features.featureNames == featureNames else {
            throw .invalidParameter(
                name: "features", value: "\(features.featureCount) columns",
                requirement:
                    "must be the model's \(featureNames.count) columns (churn features \(usesPartnerAttributes ? "with" : "without") partner attributes)"
            )
        }
        return Standardisation(means: means, scales: scales).apply(features.values)
    }

    /// The margin b + w·z of every row (the log-odds of churn).
    /// - Throws: `LearningError` when the table's features are not the model's.
    public func margins(for features: ChurnFeatureTable) throws(LearningError) -> [Double] {
        try regression.margins(for: try standardised(features))
    }

    /// P(churn in the next period) for every row.
    /// - Throws: `LearningError` when the table's features are not the model's.
    public func risk(for features: ChurnFeatureTable) throws(LearningError) -> [Double] {
        try regression.probabilities(for: try standardised(features))
    }

    /// Each row's `top` largest factors by |wⱼ·zⱼ| (ties in feature order); the contributions of all features
    /// add up to the margin minus the intercept.
    /// - Throws: `LearningError.invalidParameter` when `top` is negative, or the table's features are not the model's.
    /// - Complexity: O(rows · featureCount · log featureCount).
    public func explain(_ features: ChurnFeatureTable, top: Int) throws(LearningError) -> [[ChurnFactor]] {
        guard top >= 0 else { throw .invalidParameter(name: "top", value: "\(top)", requirement: "must be >= 0") }
        let z = try standardised(features)
        let count = min(top, featureNames.count)
        return (0..<z.rowCount).map { row in
            let contributions = (0..<z.columnCount).map { coefficients[$0] * z[row, $0] }
            let ranked = contributions.indices.sorted {
                abs(contributions[$0]) != abs(contributions[$1]) ? abs(contributions[$0]) > abs(contributions[$1]) : $0 < $1
            }
            return ranked.prefix(count).map {
                ChurnFactor(name: featureNames[$0], value: features.values[row, $0], contribution: contributions[$0])
            }
        }
    }
}

/// Column means and population standard deviations (0 replaced by 1), and z = (x − mean) / scale.
struct Standardisation {
    var means: [Double]
    var scales: [Double]

    init(means: [Double], scales: [Double]) {
        self.means = means
        self.scales = scales
    }

    /// Fits on the given rows of `values` (two passes: mean, then squared deviations from it).
    /// - Precondition: `rows` is not empty.
    init(fitting values: Matrix<Double>, rows: [Int]) {
        precondition(!rows.isEmpty, "standardisation needs at least one row")
        let d = values.columnCount, n = Double(rows.count)
        var means = [Double](repeating: 0, count: d)
        for row in rows { for j in 0..<d { means[j] += values[row, j] } }
        for j in 0..<d { means[j] /= n }
        var squares = [Double](repeating: 0, count: d)
        for row in rows {
            for j in 0..<d {
                let deviation = values[row, j] - means[j]
                squares[j] += deviation * deviation
            }
        }
        self.means = means
        scales = (0..<d).map { j in
            let deviation = (squares[j] / n).squareRoot()
            // Rounding in the mean leaves a constant column a deviation near 1e-16·|mean|: that is 0 too.
            return deviation.isFinite && deviation > 1e-12 * abs(means[j]) ? deviation : 1
        }
    }

    /// z = (x − mean) / scale for every row of `values`.
    func apply(_ values: Matrix<Double>) -> Matrix<Double> {
        var z = values
        let d = values.columnCount
        for row in 0..<values.rowCount {
            for j in 0..<d { z[row, j] = (values[row, j] - means[j]) / scales[j] }
        }
        return z
    }

    /// z for the given rows of `values` only.
    func apply(_ values: Matrix<Double>, rows: [Int]) -> Matrix<Double> {
        apply(values.gatheringRows(rows))
    }
}
