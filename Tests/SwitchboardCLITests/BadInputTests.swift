import Foundation
import Testing

// Bad input, everywhere: every bad case run through every command that reads that kind of input. Each run must exit
// non-zero with one `error: ` line naming the file (and line, column) or the option and its value, and must leave
// the folder exactly as it was: no output created, an existing output unchanged, no temporary file.

/// What a command reads from one of its file options, which decides the bad cases it gets.
enum InputKind: String, Sendable {
    case tabular, partners, leads, outcomes, activity, actions, actionHistory, candidates, capacities
    case firmographics, performance, applicants
    case model, rules, config

    var isCSV: Bool { ![.model, .rules, .config].contains(self) }
}

/// One file a command reads: the option naming it (or the folder option it is read through) and its path.
struct InputSlot: Sendable {
    var kind: InputKind
    var path: String
    /// A numeric column to fill with NaN / inf, and the column an id (or key) lives in.
    var numericColumn: String?
    var idColumn: String?
}

/// A command as the table runs it: a valid invocation on the fixture, the files it reads, its file outputs.
struct CommandUnderTest: Sendable {
    var name: String
    var arguments: [String]
    var inputs: [InputSlot]
    /// The output options and their paths in `arguments`.
    var outputs: [(option: String, path: String)]
    /// Count options, each with a value beyond its limit.
    var counts: [(option: String, huge: String)] = []
    /// Inputs for which a header-only file is valid (no history yet).
    var headerOnlyIsValid: [String] = []
}

/// One bad run: arguments, the fixture change it needs, and what its message must name.
struct BadCase: Sendable, CustomTestStringConvertible {
    var command: String
    var name: String
    var arguments: [String]
    var setup: @Sendable (URL) throws -> Void = { _ in }
    var expected: [String]

    var testDescription: String { "\(command): \(name)" }
}

/// The fixture every case starts from: a small generated ecosystem with its models, a lead sample with a tabular
/// model, rules, a routing config, candidates and capacities; built once with the real executable.
enum BadInputFixture {
    nonisolated(unsafe) static let template: Result<Workspace, any Error> = Result {
        let space = try Workspace()
        func run(_ arguments: [String]) throws {
            let result = try space.run(arguments)
            guard result.status == 0 else {
                throw CLITestError.fixtureFailed(arguments.joined(separator: " ") + ": " + result.stderr)
            }
        }
        try run(["generate", "--partners", "12", "--leads", "400", "--periods", "6", "--incoming", "30", "--out", "eco"])
        try FileManager.default.createDirectory(
            at: space.work.appendingPathComponent("models"), withIntermediateDirectories: true)
        try run([
            "train", "match", "--outcomes", "eco/outcomes.csv", "--leads", "eco/leads.csv", "--partners", "eco/partners.csv",
            "--folds", "0", "--l2", "0.1", "--out", "models/match.json",
        ])
        try run([
            "train", "churn", "--activity", "eco/activity.csv", "--partners", "eco/partners.csv", "--cv", "0", "--out",
            "models/churn.json",
        ])
        try run(["generate", "leads", "--rows", "120", "--out", "l.csv"])
        try run(["train", "--data", "l.csv", "--target", "converted", "--out", "m.json"])
        try space.write("rules.json", "{}\n")
        try space.write("config.json", "{\"policy\": \"optimal\"}\n")
        try space.write("cands.csv", "lead_id,partner_id,expected_value\nL1,P1,10\nL1,P2,5\nL2,P2,7\n")
        try space.write("caps.csv", "partner_id,capacity\nP1,1\nP2,2\n")
        try space.write(
            "apps.csv",
            "applicant_id,manager_id,employees,years_in_business,certified_staff,verticals\nA1,M01,12,4,1,retail\n"
                + "A2,M01,40,9,3,retail;energy\nA3,M01,3,1,0,\n")
        try space.write(
            "tokens.json",
            "[{\"token\": \"admin-token-0123456789\", \"role\": \"admin\"}, "
                + "{\"token\": \"partner-token-012345678\", \"role\": \"partner:P0001\"}]\n")
        return space
    }

    /// A fresh copy of the fixture.
    static func copy() throws -> Workspace {
        let template = try template.get()
        let space = try Workspace()
        try FileManager.default.removeItem(at: space.work)
        try FileManager.default.copyItem(at: template.work, to: space.work)
        return space
    }
}

extension CLITestError {
    static func fixtureFailed(_ message: String) -> CLITestError { .executableNotFound(searched: ["fixture: " + message]) }
}

enum BadInputTable {
    static let partners = InputSlot(kind: .partners, path: "eco/partners.csv", numericColumn: "capacity", idColumn: "id")
    static let leads = InputSlot(kind: .leads, path: "eco/leads.csv", numericColumn: "estimated_value", idColumn: "id")
    static let incoming = InputSlot(
        kind: .leads, path: "eco/incoming.csv", numericColumn: "estimated_value", idColumn: "id")
    static let outcomes = InputSlot(kind: .outcomes, path: "eco/outcomes.csv", numericColumn: "revenue", idColumn: "partner_id")
    static let activity = InputSlot(
        kind: .activity, path: "eco/activity.csv", numericColumn: "portal_logins", idColumn: "partner_id")
    static let actions = InputSlot(kind: .actions, path: "eco/actions.csv", numericColumn: "cost", idColumn: "id")
    static let history = InputSlot(kind: .actionHistory, path: "eco/action_history.csv", idColumn: "partner_id")
    static let tabular = InputSlot(kind: .tabular, path: "l.csv", numericColumn: "web_visits")
    static let match = InputSlot(kind: .model, path: "models/match.json")
    static let churn = InputSlot(kind: .model, path: "models/churn.json")
    static let tabularModel = InputSlot(kind: .model, path: "m.json")
    static let rules = InputSlot(kind: .rules, path: "rules.json")
    static let config = InputSlot(kind: .config, path: "config.json")
    static let candidates = InputSlot(kind: .candidates, path: "cands.csv", numericColumn: "expected_value", idColumn: "lead_id")
    static let capacities = InputSlot(kind: .capacities, path: "caps.csv", numericColumn: "capacity", idColumn: "partner_id")
    static let firmographics = InputSlot(
        kind: .firmographics, path: "eco/firmographics.csv", numericColumn: "employees", idColumn: "partner_id")
    static let performance = InputSlot(
        kind: .performance, path: "eco/performance.csv", numericColumn: "sourced_revenue", idColumn: "partner_id")
    static let applicants = InputSlot(kind: .applicants, path: "apps.csv", numericColumn: "employees", idColumn: "applicant_id")
    /// The fixture has 6 periods and one manager: profiles by manager over a 2-period window.
    static let profileOptions = ["--segment-by", "manager_id", "--window", "2"]

    static let matchFiles = ["--outcomes", "eco/outcomes.csv", "--leads", "eco/leads.csv", "--partners", "eco/partners.csv"]
    static let recordFiles = [
        "--partners", "eco/partners.csv", "--leads", "eco/leads.csv", "--outcomes", "eco/outcomes.csv", "--activity",
        "eco/activity.csv", "--actions", "eco/actions.csv", "--action-history", "eco/action_history.csv",
    ]
    static let models = ["--match-model", "models/match.json", "--churn-model", "models/churn.json"]

    static let commands: [CommandUnderTest] = [
        CommandUnderTest(
            name: "train tabular",
            arguments: ["train", "--data", "l.csv", "--target", "converted", "--out", "new.json", "--shapes", "shapes.csv"],
            inputs: [tabular], outputs: [("--out", "new.json"), ("--shapes", "shapes.csv")],
            counts: [("--interactions", "101"), ("--knots", "51")]),
        CommandUnderTest(
            name: "shapes", arguments: ["shapes", "--model", "m.json", "--out", "shapes.csv"], inputs: [tabularModel],
            outputs: [("--out", "shapes.csv")]),
        CommandUnderTest(
            name: "predict tabular", arguments: ["predict", "--model", "m.json", "--data", "l.csv", "--out", "p.csv"],
            inputs: [tabularModel, tabular], outputs: [("--out", "p.csv")]),
        CommandUnderTest(
            name: "predict tabular --explain",
            arguments: ["predict", "--model", "m.json", "--data", "l.csv", "--explain", "3", "--out", "p.csv"],
            inputs: [tabularModel, tabular], outputs: [("--out", "p.csv")], counts: [("--explain", "1001")]),
        CommandUnderTest(
            name: "evaluate tabular", arguments: ["evaluate", "--model", "m.json", "--data", "l.csv", "--json", "e.json"],
            inputs: [tabularModel, tabular], outputs: [("--json", "e.json")]),
        CommandUnderTest(
            name: "encode", arguments: ["encode", "--model", "m.json", "--data", "l.csv", "--out", "x.csv"],
            inputs: [tabularModel, tabular], outputs: [("--out", "x.csv")]),
        CommandUnderTest(
            name: "train churn",
            arguments: [
                "train", "churn", "--activity", "eco/activity.csv", "--partners", "eco/partners.csv", "--cv", "0", "--out",
                "c.json",
            ],
            inputs: [activity, partners], outputs: [("--out", "c.json")]),
        CommandUnderTest(
            name: "predict churn",
            arguments: [
                "predict", "churn", "--model", "models/churn.json", "--activity", "eco/activity.csv", "--partners",
                "eco/partners.csv", "--out", "risk.csv",
            ],
            inputs: [churn, activity, partners], outputs: [("--out", "risk.csv")]),
        CommandUnderTest(
            name: "evaluate churn",
            arguments: [
                "evaluate", "churn", "--model", "models/churn.json", "--activity", "eco/activity.csv", "--partners",
                "eco/partners.csv", "--json", "ec.json",
            ],
            inputs: [churn, activity, partners], outputs: [("--json", "ec.json")]),
        CommandUnderTest(
            name: "train match",
            arguments: ["train", "match"] + matchFiles + ["--folds", "0", "--l2", "0.1", "--out", "mm.json"],
            inputs: [outcomes, leads, partners], outputs: [("--out", "mm.json")]),
        CommandUnderTest(
            name: "evaluate match",
            arguments: ["evaluate", "match", "--model", "models/match.json"] + matchFiles + ["--json", "em.json"],
            inputs: [match, outcomes, leads, partners], outputs: [("--json", "em.json")]),
        CommandUnderTest(
            name: "score",
            arguments: [
                "score", "--model", "models/match.json", "--leads", "eco/incoming.csv", "--partners", "eco/partners.csv",
                "--rules", "rules.json", "--out", "s.csv",
            ],
            inputs: [match, incoming, partners, rules], outputs: [("--out", "s.csv")],
            counts: [("--top", "2000000000"), ("--chunk-rows", "2000000000")]),
        CommandUnderTest(
            name: "route model",
            arguments: [
                "route", "model", "--model", "models/match.json", "--leads", "eco/incoming.csv", "--partners", "eco/partners.csv",
                "--rules", "rules.json", "--config", "config.json", "--out", "plan.csv", "--prices-out", "prices.csv",
            ],
            inputs: [match, incoming, partners, rules, config], outputs: [("--out", "plan.csv"), ("--prices-out", "prices.csv")],
            counts: [("--candidates-per-lead", "2000000000")]),
        CommandUnderTest(
            name: "route candidates",
            arguments: [
                "route", "candidates", "--candidates", "cands.csv", "--capacities", "caps.csv", "--config", "config.json",
                "--out",
                "plan.csv", "--prices-out", "prices.csv",
            ],
            inputs: [candidates, capacities, config], outputs: [("--out", "plan.csv"), ("--prices-out", "prices.csv")]),
        CommandUnderTest(
            name: "simulate",
            arguments: ["simulate", "--model", "models/match.json"] + matchFiles + [
                "--config", "config.json", "--truth", "eco/truth", "--out", "sim.csv",
            ],
            inputs: [match, outcomes, leads, partners, config], outputs: [("--out", "sim.csv")],
            counts: [("--candidates", "2000000000")]),
        CommandUnderTest(
            name: "recommend actions", arguments: ["recommend"] + recordFiles + models + ["--out", "rec.csv", "--todo", "todo.csv"],
            inputs: [partners, leads, outcomes, activity, actions, history, match, churn],
            outputs: [("--out", "rec.csv"), ("--todo", "todo.csv")], counts: [("--horizon", "1000000000")]),
        CommandUnderTest(
            name: "segment",
            arguments: [
                "segment", "--partners", "eco/partners.csv", "--activity", "eco/activity.csv", "--outcomes",
                "eco/outcomes.csv", "--leads", "eco/leads.csv", "--churn-model", "models/churn.json", "--out", "seg.csv",
            ],
            inputs: [partners, activity, outcomes, leads, churn], outputs: [("--out", "seg.csv")],
            counts: [("--max-clusters", "1000000000"), ("--window", "1000000000")],
            headerOnlyIsValid: ["eco/outcomes.csv"]),
        CommandUnderTest(
            name: "report", arguments: ["report", "--data", "eco", "--models", "models", "--out", "r.html"],
            inputs: [partners, leads, outcomes, activity, actions, history, incoming, match, churn],
            outputs: [("--out", "r.html")], counts: [("--candidates", "2000000000")]),
        CommandUnderTest(
            name: "evaluate actions", arguments: ["evaluate", "actions", "--data", "eco"] + models + ["--json", "ea.json"],
            inputs: [partners, leads, outcomes, activity, actions, match, churn], outputs: [("--json", "ea.json")]),
        CommandUnderTest(
            name: "evaluate actions --rounds",
            arguments: ["evaluate", "actions", "--data", "eco"] + models + [
                "--rounds", "2", "--explore", "0.2", "--json", "ear.json",
            ],
            inputs: [partners, leads, outcomes, activity, actions, match, churn], outputs: [("--json", "ear.json")],
            counts: [("--rounds", "1000000000")]),
        CommandUnderTest(
            name: "profile", arguments: ["profile", "--data", "eco"] + profileOptions + ["--out", "fit.csv"],
            inputs: [partners, activity, firmographics, performance], outputs: [("--out", "fit.csv")],
            counts: [("--window", "1000000000"), ("--top", "2000000000")]),
        CommandUnderTest(
            name: "recruit",
            arguments: ["recruit", "--data", "eco"] + profileOptions + ["--applicants", "apps.csv", "--out", "short.csv"],
            inputs: [partners, activity, firmographics, performance, applicants], outputs: [("--out", "short.csv")],
            counts: [("--top", "2000000000")]),
        CommandUnderTest(
            name: "evaluate profiles",
            arguments: ["evaluate", "profiles", "--data", "eco"] + profileOptions + ["--json", "ep.json"],
            inputs: [partners, activity, firmographics, performance], outputs: [("--json", "ep.json")]),
        CommandUnderTest(
            name: "forecast", arguments: ["forecast", "--data", "eco", "--segment-by", "manager_id", "--out", "fc.csv"],
            inputs: [partners, activity, firmographics, performance], outputs: [("--out", "fc.csv")],
            counts: [("--season-length", "1000000000")]),
        CommandUnderTest(
            name: "evaluate forecast",
            arguments: ["evaluate", "forecast", "--data", "eco", "--segment-by", "manager_id", "--json", "ef.json"],
            inputs: [partners, activity, firmographics, performance], outputs: [("--json", "ef.json")],
            counts: [("--season-length", "1000000000")]),
        CommandUnderTest(
            name: "generate ecosystem",
            arguments: ["generate", "--partners", "5", "--leads", "50", "--periods", "3", "--incoming", "5", "--out", "gen"],
            inputs: [], outputs: [],
            counts: [
                ("--partners", "1000000000000"), ("--leads", "1000000000000000"), ("--incoming", "1000000000000000"),
                ("--periods", "100000000"),
            ]),
        CommandUnderTest(
            name: "serve",
            arguments: [
                "serve", "--models", "models", "--partners", "eco/partners.csv", "--rules", "rules.json", "--config",
                "config.json", "--tokens", "tokens.json", "--database", "ledger.sqlite", "--check",
            ],
            inputs: [match, partners, rules, config], outputs: [("--database", "ledger.sqlite")],
            counts: [("--port", "70000"), ("--max-body-bytes", "100000000"), ("--batch-interval", "100000000")]),
        CommandUnderTest(
            name: "generate leads", arguments: ["generate", "leads", "--rows", "10", "--out", "gl.csv"], inputs: [],
            outputs: [("--out", "gl.csv")], counts: [("--rows", "1000000000000000")]),
    ]

    /// `arguments` with the value of `option` replaced (or appended).
    static func setting(_ arguments: [String], _ option: String, to value: String) -> [String] {
        var result = arguments
        if let index = result.firstIndex(of: option), index + 1 < result.count {
            result[index + 1] = value
        } else {
            result += [option, value]
        }
        return result
    }

    static func mutate(_ path: String, _ change: @escaping @Sendable (String) -> String) -> @Sendable (URL) throws -> Void {
        { work in
            let url = work.appendingPathComponent(path)
            let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            try Data(change(text).utf8).write(to: url)
        }
    }

    static func bytes(_ path: String, _ change: @escaping @Sendable ([UInt8]) -> [UInt8]) -> @Sendable (URL) throws -> Void {
        { work in
            let url = work.appendingPathComponent(path)
            try Data(change(Array(try Data(contentsOf: url)))).write(to: url)
        }
    }

    /// Line 2's field in `column` replaced by `value` (the fixture's files hold no quoted delimiters on line 2).
    static func settingField(_ column: String, to value: String) -> @Sendable (String) -> String {
        { text in
            var lines = text.components(separatedBy: "\n")
            let header = lines[0].components(separatedBy: ",")
            guard let index = header.firstIndex(of: column), lines.count > 1 else { return text }
            var fields = lines[1].components(separatedBy: ",")
            guard fields.count == header.count else { return text }
            fields[index] = value
            lines[1] = fields.joined(separator: ",")
            return lines.joined(separator: "\n")
        }
    }

    /// The bad cases of one input of one command.
    static func cases(for command: CommandUnderTest, slot: InputSlot) -> [BadCase] {
        let path = slot.path
        let file = (path as NSString).lastPathComponent
        func make(_ name: String, _ expected: [String], _ setup: @escaping @Sendable (URL) throws -> Void) -> BadCase {
            BadCase(
                command: command.name, name: "\(path): \(name)", arguments: command.arguments, setup: setup, expected: expected)
        }
        var cases: [BadCase] = [
            make("missing", [file, "no such file"]) { try FileManager.default.removeItem(at: $0.appendingPathComponent(path)) },
            make("a directory", [file, "directory"]) {
                let url = $0.appendingPathComponent(path)
                try FileManager.default.removeItem(at: url)
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
            },
            make("a symlink loop", [file, "loop"]) {
                let url = $0.appendingPathComponent(path)
                try FileManager.default.removeItem(at: url)
                try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: file)
            },
            make("empty", [file], mutate(path) { _ in "" }),
        ]
        switch slot.kind {
        case .model, .rules, .config:
            cases.append(make("not JSON", [file], mutate(path) { "{\"a\": \n" + $0 }))
            if slot.kind != .model {
                cases.append(
                    make("JSON syntax error", [file, "line 2, column"], mutate(path) { _ in "{\n  \"policy\" \"optimal\"\n}\n" }))
                cases.append(make("NUL in the JSON", [file], bytes(path) { _ in [0x7B, 0x00, 0x7D] }))
            }
            if slot.kind == .rules {
                cases.append(
                    make(
                        "territory galaxy", [file, "territory", "'region'"], mutate(path) { _ in "{\"territory\": \"galaxy\"}" }))
            }
            if slot.kind == .config {
                cases.append(make("1e400", [file, "not a finite number"], mutate(path) { _ in "{\"maxShare\": 1e400}" }))
            }
        default:
            cases.append(
                make(
                    "a NUL byte", [file + ":2:", "\\0"],
                    mutate(path, settingField(slot.numericColumn ?? slot.idColumn ?? "region", to: "12\u{0}34"))))
            cases.append(
                make(
                    "not UTF-8", [file + ":2:", "UTF-8"],
                    bytes(path) { bytes in
                        var bytes = bytes
                        let newline = bytes.firstIndex(of: 0x0A)!
                        bytes.insert(0xFF, at: newline + 2)
                        return bytes
                    }))
            cases.append(
                make(
                    "a ragged row", [file + ":2:", "fields"],
                    mutate(path) { text in
                        var lines = text.components(separatedBy: "\n")
                        lines[1] += ",extra"
                        return lines.joined(separator: "\n")
                    }))
            if slot.kind != .actionHistory, !command.headerOnlyIsValid.contains(path) {
                cases.append(make("header only", [file], mutate(path) { String($0.prefix { $0 != "\n" }) + "\n" }))
            }
            if let column = slot.numericColumn {
                for value in ["NaN", "inf", "-1e400"] {
                    cases.append(
                        make("\(column) \(value)", [file + ":2:", column], mutate(path, settingField(column, to: value))))
                }
            }
            if let column = slot.idColumn, slot.kind != .actionHistory {
                cases.append(
                    make(
                        "missing column \(column)", [file, column],
                        mutate(path) { text in
                            var lines = text.components(separatedBy: "\n")
                            lines[0] = lines[0].replacingOccurrences(of: column, with: "renamed_\(column)")
                            return lines.joined(separator: "\n")
                        }))
            }
            if [.partners, .leads, .actions, .capacities].contains(slot.kind) {
                cases.append(
                    make(
                        "duplicate id", [file, "duplicate", "'\(slot.idColumn!)'"],
                        mutate(path) { text in
                            let lines = text.components(separatedBy: "\n")
                            return text + (text.hasSuffix("\n") ? "" : "\n") + lines[1] + "\n"
                        }))
            }
            if slot.kind == .outcomes || slot.kind == .activity || slot.kind == .actionHistory {
                cases.append(
                    make(
                        "dangling partner", [file + ":2:", "partner_id", "P9999"],
                        mutate(path, settingField("partner_id", to: "P9999"))))
            }
            if slot.kind == .leads {
                cases.append(
                    make(
                        "impossible date", [file + ":2:", "impossible"], mutate(path, settingField("created", to: "2024-02-30"))))
            }
        }
        return cases
    }

    /// Cases on options and output paths.
    static func optionCases(for command: CommandUnderTest) -> [BadCase] {
        var cases: [BadCase] = []
        for (option, huge) in command.counts {
            cases.append(
                BadCase(
                    command: command.name, name: "\(option) \(huge)", arguments: setting(command.arguments, option, to: huge),
                    expected: [option, huge, "at most"]))
            cases.append(
                BadCase(
                    command: command.name, name: "\(option) -2", arguments: setting(command.arguments, option, to: "-2"),
                    expected: [option, "(got -2)"]))
        }
        if let input = command.inputs.first(where: { $0.kind != .model }) ?? command.inputs.first,
            let output = command.outputs.first
        {
            let aliases = [input.path, "./" + input.path, "../work/" + input.path]
            for (index, alias) in aliases.enumerated() {
                cases.append(
                    BadCase(
                        command: command.name, name: "\(output.option) is the input \(input.path) (as \(alias))",
                        arguments: setting(command.arguments, output.option, to: alias),
                        expected: [output.option, "is also an input"]))
                _ = index
            }
            cases.append(
                BadCase(
                    command: command.name, name: "\(output.option) is a symlink to the input",
                    arguments: setting(command.arguments, output.option, to: "link-to-input"),
                    setup: { work in
                        try FileManager.default.createSymbolicLink(
                            atPath: work.appendingPathComponent("link-to-input").path, withDestinationPath: input.path)
                    }, expected: [output.option, "is also an input"]))
        }
        if command.outputs.count >= 2 {
            cases.append(
                BadCase(
                    command: command.name, name: "two outputs on one path",
                    arguments: setting(command.arguments, command.outputs[1].option, to: command.outputs[0].path),
                    expected: ["the same file"]))
        }
        if let output = command.outputs.first {
            cases.append(
                BadCase(
                    command: command.name, name: "\(output.option) in a missing folder",
                    arguments: setting(command.arguments, output.option, to: "nowhere/out.file"), expected: ["nowhere"]))
        }
        return cases
    }

    /// `serve`: its tokens file and its database (a missing or malformed tokens file stops start-up).
    static let serveCases: [BadCase] = {
        let arguments = commands.first { $0.name == "serve" }!.arguments
        func tokens(_ name: String, _ text: String, _ expected: [String]) -> BadCase {
            BadCase(
                command: "serve", name: "tokens.json: \(name)", arguments: arguments,
                setup: mutate("tokens.json") { _ in text }, expected: ["tokens.json"] + expected)
        }
        return [
            BadCase(
                command: "serve", name: "tokens.json: missing", arguments: arguments,
                setup: { try FileManager.default.removeItem(at: $0.appendingPathComponent("tokens.json")) },
                expected: ["tokens.json", "no such file"]),
            tokens("empty", "", ["empty"]),
            tokens("not JSON", "[{\"token\": ", ["line 1, column"]),
            tokens("an object", "{\"token\": \"x\"}", ["expected a JSON list"]),
            tokens("no tokens", "[]", ["no tokens"]),
            tokens(
                "an unknown role", "[{\"token\": \"abcdefghijklmnopqrstuv\", \"role\": \"root\"}]",
                ["entry 1", "role", "'root'"]),
            tokens("a short token", "[{\"token\": \"abc\", \"role\": \"admin\"}]", ["entry 1", "token", "at least 16"]),
            tokens(
                "an unknown partner", "[{\"token\": \"abcdefghijklmnopqrstuv\", \"role\": \"partner:P9999\"}]",
                ["entry 1", "P9999"]),
            tokens(
                "a token twice",
                "[{\"token\": \"abcdefghijklmnopqrstuv\", \"role\": \"admin\"}, {\"token\": \"abcdefghijklmnopqrstuv\", \"role\": \"integration\"}]",
                ["entry 2", "twice"]),
            tokens(
                "an unknown key", "[{\"token\": \"abcdefghijklmnopqrstuv\", \"role\": \"admin\", \"scope\": 1}]",
                ["entry 1", "'scope'"]),
            BadCase(
                command: "serve", name: "--database is not a ledger", arguments: setting(arguments, "--database", to: "l.csv"),
                expected: ["l.csv", "ledger"]),
            BadCase(
                command: "serve", name: "--database is a malformed PostgreSQL URL",
                arguments: setting(arguments, "--database", to: "postgres://:5432/db"),
                expected: ["--database", "postgres://:5432/db", "not a PostgreSQL URL"]),
            BadCase(
                command: "serve", name: "--database is a PostgreSQL URL without a user",
                arguments: setting(arguments, "--database", to: "postgres://127.0.0.1:1/db"),
                expected: ["--database", "names no user"]),
            BadCase(
                command: "serve", name: "--database is a PostgreSQL URL with a bad port",
                arguments: setting(arguments, "--database", to: "postgres://u@127.0.0.1:port/db"),
                expected: ["--database", "not a PostgreSQL URL"]),
            BadCase(
                command: "serve", name: "--config with malformed working hours",
                arguments: arguments,
                setup: mutate("config.json") { _ in #"{"workingHours": {"default": {"start": "9am"}}}"# },
                expected: ["config.json", "workingHours.default.start", "9am"]),
            BadCase(
                command: "serve", name: "--config with working hours for an unknown partner",
                arguments: arguments,
                setup: mutate("config.json") { _ in #"{"workingHoursByPartner": {"P9999": {"days": ["mon"]}}}"# },
                expected: ["config.json", "'P9999'"]),
            BadCase(
                command: "serve", name: "--config with a bad live key",
                arguments: arguments, setup: mutate("config.json") { _ in "{\"offerTimeoutHours\": 0}" },
                expected: ["config.json", "offerTimeoutHours"]),
        ]
    }()

    static let all: [BadCase] = {
        var cases: [BadCase] = []
        for command in commands {
            for slot in command.inputs { cases += Self.cases(for: command, slot: slot) }
            cases += optionCases(for: command)
        }
        // Cases specific to one command.
        cases += serveCases
        cases += [
            BadCase(
                command: "profile", name: "--segment-by a column that does not exist",
                arguments: ["profile", "--data", "eco", "--segment-by", "galaxy", "--window", "2", "--out", "fit.csv"],
                expected: ["partners.csv", "'galaxy'"]),
            BadCase(
                command: "profile", name: "a segment of one partner",
                arguments: ["profile", "--data", "eco"] + profileOptions + ["--out", "fit.csv"],
                setup: mutate("eco/partners.csv", settingField("manager_id", to: "M99")),
                expected: ["partners.csv:2:", "'manager_id'", "'M99'", "alone"]),
            BadCase(
                command: "recruit", name: "an applicant column the model does not know",
                arguments: ["recruit", "--data", "eco"] + profileOptions + ["--applicants", "apps.csv", "--out", "short.csv"],
                setup: mutate("apps.csv") { $0.replacingOccurrences(of: "verticals", with: "revenue_last_year") },
                expected: ["apps.csv:1:", "'revenue_last_year'", "recruitment model knows"]),
            BadCase(
                command: "recruit", name: "an applicant of a segment without a profile",
                arguments: ["recruit", "--data", "eco"] + profileOptions + ["--applicants", "apps.csv", "--out", "short.csv"],
                setup: mutate("apps.csv", settingField("manager_id", to: "M42")),
                expected: ["apps.csv:2:", "'manager_id'", "'M42'", "no profile"]),
            BadCase(
                command: "recruit", name: "--new-within 0",
                arguments: ["recruit", "--data", "eco"] + profileOptions + ["--new-partners", "np.csv", "--new-within", "0"],
                expected: ["--new-within must be at least 1", "(got 0)"]),
            BadCase(
                command: "recruit", name: "--new-within without --new-partners",
                arguments: ["recruit", "--data", "eco"] + profileOptions + [
                    "--applicants", "apps.csv", "--out", "short.csv", "--new-within", "3",
                ],
                expected: ["--new-within needs --new-partners", "(got --new-within 3 alone)"]),
            BadCase(
                command: "recruit", name: "neither applicants nor new partners",
                arguments: ["recruit", "--data", "eco"] + profileOptions, expected: ["nothing to score", "--new-partners"]),
            BadCase(
                command: "recruit", name: "--out and --new-partners on one path",
                arguments: ["recruit", "--data", "eco"] + profileOptions + [
                    "--applicants", "apps.csv", "--out", "short.csv", "--new-partners", "./short.csv",
                ],
                expected: ["the same file"]),
            BadCase(
                command: "evaluate profiles", name: "--new-within -2",
                arguments: ["evaluate", "profiles", "--data", "eco"] + profileOptions + [
                    "--new-within", "-2", "--json", "ep.json",
                ],
                expected: ["--new-within must be at least 1", "(got -2)"]),
            BadCase(
                command: "evaluate profiles", name: "no truth",
                arguments: ["evaluate", "profiles", "--data", "eco"] + profileOptions + ["--json", "ep.json"],
                setup: { try FileManager.default.removeItem(at: $0.appendingPathComponent("eco/truth/potential.csv")) },
                expected: ["potential.csv", "no such file"]),
            BadCase(
                command: "generate leads", name: "--out and --truth on one path",
                arguments: ["generate", "leads", "--rows", "10", "--out", "gl.csv", "--truth", "./gl.csv"],
                expected: ["the same file"]),
            BadCase(
                command: "generate ecosystem", name: "--out is an existing file",
                arguments: ["generate", "--partners", "5", "--leads", "50", "--periods", "3", "--out", "l.csv"],
                expected: ["l.csv", "is a file, not a folder"]),
            BadCase(
                command: "report", name: "--out is one of the data files",
                arguments: ["report", "--data", "eco", "--models", "models", "--out", "eco/partners.csv"],
                expected: ["--out eco/partners.csv", "is also an input", "--data eco"]),
            BadCase(
                command: "train tabular", name: "--cv 500",
                arguments: ["train", "--data", "l.csv", "--target", "converted", "--cv", "500", "--out", "new.json"],
                expected: ["--cv must be between 2 and", "l.csv", "(got 500)"]),
            BadCase(
                command: "score", name: "--as-of 2024-02-30",
                arguments: [
                    "score", "--model", "models/match.json", "--leads", "eco/incoming.csv", "--partners", "eco/partners.csv",
                    "--as-of", "2024-02-30", "--out", "s.csv",
                ], expected: ["--as-of", "impossible", "February 2024 has 29 days"]),
            BadCase(
                command: "train tabular", name: "--out ''",
                arguments: ["train", "--data", "l.csv", "--target", "converted", "--out", ""], expected: ["--out", "empty path"]),
            BadCase(
                command: "route candidates", name: "a value too large for the resolution",
                arguments: ["route", "candidates", "--candidates", "cands.csv", "--capacities", "caps.csv", "--out", "plan.csv"],
                setup: mutate("cands.csv", settingField("expected_value", to: "1e17")),
                expected: ["cands.csv:2: column 'expected_value'", "valueResolution"]),
            BadCase(
                command: "score", name: "an escape sequence in a partner type",
                arguments: [
                    "score", "--model", "models/match.json", "--leads", "eco/incoming.csv", "--partners", "eco/partners.csv",
                    "--out", "s.csv",
                ], setup: mutate("eco/partners.csv", settingField("type", to: "\u{1B}[31mred")),
                expected: ["partners.csv:2:", "'type'", "\\u{1b}[31mred"]),
            BadCase(
                command: "train tabular", name: "--shape curved",
                arguments: ["train", "--data", "l.csv", "--target", "converted", "--shape", "curved", "--out", "new.json"],
                expected: ["--shape", "curved"]),
            BadCase(
                command: "train tabular", name: "--smoothing -1",
                arguments: ["train", "--data", "l.csv", "--target", "converted", "--smoothing", "-1", "--out", "new.json"],
                expected: ["--smoothing", "(got -1"]),
            BadCase(
                command: "train tabular", name: "--smoothing nan",
                arguments: ["train", "--data", "l.csv", "--target", "converted", "--smoothing", "nan", "--out", "new.json"],
                expected: ["--smoothing", "finite"]),
            BadCase(
                command: "train tabular", name: "--knots with --shape linear",
                arguments: [
                    "train", "--data", "l.csv", "--target", "converted", "--shape", "linear", "--knots", "5", "--out", "new.json",
                ], expected: ["--knots", "--shape linear"]),
            BadCase(
                command: "shapes", name: "a match model",
                arguments: ["shapes", "--model", "models/match.json", "--out", "shapes.svg"],
                expected: ["models/match.json", "'bilinear-match'", "'tabular-logistic'"]),
            BadCase(
                command: "shapes", name: "a churn model",
                arguments: ["shapes", "--model", "models/churn.json", "--out", "-"],
                expected: ["models/churn.json", "'tabular-logistic'"]),
            BadCase(
                command: "shapes", name: "a coefficient 1e400",
                arguments: ["shapes", "--model", "m.json", "--out", "shapes.csv"],
                setup: mutate("m.json") {
                    $0.replacingOccurrences(of: "\"coefficients\" : [", with: "\"coefficients\" : [1e400, ")
                },
                expected: ["m.json"]),
            BadCase(
                command: "predict tabular", name: "--explain 0",
                arguments: ["predict", "--model", "m.json", "--data", "l.csv", "--explain", "0", "--out", "p.csv"],
                expected: ["--explain", "(got 0)"]),
            BadCase(
                command: "train tabular", name: "--tolerance -1",
                arguments: ["train", "--data", "l.csv", "--target", "converted", "--tolerance", "-1", "--out", "new.json"],
                expected: ["--tolerance", "(got -1"]),
            BadCase(
                command: "train tabular", name: "--seed -1",
                arguments: ["train", "--data", "l.csv", "--target", "converted", "--seed", "-1", "--out", "new.json"],
                expected: ["--seed", "-1"]),
            BadCase(
                command: "simulate", name: "--days -5",
                arguments: ["simulate", "--model", "models/match.json"] + matchFiles + ["--days", "-5", "--out", "sim.csv"],
                expected: ["--days", "(got -5"]),
            BadCase(
                command: "simulate", name: "--capacity-scale -1",
                arguments: ["simulate", "--model", "models/match.json"] + matchFiles + [
                    "--capacity-scale", "-1", "--out", "sim.csv",
                ], expected: ["--capacity-scale", "(got -1"]),
            BadCase(
                command: "evaluate tabular", name: "one class only",
                arguments: ["evaluate", "--model", "m.json", "--data", "l.csv", "--json", "e.json"],
                setup: mutate("l.csv") { text in
                    text.components(separatedBy: "\n").enumerated().filter { $0.offset == 0 || $0.element.hasSuffix(",no") }
                        .map(\.element).joined(separator: "\n") + "\n"
                }, expected: ["l.csv"]),
            BadCase(
                command: "route stream", name: "1e400 in a request",
                arguments: ["route", "stream", "--prices", "prices.csv"],
                setup: { work in
                    try Data("partner_id,shadow_price,remaining_capacity\nP1,0,1\n".utf8)
                        .write(to: work.appendingPathComponent("prices.csv"))
                    try Data(
                        "{\"lead_id\": \"L1\", \"candidates\": [{\"partner_id\": \"P1\", \"expected_value\": 1e400}]}\n".utf8
                    )
                    .write(to: work.appendingPathComponent("stdin.jsonl"))
                }, expected: ["<stdin>:1:", "not a finite number"]),
            BadCase(
                command: "route stream", name: "a JSON syntax error in a request",
                arguments: ["route", "stream", "--prices", "prices.csv"],
                setup: { work in
                    try Data("partner_id,shadow_price,remaining_capacity\nP1,0,1\n".utf8)
                        .write(to: work.appendingPathComponent("prices.csv"))
                    try Data("{\"lead_id\": \"L1\", \"candidates\": [}\n".utf8).write(
                        to: work.appendingPathComponent("stdin.jsonl"))
                }, expected: ["<stdin>:1:", "column 34", "expected a value"]),
        ]
        return cases
    }()
}

/// Every file under `folder` (hidden ones included) with its bytes; symlinks by their target.
func snapshot(_ folder: URL) throws -> [String: Data] {
    var result: [String: Data] = [:]
    let base = folder.standardizedFileURL.path
    guard let walker = FileManager.default.enumerator(atPath: base) else { return result }
    while let relative = walker.nextObject() as? String {
        let path = base + "/" + relative
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
            result[relative] = Data(("link:" + target).utf8)
            continue
        }
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        result[relative] = isDirectory.boolValue ? Data("dir".utf8) : (FileManager.default.contents(atPath: path) ?? Data())
    }
    return result
}

@Suite("Bad input: every case through every command")
struct BadInputTests {
    @Test(arguments: BadInputTable.all)
    func rejectedCleanly(_ badCase: BadCase) throws {
        let space = try BadInputFixture.copy()
        try badCase.setup(space.work)
        // An existing output must survive a failed run untouched.
        for (option, path) in BadInputTable.commands.first(where: { $0.name == badCase.command })?.outputs ?? []
        where option == "--out" && !space.exists(path) {
            try space.write(path, "existing output\n")
        }
        let before = try snapshot(space.work)
        let result = try space.run(badCase.arguments, input: space.exists("stdin.jsonl") ? "stdin.jsonl" : nil)
        #expect(result.status == 1, "exit status \(result.status): \(result.stderr)")
        #expect(result.errorLines.count >= 1 && result.stderr.hasPrefix("error: "), "\(result.stderr)")
        let message = result.errorLines.first ?? ""
        for expected in badCase.expected {
            #expect(message.contains(expected), "expected '\(expected)' in: \(result.stderr)")
        }
        #expect(!result.stderr.contains("NSCocoaErrorDomain") && !result.stderr.contains("could not be completed"))
        #expect(
            !result.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" },
            "a raw control character in the message: \(result.stderr.debugDescription)")
        let after = try snapshot(space.work)
        #expect(after.keys.sorted() == before.keys.sorted(), "files created or removed")
        #expect(after == before, "a file changed")
        #expect(!after.keys.contains { $0.contains(".tmp-") }, "a temporary file was left")
    }

    /// The subcommand names `switchboard help [command]` lists (two-space indented lines under SUBCOMMANDS).
    static func subcommands(_ space: Workspace, _ path: [String]) throws -> [String] {
        let help = try space.run(["help"] + path)
        #expect(help.status == 0, "\(help.stderr)")
        guard let listed = help.stdout.components(separatedBy: "SUBCOMMANDS:").dropFirst().first else { return [] }
        return listed.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            let name = String(line.dropFirst(2).prefix { $0 != " " })
            return name.isEmpty || name == "help" || name == "See" ? nil : name
        }
    }

    /// Every command and subcommand `switchboard help` lists has a row in the table (a new command must get one).
    @Test func everyCommandIsInTheTable() throws {
        let space = try Workspace()
        // The onboarding commands read files this table has no fixtures for yet; their bad input (unknown action
        // id, empty history, missing column, bad option; nothing written) is tested in OnboardCLITests.
        let testedElsewhere = ["recommend onboarding", "evaluate onboarding"]
        let tested = Set(BadInputTable.commands.map(\.name)).union(BadInputTable.all.map(\.command))
            .union(testedElsewhere)
        let firstWords = Set(tested.map { String($0.prefix { $0 != " " }) })
        let commands = try Self.subcommands(space, [])
        #expect(commands.count >= 10)
        for command in commands {
            let subcommands = try Self.subcommands(space, [command])
            if subcommands.isEmpty {
                #expect(firstWords.contains(command), "command '\(command)' is not in the bad-input table")
            }
            for subcommand in subcommands {
                let name = "\(command) \(subcommand.replacingOccurrences(of: "(default)", with: ""))"
                #expect(tested.contains(name), "command '\(name)' is not in the bad-input table")
            }
        }
        let cases = BadInputTable.all
        print("bad-input table: \(cases.count) cases across \(Set(cases.map(\.command)).count) commands")
    }

    /// A run stopped (SIGTERM, SIGINT) while its output is staged leaves no temporary file and the old output.
    @Test(arguments: [SIGTERM, SIGINT])
    func anInterruptedRunLeavesNoTemporaryFile(_ signalNumber: Int32) throws {
        let space = try BadInputFixture.copy()
        try space.write("s.csv", "existing output\n")
        let process = Process()
        process.executableURL = try switchboardExecutable()
        process.arguments = [
            "score", "--model", "models/match.json", "--leads", "-", "--partners", "eco/partners.csv", "--out", "s.csv",
        ]
        process.currentDirectoryURL = space.work
        let input = Pipe()  // kept open: the run waits for leads with its output staged
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var staged = false
        for _ in 0..<200 where !staged {
            staged = try space.files().contains { $0.contains(".tmp-") }
            if !staged { usleep(25_000) }
        }
        #expect(staged, "the run staged its output")
        kill(process.processIdentifier, signalNumber)
        process.waitUntilExit()
        try input.fileHandleForWriting.close()
        #expect(process.terminationStatus == 128 + signalNumber)
        #expect(try !space.files().contains { $0.contains(".tmp-") }, "a temporary file was left")
        #expect(try space.read("s.csv") == "existing output\n")
    }

    @Test func helpExitsZeroAndUsageErrorsExitOne() throws {
        let space = try Workspace()
        let help = try space.run(["score", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--top"))
        let unknown = try space.run(["score", "--no-such-option"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("error: "), "\(unknown.stderr)")
        #expect(unknown.stderr.contains("Usage:"), "\(unknown.stderr)")
        let missing = try space.run(["score", "--top", "-2", "--leads", "l.csv", "--partners", "p.csv", "--out", "o.csv"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("--top must be at least 1 (got -2)"), "\(missing.stderr)")
    }
}
