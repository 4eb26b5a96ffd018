import Foundation
import LinearAlgebra
import Testing
@testable import Learning
import TestSupport

/// Margins whose true log-odds are `truth`, as a model would report them scaled by `scale` (over-confident when
/// > 1), with labels drawn from the truth.
private func margins(count: Int, scale: Double, seed: UInt64) -> (margins: [Double], labels: [Bool]) {
    var rng = SeededGenerator(seed: seed)
    var margins: [Double] = [], labels: [Bool] = []
    for _ in 0..<count {
        let truth = rng.uniform(-2.5, 1.5)
        margins.append(scale * truth)
        labels.append(rng.uniform(0, 1) < 1 / (1 + exp(-truth)))
    }
    return (margins, labels)
}

/// The mean log loss written out with the textbook formula, −[y·log p + (1 − y)·log(1 − p)].
private func naiveLoss(_ margins: [Double], _ labels: [Bool], _ a: Double, _ c: Double) -> Double {
    var total = 0.0
    for (z, y) in zip(margins, labels) {
        let p = 1 / (1 + exp(-(a * z + c)))
        total -= y ? log(p) : log(1 - p)
    }
    return total / Double(margins.count)
}

struct RecalibrationTests {
    /// Newton's slope and offset against a brute-force grid search of the textbook loss, and its gradient against
    /// central finite differences.
    @Test(arguments: [UInt64(1), 2, 3])
    func plattFitMatchesAGridSearchAndIsStationary(seed: UInt64) {
        let (z, y) = margins(count: 600, scale: seed == 1 ? 3 : 0.6, seed: seed)
        let (a, c) = Recalibration.fit(margins: z, labels: y)
        var best = (Double.infinity, 0.0, 0.0)
        for i in 0...100 {
            for j in 0...100 {
                let ga = a - 0.2 + 0.004 * Double(i), gc = c - 0.2 + 0.004 * Double(j)
                let loss = naiveLoss(z, y, ga, gc)
                if loss < best.0 { best = (loss, ga, gc) }
            }
        }
        #expect(naiveLoss(z, y, a, c) <= best.0 + 1e-12, "grid found \(best) below Newton's (\(a), \(c))")
        #expect(abs(best.1 - a) <= 0.004 && abs(best.2 - c) <= 0.004)
        let h = 1e-5
        let da = (naiveLoss(z, y, a + h, c) - naiveLoss(z, y, a - h, c)) / (2 * h)
        let dc = (naiveLoss(z, y, a, c + h) - naiveLoss(z, y, a, c - h)) / (2 * h)
        #expect(abs(da) < 1e-7 && abs(dc) < 1e-7, "finite-difference gradient (\(da), \(dc))")
    }

    /// Over-confident margins (three times the true log-odds) are shrunk by about a third; calibrated ones are left.
    @Test(arguments: [UInt64(11), 12, 13])
    func crossFittingShrinksOverconfidentMarginsAndLeavesCalibratedOnes(seed: UInt64) throws {
        let folds = (0..<3).map { margins(count: 3000, scale: 3, seed: seed &+ UInt64($0) &* 100) }
        let fitted = try #require(
            Recalibration.crossFitted(
                margins: folds.map(\.margins), labels: folds.map(\.labels), minimumRelativeGain: 0.001))
        #expect(abs(fitted.slope - 1.0 / 3) < 0.04 && abs(fitted.offset) < 0.1, "\(fitted)")
        #expect(fitted.heldOutLogLossAfter < fitted.heldOutLogLossBefore)
        let calibrated = (0..<3).map { margins(count: 3000, scale: 1, seed: seed &+ 7 &+ UInt64($0) &* 100) }
        #expect(
            Recalibration.crossFitted(
                margins: calibrated.map(\.margins), labels: calibrated.map(\.labels), minimumRelativeGain: 0.001) == nil)
    }

    /// Applied to a model, the recalibration maps every margin z to slope·z + offset.
    @Test func applyingARecalibrationMapsEachMargin() throws {
        var rng = SeededGenerator(seed: 5)
        let design = try Matrix(rowCount: 50, columnCount: 4, storage: (0..<200).map { _ in rng.uniform(-1, 1) })
        let model = LogisticRegression(coefficients: [0.5, -1, 2, 0.1], intercept: -0.3)
        let recalibration = Recalibration(slope: 0.7, offset: 0.2, heldOutLogLossBefore: 1, heldOutLogLossAfter: 0.9)
        let before = try model.margins(for: design), after = try recalibration.applied(to: model).margins(for: design)
        for (z, w) in zip(before, after) { #expect(abs(w - (0.7 * z + 0.2)) < 1e-12) }
    }

    /// The inner folds' designs, sliced from one encoding of every row and with interaction cells appended from the
    /// screening's levels, equal the encoder's own design of the same rows read from the text.
    @Test func slicedDesignsWithCellsMatchTheEncoder() throws {
        let data = AdditiveModelTests.generated(rows: 700, planted: true, seed: 71)
        var (schema, _) = try TabularEncoder.fit(
            table: data, excluding: "y", options: ColumnOptions(splineKnots: 5))
        let (design, _) = try TabularEncoder.encode(data, schema: schema)
        let sides = schema.columns.compactMap { InteractionScreening.side(for: $0, in: data) }
        let interactions = [
            InteractionEncoding(first: sides[2], second: sides[3]), InteractionEncoding(first: sides[0], second: sides[2]),
        ]
        let cells = interactions.map { interaction in
            zip(
                InteractionScreening.levels(interaction.first, in: data),
                InteractionScreening.levels(interaction.second, in: data)
            ).map { $0 * interaction.second.levelCount + $1 }
        }
        let rows = stride(from: 3, to: 700, by: 7).map { $0 }
        let settings = AdditiveSettings(splineKnots: 5, interactions: interactions)
        let sliced = AdditiveFit.appendingCells(AdditiveFit.rows(design, rows), cells: cells, rows: rows, settings: settings)
        schema.interactions = interactions
        let (expected, _) = try TabularEncoder.encode(data.selectingRows(rows), schema: schema)
        #expect(sliced.rowCount == expected.rowCount && sliced.columnCount == expected.columnCount)
        #expect(sliced.storage == expected.storage)
    }

    /// The held-out reliability table and ECE on a case small enough to work by hand: five probabilities over two
    /// folds, no recalibration. Bins [0, .1): 0.05 (no); [.1, .2): 0.12 (yes), 0.18 (no); [.7, .8): 0.72 (yes);
    /// [.9, 1]: 0.95 (yes). ECE = (0.05 + 2·|0.5 − 0.15| + 0.28 + 0.05) / 5 = 0.216.
    @Test func heldOutCalibrationOfATinyCaseByHand() throws {
        func logit(_ p: Double) -> Double { log(p / (1 - p)) }
        let report = try Recalibration.heldOutCalibration(
            margins: [[0.05, 0.12].map(logit), [0.18, 0.72, 0.95].map(logit)], labels: [[false, true], [false, true, true]],
            recalibrated: false)
        #expect(report.binCount == 10)
        #expect(abs(report.expectedCalibrationError - 0.216) < 1e-12, "\(report.expectedCalibrationError)")
        #expect(report.bins.map(\.lower) == [0, 0.1, 0.7, 0.9])
        #expect(report.bins.map(\.count) == [1, 2, 1, 1])
        let expected: [(predicted: Double, observed: Double)] = [(0.05, 0), (0.15, 0.5), (0.72, 1), (0.95, 1)]
        for (bin, want) in zip(report.bins, expected) {
            #expect(abs(bin.meanPredicted - want.predicted) < 1e-12 && bin.observedRate == want.observed, "\(bin)")
        }
    }

    /// A selection written before held-out calibration was recorded (no `heldOutCalibration` key) still decodes, and
    /// one with it survives a round trip.
    @Test func aSelectionWithoutHeldOutCalibrationStillDecodes() throws {
        let calibration = try Recalibration.heldOutCalibration(
            margins: [[-1, 0.5], [2, -0.2]], labels: [[false, true], [true, false]], recalibrated: false)
        let selection = ShapeSelection(
            innerFolds: 3, sampledRows: nil, candidates: [], pairs: [], chosen: .linear, recalibration: nil,
            heldOutCalibration: calibration)
        let data = try JSONEncoder().encode(selection)
        #expect(try JSONDecoder().decode(ShapeSelection.self, from: data) == selection)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object.removeValue(forKey: "heldOutCalibration") != nil)
        let old = try JSONDecoder().decode(ShapeSelection.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(old.heldOutCalibration == nil && old.chosen == .linear && old.innerFolds == 3)
    }

    /// Cross-fitted held-out calibration against a naive loop: each fold's margins mapped by the Platt fit of the
    /// other folds, σ written out, rows binned by ⌊10·p⌋, ECE summed bin by bin.
    @Test(arguments: [UInt64(31), 32, 33])
    func crossFittedHeldOutCalibrationMatchesANaiveLoop(seed: UInt64) throws {
        let folds = (0..<4).map { margins(count: 250 + 37 * $0, scale: 2.5, seed: seed &+ UInt64($0) &* 17) }
        for recalibrated in [false, true] {
            let report = try Recalibration.heldOutCalibration(
                margins: folds.map(\.margins), labels: folds.map(\.labels), recalibrated: recalibrated)
            let expected = naiveHeldOutCalibration(
                margins: folds.map(\.margins), labels: folds.map(\.labels), recalibrated: recalibrated)
            #expect(abs(report.expectedCalibrationError - expected.ece) < 1e-12)
            #expect(report.bins.map(\.count) == expected.bins.map(\.count))
            for (bin, want) in zip(report.bins, expected.bins) {
                #expect(abs(bin.meanPredicted - want.predicted) < 1e-12 && abs(bin.observedRate - want.observed) < 1e-12)
            }
        }
        // Over-confident margins: the cross-fitted map makes them markedly better calibrated.
        let raw = try Recalibration.heldOutCalibration(
            margins: folds.map(\.margins), labels: folds.map(\.labels), recalibrated: false)
        let mapped = try Recalibration.heldOutCalibration(
            margins: folds.map(\.margins), labels: folds.map(\.labels), recalibrated: true)
        #expect(mapped.expectedCalibrationError < raw.expectedCalibrationError / 2, "\(raw) → \(mapped)")
    }

    /// The training summary's held-out calibration recomputed from scratch: the same inner folds, each fitted on its
    /// training rows encoded from the text, its held-out rows scored by a written-out dot product, recalibrated (when
    /// the trainer kept a recalibration) by a Platt fit on the other folds' margins, then binned by hand.
    @Test(arguments: [nil, 0.05] as [Double?])
    func trainersHeldOutCalibrationMatchesANaiveRecomputation(l2: Double?) throws {
        let data = AdditiveModelTests.generated(rows: 600, planted: false, seed: 41)
        let request = TabularTrainingRequest(
            target: "y", l2Strength: l2, seed: 9, shape: .additive, interactions: 0, splineKnots: 5, splineStrength: 10)
        let result = try TabularTrainer.train(data, request: request)
        let selection = try #require(result.model.training.shapeSelection)
        let calibration = try #require(selection.heldOutCalibration)
        // A heavy ridge shrinks the margins: the recalibration path is then exercised.
        if l2 != nil { #expect(selection.recalibration != nil) }

        let target = try TabularEncoder.target(in: data, column: "y", positive: nil)
        let labels = try TabularEncoder.labels(in: data, target: target)
        let (schema, _) = try TabularEncoder.fit(table: data, excluding: "y", options: ColumnOptions(splineKnots: 5))
        let settings = AdditiveSettings(splineKnots: 5, splineStrength: 10)
        var inner = request
        inner.options.gradientTolerance = max(inner.options.gradientTolerance, AdditiveFit.selectionTolerance)
        var margins: [[Double]] = [], testLabels: [[Bool]] = []
        var start: [Double]?
        for fold in try StratifiedKFold(labels: labels, foldCount: 3, seed: 9 + 1).folds {
            let (design, _) = try TabularEncoder.encode(data.selectingRows(fold.trainIndices), schema: schema)
            let fitted = try AdditiveFit.fit(
                design: design, schema: schema, labels: fold.trainIndices.map { labels[$0] }, settings: settings,
                request: inner, start: start)
            // The trainer starts every later fold from the first fold's solution.
            if start == nil { start = fitted.model.coefficients + [fitted.model.intercept] }
            let (test, _) = try TabularEncoder.encode(data.selectingRows(fold.testIndices), schema: schema)
            margins.append(
                (0..<test.rowCount).map { i in
                    var z = fitted.model.intercept
                    for j in 0..<test.columnCount { z += test.storage[i * test.columnCount + j] * fitted.model.coefficients[j] }
                    return z
                })
            testLabels.append(fold.testIndices.map { labels[$0] })
        }
        let expected = naiveHeldOutCalibration(
            margins: margins, labels: testLabels, recalibrated: selection.recalibration != nil)
        #expect(abs(calibration.expectedCalibrationError - expected.ece) < 1e-9, "\(calibration) vs \(expected)")
        #expect(calibration.bins.map(\.count) == expected.bins.map(\.count))
        #expect(calibration.bins.map(\.count).reduce(0, +) == 600, "every row once, out of fold")
        for (bin, want) in zip(calibration.bins, expected.bins) {
            #expect(abs(bin.meanPredicted - want.predicted) < 1e-9 && abs(bin.observedRate - want.observed) < 1e-9)
        }
    }
}

/// The held-out reliability table written out: fold k's margins z (or a·z + c with a, c the Platt fit of the other
/// folds), p = 1 / (1 + e^(−z)), bin ⌊10·p⌋ (1 in the last), per non-empty bin its count, mean p and positive rate,
/// ECE = Σ (count / n)·|rate − mean p|.
private func naiveHeldOutCalibration(margins: [[Double]], labels: [[Bool]], recalibrated: Bool) -> (
    ece: Double, bins: [(count: Double, predicted: Double, observed: Double)]
) {
    var probabilities: [Double] = [], pooled: [Bool] = []
    for fold in margins.indices {
        var a = 1.0, c = 0.0
        if recalibrated {
            var otherMargins: [Double] = [], otherLabels: [Bool] = []
            for other in margins.indices where other != fold {
                otherMargins += margins[other]
                otherLabels += labels[other]
            }
            (a, c) = Recalibration.fit(margins: otherMargins, labels: otherLabels)
        }
        for (z, y) in zip(margins[fold], labels[fold]) {
            probabilities.append(1 / (1 + exp(-(a * z + c))))
            pooled.append(y)
        }
    }
    var count = [Double](repeating: 0, count: 10), predicted = count, positives = count
    for (p, y) in zip(probabilities, pooled) {
        let bin = min(9, Int(p * 10))
        count[bin] += 1
        predicted[bin] += p
        if y { positives[bin] += 1 }
    }
    var ece = 0.0
    var bins: [(count: Double, predicted: Double, observed: Double)] = []
    for bin in 0..<10 where count[bin] > 0 {
        let mean = predicted[bin] / count[bin], rate = positives[bin] / count[bin]
        ece += count[bin] / Double(probabilities.count) * abs(rate - mean)
        bins.append((count[bin], mean, rate))
    }
    return (ece, bins)
}
