import Learning
import LinearAlgebra

/// How profiles are fitted.
public struct ProfileOptions: Sendable, Equatable {
    /// The label window: a top performer is one of its segment's top quartile of partner-sourced revenue over this
    /// many periods (`TopPerformers`).
    public var windowPeriods = 12
    public var foldCount = 5
    public var seed: UInt64 = 42
    /// λ candidates (shared coefficients, standardised features), most shrunk first.
    public var l2Grid: [Double] = [1, 0.3, 0.1, 0.03, 0.01, 0.003]
    /// τ candidates (segment deviations), most shrunk first; ∞ (the single pooled profile) is always a candidate.
    public var shrinkageGrid: [Double] = [30, 10, 3, 1, 0.3, 0.1, 0.03, 0.01, 0.003]
    /// Whether the empirical-Bayes τ (`GroupedLogisticRegression.empiricalBayesShrinkage`) joins the grid.
    public var empiricalBayesCandidate = true
    /// What the model learns from (`ProfileLabels`).
    public var labels = ProfileLabels.history
    /// `.history`: the periods after its first three a partner needs to be labelled (at most `windowPeriods`).
    public var minimumLabelPeriods = 6

    public init() {}
}

/// The training labels of profiles.
public enum ProfileLabels: String, Sendable, Equatable, CaseIterable {
    /// Top performer over the last window of the history, among the partners in the programme at its start, with
    /// features from before it.
    case window
    /// Top performer on revenue a period over each partner's whole history after its first three periods (the
    /// early behaviour's): the top quartile of its segment among the partners with at least
    /// `minimumLabelPeriods` such periods. Every partner that stayed long enough counts, whenever it joined or
    /// left, and a long history is a steadier measure of what a partner delivers than one window.
    case history
}

extension PartnerProfileModel {
    /// How the model was trained, in words: "labels from periods 12–23, features from before 12".
    public var trainingWords: String {
        switch labels {
        case .window:
            "fitted on the partners in the programme at period \(cutoff), features from the periods before it, labels from periods \(cutoff)–\(cutoff + windowPeriods - 1)"
        case .history:
            "fitted on every partner with at least \(minimumLabelPeriods) periods after its first three, labelled by its revenue a period over them (its first three are its early behaviour)"
        }
    }
}

/// Errors of profiles and recruitment that are not about one record.
public enum ProfileError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooFewPeriods(file: String, periods: Int, needed: Int)
    case noTopPerformers(file: String, cutoff: Int)
    case unknownSegment(file: String, line: Int, column: String, value: String, known: [String])

    public var description: String {
        switch self {
        case let .tooFewPeriods(file, periods, needed):
            "\(file): holds \(periods) period(s); profiles need at least \(needed) (a label window after a first period)"
        case let .noTopPerformers(file, cutoff):
            "\(file): no partner in the programme at period \(cutoff) had partner-sourced revenue afterwards: no top performers to learn from"
        case let .unknownSegment(file, line, column, value, known):
            "\(file):\(line): column '\(column)': segment '\(value)' has no profile (known: \(known.joined(separator: ", ")))"
        }
    }
}

/// Ideal partner profiles: one logistic model of "top performer over the next window" with segment-specific
/// coefficients shrunk toward shared ones (`GroupedLogisticRegression`; λ and τ by cross-validation), fitted on
/// the partners in the programme at the cutoff (the window's first period, `periodCount − window`), with
/// features as they stood before it and labels from the window. The same fit with τ = ∞ is the single pooled
/// profile, the baseline it is measured against.
public struct PartnerProfileModel: Sendable {
    public var features: [ProfileFeature]
    public var segments: [String]
    public var segmentColumn: String
    /// Means and standard deviations of the transformed features over the training partners.
    public var means: [Double]
    public var scales: [Double]
    public var model: GroupedLogisticRegression
    public var pooled: GroupedLogisticRegression
    public var cutoff: Int
    public var windowPeriods: Int
    /// What it learnt from, and (`.history`) the periods a partner needed to be labelled.
    public var labels: ProfileLabels
    public var minimumLabelPeriods: Int
    /// Per segment: training partners, top performers among them, and the median raw value of each feature among
    /// top performers and among the rest.
    public var trainingCounts: [Int]
    public var topCounts: [Int]
    public var topMedians: [[Double]]
    public var otherMedians: [[Double]]
    public var crossValidation: [(l2: Double, shrinkage: Double, loss: Double)]
    /// The empirical-Bayes τ offered to cross-validation (∞: the segments' coefficients look alike), if computed.
    public var empiricalBayesShrinkage: Double?

    /// Fits on `input`.
    /// - Throws: `ProfileError` for too short a history or no top performers; `LearningError` from the fit.
    public static func fit(
        _ input: ProfileInput, features: [ProfileFeature], options: ProfileOptions = ProfileOptions(),
        performanceFile: String
    ) throws -> PartnerProfileModel {
        let window = options.windowPeriods
        guard input.periodCount >= window + 1 else {
            throw ProfileError.tooFewPeriods(file: performanceFile, periods: input.periodCount, needed: window + 1)
        }
        let cutoff = input.periodCount - window
        // A partner needs `minimumLabelPeriods` periods after its first three, or the window's length if shorter.
        let minimumLabelPeriods = max(1, min(options.minimumLabelPeriods, window))
        let eligible: [Bool], revenue: [Double], values: [PartnerFeatureValues]
        switch options.labels {
        case .window:
            eligible = input.present(at: cutoff)
            revenue = input.revenue(in: cutoff..<(cutoff + window))
            values = input.featureValues(before: cutoff)
        case .history:
            let rates = input.revenueRates(skippingFirst: 3)
            eligible = rates.map { $0.periods >= minimumLabelPeriods }
            revenue = rates.map { $0.periods > 0 ? $0.revenue / Double($0.periods) : 0 }
            values = input.featureValues()
        }
        let labels = TopPerformers.labels(revenue: revenue, segments: input.segments, eligible: eligible)
        let rows = input.partners.indices.filter { eligible[$0] }
        guard rows.contains(where: { labels[$0] }) else {
            throw ProfileError.noTopPerformers(file: performanceFile, cutoff: cutoff)
        }
        let segmentIndex = Dictionary(uniqueKeysWithValues: input.segmentNames.enumerated().map { ($1, $0) })
        let transformed = rows.map { i in features.map { $0.transform(values[i][$0]) } }
        let d = features.count
        var means = [Double](repeating: 0, count: d), scales = [Double](repeating: 1, count: d)
        for k in 0..<d {
            let column = transformed.map { $0[k] }
            let mean = column.reduce(0, +) / Double(column.count)
            let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, column.count - 1))
            means[k] = mean
            scales[k] = variance > 1e-12 ? variance.squareRoot() : 1
        }
        var design = Matrix<Double>(rowCount: rows.count, columnCount: d)
        for (r, row) in transformed.enumerated() { for k in 0..<d { design[r, k] = (row[k] - means[k]) / scales[k] } }
        let y = rows.map { labels[$0] }
        let groups = rows.map { segmentIndex[input.segments[$0]]! }
        let g = input.segmentNames.count
        let foldCount = max(2, min(options.foldCount, y.count { $0 }, y.count { !$0 }))
        var grid = options.shrinkageGrid
        var empiricalBayes: Double? = nil
        if options.empiricalBayesCandidate {
            // λ as cross-validation would choose it for the pooled model, then τ from the segments' spread.
            let pooledChoice = try GroupedLogisticRegression.crossValidate(
                design: design, labels: y, groups: groups, groupCount: g, l2Grid: options.l2Grid,
                shrinkageGrid: [.infinity], foldCount: foldCount, seed: options.seed)
            let tau = try GroupedLogisticRegression.empiricalBayesShrinkage(
                design: design, labels: y, groups: groups, groupCount: g, l2Strength: pooledChoice.l2Strength)
            empiricalBayes = tau
            if tau.isFinite && !grid.contains(tau) { grid = (grid + [tau]).sorted(by: >) }
        }
        let chosen = try GroupedLogisticRegression.crossValidate(
            design: design, labels: y, groups: groups, groupCount: g, l2Grid: options.l2Grid,
            shrinkageGrid: grid, foldCount: foldCount, seed: options.seed)
        let (model, _) = try GroupedLogisticRegression.fit(
            design: design, labels: y, groups: groups, groupCount: g, l2Strength: chosen.l2Strength,
            shrinkage: chosen.shrinkage)
        let (pooled, _) = try GroupedLogisticRegression.fit(
            design: design, labels: y, groups: groups, groupCount: g, l2Strength: chosen.l2Strength, shrinkage: .infinity)
        var trainingCounts = [Int](repeating: 0, count: g), topCounts = [Int](repeating: 0, count: g)
        var topMedians: [[Double]] = [], otherMedians: [[Double]] = []
        for s in 0..<g {
            let members = rows.filter { segmentIndex[input.segments[$0]] == s }
            trainingCounts[s] = members.count
            topCounts[s] = members.count { labels[$0] }
            topMedians.append(features.map { f in median(members.filter { labels[$0] }.map { values[$0][f] }) })
            otherMedians.append(features.map { f in median(members.filter { !labels[$0] }.map { values[$0][f] }) })
        }
        return PartnerProfileModel(
            features: features, segments: input.segmentNames, segmentColumn: input.segmentColumn, means: means,
            scales: scales, model: model, pooled: pooled, cutoff: cutoff, windowPeriods: window,
            labels: options.labels, minimumLabelPeriods: minimumLabelPeriods,
            trainingCounts: trainingCounts, topCounts: topCounts, topMedians: topMedians, otherMedians: otherMedians,
            crossValidation: chosen.losses, empiricalBayesShrinkage: empiricalBayes)
    }

    func standardized(_ values: PartnerFeatureValues) -> [Double] {
        features.indices.map { k in (features[k].transform(values[features[k]]) - means[k]) / scales[k] }
    }

    /// P(top performer over the next window) from the segment's profile (`pooled`: the single profile).
    func probability(_ values: PartnerFeatureValues, segment: Int, pooled usePooled: Bool = false) -> Double {
        let m = usePooled ? pooled : model
        let x = standardized(values)
        var z = m.groupIntercepts[segment]
        for k in x.indices { z += x[k] * m.groupCoefficients[segment][k] }
        return Kernels.sigmoid(z)
    }

    /// The features whose distance to the segment's top-performer medians costs the most log-odds:
    /// w_k·(z(ideal) − z(x)) > 0, largest first, at most `count`.
    func gaps(_ values: PartnerFeatureValues, segment: Int, count: Int = 3) -> [ProfileGap] {
        let x = standardized(values)
        var gaps: [ProfileGap] = []
        for (k, feature) in features.enumerated() {
            let ideal = topMedians[segment][k]
            guard ideal.isFinite else { continue }
            let idealZ = (feature.transform(ideal) - means[k]) / scales[k]
            let cost = model.groupCoefficients[segment][k] * (idealZ - x[k])
            if cost > 1e-9 {
                gaps.append(ProfileGap(feature: feature, value: values[feature], topMedian: ideal, logOddsCost: cost))
            }
        }
        return Array(gaps.sorted { $0.logOddsCost > $1.logOddsCost }.prefix(count))
    }
}

/// How far a partner is from its segment's top performers on one feature.
public struct ProfileGap: Sendable, Equatable {
    public var feature: ProfileFeature
    public var value: Double
    public var topMedian: Double
    /// What closing it would add to the log-odds of being a top performer.
    public var logOddsCost: Double

    /// "certified staff: 0, top performers of your segment: 2".
    public var words: String {
        "\(feature.words): \(ProfileText.number(value)), top performers of your segment: \(ProfileText.number(topMedian))"
    }
}

/// The median (the mean of the middle two for an even count); NaN when empty.
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}

enum ProfileText {
    /// Whole numbers as such, others with one decimal.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        if abs(value - value.rounded()) < 0.05 { return "\(Int(value.rounded()))" }
        return "\((value * 10).rounded() / 10)"
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "–" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = "\(rounded)"
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        } else if digits > 0 {
            text += "." + String(repeating: "0", count: digits)
        }
        return text
    }
}
