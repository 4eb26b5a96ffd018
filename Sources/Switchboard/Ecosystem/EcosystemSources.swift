/// The kinds of record file an ecosystem folder holds (`switchboard generate` writes them all).
public enum RecordKind: String, Sendable, CaseIterable, Hashable {
    case partners, leads, outcomes, activity, actions
    case actionHistory = "action_history"
    case incoming
    case truthPartners = "truth/partners"
    case truthPairs = "truth/pairs"
    case truthActions = "truth/actions"

    /// The file's name inside an ecosystem folder: `partners.csv`, `truth/pairs.csv`, ….
    public var fileName: String { rawValue + ".csv" }
}

/// Where each kind of record came from: its file (as the user named it) and the line of every record in it, so
/// errors about a record, however late they are found, name file and line.
public struct EcosystemSources: Sendable, Equatable {
    public var partners = "partners.csv"
    public var leads = "leads.csv"
    public var outcomes = "outcomes.csv"
    public var activity = "activity.csv"
    public var actions = "actions.csv"
    public var actionHistory = "action_history.csv"
    public var incoming = "incoming.csv"
    /// The 1-based line of record i of each kind in its file; a kind without lines has record i on line i + 2
    /// (a header, then one line a record).
    public var lines: [RecordKind: [Int]] = [:]

    public init() {}

    /// The file `kind` was read from.
    public func file(_ kind: RecordKind) -> String {
        switch kind {
        case .partners: partners
        case .leads: leads
        case .outcomes: outcomes
        case .activity: activity
        case .actions: actions
        case .actionHistory: actionHistory
        case .incoming: incoming
        case .truthPartners, .truthPairs, .truthActions: kind.fileName
        }
    }

    /// Sets the file `kind` was read from.
    public mutating func setFile(_ kind: RecordKind, _ name: String) {
        switch kind {
        case .partners: partners = name
        case .leads: leads = name
        case .outcomes: outcomes = name
        case .activity: activity = name
        case .actions: actions = name
        case .actionHistory: actionHistory = name
        case .incoming: incoming = name
        case .truthPartners, .truthPairs, .truthActions: break
        }
    }

    /// The line of record `index` of `kind` in its file.
    public func line(_ kind: RecordKind, _ index: Int) -> Int {
        guard let lines = lines[kind], lines.indices.contains(index) else { return index + 2 }
        return lines[index]
    }
}
