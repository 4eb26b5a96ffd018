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
}
