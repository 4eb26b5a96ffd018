import Foundation
import Learning

/// The CSV and JSON-lines formats of `switchboard route`: reading candidates, capacities and prices (every error
/// naming file, line and column), writing plans and prices, and the streamed requests and decisions.
public enum RoutingFiles {
    public static let candidateColumns = ["lead_id", "partner_id", "expected_value"]
    public static let optionalCandidateColumns = ["win_probability", "account_owner", "eligible", "deal_value"]
    public static let capacityColumns = ["partner_id", "capacity"]
    public static let optionalCapacityColumns = ["open_leads", "guaranteed_share", "win_rate_uncertainty", "weight"]
    public static let priceColumns = ["partner_id", "shadow_price", "remaining_capacity"]
    public static let planColumns = [
        "lead_id", "partner_id", "expected_value", "win_probability", "rank", "candidates", "shadow_price",
        "best_alternative", "alternative_expected_value", "alternative_not_chosen", "reason",
    ]

    /// The partners of a capacities table: `partner_id`, `capacity` (a whole number ≥ 0), and optionally
    /// `open_leads` (≥ 0, default 0), `guaranteed_share` (true/false, default false), `win_rate_uncertainty` (≥ 0,
    /// default 0) and `weight` (> 0; default the capacity left).
    /// - Throws: `RecordError` naming the file, line and column; `emptySet` for a table without rows.
    public static func capacities(_ table: CSVTable) throws(RecordError) -> [PartnerCapacity] {
        let columns = try RecordColumns(table, required: capacityColumns, optional: optionalCapacityColumns)
        var ids = UniqueKeys()
        var partners: [PartnerCapacity] = []
        partners.reserveCapacity(columns.rowCount)
        for row in 0..<columns.rowCount {
            let id = try columns.text("partner_id", row)
            try ids.insert(id, column: "partner_id", row: row, in: columns)
            let weight = try columns.optionalNumber("weight", row)
            if let weight, weight <= 0 {
                throw .impossibleValue(
                    file: columns.file, line: columns.line(row), column: "weight", value: "\(weight)", reason: "must be > 0")
            }
            partners.append(
                PartnerCapacity(
                    partnerID: id, capacity: try columns.integer("capacity", row, minimum: 0),
                    openLeads: columns.optionalText("open_leads", row) == nil
                        ? 0 : try columns.integer("open_leads", row, minimum: 0),
                    guaranteedMinimumShare: columns.optionalText("guaranteed_share", row) == nil
                        ? false : try columns.boolean("guaranteed_share", row),
                    winRateUncertainty: try columns.optionalNumber("win_rate_uncertainty", row, minimum: 0) ?? 0,
                    weight: weight))
        }
        if partners.isEmpty { throw .emptySet(file: columns.file, what: "partners") }
        return partners
    }

    /// The routing problem of a candidates table against `partners`: `lead_id`, `partner_id`, `expected_value` (a
    /// finite number), and optionally `win_probability` (in [0, 1]), `account_owner` and `eligible` (true/false,
    /// defaults false and true) and `deal_value` (≥ 0, the same on every row of a lead). A lead's rows need not be
    /// adjacent; leads keep the order of their first rows.
    /// - Throws: `RecordError` naming the file, line and column: a partner not in `capacitiesSource`, a partner twice
    ///   for a lead, two account owners for a lead, a bad number; `emptySet` for a table without rows.
    public static func problem(_ table: CSVTable, partners: [PartnerCapacity], capacitiesSource: String) throws(RecordError)
        -> RoutingProblem
    {
        let columns = try RecordColumns(table, required: candidateColumns, optional: optionalCandidateColumns)
        if columns.rowCount == 0 { throw .emptySet(file: columns.file, what: "candidates") }
        var problem: RoutingProblem
        do {
            problem = try RoutingProblem(partners: partners)
        } catch {
            throw .impossibleValue(
                file: capacitiesSource, line: 0, column: "partner_id", value: "", reason: error.description)
        }
        // Rows grouped by lead, in order of each lead's first row.
        var leadOfRow = [Int](repeating: 0, count: columns.rowCount)
        var leadIDs: [String] = []
        var leadNumber: [String: Int] = [:]
        for row in 0..<columns.rowCount {
            let id = try columns.text("lead_id", row)
            if let number = leadNumber[id] {
                leadOfRow[row] = number
            } else {
                leadNumber[id] = leadIDs.count
                leadOfRow[row] = leadIDs.count
                leadIDs.append(id)
            }
        }
        var rowStart = [Int](repeating: 0, count: leadIDs.count + 1)
        for lead in leadOfRow { rowStart[lead + 1] += 1 }
        for lead in 0..<leadIDs.count { rowStart[lead + 1] += rowStart[lead] }
        var rows = [Int](repeating: 0, count: columns.rowCount)
        var fill = rowStart
        for (row, lead) in leadOfRow.enumerated() {
            rows[fill[lead]] = row
            fill[lead] += 1
        }
        var candidates: [RoutingCandidate] = []
        var firstLine: [String: Int] = [:]
        for (lead, id) in leadIDs.enumerated() {
            candidates.removeAll(keepingCapacity: true)
            firstLine.removeAll(keepingCapacity: true)
            var deal: (value: Double, line: Int)?
            var ownerLine: Int?
            for row in rows[rowStart[lead]..<rowStart[lead + 1]] {
                let line = columns.line(row)
                let partner = try columns.text("partner_id", row)
                guard problem.partnerPosition(of: partner) != nil else {
                    throw .unknownReference(
                        file: columns.file, line: line, column: "partner_id", id: partner, referencedFile: capacitiesSource)
                }
                if let first = firstLine.updateValue(line, forKey: partner) {
                    throw .impossibleValue(
                        file: columns.file, line: line, column: "partner_id", value: partner,
                        reason: "is a candidate twice for lead '\(id)' (first on line \(first))")
                }
                let value = try columns.number("expected_value", row)
                let probability = try columns.optionalNumber("win_probability", row, minimum: 0)
                if let probability, probability > 1 {
                    throw .impossibleValue(
                        file: columns.file, line: line, column: "win_probability", value: "\(probability)",
                        reason: "must be at most 1")
                }
                let owner = columns.optionalText("account_owner", row) == nil ? false : try columns.boolean("account_owner", row)
                if owner {
                    if let ownerLine {
                        throw .impossibleValue(
                            file: columns.file, line: line, column: "account_owner",
                            value: columns.optionalText("account_owner", row)!,
                            reason: "marks a second account owner for lead '\(id)' (the first on line \(ownerLine))")
                    }
                    ownerLine = line
                }
                let eligible = columns.optionalText("eligible", row) == nil ? true : try columns.boolean("eligible", row)
                if let value = try columns.optionalNumber("deal_value", row, minimum: 0) {
                    if let deal, deal.value != value {
                        throw .impossibleValue(
                            file: columns.file, line: line, column: "deal_value", value: columns.optionalText("deal_value", row)!,
                            reason: "differs from lead '\(id)''s deal value on line \(deal.line)")
                    }
                    deal = (value, line)
                }
                candidates.append(
                    RoutingCandidate(
                        partnerID: partner, expectedValue: value, winProbability: probability, isAccountOwner: owner,
                        isEligible: eligible))
            }
            do {
                try problem.addLead(id: id, candidates: candidates, dealValue: deal?.value)
            } catch {
                throw .impossibleValue(
                    file: columns.file, line: columns.line(rows[rowStart[lead]]), column: "lead_id", value: id,
                    reason: error.description)
            }
        }
        return problem
    }

    /// The partners' prices of a prices table (as written by `pricesCSV`): `partner_id`, `shadow_price` (≥ 0),
    /// `remaining_capacity` (a whole number ≥ 0).
    /// - Throws: `RecordError` naming the file, line and column; `emptySet` for a table without rows.
    public static func prices(_ table: CSVTable) throws(RecordError) -> [PartnerPrice] {
        let columns = try RecordColumns(table, required: priceColumns)
        var ids = UniqueKeys()
        var prices: [PartnerPrice] = []
        for row in 0..<columns.rowCount {
            let id = try columns.text("partner_id", row)
            try ids.insert(id, column: "partner_id", row: row, in: columns)
            prices.append(
                PartnerPrice(
                    partnerID: id, shadowPrice: try columns.number("shadow_price", row, minimum: 0),
                    remainingCapacity: try columns.integer("remaining_capacity", row, minimum: 0)))
        }
        if prices.isEmpty { throw .emptySet(file: columns.file, what: "partners") }
        return prices
    }

    /// The plan as CSV: one row per lead in the problem's order, with `planColumns`. An unassigned lead has an empty
    /// `partner_id` and its reason; an assigned lead's `reason` is its basis (`account owner`, `minimum share`, or the
    /// policy's name). Money is written with the decimals of `resolution`.
    public static func planCSV(_ plan: RoutingPlan, resolution: Double) -> String {
        let decimals = self.decimals(resolution)
        var rows = [String?](repeating: nil, count: plan.assignments.count + plan.unassigned.count)
        var text = CSVWriter.line(planColumns)
        func alternativeFields(_ alternative: RoutingAlternative?) -> String {
            guard let alternative else { return ",," }
            return CSVWriter.field(alternative.partnerID) + ",\(alternative.expectedValue)," + alternative.reason.rawValue
        }
        for assignment in plan.assignments {
            var line = CSVWriter.field(assignment.leadID) + "," + CSVWriter.field(assignment.partnerID)
            line += ",\(assignment.expectedValue)," + (assignment.winProbability.map { "\($0)" } ?? "")
            line += ",\(assignment.rank),\(assignment.candidateCount),"
            line += assignment.shadowPrice.map { format($0, decimals: decimals) } ?? ""
            line += "," + alternativeFields(assignment.bestAlternative) + ","
            line += assignment.basis == .policy ? plan.policy.rawValue : assignment.basis.rawValue
            rows[assignment.leadIndex] = line + "\n"
        }
        for lead in plan.unassigned {
            var line = CSVWriter.field(lead.leadID) + ",,,,,\(lead.candidateCount),,"
            line += alternativeFields(lead.bestAlternative) + "," + lead.reason.rawValue
            rows[lead.leadIndex] = line + "\n"
        }
        text.reserveCapacity(rows.count * 80)
        for row in rows { text += row ?? "" }
        return text
    }

    /// The partners' prices as CSV: `partner_id,shadow_price,remaining_capacity,assigned`, readable by `prices(_:)`.
    public static func pricesCSV(_ plan: RoutingPlan, resolution: Double) -> String {
        let decimals = self.decimals(resolution)
        var text = CSVWriter.line(priceColumns + ["assigned"])
        for partner in plan.partners {
            text += CSVWriter.field(partner.partnerID) + "," + format(partner.shadowPrice ?? 0, decimals: decimals)
            text += ",\(partner.remainingCapacity),\(partner.assigned)\n"
        }
        return text
    }

    /// How many decimals a multiple of `resolution` needs (0.01 → 2, 1 → 0, 0.5 → 1), at most 12.
    public static func decimals(_ resolution: Double) -> Int {
        var decimals = 0
        var scaled = resolution
        while decimals < 12 && abs(scaled - scaled.rounded()) > 1e-9 * max(1, abs(scaled)) {
            scaled *= 10
            decimals += 1
        }
        return decimals
    }

    /// `value` with `decimals` decimals.
    public static func format(_ value: Double, decimals: Int) -> String { NumberFormat.fixed(value, decimals) }

    // MARK: - Streaming

    /// One streamed request: `{"lead_id": "…", "candidates": [{"partner_id": "…", "expected_value": 1.5,
    /// "win_probability": 0.3, "eligible": true}, …]}` (`win_probability` and `eligible` optional).
    /// - Throws: `RoutingError.badRequest` naming `source` and `line`.
    public static func request(_ text: Substring, source: String, line: Int) throws(RoutingError)
        -> (leadID: String, candidates: [RoutingCandidate])
    {
        func fail(_ message: String) -> RoutingError { .badRequest(source: source, line: line, message: message) }
        let object: Any
        do {
            object = try StrictJSON.parse(Array(text.utf8))
        } catch {
            // One request is one line: its position is the column.
            throw fail(
                error.message.hasPrefix("line 1, column ") ? String(error.message.dropFirst("line 1, ".count)) : error.message)
        }
        guard let request = object as? [String: Any] else { throw fail("expected a JSON object") }
        let known: Set<String> = ["lead_id", "candidates"]
        if let unknown = request.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("unknown key '\(unknown)' (known: lead_id, candidates)")
        }
        guard let leadID = request["lead_id"] as? String, !leadID.isEmpty else {
            throw fail("lead_id: expected a non-empty string")
        }
        guard let list = request["candidates"] as? [Any] else { throw fail("candidates: expected a list") }
        var candidates: [RoutingCandidate] = []
        for (position, item) in list.enumerated() {
            guard let entry = item as? [String: Any] else { throw fail("candidates[\(position)]: expected an object") }
            let allowed: Set<String> = ["partner_id", "expected_value", "win_probability", "eligible"]
            if let unknown = entry.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw fail("candidates[\(position)]: unknown key '\(unknown)'")
            }
            guard let partner = entry["partner_id"] as? String, !partner.isEmpty else {
                throw fail("candidates[\(position)].partner_id: expected a non-empty string")
            }
            guard let value = number(entry["expected_value"]), value.isFinite else {
                throw fail("candidates[\(position)].expected_value: expected a finite number")
            }
            var probability: Double?
            if let raw = entry["win_probability"], !(raw is NSNull) {
                guard let p = number(raw), p >= 0, p <= 1 else {
                    throw fail("candidates[\(position)].win_probability: expected a number in [0, 1]")
                }
                probability = p
            }
            var eligible = true
            if let raw = entry["eligible"] {
                guard isBoolean(raw), let flag = raw as? Bool else {
                    throw fail("candidates[\(position)].eligible: expected true or false")
                }
                eligible = flag
            }
            candidates.append(
                RoutingCandidate(partnerID: partner, expectedValue: value, winProbability: probability, isEligible: eligible))
        }
        return (leadID, candidates)
    }

    /// A JSON number (not a Boolean), or nil.
    private static func number(_ value: Any?) -> Double? {
        guard let value, !isBoolean(value), let number = value as? NSNumber else { return nil }
        return number.doubleValue
    }

    /// Whether JSONSerialization read `value` from `true` or `false` (a Boolean NSNumber, which also casts to Double).
    private static func isBoolean(_ value: Any) -> Bool {
        ObjectIdentifier(type(of: value)) == ObjectIdentifier(type(of: NSNumber(value: true)))
    }

    /// A decision as one JSON line (with its newline): `lead_id`, `partner_id` (null when unassigned),
    /// `expected_value`, `win_probability`, `shadow_price`, `net_value`, `remaining_capacity` and `reason` (null when
    /// assigned).
    public static func jsonLine(_ decision: StreamDecision) -> String {
        func number(_ value: Double?) -> String { value.map { "\($0)" } ?? "null" }
        var text = "{\"lead_id\":" + JSONText.string(decision.leadID)
        text += ",\"partner_id\":" + (decision.partnerID.map(JSONText.string) ?? "null")
        text += ",\"expected_value\":" + number(decision.expectedValue)
        text += ",\"win_probability\":" + number(decision.winProbability)
        text += ",\"shadow_price\":" + number(decision.shadowPrice)
        text += ",\"net_value\":" + number(decision.netValue)
        text += ",\"remaining_capacity\":" + (decision.remainingCapacity.map { "\($0)" } ?? "null")
        text += ",\"reason\":" + (decision.reason.map { JSONText.string($0.rawValue) } ?? "null") + "}\n"
        return text
    }
}
