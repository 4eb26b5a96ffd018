import Foundation
import Testing

/// `switchboard recruit --new-partners` and `evaluate profiles`' new-partner figures through the real executable,
/// on the committed sample.
@Suite("CLI: recruit new partners")
struct RecruitCLITests {
    static func path(_ relative: String) -> String { ReportCLITests.path(relative) }

    /// The sample's partners in the programme at its last period whose first performance row is among the last
    /// `newWithin`, with their periods and deals, read straight from performance.csv.
    static func expectedNewPartners(newWithin: Int) throws -> [String: (periods: Int, deals: Int)] {
        let text = try String(contentsOfFile: path("Data/ecosystem/performance.csv"), encoding: .utf8)
        var rows: [String: [(period: Int, deals: Int)]] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            rows[fields[0], default: []].append((Int(fields[1])!, Int(fields[2])!))
        }
        let end = rows.values.flatMap { $0.map(\.period) }.max()! + 1
        var expected: [String: (periods: Int, deals: Int)] = [:]
        for (id, own) in rows
        where own.contains(where: { $0.period == end - 1 }) && own.map(\.period).min()! >= end - newWithin {
            expected[id] = (own.count, own.reduce(0) { $0 + $1.deals })
        }
        return expected
    }

    @Test func writesTheNewPartnersOfTheSample() throws {
        let workspace = try Workspace()
        let result = try workspace.run([
            "recruit", "--data", Self.path("Data/ecosystem"), "--new-partners", "new.csv", "--new-within", "12", "--top", "3",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try workspace.files() == ["new.csv"])
        let expected = try Self.expectedNewPartners(newWithin: 12)
        #expect(expected.count >= 10)
        let lines = try workspace.read("new.csv").split(separator: "\n").map(String.init)
        #expect(
            lines.first
                == "partner_id,segment,months_active,deals_so_far,revenue_so_far,behaviour_months,logins_per_month,"
                + "registrations_per_month,top_probability,deals_only_probability,application_probability,rank,reasons"
        )
        var seen: Set<String> = []
        var previous = 2.0
        for (index, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",", maxSplits: 12, omittingEmptySubsequences: false).map(String.init)
            #expect(fields.count == 13, "\(line)")
            guard fields.count == 13, let e = expected[fields[0]] else {
                Issue.record("not a new partner: \(line)")
                continue
            }
            seen.insert(fields[0])
            #expect(Int(fields[2]) == e.periods && Int(fields[3]) == e.deals, "\(line)")
            let months = try #require(Int(fields[5]))
            #expect(months == min(e.periods, 3), "\(line)")
            #expect(Double(fields[6]) != nil && Double(fields[7]) != nil, "\(line)")
            let p = try #require(Double(fields[8])), dealsOnly = try #require(Double(fields[9]))
            let prior = try #require(Double(fields[10]))
            #expect((0...1).contains(p) && (0...1).contains(dealsOnly) && (0...1).contains(prior), "\(line)")
            #expect(p <= previous, "\(line)")
            previous = p
            #expect(Int(fields[11]) == index + 1)
            let words =
                "\(e.deals) \(e.deals == 1 ? "deal" : "deals") in \(e.periods) \(e.periods == 1 ? "month" : "months")"
            #expect(fields[12].contains("\(words) (partners like it: "), "\(line)")
            #expect(fields[12].contains("deal registrations a month over its first"), "\(line)")
        }
        #expect(seen == Set(expected.keys))
        #expect(result.stdout.contains("new partners (first period within the last 12, 3 of \(expected.count)):"))
        #expect(result.stdout.hasSuffix("wrote \(expected.count) new partners to new.csv\n"))

        // With applicants too: both files, and the default window of 6 periods.
        let both = try workspace.run([
            "recruit", "--data", Self.path("Data/ecosystem"), "--applicants", Self.path("Data/ecosystem/applicants.csv"),
            "--out", "apps.csv", "--new-partners", "new6.csv",
        ])
        #expect(both.status == 0, "\(both.stderr)")
        #expect(try workspace.files() == ["new.csv", "new6.csv", "apps.csv"])
        let six = try Self.expectedNewPartners(newWithin: 6)
        #expect(try workspace.read("new6.csv").split(separator: "\n").count == six.count + 1)
        #expect(try workspace.read("apps.csv").hasPrefix("applicant_id,segment,top_probability,rank,reasons\n"))
        #expect(both.stdout.contains("wrote 1500 applicants to apps.csv"))
    }

    @Test func evaluateProfilesReportsTheNewPartners() throws {
        let workspace = try Workspace()
        let result = try workspace.run([
            "evaluate", "profiles", "--data", Self.path("Data/ecosystem"), "--new-within", "12", "--json", "ep.json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(workspace.read("ep.json").utf8)) as? [String: Any])
        let expected = try Self.expectedNewPartners(newWithin: 12)
        #expect(json["new_partners"] as? Int == expected.count && json["new_within"] as? Int == 12)
        for key in [
            "new_partner_auc", "new_partner_deals_only_auc", "new_partner_applicant_only_auc", "new_partner_truth_auc",
            "applicant_auc",
        ] {
            let value = try #require(json[key] as? Double, "\(key)")
            #expect((0...1).contains(value), "\(key)")
        }
        #expect(
            result.stdout.contains(
                "new partners (first period within the last 12): \(expected.count), AUC with their behaviour and early deals "
            ))
    }
}
