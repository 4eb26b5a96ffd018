import Learning
import LinearAlgebra

/// Everything that defines a churn training run besides the data.
public struct ChurnTrainingRequest: Sendable {
    /// λ; nil means 1/n for n training rows (scikit-learn's C = 1), in each fold as in the final fit.
    public var l2Strength: Double?
    /// K for forward-chaining cross-validation before the final fit; nil for none.
    public var crossValidationFolds: Int?
    public var solver: SolverKind
    public var options: SolverOptions
    /// FNV-1a 64 of the activity file's bytes, recorded in the model.
    public var dataChecksum: String
    /// Whether the coefficients of the activity figures and their trends are kept ≤ 0: more engagement never raises
    /// the risk of leaving (`ChurnTrainer.fit`).
    public var engagementLowersRisk = true

    public init(
        l2Strength: Double? = nil, crossValidationFolds: Int? = 5, solver: SolverKind = .auto,
        options: SolverOptions = SolverOptions(), dataChecksum: String = ""
    ) {
        self.l2Strength = l2Strength
        self.crossValidationFolds = crossValidationFolds
        self.solver = solver
        self.options = options
        self.dataChecksum = dataChecksum
    }

    /// Checks every hyperparameter before any work, quoting the bad value.
    public func validate() throws(LearningError) {
        if let l2Strength, !(l2Strength.isFinite && l2Strength >= 0) {
            throw .invalidParameter(name: "l2Strength", value: "\(l2Strength)", requirement: "must be finite and >= 0")
        }
        if let folds = crossValidationFolds, folds < 2 {
            throw .invalidParameter(name: "crossValidationFolds", value: "\(folds)", requirement: "must be >= 2")
        }
        try options.validate()
    }
}

/// One forward-chaining split: train on every row before the test block, test on the block.
public struct ForwardChainingFold: Sendable, Equatable {
    /// Rows with a period in blocks 0…i, ascending.
    public var trainIndices: [Int]
    /// Rows with a period in block i + 1, ascending.
    public var testIndices: [Int]
    /// The first and last distinct period of blocks 0…i.
    public var trainPeriods: ClosedRange<Int>
    /// The first and last distinct period of block i + 1.
    public var testPeriods: ClosedRange<Int>
}

/// Fits a churn model: optional forward-chaining cross-validation, then a fit on every row.
///
/// The fit minimises `(1/n)·Σᵢ log(1 + exp(−ỹᵢ·(zᵢ·w + b))) + (λ/2)·‖w‖²` over the n rows, z the features
/// standardised with the training rows' means and population standard deviations, b unpenalised
/// (`LogisticRegression`).
public enum ChurnTrainer {
    /// Trains on every row of `features`.
    /// - Throws: `LearningError.invalidParameter` for a bad hyperparameter (before any work) or too few distinct
    ///   periods for K folds, `RecordError.emptySet` when there are no rows, `LearningError.singleClass` when every
    ///   row has the same label, and the solver's errors.
    public static func train(
        _ features: ChurnFeatureTable, request: ChurnTrainingRequest = ChurnTrainingRequest(),
        progress: ((TrainingStage) -> Void)? = nil
    ) throws -> ChurnModel {
        try request.validate()
        guard features.rowCount > 0 else { throw RecordError.emptySet(file: features.source, what: "activity rows") }
        let positives = features.labels.count { $0 }
        if positives == 0 || positives == features.rowCount {
            throw LearningError.singleClass(label: positives > 0)
        }
        var crossValidation: ChurnCrossValidation?
        if let foldCount = request.crossValidationFolds {
            let splits = try forwardChainingFolds(periods: features.keys.map(\.period), foldCount: foldCount)
            var folds: [ChurnCrossValidation.Fold] = []
            for (index, split) in splits.enumerated() {
                progress?(.fold(index: index + 1, of: splits.count))
                folds.append(try evaluate(split, features, request))
            }
            crossValidation = ChurnCrossValidation(foldCount: foldCount, folds: folds)
        }
        progress?(.finalFit)
        let all = Array(0..<features.rowCount)
        let (model, standardisation, report) = try fit(
            features, rows: all, request: request,
            progress: progress.map { callback in { callback(.iteration($0, objective: $1, gradientNorm: $2)) } })
        let probabilities = try model.probabilities(for: standardisation.apply(features.values))
        let trainingReport = try Metrics.report(labels: features.labels, probabilities: probabilities)
        let metadata = TrainingMetadata(
            source: features.source, rowCount: features.rowCount, positiveCount: positives,
            l2Strength: request.l2Strength ?? 1 / Double(features.rowCount), report: report,
            dataChecksum: request.dataChecksum)
        return ChurnModel(
            usesPartnerAttributes: features.usesPartnerAttributes, means: standardisation.means,
            scales: standardisation.scales, model: model, training: metadata,
            metrics: ChurnMetrics(training: trainingReport, crossValidation: crossValidation),
            signConstrained: request.engagementLowersRisk ? constrainedFeatures(features.featureNames) : nil)
    }

    /// Forward-chaining splits by period: the distinct periods, sorted, are cut into K + 1 contiguous blocks
    /// (sizes differing by at most one period, the earlier blocks the smaller); fold i trains on the rows of
    /// blocks 0…i and tests on those of block i + 1. So no fold trains on a period at or after its test block's
    /// first period.
    /// - Parameter periods: each row's period.
    /// - Throws: `LearningError.invalidParameter` unless 2 ≤ K ≤ (distinct periods − 1).
    /// - Complexity: O(n log n + n·K).
    public static func forwardChainingFolds(periods: [Int], foldCount: Int) throws(LearningError) -> [ForwardChainingFold] {
        let distinct = Array(Set(periods)).sorted()
        guard foldCount >= 2 else {
            throw .invalidParameter(name: "crossValidationFolds", value: "\(foldCount)", requirement: "must be >= 2")
        }
        guard foldCount + 1 <= distinct.count else {
            throw .invalidParameter(
                name: "crossValidationFolds", value: "\(foldCount)",
                requirement:
                    "needs K + 1 blocks of distinct periods, and the data has \(distinct.count) distinct period\(distinct.count == 1 ? "" : "s") (use K <= \(max(distinct.count - 1, 0)))"
            )
        }
        let blockCount = foldCount + 1
        // Block b holds distinct[starts[b] ..< starts[b + 1]].
        let starts = (0...blockCount).map { b in (b * distinct.count) / blockCount }
        var blockOfPeriod: [Int: Int] = [:]
        for b in 0..<blockCount {
            for position in starts[b]..<starts[b + 1] { blockOfPeriod[distinct[position]] = b }
        }
        let blocks = periods.map { blockOfPeriod[$0]! }
        return (0..<foldCount).map { i in
            ForwardChainingFold(
                trainIndices: blocks.indices.filter { blocks[$0] <= i },
                testIndices: blocks.indices.filter { blocks[$0] == i + 1 },
                trainPeriods: distinct[0]...distinct[starts[i + 1] - 1],
                testPeriods: distinct[starts[i + 1]]...distinct[starts[i + 2] - 1])
        }
    }

    /// Fits standardisation and model on `split`'s training rows and scores its test rows; skipped (with the
    /// reason) when either part holds a single class.
    static func evaluate(
        _ split: ForwardChainingFold, _ features: ChurnFeatureTable, _ request: ChurnTrainingRequest
    ) throws -> ChurnCrossValidation.Fold {
        func singleClass(_ rows: [Int], _ part: String) -> String? {
            let positives = rows.count { features.labels[$0] }
            if positives == 0 { return "every \(part) row is 'not churned'" }
            if positives == rows.count { return "every \(part) row is 'churned'" }
            return nil
        }
        var fold = ChurnCrossValidation.Fold(
            trainPeriods: split.trainPeriods, testPeriods: split.testPeriods, trainRowCount: split.trainIndices.count,
            testRowCount: split.testIndices.count, report: nil, skipped: nil)
        if let reason = singleClass(split.trainIndices, "training") ?? singleClass(split.testIndices, "test") {
            fold.skipped = reason
            return fold
        }
        let (model, standardisation, _) = try fit(features, rows: split.trainIndices, request: request, progress: nil)
        let probabilities = try model.probabilities(for: standardisation.apply(features.values, rows: split.testIndices))
        fold.report = try Metrics.report(labels: split.testIndices.map { features.labels[$0] }, probabilities: probabilities)
        return fold
    }

    /// The features `engagementLowersRisk` keeps at or below 0: the activity levels and their trends, in `names` order.
    public static func constrainedFeatures(_ names: [String]) -> [String] {
        let engagement = Set(ChurnFeatures.figureNames + ChurnFeatures.figureNames.map { $0 + "_trend" })
        return names.filter { engagement.contains($0) }
    }

    /// Standardises on `rows` and fits the logistic regression to them.
    ///
    /// With `engagementLowersRisk`, the coefficients of the activity figures and their trends (`ChurnFeatures.figureNames`
    /// and their `_trend`s) are constrained to be ≤ 0, by an active set: fit on the free columns; while a constrained
    /// coefficient is positive, fix the most positive one at 0 and refit; then free every fixed one whose gradient
    /// ∂f/∂wⱼ at the solution is positive (lowering it would lower f), and repeat until neither happens. The result
    /// satisfies the KKT conditions of the constrained problem, which is convex, so it is its minimum.
    static func fit(
        _ features: ChurnFeatureTable, rows: [Int], request: ChurnTrainingRequest, progress: SolverProgress?
    ) throws(LearningError) -> (model: LogisticRegression, standardisation: Standardisation, report: SolverReport) {
        let standardisation = Standardisation(fitting: features.values, rows: rows)
        let design = standardisation.apply(features.values, rows: rows)
        let labels = rows.map { features.labels[$0] }
        let configuration = LogisticRegressionConfiguration(
            l2Strength: request.l2Strength ?? 1 / Double(rows.count), solver: request.solver, options: request.options)
        let engagement = Set(constrainedFeatures(features.featureNames))
        let constrained =
            request.engagementLowersRisk
            ? features.featureNames.indices.filter { engagement.contains(features.featureNames[$0]) } : []
        let d = design.columnCount, n = design.rowCount
        var fixed = Set<Int>()
        var result: (model: LogisticRegression, report: SolverReport)
        var rounds = 0
        while true {
            rounds += 1
            let free = (0..<d).filter { !fixed.contains($0) }
            var sub = Matrix<Double>(rowCount: n, columnCount: free.count)
            for i in 0..<n { for (k, j) in free.enumerated() { sub.storage[i * free.count + k] = design.storage[i * d + j] } }
            let (partial, report) = try LogisticRegression.fit(
                design: sub, labels: labels, configuration: configuration, progress: fixed.isEmpty ? progress : nil)
            var coefficients = [Double](repeating: 0, count: d)
            for (k, j) in free.enumerated() { coefficients[j] = partial.coefficients[k] }
            result = (LogisticRegression(coefficients: coefficients, intercept: partial.intercept), report)
            if constrained.isEmpty { break }
            guard rounds <= 4 * d else {
                throw .numerical("the sign-constrained churn fit did not settle after \(rounds) rounds of its active set")
            }
            if let worst = constrained.filter({ coefficients[$0] > 0 }).max(by: { coefficients[$0] < coefficients[$1] }) {
                fixed.insert(worst)
                continue
            }
            // Free the fixed coefficients whose gradient says the objective falls as they go below 0.
            let p = try result.model.probabilities(for: design)
            var release: [Int] = []
            for j in fixed {
                var g = 0.0
                for i in 0..<n { g += (p[i] - (labels[i] ? 1 : 0)) * design.storage[i * d + j] }
                if g / Double(n) > 1e-9 { release.append(j) }
            }
            if release.isEmpty { break }
            for j in release { fixed.remove(j) }
        }
        return (result.model, standardisation, result.report)
    }
}
