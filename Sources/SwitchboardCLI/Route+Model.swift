import ArgumentParser
import Foundation
import Learning
import Switchboard

/// The model-driven inputs of `switchboard route`: leads are scored with the match model, and each lead's top eligible
/// partners become its candidates.
struct ModelRoutingOptions: ParsableArguments {
    @Option(help: "The match model (model mode; with --leads and --partners).") var model: String?
    @Option(help: "The leads to route (CSV; model mode).") var leads: String?
    @Option(help: "The partners CSV (capacity, open leads, status; model mode).") var partners: String?
    @Option(help: "Eligibility rules (JSON, as for `score`; model mode).") var rules: String?
    @Option(help: "Account owners CSV (account_id, partner_id; model mode).") var owners: String?
    @Option(
        parsing: .unconditional, help: "Candidates per lead: its top eligible partners by P(win) (model mode; at most 10000).")
    var candidatesPerLead: Int = 20
    @Option(help: "Partners' tenure is taken at this date (default: the model's history end; model mode).") var asOf: String?

    var isModelMode: Bool { model != nil || leads != nil || partners != nil }

    func validateModelMode() throws {
        guard model != nil, leads != nil, partners != nil else {
            throw ValidationError("model mode needs --model, --leads and --partners together")
        }
        try Limits.check("--candidates-per-lead", candidatesPerLead, atLeast: 1, atMost: Limits.partnersPerLead)
        if let asOf { _ = try timeOption("--as-of", asOf) }
    }

    /// Scores the leads and builds the routing problem.
    func problem(delimiter: CSVDelimiter?) throws -> RoutingProblem {
        let match = try loadModel(MatchModel.self, from: model!)
        let partnerList = try RecordLoader.partners(try FileIO.readTable(partners!, delimiter: delimiter).table)
        if partnerList.isEmpty { throw RecordError.emptySet(file: partners!, what: "partners") }
        let leadTable = try FileIO.readTable(leads!, delimiter: delimiter).table
        let leadList = try RecordLoader.leads(leadTable)
        if leadList.isEmpty { throw RecordError.emptySet(file: leadTable.source, what: "leads") }
        var eligibility = try Score.loadRules(rules: rules, owners: owners, partners: partnerList, delimiter: delimiter)
        // Capacity is the router's constraint (full partners stay listed so they show as the best alternative).
        eligibility.requireCapacity = false
        let time = asOf.flatMap { Timestamp(iso: Substring($0)) } ?? match.historyEnd
        let scorer = try LeadScorer(model: match, partners: partnerList, rules: eligibility, at: time)
        let scores = try scorer.score(leadList, top: min(candidatesPerLead, partnerList.count))
        return try ModelRouting.problem(scores: scores, leads: leadList, partners: partnerList, model: match, at: time)
    }
}
