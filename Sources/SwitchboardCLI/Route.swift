import ArgumentParser
import Foundation
import Learning
import Switchboard

extension RoutingPolicy: ExpressibleByArgument {}

struct Route: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Assign leads to partners under capacity: optimal, fair and explained.",
        discussion: """
            Model mode (--model, --leads, --partners, --out): scores the leads with the match model (eligibility as \
            for `score`, --rules and --owners) and routes each to one of its top --candidates-per-lead eligible \
            partners, expected value = P(win) × deal value; new partners (joined in the last 180 days) and small ones \
            (12-month revenue in the bottom quarter) get the config's minimum share, and the exploration bonus uses \
            the standard deviation of each partner's Beta(wins + 1, losses + 1) win rate from the model's history.

            Batch (--candidates, --capacities, --out): routes every lead to at most one of its candidate partners, \
            never beyond a partner's capacity minus its open leads, with the policy (optimal by default: the exact \
            maximum of the total expected value) and the config's fairness controls. Writes one row per lead in input \
            order (an empty partner_id when unassigned, with the reason) with its explanation: expected value, win \
            probability, rank, shadow price, best alternative and why it was not chosen. Prints the total expected \
            value. --prices-out also writes each partner's shadow price and capacity left, for --stream.

            Stream (--stream --prices FILE [--capacities FILE]): reads one JSON request per line on standard input, \
            {"lead_id": "L1", "candidates": [{"partner_id": "P1", "expected_value": 120.5}, ...]}, and writes one JSON \
            decision per line on standard output as each arrives: the candidate with room maximising expected value \
            minus shadow price, when that is not negative. --capacities gives the capacity left now (capacity minus \
            open leads), in place of the prices file's remaining_capacity.
            """)

    @Option(help: "Candidates CSV: lead_id,partner_id,expected_value[,win_probability,account_owner,eligible,deal_value].")
    var candidates: String?
    @Option(help: "Capacities CSV: partner_id,capacity[,open_leads,…] (with --stream: the capacity left now; see README).")
    var capacities: String?
    @Option(help: "optimal, greedy, round-robin or weighted (default: the config's policy, else optimal).")
    var policy: RoutingPolicy?
    @Option(help: "Routing configuration (JSON): policy, maxShare, minimumShare, minimumShareBonus, exploration, ….")
    var config: String?
    @Option(parsing: .unconditional, help: "Seed for the weighted policy (default: the config's seed, else 42).") var seed:
        UInt64?
    @Option(help: "Where to write the plan CSV (- for standard output).") var out: String?
    @Option(help: "Also write each partner's shadow price and remaining capacity (CSV), for --stream.") var pricesOut: String?
    @Flag(help: "Route leads one at a time: JSON lines from standard input to standard output, priced by --prices.")
    var stream = false
    @Option(help: "The prices file a batch run wrote with --prices-out (for --stream).") var prices: String?
    @OptionGroup var modelInputs: ModelRoutingOptions
    @OptionGroup var csv: CSVOptions

    func validate() throws {
        if modelInputs.isModelMode {
            try modelInputs.validateModelMode()
            if stream {
                throw ValidationError("--stream takes scored candidates on standard input, not --model/--leads/--partners")
            }
            if candidates != nil || capacities != nil {
                throw ValidationError("give either --model, --leads and --partners, or --candidates and --capacities")
            }
            guard let out else { throw ValidationError("--out FILE is required (- for standard output)") }
            if prices != nil { throw ValidationError("--prices is for --stream; a batch run writes prices with --prices-out") }
            return
        }
        if stream {
            guard prices != nil else {
                throw ValidationError("--stream needs --prices FILE (written by a batch run's --prices-out)")
            }
            let batchOnly = [
                ("--candidates", candidates), ("--out", out), ("--prices-out", pricesOut), ("--config", config),
            ]
            if let (name, _) = batchOnly.first(where: { $0.1 != nil }) {
                throw ValidationError(
                    "\(name) is for batch runs; --stream reads standard input and takes only --prices (and --capacities)")
            }
            if policy != nil || seed != nil {
                throw ValidationError("--policy and --seed are for batch runs; --stream prices leads by --prices")
            }
        } else {
            guard candidates != nil, capacities != nil else {
                throw ValidationError(
                    "give --model, --leads and --partners, or --candidates FILE and --capacities FILE (or --stream with --prices FILE)"
                )
            }
            guard let out else { throw ValidationError("--out FILE is required (- for standard output)") }
            if prices != nil { throw ValidationError("--prices is for --stream; a batch run writes prices with --prices-out") }
        }
    }

    func run() throws {
        try reportingErrors {
            if stream { try runStream() } else { try runBatch() }
        }
    }

    /// The configuration file (or the defaults), with --policy and --seed applied.
    func loadConfig() throws -> RoutingConfig {
        var routing = RoutingConfig()
        if let config { routing = try RoutingConfig.parse(try FileIO.read(config), source: config) }
        if let policy { routing.policy = policy }
        if let seed { routing.seed = seed }
        return routing
    }

    func runBatch() throws {
        let delimiter = try csv.parsedDelimiter()
        let routing = try loadConfig()
        if pricesOut != nil && routing.policy != .optimal {
            throw CLIError(
                "--prices-out needs the optimal policy (shadow prices come from the exact solve; got \(routing.policy.rawValue))")
        }
        let problem: RoutingProblem
        var candidateTable: CSVTable?
        if modelInputs.isModelMode {
            problem = try modelInputs.problem(delimiter: delimiter)
        } else {
            let partners = try RoutingFiles.capacities(try FileIO.readTable(capacities!, delimiter: delimiter).table)
            candidateTable = try FileIO.readTable(candidates!, delimiter: delimiter).table
            problem = try RoutingFiles.problem(candidateTable!, partners: partners, capacitiesSource: capacities!)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let plan = try CLIMessages.locatingValues(candidates: candidateTable, leads: modelInputs.leads, config: config) {
            try Router.route(problem, config: routing)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try Self.write(plan, resolution: routing.valueResolution, out: out!, pricesOut: pricesOut, seconds: seconds)
    }

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

    func runStream() throws {
        let source = prices!
        let delimiter = try csv.parsedDelimiter()
        let prices = try RoutingFiles.prices(try FileIO.readTable(source, delimiter: delimiter).table)
        var router: StreamRouter
        if let capacities {
            let partners = try RoutingFiles.capacities(try FileIO.readTable(capacities, delimiter: delimiter).table)
            router = try StreamRouter(prices: prices, capacities: partners)
        } else {
            router = try StreamRouter(prices: prices)
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
                throw RoutingError.badRequest(source: "<stdin>", line: line, message: error.description)
            }
            FileHandle.standardOutput.write(Data(RoutingFiles.jsonLine(decision).utf8))
        }
    }
}
