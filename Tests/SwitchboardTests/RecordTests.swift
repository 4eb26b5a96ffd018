import Testing
import Learning
import LinearAlgebra
@testable import Switchboard

func table(_ text: String, _ name: String = "records.csv") throws -> CSVTable {
    try CSVTable(parsing: Array(text.utf8), source: name)
}

let partnerHeader = RecordLoader.partnerColumns.joined(separator: ",")

func partnerRow(
    id: String = "P1", type: String = "reseller", capacity: String = "10", open: String = "2",
    status: String = "active", joined: String = "2024-03-01"
) -> String {
    "\(id),Acme,\(type),gold,EMEA,DE,finance;retail,cloud,security,\(capacity),\(open),\(status),M1,\(joined),40,2,5,1000,250000"
}

@Suite("Timestamps")
struct TimestampTests {
    /// Days since 1970-01-01 by walking the calendar one year and month at a time.
    static func naiveDays(_ year: Int, _ month: Int, _ day: Int) -> Int {
        var days = 0
        if year >= 1970 {
            for y in 1970..<year { days += Timestamp.isLeap(y) ? 366 : 365 }
        } else {
            for y in year..<1970 { days -= Timestamp.isLeap(y) ? 366 : 365 }
        }
        for m in 1..<month { days += Timestamp.daysInMonth(year: year, month: m) }
        return days + day - 1
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func civilConversionMatchesCalendarWalk(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<300 {
            let year = 1900 + Int(rng.nextUniform() * 250), month = 1 + Int(rng.nextUniform() * 12)
            let day = 1 + Int(rng.nextUniform() * Double(Timestamp.daysInMonth(year: year, month: month)))
            let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
            #expect(days == Self.naiveDays(year, month, day))
            let (y, m, d) = Timestamp.civilFromDays(days)
            #expect(y == year && m == month && d == day)
        }
    }

    @Test func parsesAndPrintsISO() throws {
        let t = try #require(Timestamp(iso: "2026-11-23T22:52:07Z"))
        #expect(t.description == "2026-11-23T22:52:07Z")
        #expect(Timestamp(iso: "2026-11-23")?.description == "2026-11-23T00:00:00Z")
        #expect(Timestamp(iso: "2026-11-23 08:15")?.description == "2026-11-23T08:15:00Z")
        #expect(Timestamp(iso: "2024-02-29T10:00:00.123Z")?.description == "2024-02-29T10:00:00Z")
        #expect(Timestamp(iso: "1969-12-31T23:59:59Z")?.secondsSinceEpoch == -1)
        for bad in [
            "2023-02-29", "2026-13-01", "2026-1-01", "yesterday", "2026-11-23T25:00", "2026-11-23Tx", "2026-11-23T10:00:00+02:00",
        ] {
            #expect(Timestamp(iso: Substring(bad)) == nil, "\(bad)")
        }
    }
}

@Suite("Ecosystem records")
struct RecordTests {
    @Test func loadsAWellFormedPartner() throws {
        let partners = try RecordLoader.partners(
            try table(
                "\(partnerHeader)\n\(partnerRow())\n\(partnerRow(id: "P2", type: "System Integrator", status: "out of office"))\n"
            ))
        #expect(partners.count == 2)
        #expect(partners[0].verticals == ["finance", "retail"])
        #expect(partners[0].remainingCapacity == 8)
        #expect(partners[1].type == .systemIntegrator && partners[1].status == .outOfOffice)
    }

    @Test(arguments: [
        (partnerRow(capacity: "-1"), "records.csv:2: column 'capacity': '-1' must be at least 0"),
        (partnerRow(capacity: "ten"), "records.csv:2: column 'capacity': expected a number, got 'ten'"),
        (partnerRow(capacity: "2.5"), "records.csv:2: column 'capacity': '2.5' must be a whole number"),
        (partnerRow(type: "wizard"), "records.csv:2: column 'type': 'wizard' is not one of"),
        (partnerRow(status: "asleep"), "records.csv:2: column 'status': 'asleep' is not one of"),
        (partnerRow(joined: "last year"), "records.csv:2: column 'joined': expected a date"),
    ])
    func rejectsBadPartnerCells(row: String, message: String) throws {
        let t = try table("\(partnerHeader)\n\(row)\n")
        do {
            _ = try RecordLoader.partners(t)
            Issue.record("expected an error for \(row)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
        }
    }

    @Test func rejectsDuplicatePartnerIDsAndMissingColumns() throws {
        #expect(throws: RecordError.duplicateID(file: "records.csv", line: 3, column: "id", id: "P1", firstLine: 2)) {
            _ = try RecordLoader.partners(try table("\(partnerHeader)\n\(partnerRow())\n\(partnerRow())\n"))
        }
        #expect(throws: RecordError.missingColumn(file: "records.csv", column: "type")) {
            _ = try RecordLoader.partners(try table("id,name\nP1,Acme\n"))
        }
    }

    static let leadHeader =
        "id,created,region,country,vertical,technology,size_band,estimated_value,source,required_certifications,account_id"
    static let outcomeHeader = "lead_id,partner_id,assigned,outcome,closed,revenue"

    @Test func outcomesAreCheckedInThemselvesAndAcrossFiles() throws {
        let partners = try RecordLoader.partners(try table("\(partnerHeader)\n\(partnerRow())\n", "partners.csv"))
        let leads = try RecordLoader.leads(
            try table("\(Self.leadHeader)\nL1,2026-01-05,EMEA,DE,finance,cloud,50-249,20000,web,,\n", "leads.csv"))
        #expect(leads[0].requiredCertifications.isEmpty && leads[0].accountID == nil)
        func outcomes(_ rows: String) throws -> (CSVTable, [Outcome]) {
            let t = try table("\(Self.outcomeHeader)\n\(rows)\n", "outcomes.csv")
            return (t, try RecordLoader.outcomes(t))
        }
        #expect(throws: RecordError.self) { _ = try outcomes("L1,P1,2026-01-10,won,2026-01-09,100") }
        #expect(throws: RecordError.emptyValue(file: "outcomes.csv", line: 2, column: "closed")) {
            _ = try outcomes("L1,P1,2026-01-10,won,,100")
        }
        #expect(throws: RecordError.self) { _ = try outcomes("L1,P1,2026-01-10,lost,2026-01-20,100") }
        #expect(throws: RecordError.self) { _ = try outcomes("L1,P1,2026-01-10,maybe,2026-01-20,0") }
        let sources = EcosystemSources()
        for (row, column) in [
            ("L9,P1,2026-01-10,won,2026-01-20,100", "lead_id"), ("L1,P9,2026-01-10,won,2026-01-20,100", "partner_id"),
        ] {
            let (t, records) = try outcomes(row)
            var ecosystem = Ecosystem(partners: partners, leads: leads, outcomes: records, sources: sources)
            ecosystem.sources.lines[.outcomes] = t.recordLines
            #expect(throws: RecordError.self) { try ecosystem.validate() }
            do {
                try ecosystem.validate()
            } catch {
                #expect(error.description.contains("outcomes.csv:2: column '\(column)'"))
            }
        }
        let (early, earlyRecords) = try outcomes("L1,P1,2026-01-01,expired,,0")
        #expect(throws: RecordError.self) {
            _ = early
            try Ecosystem(partners: partners, leads: leads, outcomes: earlyRecords, sources: sources).validate()
        }
        let (good, goodRecords) = try outcomes("L1,P1,2026-01-06,won,2026-02-01,18000")
        _ = good
        try Ecosystem(partners: partners, leads: leads, outcomes: goodRecords, sources: sources).validate()
        #expect(throws: RecordError.emptySet(file: "partners.csv", what: "partners")) {
            try Ecosystem(partners: [], sources: sources).validate()
        }
    }

    @Test func activityActionsAndHistory() throws {
        let activity = try RecordLoader.activity(
            try table(
                "partner_id,period,portal_logins,trainings_completed,deal_registrations,marketing_funds_used,revenue,churned_next\nP1,0,10,1,2,0,5000,no\nP1,1,4,0,1,0,0,yes\n"
            ))
        #expect(activity.map(\.churnedNext) == [false, true])
        #expect(throws: RecordError.self) {
            _ = try RecordLoader.activity(
                try table(
                    "partner_id,period,portal_logins,trainings_completed,deal_registrations,marketing_funds_used,revenue,churned_next\nP1,0,10,1,2,0,5000,no\nP1,0,4,0,1,0,0,yes\n"
                ))
        }
        let actions = try RecordLoader.actions(
            try table(
                "id,name,type,eligible_types,eligible_tiers,cost,effects\nA1,Security course,training,reseller;msp,,500,trainings_completed=+2;quality=+0.3\n"
            ))
        #expect(
            actions[0].effects == [
                ActionEffect(attribute: "quality", change: 0.3), ActionEffect(attribute: "trainings_completed", change: 2),
            ])
        #expect(actions[0].eligibleTypes.contains(.msp) && actions[0].eligibleTiers.isEmpty)
        #expect(throws: RecordError.self) {
            _ = try RecordLoader.actions(
                try table("id,name,type,eligible_types,eligible_tiers,cost,effects\nA1,X,training,,,500,quality\n"))
        }
        #expect(throws: RecordError.self) {
            _ = try RecordLoader.actions(
                try table("id,name,type,eligible_types,eligible_tiers,cost,effects\nA1,X,training,wizard,,500,\n"))
        }
    }
}
