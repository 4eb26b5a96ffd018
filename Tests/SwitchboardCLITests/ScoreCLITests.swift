import Foundation
import Testing

/// `switchboard score` through the real executable, on the committed sample and on broken inputs.
@Suite("CLI: score")
struct ScoreCLITests {
    /// The repository root (for Data/ and Models/).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static let inputs = [
        "--model", path("Models/match.json"), "--partners", path("Data/ecosystem/partners.csv"),
    ]

    @Test func scoresTheSampleAsCSVAndJSONLinesFromFilesAndStandardInput() throws {
        let workspace = try Workspace()
        let csv = try workspace.run(
            ["score"] + Self.inputs + ["--leads", Self.path("Data/ecosystem/incoming.csv"), "--top", "3", "--out", "scores.csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(csv.stdout.contains("Scored 3000 leads"))
        let lines = try workspace.read("scores.csv").split(separator: "\n")
        #expect(
            lines[0] == "lead_id,lead_score,eligible_partners,rank,partner_id,win_probability,expected_value,account_owner,reason"
        )
        // Every lead appears, with ranks 1, 2, 3… and probabilities not increasing down its list.
        var byLead: [String: [(rank: Int, probability: Double)]] = [:]
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            #expect(fields.count == 9)
            if fields[3].isEmpty {
                #expect(!fields[8].isEmpty)
                byLead[fields[0]] = []
            } else {
                byLead[fields[0], default: []].append((Int(fields[3])!, Double(fields[5])!))
            }
        }
        #expect(byLead.count == 3000)
        for (_, list) in byLead {
            #expect(list.map(\.rank) == Array(1...max(1, list.count)).prefix(list.count).map { $0 })
            #expect(zip(list, list.dropFirst()).allSatisfy { $0.probability >= $1.probability })
            #expect(list.count <= 3)
        }

        // JSON lines, from standard input, in chunks of 100: the same scores.
        try workspace.write(
            "incoming.csv",
            String(decoding: try Data(contentsOf: URL(fileURLWithPath: Self.path("Data/ecosystem/incoming.csv"))), as: UTF8.self))
        let jsonl = try workspace.run(
            ["score"] + Self.inputs + ["--leads", "-", "--top", "3", "--chunk", "100", "--out", "scores.jsonl"],
            input: "incoming.csv")
        #expect(jsonl.status == 0, "\(jsonl.stderr)")
        let objects = try workspace.read("scores.jsonl").split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(objects.count == 3000)
        for object in objects.prefix(200) {
            let partners = object["partners"] as! [[String: Any]]
            let id = object["lead_id"] as! String
            #expect(partners.map { $0["rank"] as! Int } == byLead[id]!.map(\.rank))
            #expect(
                zip(partners.map { $0["win_probability"] as! Double }, byLead[id]!.map(\.probability)).allSatisfy {
                    abs($0 - $1) < 1e-12
                })
        }
        // To standard output.
        let piped = try workspace.run(
            ["score"] + Self.inputs + ["--leads", "incoming.csv", "--format", "jsonl", "--top", "3", "--out", "-"])
        let written = try workspace.read("scores.jsonl")
        #expect(piped.status == 0 && piped.stdout == written)
    }

    @Test func ownersHeadTheirAccountsListsAndRulesApply() throws {
        let workspace = try Workspace()
        try workspace.write(
            "leads.csv",
            """
            id,created,region,country,vertical,technology,size_band,estimated_value,source,required_certifications,account_id
            L1,2026-01-02T00:00:00Z,EMEA,DE,healthcare,security,smb,10000,web,,A1
            L2,2026-01-02T00:00:00Z,EMEA,DE,healthcare,security,smb,10000,web,,
            L3,2026-01-02T00:00:00Z,Antarctica,AQ,healthcare,security,smb,10000,web,,

            """)
        let first = try workspace.run(["score"] + Self.inputs + ["--leads", "leads.csv", "--top", "50", "--out", "plain.csv"])
        #expect(first.status == 0, "\(first.stderr)")
        let plain = try workspace.read("plain.csv").split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        let l1 = plain.filter { $0[0] == "L1" }
        #expect(l1.count >= 3)
        #expect(try workspace.read("plain.csv").contains("L3,,0,,,,,,\"no partner covers region Antarctica, country AQ\"\n"))
        let last = String(l1.last![4])
        try workspace.write("owners.csv", "account_id,partner_id\nA1,\(last)\n")
        try workspace.write("rules.json", #"{"exclusions":[{"account":"A1","partner":"\#(l1[0][4])"}]}"#)
        let owned = try workspace.run(
            ["score"] + Self.inputs + [
                "--leads", "leads.csv", "--top", "50", "--owners", "owners.csv", "--rules", "rules.json", "--out", "owned.csv",
            ])
        #expect(owned.status == 0, "\(owned.stderr)")
        let rows = try workspace.read("owned.csv").split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        let list = rows.filter { $0[0] == "L1" }
        #expect(list.first?[4] == Substring(last) && list.first?[7] == "true")
        #expect(!list.contains { $0[4] == l1[0][4] })
        #expect(list.count == l1.count - 1)
        // L2 (no account) is untouched by the account's rules.
        #expect(rows.filter { $0[0] == "L2" }.map { $0[4] } == plain.filter { $0[0] == "L2" }.map { $0[4] })
    }

    @Test func badInputsFailWithFileLineAndColumnAndWriteNothing() throws {
        let workspace = try Workspace()
        let header = "id,created,region,country,vertical,technology,size_band,estimated_value,source\n"
        let good = "L1,2026-01-02T00:00:00Z,EMEA,DE,healthcare,security,smb,10000,web\n"
        let cases: [(name: String, text: String, extra: [String], message: String)] = [
            ("missing.csv", "id,created,region\nL1,2026-01-02,EMEA\n", [], "missing.csv: missing column 'country'"),
            (
                "nan.csv", header + good + "L2,2026-01-02T00:00:00Z,EMEA,DE,healthcare,security,smb,NaN,web\n", [],
                "nan.csv:3: column 'estimated_value'"
            ),
            (
                "duplicate.csv", header + good + good.replacingOccurrences(of: "L1", with: "L2") + good, ["--chunk", "1"],
                "duplicate.csv:4: column 'id': duplicate id 'L1' (first on line 2)"
            ),
            ("empty.csv", header, [], "empty.csv: no leads"),
            (
                "badtime.csv", header + "L1,yesterday,EMEA,DE,healthcare,security,smb,10,web\n", [],
                "badtime.csv:2: column 'created'"
            ),
        ]
        for c in cases {
            try workspace.write(c.name, c.text)
            let result = try workspace.run(["score"] + Self.inputs + ["--leads", c.name, "--out", "out.csv"] + c.extra)
            #expect(result.status != 0, "\(c.name)")
            #expect(result.errorLines.first?.contains(c.message) == true, "\(c.name): \(result.stderr)")
            #expect(!workspace.exists("out.csv"), "\(c.name)")
            #expect(try workspace.files().allSatisfy { !$0.contains(".tmp-") }, "\(c.name)")
        }
        try workspace.write("leads.csv", header + good)
        try workspace.write("typo.json", #"{"teritory":"any"}"#)
        let typo = try workspace.run(
            ["score"] + Self.inputs + ["--leads", "leads.csv", "--rules", "typo.json", "--out", "out.csv"])
        #expect(
            typo.status != 0 && typo.errorLines.first?.contains("typo.json: unknown key 'teritory'") == true, "\(typo.stderr)")
        try workspace.write("owners.csv", "account_id,partner_id\nA1,P9999\n")
        let owners = try workspace.run(
            ["score"] + Self.inputs + ["--leads", "leads.csv", "--owners", "owners.csv", "--out", "out.csv"])
        #expect(
            owners.status != 0
                && owners.errorLines.first?.contains("owners.csv:2: column 'partner_id': 'P9999' does not exist") == true,
            "\(owners.stderr)")
        let top = try workspace.run(["score"] + Self.inputs + ["--leads", "leads.csv", "--top", "0", "--out", "out.csv"])
        #expect(top.status != 0 && top.stderr.contains("--top must be at least 1"))
        #expect(!workspace.exists("out.csv"))
    }
}
