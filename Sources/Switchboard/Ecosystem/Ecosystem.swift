import Learning

/// The whole ecosystem: partners, leads, outcomes, activity, actions, the action history and the incoming leads,
/// with where each record came from (`sources`), and a generated ecosystem's truth when it was loaded.
public struct Ecosystem: Sendable {
    public var partners: [Partner]
    public var leads: [Lead]
    public var outcomes: [Outcome]
    public var activity: [PartnerActivity]
    public var actions: [Action]
    public var actionHistory: [ActionTaken]
    /// New leads to score and route (the leads schema); empty unless loaded.
    public var incoming: [Lead]
    /// Each kind of record's file and each record's line in it, for error messages.
    public var sources: EcosystemSources
    /// A generated ecosystem's truth (`truth/`), when loaded.
    public var truth: EcosystemTruth?

    public init(
        partners: [Partner], leads: [Lead] = [], outcomes: [Outcome] = [], activity: [PartnerActivity] = [],
        actions: [Action] = [], actionHistory: [ActionTaken] = [], incoming: [Lead] = [],
        sources: EcosystemSources = EcosystemSources(), truth: EcosystemTruth? = nil
    ) {
        self.partners = partners
        self.leads = leads
        self.outcomes = outcomes
        self.activity = activity
        self.actions = actions
        self.actionHistory = actionHistory
        self.incoming = incoming
        self.sources = sources
        self.truth = truth
    }

    /// Checks references across files: there are partners, every outcome's lead and partner exist, an outcome is not
    /// assigned before its lead was created, activity and action history name known partners, and action history
    /// names known actions (when the catalogue is given). Errors name the file and line from `sources`.
    public func validate() throws(RecordError) {
        if partners.isEmpty { throw .emptySet(file: sources.partners, what: "partners") }
        let partnerIDs = Set(partners.map(\.id))
        var leadCreated: [String: Timestamp] = [:]
        for lead in leads { leadCreated[lead.id] = lead.created }
        for (index, outcome) in outcomes.enumerated() {
            let line = sources.line(.outcomes, index)
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
                file: sources.activity, line: sources.line(.activity, index), column: "partner_id", id: record.partnerID,
                referencedFile: sources.partners)
        }
        let actionIDs = Set(actions.map(\.id))
        for (index, taken) in actionHistory.enumerated() {
            if !partnerIDs.contains(taken.partnerID) {
                throw .unknownReference(
                    file: sources.actionHistory, line: sources.line(.actionHistory, index), column: "partner_id",
                    id: taken.partnerID, referencedFile: sources.partners)
            }
            if !actions.isEmpty && !actionIDs.contains(taken.actionID) {
                throw .unknownReference(
                    file: sources.actionHistory, line: sources.line(.actionHistory, index), column: "action_id",
                    id: taken.actionID, referencedFile: sources.actions)
            }
        }
    }
}
