import ArgumentParser
import Foundation
import Learning
import Switchboard

extension RoutingPolicy: ExpressibleByArgument {}

struct Route: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Assign leads to partners under capacity: optimal, fair and explained.",
        discussion: """
            `route model` scores leads with the match model and routes them; `route candidates` routes leads whose \
            candidate partners and expected values are already given; `route stream` routes one lead at a time from \
            standard input with the shadow prices a batch run wrote.
            """,
        subcommands: [RouteModel.self, RouteCandidates.self, RouteStream.self])
}

/// The routing policy and fairness settings of a batch run.
struct RoutingSettingsOptions: ParsableArguments {
    @Option(help: "optimal, greedy, round-robin or weighted (default: the config's policy, else optimal).")
    var policy: RoutingPolicy?
    @Option(help: "Routing configuration (JSON): policy, maxShare, minimumShare, minimumShareBonus, exploration, ….")
    var config: String?
    @Option(parsing: .unconditional, help: "Seed for the weighted policy (default: the config's seed, else 42).")
    var seed: UInt64?

    /// The configuration file (or the defaults), with --policy and --seed applied.
    func load() throws -> RoutingConfig {
        var routing = RoutingConfig()
        if let config { routing = try RoutingConfig.parse(try FileIO.read(config), source: config) }
        if let policy { routing.policy = policy }
        if let seed { routing.seed = seed }
        return routing
    }
}

/// Where a batch run writes its plan and prices (an output that is also an input, or two outputs on one path, are
/// refused by the output guard before anything is read).
struct PlanOutputOptions: ParsableArguments {
    @Option(help: "Where to write the plan CSV (- for standard output).") var out: String
    @Option(help: "Also write each partner's shadow price and remaining capacity (CSV), for `route stream`.")
    var pricesOut: String?

    /// Routes `problem` and writes the plan (and the prices) atomically, then the summary.
    func route(
        _ problem: RoutingProblem, config: RoutingConfig, candidates: CSVTable? = nil, leads: String? = nil,
        configFile: String?
    ) throws {
        if pricesOut != nil && config.policy != .optimal {
            throw CLIError(
                "--prices-out needs the optimal policy (shadow prices come from the exact solve; got \(config.policy.rawValue))")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let plan = try CLIMessages.locatingValues(candidates: candidates, leads: leads, config: configFile) {
            try Router.route(problem, config: config)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try RouteText.write(plan, resolution: config.valueResolution, out: out, pricesOut: pricesOut, seconds: seconds)
    }
}

struct RouteModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Score leads with the match model and route each to one of its top eligible partners.",
        discussion: """
            Scores the leads with the match model (eligibility as for `score`, --rules and --owners) and routes each to \
            one of its top --candidates-per-lead eligible partners, expected value = P(win) × deal value; new partners \
            (joined in the last 180 days) and small ones (12-month revenue in the bottom quarter) get the config's \
            minimum share, and the exploration bonus uses the standard deviation of each partner's \
            Beta(wins + 1, losses + 1) win rate from the model's history. Writes the plan as `route candidates` does.
            """)

    @Option(help: "The match model file written by `switchboard train match`.") var model: String
    @Option(help: "The leads to route (CSV).") var leads: String
    @Option(help: "The partners CSV (capacity, open leads, status).") var partners: String
    @Option(help: "Eligibility rules (JSON, as for `score`).") var rules: String?
    @Option(help: "Account owners CSV (account_id, partner_id).") var owners: String?
    @Option(parsing: .unconditional, help: "Candidates per lead: its top eligible partners by P(win) (at most 10000).")
    var candidatesPerLead: Int = 20
    @Option(help: "Partners' tenure is taken at this date (default: the model's history end).") var asOf: String?
    @OptionGroup var settings: RoutingSettingsOptions
    @OptionGroup var output: PlanOutputOptions
    @OptionGroup var csv: CSVOptions

    func validate() throws {
        try Limits.check("--candidates-per-lead", candidatesPerLead, atLeast: 1, atMost: Limits.partnersPerLead)
        if let asOf { _ = try timeOption("--as-of", asOf) }
    }

    func run() throws {
        try reportingErrors {
            let delimiter = try csv.parsedDelimiter()
            let config = try settings.load()
            let match = try loadModel(MatchModel.self, from: model)
            let ecosystem = try Ecosystem.load(
                try EcosystemFiles.reading([.partners: partners, .leads: leads]),
                options: EcosystemLoadOptions(delimiter: delimiter, nonEmpty: [.leads]))
            var eligibility = try Score.loadRules(
                rules: rules, owners: owners, partners: ecosystem.partners, delimiter: delimiter)
            // Capacity is the router's constraint (full partners stay listed so they show as the best alternative).
            eligibility.requireCapacity = false
            let router = ModelRouter(
                model: match, partners: ecosystem.partners, rules: eligibility,
                at: asOf.flatMap { Timestamp(iso: Substring($0)) } ?? match.historyEnd, candidatesPerLead: max(1, min(candidatesPerLead, ecosystem.partners.count)))
            try output.route(
                try router.problem(for: ecosystem.leads).problem, config: config, leads: leads, configFile: settings.config)
        }
    }
}

struct RouteCandidates: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "candidates",
        abstract: "Route leads among given candidate partners under capacity.",
        discussion: """
            Routes every lead to at most one of its candidate partners, never beyond a partner's capacity minus its \
            open leads, with the policy (optimal by default: the exact maximum of the total expected value) and the \
            config's fairness controls. Writes one row per lead in input order (an empty partner_id when unassigned, \
            with the reason) with its explanation: expected value, win probability, rank, shadow price, best \
            alternative and why it was not chosen. Prints the total expected value. --prices-out also writes each \
            partner's shadow price and capacity left, for `route stream`.
            """)

    @Option(help: "Candidates CSV: lead_id,partner_id,expected_value[,win_probability,account_owner,eligible,deal_value].")
    var candidates: String
    @Option(help: "Capacities CSV: partner_id,capacity[,open_leads,…].") var capacities: String
    @OptionGroup var settings: RoutingSettingsOptions
    @OptionGroup var output: PlanOutputOptions
    @OptionGroup var csv: CSVOptions

    func run() throws {
        try reportingErrors {
            let delimiter = try csv.parsedDelimiter()
            let config = try settings.load()
            let partners = try RoutingFiles.capacities(try FileIO.readTable(capacities, delimiter: delimiter).table)
            let table = try FileIO.readTable(candidates, delimiter: delimiter).table
            let problem = try RoutingFiles.problem(table, partners: partners, capacitiesSource: capacities)
            try output.route(problem, config: config, candidates: table, configFile: settings.config)
        }
    }
}

struct RouteStream: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Route leads one at a time: JSON lines from standard input to standard output.",
        discussion: """
            Reads one JSON request per line on standard input, \
            {"lead_id": "L1", "candidates": [{"partner_id": "P1", "expected_value": 120.5}, ...]}, and writes one JSON \
            decision per line on standard output as each arrives: the candidate with room maximising expected value \
            minus shadow price, when that is not negative. --capacities gives the capacity left now (capacity minus \
            open leads), in place of the prices file's remaining_capacity.
            """)

    @Option(help: "The prices file a batch run wrote with --prices-out.") var prices: String
    @Option(help: "Capacities CSV: partner_id,capacity: the capacity left now (default: the prices file's).")
    var capacities: String?
    @OptionGroup var csv: CSVOptions

    func run() throws {
        try reportingErrors {
            let delimiter = try csv.parsedDelimiter()
            let priceList = try RoutingFiles.prices(try FileIO.readTable(prices, delimiter: delimiter).table)
            var router: StreamRouter
            if let capacities {
                let partners = try RoutingFiles.capacities(try FileIO.readTable(capacities, delimiter: delimiter).table)
                router = try StreamRouter(prices: priceList, capacities: partners)
            } else {
                router = try StreamRouter(prices: priceList)
            }
            var line = 0
            while let text = readLine(strippingNewline: true) {
                line += 1
                if text.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
                let request = try RoutingFiles.request(Substring(text), source: "<stdin>", line: line)
                let decision: StreamDecision
                do {
                    decision = try router.route(leadID: request.leadID, candidates: request.candidates)
                } catch {
                    throw RoutingError.badRequest(source: "<stdin>", line: line, message: "\(error)")
                }
                FileHandle.standardOutput.write(Data(RoutingFiles.jsonLine(decision).utf8))
            }
        }
    }
}

/// The summary and files a batch run writes.
enum RouteText {
    /// Writes the plan (and the prices) atomically, then the summary: on standard output, or on standard error when
    /// the plan itself goes to standard output.
    static func write(_ plan: RoutingPlan, resolution: Double, out: String, pricesOut: String?, seconds: Double) throws {
        var outputs = [(path: out, bytes: Array(RoutingFiles.planCSV(plan, resolution: resolution).utf8))]
        if let pricesOut { outputs.append((pricesOut, Array(RoutingFiles.pricesCSV(plan, resolution: resolution).utf8))) }
        try FileIO.writeAtomically(outputs)
        let summary =
            Self.summary(plan, resolution: resolution, seconds: seconds)
            + "Wrote \(out == "-" ? "the plan to standard output" : out)\(pricesOut.map { " and \($0)" } ?? "").\n"
        if out == "-" {
            FileHandle.standardError.write(Data(summary.utf8))
        } else {
            print(summary, terminator: "")
        }
    }

    static func summary(_ plan: RoutingPlan, resolution: Double, seconds: Double) -> String {
        let decimals = max(2, RoutingFiles.decimals(resolution))
        func money(_ value: Double) -> String { RoutingFiles.format(value, decimals: decimals) }
        let total = plan.assignments.count + plan.unassigned.count
        var text = "Routed \(plan.assignments.count) of \(total) leads with the \(plan.policy.rawValue) policy "
        text += "in \(Format.fixed(seconds, 2)) s: total expected value \(money(plan.totalExpectedValue))\n"
        text += "objective \(money(plan.objective)) (expected value with bonuses, at resolution \(resolution))"
        if let bound = plan.dualBound {
            text += bound == plan.objective ? "; proven optimal: the dual bound is equal" : "; dual bound \(money(bound))"
        }
        text += "\n"
        if !plan.unassigned.isEmpty {
            var counts: [UnassignedReason: Int] = [:]
            for lead in plan.unassigned { counts[lead.reason, default: 0] += 1 }
            let parts = UnassignedReason.allCases.compactMap { reason in counts[reason].map { "\($0) \(reason.rawValue)" } }
            text += "\(plan.unassigned.count) unassigned: \(parts.joined(separator: ", "))\n"
        }
        let reserved = plan.assignments.filter { $0.basis == .minimumShare }.count
        if plan.ownerAssignments > 0 || reserved > 0 {
            text += "\(plan.ownerAssignments) to their account owner, \(reserved) in reserved (minimum-share) slots\n"
        }
        let full = plan.partners.filter { $0.limit > 0 && $0.assigned >= $0.limit }.count
        text += "\(full) of \(plan.partners.count) partners at their limit\n"
        return text
    }
}
