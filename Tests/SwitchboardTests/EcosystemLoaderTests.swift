import Learning
import Testing

@testable import Switchboard

/// Files held in memory, as a server or a test would hand them to the loader.
struct MemoryReader: RecordReader {
    struct Missing: Error, CustomStringConvertible { let description: String }
    var files: [String: String]
    func read(_ path: String) throws -> [UInt8] {
        guard let text = files[path] else { throw Missing(description: "\(path): no such file") }
        return Array(text.utf8)
    }
    func exists(_ path: String) -> Bool { files[path] != nil }
}

@Suite struct EcosystemLoaderTests {
    static let generated = EcosystemGenerator(
        partnerCount: 30, leadCount: 1500, periodCount: 8, incomingCount: 40, seed: 11
    ).generate()

    /// The generated files under `folder/`, with `change` applied to each file's text.
    static func folder(_ folder: String = "eco", change: (String, String) -> String? = { $1 }) -> MemoryReader {
        var files: [String: String] = [:]
        for (name, text) in generated.files() { if let changed = change(name, text) { files["\(folder)/\(name)"] = changed } }
        return MemoryReader(files: files)
    }

    static let everything = Set(RecordKind.allCases)

    @Test func aFolderLoadsBackToTheGeneratedRecordsWithTheirFilesAndLines() throws {
        let files = try EcosystemFiles(folder: "eco", required: Self.everything, reader: Self.folder())
        let e = try Ecosystem.load(files)
        let g = Self.generated
        #expect(e.partners == g.ecosystem.partners && e.leads == g.ecosystem.leads && e.outcomes == g.ecosystem.outcomes)
        #expect(e.activity == g.ecosystem.activity && e.actions == g.ecosystem.actions)
        #expect(e.actionHistory == g.ecosystem.actionHistory && e.incoming == g.incoming)
        #expect(e.sources.outcomes == "eco/outcomes.csv" && e.sources.incoming == "eco/incoming.csv")
        #expect(e.sources.lines[.outcomes] == Array(2..<(g.ecosystem.outcomes.count + 2)))
        let truth = try #require(e.truth)
        #expect(truth.pairs.count == g.truth.pairs.count && truth.actionEffects.count == g.truth.actionEffects.count)
        #expect(truth.quality == g.truth.quality)
        #expect(ActionTruth(truth).winLogitEffect.count == g.ecosystem.actions.count)
    }

    @Test func aMissingRequiredFileIsAnErrorAndAMissingOptionalOneIsLeftOut() throws {
        let reader = Self.folder { name, text in name == "action_history.csv" ? nil : text }
        #expect(throws: MemoryReader.Missing.self) {
            _ = try EcosystemFiles(folder: "eco", required: [.partners, .actionHistory], reader: reader)
        }
        let files = try EcosystemFiles(folder: "eco/", required: [.partners], optional: [.actionHistory], reader: reader)
        #expect(files[.partners]?.name == "eco/partners.csv" && files[.actionHistory] == nil)
        #expect(try Ecosystem.load(files).actionHistory.isEmpty)
    }

    /// A dangling reference found only when the files are checked against each other still names its file and line:
    /// the line travels with the record (blank lines before it shift it).
    @Test func crossFileErrorsNameTheRecordsFileAndLine() throws {
        let reader = Self.folder { name, text in
            guard name == "activity.csv" else { return text }
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines.insert("", at: 1)
            lines[4] = "NOBODY" + lines[4].drop { $0 != "," }
            return lines.joined(separator: "\n")
        }
        let files = try EcosystemFiles(folder: "eco", required: [.partners, .activity], reader: reader)
        #expect(
            throws: RecordError.unknownReference(
                file: "eco/activity.csv", line: 5, column: "partner_id", id: "NOBODY", referencedFile: "eco/partners.csv")
        ) { _ = try Ecosystem.load(files) }
        // Without the partners file there is nothing to check the activity against.
        var activityOnly = files
        activityOnly[.partners] = nil
        #expect(try Ecosystem.load(activityOnly).activity.count == Self.generated.ecosystem.activity.count)
    }

    @Test func duplicatesAndEmptyFilesAreErrorsNamingTheFile() throws {
        let duplicated = Self.folder { name, text in
            guard name == "partners.csv" else { return text }
            let lines = text.split(separator: "\n").map(String.init)
            return (lines + [lines[1]]).joined(separator: "\n") + "\n"
        }
        let files = try EcosystemFiles(folder: "eco", required: [.partners], reader: duplicated)
        #expect(
            throws: RecordError.duplicateID(
                file: "eco/partners.csv", line: Self.generated.ecosystem.partners.count + 2, column: "id",
                id: Self.generated.ecosystem.partners[0].id, firstLine: 2)
        ) { _ = try Ecosystem.load(files) }

        let headerOnly = Self.folder { name, text in
            name == "outcomes.csv" ? String(text.prefix { $0 != "\n" }) + "\n" : text
        }
        let some = try EcosystemFiles(folder: "eco", required: [.partners, .leads, .outcomes], reader: headerOnly)
        #expect(throws: RecordError.emptySet(file: "eco/outcomes.csv", what: "outcomes")) {
            _ = try Ecosystem.load(some, options: EcosystemLoadOptions(nonEmpty: [.outcomes]))
        }
        #expect(try Ecosystem.load(some).outcomes.isEmpty)
    }

    @Test func activityLabelsMayBeLeftBlankWhenAsked() throws {
        let blank = Self.folder { name, text in
            guard name == "activity.csv" else { return text }
            var lines: [String] = []
            for (index, line) in text.split(separator: "\n").enumerated() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false).dropLast()
                let kept = fields.joined(separator: ",")
                lines.append(index == 0 ? kept + ",churned_next" : kept + ",")
            }
            return lines.joined(separator: "\n") + "\n"
        }
        let files = try EcosystemFiles(folder: "eco", required: [.activity], reader: blank)
        #expect(throws: RecordError.self) { _ = try Ecosystem.load(files) }
        let loaded = try Ecosystem.load(files, options: EcosystemLoadOptions(activityLabelsOptional: true))
        #expect(
            loaded.activity.count == Self.generated.ecosystem.activity.count && loaded.activity.allSatisfy { !$0.churnedNext })
    }

    @Test func theChecksumCoversTheGivenFilesInOrder() throws {
        let files = try EcosystemFiles(folder: "eco", required: [.partners, .leads], reader: Self.folder())
        let bytes = files[.partners]!.bytes + files[.leads]!.bytes
        #expect(files.checksum([.partners, .leads, .outcomes]) == FNV1a64.digest(bytes))
        #expect(files.checksum([.leads, .partners]) != FNV1a64.digest(bytes))
    }
}
