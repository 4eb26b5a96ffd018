import Foundation
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
    /// The Platt recalibration applied to the final fit's margins, when it lowered cross-fitted held-out log loss;
    /// nil when the margins were kept as fitted.
    public var recalibration: Recalibration?
    /// Calibration of the chosen candidate's out-of-fold probabilities over the inner folds (every row of the sample
    /// once, predicted by the fold model that did not see it), through the recalibration when one is kept, each fold's
    /// mapped by a slope and offset fitted on the other folds' margins (`Recalibration.heldOutCalibration`); ten
    /// equal-width bins. Nil in model files written before it was recorded.
    public var heldOutCalibration: CalibrationReport?

    public init(
        innerFolds: Int, sampledRows: Int?, candidates: [ShapeCandidate], pairs: [PairGain], chosen: AdditiveSettings,
        recalibration: Recalibration?, heldOutCalibration: CalibrationReport? = nil
    ) {
        self.innerFolds = innerFolds
        self.sampledRows = sampledRows
        self.candidates = candidates
        self.pairs = pairs
        self.chosen = chosen
        self.recalibration = recalibration
        self.heldOutCalibration = heldOutCalibration
    }

    private enum CodingKeys: String, CodingKey {
        case innerFolds, sampledRows, candidates, pairs, chosen, recalibration, heldOutCalibration
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        innerFolds = try container.decode(Int.self, forKey: .innerFolds)
        sampledRows = try container.decodeIfPresent(Int.self, forKey: .sampledRows)
        candidates = try container.decode([ShapeCandidate].self, forKey: .candidates)
        pairs = try container.decode([PairGain].self, forKey: .pairs)
        chosen = try container.decode(AdditiveSettings.self, forKey: .chosen)
        recalibration = try container.decodeIfPresent(Recalibration.self, forKey: .recalibration)
        // Absent from model files written before held-out calibration was recorded: they still load.
        heldOutCalibration = try container.decodeIfPresent(CalibrationReport.self, forKey: .heldOutCalibration)
    }
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
    struct Fitted: Sendable {
        var schema: TabularSchema
        var notes: EncodingNotes
        /// The rows the model was fitted on: dense, or (the final additive fit) their non-zeros only.
        var rows: FittedRows
        var model: LogisticRegression
        var report: SolverReport
        var l2Strength: Double

        /// The dense training design.
        /// - Precondition: the fit was on a dense design (every inner-fold fit is).
        var design: Matrix<Double> {
            guard case let .dense(design) = rows else { preconditionFailure("a sparse fit has no dense design") }
            return design
        }

        /// The model's probabilities on its training rows, the same Doubles whichever form the rows take.
        func trainingProbabilities() throws -> [Double] {
            switch rows {
            case let .dense(design): return try model.probabilities(for: design)
            case let .sparse(sparse): return model.margins(for: sparse).map { Kernels.sigmoid($0) }
            }
        }
    }

    enum FittedRows {
        case dense(Matrix<Double>)
        case sparse(SparseRows)
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

    /// The L2 strength (the request's, else 1/n) and the solver configuration with the spline and interaction
    /// penalties scaled by the row count, as both the dense and the sparse fit use them.
    private static func solverConfiguration(
        rowCount: Int, schema: TabularSchema, settings: AdditiveSettings, request: TabularTrainingRequest
    ) -> (l2: Double, configuration: LogisticRegressionConfiguration) {
        let n = Double(rowCount)
        let l2 = request.l2Strength ?? 1 / n
        let configuration = LogisticRegressionConfiguration(
            l2Strength: l2, solver: request.solver, options: request.options,
            penalties: schema.penalties(
                splineStrength: settings.splineStrength / n, interactionStrength: settings.interactionStrength / n))
        return (l2, configuration)
    }

    /// Fits an encoded design, from `start` when given (θ: coefficients, then the intercept), and centres the terms.
    static func fit(
        design: Matrix<Double>, schema: TabularSchema, labels: [Bool], settings: AdditiveSettings,
        request: TabularTrainingRequest, start: [Double]? = nil, progress: SolverProgress? = nil
    ) throws -> Fitted {
        let (l2, configuration) = solverConfiguration(
            rowCount: design.rowCount, schema: schema, settings: settings, request: request)
        var (model, report) = try LogisticRegression.fit(
            design: design, labels: labels, configuration: configuration, start: start, progress: progress)
        if schema.isAdditive { centre(&model, blocks: schema.partitionOfUnityBlocks, design: design) }
        return Fitted(
            schema: schema, notes: EncodingNotes(), rows: .dense(design), model: model, report: report, l2Strength: l2)
    }

    /// As `fit(design:…)` for a design given by its non-zeros (`columnCount` columns), never built dense; the same
    /// model, bit for bit, as the dense design of those rows gives when its sweep is sparse.
    static func fit(
        sparseRows: SparseRows, columnCount: Int, schema: TabularSchema, labels: [Bool], settings: AdditiveSettings,
        request: TabularTrainingRequest, start: [Double]?, progress: SolverProgress?
    ) throws -> Fitted {
        let (l2, configuration) = solverConfiguration(
            rowCount: sparseRows.rowCount, schema: schema, settings: settings, request: request)
        var (model, report) = try LogisticRegression.fit(
            sparseRows: sparseRows, columnCount: columnCount, labels: labels, configuration: configuration, start: start,
            progress: progress)
        if schema.isAdditive {
            var columnSums = [Double](repeating: 0, count: columnCount)
            for k in sparseRows.values.indices { columnSums[Int(sparseRows.columns[k])] += sparseRows.values[k] }
            centre(&model, blocks: schema.partitionOfUnityBlocks, columnSums: columnSums, rowCount: sparseRows.rowCount)
        }
        return Fitted(
            schema: schema, notes: EncodingNotes(), rows: .sparse(sparseRows), model: model, report: report,
            l2Strength: l2)
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
        centre(&model, blocks: blocks, columnSums: columnSums, rowCount: rows)
    }

    /// `centre(_:blocks:design:)` given the design's column sums over its `rowCount` rows.
    static func centre(_ model: inout LogisticRegression, blocks: [Range<Int>], columnSums: [Double], rowCount: Int) {
        guard rowCount > 0 else { return }
        for block in blocks {
            var total = 0.0
            for j in block { total += columnSums[j] * model.coefficients[j] }
            let mean = total / Double(rowCount)
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

    /// What inner cross-validation chose, and what the final fit reuses: the splines' schema fitted on every row of
    /// the table (label-free: quantile knots, categories) with its design, and a starting point for the winner.
    struct Choice {
        var selection: ShapeSelection
        var splineSchema: TabularSchema
        var splineNotes: EncodingNotes
        /// Every row of the table under `splineSchema`.
        var splineDesign: Matrix<Double>
        /// The winner's coefficients and intercept averaged over the inner folds (same columns as the final design
        /// when the winner is additive); nil for the plain model.
        var start: [Double]?
    }

    /// Chooses the settings (when `request.shape` asks) and fits the final model on every row of `table`; the
    /// recalibration, when inner cross-validation kept one, is applied to the fitted model.
    static func train(
        _ table: CSVTable, labels: [Bool], target: String, request: TabularTrainingRequest,
        progress: SolverProgress? = nil
    ) throws -> (Fitted, ShapeSelection?) {
        guard let choice = try select(table, labels: labels, target: target, request: request) else {
            return (try fit(table, labels: labels, target: target, settings: .linear, request: request, progress: progress), nil)
        }
        let settings = choice.selection.chosen
        var fitted: Fitted
        if settings.splineKnots == nil {
            fitted = try fit(table, labels: labels, target: target, settings: settings, request: request, progress: progress)
        } else {
            var schema = choice.splineSchema
            var cells: [[Int]] = []
            if !settings.interactions.isEmpty {
                schema.interactions = settings.interactions
                cells = settings.interactions.map { interaction in
                    let first = InteractionScreening.levels(interaction.first, in: table)
                    let second = InteractionScreening.levels(interaction.second, in: table)
                    let secondCount = interaction.second.levelCount
                    return zip(first, second).map { $0 * secondCount + $1 }
                }
            }
            fitted = try fit(
                splines: choice.splineDesign, cells: cells, schema: schema, labels: labels, settings: settings,
                request: request, start: choice.start, progress: progress)
            fitted.notes = choice.splineNotes
        }
        if let recalibration = choice.selection.recalibration { fitted.model = recalibration.applied(to: fitted.model) }
        return (fitted, choice.selection)
    }

    /// Chooses the model's settings by inner cross-validation on `table` (nil when the data is too small to try, in
    /// which case the plain model is fitted).
    ///
    /// The splines' encoding is fitted once on every row of `table` (it uses no labels: knots at quantiles of the
    /// values, categories seen) and encoded once; the inner folds take their rows from that design, so no fold reads
    /// the text again, and the final fit reuses it, starting from the folds' mean solution.
    static func select(_ table: CSVTable, labels: [Bool], target: String, request: TabularTrainingRequest) throws
        -> Choice?
    {
        let positives = labels.filter { $0 }.count
        guard request.shape != .linear, labels.count >= minimumRows,
            min(positives, labels.count - positives) >= minimumClassRows
        else { return nil }
        let knots = request.splineKnots ?? knots
        // The rows inner cross-validation sees: all, or a stratified sample.
        var sample = Array(0..<labels.count)
        var sampledRows: Int?
        if labels.count > selectionRows {
            // One fold of a stratified split into ⌈n / selectionRows⌉ parts: a stratified, seeded sample.
            let parts = (labels.count + selectionRows - 1) / selectionRows
            sample = try StratifiedKFold(labels: labels, foldCount: parts, seed: request.seed &+ 2).folds[0].testIndices.sorted()
            sampledRows = sample.count
        }
        let sampleTable = sampledRows == nil ? table : table.selectingRows(sample)
        let sampleLabels = sample.map { labels[$0] }
        let splits = try StratifiedKFold(labels: sampleLabels, foldCount: innerFolds, seed: request.seed &+ 1)
        let folds = splits.folds
        // Candidates are compared on held-out log loss to about 1e-4; a gradient of 1e-6 is far tighter than that.
        var selectionRequest = request
        selectionRequest.options.gradientTolerance = max(request.options.gradientTolerance, selectionTolerance)
        let request = selectionRequest
        let trainLabels = folds.map { $0.trainIndices.map { sampleLabels[$0] } }
        let testLabels = folds.map { $0.testIndices.map { sampleLabels[$0] } }
        /// Held-out log loss, AUC and margins of a fitted fold model on the fold's test design.
        struct Score: Sendable { var logLoss: Double, auc: Double, margins: [Double] }
        /// One fold's fit and its held-out score.
        struct FoldFit: Sendable { var fitted: Fitted, score: Score }
        /// One fold's test design and, a spline strength, its fit and held-out score.
        struct SplineFold: Sendable { var testDesign: Matrix<Double>, fits: [Fitted], scores: [Score] }
        @Sendable func heldOut(_ fitted: Fitted, fold: Int, testDesign: Matrix<Double>) throws -> Score {
            let margins = try fitted.model.margins(for: testDesign)
            let p = margins.map { Kernels.sigmoid($0) }
            return Score(
                logLoss: try Metrics.logLoss(labels: testLabels[fold], probabilities: p),
                auc: try Metrics.rocAUC(labels: testLabels[fold], scores: p), margins: margins)
        }
        func candidate(_ settings: AdditiveSettings, _ scores: [Score]) -> ShapeCandidate {
            ShapeCandidate(
                settings: settings, heldOutLogLoss: scores.map(\.logLoss).reduce(0, +) / Double(scores.count),
                heldOutAUC: scores.map(\.auc).reduce(0, +) / Double(scores.count))
        }
        var candidates: [ShapeCandidate] = []
        /// Each candidate's held-out margins a fold, and its fitted θ a fold, in the order of `candidates`.
        var candidateMargins: [[[Double]]] = []
        var candidateSolutions: [[[Double]]] = []
        @Sendable func solution(_ fitted: Fitted) -> [Double] { fitted.model.coefficients + [fitted.model.intercept] }
        // The plain model's folds: one encoding of the sample (fitted on it, label-free), its rows sliced per fold;
        // every fold has the same columns, so the first fold's solution starts the others.
        @Sendable func plainFolds() throws -> [FoldFit] {
            let (linearSchema, _, linearDesign) = try encode(sampleTable, target: target, settings: .linear, request: request)
            return try foldsInTurn(folds.count) { (index: Int, first: FoldFit?) throws -> FoldFit in
                let fold = folds[index]
                let fitted = try fit(
                    design: rows(linearDesign, fold.trainIndices), schema: linearSchema, labels: trainLabels[index],
                    settings: .linear, request: request, start: first.map { solution($0.fitted) })
                return FoldFit(
                    fitted: fitted, score: try heldOut(fitted, fold: index, testDesign: rows(linearDesign, fold.testIndices)))
            }
        }
        // The splines' encoding of every row (the longest serial step) and, beside it on another core, the plain
        // model's folds, which never read it.
        let shape = request.shape
        let (splineEncoding, plain) = try alongside(
            { try encode(table, target: target, settings: AdditiveSettings(splineKnots: knots), request: request) },
            { shape == .auto ? try plainFolds() : nil })
        let (splineSchema, splineNotes, splineDesign) = splineEncoding
        if let plain {
            let scores = plain.map(\.score), solutions = plain.map { solution($0.fitted) }
            candidates.append(candidate(.linear, scores))
            candidateMargins.append(scores.map(\.margins))
            candidateSolutions.append(solutions)
        }
        // Splines: the strengths from the smoothest down, each fit starting from the last; after the first fold, the
        // smoothest starts from the first fold's (the folds share the splines' columns).
        let strengths = request.splineStrength.map { [$0] } ?? splineStrengths.sorted(by: >)
        let sampleRows = sample
        // Per fold: its test design and, a strength, the fit and its held-out score; the first fold's smoothest
        // solution starts the other folds' smoothest.
        let splineResults = try foldsInTurn(folds.count) { (foldIndex: Int, first: SplineFold?) throws -> SplineFold in
            let fold = folds[foldIndex]
            let design = rows(splineDesign, fold.trainIndices.map { sampleRows[$0] })
            let testDesign = rows(splineDesign, fold.testIndices.map { sampleRows[$0] })
            var start = first.map { solution($0.fits[0]) }
            var fits: [Fitted] = [], scores: [Score] = []
            for strength in strengths {
                let settings = AdditiveSettings(splineKnots: knots, splineStrength: strength)
                let fitted = try fit(
                    design: design, schema: splineSchema, labels: trainLabels[foldIndex], settings: settings,
                    request: request, start: start)
                start = solution(fitted)
                scores.append(try heldOut(fitted, fold: foldIndex, testDesign: testDesign))
                fits.append(fitted)
            }
            return SplineFold(testDesign: testDesign, fits: fits, scores: scores)
        }
        let testDesigns = splineResults.map(\.testDesign)
        let splineScores = strengths.indices.map { index in splineResults.map { $0.scores[index] } }
        let splineFits = strengths.indices.map { index in splineResults.map { $0.fits[index] } }
        var bestIndex = 0
        let splineCandidates = strengths.indices.map { index in
            candidate(AdditiveSettings(splineKnots: knots, splineStrength: strengths[index]), splineScores[index])
        }
        for index in splineCandidates.indices
        where splineCandidates[index].heldOutLogLoss < splineCandidates[bestIndex].heldOutLogLoss {
            bestIndex = index
        }
        candidates += splineCandidates
        candidateMargins += splineScores.map { $0.map(\.margins) }
        candidateSolutions += splineFits.map { $0.map(solution) }
        let bestSettings = AdditiveSettings(splineKnots: knots, splineStrength: strengths[bestIndex])
        var pairs: [PairGain] = []
        if request.interactions != 0 {
            // Each column's side and each row's level on it, the columns split across the cores.
            let columns = splineSchema.columns, cores = ProcessInfo.processInfo.activeProcessorCount
            let sides = ParallelRows.map(count: columns.count, workers: cores) { index in
                InteractionScreening.side(for: columns[index], in: sampleTable)
            }.compactMap { $0 }
            let levels = ParallelRows.map(count: sides.count, workers: cores) { index in
                InteractionScreening.levels(sides[index], in: sampleTable)
            }
            let ridge = bestSettings.interactionStrength
            var perFold: [[Double]] = []
            for index in folds.indices {
                let fold = folds[index]
                // Every sample row's margin under the fold's splines: its training rows from the fold's design, its
                // test rows from the held-out scores.
                let fitted = splineFits[bestIndex][index]
                var margins = [Double](repeating: 0, count: sampleLabels.count)
                for (row, margin) in zip(fold.trainIndices, try fitted.model.margins(for: fitted.design)) {
                    margins[row] = margin
                }
                for (row, margin) in zip(fold.testIndices, splineScores[bestIndex][index].margins) { margins[row] = margin }
                perFold.append(
                    InteractionScreening.gains(
                        sides: sides, levels: levels, margins: margins, labels: sampleLabels,
                        train: fold.trainIndices, test: fold.testIndices, ridge: ridge / Double(fold.trainIndices.count)))
            }
            let indexPairs = InteractionScreening.pairs(count: sides.count)
            var ranked: [(gain: PairGain, encoding: InteractionEncoding, pair: (Int, Int))] = indexPairs.indices.map { k in
                let gains = perFold.map { $0[k] }
                let (a, b) = indexPairs[k]
                return (
                    PairGain(
                        first: sides[a].name, second: sides[b].name, meanGain: gains.reduce(0, +) / Double(gains.count),
                        helpsOnEveryFold: gains.allSatisfy { $0 > 0 }),
                    InteractionEncoding(first: sides[a], second: sides[b]), (a, b)
                )
            }
            ranked.sort { $0.gain.meanGain > $1.gain.meanGain }
            pairs = ranked.prefix(10).map(\.gain)
            let chosen =
                request.interactions.map { count in Array(ranked.prefix(count).filter { $0.gain.meanGain > 0 }) }
                ?? Array(ranked.filter { $0.gain.helpsOnEveryFold }.prefix(maximumInteractions))
            if !chosen.isEmpty {
                var settings = bestSettings
                settings.interactions = chosen.map(\.encoding)
                var schema = splineSchema
                schema.interactions = settings.interactions
                // Each sample row's cell of each chosen pair, from the screening's levels (no text read again).
                let cells = chosen.map { entry in
                    let secondCount = sides[entry.pair.1].levelCount
                    return zip(levels[entry.pair.0], levels[entry.pair.1]).map { $0 * secondCount + $1 }
                }
                let bestFits = splineFits[bestIndex], chosenSettings = settings, chosenSchema = schema
                let results = try foldsInTurn(folds.count, chained: false) { (index: Int, _: FoldFit?) throws -> FoldFit in
                    let fold = folds[index]
                    // Start from the splines' fit: its coefficients, zeros for the cells (appended last), its intercept.
                    let splines = bestFits[index]
                    let testDesign = appendingCells(
                        testDesigns[index], cells: cells, rows: fold.testIndices, settings: chosenSettings)
                    let cellColumns = chosenSettings.interactions.map(\.width).reduce(0, +)
                    let start =
                        splines.model.coefficients + [Double](repeating: 0, count: cellColumns)
                        + [splines.model.intercept]
                    let fitted = try fit(
                        splines: splines.design, cells: cells.map { cell in fold.trainIndices.map { cell[$0] } },
                        schema: chosenSchema, labels: trainLabels[index], settings: chosenSettings, request: request,
                        start: start, progress: nil)
                    return FoldFit(fitted: fitted, score: try heldOut(fitted, fold: index, testDesign: testDesign))
                }
                let scores = results.map(\.score), solutions = results.map { solution($0.fitted) }
                candidates.append(candidate(settings, scores))
                candidateMargins.append(scores.map(\.margins))
                candidateSolutions.append(solutions)
            }
        }
        var winnerIndex = candidates.indices.min { candidates[$0].heldOutLogLoss < candidates[$1].heldOutLogLoss }!
        // A richer model must win by more than noise: 0.1% of the plain model's held-out log loss.
        if let plain = candidates.firstIndex(where: { $0.settings == .linear }),
            candidates[winnerIndex].heldOutLogLoss > candidates[plain].heldOutLogLoss * (1 - minimumRelativeGain)
        {
            winnerIndex = plain
        }
        let winner = candidates[winnerIndex]
        // Recalibrate the winner when a slope and offset on its margins, fitted on the other inner folds' held-out
        // margins, lower each fold's held-out log loss by more than noise (cross-fitted, so the check is honest).
        let recalibration = Recalibration.crossFitted(
            margins: candidateMargins[winnerIndex], labels: testLabels, minimumRelativeGain: minimumRelativeGain)
        // How calibrated the winner's out-of-fold predictions are, through the recalibration when it is kept.
        let heldOutCalibration = try Recalibration.heldOutCalibration(
            margins: candidateMargins[winnerIndex], labels: testLabels, recalibrated: recalibration != nil)
        var start: [Double]?
        if winner.settings.splineKnots != nil {
            let solutions = candidateSolutions[winnerIndex]
            start = (0..<solutions[0].count).map { j in solutions.map { $0[j] }.reduce(0, +) / Double(solutions.count) }
        }
        return Choice(
            selection: ShapeSelection(
                innerFolds: innerFolds, sampledRows: sampledRows, candidates: candidates, pairs: pairs,
                chosen: winner.settings, recalibration: recalibration, heldOutCalibration: heldOutCalibration),
            splineSchema: splineSchema, splineNotes: splineNotes, splineDesign: splineDesign, start: start)
    }

    /// Fits the splines' design `splines` with one indicator column a cell of each interaction appended (`cells[k][i]`,
    /// row i's cell of `settings.interactions[k]`), its rows built straight as non-zeros: the same rows, values and
    /// sweep as the dense design (the density rule decides), without building its n·d entries.
    static func fit(
        splines: Matrix<Double>, cells: [[Int]], schema: TabularSchema, labels: [Bool], settings: AdditiveSettings,
        request: TabularTrainingRequest, start: [Double]?, progress: SolverProgress?
    ) throws -> Fitted {
        let widths = settings.interactions.map(\.width)
        let sparse = sparseRows(splines, cells: cells, widths: widths)
        let columnCount = splines.columnCount + widths.reduce(0, +)
        if sparse.pays(columnCount: columnCount) {
            return try fit(
                sparseRows: sparse, columnCount: columnCount, schema: schema, labels: labels, settings: settings,
                request: request, start: start, progress: progress)
        }
        return try fit(
            design: sparse.dense(columnCount: columnCount), schema: schema, labels: labels, settings: settings,
            request: request, start: start, progress: progress)
    }

    /// `first()` and `second()` at once (on two threads when there are two cores or more); each result is what it
    /// would be alone, and the first's error is thrown before the second's.
    static func alongside<A: Sendable, B: Sendable>(
        _ first: @Sendable () throws -> A, _ second: @Sendable () throws -> B
    ) throws -> (A, B) {
        let results = ParallelRows.map(count: 2, workers: ProcessInfo.processInfo.activeProcessorCount) { index in
            index == 0 ? Either<A, B>.first(Result { try first() }) : Either<A, B>.second(Result { try second() })
        }
        guard case let .first(a) = results[0], case let .second(b) = results[1] else { preconditionFailure("order") }
        return (try a.get(), try b.get())
    }

    /// One of two results (`alongside`).
    private enum Either<A: Sendable, B: Sendable>: Sendable {
        case first(Result<A, any Error>)
        case second(Result<B, any Error>)
    }

    /// `body(fold, first)` for every inner fold, the folds on up to one thread per core: the first fold alone, then
    /// the others at once, each given the first fold's result (`first`, nil for the first itself) to start from; or,
    /// when not `chained`, every fold at once with nil. Each fold's result depends only on its own inputs and the
    /// first's, never on the threads; the first error (in fold order) is thrown.
    static func foldsInTurn<T: Sendable>(
        _ count: Int, chained: Bool = true, _ body: @Sendable (Int, T?) throws -> T
    ) throws -> [T] {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard chained, count > 0 else {
            return try ParallelRows.map(count: count, workers: cores) { fold in Result { try body(fold, nil) } }
                .map { try $0.get() }
        }
        let first = try body(0, nil)
        let rest = ParallelRows.map(count: count - 1, workers: cores) { index in Result { try body(index + 1, first) } }
        return try [first] + rest.map { try $0.get() }
    }

    /// The rows `indices` of `matrix`, in that order.
    static func rows(_ matrix: Matrix<Double>, _ indices: [Int]) -> Matrix<Double> {
        let d = matrix.columnCount
        var result = Matrix<Double>(rowCount: indices.count, columnCount: d)
        matrix.storage.withUnsafeBufferPointer { x in
            result.storage.withUnsafeMutableBufferPointer { out in
                for (i, row) in indices.enumerated() {
                    for j in 0..<d { out[i * d + j] = x[row * d + j] }
                }
            }
        }
        return result
    }

    /// The non-zeros of every row of `base` followed by one indicator a cell list (`cells[k][row]` is row's cell of
    /// interaction k, whose cells take `widths[k]` columns after the previous ones): `appendingCells` over every row,
    /// as sparse rows.
    /// - Complexity: O(n·(d + cells.count)).
    static func sparseRows(_ base: Matrix<Double>, cells: [[Int]], widths: [Int]) -> SparseRows {
        let d = base.columnCount, n = base.rowCount
        var starts = [0], columns: [Int32] = [], values: [Double] = []
        starts.reserveCapacity(n + 1)
        base.storage.withUnsafeBufferPointer { x in
            for i in 0..<n {
                for j in 0..<d where x[i * d + j] != 0 {
                    columns.append(Int32(j))
                    values.append(x[i * d + j])
                }
                var offset = d
                for k in cells.indices {
                    columns.append(Int32(offset + cells[k][i]))
                    values.append(1)
                    offset += widths[k]
                }
                starts.append(values.count)
            }
        }
        return SparseRows(starts: starts, columns: columns, values: values)
    }

    /// `base` (rows of an encoded design) with each interaction's cell indicators appended: `cells[k][row]` is the
    /// cell of interaction k for row `rows[i]` of the table the levels were computed on.
    static func appendingCells(_ base: Matrix<Double>, cells: [[Int]], rows: [Int], settings: AdditiveSettings)
        -> Matrix<Double>
    {
        let widths = settings.interactions.map(\.width)
        let baseWidth = base.columnCount, width = baseWidth + widths.reduce(0, +)
        var design = Matrix<Double>(rowCount: base.rowCount, columnCount: width)
        base.storage.withUnsafeBufferPointer { x in
            design.storage.withUnsafeMutableBufferPointer { out in
                for (i, row) in rows.enumerated() {
                    for j in 0..<baseWidth { out[i * width + j] = x[i * baseWidth + j] }
                    var offset = baseWidth
                    for k in cells.indices {
                        out[i * width + offset + cells[k][row]] = 1
                        offset += widths[k]
                    }
                }
            }
        }
        return design
    }
}
