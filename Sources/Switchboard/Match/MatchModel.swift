import Learning
import LinearAlgebra

/// The trained match model: P(win | lead, partner) = σ(φ̃(lead)ᵀ·W·ψ̃(partner)), with the encoding, W, the
/// partners' track records at the end of the training history (so scoring needs no history file), and metrics.
public struct MatchModel: VersionedModel, Sendable, Equatable {
    public static let kind = "bilinear-match"

    public var header: ModelHeader
    public var encoding: MatchEncoding
    /// W, `encoding.leftNames.count` × `encoding.rightNames.count`, row-major.
    public var interaction: [Double]
    /// W of the baseline model (the same encoding with the track-record entries zeroed), whose expected wins feed
    /// the track records.
    public var baselineInteraction: [Double]
    /// The rank W was constrained to, or nil for a full W.
    public var rank: Int?
    public var training: TrainingMetadata
    public var metrics: ModelMetrics
    /// The λ values tried by time-split cross-validation and the mean held-out log loss of each (empty when λ was
    /// given).
    public var l2Search: [L2Trial]
    /// Each partner's win counts over the whole training history, and everyone's together.
    public var trackRecords: [String: WinCounts]
    public var overallRecord: WinCounts
    /// The last assignment time in the training history.
    public var historyEnd: Timestamp

    public struct L2Trial: Sendable, Codable, Equatable {
        public var l2Strength: Double
        public var meanLogLoss: Double
        public var meanROCAUC: Double
    }

    public var regression: BilinearLogisticRegression {
        BilinearLogisticRegression(
            leftCount: encoding.leftNames.count, rightCount: encoding.rightNames.count, interaction: interaction)
    }

    public func consistencyProblem() -> String? {
        let a = encoding.leftNames.count, b = encoding.rightNames.count
        if interaction.count != a * b { return "W has \(interaction.count) entries; the encoding needs \(a)×\(b)" }
        if baselineInteraction.count != a * b {
            return "the baseline W has \(baselineInteraction.count) entries; the encoding needs \(a)×\(b)"
        }
        if let bad = baselineInteraction.firstIndex(where: { !$0.isFinite }) { return "baseline W entry \(bad) is not finite" }
        if encoding.rightMeans.count != b || encoding.rightScales.count != b {
            return "the partner standardisation has the wrong length"
        }
        if let bad = interaction.firstIndex(where: { !$0.isFinite }) { return "W entry \(bad) is not finite" }
        if encoding.rightScales.contains(where: { !($0 > 0 && $0.isFinite) }) { return "a partner feature scale is not positive" }
        if !(encoding.priorStrength > 0 && encoding.priorStrength.isFinite) { return "the prior strength is not positive" }
        for (id, counts) in trackRecords
        where counts.verticalWins.count != encoding.verticals.count || counts.verticalTrials.count != encoding.verticals.count
            || counts.verticalExpectedWins.count != encoding.verticals.count
        {
            return "partner \(id)'s track record has the wrong number of verticals"
        }
        return nil
    }

    /// The partners as they stand now for scoring: their track records from training (none for partners new since),
    /// their open leads as recorded, their tenure at `time`.
    public func states(of partners: [Partner], at time: Timestamp) -> [PartnerState] {
        partners.map { partner in
            PartnerState(
                partner: partner, counts: trackRecords[partner.id] ?? WinCounts(verticalCount: encoding.verticals.count),
                global: overallRecord, openLeads: partner.openLeads, time: time)
        }
    }

    /// P(win) of each (leads[i], states[i]) pair, from the pair's canonical margin (`BilinearMargins`): the same
    /// Double as `LeadScorer` writes for that pair.
    public func probabilities(leads: [Lead], states: [PartnerState]) throws(LearningError) -> [Double] {
        try regression.probabilities(left: encoding.leftDesign(leads), right: encoding.rightDesign(states))
    }

    /// The canonical margin φ̃ᵢᵀ·W·ψ̃ⱼ (`BilinearMargins`) of every lead i with every partner j (leads × partners):
    /// each entry the same Double as `LeadScorer` and `probabilities(leads:states:)` give for that pair.
    /// - Complexity: O(partners·a·b + leads·partners·a).
    public func marginMatrix(leads: [Lead], states: [PartnerState]) -> Matrix<Double> {
        let phi = encoding.leftDesign(leads), psi = encoding.rightDesign(states)
        // The shapes come from one encoding, so they always agree.
        return try! BilinearMargins(interaction: regression.matrix, right: psi).margins(left: phi)
    }
}

extension MatchModel {
    /// How much each partner moves the odds of winning, all else equal (the same leads, and no open leads, so that
    /// load is not counted as the partner's own effect): for every lead, the partner's margin minus the mean margin
    /// over `partners`, averaged over `leads` (logit scale; 0 means choosing this partner changes nothing). Partners
    /// are taken as they stand at `time` (track records from training).
    public func partnerEffects(leads: [Lead], partners: [Partner], at time: Timestamp) -> [Double] {
        let idle = partners.map { partner -> Partner in
            var copy = partner
            copy.openLeads = 0
            return copy
        }
        let margins = marginMatrix(leads: leads, states: states(of: idle, at: time))
        let n = leads.count, m = partners.count
        var effects = [Double](repeating: 0, count: m)
        for i in 0..<n {
            var mean = 0.0
            for j in 0..<m { mean += margins.storage[i * m + j] }
            mean /= Double(m)
            for j in 0..<m { effects[j] += (margins.storage[i * m + j] - mean) / Double(n) }
        }
        return effects
    }
}
