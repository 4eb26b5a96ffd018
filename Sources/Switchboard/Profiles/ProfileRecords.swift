import Learning

/// An applicant as the recruitment model reads it: its segment (the value of the segment column), what it covers
/// and its firmographics.
public struct ApplicantRecord: Sendable, Equatable {
    public var id: String
    public var segment: String
    public var verticals: [String]
    public var technologies: [String]
    public var certifications: [String]
    public var firmographics: Firmographics
    /// The 1-based line in its file.
    public var line: Int
}

/// Readers for the files partner intelligence adds to an ecosystem folder (`firmographics.csv`, `performance.csv`,
/// `applicants.csv`, `truth/potential.csv`, `truth/applicants.csv`), each error naming file, line and column.
public enum ProfileRecords {
    /// `partner_id, employees, years_in_business, certified_staff`, for partners of `partnerIDs`.
    public static func firmographics(
        _ source: RecordSource, partnerIDs: Set<String>, partnersFile: String, delimiter: CSVDelimiter?
    )
        throws -> [String: Firmographics]
    {
        let c = try RecordColumns(table(source, delimiter), required: PotentialFiles.firmographicsColumns)
        var ids = UniqueKeys()
        var result: [String: Firmographics] = [:]
        for row in 0..<c.rowCount {
            let id = try c.text("partner_id", row)
            try ids.insert(id, column: "partner_id", row: row, in: c)
            guard partnerIDs.contains(id) else {
                throw RecordError.unknownReference(
                    file: c.file, line: c.line(row), column: "partner_id", id: id, referencedFile: partnersFile)
            }
            result[id] = try firmographics(c, row)
        }
        return result
    }

    /// `partner_id, period, sourced_deals, sourced_revenue`: one row a partner a period.
    public static func performance(
        _ source: RecordSource, partnerIDs: Set<String>, partnersFile: String, delimiter: CSVDelimiter?
    )
        throws -> [PartnerPerformance]
    {
        let c = try RecordColumns(table(source, delimiter), required: PotentialFiles.performanceColumns)
        var keys = UniqueKeys()
        var rows: [PartnerPerformance] = []
        for row in 0..<c.rowCount {
            let id = try c.text("partner_id", row)
            guard partnerIDs.contains(id) else {
                throw RecordError.unknownReference(
                    file: c.file, line: c.line(row), column: "partner_id", id: id, referencedFile: partnersFile)
            }
            let period = try c.integer("period", row, minimum: 0)
            try keys.insert(
                "\(id)\u{0}\(period)", label: "\(id), period \(period)", column: "partner_id, period", row: row, in: c)
            rows.append(
                PartnerPerformance(
                    partnerID: id, period: period, deals: try c.number("sourced_deals", row, minimum: 0),
                    revenue: try c.number("sourced_revenue", row, minimum: 0)))
        }
        if rows.isEmpty { throw RecordError.emptySet(file: c.file, what: "performance rows") }
        return rows
    }

    /// The applicants: `applicant_id`, the segment column, `employees`, `years_in_business`, `certified_staff`, and
    /// optionally `verticals`, `technologies`, `certifications` and `region`. Any other column is refused: the
    /// model would silently ignore it.
    public static func applicants(_ source: RecordSource, segmentColumn: String, delimiter: CSVDelimiter?) throws
        -> [ApplicantRecord]
    {
        let table = try table(source, delimiter)
        let required = ["applicant_id", segmentColumn, "employees", "years_in_business", "certified_staff"]
        let optional = ["verticals", "technologies", "certifications", "region"]
        for name in table.header where !(required + optional).contains(name.trimmingBlanks()) {
            throw RecordError.impossibleValue(
                file: table.source, line: 1, column: name, value: name,
                reason: "is not a column the recruitment model knows (it reads \((required + optional).joined(separator: ", ")))")
        }
        let c = try RecordColumns(table, required: required, optional: optional)
        var ids = UniqueKeys()
        var result: [ApplicantRecord] = []
        for row in 0..<c.rowCount {
            let id = try c.text("applicant_id", row)
            try ids.insert(id, column: "applicant_id", row: row, in: c)
            result.append(
                ApplicantRecord(
                    id: id, segment: try c.text(segmentColumn, row), verticals: c.set("verticals", row),
                    technologies: c.set("technologies", row), certifications: c.set("certifications", row),
                    firmographics: try firmographics(c, row), line: c.line(row)))
        }
        if result.isEmpty { throw RecordError.emptySet(file: c.file, what: "applicants") }
        return result
    }

    /// `id column, top_probability, top_performer` (truth/potential.csv or truth/applicants.csv).
    public static func truth(_ source: RecordSource, idColumn: String, delimiter: CSVDelimiter?) throws
        -> [String: (probability: Double, top: Bool)]
    {
        let c = try RecordColumns(table(source, delimiter), required: [idColumn, "top_probability", "top_performer"])
        var result: [String: (probability: Double, top: Bool)] = [:]
        var ids = UniqueKeys()
        for row in 0..<c.rowCount {
            let id = try c.text(idColumn, row)
            try ids.insert(id, column: idColumn, row: row, in: c)
            result[id] = (try c.number("top_probability", row, minimum: 0), try c.boolean("top_performer", row))
        }
        return result
    }

    /// The value of `column` of every partner, in file order, from the partners file (the segment of each).
    /// - Throws: `RecordError.missingColumn` when there is no such column, `emptyValue` for a blank cell.
    public static func segments(_ source: RecordSource, column: String, delimiter: CSVDelimiter?) throws -> [String] {
        let c = try RecordColumns(table(source, delimiter), required: [column])
        return try (0..<c.rowCount).map { row throws(RecordError) in try c.text(column, row) }
    }

    static func firmographics(_ c: RecordColumns, _ row: Int) throws(RecordError) -> Firmographics {
        Firmographics(
            employees: try c.integer("employees", row, minimum: 0),
            yearsInBusiness: try c.integer("years_in_business", row, minimum: 0),
            certifiedStaff: try c.integer("certified_staff", row, minimum: 0))
    }

    static func table(_ source: RecordSource, _ delimiter: CSVDelimiter?) throws(CSVError) -> CSVTable {
        try CSVTable(parsing: source.bytes, source: source.name, delimiter: delimiter)
    }
}
