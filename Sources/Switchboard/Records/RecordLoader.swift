import Learning

/// Reads and validates the ecosystem's CSV files. Each loader checks every cell (required values, numbers,
/// enumerations, times, impossible values) and ids (duplicates), and `Ecosystem.validate` checks references
/// across files. Errors name file, line and column; nothing is half-loaded.
public enum RecordLoader {
    public static let partnerColumns = [
        "id", "name", "type", "tier", "region", "country", "verticals", "technologies",
        "certifications", "capacity", "open_leads", "status", "manager_id", "joined",
        "portal_logins", "trainings_completed", "deal_registrations",
        "marketing_funds_used", "revenue_12m",
    ]
    public static let leadColumns = [
        "id", "created", "region", "country", "vertical", "technology", "size_band",
        "estimated_value", "source",
    ]
    public static let leadOptionalColumns = ["required_certifications", "account_id"]
    public static let outcomeColumns = ["lead_id", "partner_id", "assigned", "outcome", "closed", "revenue"]
    public static let activityColumns = [
        "partner_id", "period", "portal_logins", "trainings_completed",
        "deal_registrations", "marketing_funds_used", "revenue", "churned_next",
    ]
    public static let actionColumns = ["id", "name", "type", "eligible_types", "eligible_tiers", "cost", "effects"]
    public static let actionHistoryColumns = ["partner_id", "action_id", "time"]

    public static func partners(_ table: CSVTable) throws(RecordError) -> [Partner] {
        let c = try RecordColumns(table, required: partnerColumns)
        var ids = UniqueKeys()
        var result: [Partner] = []
        result.reserveCapacity(c.rowCount)
        for row in 0..<c.rowCount {
            let id = try c.text("id", row)
            try ids.insert(id, column: "id", row: row, in: c)
            let capacity = try c.integer("capacity", row, minimum: 0)
            let open = try c.integer("open_leads", row, minimum: 0)
            result.append(
                Partner(
                    id: id, name: try c.text("name", row), type: try c.enumeration("type", row, as: PartnerType.self),
                    tier: try c.enumeration("tier", row, as: PartnerTier.self), region: try c.text("region", row),
                    country: try c.text("country", row), verticals: c.set("verticals", row),
                    technologies: c.set("technologies", row),
                    certifications: c.set("certifications", row), capacity: capacity, openLeads: open,
                    status: try c.enumeration("status", row, as: PartnerStatus.self), managerID: try c.text("manager_id", row),
                    joined: try c.time("joined", row),
                    activity: try c.activityFigures(row, revenueColumn: "revenue_12m")))
        }
        return result
    }

    public static func leads(_ table: CSVTable) throws(RecordError) -> [Lead] {
        var ids = UniqueKeys()
        return try leads(table, ids: &ids)
    }

    /// The table's leads, each id checked against `ids` (the ids of earlier tables too, when the caller keeps it
    /// across the chunks of one input) and added to it.
    static func leads(_ table: CSVTable, ids: inout UniqueKeys) throws(RecordError) -> [Lead] {
        let c = try RecordColumns(table, required: leadColumns, optional: leadOptionalColumns)
        let id = c.field("id"), created = c.field("created"), region = c.field("region"), country = c.field("country")
        let vertical = c.field("vertical"), technology = c.field("technology"), sizeBand = c.field("size_band")
        let value = c.field("estimated_value"), source = c.field("source")
        let certifications = c.field("required_certifications"), account = c.field("account_id")
        var result: [Lead] = []
        result.reserveCapacity(c.rowCount)
        for row in 0..<c.rowCount {
            let leadID = try c.text(id, row)
            try ids.insert(leadID, column: "id", row: row, in: c)
            result.append(
                Lead(
                    id: leadID, created: try c.time(created, row), region: try c.text(region, row),
                    country: try c.text(country, row), vertical: try c.text(vertical, row),
                    technology: try c.text(technology, row), sizeBand: try c.text(sizeBand, row),
                    estimatedValue: try c.number(value, row, minimum: 0), source: try c.text(source, row),
                    requiredCertifications: c.set(certifications, row), accountID: c.optionalText(account, row)))
        }
        return result
    }

    /// An account owners table (columns `account_id`, `partner_id`) added to `rules.accountOwners`. Each account is
    /// listed once, each partner is one of `partnerIDs`, and an account the rules already give an owner keeps it.
    /// - Throws: `RecordError` naming the file, line and column of the first bad record.
    public static func accountOwners(_ table: CSVTable, partnerIDs: Set<String>, into rules: inout EligibilityRules)
        throws(RecordError)
    {
        let c = try RecordColumns(table, required: ["account_id", "partner_id"])
        let account = c.field("account_id"), partner = c.field("partner_id")
        var firstLine: [String: Int] = [:]
        for row in 0..<c.rowCount {
            let line = c.line(row)
            let accountID = c.optionalText(account, row) ?? ""
            let partnerID = c.optionalText(partner, row) ?? ""
            if accountID.isEmpty { throw .emptyValue(file: c.file, line: line, column: "account_id") }
            if !partnerIDs.contains(partnerID) {
                throw .unknownReference(
                    file: c.file, line: line, column: "partner_id", id: partnerID, referencedFile: "the partners file")
            }
            if let first = firstLine.updateValue(line, forKey: accountID) {
                throw .duplicateID(file: c.file, line: line, column: "account_id", id: accountID, firstLine: first)
            }
            if let ruled = rules.accountOwners[accountID], ruled != partnerID {
                throw .contradiction(
                    file: c.file, line: line,
                    reason: "account \(accountID) is owned by \(partnerID) here but by \(ruled) in the rules")
            }
            rules.accountOwners[accountID] = partnerID
        }
    }

    public static func outcomes(_ table: CSVTable) throws(RecordError) -> [Outcome] {
        let c = try RecordColumns(table, required: outcomeColumns)
        var result: [Outcome] = []
        result.reserveCapacity(c.rowCount)
        var pairs = UniqueKeys()
        for row in 0..<c.rowCount {
            let leadID = try c.text("lead_id", row), partnerID = try c.text("partner_id", row)
            try pairs.insert(
                leadID + "\u{1F}" + partnerID, label: "\(leadID) → \(partnerID)", column: "lead_id, partner_id", row: row,
                in: c)
            let assigned = try c.time("assigned", row)
            let kind = try c.enumeration("outcome", row, as: OutcomeKind.self)
            let closed = try c.optionalTime("closed", row)
            if let closed, closed < assigned {
                throw .outOfOrder(
                    file: c.file, line: c.line(row), column: "closed",
                    reason: "closed \(closed.dateDescription) before it was assigned \(assigned.dateDescription)")
            }
            if closed == nil && (kind == .won || kind == .lost) {
                throw .emptyValue(file: c.file, line: c.line(row), column: "closed")
            }
            let revenue = try c.optionalNumber("revenue", row, minimum: 0) ?? 0
            if kind != .won && revenue > 0 {
                throw .impossibleValue(
                    file: c.file, line: c.line(row), column: "revenue", value: RecordColumns.format(revenue),
                    reason: "must be 0 for a lead that was not won")
            }
            result.append(
                Outcome(leadID: leadID, partnerID: partnerID, assigned: assigned, outcome: kind, closed: closed, revenue: revenue)
            )
        }
        return result
    }

    public static func activity(_ table: CSVTable) throws(RecordError) -> [PartnerActivity] {
        let c = try RecordColumns(table, required: activityColumns)
        var result: [PartnerActivity] = []
        result.reserveCapacity(c.rowCount)
        var periods = UniqueKeys()
        for row in 0..<c.rowCount {
            let partnerID = try c.text("partner_id", row)
            let period = try c.integer("period", row, minimum: 0)
            try periods.insert(
                "\(partnerID)\u{1F}\(period)", label: "\(partnerID) period \(period)", column: "partner_id, period", row: row,
                in: c)
            result.append(
                PartnerActivity(
                    partnerID: partnerID, period: period,
                    figures: try c.activityFigures(row, revenueColumn: "revenue"),
                    churnedNext: try c.boolean("churned_next", row)))
        }
        return result
    }

    /// The action catalogue. `effects` is a `;`-separated list of `attribute=change` pairs, e.g.
    /// `trainings_completed=+2;quality=+0.3`.
    public static func actions(_ table: CSVTable) throws(RecordError) -> [Action] {
        let c = try RecordColumns(table, required: actionColumns)
        var ids = UniqueKeys()
        var result: [Action] = []
        for row in 0..<c.rowCount {
            let id = try c.text("id", row)
            try ids.insert(id, column: "id", row: row, in: c)
            let types = try c.enumerationSet("eligible_types", row, as: PartnerType.self)
            let tiers = try c.enumerationSet("eligible_tiers", row, as: PartnerTier.self)
            var effects: [ActionEffect] = []
            for item in c.set("effects", row) {
                let parts = item.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let change = Double(parts[1].blankTrimmed), change.isFinite
                else {
                    throw .impossibleValue(
                        file: c.file, line: c.line(row), column: "effects", value: item,
                        reason: "is not of the form attribute=change (e.g. trainings_completed=+2)")
                }
                effects.append(ActionEffect(attribute: String(parts[0]).trimmingBlanks(), change: change))
            }
            result.append(
                Action(
                    id: id, name: try c.text("name", row), type: try c.enumeration("type", row, as: ActionType.self),
                    eligibleTypes: types, eligibleTiers: tiers, cost: try c.number("cost", row, minimum: 0), effects: effects))
        }
        return result
    }

    public static func actionHistory(_ table: CSVTable) throws(RecordError) -> [ActionTaken] {
        let c = try RecordColumns(table, required: actionHistoryColumns)
        var result: [ActionTaken] = []
        for row in 0..<c.rowCount {
            result.append(
                ActionTaken(
                    partnerID: try c.text("partner_id", row), actionID: try c.text("action_id", row),
                    time: try c.time("time", row)))
        }
        return result
    }
}
