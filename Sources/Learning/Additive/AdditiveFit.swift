import LinearAlgebra

/// Which model `TabularTrainer` fits.
public enum ModelShape: String, Sendable, Codable, CaseIterable {
    /// The additive model (splines, and interactions when they help) when it beats the plain logistic regression in
    /// inner cross-validation, else the plain one.
    case auto
    /// The plain logistic regression: standardised numeric columns, one-hot categories.
    case linear
    /// The additive model, whatever inner cross-validation says of the plain one.
    case additive
}

/// The settings of one additive model: splines of numeric columns, their penalty, and interactions.
public struct AdditiveSettings: Sendable, Codable, Equatable {
    /// Interior knots per numeric column's cubic B-spline; nil for linear terms (the plain model).
    public var splineKnots: Int?
    /// μ·n, the second-difference penalty on each spline's coefficients times the number of training rows.
    public var splineStrength: Double
    /// The interactions, each a block of cell indicators.
    public var interactions: [InteractionEncoding]
    /// ρ·n, the ridge on each interaction's cells times the number of training rows.
    public var interactionStrength: Double

    public init(
        splineKnots: Int? = nil, splineStrength: Double = 10, interactions: [InteractionEncoding] = [],
        interactionStrength: Double = 5
    ) {
        self.splineKnots = splineKnots
        self.splineStrength = splineStrength
        self.interactions = interactions
        self.interactionStrength = interactionStrength
    }

    /// The plain logistic regression.
    public static let linear = AdditiveSettings()

    /// A short description: `linear`, `splines (8 knots, μ·n 10)`, `… + 2 interactions (month × day, …)`.
    public var summary: String {
        guard let splineKnots else { return interactions.isEmpty ? "linear" : "linear + \(interactionSummary)" }
        let splines = "splines (\(splineKnots) knots, μ·n \(shortNumber(splineStrength)))"
        return interactions.isEmpty ? splines : "\(splines) + \(interactionSummary)"
    }

    var interactionSummary: String {
        "\(interactions.count) interaction\(interactions.count == 1 ? "" : "s") (\(interactions.map(\.name).joined(separator: ", ")))"
    }
}

/// One candidate scored by inner cross-validation.
public struct ShapeCandidate: Sendable, Codable, Equatable {
    public var settings: AdditiveSettings
    /// Mean held-out log loss over the inner folds.
    public var heldOutLogLoss: Double
    /// Mean held-out ROC AUC over the inner folds.
    public var heldOutAUC: Double
}

/// A screened pair and its held-out gain.
public struct PairGain: Sendable, Codable, Equatable {
    public var first: String
    public var second: String
    /// Mean decrease of held-out log loss over the inner folds.
    public var meanGain: Double
    /// Whether it lowered held-out log loss on every inner fold.
    public var helpsOnEveryFold: Bool
}

/// How the model's shape was chosen: every candidate's inner-CV score, the pairs screened, and the winner.
public struct ShapeSelection: Sendable, Codable, Equatable {
    public var innerFolds: Int
    /// The rows of the stratified sample inner cross-validation ran on, when the data had more than
    /// `AdditiveFit.selectionRows`; nil when it used every row.
    public var sampledRows: Int?
    public var candidates: [ShapeCandidate]
    /// The best screened pairs (at most 10), best first.
    public var pairs: [PairGain]
    public var chosen: AdditiveSettings
}

extension TabularSchema {
    /// The difference penalties of the additive terms, on the mean scale: order 2 on each spline's (and each date's day
    /// and age) coefficients with strength `splineStrength`, a ridge of strength `interactionStrength` on each
    /// interaction's cells. Linear and categorical terms get none (only the global ridge).
    public func penalties(splineStrength: Double, interactionStrength: Double) -> [DifferencePenalty] {
        var penalties: [DifferencePenalty] = []
        var offset = 0
        for column in columns {
            switch column {
            case let .spline(encoding):
                penalties.append(
                    DifferencePenalty(offset: offset, width: encoding.basis.count, order: 2, strength: splineStrength))
            case let .date(encoding):
                let day = offset + 19
                penalties.append(
                    DifferencePenalty(offset: day, width: encoding.dayOfMonthBasis.count, order: 2, strength: splineStrength))
                penalties.append(
                    DifferencePenalty(
                        offset: day + encoding.dayOfMonthBasis.count, width: encoding.ageBasis.count, order: 2,
                        strength: splineStrength))
            case .numeric, .categorical: break
            }
            offset += column.width
        }
        for interaction in interactions ?? [] {
            penalties.append(DifferencePenalty(offset: offset, width: interaction.width, order: 0, strength: interactionStrength))
            offset += interaction.width
        }
        return penalties
    }

    /// Blocks of design columns of which exactly one is 1 on every row, or whose values sum to 1 on every row (a
    /// spline basis, a date's month and weekday, an interaction's cells): adding c to each of their coefficients
    /// adds c to every row's term, so a term can be centred exactly by moving its mean into the intercept.
    var partitionOfUnityBlocks: [Range<Int>] {
        var blocks: [Range<Int>] = []
        var offset = 0
        for column in columns {
            switch column {
            case let .spline(encoding): blocks.append(offset..<(offset + encoding.basis.count))
            case let .date(encoding):
                let day = offset + 19, age = day + encoding.dayOfMonthBasis.count
                blocks += [
                    offset..<(offset + 12), (offset + 12)..<(offset + 19), day..<age, age..<(age + encoding.ageBasis.count),
                ]
            case .numeric, .categorical: break
            }
            offset += column.width
        }
        for interaction in interactions ?? [] {
            blocks.append(offset..<(offset + interaction.width))
            offset += interaction.width
        }
        return blocks
    }
}

/// Fitting one additive model, and choosing among them.
enum AdditiveFit {
    struct Fitted {
        var schema: TabularSchema
        var notes: EncodingNotes
        var design: Matrix<Double>
        var model: LogisticRegression
        var report: SolverReport
        var l2Strength: Double
    }

    /// Encodes `table` under `settings` and fits the penalised logistic regression; spline, date and interaction
    /// terms are then centred on the training rows (their means moved into the intercept, which changes no
    /// prediction).
    static func fit(
        _ table: CSVTable, labels: [Bool], target: String, settings: AdditiveSettings, request: TabularTrainingRequest,
        progress: SolverProgress? = nil
    ) throws -> Fitted {
        let (schema, notes, design) = try encode(table, target: target, settings: settings, request: request)
        var fitted = try fit(
            design: design, schema: schema, labels: labels, settings: settings, request: request, progress: progress)
        fitted.notes = notes
        return fitted
    }

    /// The schema and design of `table` under `settings`.
    static func encode(
        _ table: CSVTable, target: String, settings: AdditiveSettings, request: TabularTrainingRequest
    ) throws -> (TabularSchema, EncodingNotes, Matrix<Double>) {
        var columns = request.columns
        columns.splineKnots = settings.splineKnots
        var (schema, notes) = try TabularEncoder.fit(table: table, excluding: target, options: columns)
        if !settings.interactions.isEmpty { schema.interactions = settings.interactions }
        let (design, _) = try TabularEncoder.encode(table, schema: schema)
        return (schema, notes, design)
    }

    /// Fits an encoded design, from `start` when given (θ: coefficients, then the intercept), and centres the terms.
    static func fit(
        design: Matrix<Double>, schema: TabularSchema, labels: [Bool], settings: AdditiveSettings,
        request: TabularTrainingRequest, start: [Double]? = nil, progress: SolverProgress? = nil
    ) throws -> Fitted {
        let n = Double(design.rowCount)
        let l2 = request.l2Strength ?? 1 / n
        let configuration = LogisticRegressionConfiguration(
            l2Strength: l2, solver: request.solver, options: request.options,
            penalties: schema.penalties(
                splineStrength: settings.splineStrength / n, interactionStrength: settings.interactionStrength / n))
        var (model, report) = try LogisticRegression.fit(
            design: design, labels: labels, configuration: configuration, start: start, progress: progress)
        if schema.isAdditive { centre(&model, blocks: schema.partitionOfUnityBlocks, design: design) }
        return Fitted(
            schema: schema, notes: EncodingNotes(), design: design, model: model, report: report, l2Strength: l2)
    }

    /// Moves each block's mean contribution over the rows of `design` into the intercept: the block's mean is
    /// Σ_j mean(x_j)·w_j over its columns, the column means taken in one pass over the design.
    /// - Complexity: O(n·d).
    static func centre(_ model: inout LogisticRegression, blocks: [Range<Int>], design: Matrix<Double>) {
        let d = design.columnCount, rows = design.rowCount
        guard rows > 0, !blocks.isEmpty else { return }
        var columnSums = [Double](repeating: 0, count: d)
        design.storage.withUnsafeBufferPointer { x in
            columnSums.withUnsafeMutableBufferPointer { sums in
                for i in 0..<rows {
                    let base = i * d
                    for j in 0..<d { sums[j] += x[base + j] }
                }
            }
        }
        for block in blocks {
            var total = 0.0
            for j in block { total += columnSums[j] * model.coefficients[j] }
            let mean = total / Double(rows)
            for j in block { model.coefficients[j] -= mean }
            model.intercept += mean
        }
    }

    /// The smallest data set on which `auto` tries the additive model: below it, the plain one.
    static let minimumRows = 200, minimumClassRows = 30
    static let splineStrengths: [Double] = [1, 10, 100]
    static let knots = 8
    static let innerFolds = 3
    /// How much lower (relatively) a richer model's held-out log loss must be for `auto` to prefer it.
    static let minimumRelativeGain = 0.001
    /// The gradient tolerance of the inner-CV fits.
    static let selectionTolerance = 1e-6
    /// The most interactions `auto` adds.
    static let maximumInteractions = 8
    /// The most rows inner cross-validation uses: above it, a stratified sample of about this many (seeded) chooses the
    /// settings, and only the final fit sees every row. Held-out log loss on 5,000 rows per inner fold separates the
    /// candidates (their differences are 1e-3 and more) far above its noise, and it keeps the richer fit's time within
    /// a small multiple of the plain one's on large files.
    static let selectionRows = 15_000

    /// Chooses the model's settings by inner cross-validation on `table` (nil when the data is too small to try, in
    /// which case the plain model is fitted).
    static func select(_ table: CSVTable, labels: [Bool], target: String, request: TabularTrainingRequest) throws
        -> ShapeSelection?
    {
        let positives = labels.filter { $0 }.count
        guard request.shape != .linear, labels.count >= minimumRows,
            min(positives, labels.count - positives) >= minimumClassRows
        else { return nil }
        var table = table, labels = labels
        var sampledRows: Int?
        if labels.count > selectionRows {
            // One fold of a stratified split into ⌈n / selectionRows⌉ parts: a stratified, seeded sample.
            let parts = (labels.count + selectionRows - 1) / selectionRows
            let sample = try StratifiedKFold(labels: labels, foldCount: parts, seed: request.seed &+ 2).folds[0].testIndices
                .sorted()
            table = table.selectingRows(sample)
            labels = sample.map { labels[$0] }
            sampledRows = sample.count
        }
        let splits = try StratifiedKFold(labels: labels, foldCount: innerFolds, seed: request.seed &+ 1)
        let folds = splits.folds
        // Candidates are compared on held-out log loss to about 1e-4; a gradient of 1e-6 is far tighter than that.
        var request = request
        request.options.gradientTolerance = max(request.options.gradientTolerance, selectionTolerance)
        struct FoldData {
            var train: CSVTable, test: CSVTable, trainLabels: [Bool], testLabels: [Bool]
        }
        let data = folds.map { fold in
            FoldData(
                train: table.selectingRows(fold.trainIndices), test: table.selectingRows(fold.testIndices),
                trainLabels: fold.trainIndices.map { labels[$0] }, testLabels: fold.testIndices.map { labels[$0] })
        }
        /// Held-out log loss and AUC of a fitted fold model.
        func heldOut(_ fitted: Fitted, _ fold: FoldData) throws -> (Double, Double) {
            let (testDesign, _) = try TabularEncoder.encode(fold.test, schema: fitted.schema)
            let p = try fitted.model.probabilities(for: testDesign)
            return (
                try Metrics.logLoss(labels: fold.testLabels, probabilities: p),
                try Metrics.rocAUC(labels: fold.testLabels, scores: p)
            )
        }
        func candidate(_ settings: AdditiveSettings, _ scores: [(Double, Double)]) -> ShapeCandidate {
            ShapeCandidate(
                settings: settings, heldOutLogLoss: scores.map(\.0).reduce(0, +) / Double(scores.count),
                heldOutAUC: scores.map(\.1).reduce(0, +) / Double(scores.count))
        }
        var candidates: [ShapeCandidate] = []
        if request.shape == .auto {
            candidates.append(
                candidate(
                    .linear,
                    try data.map { fold in
                        try heldOut(
                            fit(fold.train, labels: fold.trainLabels, target: target, settings: .linear, request: request), fold)
                    }))
        }
        // Splines: one design a fold, the strengths from the smoothest down, each fit starting from the last.
        let knots = request.splineKnots ?? knots
        let strengths = request.splineStrength.map { [$0] } ?? splineStrengths.sorted(by: >)
        var splineScores = [[(Double, Double)]](repeating: [], count: strengths.count)
        var splineFits = [[Fitted]](repeating: [], count: strengths.count)
        for fold in data {
            let settings = AdditiveSettings(splineKnots: knots)
            let (schema, _, design) = try encode(fold.train, target: target, settings: settings, request: request)
            var start: [Double]?
            for (index, strength) in strengths.enumerated() {
                var current = settings
                current.splineStrength = strength
                let fitted = try fit(
                    design: design, schema: schema, labels: fold.trainLabels, settings: current, request: request, start: start)
                start = fitted.model.coefficients + [fitted.model.intercept]
                splineScores[index].append(try heldOut(fitted, fold))
                splineFits[index].append(fitted)
            }
        }
        var bestIndex = 0
        let splineCandidates = strengths.indices.map { index in
            candidate(AdditiveSettings(splineKnots: knots, splineStrength: strengths[index]), splineScores[index])
        }
        for index in splineCandidates.indices
        where splineCandidates[index].heldOutLogLoss < splineCandidates[bestIndex].heldOutLogLoss {
            bestIndex = index
        }
        candidates += splineCandidates
        let bestSettings = AdditiveSettings(splineKnots: knots, splineStrength: strengths[bestIndex])
        var pairs: [PairGain] = []
        if request.interactions != 0 {
            let (schema, _) = try TabularEncoder.fit(table: table, excluding: target, options: request.columns)
            let sides = schema.columns.compactMap { InteractionScreening.side(for: $0, in: table) }
            let levels = sides.map { InteractionScreening.levels($0, in: table) }
            let ridge = bestSettings.interactionStrength
            var perFold: [[Double]] = []
            for (index, fold) in folds.enumerated() {
                let fitted = splineFits[bestIndex][index]
                let (all, _) = try TabularEncoder.encode(table, schema: fitted.schema)
                perFold.append(
                    InteractionScreening.gains(
                        sides: sides, levels: levels, margins: try fitted.model.margins(for: all), labels: labels,
                        train: fold.trainIndices, test: fold.testIndices, ridge: ridge / Double(fold.trainIndices.count)))
            }
            let indexPairs = InteractionScreening.pairs(count: sides.count)
            var ranked: [(PairGain, InteractionEncoding)] = indexPairs.indices.map { k in
                let gains = perFold.map { $0[k] }
                let (a, b) = indexPairs[k]
                return (
                    PairGain(
                        first: sides[a].name, second: sides[b].name, meanGain: gains.reduce(0, +) / Double(gains.count),
                        helpsOnEveryFold: gains.allSatisfy { $0 > 0 }),
                    InteractionEncoding(first: sides[a], second: sides[b])
                )
            }
            ranked.sort { $0.0.meanGain > $1.0.meanGain }
            pairs = ranked.prefix(10).map(\.0)
            let chosen: [InteractionEncoding]
            if let count = request.interactions {
                chosen = ranked.prefix(count).filter { $0.0.meanGain > 0 }.map(\.1)
            } else {
                chosen = ranked.filter { $0.0.helpsOnEveryFold }.prefix(maximumInteractions).map(\.1)
            }
            if !chosen.isEmpty {
                var settings = bestSettings
                settings.interactions = chosen
                var scores: [(Double, Double)] = []
                for (index, fold) in data.enumerated() {
                    // Start from the splines' fit: its coefficients, zeros for the cells (appended last), its intercept.
                    let previous = splineFits[bestIndex][index].model
                    let (schema, _, design) = try encode(fold.train, target: target, settings: settings, request: request)
                    let start =
                        previous.coefficients
                        + [Double](repeating: 0, count: design.columnCount - previous.coefficients.count) + [previous.intercept]
                    scores.append(
                        try heldOut(
                            fit(
                                design: design, schema: schema, labels: fold.trainLabels, settings: settings, request: request,
                                start: start), fold))
                }
                candidates.append(candidate(settings, scores))
            }
        }
        var winner = candidates.min { $0.heldOutLogLoss < $1.heldOutLogLoss }!
        // A richer model must win by more than noise: 0.1% of the plain model's held-out log loss.
        if let plain = candidates.first(where: { $0.settings == .linear }),
            winner.heldOutLogLoss > plain.heldOutLogLoss * (1 - minimumRelativeGain)
        {
            winner = plain
        }
        return ShapeSelection(
            innerFolds: innerFolds, sampledRows: sampledRows, candidates: candidates, pairs: pairs, chosen: winner.settings)
    }
}
