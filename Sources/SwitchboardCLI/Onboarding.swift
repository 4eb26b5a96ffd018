import ArgumentParser
import Foundation
import Learning
import Switchboard

/// The settings `recommend onboarding` and `evaluate onboarding` share.
struct OnboardingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Steps in a path, one a month (1 to 8).") var steps = 4
    @Option(
        parsing: .unconditional,
        help: "A partner is productive when its first won deal came within this many months (the evidence).")
    var productiveWithin = 6

    func settings() -> OnboardingSettings {
        var settings = OnboardingSettings()
        settings.pathLength = steps
        settings.productiveWithin = productiveWithin
        return settings
    }

    func validate() throws {
        do { try settings().validate() } catch let OnboardingError.invalidSetting(name, value, requirement) {
            throw ValidationError("--\(name.replacingOccurrences(of: " ", with: "-")) \(requirement) (got \(value))")
        }
    }
}

/// Reads the catalogue and the onboarding history, fits the model and plans every new partner's path.
func planOnboarding(
    history historyPath: String, partners partnersPath: String, actions actionsPath: String, settings: OnboardingSettings,
    delimiter: CSVDelimiter?
) throws -> (plan: OnboardingPlan, history: [OnboardingPartner], actions: [Action]) {
    let actions = try RecordLoader.actions(
        CSVTable(parsing: try FileIO.read(actionsPath), source: actionsPath, delimiter: delimiter))
    if actions.isEmpty { throw RecordError.emptySet(file: actionsPath, what: "actions") }
    let history = try OnboardingFiles.history(
        RecordSource(name: historyPath, bytes: try FileIO.read(historyPath)), actions: actions, actionsFile: actionsPath,
        observedMonths: settings.observedMonths, delimiter: delimiter)
    let partners = try OnboardingFiles.newPartners(
        RecordSource(name: partnersPath, bytes: try FileIO.read(partnersPath)), delimiter: delimiter)
    let model = try OnboardingModel.fit(history: history, actions: actions, settings: settings, historyFile: historyPath)
    let plan = try OnboardingPlan(model: model, partners: partners, actions: actions, partnersFile: partnersPath)
    return (plan, history, actions)
}

struct RecommendOnboarding: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onboarding",
        abstract: "An ordered onboarding path for each new partner, personalised by segment and profile.",
        discussion: """
            Learns from --history (onboarded partners: their steps in order and the month of their first won deal) a \
            hazard model of the first won deal by segment (partner type) with the steps taken so far, then gives each \
            partner of --partners the ordered steps (trainings, certifications, onboarding content, incentives of \
            --actions) with the fewest expected months to its first won deal, each with the months it saves and how \
            many of the segment's productive partners took it early.
            """)

    @Option(help: "The onboarding history CSV file (partner_id, type, employees, certifications, steps, first_deal_month, first_year_revenue).")
    var history: String
    @Option(help: "The partners to plan for (partner_id, type, employees, certifications).") var partners: String
    @Option(help: "The action catalogue CSV file.") var actions: String
    @Option(help: "The paths CSV file, one row a partner a step (- for standard output).") var out: String
    @OptionGroup var options: OnboardingOptions
    @OptionGroup var csv: CSVOptions

    func run() throws {
        try reportingErrors {
            let (plan, _, _) = try planOnboarding(
                history: history, partners: partners, actions: actions, settings: options.settings(),
                delimiter: try csv.parsedDelimiter())
            try FileIO.writeAtomically([(out, Array(plan.csv().utf8))])
            if out != "-" {
                print(OnboardingText.summary(plan))
                print("wrote \(out)")
            }
        }
    }
}

struct EvaluateOnboarding: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onboarding",
        abstract: "Measure personalised onboarding paths against the checklist with a generated ecosystem's truth.",
        discussion: """
            Reads actions.csv, onboarding_history.csv and onboarding_new.csv of --data (as `switchboard generate` \
            writes them) and the truth (truth/onboarding.csv, truth/onboarding_segments.csv), plans every new \
            partner's path as `recommend onboarding` does, and values it, the checklist (the history's most common \
            path), the segment's most common path among its productive partners and the best path under the truth: \
            expected months to the first won deal and expected first-year revenue.
            """)

    @Option(help: "The folder written by `switchboard generate`.") var data: String
    @Option(help: "Also write the figures as JSON to this file.") var json: String?
    @Option(help: "Also write the paths CSV (as recommend onboarding) to this file.") var out: String?
    @OptionGroup var options: OnboardingOptions
    @OptionGroup var csv: CSVOptions

    func run() throws {
        try reportingErrors {
            let delimiter = try csv.parsedDelimiter()
            func path(_ name: String) -> String { EcosystemFiles.path(data, name) }
            let (plan, history, actions) = try planOnboarding(
                history: path(OnboardingFiles.historyFile), partners: path(OnboardingFiles.newPartnersFile),
                actions: path("actions.csv"), settings: options.settings(), delimiter: delimiter)
            let truth = try OnboardingFiles.truth(
                RecordSource(name: path(OnboardingFiles.truthStepsFile), bytes: try FileIO.read(path(OnboardingFiles.truthStepsFile))),
                RecordSource(
                    name: path(OnboardingFiles.truthSegmentsFile), bytes: try FileIO.read(path(OnboardingFiles.truthSegmentsFile))),
                delimiter: delimiter)
            let evaluation = try OnboardingEvaluation.evaluate(plan, history: history, truth: truth, actions: actions)
            print(OnboardingText.evaluation(evaluation, plan: plan, truth: truth, data: data))
            var outputs: [(path: String, bytes: [UInt8])] = []
            if let json { outputs.append((json, Array(try JSONEncoder.pretty.encode(EvaluationJSON(evaluation))) + [0x0A])) }
            if let out { outputs.append((out, Array(plan.csv().utf8))) }
            try FileIO.writeAtomically(outputs)
        }
    }

    struct EvaluationJSON: Encodable {
        var partners: Int
        var personalisedMonths, checklistMonths, segmentProductiveMonths, bestMonths: Double
        var personalisedRevenue, checklistRevenue, segmentProductiveRevenue, bestRevenue: Double
        var fasterThanChecklist, slowerThanChecklist: Int

        enum CodingKeys: String, CodingKey {
            case partners
            case personalisedMonths = "personalised_months"
            case checklistMonths = "checklist_months"
            case segmentProductiveMonths = "segment_productive_months"
            case bestMonths = "best_months"
            case personalisedRevenue = "personalised_first_year_revenue"
            case checklistRevenue = "checklist_first_year_revenue"
            case segmentProductiveRevenue = "segment_productive_first_year_revenue"
            case bestRevenue = "best_first_year_revenue"
            case fasterThanChecklist = "faster_than_checklist"
            case slowerThanChecklist = "slower_than_checklist"
        }

        init(_ e: OnboardingEvaluation) {
            partners = e.partners
            personalisedMonths = e.personalised.meanMonths
            checklistMonths = e.checklist.meanMonths
            segmentProductiveMonths = e.segmentProductive.meanMonths
            bestMonths = e.best.meanMonths
            personalisedRevenue = e.personalised.meanRevenue
            checklistRevenue = e.checklist.meanRevenue
            segmentProductiveRevenue = e.segmentProductive.meanRevenue
            bestRevenue = e.best.meanRevenue
            fasterThanChecklist = e.fasterThanChecklist
            slowerThanChecklist = e.slowerThanChecklist
        }
    }
}

enum OnboardingText {
    /// Per segment: the fitted step effects and the path of its first partner; the checklist.
    static func summary(_ plan: OnboardingPlan) -> String {
        let m = plan.model
        var out = "onboarding paths for \(plan.paths.count) partners, learnt from \(m.historyCount) onboarded partners "
        out += "(\(m.rowCount) partner-months; λ = \(m.fit.l2Strength), segment shrinkage τ = "
        out += m.fit.shrinkage.isInfinite ? "∞ (one shared model))\n" : "\(m.fit.shrinkage))\n"
        out += "checklist (the most common path, \(m.checklistCount) partners): \(m.checklist.joined(separator: " → "))\n"
        for type in m.segments {
            let members = plan.paths.filter { $0.partner.type == type }
            guard let first = members.first else { continue }
            let mean = members.reduce(0) { $0 + $1.expectedMonths } / Double(members.count)
            let checklist = members.reduce(0) { $0 + $1.checklistMonths } / Double(members.count)
            out += "\(type.rawValue) (\(members.count) partners; expected months to the first won deal \(Format.fixed(mean, 2))"
            out += ", checklist \(Format.fixed(checklist, 2))): e.g. \(first.partner.id): "
            out += first.steps.map { "\($0.actionID) (−\(Format.fixed($0.monthsSaved, 2)) months)" }.joined(separator: " → ")
            out += "\n"
        }
        return String(out.dropLast())
    }

    static func evaluation(_ e: OnboardingEvaluation, plan: OnboardingPlan, truth: OnboardingTruth, data: String) -> String {
        var out = "onboarding paths against the truth of \(data): \(e.partners) new partners, "
        out += "\(plan.model.settings.pathLength) steps, first-year revenue over \(plan.model.settings.observedMonths) months\n"
        out += Format.table(
            ["strategy", "expected months to first won deal", "expected first-year revenue"],
            [e.personalised, e.checklist, e.segmentProductive, e.best].map {
                [$0.name, Format.fixed($0.meanMonths, 3), RecommendText.money($0.meanRevenue)]
            })
        out += "personalised is faster than the checklist for \(e.fasterThanChecklist) of \(e.partners) partners, "
        out += "slower for \(e.slowerThanChecklist)\n"
        out += Format.table(
            ["segment", "partners", "personalised", "checklist", "best"],
            e.segments.map {
                [
                    $0.type.rawValue, "\($0.partners)", Format.fixed($0.personalisedMonths, 3),
                    Format.fixed($0.checklistMonths, 3), Format.fixed($0.bestMonths, 3),
                ]
            })
        return String(out.dropLast())
    }
}
