import Foundation
import Testing
import LinearAlgebra
@testable import Learning
import TestSupport

// MARK: - Random inputs

/// Labels, scores and optional integer weights (0…3) from a seed. Scores come from `distinctScores` values in
/// [0, 1] (heavy ties) or are continuous when it is nil; positives are likelier at high scores. Row 0 is a
/// positive and row 1 a negative, both with weight ≥ 1, so both classes are present.
private func randomRanking(
    seed: UInt64, count: Int, distinctScores: Int?, weighted: Bool
) -> (labels: [Bool], scores: [Double], weights: [Double]?) {
    var rng = SeededGenerator(seed: seed)
    var labels: [Bool] = []
    var scores: [Double] = []
    var weights: [Double] = []
    for row in 0..<count {
        let score: Double
        if let distinctScores {
            score = Double(Int(rng.nextUniform() * Double(distinctScores))) / Double(max(1, distinctScores - 1))
        } else {
            score = rng.nextUniform()
        }
        scores.append(score)
        labels.append(row == 0 ? true : row == 1 ? false : rng.nextUniform() < 0.15 + 0.6 * score)
        weights.append(row < 2 ? Double(1 + Int(rng.nextUniform() * 3)) : Double(Int(rng.nextUniform() * 4)))
    }
    return (labels, scores.map { min(1, $0) }, weighted ? weights : nil)
}

/// The same sizes and tie levels for every oracle: (count, distinct scores or nil, weighted).
private func shape(of seed: UInt64) -> (count: Int, distinctScores: Int?, weighted: Bool) {
    let counts = [2, 3, 5, 17, 64, 150, 301]
    let distinct: [Int?] = [nil, 1, 2, 3, 5, 12, nil]
    return (counts[Int(seed) % counts.count], distinct[Int(seed / 7) % distinct.count], seed % 2 == 1)
}

/// Each row repeated `weight` times (weights must be whole numbers).
private func replicated(_ labels: [Bool], _ values: [Double], _ weights: [Double]) -> ([Bool], [Double]) {
    var outLabels: [Bool] = []
    var outValues: [Double] = []
    for row in labels.indices {
        for _ in 0..<Int(weights[row]) {
            outLabels.append(labels[row])
            outValues.append(values[row])
        }
    }
    return (outLabels, outValues)
}

// MARK: - Slow oracles

/// Σ over (positive, negative) pairs of wᵢwⱼ·([sᵢ > sⱼ] + ½[sᵢ = sⱼ]), over W₊W₋: O(n²).
private func pairCountAUC(_ labels: [Bool], _ scores: [Double], _ weights: [Double]?) -> Double {
    var wins = 0.0
    var positives = 0.0
    var negatives = 0.0
    for i in labels.indices {
        let wi = weights?[i] ?? 1
        if labels[i] { positives += wi } else { negatives += wi }
        guard labels[i] else { continue }
        for j in labels.indices where !labels[j] {
            let wj = weights?[j] ?? 1
            if scores[i] > scores[j] { wins += wi * wj } else if scores[i] == scores[j] { wins += 0.5 * wi * wj }
        }
    }
    return wins / (positives * negatives)
}

/// Σ (Rₜ − Rₜ₋₁)·Pₜ with precision and recall recounted from scratch at every distinct threshold: O(n·d).
private func perThresholdAveragePrecision(_ labels: [Bool], _ scores: [Double], _ weights: [Double]?) -> Double {
    let thresholds = Set(scores).sorted(by: >)
    var positives = 0.0
    for i in labels.indices where labels[i] { positives += weights?[i] ?? 1 }
    var previousRecall = 0.0
    var sum = 0.0
    for threshold in thresholds {
        var truePositives = 0.0
        var falsePositives = 0.0
        for i in labels.indices where scores[i] >= threshold {
            if labels[i] { truePositives += weights?[i] ?? 1 } else { falsePositives += weights?[i] ?? 1 }
        }
        let recall = truePositives / positives
        if recall > previousRecall {
            sum += (recall - previousRecall) * truePositives / (truePositives + falsePositives)
        }
        previousRecall = recall
    }
    return sum
}

/// Bins by scanning every bin's interval for every row: O(n·binCount).
private func naiveCalibration(
    _ labels: [Bool], _ probabilities: [Double], _ weights: [Double]?, binCount: Int
) -> (error: Double, bins: [(lower: Double, upper: Double, count: Double, predicted: Double, observed: Double)]) {
    var total = 0.0
    for i in labels.indices { total += weights?[i] ?? 1 }
    var bins: [(lower: Double, upper: Double, count: Double, predicted: Double, observed: Double)] = []
    var error = 0.0
    for bin in 0..<binCount {
        let lower = Double(bin) / Double(binCount)
        let upper = Double(bin + 1) / Double(binCount)
        var count = 0.0
        var predicted = 0.0
        var observed = 0.0
        for i in labels.indices {
            let p = probabilities[i]
            guard (lower <= p && p < upper) || (bin == binCount - 1 && p == 1) else { continue }
            let w = weights?[i] ?? 1
            count += w
            predicted += w * p
            if labels[i] { observed += w }
        }
        guard count > 0 else { continue }
        bins.append((lower, upper, count, predicted / count, observed / count))
        error += count / total * abs(observed / count - predicted / count)
    }
    return (error, bins)
}

/// Lift by the fractional definition, row by row: a row is in the top with fraction
/// clamp((C − weight strictly above it) / weight of its tie group, 0, 1), C = ⌈f·n⌉/n of the total weight. O(n²).
private func fractionalLift(_ labels: [Bool], _ scores: [Double], _ weights: [Double]?, topFraction: Double) -> Double {
    var total = 0.0
    var positives = 0.0
    for i in labels.indices {
        total += weights?[i] ?? 1
        if labels[i] { positives += weights?[i] ?? 1 }
    }
    let rows = Metrics.rowsInTop(fraction: topFraction, rowCount: labels.count)
    let cut = Double(rows) * total / Double(labels.count)
    var taken = 0.0
    var positivesTaken = 0.0
    for i in labels.indices {
        var above = 0.0
        var tied = 0.0
        for j in labels.indices {
            if scores[j] > scores[i] { above += weights?[j] ?? 1 }
            if scores[j] == scores[i] { tied += weights?[j] ?? 1 }
        }
        guard tied > 0 else { continue }
        let fraction = min(1, max(0, (cut - above) / tied))
        let w = (weights?[i] ?? 1) * fraction
        taken += w
        if labels[i] { positivesTaken += w }
    }
    return (positivesTaken / taken) / (positives / total)
}

/// All orderings of 0..<count.
private func permutations(_ count: Int) -> [[Int]] {
    guard count > 0 else { return [[]] }
    var result: [[Int]] = []
    for smaller in permutations(count - 1) {
        for position in 0...smaller.count {
            var permutation = smaller
            permutation.insert(count - 1, at: position)
            result.append(permutation)
        }
    }
    return result
}

/// Unweighted lift averaged over every way of breaking the ties: for each ordering of the rows, sort by score
/// (highest first, ties by that ordering), take the top ⌈f·n⌉ and count the positives. O(n!·n log n).
private func liftOverAllTieOrderings(_ labels: [Bool], _ scores: [Double], topFraction: Double) -> Double {
    let rows = Metrics.rowsInTop(fraction: topFraction, rowCount: labels.count)
    let overallRate = Double(labels.count { $0 }) / Double(labels.count)
    let orderings = permutations(labels.count)
    var sum = 0.0
    for ordering in orderings {
        var priority = [Int](repeating: 0, count: labels.count)
        for (rank, row) in ordering.enumerated() { priority[row] = rank }
        let ranked = labels.indices.sorted {
            scores[$0] != scores[$1] ? scores[$0] > scores[$1] : priority[$0] < priority[$1]
        }
        let positivesInTop = ranked.prefix(rows).count { labels[$0] }
        sum += (Double(positivesInTop) / Double(rows)) / overallRate
    }
    return sum / Double(orderings.count)
}

// MARK: - Tests

@Suite("Classification metrics")
struct MetricsTests {
    // MARK: Oracles on random inputs

    @Test(arguments: 0..<49 as Range<UInt64>)
    func rocAUCMatchesPairCount(seed: UInt64) throws {
        let (count, distinct, weighted) = shape(of: seed)
        let (labels, scores, weights) = randomRanking(seed: seed, count: count, distinctScores: distinct, weighted: weighted)
        let auc = try Metrics.rocAUC(labels: labels, scores: scores, weights: weights)
        #expect(isClose(auc, pairCountAUC(labels, scores, weights)), "auc \(auc)")
        // Exact ties reorder nothing: the same rows shuffled give the same value.
        var rng = SeededGenerator(seed: seed &+ 1000)
        let order = labels.indices.shuffled(using: &rng)
        let shuffled = try Metrics.rocAUC(
            labels: order.map { labels[$0] }, scores: order.map { scores[$0] }, weights: weights.map { w in order.map { w[$0] } })
        #expect(isClose(auc, shuffled))
    }

    @Test(arguments: 0..<49 as Range<UInt64>)
    func weightedMetricsEqualReplicatedRows(seed: UInt64) throws {
        let (count, distinct, _) = shape(of: seed)
        let (labels, scores, weights) = randomRanking(seed: seed, count: count, distinctScores: distinct, weighted: true)
        let (repeatedLabels, repeatedScores) = replicated(labels, scores, weights!)
        #expect(
            isClose(
                try Metrics.rocAUC(labels: labels, scores: scores, weights: weights),
                try Metrics.rocAUC(labels: repeatedLabels, scores: repeatedScores)))
        #expect(
            isClose(
                try Metrics.averagePrecision(labels: labels, scores: scores, weights: weights),
                try Metrics.averagePrecision(labels: repeatedLabels, scores: repeatedScores)))
        #expect(
            isClose(
                try Metrics.logLoss(labels: labels, probabilities: scores, weights: weights),
                try Metrics.logLoss(labels: repeatedLabels, probabilities: repeatedScores)))
        #expect(
            isClose(
                try Metrics.brierScore(labels: labels, probabilities: scores, weights: weights),
                try Metrics.brierScore(labels: repeatedLabels, probabilities: repeatedScores)))
        let weighted = try Metrics.calibration(labels: labels, probabilities: scores, weights: weights)
        let repeated = try Metrics.calibration(labels: repeatedLabels, probabilities: repeatedScores)
        #expect(isClose(weighted.expectedCalibrationError, repeated.expectedCalibrationError))
        #expect(weighted.bins.count == repeated.bins.count)
        for (a, b) in zip(weighted.bins, repeated.bins) {
            #expect(a.lower == b.lower && a.count == b.count)
            #expect(isClose(a.meanPredicted, b.meanPredicted) && isClose(a.observedRate, b.observedRate))
        }
        let curve = try Metrics.rocCurve(labels: labels, scores: scores, weights: weights)
        let repeatedCurve = try Metrics.rocCurve(labels: repeatedLabels, scores: repeatedScores)
        // Zero-weight rows can add thresholds with no new rate, so compare the distinct (FPR, TPR) corners.
        func corners(_ points: [ROCPoint]) -> [Double] {
            var out: [Double] = []
            for point in points
            where out.count < 2
                || !isClose(out[out.count - 2], point.falsePositiveRate) || !isClose(out[out.count - 1], point.truePositiveRate)
            {
                out += [point.falsePositiveRate, point.truePositiveRate]
            }
            return out
        }
        #expect(maxAbsDifference(corners(curve), corners(repeatedCurve)) < 1e-12)
    }

    @Test(arguments: 0..<49 as Range<UInt64>)
    func rocCurveAreaIsAUC(seed: UInt64) throws {
        let (count, distinct, weighted) = shape(of: seed)
        let (labels, scores, weights) = randomRanking(seed: seed, count: count, distinctScores: distinct, weighted: weighted)
        let curve = try Metrics.rocCurve(labels: labels, scores: scores, weights: weights)
        #expect(curve.count == Set(scores).count + 1)
        #expect(curve.first == ROCPoint(falsePositiveRate: 0, truePositiveRate: 0, threshold: .infinity))
        #expect(isClose(curve.last!.falsePositiveRate, 1) && isClose(curve.last!.truePositiveRate, 1))
        var area = 0.0
        for (a, b) in zip(curve, curve.dropFirst()) {
            #expect(b.threshold < a.threshold)
            #expect(b.falsePositiveRate >= a.falsePositiveRate && b.truePositiveRate >= a.truePositiveRate)
            area += (b.falsePositiveRate - a.falsePositiveRate) * (a.truePositiveRate + b.truePositiveRate) / 2
        }
        #expect(isClose(area, try Metrics.rocAUC(labels: labels, scores: scores, weights: weights)))
    }

    @Test(arguments: 0..<49 as Range<UInt64>)
    func averagePrecisionMatchesPerThresholdSum(seed: UInt64) throws {
        let (count, distinct, weighted) = shape(of: seed)
        let (labels, scores, weights) = randomRanking(seed: seed, count: count, distinctScores: distinct, weighted: weighted)
        let ap = try Metrics.averagePrecision(labels: labels, scores: scores, weights: weights)
        #expect(isClose(ap, perThresholdAveragePrecision(labels, scores, weights)), "ap \(ap)")
    }

    /// Without ties, AP is the mean over positives of the precision at each positive's rank.
    @Test(arguments: 0..<12 as Range<UInt64>)
    func averagePrecisionWithoutTiesIsMeanPrecisionAtPositives(seed: UInt64) throws {
        let (labels, scores, _) = randomRanking(seed: seed, count: 40 + Int(seed) * 7, distinctScores: nil, weighted: false)
        let ranked = labels.indices.sorted { scores[$0] > scores[$1] }
        var positivesSeen = 0
        var sum = 0.0
        for (rank, row) in ranked.enumerated() where labels[row] {
            positivesSeen += 1
            sum += Double(positivesSeen) / Double(rank + 1)
        }
        #expect(isClose(try Metrics.averagePrecision(labels: labels, scores: scores), sum / Double(positivesSeen)))
    }

    @Test(arguments: 0..<49 as Range<UInt64>)
    func calibrationMatchesNaiveBins(seed: UInt64) throws {
        let (count, distinct, weighted) = shape(of: seed)
        var (labels, probabilities, weights) = randomRanking(
            seed: seed, count: count, distinctScores: distinct, weighted: weighted)
        // Put some probabilities exactly on bin edges, including 0 and 1.
        var rng = SeededGenerator(seed: seed &+ 77)
        for i in probabilities.indices where rng.nextUniform() < 0.3 {
            probabilities[i] = Double(Int(rng.nextUniform() * 21)) / 20
        }
        let binCount = [1, 3, 7, 10, 20][Int(seed) % 5]
        let report = try Metrics.calibration(labels: labels, probabilities: probabilities, weights: weights, binCount: binCount)
        let naive = naiveCalibration(labels, probabilities, weights, binCount: binCount)
        #expect(report.binCount == binCount)
        #expect(isClose(report.expectedCalibrationError, naive.error))
        #expect(report.bins.count == naive.bins.count)
        for (bin, expected) in zip(report.bins, naive.bins) {
            #expect(bin.lower == expected.lower && bin.upper == expected.upper)
            #expect(isClose(bin.count, expected.count))
            #expect(isClose(bin.meanPredicted, expected.predicted) && isClose(bin.observedRate, expected.observed))
        }
        var total = 0.0
        for i in labels.indices { total += weights?[i] ?? 1 }
        #expect(isClose(report.bins.reduce(0) { $0 + $1.count }, total))
    }

    @Test(arguments: 0..<30 as Range<UInt64>)
    func liftMatchesAverageOverAllTieOrderings(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let count = 2 + Int(rng.nextUniform() * 6)  // 2…7 rows: at most 5040 orderings
        let (labels, scores, _) = randomRanking(seed: seed, count: count, distinctScores: 1 + Int(seed) % 3, weighted: false)
        let topFraction = [0.1, 0.25, 0.4, 0.5, 0.75, 1.0][Int(seed) % 6]
        let lift = try Metrics.lift(labels: labels, scores: scores, topFraction: topFraction)
        #expect(isClose(lift, liftOverAllTieOrderings(labels, scores, topFraction: topFraction)), "lift \(lift)")
    }

    @Test(arguments: 0..<49 as Range<UInt64>)
    func liftMatchesFractionalDefinition(seed: UInt64) throws {
        let (count, distinct, weighted) = shape(of: seed)
        let (labels, scores, weights) = randomRanking(seed: seed, count: count, distinctScores: distinct, weighted: weighted)
        for topFraction in [0.01, 0.1, 0.33, 0.5, 1.0] {
            let lift = try Metrics.lift(labels: labels, scores: scores, weights: weights, topFraction: topFraction)
            #expect(isClose(lift, fractionalLift(labels, scores, weights, topFraction: topFraction)), "top \(topFraction)")
            var rng = SeededGenerator(seed: seed &+ 5)
            let order = labels.indices.shuffled(using: &rng)
            let shuffled = try Metrics.lift(
                labels: order.map { labels[$0] }, scores: order.map { scores[$0] },
                weights: weights.map { w in order.map { w[$0] } }, topFraction: topFraction)
            #expect(isClose(lift, shuffled))
        }
        #expect(isClose(try Metrics.lift(labels: labels, scores: scores, weights: weights, topFraction: 1), 1))
    }

    @Test(arguments: 0..<12 as Range<UInt64>)
    func reportEqualsEachMetric(seed: UInt64) throws {
        let (count, distinct, weighted) = shape(of: seed + 3)
        let (labels, probabilities, weights) = randomRanking(
            seed: seed, count: count, distinctScores: distinct, weighted: weighted)
        let report = try Metrics.report(labels: labels, probabilities: probabilities, weights: weights)
        let calibration = try Metrics.calibration(labels: labels, probabilities: probabilities, weights: weights)
        let expected = ClassificationReport(
            rowCount: labels.count,
            positiveCount: labels.count { $0 },
            rocAUC: try Metrics.rocAUC(labels: labels, scores: probabilities, weights: weights),
            averagePrecision: try Metrics.averagePrecision(labels: labels, scores: probabilities, weights: weights),
            logLoss: try Metrics.logLoss(labels: labels, probabilities: probabilities, weights: weights),
            brierScore: try Metrics.brierScore(labels: labels, probabilities: probabilities, weights: weights),
            expectedCalibrationError: calibration.expectedCalibrationError,
            liftTopDecile: try Metrics.lift(labels: labels, scores: probabilities, weights: weights),
            reliability: calibration.bins)
        #expect(report == expected)
    }

    // MARK: Hand-checked cases

    @Test func rocAUCHandCases() throws {
        let labels = [false, false, true, true]
        #expect(try Metrics.rocAUC(labels: labels, scores: [0.1, 0.2, 0.3, 0.4]) == 1)
        #expect(try Metrics.rocAUC(labels: labels, scores: [0.4, 0.3, 0.2, 0.1]) == 0)
        #expect(try Metrics.rocAUC(labels: labels, scores: [0.5, 0.5, 0.5, 0.5]) == 0.5)
        // scikit-learn's roc_auc_score example.
        #expect(isClose(try Metrics.rocAUC(labels: labels, scores: [0.1, 0.4, 0.35, 0.8]), 0.75))
        // One tie between a positive and a negative: 3 wins + ½ over 4 pairs.
        #expect(isClose(try Metrics.rocAUC(labels: labels, scores: [0.1, 0.3, 0.3, 0.4]), 0.875))
        // Weight 3 on the only misranked positive: 1 − 3·1/(4·2).
        #expect(isClose(try Metrics.rocAUC(labels: labels, scores: [0.1, 0.4, 0.35, 0.8], weights: [1, 1, 3, 1]), 0.625))
        // Scores need not be probabilities.
        #expect(try Metrics.rocAUC(labels: labels, scores: [-1e300, -2, 7, 1e300]) == 1)
    }

    @Test func rocCurveHandCase() throws {
        let curve = try Metrics.rocCurve(labels: [false, false, true, true], scores: [0.1, 0.4, 0.35, 0.8])
        #expect(curve.map(\.threshold) == [.infinity, 0.8, 0.4, 0.35, 0.1])
        #expect(curve.map(\.falsePositiveRate) == [0, 0, 0.5, 0.5, 1])
        #expect(curve.map(\.truePositiveRate) == [0, 0.5, 0.5, 1, 1])
    }

    @Test func averagePrecisionHandCases() throws {
        // scikit-learn's average_precision_score example: 0.8333….
        #expect(
            isClose(
                try Metrics.averagePrecision(labels: [false, false, true, true], scores: [0.1, 0.4, 0.35, 0.8]), 5.0 / 6))
        // All tied: precision is the positive rate at the one threshold.
        #expect(isClose(try Metrics.averagePrecision(labels: [true, false, false, false], scores: [1, 1, 1, 1]), 0.25))
        #expect(try Metrics.averagePrecision(labels: [true, true], scores: [0.2, 0.9]) == 1)
    }

    @Test func probabilityMetricHandCases() throws {
        // scikit-learn's log_loss example.
        let labels = [true, false, false, true]
        let expected = -(log(0.9) + log(0.9) + log(0.8) + log(0.65)) / 4
        #expect(isClose(try Metrics.logLoss(labels: labels, probabilities: [0.9, 0.1, 0.2, 0.65]), expected))
        // Clipping: a certain mistake costs −log(1e-15), not infinity; a certain hit costs −log(1 − 1e-15).
        #expect(isClose(try Metrics.logLoss(labels: [true], probabilities: [0]), -log(1e-15)))
        // 1 − 1e-15 is not a double: the nearest one leaves 1 − p within 6e-17 of 1e-15, so log differs by < 0.06.
        #expect(abs(try Metrics.logLoss(labels: [false], probabilities: [1]) + log(1e-15)) < 0.06)
        #expect(try Metrics.logLoss(labels: [true], probabilities: [1]) < 1e-14)
        // scikit-learn's brier_score_loss example.
        #expect(
            isClose(try Metrics.brierScore(labels: [false, true, true, false], probabilities: [0.1, 0.9, 0.8, 0.3]), 0.0375))
        #expect(
            isClose(
                try Metrics.brierScore(labels: [false, true], probabilities: [0.5, 1], weights: [3, 1]), 0.1875))
    }

    @Test func calibrationHandCase() throws {
        let report = try Metrics.calibration(
            labels: [false, true, true, false, true], probabilities: [0, 0.05, 0.5, 0.95, 1], binCount: 2)
        #expect(report.bins.map(\.lower) == [0, 0.5] && report.bins.map(\.upper) == [0.5, 1])
        #expect(report.bins.map(\.count) == [2, 3])
        #expect(maxAbsDifference(report.bins.map(\.meanPredicted), [0.025, 2.45 / 3]) < 1e-15)
        #expect(maxAbsDifference(report.bins.map(\.observedRate), [0.5, 2.0 / 3]) < 1e-15)
        #expect(isClose(report.expectedCalibrationError, 0.4 * 0.475 + 0.6 * abs(2.0 / 3 - 2.45 / 3)))
        // Perfect calibration in every bin: ECE 0.
        let perfect = try Metrics.calibration(labels: [true, false, true, true], probabilities: [0.5, 0.5, 1, 1], binCount: 4)
        #expect(perfect.expectedCalibrationError == 0)
        #expect(perfect.bins.map(\.lower) == [0.5, 0.75])
    }

    @Test func liftHandCases() throws {
        let labels = [true, false, false, false, false, true, false, false, false, false]
        let scores = (0..<10).map { 1 - Double($0) / 10 }
        // Top row positive; overall rate 0.2.
        #expect(isClose(try Metrics.lift(labels: labels, scores: scores), 5))
        // Top 6 rows hold both positives: (2/6) / 0.2.
        #expect(isClose(try Metrics.lift(labels: labels, scores: scores, topFraction: 0.6), 5.0 / 3))
        #expect(isClose(try Metrics.lift(labels: labels, scores: scores, topFraction: 0.5), 1))
        // Top 1 of 10, all tied: a tenth of each row, so the top's rate is the overall rate.
        #expect(isClose(try Metrics.lift(labels: labels, scores: [Double](repeating: 0.3, count: 10)), 1))
        // Top 2 of 4, the straddling group {b, c, d} needs one row, so each counts a third: (1 + ⅓) / 2 / (2/4).
        #expect(
            isClose(
                try Metrics.lift(labels: [true, true, false, false], scores: [0.9, 0.5, 0.5, 0.5], topFraction: 0.5),
                (1 + 1.0 / 3) / 2 / 0.5))
    }

    @Test(arguments: [
        (0.1, 10, 1), (0.1, 15, 2), (0.07, 100, 7), (0.1, 30, 3), (1.0, 9, 9), (0.001, 10, 1), (0.5, 3, 2),
        (0.29, 100, 29), (0.57, 100, 57),
    ])
    func rowsInTopRoundsUpButNotOnRoundingNoise(fraction: Double, rowCount: Int, expected: Int) {
        #expect(Metrics.rowsInTop(fraction: fraction, rowCount: rowCount) == expected)
    }

    // MARK: Errors

    @Test func inputShapeErrors() {
        #expect(throws: MetricsError.empty) { try Metrics.rocAUC(labels: [], scores: []) }
        #expect(throws: MetricsError.empty) { try Metrics.logLoss(labels: [], probabilities: []) }
        #expect(throws: MetricsError.empty) { try Metrics.report(labels: [], probabilities: []) }
        #expect(throws: MetricsError.lengthMismatch(labels: 2, scores: 3)) {
            try Metrics.rocAUC(labels: [true, false], scores: [1, 2, 3])
        }
        #expect(throws: MetricsError.lengthMismatch(labels: 2, scores: 1)) {
            try Metrics.brierScore(labels: [true, false], probabilities: [0.5])
        }
        #expect(throws: MetricsError.weightCountMismatch(labels: 2, weights: 1)) {
            try Metrics.averagePrecision(labels: [true, false], scores: [1, 2], weights: [1])
        }
        #expect(throws: MetricsError.weightCountMismatch(labels: 2, weights: 3)) {
            try Metrics.calibration(labels: [true, false], probabilities: [0.1, 0.2], weights: [1, 1, 1])
        }
    }

    @Test func valueErrors() {
        #expect(throws: MetricsError.nonFiniteScore(index: 1, value: .infinity)) {
            try Metrics.rocAUC(labels: [true, false], scores: [1, .infinity])
        }
        #expect(throws: MetricsError.nonFiniteScore(index: 0, value: -.infinity)) {
            try Metrics.lift(labels: [true, false], scores: [-.infinity, 0])
        }
        #expect {
            try Metrics.rocCurve(labels: [true, false], scores: [0, .nan])
        } throws: { error in
            guard case let .nonFiniteScore(index, value) = error as? MetricsError else { return false }
            return index == 1 && value.isNaN
        }
        #expect(throws: MetricsError.probabilityOutOfRange(index: 2, value: 1.5)) {
            try Metrics.logLoss(labels: [true, false, true], probabilities: [0.5, 0.5, 1.5])
        }
        #expect(throws: MetricsError.probabilityOutOfRange(index: 0, value: -0.01)) {
            try Metrics.report(labels: [true, false], probabilities: [-0.01, 0.5])
        }
        #expect {
            try Metrics.brierScore(labels: [true], probabilities: [.nan])
        } throws: { error in
            guard case let .probabilityOutOfRange(index, value) = error as? MetricsError else { return false }
            return index == 0 && value.isNaN
        }
        #expect(throws: MetricsError.invalidWeight(index: 1, value: -1)) {
            try Metrics.rocAUC(labels: [true, false], scores: [1, 0], weights: [1, -1])
        }
        #expect(throws: MetricsError.invalidWeight(index: 0, value: .infinity)) {
            try Metrics.logLoss(labels: [true, false], probabilities: [1, 0], weights: [.infinity, 1])
        }
        #expect(throws: MetricsError.zeroTotalWeight) {
            try Metrics.brierScore(labels: [true, false], probabilities: [1, 0], weights: [0, 0])
        }
    }

    @Test func undefinedMetricErrors() {
        #expect(throws: MetricsError.noNegatives) { try Metrics.rocAUC(labels: [true, true], scores: [1, 0]) }
        #expect(throws: MetricsError.noPositives) { try Metrics.rocAUC(labels: [false, false], scores: [1, 0]) }
        #expect(throws: MetricsError.noPositives) { try Metrics.rocCurve(labels: [false], scores: [1]) }
        // A class whose rows all weigh zero is absent.
        #expect(throws: MetricsError.noPositives) {
            try Metrics.rocAUC(labels: [true, false], scores: [1, 0], weights: [0, 1])
        }
        #expect(throws: MetricsError.noPositives) { try Metrics.averagePrecision(labels: [false], scores: [1]) }
        #expect(throws: MetricsError.noPositives) { try Metrics.lift(labels: [false, false], scores: [1, 0]) }
        #expect(throws: MetricsError.noNegatives) { try Metrics.report(labels: [true], probabilities: [0.4]) }
        // Defined with one class: log loss, Brier, calibration, average precision and lift without negatives.
        #expect(throws: Never.self) { try Metrics.logLoss(labels: [true], probabilities: [0.4]) }
        #expect(throws: Never.self) { try Metrics.calibration(labels: [false], probabilities: [0.4]) }
        #expect((try? Metrics.averagePrecision(labels: [true, true], scores: [0, 1])) == 1)
        #expect((try? Metrics.lift(labels: [true, true], scores: [0, 1])) == 1)
    }

    @Test func parameterErrors() {
        #expect(throws: MetricsError.invalidBinCount(0)) {
            try Metrics.calibration(labels: [true], probabilities: [0.5], binCount: 0)
        }
        for fraction in [0, -0.1, 1.5] {
            #expect(throws: MetricsError.invalidTopFraction(fraction)) {
                try Metrics.lift(labels: [true, false], scores: [1, 0], topFraction: fraction)
            }
        }
        #expect {
            try Metrics.lift(labels: [true, false], scores: [1, 0], topFraction: .nan)
        } throws: { error in
            guard case let .invalidTopFraction(value) = error as? MetricsError else { return false }
            return value.isNaN
        }
    }

    @Test func errorDescriptionsQuoteTheBadValue() {
        #expect(MetricsError.lengthMismatch(labels: 2, scores: 3).description.contains("2 labels, 3 scores"))
        #expect(MetricsError.nonFiniteScore(index: 4, value: .nan).description.contains("index 4"))
        #expect(MetricsError.nonFiniteScore(index: 4, value: .nan).description.contains("nan"))
        #expect(MetricsError.probabilityOutOfRange(index: 2, value: 1.5).description.contains("(got 1.5)"))
        #expect(MetricsError.invalidWeight(index: 1, value: -1).description.contains("(got -1.0)"))
        #expect(MetricsError.invalidBinCount(0).description.contains("(got 0)"))
        #expect(MetricsError.invalidTopFraction(1.5).description.contains("(got 1.5)"))
        #expect(
            MetricsError.invalidFoldCount(requested: 5, smallestClass: 3).description
                == "the number of cross-validation folds must be between 2 and 3 (the number of rows of the rarer class) (got 5)")
    }

    // MARK: Encoding and size

    @Test func reportRoundTripsThroughJSON() throws {
        let (labels, probabilities, _) = randomRanking(seed: 11, count: 200, distinctScores: nil, weighted: false)
        let report = try Metrics.report(labels: labels, probabilities: probabilities)
        let data = try JSONEncoder().encode(report)
        #expect(try JSONDecoder().decode(ClassificationReport.self, from: data) == report)
        let json = String(decoding: data, as: UTF8.self)
        for key in [
            "rowCount", "positiveCount", "rocAUC", "averagePrecision", "logLoss", "brierScore",
            "expectedCalibrationError", "liftTopDecile", "reliability", "meanPredicted", "observedRate",
        ] {
            #expect(json.contains("\"\(key)\""), "missing key \(key)")
        }
    }

    /// 400 000 rows: a quadratic step would take hours, O(n log n) takes well under a second.
    @Test func largeInputsFinish() throws {
        let (labels, probabilities, weights) = randomRanking(
            seed: 3, count: 400_000, distinctScores: 1_000, weighted: true)
        let report = try Metrics.report(labels: labels, probabilities: probabilities, weights: weights)
        #expect(report.rocAUC > 0.6 && report.rocAUC < 0.9)
        #expect(report.liftTopDecile > 1)
        _ = try Metrics.rocCurve(labels: labels, scores: probabilities, weights: weights)
        let perfect = try Metrics.rocAUC(labels: labels, scores: labels.map { $0 ? 1 : 0 })
        #expect(perfect == 1)
    }

    @Test(arguments: 0..<12 as Range<UInt64>)
    func giniIsTheMeanAbsoluteDifferenceOverTwiceTheMean(seed: UInt64) {
        var rng = SeededGenerator(seed: 500 + seed)
        let n = 1 + Int(rng.nextUniform() * 60)
        let x = (0..<n).map { _ in rng.nextUniform() < 0.3 ? 0.0 : (rng.nextUniform() * 20).rounded(.down) }
        let mean = x.reduce(0, +) / Double(n)
        var total = 0.0
        for a in x { for b in x { total += abs(a - b) } }
        let naive = mean == 0 ? 0 : total / (2 * Double(n * n) * mean)
        #expect(abs(Metrics.gini(x) - naive) < 1e-12)
    }

    @Test func giniHandCases() {
        // 0, 0, 0, 9: Σᵢ Σⱼ |xᵢ − xⱼ| = 54, n = 4, mean 2.25: 54 / (2·16·2.25) = 0.75.
        #expect(abs(Metrics.gini([0, 9, 0, 0]) - 0.75) < 1e-15)
        #expect(Metrics.gini([3, 3, 3]) == 0 && Metrics.gini([]) == 0 && Metrics.gini([0, 0]) == 0)
    }

    @Test func pearsonCorrelationHandCases() {
        // x = 1, 2, 3; y = 2, 4, 7: x̄ = 2, ȳ = 13/3; Σ(x − x̄)(y − ȳ) = 5, Σ(x − x̄)² = 2, Σ(y − ȳ)² = 38/3.
        #expect(abs(Metrics.pearsonCorrelation([1, 2, 3], [2, 4, 7]) - 5 / (2 * 38.0 / 3).squareRoot()) < 1e-15)
        #expect(Metrics.pearsonCorrelation([1, 2, 3], [3, 2, 1]) == -1)
        #expect(Metrics.pearsonCorrelation([1, 1, 1], [1, 2, 3]) == 0 && Metrics.pearsonCorrelation([1], [2]) == 0)
        #expect(Metrics.pearsonCorrelation([1, 2], [1, 2, 3]) == 0)
    }
}
