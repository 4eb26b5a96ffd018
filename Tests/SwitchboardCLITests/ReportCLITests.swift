import Foundation
import Testing

/// `switchboard report` through the real executable: the committed sample, and broken inputs that must leave nothing.
@Suite("CLI: report")
struct ReportCLITests {
    /// The repository root (for Data/ and Models/).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static let recordFiles = [
        "partners.csv", "leads.csv", "outcomes.csv", "activity.csv", "actions.csv", "action_history.csv", "incoming.csv",
        "truth/partners.csv", "truth/pairs.csv", "firmographics.csv", "performance.csv", "applicants.csv",
    ]

    /// A copy of the sample's record files in `data/` and of the models in `models/`, inside the workspace.
    static func copySample(to workspace: Workspace) throws {
        let manager = FileManager.default
        for folder in ["data", "data/truth", "models"] {
            try manager.createDirectory(at: workspace.work.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        for name in recordFiles {
            try manager.copyItem(
                atPath: path("Data/ecosystem/\(name)"), toPath: workspace.work.appendingPathComponent("data/\(name)").path)
        }
        for name in ["match.json", "churn.json", "leads.json"] {
            try manager.copyItem(
                atPath: path("Models/\(name)"), toPath: workspace.work.appendingPathComponent("models/\(name)").path)
        }
    }

    @Test func writesTheReportOfTheSample() throws {
        let workspace = try Workspace()
        let result = try workspace.run([
            "report", "--data", Self.path("Data/ecosystem"), "--models", Self.path("Models"), "--out", "report.html",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("channel report as of 2026-01-02: 300 partners, 3000 incoming leads"))
        #expect(result.stdout.contains("match model: ROC AUC 0.7421") && result.stdout.hasSuffix("wrote report.html\n"))
        // The replay, valued by the sample's truth, at the recorded capacity and at half of it.
        #expect(result.stdout.contains("(capacity × 1.0); expected wins by the true win probabilities"))
        #expect(result.stdout.contains("(capacity × 0.5); expected wins by the true win probabilities"))
        let html = try workspace.read("report.html")
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
        for heading in [
            "1. Model quality", "2. Routing the incoming leads", "3. Replaying the history", "4. Segments",
            "5. Partners most at risk", "6. Channel", "8. What drives the lead score",
        ] {
            #expect(html.contains("<h2>\(heading)"), "\(heading)")
        }
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(try workspace.files() == ["report.html"])

        // The defaults (Data/ecosystem and Models, relative to the working folder) give the same page.
        try Self.copySample(to: workspace)
        try FileManager.default.moveItem(
            at: workspace.work.appendingPathComponent("data"), to: workspace.work.appendingPathComponent("Data/ecosystem"),
            creatingParent: true)
        try FileManager.default.moveItem(
            at: workspace.work.appendingPathComponent("models"), to: workspace.work.appendingPathComponent("Models"),
            creatingParent: false)
        let defaults = try workspace.run(["report", "--out", "again.html"])
        #expect(defaults.status == 0, "\(defaults.stderr)")
        // Only the paths in the text differ.
        let normalise = { (text: String) in
            text.replacingOccurrences(of: Self.path("Data/ecosystem") + "/", with: "Data/ecosystem/")
                .replacingOccurrences(of: Self.path("Models") + "/", with: "Models/")
        }
        #expect(normalise(html) == (try workspace.read("again.html")))
    }

    @Test func brokenInputsFailNamingTheFileAndWriteNothing() throws {
        struct Case {
            var name: String
            var file: String
            var edit: (String) -> String
            var message: String
        }
        let cases = [
            Case(
                name: "a figure that is not a number", file: "data/activity.csv",
                edit: { text in
                    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                    var fields = lines[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    fields[2] = "many"
                    lines[2] = fields.joined(separator: ",")
                    return lines.joined(separator: "\n")
                }, message: "data/activity.csv:3: column 'portal_logins'"),
            Case(
                name: "an outcome of an unknown partner", file: "data/outcomes.csv",
                edit: { $0.replacingOccurrences(of: "L0000001,P0204,", with: "L0000001,P9999,") },
                message: "data/outcomes.csv:2: column 'partner_id'"),
            Case(
                name: "a missing column", file: "data/incoming.csv",
                edit: { $0.replacingOccurrences(of: "id,created,region", with: "lead,created,region") },
                message: "data/incoming.csv"),
            Case(
                name: "a truth that is not a number", file: "data/truth/partners.csv",
                edit: { $0.replacingOccurrences(of: "P0002,0.17313419100988875,", with: "P0002,NaN,") },
                message: "data/truth/partners.csv:3: column 'quality'"),
            Case(
                name: "a damaged model", file: "models/churn.json",
                edit: { $0.replacingOccurrences(of: "\"intercept\"", with: "\"intercept_\"") }, message: "models/churn.json"),
            Case(
                name: "a damaged lead score", file: "models/leads.json",
                edit: { $0.replacingOccurrences(of: "\"coefficients\"", with: "\"coefficients_\"") },
                message: "models/leads.json"),
        ]
        for c in cases {
            let workspace = try Workspace()
            try Self.copySample(to: workspace)
            let original = try workspace.read(c.file)
            let edited = c.edit(original)
            #expect(edited != original, "\(c.name): the edit changed nothing")
            try workspace.write(c.file, edited)
            try workspace.write("report.html", "the previous report")
            let result = try workspace.run(["report", "--data", "data", "--models", "models", "--out", "report.html"])
            #expect(result.status == 1, "\(c.name): \(result.stderr)")
            #expect(
                result.errorLines.count == 1 && result.errorLines.first?.contains(c.message) == true,
                "\(c.name): \(result.stderr)")
            #expect(try workspace.read("report.html") == "the previous report", "\(c.name)")
            #expect(try workspace.files().allSatisfy { !$0.contains(".tmp-") }, "\(c.name)")
        }
    }

    @Test func missingFilesAndBadOptionsAreRefused() throws {
        let workspace = try Workspace()
        let noData = try workspace.run(["report", "--data", "nowhere", "--models", Self.path("Models"), "--out", "r.html"])
        #expect(noData.status == 1 && noData.errorLines == ["error: nowhere/partners.csv: no such file"], "\(noData.stderr)")
        let noModels = try workspace.run([
            "report", "--data", Self.path("Data/ecosystem"), "--models", "nothing", "--out", "r.html",
        ])
        #expect(noModels.status == 1 && noModels.errorLines == ["error: nothing/match.json: no such file"], "\(noModels.stderr)")
        let noFolder = try workspace.run([
            "report", "--data", Self.path("Data/ecosystem"), "--models", Self.path("Models"), "--out", "missing/r.html",
        ])
        #expect(noFolder.status == 1 && noFolder.errorLines.first?.contains("missing/r.html") == true, "\(noFolder.stderr)")
        let badOption = try workspace.run(["report", "--candidates", "0", "--out", "r.html"])
        #expect(badOption.status != 0 && badOption.stderr.contains("--candidates must be at least 1 (got 0)"))
        let badScale = try workspace.run(["report", "--tight-capacity", "0", "--out", "r.html"])
        #expect(badScale.status != 0 && badScale.stderr.contains("--tight-capacity must be > 0 (got 0.0)"))
        #expect(try workspace.files().isEmpty)
    }
}

extension FileManager {
    /// Moves `source` to `destination`, creating the destination's parent folder first when asked.
    fileprivate func moveItem(at source: URL, to destination: URL, creatingParent: Bool) throws {
        if creatingParent {
            try createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        }
        try moveItem(at: source, to: destination)
    }
}
