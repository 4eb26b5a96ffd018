import Learning

/// Where each kind of record came from, for error messages about references.
public struct EcosystemSources: Sendable, Equatable {
    public var partners = "partners.csv"
    public var leads = "leads.csv"
    public var outcomes = "outcomes.csv"
    public var activity = "activity.csv"
    public var actions = "actions.csv"
    public var actionHistory = "action_history.csv"
    public init() {}
}

/// The whole ecosystem: partners, leads, outcomes, activity and actions, with references checked across files.
public struct Ecosystem: Sendable {
    public var partners: [Partner]
    public var leads: [Lead]
    public var outcomes: [Outcome]
    public var activity: [PartnerActivity]
    public var actions: [Action]
    public var actionHistory: [ActionTaken]

    public init(
        partners: [Partner], leads: [Lead] = [], outcomes: [Outcome] = [], activity: [PartnerActivity] = [],
        actions: [Action] = [], actionHistory: [ActionTaken] = []
    ) {
        self.partners = partners
        self.leads = leads
        self.outcomes = outcomes
        self.activity = activity
        self.actions = actions
        self.actionHistory = actionHistory
    }

    /// Checks references across files: every outcome's lead and partner exist, an outcome is not assigned before
    /// its lead was created, activity and action history name known partners, and action history names known actions (when the catalogue is
    /// given).
    /// - Parameter lines: the line of each record in its file, for error messages (as loaded).
    public func validate(sources: EcosystemSources, outcomeLines: [Int], activityLines: [Int], historyLines: [Int])
        throws(RecordError)
    {
        if partners.isEmpty { throw .emptySet(file: sources.partners, what: "partners") }
        let partnerIDs = Set(partners.map(\.id))
        var leadCreated: [String: Timestamp] = [:]
        for lead in leads { leadCreated[lead.id] = lead.created }
        for (index, outcome) in outcomes.enumerated() {
            let line = outcomeLines[index]
            guard let created = leadCreated[outcome.leadID] else {
                throw .unknownReference(
                    file: sources.outcomes, line: line, column: "lead_id", id: outcome.leadID, referencedFile: sources.leads)
            }
            guard partnerIDs.contains(outcome.partnerID) else {
                throw .unknownReference(
                    file: sources.outcomes, line: line, column: "partner_id", id: outcome.partnerID,
                    referencedFile: sources.partners)
            }
            if outcome.assigned < created {
                throw .outOfOrder(
                    file: sources.outcomes, line: line, column: "assigned",
                    reason: "assigned \(outcome.assigned.dateDescription) before the lead was created \(created.dateDescription)")
            }
        }
        for (index, record) in activity.enumerated() where !partnerIDs.contains(record.partnerID) {
            throw .unknownReference(
                file: sources.activity, line: activityLines[index], column: "partner_id", id: record.partnerID,
                referencedFile: sources.partners)
        }
        let actionIDs = Set(actions.map(\.id))
        for (index, taken) in actionHistory.enumerated() {
            if !partnerIDs.contains(taken.partnerID) {
                throw .unknownReference(
                    file: sources.actionHistory, line: historyLines[index], column: "partner_id",
                    id: taken.partnerID, referencedFile: sources.partners)
            }
            if !actions.isEmpty && !actionIDs.contains(taken.actionID) {
                throw .unknownReference(
                    file: sources.actionHistory, line: historyLines[index], column: "action_id",
                    id: taken.actionID, referencedFile: sources.actions)
            }
        }
    }
}
