import Foundation
import Learning
import LinearAlgebra
import Testing
import TestSupport

@testable import Switchboard

// MARK: - Helpers

private func activity(
    _ partner: String, _ period: Int, logins: Double, trainings: Double = 1, deals: Double = 2, funds: Double = 100,
    revenue: Double = 5000, churned: Bool = false
) -> PartnerActivity {
    PartnerActivity(
        partnerID: partner, period: period,
        figures: ActivityFigures(
            portalLogins: logins, trainingsCompleted: trainings, dealRegistrations: deals, marketingFundsUsed: funds,
            revenue: revenue),
        churnedNext: churned)
}

private func partner(_ id: String, tier: PartnerTier, type: PartnerType) -> Partner {
    Partner(
        id: id, name: "Partner \(id)", type: type, tier: tier, region: "EMEA", country: "DE", verticals: [], technologies: [],
        certifications: [], capacity: 10, openLeads: 0, status: .active, managerID: "M1",
        joined: Timestamp(year: 2024, month: 1, day: 1),
        activity: ActivityFigures(portalLogins: 0, trainingsCompleted: 0, dealRegistrations: 0, marketingFundsUsed: 0, revenue: 0)
    )
}

/// The hand-made history: A (periods 0, 1, 2, 4, 5, 6; 3 is missing) and B (periods 2, 3).
private let handMadeHistory: [PartnerActivity] = [
    activity("A", 0, logins: 0, revenue: 0),
    activity("A", 1, logins: 3, revenue: 1000),
    activity("A", 2, logins: 7, revenue: 3000),
    activity("A", 4, logins: 1, revenue: 0),
    activity("A", 5, logins: 15, revenue: 2000),
    activity("A", 6, logins: 4, revenue: 0, churned: true),
    activity("B", 2, logins: 9, trainings: 0),
    activity("B", 3, logins: 2, trainings: 4),
]

private let handMadePartners = [partner("A", tier: .gold, type: .reseller), partner("B", tier: .silver, type: .msp)]

/// The figures of a record in `ChurnFeatures.figureNames` order.
private func figures(_ record: PartnerActivity) -> [Double] {
    let f = record.figures
    return [f.portalLogins, f.trainingsCompleted, f.dealRegistrations, f.marketingFundsUsed, f.revenue]
}

/// The features of `record` computed naively from the definition: filter the partner's records by period window.
private func naiveFeatures(_ record: PartnerActivity, in history: [PartnerActivity], partner: Partner?) -> [Double] {
    let mine = history.filter { $0.partnerID == record.partnerID }
    let t = record.period
    func mean(_ rows: [PartnerActivity], _ f: Int) -> Double {
        rows.map { log1p(figures($0)[f]) }.reduce(0, +) / Double(rows.count)
    }
    let recent = mine.filter { $0.period >= t - 2 && $0.period <= t }
    let earlier = mine.filter { $0.period >= t - 5 && $0.period <= t - 3 }
    var row = (0..<5).map { log1p(figures(record)[$0]) }
    row += (0..<5).map { earlier.isEmpty ? 0 : mean(recent, $0) - mean(earlier, $0) }
    row.append(Double(t - mine.map(\.period).min()!))
    if let partner {
        row += PartnerTier.allCases.map { $0 == partner.tier ? 1 : 0 }
        row += PartnerType.allCases.map { $0 == partner.type ? 1 : 0 }
    }
    return row
}

/// The features of the row for (partner, period).
private func features(of table: ChurnFeatureTable, _ partnerID: String, _ period: Int) throws -> [Double] {
    let row = try #require(table.keys.firstIndex { $0.partnerID == partnerID && $0.period == period })
    return table.values.row(row)
}

/// The churn the simulations draw from: σ(intercept + Σ weight·raw feature).
private let trueIntercept = 0.3
private let trueWeights: [String: Double] = [
    "portal_logins": -0.6, "deal_registrations": -0.4, "revenue_trend": -1.5, "tenure_periods": 0.12,
]

/// Partner histories in which churn is the known logistic function of the raw features above.
///
/// Each partner starts at a random period in 0…3; its log figures drift by partner-specific rates plus noise. At
/// each period it churns next with probability σ(trueIntercept + Σ trueWeights·features), and then has no more
/// rows. The labels are drawn from features of the full histories, which the cut does not change (no leakage).
private func simulatedHistories(partnerCount: Int, periods: Int = 12, seed: UInt64) throws -> [PartnerActivity] {
    var rng = SeededGenerator(seed: seed)
    let centres = [3.0, 1.0, 1.5, 6.0, 10.0]
    var all: [PartnerActivity] = []
    for index in 0..<partnerCount {
        let id = "P" + String(10000 + index).dropFirst()
        var levels = centres.map { $0 + 0.7 * rng.nextGaussian() }
        let drifts = centres.map { _ in 0.25 * rng.nextGaussian() }
        for period in Int(rng.next() % 4)..<periods {
            for f in levels.indices { levels[f] += drifts[f] + 0.3 * rng.nextGaussian() }
            let raw = levels.map { expm1(max($0 + 0.2 * rng.nextGaussian(), 0)) }
            all.append(activity(id, period, logins: raw[0], trainings: raw[1], deals: raw[2], funds: raw[3], revenue: raw[4]))
        }
    }
    let table = try ChurnFeatures.build(activity: all)
    let columns = Dictionary(uniqueKeysWithValues: trueWeights.keys.map { ($0, table.featureNames.firstIndex(of: $0)!) })
    var kept: [PartnerActivity] = []
    var churned: Set<String> = []
    for row in 0..<table.rowCount {  // partner by partner, periods ascending
        let key = table.keys[row]
        if churned.contains(key.partnerID) { continue }
        var margin = trueIntercept
        for (name, weight) in trueWeights { margin += weight * table.values[row, columns[name]!] }
        var record = all[key.activityIndex]
        record.churnedNext = rng.nextUniform() < Kernels.sigmoid(margin)
        if record.churnedNext { churned.insert(key.partnerID) }
        kept.append(record)
    }
    return kept
}

/// (1/n)·Σ log(1 + exp(−ỹ·(z·w + b))) + (λ/2)·‖w‖², written out.
private func naiveObjective(_ z: Matrix<Double>, _ labels: [Bool], _ w: [Double], _ b: Double, _ lambda: Double) -> Double {
    var total = 0.0
    for i in 0..<z.rowCount {
        var margin = b
        for j in 0..<z.columnCount { margin += z[i, j] * w[j] }
        total += Kernels.log1pexp(labels[i] ? -margin : margin)
    }
    return total / Double(z.rowCount) + 0.5 * lambda * w.reduce(0) { $0 + $1 * $1 }
}

// MARK: - Features

@Suite("Churn features")
struct ChurnFeatureTests {
    @Test func matchTheDefinitionOnAHandMadeHistory() throws {
        for partners in [nil, handMadePartners] {
            let table = try ChurnFeatures.build(activity: handMadeHistory, partners: partners)
            #expect(table.featureNames == ChurnFeatures.featureNames(partnerAttributes: partners != nil))
            #expect(table.rowCount == handMadeHistory.count)
            for record in handMadeHistory {
                let expected = naiveFeatures(record, in: handMadeHistory, partner: partners?.first { $0.id == record.partnerID })
                #expect(maxAbsDifference(try features(of: table, record.partnerID, record.period), expected) < 1e-12)
            }
        }
        // A few cells by hand.
        let table = try ChurnFeatures.build(activity: handMadeHistory, partners: handMadePartners)
        let a6 = try #require(table.keys.firstIndex { $0.partnerID == "A" && $0.period == 6 })
        // Logins: periods 4–6 hold 1, 15, 4; periods 1–3 hold 3, 7 (3 is missing).
        #expect(isClose(table.value(row: a6, feature: "portal_logins")!, log(5)))
        let a6Trend: Double = (log(2.0) + log(16.0) + log(5.0)) / 3 - (log(4.0) + log(8.0)) / 2
        #expect(isClose(table.value(row: a6, feature: "portal_logins_trend")!, a6Trend))
        #expect(table.value(row: a6, feature: "tenure_periods") == 6)
        #expect(table.value(row: a6, feature: "tier=gold") == 1 && table.value(row: a6, feature: "tier=silver") == 0)
        #expect(table.value(row: a6, feature: "type=reseller") == 1 && table.value(row: a6, feature: "type=msp") == 0)
        #expect(table.labels[a6])
        let a4 = try #require(table.keys.firstIndex { $0.partnerID == "A" && $0.period == 4 })
        // Periods 2–4 hold 7, 1; periods −1–1 hold 0, 3.
        let a4Trend: Double = (log(8.0) + log(2.0)) / 2 - (log(1.0) + log(4.0)) / 2
        #expect(isClose(table.value(row: a4, feature: "portal_logins_trend")!, a4Trend))
        let a2 = try #require(table.keys.firstIndex { $0.partnerID == "A" && $0.period == 2 })
        #expect(table.value(row: a2, feature: "revenue_trend") == 0, "nothing before period 0")
        let b3 = try #require(table.keys.firstIndex { $0.partnerID == "B" && $0.period == 3 })
        #expect(table.value(row: b3, feature: "tenure_periods") == 1)
        #expect(table.value(row: b3, feature: "trainings_completed_trend") == 0)
        #expect(isClose(table.value(row: b3, feature: "trainings_completed")!, log(5)))
        #expect(table.value(row: b3, feature: "tier=silver") == 1 && table.value(row: b3, feature: "type=msp") == 1)
        #expect(table.value(row: b3, feature: "no such feature") == nil)
    }

    @Test func namesAreFixedAndReadable() {
        let names = ChurnFeatures.featureNames(partnerAttributes: true)
        #expect(Array(names.prefix(11)) == ChurnFeatures.featureNames(partnerAttributes: false))
        #expect(names.contains("portal_logins") && names.contains("revenue_trend") && names.contains("tenure_periods"))
        #expect(names.contains("tier=gold") && names.contains("type=system integrator"))
        #expect(names.count == 11 + PartnerTier.allCases.count + PartnerType.allCases.count)
        #expect(Set(names).count == names.count)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func doNotDependOnInputOrder(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let history = try simulatedHistories(partnerCount: 30, seed: seed)
        let shuffled = history.shuffled(using: &rng)
        let a = try ChurnFeatures.build(activity: history), b = try ChurnFeatures.build(activity: shuffled)
        #expect(a.keys.map(\.partnerID) == b.keys.map(\.partnerID) && a.keys.map(\.period) == b.keys.map(\.period))
        #expect(a.values == b.values && a.labels == b.labels)
        // Rows come out by partner, then period, and point back at their records.
        for (index, key) in b.keys.enumerated() {
            #expect(shuffled[key.activityIndex].partnerID == key.partnerID && shuffled[key.activityIndex].period == key.period)
            #expect(b.labels[index] == shuffled[key.activityIndex].churnedNext)
            if index > 0 {
                let previous = b.keys[index - 1]
                #expect((previous.partnerID, previous.period) < (key.partnerID, key.period))
            }
        }
    }

    @Test(arguments: [UInt64(4), 5, 6])
    func laterPeriodsDoNotChangeEarlierRows(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let history = try simulatedHistories(partnerCount: 40, seed: seed)
        let cutoff = 5
        // Change every later figure and label, drop some later records and add others.
        var altered: [PartnerActivity] = []
        for var record in history where record.period <= cutoff || rng.nextUniform() < 0.7 {
            if record.period > cutoff {
                record.figures.portalLogins = 1000 * rng.nextUniform()
                record.figures.revenue = 0
                record.churnedNext.toggle()
            }
            altered.append(record)
        }
        altered.append(activity("P0000", 40, logins: 1e6))
        for partners in [false, true] {
            let ids = Set(history.map(\.partnerID))
            let known = partners ? ids.sorted().map { partner($0, tier: .platinum, type: .isv) } : nil
            let before = try ChurnFeatures.build(activity: history, partners: known)
            let after = try ChurnFeatures.build(activity: altered.shuffled(using: &rng), partners: known)
            var compared = 0
            for (row, key) in before.keys.enumerated() where key.period <= cutoff {
                #expect(try features(of: after, key.partnerID, key.period) == before.values.row(row))
                compared += 1
            }
            #expect(compared > 100)
        }
    }

    @Test func latestRowPerPartner() throws {
        let table = try ChurnFeatures.build(activity: handMadeHistory.reversed())
        let latest = table.latestRowPerPartner()
        #expect(latest.map { table.keys[$0].partnerID } == ["A", "B"])
        #expect(latest.map { table.keys[$0].period } == [6, 3])
        let subset = table.selectingRows(latest)
        #expect(subset.rowCount == 2 && subset.values.row(1) == table.values.row(latest[1]))
    }

    @Test func badRecordsNameFileLineAndColumn() throws {
        var sources = EcosystemSources()
        sources.activity = "act.csv"
        sources.partners = "partners.csv"
        let history = handMadeHistory + [activity("C", 1, logins: 2)]
        // Record 8 is on line 10 by default (header, one line a record), or wherever the lines say.
        let unknown = RecordError.unknownReference(
            file: "act.csv", line: 10, column: "partner_id", id: "C", referencedFile: "partners.csv")
        #expect(throws: unknown) {
            _ = try ChurnFeatures.build(activity: history, partners: handMadePartners, sources: sources)
        }
        #expect(unknown.description == "act.csv:10: column 'partner_id': 'C' does not exist in partners.csv")
        var numbered = sources
        numbered.lines[.activity] = Array(stride(from: 5, through: 21, by: 2))
        #expect(
            throws: RecordError.unknownReference(
                file: "act.csv", line: 21, column: "partner_id", id: "C", referencedFile: "partners.csv")
        ) {
            _ = try ChurnFeatures.build(activity: history, partners: handMadePartners, sources: numbered)
        }
        // Without partners every id is accepted.
        #expect(try ChurnFeatures.build(activity: history, sources: sources).rowCount == 9)
        #expect(
            throws: RecordError.duplicateID(
                file: "act.csv", line: 10, column: "partner_id, period", id: "A period 4", firstLine: 5)
        ) {
            _ = try ChurnFeatures.build(activity: handMadeHistory + [activity("A", 4, logins: 1)], sources: sources)
        }
        #expect(throws: RecordError.self) {
            _ = try ChurnFeatures.build(activity: [activity("A", 0, logins: -1)], sources: sources)
        }
        #expect(throws: RecordError.self) {
            _ = try ChurnFeatures.build(activity: [activity("A", 0, logins: .nan)], sources: sources)
        }
        let empty = try ChurnFeatures.build(activity: [], partners: handMadePartners)
        #expect(empty.rowCount == 0 && empty.featureCount == 22)
    }
}

// MARK: - Model and trainer

@Suite("Churn model")
struct ChurnModelTests {
    /// The fit is the minimum of the objective: without constraints the gradient vanishes; with the engagement
    /// coefficients kept ≤ 0 the KKT conditions hold (a coefficient held at 0 has ∂f/∂wⱼ ≤ 0, so lowering it would
    /// not help; every other one has ∂f/∂wⱼ = 0), and no feasible step lowers f.
    @Test(arguments: [(UInt64(11), true), (12, true), (11, false), (12, false)])
    func theFitIsTheObjectivesMinimum(seed: UInt64, constrained: Bool) throws {
        let table = try ChurnFeatures.build(activity: try simulatedHistories(partnerCount: 200, seed: seed))
        var request = ChurnTrainingRequest(crossValidationFolds: nil)
        request.engagementLowersRisk = constrained
        let model = try ChurnTrainer.train(table, request: request)
        #expect(model.training.converged)
        #expect(model.training.l2Strength == 1 / Double(table.rowCount))
        let z = try model.standardised(table)
        // Standardisation: mean 0 and population sd 1 in every column that varies.
        for j in 0..<z.columnCount {
            let column = (0..<z.rowCount).map { z[$0, j] }
            let mean = column.reduce(0, +) / Double(column.count)
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(column.count)
            #expect(abs(mean) < 1e-12 && abs(variance - 1) < 1e-9, "\(table.featureNames[j])")
        }
        let engagement = ChurnFeatures.figureNames + ChurnFeatures.figureNames.map { $0 + "_trend" }
        #expect(model.signConstrained == (constrained ? table.featureNames.filter { engagement.contains($0) } : nil))
        #expect(model.consistencyProblem() == nil)
        let isConstrained = table.featureNames.map { constrained && engagement.contains($0) }
        let held = model.coefficients.indices.filter { isConstrained[$0] && model.coefficients[$0] == 0 }
        for j in model.coefficients.indices where isConstrained[j] { #expect(model.coefficients[j] <= 0) }
        // The gradient, written out.
        let n = Double(table.rowCount), lambda = model.l2Strength
        let margins = try model.margins(for: table)
        var gradient = model.coefficients.map { lambda * $0 }, interceptGradient = 0.0
        for i in 0..<table.rowCount {
            let residual = (Kernels.sigmoid(margins[i]) - (table.labels[i] ? 1 : 0)) / n
            for j in gradient.indices { gradient[j] += residual * z[i, j] }
            interceptGradient += residual
        }
        for j in gradient.indices {
            if held.contains(j) {
                #expect(gradient[j] <= 1e-7, "\(table.featureNames[j]) held at 0: \(gradient[j])")
            } else {
                #expect(abs(gradient[j]) < 1e-7, "\(table.featureNames[j]): \(gradient[j])")
            }
        }
        #expect(abs(interceptGradient) < 1e-7)
        if constrained { #expect(!held.isEmpty, "the constraint binds on this data") }
        // Central differences of the objective agree, and no feasible step lowers it.
        let h = 1e-5
        let base = naiveObjective(z, table.labels, model.coefficients, model.intercept, lambda)
        for j in 0...model.coefficients.count {
            var up = model.coefficients, down = model.coefficients
            var bUp = model.intercept, bDown = model.intercept
            if j < up.count {
                up[j] += h
                down[j] -= h
            } else {
                bUp += h
                bDown -= h
            }
            let fUp = naiveObjective(z, table.labels, up, bUp, lambda)
            let fDown = naiveObjective(z, table.labels, down, bDown, lambda)
            if j < up.count && held.contains(j) {
                #expect(fDown >= base - 1e-14)  // raising it above 0 is not allowed
            } else {
                #expect(abs((fUp - fDown) / (2 * h)) < 1e-6)
                #expect(fUp >= base - 1e-14 && fDown >= base - 1e-14)
            }
        }
    }

    @Test func recoversTheTrueCoefficientsOnLargeData() throws {
        let table = try ChurnFeatures.build(activity: try simulatedHistories(partnerCount: 3000, seed: 21))
        #expect(table.rowCount > 10_000)
        let model = try ChurnTrainer.train(table, request: ChurnTrainingRequest(crossValidationFolds: nil))
        for (name, truth) in trueWeights {
            let j = try #require(model.featureNames.firstIndex(of: name))
            let raw = model.coefficients[j] / model.scales[j]  // back on the raw feature's scale
            #expect(raw.sign == truth.sign, "\(name): \(raw) vs \(truth)")
            #expect(abs(raw - truth) < 0.25 * abs(truth), "\(name): \(raw) vs \(truth)")
        }
        // The features with no effect get small coefficients (standardised: the true ones are 0.35 to 0.9).
        for (j, name) in model.featureNames.enumerated() where trueWeights[name] == nil {
            #expect(abs(model.coefficients[j]) < 0.15, "\(name): \(model.coefficients[j])")
        }
        #expect(try #require(model.metrics.training).rocAUC > 0.7)
    }

    @Test func explanationsAddUpToTheMargin() throws {
        let table = try ChurnFeatures.build(
            activity: try simulatedHistories(partnerCount: 60, seed: 31),
            partners: (0..<60).map { partner("P" + String(10000 + $0).dropFirst(), tier: .gold, type: .oem) })
        let model = try ChurnTrainer.train(table, request: ChurnTrainingRequest(crossValidationFolds: nil))
        let margins = try model.margins(for: table)
        let all = try model.explain(table, top: model.featureNames.count)
        let top3 = try model.explain(table, top: 3)
        let risks = try model.risk(for: table)
        for row in 0..<table.rowCount {
            let sum = all[row].map(\.contribution).reduce(0, +)
            #expect(isClose(sum, margins[row] - model.intercept, absolute: 1e-10))
            #expect(isClose(risks[row], Kernels.sigmoid(margins[row])))
            #expect(Set(all[row].map(\.name)) == Set(model.featureNames))
            #expect(top3[row] == Array(all[row].prefix(3)))
            for (earlier, later) in zip(all[row], all[row].dropFirst()) {
                #expect(abs(earlier.contribution) >= abs(later.contribution))
            }
            for factor in all[row] {
                let j = model.featureNames.firstIndex(of: factor.name)!
                #expect(factor.value == table.values[row, j])
                #expect(isClose(factor.contribution, model.coefficients[j] * (factor.value - model.means[j]) / model.scales[j]))
            }
        }
        #expect(try model.explain(table, top: 0).allSatisfy(\.isEmpty))
        #expect(throws: LearningError.self) { _ = try model.explain(table, top: -1) }
        // Features built without partner attributes are not this model's.
        let plain = try ChurnFeatures.build(activity: try simulatedHistories(partnerCount: 5, seed: 31))
        #expect(throws: LearningError.self) { _ = try model.risk(for: plain) }
    }

    @Test func roundTripsThroughAModelFile() throws {
        let table = try ChurnFeatures.build(activity: try simulatedHistories(partnerCount: 150, seed: 41))
        let model = try ChurnTrainer.train(table, request: ChurnTrainingRequest(l2Strength: 0.01, crossValidationFolds: 3))
        let bytes = try ModelFile.encode(model)
        var decoded = try ModelFile.decode(ChurnModel.self, from: bytes, file: "churn.json")
        #expect(decoded.header.checksum.count == 16)
        decoded.header.checksum = ""
        #expect(decoded == model)
        #expect(decoded.header.kind == "churn-logistic" && decoded.l2Strength == 0.01 && !decoded.usesPartnerAttributes)
        #expect(try decoded.risk(for: table) == (try model.risk(for: table)))
        #expect(decoded.metrics.crossValidation?.folds.count == 3)
        #expect(throws: ModelFileError.wrongKind(file: "churn.json", found: "churn-logistic", expected: "tabular-logistic")) {
            _ = try ModelFile.decode(TabularModel.self, from: bytes, file: "churn.json")
        }
        // A model whose parts disagree is rejected even with a valid checksum.
        var broken = model
        broken.scales[0] = 0
        #expect(throws: ModelFileError.self) {
            _ = try ModelFile.decode(ChurnModel.self, from: try ModelFile.encode(broken), file: "churn.json")
        }
        // So is one that says a coefficient was kept <= 0 when it is positive.
        #expect(model.signConstrained?.first == "portal_logins")
        var positive = model
        positive.coefficients[0] = 0.5
        #expect(throws: ModelFileError.self) {
            _ = try ModelFile.decode(ChurnModel.self, from: try ModelFile.encode(positive), file: "churn.json")
        }
        // A file from before the constraint existed (no key) reads as unconstrained.
        var old = model
        old.signConstrained = nil
        #expect(try ModelFile.decode(ChurnModel.self, from: try ModelFile.encode(old), file: "churn.json").signConstrained == nil)
    }
}

@Suite("Churn cross-validation")
struct ChurnCrossValidationTests {
    @Test func cutsSixPeriodsIntoThreeBlocks() throws {
        let periods = [5, 0, 1, 2, 3, 4, 0, 5, 2]
        let folds = try ChurnTrainer.forwardChainingFolds(periods: periods, foldCount: 2)
        #expect(folds.count == 2)
        #expect(folds[0].trainPeriods == 0...1 && folds[0].testPeriods == 2...3)
        #expect(folds[0].trainIndices == [1, 2, 6] && folds[0].testIndices == [3, 4, 8])
        #expect(folds[1].trainPeriods == 0...3 && folds[1].testPeriods == 4...5)
        #expect(folds[1].trainIndices == [1, 2, 3, 4, 6, 8] && folds[1].testIndices == [0, 5, 7])
    }

    @Test(arguments: [(UInt64(1), 2), (2, 3), (3, 5), (4, 9), (5, 4)])
    func neverTrainsOnTheTestBlockOrLater(seed: UInt64, foldCount: Int) throws {
        var rng = SeededGenerator(seed: seed)
        // Distinct periods with gaps, rows in random order.
        let distinct = (0..<15).map { $0 * 2 + Int(rng.next() % 2) }.filter { _ in rng.nextUniform() < 0.8 }
        let periods = (0..<400).map { _ in distinct[Int(rng.next() % UInt64(distinct.count))] }
        let used = Set(periods).sorted()
        guard foldCount < used.count else { return }
        let folds = try ChurnTrainer.forwardChainingFolds(periods: periods, foldCount: foldCount)
        #expect(folds.count == foldCount)
        var blockSizes: [Int] = []
        for (index, fold) in folds.enumerated() {
            let firstTest = fold.testIndices.map { periods[$0] }.min()!
            #expect(fold.trainIndices.allSatisfy { periods[$0] < firstTest })
            #expect(fold.testIndices.allSatisfy { fold.testPeriods.contains(periods[$0]) })
            #expect(fold.trainPeriods.upperBound < fold.testPeriods.lowerBound)
            #expect(Set(fold.trainIndices).isDisjoint(with: fold.testIndices))
            // Fold i + 1 trains on what fold i trained and tested on; the blocks are contiguous.
            if index + 1 < folds.count {
                #expect((fold.trainIndices + fold.testIndices).sorted() == folds[index + 1].trainIndices)
            } else {
                #expect(fold.testPeriods.upperBound == used.last!)
            }
            if index == 0 { blockSizes.append(used.count { fold.trainPeriods.contains($0) }) }
            blockSizes.append(used.count { fold.testPeriods.contains($0) })
            #expect(fold.trainPeriods.lowerBound == used.first!)
        }
        #expect(blockSizes.reduce(0, +) == used.count)
        #expect(blockSizes.max()! - blockSizes.min()! <= 1)
    }

    @Test func needsTwoFoldsAndEnoughPeriods() {
        #expect(throws: LearningError.self) { _ = try ChurnTrainer.forwardChainingFolds(periods: [0, 1, 2], foldCount: 1) }
        #expect(throws: LearningError.self) { _ = try ChurnTrainer.forwardChainingFolds(periods: [0, 1, 2, 2], foldCount: 3) }
        #expect((try? ChurnTrainer.forwardChainingFolds(periods: [0, 1, 2, 2], foldCount: 2))?.count == 2)
    }

    @Test func eachFoldRefitsOnItsPastAlone() throws {
        let table = try ChurnFeatures.build(activity: try simulatedHistories(partnerCount: 400, seed: 51))
        let model = try ChurnTrainer.train(table, request: ChurnTrainingRequest(crossValidationFolds: 4))
        let cv = try #require(model.metrics.crossValidation)
        #expect(cv.foldCount == 4 && cv.folds.count == 4 && cv.evaluatedFoldCount == 4)
        let splits = try ChurnTrainer.forwardChainingFolds(periods: table.keys.map(\.period), foldCount: 4)
        for (fold, split) in zip(cv.folds, splits) {
            // Train a model on the fold's training rows alone (its own standardisation), score the test rows.
            let past = try ChurnTrainer.train(
                table.selectingRows(split.trainIndices), request: ChurnTrainingRequest(crossValidationFolds: nil))
            let test = table.selectingRows(split.testIndices)
            let report = try Metrics.report(labels: test.labels, probabilities: try past.risk(for: test))
            let stored = try #require(fold.report)
            #expect(
                isClose(stored.logLoss, report.logLoss, relative: 1e-6) && isClose(stored.rocAUC, report.rocAUC, relative: 1e-6))
            #expect(fold.trainPeriods == split.trainPeriods && fold.testPeriods == split.testPeriods)
            #expect(fold.trainRowCount == split.trainIndices.count && fold.testRowCount == split.testIndices.count)
        }
        let summary = try #require(cv.summary)
        let aucs = cv.folds.map { $0.report!.rocAUC }
        #expect(isClose(summary.rocAUC.mean, aucs.reduce(0, +) / 4))
        #expect(summary.rocAUC.mean > 0.6)
    }

    @Test func skipsAFoldWhoseTestRowsHaveOneClass() throws {
        // Periods 0–11 make the blocks 0–2, 3–5, 6–8, 9–11; nobody churns after period 8, so the last fold's test
        // rows are all 'not churned'.
        var history = try simulatedHistories(partnerCount: 200, seed: 61)
        for index in history.indices where history[index].period > 8 { history[index].churnedNext = false }
        let table = try ChurnFeatures.build(activity: history)
        let model = try ChurnTrainer.train(table, request: ChurnTrainingRequest(crossValidationFolds: 3))
        let cv = try #require(model.metrics.crossValidation)
        #expect(cv.folds.map { $0.report == nil } == [false, false, true])
        #expect(cv.folds[2].skipped == "every test row is 'not churned'")
        #expect(cv.evaluatedFoldCount == 2)
        #expect(cv.summary?.logLoss.mean == cv.folds.prefix(2).map { $0.report!.logLoss }.reduce(0, +) / 2)
    }

    @Test func badInputAndHyperparametersAreErrors() throws {
        let table = try ChurnFeatures.build(activity: try simulatedHistories(partnerCount: 50, seed: 71))
        let empty = try ChurnFeatures.build(activity: [], sources: EcosystemSources())
        // Hyperparameters are checked first, even on empty data.
        for request in [
            ChurnTrainingRequest(l2Strength: -1), ChurnTrainingRequest(l2Strength: .infinity),
            ChurnTrainingRequest(l2Strength: .nan), ChurnTrainingRequest(crossValidationFolds: 1),
            ChurnTrainingRequest(crossValidationFolds: 0),
        ] {
            let error = #expect(throws: LearningError.self) { _ = try ChurnTrainer.train(empty, request: request) }
            if case .invalidParameter = error {} else { Issue.record("\(String(describing: error))") }
        }
        #expect(
            LearningError.invalidParameter(name: "l2Strength", value: "-1.0", requirement: "must be finite and >= 0").description
                == "l2Strength must be finite and >= 0 (got -1.0)")
        #expect(throws: RecordError.emptySet(file: "activity.csv", what: "activity rows")) {
            _ = try ChurnTrainer.train(empty)
        }
        var none = table
        none.labels = none.labels.map { _ in false }
        #expect(throws: LearningError.singleClass(label: false)) { _ = try ChurnTrainer.train(none) }
        var all = table
        all.labels = all.labels.map { _ in true }
        #expect(throws: LearningError.singleClass(label: true)) { _ = try ChurnTrainer.train(all) }
        // 12 distinct periods allow at most 11 folds.
        #expect(throws: LearningError.self) {
            _ = try ChurnTrainer.train(table, request: ChurnTrainingRequest(crossValidationFolds: 12))
        }
        #expect(
            try ChurnTrainer.train(table, request: ChurnTrainingRequest(crossValidationFolds: 11)).metrics.crossValidation != nil)
    }
}
