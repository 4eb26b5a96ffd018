import Foundation
import LinearAlgebra

/// FAST-style screening of pairwise interactions (Lou, Caruana, Gehrke and Hooker, "Accurate intelligible models with
/// pairwise interactions", KDD 2013): with a main-effects model's margins fixed, each candidate pair's cells get their
/// own offsets, fitted on training rows, and the pair is scored by how much those offsets lower the log loss of
/// held-out rows. Pairs that do not help on held-out rows score ≤ 0.
public enum InteractionScreening {
    /// The side of a column for interactions: a categorical column keeps its most frequent categories (at most
    /// `maximumLevels`, each on at least 1% of the rows), a numeric one is cut at quantiles into at most
    /// `maximumLevels` bins. Nil for a column the schema does not know or with a single level.
    public static func side(for column: ColumnEncoding, in table: CSVTable, maximumLevels: Int = 8) -> InteractionSide? {
        guard let index = table.columnIndex(named: column.name) else { return nil }
        let cells = table.columns[index]
        switch column {
        case .categorical:
            var counts: [Substring: Int] = [:]
            for cell in cells where !TabularEncoder.isMissing(cell) { counts[cell.blankTrimmed, default: 0] += 1 }
            let frequent = counts.filter { $0.value * 100 >= cells.count }
                .sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
                .prefix(maximumLevels).map { String($0.key) }.sorted()
            return frequent.count >= 2 || (frequent.count == 1 && counts.count > 1)
                ? InteractionSide(name: column.name, categories: frequent) : nil
        case .numeric, .spline:
            let values = cells.compactMap { TabularEncoder.isMissing($0) ? nil : TabularEncoder.number($0) }.sorted()
            guard values.count >= 2 else { return nil }
            var cuts: [Double] = []
            for k in 1..<maximumLevels {
                let value = values[k * (values.count - 1) / maximumLevels]
                if value > values[0] && value > (cuts.last ?? values[0]) { cuts.append(value) }
            }
            return cuts.isEmpty ? nil : InteractionSide(name: column.name, cuts: cuts)
        case .date:
            return nil
        }
    }

    /// Each row's level on a side (each distinct cell's level worked out once: cells repeat).
    static func levels(_ side: InteractionSide, in table: CSVTable) -> [Int] {
        let cells = table.columns[table.columnIndex(named: side.name)!]
        var known: [String: Int] = [:]
        return cells.map { cell in
            if let level = known[cell] { return level }
            let level = side.level(of: cell)
            known[cell] = level
            return level
        }
    }

    /// The held-out gain of one pair: cell offsets fitted on `train` rows (three Newton steps on the log loss, ridge
    /// `ridge` on the mean scale) from the margins `margins`, then the mean log-loss decrease on `test` rows.
    /// `base` holds what does not depend on the pair, σ(margin) and the log loss of every row with no offset
    /// (`Base(margins:labels:)`, computed once for all pairs).
    /// - Complexity: O(rows).
    static func heldOutGain(
        cells: [Int], cellCount: Int, margins: [Double], labels: [Bool], train: [Int], test: [Int], ridge: Double,
        base: Base
    ) -> Double {
        var offsets = [Double](repeating: 0, count: cellCount)
        var gradient = offsets, curvature = offsets
        let scale = 1 / Double(train.count)
        for step in 0..<3 {
            for c in 0..<cellCount { gradient[c] = ridge * offsets[c]; curvature[c] = ridge }
            for i in train {
                // The first step starts from zero offsets: σ(margin + 0) is σ(margin).
                let p = step == 0 ? base.probabilities[i] : Kernels.sigmoid(margins[i] + offsets[cells[i]])
                gradient[cells[i]] += scale * (p - (labels[i] ? 1 : 0))
                curvature[cells[i]] += scale * p * (1 - p)
            }
            for c in 0..<cellCount where curvature[c] > 0 { offsets[c] -= gradient[c] / curvature[c] }
        }
        var gain = 0.0
        for i in test {
            gain += base.logLosses[i] - logLoss(margins[i] + offsets[cells[i]], labels[i])
        }
        return gain / Double(test.count)
    }

    /// Every row's σ(margin) and log loss with no offset: shared by all pairs.
    struct Base: Sendable {
        let probabilities: [Double]
        let logLosses: [Double]

        init(margins: [Double], labels: [Bool]) {
            probabilities = margins.map { Kernels.sigmoid($0) }
            logLosses = zip(margins, labels).map { logLoss($0, $1) }
        }
    }

    /// −log P(y | margin), stably.
    static func logLoss(_ margin: Double, _ label: Bool) -> Double {
        Kernels.log1pexp(label ? -margin : margin)
    }

    /// The held-out gain of every pair of `sides` (in the order i < j), for one split.
    static func gains(
        sides: [InteractionSide], levels: [[Int]], margins: [Double], labels: [Bool], train: [Int], test: [Int], ridge: Double
    ) -> [Double] {
        // Each pair on its own (split across the cores; each pair's gain depends only on its own cells).
        let pairs = pairs(count: sides.count)
        let base = Base(margins: margins, labels: labels)
        return ParallelRows.map(count: pairs.count, workers: ProcessInfo.processInfo.activeProcessorCount) { k in
            let (a, b) = pairs[k]
            let secondCount = sides[b].levelCount
            let cells = zip(levels[a], levels[b]).map { $0 * secondCount + $1 }
            return heldOutGain(
                cells: cells, cellCount: sides[a].levelCount * secondCount, margins: margins, labels: labels,
                train: train, test: test, ridge: ridge, base: base)
        }
    }

    /// The pairs (a, b), a < b, in the order `gains` lists them.
    static func pairs(count: Int) -> [(Int, Int)] {
        var pairs: [(Int, Int)] = []
        for a in 0..<count { for b in (a + 1)..<count { pairs.append((a, b)) } }
        return pairs
    }
}
