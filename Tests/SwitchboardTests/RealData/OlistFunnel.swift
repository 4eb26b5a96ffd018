import Learning
@testable import Switchboard

/// The lead-scoring table of the Olist marketing funnel (Kaggle "Marketing Funnel by Olist"): one row per
/// marketing qualified lead (MQL), with what is known when the lead first asks for contact and whether it became
/// a closed deal.
public enum OlistFunnel {
    /// Columns the MQL file must have.
    public static let leadColumns = ["mql_id", "first_contact_date", "landing_page_id", "origin"]
    /// Columns the closed-deals file must have (only the key is used: the rest is known only after a win).
    public static let dealColumns = ["mql_id"]
    /// The target column of `leadTable`: `yes` when the lead's id is in the closed-deals file, else `no`.
    public static let targetColumn = "closed_deal"
    /// The identifier column of `leadTable` (kept so that scores can be joined back; drop it before encoding).
    public static let idColumn = "mql_id"
    /// The column whose rare values `LeadScoreTrainer` may pool.
    public static let landingPageColumn = "landing_page_id"
    /// The header of `leadTable`, in order.
    public static let tableColumns = [
        idColumn, "origin", landingPageColumn, "first_contact_month", "first_contact_weekday", targetColumn,
    ]
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let weekdayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    /// One row per MQL, in the MQL file's order and keeping its line numbers (so later errors name that file):
    /// `mql_id`, `origin` and `landing_page_id` as given (an empty cell stays empty, i.e. missing),
    /// `first_contact_month` (`Jan` … `Dec`) and `first_contact_weekday` (`Mon` … `Sun`) of `first_contact_date`,
    /// and `closed_deal` (`yes`/`no`).
    ///
    /// The month and weekday are names, not numbers, so that the encoder treats them as categories.
    /// - Throws: `RecordError` naming file, line and column: a missing column, an empty id or date, a date that
    ///   is not `YYYY-MM-DD` (a date-time is accepted), a duplicate `mql_id` in either file, or a deal whose
    ///   `mql_id` is not in the MQL file.
    public static func leadTable(marketingQualifiedLeads leads: CSVTable, closedDeals deals: CSVTable) throws(RecordError)
        -> CSVTable
    {
        let l = try RecordColumns(leads, required: leadColumns)
        let d = try RecordColumns(deals, required: dealColumns)
        var leadIDs = UniqueKeys()
        var ids: [String] = [], origins: [String] = [], pages: [String] = [], months: [String] = [], weekdays: [String] = []
        var known = Set<String>()
        for row in 0..<l.rowCount {
            let id = try l.text("mql_id", row)
            try leadIDs.insert(id, column: "mql_id", row: row, in: l)
            known.insert(id)
            let date = try l.time("first_contact_date", row)
            let day = Int(date.secondsSinceEpoch.floorDivided(by: 86_400))
            let (_, month, _) = Timestamp.civilFromDays(day)
            ids.append(id)
            origins.append(l.optionalText("origin", row) ?? "")
            pages.append(l.optionalText(landingPageColumn, row) ?? "")
            months.append(monthNames[month - 1])
            // 1970-01-01 was a Thursday (index 3 from Monday).
            weekdays.append(weekdayNames[((day + 3) % 7 + 7) % 7])
        }
        var dealIDs = UniqueKeys()
        var won = Set<String>()
        for row in 0..<d.rowCount {
            let id = try d.text("mql_id", row)
            try dealIDs.insert(id, column: "mql_id", row: row, in: d)
            guard known.contains(id) else {
                throw .unknownReference(file: d.file, line: d.line(row), column: "mql_id", id: id, referencedFile: l.file)
            }
            won.insert(id)
        }
        let target = ids.map { won.contains($0) ? "yes" : "no" }
        return CSVTable(
            source: leads.source, header: tableColumns, columns: [ids, origins, pages, months, weekdays, target],
            recordLines: leads.recordLines)
    }
}

/// Pools the rare values of one categorical column into a single `(other)` level: values seen on fewer than
/// `minimumCount` rows of the table it was fitted on, and values not seen there at all. Missing cells stay missing.
///
/// Fit it on training rows only. Applied to new rows it maps a value never seen in training to the pooled level,
/// which has a learnt coefficient whenever some training value was pooled (with `minimumCount` 1 none is, and an
/// unseen value encodes as all zeros, as without pooling).
public struct RareCategoryPooling: Sendable, Equatable, Codable {
    public static let otherLevel = "(other)"
    public var column: String
    public var minimumCount: Int
    /// The values kept as their own level, sorted.
    public var keptValues: [String]

    /// Counts the values of `column` in `table`.
    /// - Throws: `TabularError.missingColumn`.
    public init(fittingOn table: CSVTable, column: String, minimumCount: Int) throws(TabularError) {
        guard let index = table.columnIndex(named: column) else { throw .missingColumn(file: table.source, column: column) }
        var counts: [Substring: Int] = [:]
        for cell in table.columns[index] where !TabularEncoder.isMissing(cell) { counts[cell.blankTrimmed, default: 0] += 1 }
        self.column = column
        self.minimumCount = minimumCount
        keptValues = counts.filter { $0.value >= minimumCount }.keys.map(String.init).sorted()
    }

    /// The table with rare and unseen values of the column replaced by `(other)`.
    /// - Throws: `TabularError.missingColumn`.
    public func apply(to table: CSVTable) throws(TabularError) -> CSVTable {
        guard let index = table.columnIndex(named: column) else { throw .missingColumn(file: table.source, column: column) }
        let kept = Set(keptValues)
        var columns = table.columns
        columns[index] = columns[index].map { cell in
            TabularEncoder.isMissing(cell) || kept.contains(cell.trimmingBlanks()) ? cell : Self.otherLevel
        }
        return CSVTable(
            source: table.source, header: table.header, columns: columns, recordLines: table.recordLines,
            delimiter: table.delimiter)
    }
}

/// The two choices the lead score makes from data: which landing pages are pooled, and how strongly the
/// coefficients are shrunk.
public struct LeadScoreSettings: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// Values of the pooled column seen on fewer training rows than this become `(other)`; 1 pools only unseen values.
    public var minimumCount: Int
    /// scikit-learn's C: the L2 strength is λ = 1/(C·n) for n training rows, so 1 is scikit-learn's default.
    public var inverseRegularization: Double

    public init(minimumCount: Int, inverseRegularization: Double) {
        self.minimumCount = minimumCount
        self.inverseRegularization = inverseRegularization
    }

    /// The plain model of the reference: no pooling, C = 1.
    public static let plain = LeadScoreSettings(minimumCount: 1, inverseRegularization: 1)

    /// The candidates `LeadScoreTrainer` chooses among by inner cross-validation, simplest first.
    public static let candidates: [LeadScoreSettings] = [1, 3, 10].flatMap { count in
        [1, 0.3].map { LeadScoreSettings(minimumCount: count, inverseRegularization: $0) }
    }

    public var description: String { "minimum count \(minimumCount), C = \(inverseRegularization)" }
}

/// Everything that defines a lead-score training run.
public struct LeadScoreRequest: Sendable {
    public var target: String
    public var columns: ColumnOptions
    /// The categorical column whose rare values are pooled; nil for none (then only the C is chosen).
    public var pooledColumn: String?
    /// Chosen among by `innerFolds`-fold cross-validation on the training rows (highest mean ROC AUC; ties go to
    /// the earlier candidate). One candidate means no choice.
    public var candidates: [LeadScoreSettings]
    public var folds: Int
    public var innerFolds: Int
    public var seed: UInt64

    /// The Olist lead score: `OlistFunnel.leadTable` without its id, missing origins imputed with an indicator,
    /// landing pages pooled.
    public init(
        target: String = OlistFunnel.targetColumn,
        columns: ColumnOptions = ColumnOptions(drop: [OlistFunnel.idColumn], missingPolicy: .impute),
        pooledColumn: String? = OlistFunnel.landingPageColumn, candidates: [LeadScoreSettings] = LeadScoreSettings.candidates,
        folds: Int = 5, innerFolds: Int = 5, seed: UInt64 = 42
    ) {
        self.target = target
        self.columns = columns
        self.pooledColumn = pooledColumn
        self.candidates = candidates
        self.folds = folds
        self.innerFolds = innerFolds
        self.seed = seed
    }
}

/// A fitted lead score: the pooling, the encoding and the logistic regression, all fitted on the same rows.
public struct LeadScoreModel: Sendable, Equatable, Codable {
    public var settings: LeadScoreSettings
    public var target: TargetSpecification
    public var pooling: RareCategoryPooling?
    public var schema: TabularSchema
    public var regression: LogisticRegression

    /// P(target is positive) for every row of `table` (the target column may be absent).
    /// - Throws: `TabularError` for a missing column or a bad cell, `LearningError` for a numerical failure.
    public func probabilities(for table: CSVTable) throws -> [Double] {
        let pooled = try pooling?.apply(to: table) ?? table
        let (design, _) = try TabularEncoder.encode(pooled, schema: schema)
        return try regression.probabilities(for: design)
    }
}

/// The outcome of nested cross-validation: per outer fold, the settings chosen on its training rows and the
/// metrics on its test rows.
public struct LeadScoreCrossValidation: Sendable, Equatable {
    public var summary: CrossValidationSummary
    public var chosen: [LeadScoreSettings]
}

/// Fits lead scores and measures them by nested cross-validation: every choice (pooling, regularisation) is made
/// on training rows only, so the test folds are never looked at before they are scored.
public enum LeadScoreTrainer {
    /// Fits a model on every row of `table` with fixed settings.
    /// - Throws: `TabularError`, `LearningError`.
    public static func fit(_ table: CSVTable, settings: LeadScoreSettings, request: LeadScoreRequest) throws -> LeadScoreModel {
        let target = try TabularEncoder.target(in: table, column: request.target, positive: nil)
        let labels = try TabularEncoder.labels(in: table, target: target)
        return try fit(table, labels: labels, target: target, settings: settings, request: request)
    }

    static func fit(
        _ table: CSVTable, labels: [Bool], target: TargetSpecification, settings: LeadScoreSettings, request: LeadScoreRequest
    ) throws -> LeadScoreModel {
        guard settings.minimumCount >= 1 else {
            throw LearningError.invalidParameter(
                name: "minimumCount", value: "\(settings.minimumCount)", requirement: "must be >= 1")
        }
        guard settings.inverseRegularization > 0, settings.inverseRegularization.isFinite else {
            throw LearningError.invalidParameter(
                name: "inverseRegularization", value: "\(settings.inverseRegularization)", requirement: "must be finite and > 0")
        }
        let pooling = try request.pooledColumn.map { column throws(TabularError) in
            try RareCategoryPooling(fittingOn: table, column: column, minimumCount: settings.minimumCount)
        }
        let pooled = try pooling?.apply(to: table) ?? table
        let (schema, _) = try TabularEncoder.fit(table: pooled, excluding: target.column, options: request.columns)
        let (design, _) = try TabularEncoder.encode(pooled, schema: schema)
        let configuration = LogisticRegressionConfiguration(
            l2Strength: 1 / (settings.inverseRegularization * Double(table.rowCount)))
        let (regression, _) = try LogisticRegression.fit(design: design, labels: labels, configuration: configuration)
        return LeadScoreModel(settings: settings, target: target, pooling: pooling, schema: schema, regression: regression)
    }

    /// The candidate with the highest mean ROC AUC over `request.innerFolds`-fold cross-validation of `table`
    /// (ties: the earlier candidate), and every candidate's mean AUC in candidate order.
    /// - Throws: `TabularError`, `LearningError`, `MetricsError`.
    public static func choose(
        _ table: CSVTable, request: LeadScoreRequest
    ) throws -> (settings: LeadScoreSettings, meanAUC: [Double]) {
        let target = try TabularEncoder.target(in: table, column: request.target, positive: nil)
        let labels = try TabularEncoder.labels(in: table, target: target)
        return try choose(table, labels: labels, target: target, request: request)
    }

    static func choose(
        _ table: CSVTable, labels: [Bool], target: TargetSpecification, request: LeadScoreRequest
    ) throws -> (settings: LeadScoreSettings, meanAUC: [Double]) {
        guard let first = request.candidates.first else {
            throw LearningError.invalidParameter(name: "candidates", value: "[]", requirement: "must not be empty")
        }
        if request.candidates.count == 1 { return (first, []) }
        let splits = try StratifiedKFold(labels: labels, foldCount: request.innerFolds, seed: request.seed)
        var sums = [Double](repeating: 0, count: request.candidates.count)
        for fold in splits.folds {
            let train = table.selectingRows(fold.trainIndices), test = table.selectingRows(fold.testIndices)
            let trainLabels = fold.trainIndices.map { labels[$0] }, testLabels = fold.testIndices.map { labels[$0] }
            for (index, candidate) in request.candidates.enumerated() {
                let model = try fit(train, labels: trainLabels, target: target, settings: candidate, request: request)
                sums[index] += try Metrics.rocAUC(labels: testLabels, scores: try model.probabilities(for: test))
            }
        }
        let means = sums.map { $0 / Double(request.innerFolds) }
        var best = 0
        for index in means.indices where means[index] > means[best] { best = index }
        return (request.candidates[best], means)
    }

    /// Nested cross-validation: `request.folds` stratified outer folds; on each, the settings are chosen on the
    /// training rows alone (`choose`), a model is fitted on them, and the test rows are scored.
    /// - Throws: `TabularError`, `LearningError`, `MetricsError`.
    public static func crossValidate(_ table: CSVTable, request: LeadScoreRequest) throws -> LeadScoreCrossValidation {
        let target = try TabularEncoder.target(in: table, column: request.target, positive: nil)
        let labels = try TabularEncoder.labels(in: table, target: target)
        let splits = try StratifiedKFold(labels: labels, foldCount: request.folds, seed: request.seed)
        var reports: [ClassificationReport] = [], chosen: [LeadScoreSettings] = []
        for fold in splits.folds {
            let train = table.selectingRows(fold.trainIndices), test = table.selectingRows(fold.testIndices)
            let trainLabels = fold.trainIndices.map { labels[$0] }, testLabels = fold.testIndices.map { labels[$0] }
            let (settings, _) = try choose(train, labels: trainLabels, target: target, request: request)
            let model = try fit(train, labels: trainLabels, target: target, settings: settings, request: request)
            reports.append(try Metrics.report(labels: testLabels, probabilities: try model.probabilities(for: test)))
            chosen.append(settings)
        }
        return LeadScoreCrossValidation(
            summary: CrossValidationSummary(foldCount: request.folds, seed: request.seed, folds: reports), chosen: chosen)
    }

    /// Chooses the settings on every row of `table` and fits the final model with them.
    /// - Throws: `TabularError`, `LearningError`, `MetricsError`.
    public static func train(_ table: CSVTable, request: LeadScoreRequest) throws -> LeadScoreModel {
        let target = try TabularEncoder.target(in: table, column: request.target, positive: nil)
        let labels = try TabularEncoder.labels(in: table, target: target)
        let (settings, _) = try choose(table, labels: labels, target: target, request: request)
        return try fit(table, labels: labels, target: target, settings: settings, request: request)
    }
}
