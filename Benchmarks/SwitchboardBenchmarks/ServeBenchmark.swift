import Foundation
import Learning
import Switchboard

/// The live router's benchmarks that need no server: the queue's value over greedy on a stream of arrivals. The
/// server under load is measured by `Benchmarks/serve-wrk` (wrk on loopback), which `Benchmarks/run serve` runs.
enum ServeBenchmark {
    /// How much expected value the live router's batch-optimised queue adds over routing greedily: the sample's
    /// incoming leads (Data/ecosystem, 14 days) replayed as a stream of arrivals against its partners at half
    /// capacity, scored with Models/match.json; every offer is accepted at once and the lead stays open for
    /// `holdDays`, then closes and frees its slot. The same `LiveRouter` runs twice: with the optimal policy (arrivals
    /// net of shadow prices, the queue routed by the exact optimum whenever capacity frees) and with the greedy policy
    /// (each lead to its best partner with room on arrival, the queue greedily). Leads arrive alone, or as hourly or
    /// daily imports (each window's leads submitted together at its end, as a CRM sync delivers them).
    static func value() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        func read(_ path: String) throws -> RecordSource {
            RecordSource(name: path, bytes: Array(try Data(contentsOf: root.appendingPathComponent(path))))
        }
        var files = EcosystemFiles()
        files[.partners] = try read("Data/ecosystem/partners.csv")
        files[.incoming] = try read("Data/ecosystem/incoming.csv")
        let ecosystem = try Ecosystem.load(files)
        let model = try ModelFile.decode(
            MatchModel.self, from: Array(try Data(contentsOf: root.appendingPathComponent("Models/match.json"))),
            file: "Models/match.json")
        var partners = ecosystem.partners
        for index in partners.indices { partners[index].capacity = partners[index].capacity / 2 }
        let scoring = try LiveScoring(
            model: model, partners: partners, rules: EligibilityRules(), at: model.historyEnd, candidatesPerLead: 20)
        let inputs = try scoring.inputs(for: ecosystem.incoming.sorted { $0.created < $1.created }, workers: Optional<Int>.none)
        print(
            "live router vs greedy: Data/ecosystem's \(inputs.count) incoming leads over 14 days as a stream, "
                + "\(partners.count) partners at half capacity, Models/match.json, every offer accepted at once")
        for holdDays in [3.0, 7.0] {
            for (label, window) in [("each lead alone", Int64(0)), ("hourly imports", 3600), ("daily imports", 86_400)] {
                let (optimal, greedy) = LiveStreamReplay.compare(
                    inputs, partners: scoring.livePartners, config: LiveConfig(maxQueueWait: 365 * 86_400),
                    holdSeconds: Int64(holdDays * 86_400), importWindow: window)
                print(
                    "  leads open \(Int(holdDays)) days, \(label): live router \(Bench.fixed(optimal.expectedValue, 0)) "
                        + "expected value (\(optimal.offers) offers, \(optimal.stillQueued) still queued); greedy "
                        + "\(Bench.fixed(greedy.expectedValue, 0)) (\(greedy.offers) offers, \(greedy.stillQueued) queued); "
                        + "ratio \(Bench.fixed(optimal.expectedValue / greedy.expectedValue, 4))")
            }
        }
    }
}
