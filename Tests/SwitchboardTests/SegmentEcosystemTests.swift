import Foundation
import Learning
import LinearAlgebra
import Testing
import TestSupport

@testable import Switchboard

/// The shipped sample, loaded through the validating loaders.
private struct Sample {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    let partners: [Partner]
    let leads: [Lead]
    let outcomes: [Outcome]
    let activity: [PartnerActivity]
    let churn: ChurnModel

    init() throws {
        func table(_ name: String) throws -> CSVTable {
            let path = Sample.root.appendingPathComponent("Data/ecosystem/\(name)").path
            return try CSVTable(parsing: Array(try #require(FileManager.default.contents(atPath: path))), source: name)
        }
        partners = try RecordLoader.partners(table("partners.csv"))
        leads = try RecordLoader.leads(table("leads.csv"))
        outcomes = try RecordLoader.outcomes(table("outcomes.csv"))
        activity = try RecordLoader.activity(table("activity.csv"))
        let modelPath = Sample.root.appendingPathComponent("Models/churn.json").path
        churn = try ModelFile.decode(
            ChurnModel.self, from: Array(try #require(FileManager.default.contents(atPath: modelPath))), file: "churn.json")
    }

    var input: SegmentInput {
        SegmentInput(partners: partners, activity: activity, leads: leads, outcomes: outcomes, churnModel: churn)
    }
}

/// The month of a time, counted from January 2024 (the sample's period 0), read off its ISO text.
private func samplePeriod(_ time: Timestamp) -> Int {
    let text = time.description
    let year = Int(text.prefix(4))!, month = Int(text.dropFirst(5).prefix(2))!
    return (year - 2024) * 12 + month - 1
}

@Suite("Segments of the shipped ecosystem sample")
struct SegmentEcosystemTests {
    /// Every KPI is recounted from the records: the partners in the segment, their assignments in the window
    /// (periods 12–23), revenue from their activity rows, churn risk from the model, load from the partners file.
    @Test func kpisMatchANaiveRecount() throws {
        let sample = try Sample()
        let report = try SegmentReport(sample.input)
        #expect(report.period == 23 && report.previousPeriod == 22 && report.windowPeriods == 12)
        let window = 12...23
        let leadByID = Dictionary(uniqueKeysWithValues: sample.leads.map { ($0.id, $0) })
        let partnerByID = Dictionary(uniqueKeysWithValues: sample.partners.map { ($0.id, $0) })
        // Churn risk of each partner's row at period 23, scored on its own.
        let features = try ChurnFeatures.build(activity: sample.activity, partners: sample.partners)
        let risks = try sample.churn.risk(for: features)
        var riskAt23: [String: Double] = [:]
        for (key, risk) in zip(features.keys, risks) where key.period == 23 { riskAt23[key.partnerID] = risk }

        struct Count {
            var partners = 0, leads = 0, wins = 0, resolved = 0, open = 0, capacity = 0
            var revenue = 0.0, pipeline = 0.0, risks: [Double] = []
        }
        func recount(_ ids: Set<String>) -> Count {
            var c = Count()
            c.partners = ids.count
            for outcome in sample.outcomes where ids.contains(outcome.partnerID) {
                guard window.contains(samplePeriod(outcome.assigned)) else { continue }
                c.leads += 1
                if outcome.outcome == .won { c.wins += 1 }
                if outcome.outcome != .declined {
                    c.resolved += 1
                    c.pipeline += leadByID[outcome.leadID]!.estimatedValue
                }
            }
            for row in sample.activity where ids.contains(row.partnerID) && window.contains(row.period) {
                c.revenue += row.figures.revenue
            }
            for id in ids {
                c.open += partnerByID[id]!.openLeads
                c.capacity += partnerByID[id]!.capacity
                if let risk = riskAt23[id] { c.risks.append(risk) }
            }
            return c
        }
        for kpi in report.kpis {
            let ids = Set(
                report.partners.filter { kpi.dimension == nil || $0.segment(kpi.dimension!) == kpi.segment }.map(\.partnerID))
            let c = recount(ids)
            let label = "\(kpi.dimension?.rawValue ?? "all")/\(kpi.segment)"
            #expect(kpi.partners == c.partners && kpi.partners > 0, "\(label)")
            #expect(kpi.leadsReceived == c.leads && kpi.wins == c.wins && kpi.resolved == c.resolved, "\(label)")
            #expect(kpi.revenue == c.revenue && kpi.pipeline == c.pipeline, "\(label)")
            #expect(kpi.openLeads == c.open && kpi.capacity == c.capacity, "\(label)")
            #expect(kpi.churnScored == c.risks.count, "\(label)")
            if c.risks.isEmpty {
                #expect(kpi.meanChurnRisk == nil, "\(label)")
            } else {
                #expect(isClose(kpi.meanChurnRisk!, c.risks.reduce(0, +) / Double(c.risks.count), relative: 1e-12), "\(label)")
            }
            if c.resolved > 0 { #expect(kpi.winRate! == Double(c.wins) / Double(c.resolved), "\(label)") }
            #expect(kpi.utilisation! == Double(c.open) / Double(c.capacity), "\(label)")
        }
        // Each dimension's segments split all 300 partners.
        #expect(report.kpis.first!.dimension == nil && report.kpis.first!.partners == 300)
        for dimension in SegmentDimension.allCases {
            #expect(report.kpis.filter { $0.dimension == dimension }.map(\.partners).reduce(0, +) == 300, "\(dimension)")
        }
        // The per-partner figures too.
        for segments in report.partners {
            let c = recount([segments.partnerID])
            #expect(segments.leadsReceived == c.leads && segments.wins == c.wins && segments.resolved == c.resolved)
            #expect(segments.revenue == c.revenue && segments.pipeline == c.pipeline)
            #expect(segments.churnRisk == riskAt23[segments.partnerID])
        }
    }

    /// The figures the README quotes, and the clustering's internal consistency.
    @Test func figuresOnTheSample() throws {
        let report = try SegmentReport(try Sample().input)
        func count(_ dimension: SegmentDimension, _ segment: String) -> Int {
            report.partners.count { $0.segment(dimension) == segment }
        }
        #expect(count(.lifecycle, "onboarding") == 6)
        #expect(count(.lifecycle, "ramping") == 12)
        #expect(count(.lifecycle, "established") == 112)
        #expect(count(.lifecycle, "at risk") == 20)
        #expect(count(.lifecycle, "dormant") == 150)
        let tiers: [Int] = ["high", "medium", "low", "none"].map { count(.value, $0) }
        #expect(tiers == [53, 103, 70, 74])
        let behaviour = try #require(report.behaviour)
        #expect(behaviour.partnerCount == 150 && behaviour.sampleSize == 150)
        #expect(behaviour.candidates.map(\.clusterCount) == Array(2...8))
        #expect(behaviour.clusters.count == 2)
        #expect(behaviour.silhouette == behaviour.candidates.compactMap(\.silhouette).max())
        #expect(abs(behaviour.silhouette! - 0.271) < 0.0005)
        #expect(behaviour.clusters.map(\.size) == [99, 51])
        #expect(count(.behaviour, "none") == count(.lifecycle, "dormant"))
        // The silhouette is that of the clustered partners' standardised features.
        let clustered = report.partners.filter { $0.behaviour != "none" }
        #expect(clustered.count == 150)
        #expect(report.moves == SegmentReport.moves(from: report.previous, to: report.partners))
        #expect(Set(report.moves.map(\.partnerID)).count == 75)
        // Same data, same seed: the same report.
        #expect(try SegmentReport(try Sample().input) == report)
    }
}
