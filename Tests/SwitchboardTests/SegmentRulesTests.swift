import Foundation
import Learning
import LinearAlgebra
import Testing
import TestSupport

@testable import Switchboard

// MARK: - Hand-built partners

private func member(
    _ id: String, type: PartnerType = .reseller, verticals: [String] = ["retail"], technologies: [String] = ["cloud"],
    joined: Timestamp = Timestamp(year: 2020, month: 1, day: 1), capacity: Int = 10, openLeads: Int = 2,
    yearly: ActivityFigures = ActivityFigures(
        portalLogins: 240, trainingsCompleted: 12, dealRegistrations: 36, marketingFundsUsed: 1000, revenue: 60000)
) -> Partner {
    Partner(
        id: id, name: "Partner \(id)", type: type, tier: .gold, region: "EMEA", country: "DE", verticals: verticals,
        technologies: technologies, certifications: [], capacity: capacity, openLeads: openLeads, status: .active,
        managerID: "M1", joined: joined, activity: yearly)
}

private func row(
    _ id: String, _ period: Int, logins: Double = 20, deals: Double = 3, revenue: Double = 1000, trainings: Double = 1,
    churned: Bool = false
) -> PartnerActivity {
    PartnerActivity(
        partnerID: id, period: period,
        figures: ActivityFigures(
            portalLogins: logins, trainingsCompleted: trainings, dealRegistrations: deals, marketingFundsUsed: 100,
            revenue: revenue),
        churnedNext: churned)
}

/// Steady rows of `id` for every period in `periods`.
private func steady(_ id: String, _ periods: ClosedRange<Int>, revenue: Double = 1000) -> [PartnerActivity] {
    periods.map { row(id, $0, revenue: revenue) }
}

/// One partner for each lifecycle rule, as of period 20 (no history, so joining dates are not used).
private let stagePartners: [(partner: Partner, rows: [PartnerActivity], stage: LifecycleStage)] = [
    (member("ONBOARD"), steady("ONBOARD", 18...20), .onboarding),
    (member("NEW"), [], .onboarding),  // no activity row yet
    (member("RAMP"), steady("RAMP", 13...20), .ramping),
    (member("NOWIN"), steady("NOWIN", 0...20, revenue: 0), .ramping),  // veteran that has never won a deal
    (member("EST"), steady("EST", 0...20), .established),
    (
        member("FALLING"),
        (0...17).map { row("FALLING", $0, logins: 40, deals: 4) } + (18...20).map { row("FALLING", $0, logins: 3, deals: 0) },
        .atRisk
    ),
    (member("GONE"), steady("GONE", 0...14) + [row("GONE", 15, churned: true)], .dormant),
    (member("SILENT"), steady("SILENT", 0...17), .dormant),  // no row in periods 18–20
    (
        member("IDLE"),
        steady("IDLE", 0...17) + (18...20).map { row("IDLE", $0, logins: 0, deals: 0, revenue: 0, trainings: 2) },
        .dormant
    ),
]

private func stageInput() -> SegmentInput {
    SegmentInput(partners: stagePartners.map(\.partner), activity: stagePartners.flatMap(\.rows))
}

/// Every (partner, dimension) whose segment differs between two lists, by a plain double loop.
private func naiveMoves(_ before: [PartnerSegments], _ after: [PartnerSegments]) -> [SegmentMove] {
    var result: [SegmentMove] = []
    for now in after {
        for then in before where then.partnerID == now.partnerID {
            for dimension in SegmentDimension.allCases where then.segment(dimension) != now.segment(dimension) {
                result.append(
                    SegmentMove(
                        partnerID: now.partnerID, dimension: dimension, from: then.segment(dimension),
                        to: now.segment(dimension), fromPeriod: then.period!, toPeriod: now.period!))
            }
        }
    }
    return result
}

@Suite("Segment rules on hand-built partners")
struct SegmentRulesTests {
    @Test func eachLifecycleStageFromItsRule() throws {
        let report = try SegmentReport(stageInput())
        #expect(report.period == 20 && report.previousPeriod == 19)
        for (expected, segments) in zip(stagePartners, report.partners) {
            #expect(segments.partnerID == expected.partner.id)
            #expect(segments.lifecycle == expected.stage, "\(segments.partnerID): \(segments.lifecycle)")
        }
        let byID = Dictionary(uniqueKeysWithValues: report.partners.map { ($0.partnerID, $0) })
        #expect(byID["ONBOARD"]!.tenurePeriods == 3)
        #expect(byID["RAMP"]!.tenurePeriods == 8)
        #expect(byID["EST"]!.tenurePeriods == 21)
        #expect(byID["NEW"]!.tenurePeriods == nil)
        // The trend of FALLING: (ℓ3 + ℓ0)/2 over 18–20 minus (ℓ40 + ℓ4)/2 over 15–17.
        let trend = (log1p(3.0) + 0) / 2 - (log1p(40.0) + log1p(4.0)) / 2
        #expect(isClose(byID["FALLING"]!.engagementTrend, trend, absolute: 1e-12))
        #expect(byID["EST"]!.engagementTrend == 0)
        // Dormant and not-yet-active partners are not clustered; the others are.
        for segments in report.partners {
            let clustered = segments.lifecycle != .dormant && segments.partnerID != "NEW"
            #expect((segments.behaviour != "none") == clustered, "\(segments.partnerID)")
        }
        // Without history or a model: no pipeline, leads or churn risk.
        #expect(report.partners.allSatisfy { $0.pipeline == 0 && $0.leadsReceived == 0 && $0.churnRisk == nil })
        #expect(report.partners.allSatisfy { $0.winRate == nil })
    }

    @Test func thresholdsMoveTheBoundaries() throws {
        var options = SegmentOptions()
        options.lifecycle.atRiskTrend = -5  // nothing falls that far
        options.lifecycle.onboardingPeriods = 8  // RAMP (tenure 8) is still onboarding
        options.lifecycle.rampingPeriods = 30  // every active veteran is still ramping
        let report = try SegmentReport(stageInput(), options: options)
        let stage = Dictionary(uniqueKeysWithValues: report.partners.map { ($0.partnerID, $0.lifecycle) })
        #expect(stage["FALLING"] == .ramping)
        #expect(stage["RAMP"] == .onboarding)
        #expect(stage["EST"] == .ramping)
        #expect(stage["GONE"] == .dormant)
    }

    @Test func churnRiskAtTheThresholdMakesAPartnerAtRisk() {
        let maker = SnapshotMaker(
            partners: [], rows: [], assignments: [], calendar: nil, risk: [:], options: SegmentOptions())
        var snapshot = PartnerSnapshot()
        snapshot.present = true
        snapshot.tenure = 20
        snapshot.everWon = true
        #expect(maker.lifecycle(snapshot) == .established)
        snapshot.risk = 0.099
        #expect(maker.lifecycle(snapshot) == .established)
        snapshot.risk = 0.1
        #expect(maker.lifecycle(snapshot) == .atRisk)
        snapshot.dormant = true
        #expect(maker.lifecycle(snapshot) == .dormant)
    }

    @Test func tenureCountsFromTheJoiningMonthWhenTheCalendarIsKnown() throws {
        let start = Timestamp(year: 2024, month: 1, day: 1)
        let partners = [
            member("OLD", joined: Timestamp(year: 2022, month: 3, day: 15)),
            member("ABSENT", joined: Timestamp(year: 2022, month: 3, day: 15)),  // joined long ago, never active
            member("JUST", joined: Timestamp(year: 2025, month: 3, day: 2)),  // joined in period 14, no row yet
            member("LATER", joined: Timestamp(year: 2025, month: 9, day: 2)),  // joins after the data ends
        ]
        let input = SegmentInput(partners: partners, activity: steady("OLD", 10...15))
        let report = try SegmentReport(input, options: SegmentOptions(firstPeriodStart: start))
        let byID = Dictionary(uniqueKeysWithValues: report.partners.map { ($0.partnerID, $0) })
        // OLD joined in March 2022 = period −22: tenure at period 15 is 15 + 22 + 1.
        #expect(byID["OLD"]!.tenurePeriods == 38)
        #expect(byID["OLD"]!.lifecycle == .established)
        #expect(byID["ABSENT"]!.lifecycle == .dormant && byID["ABSENT"]!.tenurePeriods == 38)
        #expect(byID["JUST"]!.lifecycle == .onboarding && byID["JUST"]!.tenurePeriods == 2)
        #expect(byID["LATER"]!.lifecycle == .onboarding && byID["LATER"]!.tenurePeriods == nil)
        // Only the partners present at period 14 are compared: LATER is not.
        #expect(Set(report.previous.map(\.partnerID)) == ["OLD", "ABSENT", "JUST"])
    }

    @Test func percentileRanksCountHalfTheTies() {
        #expect(SnapshotMaker.percentileRanks([3, 1, 2, 2]) == [0.875, 0.125, 0.5, 0.5])
        #expect(SnapshotMaker.percentileRanks([5]) == [0.5])
        #expect(SnapshotMaker.percentileRanks([0, 0, 0, 0]) == [0.5, 0.5, 0.5, 0.5])
        let rule = ValueTierRule()
        #expect(rule.tier(score: 0.9, revenue: 0, pipeline: 0) == ValueTier.none)
        #expect(rule.tier(score: 0.8, revenue: 1, pipeline: 0) == .high)
        #expect(rule.tier(score: 0.79, revenue: 0, pipeline: 1) == .medium)
        #expect(rule.tier(score: 0.5, revenue: 1, pipeline: 1) == .medium)
        #expect(rule.tier(score: 0.49, revenue: 1, pipeline: 1) == .low)
    }

    /// Value scores from revenue (activity, over the window) and pipeline (history, not declined), checked against
    /// ranks computed by counting.
    @Test func valueTiersFromRevenueAndPipeline() throws {
        let ids = ["V1", "V2", "V3", "V4", "V5", "V6"]
        let revenue: [Double] = [0, 100, 200, 300, 400, 0]
        let partners = ids.map { member($0) }
        var activity: [PartnerActivity] = []
        for (index, id) in ids.enumerated() {
            activity += (0...5).map { row(id, $0, revenue: $0 == 5 ? revenue[index] : 0) }
        }
        // Pipeline: V5 gets a lost lead worth 1000 and a declined one worth 10⁶ (not counted); V4 a won lead worth
        // 500; V3 an expired one worth 50; V6's lead, in period 0, is before the window (periods 3–5).
        let month = { (m: Int) in Timestamp(year: 2024, month: m, day: 10) }
        let leads = [
            Lead(
                id: "L1", created: month(6), region: "EMEA", country: "DE", vertical: "retail", technology: "cloud",
                sizeBand: "smb", estimatedValue: 1000, source: "web", requiredCertifications: [], accountID: nil),
            Lead(
                id: "L2", created: month(6), region: "EMEA", country: "DE", vertical: "retail", technology: "cloud",
                sizeBand: "smb", estimatedValue: 1_000_000, source: "web", requiredCertifications: [], accountID: nil),
            Lead(
                id: "L3", created: month(5), region: "EMEA", country: "DE", vertical: "retail", technology: "cloud",
                sizeBand: "smb", estimatedValue: 500, source: "web", requiredCertifications: [], accountID: nil),
            Lead(
                id: "L4", created: month(4), region: "EMEA", country: "DE", vertical: "retail", technology: "cloud",
                sizeBand: "smb", estimatedValue: 50, source: "web", requiredCertifications: [], accountID: nil),
            Lead(
                id: "L0", created: month(1), region: "EMEA", country: "DE", vertical: "retail", technology: "cloud",
                sizeBand: "smb", estimatedValue: 7777, source: "web", requiredCertifications: [], accountID: nil),
        ]
        let outcomes = [
            Outcome(leadID: "L0", partnerID: "V6", assigned: month(1), outcome: .won, closed: month(2), revenue: 7777),
            Outcome(leadID: "L1", partnerID: "V5", assigned: month(6), outcome: .lost, closed: month(7), revenue: 0),
            Outcome(leadID: "L2", partnerID: "V5", assigned: month(6), outcome: .declined, closed: nil, revenue: 0),
            Outcome(leadID: "L3", partnerID: "V4", assigned: month(5), outcome: .won, closed: month(6), revenue: 500),
            Outcome(leadID: "L4", partnerID: "V3", assigned: month(4), outcome: .expired, closed: nil, revenue: 0),
        ]
        let input = SegmentInput(partners: partners, activity: activity, leads: leads, outcomes: outcomes)
        let report = try SegmentReport(input, options: SegmentOptions(windowPeriods: 3))
        let pipeline: [Double] = [0, 0, 50, 500, 1000, 0]
        let byID = Dictionary(uniqueKeysWithValues: report.partners.map { ($0.partnerID, $0) })
        func rank(_ values: [Double], _ i: Int) -> Double {
            let below = values.filter { $0 < values[i] }.count, tied = values.filter { $0 == values[i] }.count
            return (Double(below) + 0.5 * Double(tied)) / Double(values.count)
        }
        for (i, id) in ids.enumerated() {
            let segments = byID[id]!
            #expect(segments.revenue == revenue[i] && segments.pipeline == pipeline[i], "\(id)")
            let score = (rank(revenue, i) + rank(pipeline, i)) / 2
            #expect(isClose(segments.valueScore, score, absolute: 1e-15), "\(id)")
            let tier: ValueTier =
                revenue[i] == 0 && pipeline[i] == 0 ? .none : score >= 0.8 ? .high : score >= 0.5 ? .medium : .low
            #expect(segments.valueTier == tier, "\(id): \(segments.valueTier) for score \(score)")
        }
        #expect(byID["V5"]!.leadsReceived == 2 && byID["V5"]!.resolved == 1 && byID["V5"]!.wins == 0)
        #expect(byID["V4"]!.winRate == 1)
        #expect(byID["V6"]!.leadsReceived == 0)  // its only lead is before the window
        #expect(Set(report.partners.map(\.valueTier)) == [.none, .low, .medium, .high])
    }

    @Test func expertiseCellIsTheMostWonVerticalAndTechnology() throws {
        let partners = [
            member("X", verticals: ["education", "energy"], technologies: ["cloud", "security"]),
            member("Y", verticals: ["education", "energy"], technologies: ["cloud", "security"]),
            member("Z", verticals: [], technologies: ["erp"]),
        ]
        let month = { (m: Int) in Timestamp(year: 2024, month: m, day: 3) }
        func lead(_ id: String, _ vertical: String, _ technology: String, _ m: Int) -> Lead {
            Lead(
                id: id, created: month(m), region: "EMEA", country: "DE", vertical: vertical, technology: technology,
                sizeBand: "smb", estimatedValue: 100, source: "web", requiredCertifications: [], accountID: nil)
        }
        func won(_ lead: String, _ partner: String, _ m: Int) -> Outcome {
            Outcome(leadID: lead, partnerID: partner, assigned: month(m), outcome: .won, closed: month(m), revenue: 1)
        }
        // X wins one education/security lead in period 0, then two energy/cloud leads in period 3 (the last one).
        // Losses do not count.
        let leads = [
            lead("A", "education", "security", 1), lead("B", "energy", "cloud", 4), lead("C", "energy", "cloud", 4),
            lead("D", "retail", "cloud", 1), lead("E", "energy", "cloud", 1),
        ]
        let outcomes = [
            won("A", "X", 1), won("B", "X", 4), won("C", "X", 4), won("D", "X", 1),
            Outcome(leadID: "E", partnerID: "Y", assigned: month(1), outcome: .lost, closed: month(2), revenue: 0),
        ]
        let activity = ["X", "Y", "Z"].flatMap { steady($0, 0...3) }
        let report = try SegmentReport(
            SegmentInput(partners: partners, activity: activity, leads: leads, outcomes: outcomes))
        let now = Dictionary(uniqueKeysWithValues: report.partners.map { ($0.partnerID, $0) })
        let before = Dictionary(uniqueKeysWithValues: report.previous.map { ($0.partnerID, $0) })
        #expect(now["X"]!.expertiseCell == "energy/cloud")
        #expect(before["X"]!.expertiseCell == "education/cloud")  // a tie in technology goes to the first listed
        #expect(now["Y"]!.expertiseCell == "education/cloud")  // no wins: the first listed
        #expect(now["Z"]!.expertiseCell == "(none)/erp")
        #expect(now["X"]!.expertiseCells == ["education/cloud", "education/security", "energy/cloud", "energy/security"])
        #expect(now["Z"]!.expertiseCells.isEmpty)
        #expect(
            report.moves.contains(
                SegmentMove(
                    partnerID: "X", dimension: .expertise, from: "education/cloud", to: "energy/cloud", fromPeriod: 2,
                    toPeriod: 3)))
    }

    /// Two periods built so that partners move in known ways.
    @Test func movesBetweenTwoPeriods() throws {
        let partners = ["STAY", "LEAVE", "GROW", "EARN", "LATE"].map { member($0) }
        var activity = steady("STAY", 0...10)
        activity += steady("LEAVE", 0...8) + [row("LEAVE", 9, churned: true)]  // gone in period 10
        activity += steady("GROW", 7...10)  // tenure 3 at period 9, 4 at 10
        activity += (0...10).map { row("EARN", $0, revenue: $0 == 10 ? 90000 : 0) }  // first revenue in period 10
        activity += [row("LATE", 10)]  // first seen in period 10
        var options = SegmentOptions(windowPeriods: 1)
        options.lifecycle.rampingPeriods = 3
        let report = try SegmentReport(SegmentInput(partners: partners, activity: activity), options: options)
        #expect(report.period == 10 && report.previousPeriod == 9)
        #expect(report.previous.map(\.partnerID) == ["STAY", "LEAVE", "GROW", "EARN"])
        #expect(report.moves == naiveMoves(report.previous, report.partners))
        func move(_ id: String, _ dimension: SegmentDimension) -> (String, String)? {
            report.moves.first { $0.partnerID == id && $0.dimension == dimension }.map { ($0.from, $0.to) }
        }
        #expect(move("LEAVE", .lifecycle)! == ("established", "dormant"))
        #expect(move("LEAVE", .behaviour)!.1 == "none")
        #expect(move("GROW", .lifecycle)! == ("onboarding", "established"))
        #expect(move("EARN", .lifecycle)! == ("ramping", "established"))
        #expect(move("EARN", .value)! == ("none", "high"))
        #expect(move("STAY", .lifecycle) == nil && move("STAY", .type) == nil)
        #expect(!report.moves.contains { $0.partnerID == "LATE" })
        #expect(report.moves.allSatisfy { $0.fromPeriod == 9 && $0.toPeriod == 10 })
        // The CSV has one line a move.
        #expect(report.movesCSV().split(separator: "\n").count == report.moves.count + 1)
    }

    @Test func withoutActivityOneSnapshotFromThePartnersFile() throws {
        let zero = ActivityFigures(
            portalLogins: 0, trainingsCompleted: 0, dealRegistrations: 0, marketingFundsUsed: 0, revenue: 0)
        let partners = [
            member("A", joined: Timestamp(year: 2020, month: 1, day: 1)),
            member("B", joined: Timestamp(year: 2020, month: 1, day: 1), yearly: zero),
            member("C", joined: Timestamp(year: 2024, month: 11, day: 1)),
            member("D", joined: Timestamp(year: 2024, month: 2, day: 1)),
        ]
        let report = try SegmentReport(SegmentInput(partners: partners))
        #expect(report.period == nil && report.previousPeriod == nil && report.previous.isEmpty && report.moves.isEmpty)
        let stage = report.partners.map(\.lifecycle)
        // As of November 2024 (the latest joining month): C is in its first month, D in its tenth.
        #expect(stage == [.established, .dormant, .onboarding, .ramping])
        #expect(report.partners.map(\.tenurePeriods) == [59, 59, 1, 10])
        #expect(report.partners[0].revenue == 60000)
        #expect(report.behaviour?.featureNames == ChurnFeatures.figureNames)
    }

    @Test func badReferencesAndOptionsAreReported() throws {
        var input = stageInput()
        input.activity!.append(row("NOBODY", 3))
        input.sources.activity = "act.csv"
        #expect(
            throws: RecordError.unknownReference(
                file: "act.csv", line: input.activity!.count + 1, column: "partner_id", id: "NOBODY",
                referencedFile: "partners.csv")
        ) { try SegmentReport(input) }
        #expect(throws: RecordError.emptySet(file: "activity.csv", what: "activity rows")) {
            try SegmentReport(SegmentInput(partners: [member("A")], activity: []))
        }
        #expect(throws: RecordError.emptySet(file: "partners.csv", what: "partners")) {
            try SegmentReport(SegmentInput(partners: []))
        }
        #expect(throws: LearningError.invalidParameter(name: "windowPeriods", value: "0", requirement: "must be >= 1")) {
            try SegmentReport(stageInput(), options: SegmentOptions(windowPeriods: 0))
        }
        #expect(throws: LearningError.self) { try SegmentReport(stageInput(), options: SegmentOptions(clusterCounts: 1...4)) }
    }
}
