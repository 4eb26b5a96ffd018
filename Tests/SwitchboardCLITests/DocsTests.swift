import Foundation
import Testing

// The manual checked against the executable: every `switchboard …` command line in README.md and docs/*.md names a
// command that exists and only options that command's help lists; every command is documented somewhere; every
// relative link points at a file that exists; README.md stays the front door (at most 15 KB).

/// The repository's root folder (this file is Tests/SwitchboardCLITests/DocsTests.swift).
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The markdown files of the manual: README.md and every page of docs/.
private func manualPages() throws -> [URL] {
    let docs = repositoryRoot.appendingPathComponent("docs")
    let pages = try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }.sorted()
        .map { docs.appendingPathComponent($0) }
    return [repositoryRoot.appendingPathComponent("README.md")] + pages
}

/// One `switchboard …` command line found in the manual, with where it stands.
struct DocumentedCommand: CustomStringConvertible {
    let file: String
    let line: Int
    let text: String
    var description: String { "\(file):\(line): \(text)" }

    /// The words after `switchboard`, up to a shell comment.
    var words: [String] {
        guard let range = text.range(of: "switchboard ") ?? text.range(of: "switchboard", options: .anchored) else {
            return []
        }
        var rest = String(text[range.upperBound...])
        if let comment = rest.range(of: " #") { rest = String(rest[..<comment.lowerBound]) }
        return rest.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }
}

/// Command lines in fenced code blocks (a line whose first word is `switchboard`, `$ switchboard` or a path ending
/// in `/switchboard`, with its indented continuation lines) and inline code spans that start with `switchboard `.
func documentedCommands(in text: String, file: String) -> [DocumentedCommand] {
    var found: [DocumentedCommand] = []
    var inCode = false
    let lines = text.components(separatedBy: "\n")
    var index = 0
    func isCommandStart(_ line: String) -> Bool {
        var trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("$ ") { trimmed.removeFirst(2) }
        guard let first = trimmed.split(separator: " ").first else { return false }
        return first == "switchboard" || first.hasSuffix("/switchboard")
    }
    while index < lines.count {
        let line = lines[index]
        if line.hasPrefix("```") {
            inCode.toggle()
            index += 1
            continue
        }
        if inCode {
            if isCommandStart(line) {
                let start = index
                var joined = line
                // Continuations: a trailing backslash, or the next lines indented further (usage synopses).
                let indent = line.prefix(while: { $0 == " " }).count
                while index + 1 < lines.count {
                    let next = lines[index + 1]
                    let nextIndent = next.prefix(while: { $0 == " " }).count
                    let continued =
                        joined.hasSuffix("\\")
                        || (nextIndent > indent + 4 && !next.trimmingCharacters(in: .whitespaces).isEmpty
                            && next.trimmingCharacters(in: .whitespaces).hasPrefix("["))
                    guard continued, !next.hasPrefix("```") else { break }
                    if joined.hasSuffix("\\") { joined.removeLast() }
                    joined += " " + next.trimmingCharacters(in: .whitespaces)
                    index += 1
                }
                let trimmed = joined.trimmingCharacters(in: .whitespaces)
                let command = trimmed.hasPrefix("$ ") ? String(trimmed.dropFirst(2)) : trimmed
                let normalised = command.split(separator: " ", maxSplits: 1).count == 2
                    ? "switchboard " + command.split(separator: " ", maxSplits: 1)[1] : "switchboard"
                found.append(DocumentedCommand(file: file, line: start + 1, text: normalised))
            }
        } else {
            // Inline code spans.
            var rest = Substring(line)
            while let open = rest.firstIndex(of: "`") {
                let after = rest.index(after: open)
                guard let close = rest[after...].firstIndex(of: "`") else { break }
                let span = rest[after..<close]
                if span.hasPrefix("switchboard ") || span == "switchboard" {
                    found.append(DocumentedCommand(file: file, line: index + 1, text: String(span)))
                }
                rest = rest[rest.index(after: close)...]
            }
        }
        index += 1
    }
    return found
}

/// The executable's command tree, read from its own help: each command path (`[]` is the root, `["train",
/// "churn"]` a subcommand) with the options its help lists.
final class CommandTree: @unchecked Sendable {
    private(set) var options: [[String]: Set<String>] = [:]
    /// The subcommand that runs when a command is given without one (`train` is `train tabular`).
    private(set) var defaults: [[String]: String] = [:]

    init() throws {
        try visit([])
    }

    private func help(_ path: [String]) throws -> String {
        let workspace = try Workspace()
        let result = try workspace.run(["help"] + path)
        #expect(result.status == 0, "switchboard help \(path.joined(separator: " ")) failed: \(result.stderr)")
        return result.stdout + result.stderr
    }

    private func visit(_ path: [String]) throws {
        let text = try help(path)
        var optionNames = Set<String>()
        var subcommands: [String] = []
        var defaultSubcommand: String?
        var inSubcommands = false
        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("SUBCOMMANDS:") {
                inSubcommands = true
                continue
            }
            if !line.hasPrefix(" ") { inSubcommands = false }
            if inSubcommands, line.hasPrefix("  "), !line.hasPrefix("    ") {
                if let name = line.split(separator: " ").first.map(String.init),
                    name.allSatisfy({ $0.isLetter || $0 == "-" })
                {
                    subcommands.append(name)
                    if line.contains("(default)") { defaultSubcommand = name }
                }
            }
            var rest = Substring(line)
            while let range = rest.range(of: "--") {
                let name = rest[range.upperBound...].prefix(while: { $0.isLetter || $0.isNumber || $0 == "-" })
                if !name.isEmpty { optionNames.insert("--" + name) }
                rest = rest[range.upperBound...]
            }
        }
        options[path] = optionNames
        for name in subcommands where name != "help" { try visit(path + [name]) }
        // `switchboard train --data …` runs the default subcommand: its options count as the parent's.
        if let defaultSubcommand, let inherited = options[path + [defaultSubcommand]] {
            options[path, default: []].formUnion(inherited)
            defaults[path] = defaultSubcommand
        }
    }

    /// The longest command path that starts `words`, and how many words it took.
    func resolve(_ words: [String]) -> (path: [String], used: Int) {
        var path: [String] = []
        for word in words {
            guard options[path + [word]] != nil else { break }
            path.append(word)
        }
        return (path, path.count)
    }
}

@Suite("The manual matches the executable")
struct DocsTests {
    static let tree = Result { try CommandTree() }

    @Test("every command line in README.md and docs/ names an existing command and only its options")
    func commandsAndOptionsExist() throws {
        let tree = try Self.tree.get()
        var checked = 0
        for page in try manualPages() {
            let text = try String(contentsOf: page, encoding: .utf8)
            let name = page.path.replacingOccurrences(of: repositoryRoot.path + "/", with: "")
            for command in documentedCommands(in: text, file: name) {
                var words = command.words
                if words.first == "help" { words.removeFirst() }
                let (path, used) = tree.resolve(words)
                // A word right after the command that looks like a command name (not an option, path, value or
                // placeholder) is a subcommand that does not exist (no command takes a positional argument).
                if let next = words.dropFirst(used).first, next.first?.isLowercase == true,
                    next.allSatisfy({ $0.isLowercase || $0 == "-" })
                {
                    Issue.record("\(command): no command 'switchboard \((path + [next]).joined(separator: " "))'")
                    continue
                }
                let known = tree.options[path] ?? []
                for word in words.dropFirst(used) where word.hasPrefix("--") {
                    let option = String(word.drop(while: { $0 == "[" }).prefix(while: { $0 != "=" && $0 != "]" }))
                    let bare = option.split(separator: "|").first.map(String.init) ?? option
                    if !known.contains(bare) && bare != "--help" && bare != "--version" {
                        Issue.record(
                            "\(command): 'switchboard \(path.joined(separator: " "))' has no option \(bare)")
                    }
                }
                checked += 1
            }
        }
        #expect(checked > 50, "found only \(checked) command lines in the manual")
    }

    @Test("every command is documented in docs/")
    func everyCommandDocumented() throws {
        let tree = try Self.tree.get()
        var documented = Set<[String]>()
        for page in try manualPages() {
            let text = try String(contentsOf: page, encoding: .utf8)
            for command in documentedCommands(in: text, file: page.lastPathComponent) {
                var words = command.words
                if words.first == "help" { words.removeFirst() }
                let (path, _) = tree.resolve(words)
                for length in 0...path.count { documented.insert(Array(path.prefix(length))) }
                if let child = tree.defaults[path] { documented.insert(path + [child]) }
            }
        }
        for path in tree.options.keys where !path.isEmpty && !documented.contains(path) {
            Issue.record("'switchboard \(path.joined(separator: " "))' appears nowhere in README.md or docs/")
        }
    }

    @Test("relative links in the manual point at files that exist")
    func linksResolve() throws {
        for page in try manualPages() {
            let text = try String(contentsOf: page, encoding: .utf8)
            var rest = Substring(text)
            while let open = rest.range(of: "](") {
                let target = rest[open.upperBound...].prefix(while: { $0 != ")" && $0 != " " })
                rest = rest[open.upperBound...]
                guard !target.hasPrefix("http"), !target.hasPrefix("#"), !target.hasPrefix("mailto:") else { continue }
                let file = target.split(separator: "#", maxSplits: 1).first.map(String.init) ?? String(target)
                let url = page.deletingLastPathComponent().appendingPathComponent(file)
                #expect(
                    FileManager.default.fileExists(atPath: url.path),
                    "\(page.lastPathComponent): link '\(target)' points at nothing")
            }
        }
    }

    @Test("README.md is the front door: at most 15 KB")
    func readmeIsShort() throws {
        let size = try Data(contentsOf: repositoryRoot.appendingPathComponent("README.md")).count
        #expect(size <= 15 * 1024, "README.md is \(size) bytes")
    }

    @Test("the command tree is read from the executable's help")
    func treeIsRead() throws {
        let tree = try Self.tree.get()
        #expect(tree.options[["score"]]?.contains("--top") == true)
        #expect(tree.options[["score"]]?.contains("--no-such-option") == false)
        #expect(tree.options[["train"]]?.contains("--target") == true, "train runs train tabular")
        #expect(tree.resolve(["train", "churn", "--activity"]).path == ["train", "churn"])
        #expect(tree.resolve(["nonsense"]).used == 0)
    }

    @Test("the finder reads synopses with continuation lines and inline spans")
    func finderReadsCommandLines() {
        let text = """
            Run `switchboard score --top 3` or `switchboard`.
            ```
            switchboard train --data FILE --target COLUMN
                              [--l2 λ] [--cv K]
            $ .build/release/switchboard route model \\
                --leads l.csv   # a comment --not-an-option
            other
            ```
            """
        let found = documentedCommands(in: text, file: "x.md")
        #expect(found.map(\.line) == [1, 1, 3, 5])
        #expect(found[2].words == ["train", "--data", "FILE", "--target", "COLUMN", "[--l2", "λ]", "[--cv", "K]"])
        #expect(found[3].words == ["route", "model", "--leads", "l.csv"])
    }
}
