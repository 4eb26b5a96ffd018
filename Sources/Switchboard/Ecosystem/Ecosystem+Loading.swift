import Learning

/// How `Ecosystem.load` reads the files.
public struct EcosystemLoadOptions: Sendable {
    /// The field delimiter of every file (nil: detected from each header line).
    public var delimiter: CSVDelimiter?
    /// Kinds whose file must hold at least one record (an empty one is an error naming it). Partners, when given,
    /// always must.
    public var nonEmpty: Set<RecordKind> = []
    /// Accept a missing or blank `churned_next` in the activity file, read as `false` (scoring the latest period,
    /// whose outcome is not known yet).
    public var activityLabelsOptional = false

    public init(delimiter: CSVDelimiter? = nil, nonEmpty: Set<RecordKind> = [], activityLabelsOptional: Bool = false) {
        self.delimiter = delimiter
        self.nonEmpty = nonEmpty
        self.activityLabelsOptional = activityLabelsOptional
    }
}

extension Ecosystem {
    /// Parses and checks the given files: every cell of every file (`RecordLoader`: required values, numbers,
    /// enumerations, times, duplicate ids), the files `options.nonEmpty` names not empty, and, when partners are
    /// given, every reference across files (`validate()`). The truth is read when `truth/partners.csv` is given
    /// (with `truth/pairs.csv` and `truth/actions.csv` when given). Records keep their file and line in `sources`.
    /// - Throws: `CSVError` for a file that is not CSV, `RecordError` for bad records; each names file, line and
    ///   column. Nothing is half-loaded.
    public static func load(_ files: EcosystemFiles, options: EcosystemLoadOptions = EcosystemLoadOptions()) throws
        -> Ecosystem
    {
        var tables: [RecordKind: CSVTable] = [:]
        for kind in RecordKind.allCases {
            guard let source = files[kind] else { continue }
            var table = try CSVTable(parsing: source.bytes, source: source.name, delimiter: options.delimiter)
            if kind == .activity && options.activityLabelsOptional { table = fillingBlankLabels(table) }
            tables[kind] = table
        }
        var ecosystem = Ecosystem(partners: [])
        for (kind, table) in tables {
            ecosystem.sources.setFile(kind, table.source)
            ecosystem.sources.lines[kind] = table.recordLines
        }
        if let table = tables[.partners] { ecosystem.partners = try RecordLoader.partners(table) }
        if let table = tables[.leads] { ecosystem.leads = try RecordLoader.leads(table) }
        if let table = tables[.outcomes] { ecosystem.outcomes = try RecordLoader.outcomes(table) }
        if let table = tables[.activity] { ecosystem.activity = try RecordLoader.activity(table) }
        if let table = tables[.actions] { ecosystem.actions = try RecordLoader.actions(table) }
        if let table = tables[.actionHistory] { ecosystem.actionHistory = try RecordLoader.actionHistory(table) }
        if let table = tables[.incoming] { ecosystem.incoming = try RecordLoader.leads(table) }
        if let partners = tables[.truthPartners] {
            var truth = try EcosystemTruth.load(partners: partners, pairs: tables[.truthPairs])
            if let actions = tables[.truthActions] { truth.actionEffects = try EcosystemTruth.actionEffects(actions) }
            ecosystem.truth = truth
        }
        let counts: [RecordKind: Int] = [
            .leads: ecosystem.leads.count, .outcomes: ecosystem.outcomes.count, .activity: ecosystem.activity.count,
            .actions: ecosystem.actions.count, .actionHistory: ecosystem.actionHistory.count,
            .incoming: ecosystem.incoming.count,
        ]
        for kind in RecordKind.allCases where options.nonEmpty.contains(kind) && tables[kind] != nil {
            if counts[kind] == 0 { throw RecordError.emptySet(file: tables[kind]!.source, what: Self.recordNoun(kind)) }
        }
        if tables[.partners] != nil { try ecosystem.validate() }
        return ecosystem
    }

    /// What an empty file of `kind` lacks, in error messages: `no outcomes`, `no activity rows`, ….
    static func recordNoun(_ kind: RecordKind) -> String {
        switch kind {
        case .activity: "activity rows"
        case .actionHistory: "actions taken"
        case .incoming, .leads: "leads"
        case .actions: "actions"
        default: kind.rawValue
        }
    }

    /// `table` with a `churned_next` column of `false` added when there is none, and blank cells set to `false`.
    static func fillingBlankLabels(_ table: CSVTable) -> CSVTable {
        let column = "churned_next"
        var header = table.header, columns = table.columns
        if let index = table.columnIndex(named: column) {
            columns[index] = columns[index].map { $0.trimmingBlanks().isEmpty ? "false" : $0 }
        } else {
            header.append(column)
            columns.append([String](repeating: "false", count: table.rowCount))
        }
        return CSVTable(
            source: table.source, header: header, columns: columns, recordLines: table.recordLines, delimiter: table.delimiter)
    }
}

extension EcosystemTruth {
    /// Reads truth/actions.csv: `action_id, win_logit_effect, engagement_effect`.
    /// - Throws: `RecordError` naming file, line and column of a missing column, a bad number or a duplicate id.
    static func actionEffects(_ table: CSVTable) throws(RecordError) -> [(
        actionID: String, winLogit: Double, engagement: Double
    )] {
        let c = try RecordColumns(table, required: ["action_id", "win_logit_effect", "engagement_effect"])
        var ids = UniqueKeys()
        var effects: [(actionID: String, winLogit: Double, engagement: Double)] = []
        for row in 0..<c.rowCount {
            let id = try c.text("action_id", row)
            try ids.insert(id, column: "action_id", row: row, in: c)
            effects.append((id, try c.number("win_logit_effect", row), try c.number("engagement_effect", row)))
        }
        return effects
    }
}
