import Foundation
import Testing

// These tests run the real `switchboard segment` as a subprocess, each in a folder of its own (see Workspace.swift).

private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The text of a file of the shipped sample.
private func sampleFile(_ relativePath: String) throws -> String {
    String(decoding: try Data(contentsOf: repositoryRoot.appendingPathComponent(relativePath)), as: UTF8.self)
}

extension Workspace {
    /// Copies the ecosystem sample's partners, activity, outcomes and leads, and the churn model, into the work folder.
    fileprivate func copySample() throws {
        for name in ["partners.csv", "activity.csv", "outcomes.csv", "leads.csv"] {
            try write(name, try sampleFile("Data/ecosystem/\(name)"))
        }
        try write("churn.json", try sampleFile("Models/churn.json"))
    }
}

/// Header and rows of a CSV without quoted line breaks (quoted commas are kept together).
private func records(_ text: String) -> (header: [String], rows: [[String]]) {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    #expect(lines.last == "", "the output ends with a line break")
    lines.removeLast()
    func fields(_ line: String) -> [String] {
        var result: [String] = [], current = "", quoted = false
        var characters = Array(line)[...]
        while let c = characters.popFirst() {
            if quoted {
                if c == "\"" {
                    if characters.first == "\"" {
                        current.append("\"")
                        characters.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                result.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        result.append(current)
        return result
    }
    let all = lines.map(fields)
    return (all.first ?? [], Array(all.dropFirst()))
}

private let fullArguments = [
    "segment", "--partners", "partners.csv", "--activity", "activity.csv", "--outcomes", "outcomes.csv", "--leads",
    "leads.csv", "--churn-model", "churn.json", "--out", "segments.csv",
]

@Suite("CLI: segment")
struct SegmentCLITests {
    @Test func segmentsTheSample() throws {
        let workspace = try Workspace()
        try workspace.copySample()
        let result = try workspace.run(fullArguments)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        for fragment in [
            "segments of 300 partners as of period 23 (moves since period 22)", "behaviour: k = 2", "lifecycle: dormant",
            "value: high", "behaviour: B1", "moves since period 22: 75 partners",
            "wrote segments.csv, segments-kpis.csv, segments-moves.csv",
        ] {
            #expect(result.stdout.contains(fragment), "stdout should contain \"\(fragment)\": \(result.stdout)")
        }

        let (header, rows) = records(try workspace.read("segments.csv"))
        #expect(header.first == "partner_id" && header.contains("lifecycle") && header.contains("churn_risk"))
        #expect(rows.count == 300 && rows.allSatisfy { $0.count == header.count })
        let column = Dictionary(uniqueKeysWithValues: header.enumerated().map { ($1, $0) })
        let partners = records(try workspace.read("partners.csv")).rows.map { $0[0] }
        #expect(rows.map { $0[0] } == partners)
        #expect(rows.allSatisfy { $0[column["period"]!] == "23" })
        let stages = Set(rows.map { $0[column["lifecycle"]!] })
        #expect(stages == ["onboarding", "ramping", "established", "at risk", "dormant"])
        // A partner with several verticals or technologies lists every cell, ';'-separated, its primary among them.
        let multi = try #require(rows.first { $0[column["expertise_cells"]!].contains(";") })
        #expect(multi[column["expertise_cells"]!].split(separator: ";").contains(Substring(multi[column["expertise_cell"]!])))

        let (kpiHeader, kpis) = records(try workspace.read("segments-kpis.csv"))
        #expect(kpiHeader.prefix(4) == ["dimension", "segment", "description", "partners"])
        #expect(kpis.first!.prefix(4) == ["all", "all", "every partner", "300"])
        for dimension in ["type", "expertise", "lifecycle", "value", "behaviour"] {
            #expect(kpis.filter { $0[0] == dimension }.map { Int($0[3])! }.reduce(0, +) == 300, "\(dimension)")
        }
        let (moveHeader, moves) = records(try workspace.read("segments-moves.csv"))
        #expect(moveHeader == ["partner_id", "dimension", "from", "to", "from_period", "to_period"])
        #expect(Set(moves.map { $0[0] }).count == 75)
        #expect(moves.allSatisfy { $0[2] != $0[3] && $0[4] == "22" && $0[5] == "23" })
        #expect(
            try workspace.files()
                == Set(["segments.csv", "segments-kpis.csv", "segments-moves.csv", "churn.json"]).union(
                    ["partners.csv", "activity.csv", "outcomes.csv", "leads.csv"]))

        // Same input, same bytes; explicit --kpis and --moves paths.
        let again = try workspace.run(
            [
                "segment", "--partners", "partners.csv", "--activity", "activity.csv", "--outcomes", "outcomes.csv",
                "--leads", "leads.csv", "--churn-model", "churn.json", "--out", "again.csv", "--kpis", "k.csv", "--moves",
                "m.csv",
            ])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try workspace.read("again.csv") == (try workspace.read("segments.csv")))
        #expect(try workspace.read("k.csv") == (try workspace.read("segments-kpis.csv")))
        #expect(try workspace.read("m.csv") == (try workspace.read("segments-moves.csv")))
    }

    @Test func partnersAloneGiveOneSnapshot() throws {
        let workspace = try Workspace()
        try workspace.copySample()
        let result = try workspace.run(["segment", "--partners", "partners.csv", "--out", "only.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning: without --activity"))
        let (header, rows) = records(try workspace.read("only.csv"))
        #expect(rows.count == 300)
        let column = Dictionary(uniqueKeysWithValues: header.enumerated().map { ($1, $0) })
        #expect(rows.allSatisfy { $0[column["period"]!].isEmpty && $0[column["churn_risk"]!].isEmpty })
        #expect(records(try workspace.read("only-moves.csv")).rows.isEmpty)
    }

    @Test(arguments: segmentFailures)
    func aFailingRunSaysWhereAndWritesNothing(_ failure: SegmentFailure) throws {
        let workspace = try Workspace()
        try workspace.copySample()
        for (name, text) in failure.files { try workspace.write(name, text) }
        try workspace.write("segments.csv", "old\n")
        let before = try workspace.files()

        let result = try workspace.run(failure.arguments)

        expectFailedRun(result, isUsageError: failure.isUsageError)
        for fragment in failure.diagnostics {
            #expect(result.stderr.contains(fragment), "stderr should contain \"\(fragment)\": \(result.stderr)")
        }
        #expect(try workspace.files() == before)
        #expect(try workspace.read("segments.csv") == "old\n")
    }
}

/// A segment run that must fail: non-zero exit, a diagnostic on stderr, nothing written.
struct SegmentFailure: Sendable, CustomTestStringConvertible {
    var name: String
    var files: [String: String] = [:]
    var arguments: [String]
    var diagnostics: [String]
    var isUsageError = false

    var testDescription: String { name }
}

private let segmentFailures: [SegmentFailure] = {
    let partners = (try? sampleFile("Data/ecosystem/partners.csv")) ?? ""
    let activity = (try? sampleFile("Data/ecosystem/activity.csv")) ?? ""
    let outcomes = (try? sampleFile("Data/ecosystem/outcomes.csv")) ?? ""
    let partnerLines = partners.split(separator: "\n").map(String.init)
    let activityLines = activity.split(separator: "\n").map(String.init)
    var outcomeLines = outcomes.split(separator: "\n").map(String.init)
    // Without the tier column (the fourth).
    let noTier =
        partnerLines.map { line in
            var fields = line.split(separator: ",", omittingEmptySubsequences: false)
            fields.remove(at: 3)
            return fields.joined(separator: ",")
        }.joined(separator: "\n") + "\n"
    // Line 8 of activity.csv names a partner that does not exist; line 5 has text in a figure.
    var dangling = activityLines
    dangling[7] = "P9999" + dangling[7].drop { $0 != "," }
    var text = activityLines
    var fields = text[4].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    fields[2] = "lots"
    text[4] = fields.joined(separator: ",")
    // Line 12 of outcomes.csv names a lead that does not exist.
    outcomeLines[11] = "L9999999" + outcomeLines[11].drop { $0 != "," }
    let all = [
        "segment", "--partners", "partners.csv", "--activity", "activity.csv", "--outcomes", "outcomes.csv", "--leads",
        "leads.csv", "--out", "segments.csv",
    ]
    return [
        SegmentFailure(
            name: "missing column", files: ["partners.csv": noTier], arguments: all,
            diagnostics: ["error: partners.csv: missing column 'tier'"]),
        SegmentFailure(
            name: "unknown partner in the activity", files: ["activity.csv": dangling.joined(separator: "\n") + "\n"],
            arguments: all, diagnostics: ["error: activity.csv:8: column 'partner_id': 'P9999' does not exist in partners.csv"]),
        SegmentFailure(
            name: "text in a figure", files: ["activity.csv": text.joined(separator: "\n") + "\n"], arguments: all,
            diagnostics: ["error: activity.csv:5: column 'portal_logins': expected a number, got 'lots'"]),
        SegmentFailure(
            name: "unknown lead in the history", files: ["outcomes.csv": outcomeLines.joined(separator: "\n") + "\n"],
            arguments: all, diagnostics: ["error: outcomes.csv:12: column 'lead_id': 'L9999999' does not exist in leads.csv"]),
        SegmentFailure(
            name: "a missing file", arguments: ["segment", "--partners", "nothing.csv", "--out", "segments.csv"],
            diagnostics: ["error: nothing.csv: no such file"]),
        SegmentFailure(
            name: "a damaged churn model", files: ["bad.json": "{\"header\": 1}"],
            arguments: all + ["--churn-model", "bad.json"], diagnostics: ["error: bad.json"]),
        SegmentFailure(
            name: "history without leads",
            arguments: ["segment", "--partners", "partners.csv", "--outcomes", "outcomes.csv", "--out", "segments.csv"],
            diagnostics: ["--outcomes and --leads go together"], isUsageError: true),
        SegmentFailure(
            name: "churn model without activity",
            arguments: ["segment", "--partners", "partners.csv", "--churn-model", "churn.json", "--out", "segments.csv"],
            diagnostics: ["--churn-model needs --activity"], isUsageError: true),
        SegmentFailure(
            name: "--window 0", arguments: all + ["--window", "0"], diagnostics: ["--window must be at least 1 (got 0)"],
            isUsageError: true),
        SegmentFailure(
            name: "--max-clusters 1", arguments: all + ["--max-clusters", "1"],
            diagnostics: ["--max-clusters must be at least 2 (got 1)"], isUsageError: true),
        SegmentFailure(
            name: "--first-period not a month", arguments: all + ["--first-period", "2024-13"],
            diagnostics: ["--first-period must be a month, YYYY-MM (got '2024-13')"], isUsageError: true),
        SegmentFailure(
            name: "--kpis over --out", arguments: all + ["--kpis", "segments.csv"],
            diagnostics: ["--out, --kpis and --moves must be three different files"], isUsageError: true),
    ]
}()
