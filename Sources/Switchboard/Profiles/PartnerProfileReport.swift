import Learning
import LinearAlgebra

/// Each segment's ideal profile, and every partner in the programme measured against its own segment's.
public struct PartnerProfileReport: Sendable {
    /// One feature of a segment's profile: how much it moves the odds of being a top performer.
    public struct Trait: Sendable, Equatable {
        public var feature: ProfileFeature
        /// exp(w): the odds ratio for one standard deviation more (of the transformed feature), with its 95% interval
        /// (exp(w ± 1.96·se), Laplace).
        public var oddsRatio: Double
        public var oddsRatioLow: Double
        public var oddsRatioHigh: Double
        public var topMedian: Double
        public var otherMedian: Double

        /// "certified staff: top performers 4 vs 1 for the rest; +1 SD multiplies the odds by 2.1 (95%: 1.5–2.9)".
        public var words: String {
            "\(feature.words): top performers \(ProfileText.number(topMedian)) vs \(ProfileText.number(otherMedian)) for the rest; "
                + "+1 SD multiplies the odds by \(ProfileText.fixed(oddsRatio, 2)) "
                + "(95%: \(ProfileText.fixed(oddsRatioLow, 2))–\(ProfileText.fixed(oddsRatioHigh, 2)))"
        }
    }

    public struct SegmentProfile: Sendable {
        public var segment: String
        public var trainingPartners: Int
        public var topPerformers: Int
        /// Traits by the size of their effect, largest first.
        public var traits: [Trait]
    }

    public struct PartnerFit: Sendable {
        public var partnerID: String
        public var name: String
        public var segment: String
        public var tier: PartnerTier
        /// P(top performer of its segment over the next window).
        public var probability: Double
        /// Percentile of `probability` within the segment (0–100, mid-rank).
        public var percentile: Double
        /// Partner-sourced revenue over the last window, and its percentile within the segment.
        public var currentRevenue: Double
        public var revenuePercentile: Double
        public var gaps: [ProfileGap]
    }

    public var model: PartnerProfileModel
    public var segments: [SegmentProfile]
    public var partners: [PartnerFit]
    /// Fit percentile ≥ 75 and revenue percentile ≤ 50 in their segment, largest disagreement first.
    public var highPotential: [PartnerFit]

    /// Scores the partners in the programme at the last period.
    public init(model: PartnerProfileModel, input: ProfileInput) {
        self.model = model
        let segmentIndex = Dictionary(uniqueKeysWithValues: model.segments.enumerated().map { ($1, $0) })
        segments = model.segments.enumerated().map { s, name in
            let traits = model.features.enumerated().map { k, feature in
                let w = model.model.groupCoefficients[s][k], se = model.model.standardErrors[s][k]
                return Trait(
                    feature: feature, oddsRatio: Kernels.exponential(w),
                    oddsRatioLow: Kernels.exponential(w - 1.96 * se), oddsRatioHigh: Kernels.exponential(w + 1.96 * se),
                    topMedian: model.topMedians[s][k], otherMedian: model.otherMedians[s][k])
            }
            return SegmentProfile(
                segment: name, trainingPartners: model.trainingCounts[s], topPerformers: model.topCounts[s],
                traits: traits.sorted { abs(Kernels.logarithm($0.oddsRatio)) > abs(Kernels.logarithm($1.oddsRatio)) })
        }
        let last = input.periodCount - 1
        let present = input.present(at: last)
        let revenue = input.revenue(in: max(0, input.periodCount - model.windowPeriods)..<input.periodCount)
        let values = input.featureValues()
        var fits: [PartnerFit] = []
        for (i, partner) in input.partners.enumerated() where present[i] {
            guard let s = segmentIndex[input.segments[i]] else { continue }
            fits.append(
                PartnerFit(
                    partnerID: partner.id, name: partner.name, segment: input.segments[i], tier: partner.tier,
                    probability: model.probability(values[i], segment: s), percentile: 0, currentRevenue: revenue[i],
                    revenuePercentile: 0, gaps: model.gaps(values[i], segment: s)))
        }
        for segment in model.segments {
            let members = fits.indices.filter { fits[$0].segment == segment }
            let fitRanks = percentiles(members.map { fits[$0].probability })
            let revenueRanks = percentiles(members.map { fits[$0].currentRevenue })
            for (j, m) in members.enumerated() {
                fits[m].percentile = fitRanks[j]
                fits[m].revenuePercentile = revenueRanks[j]
            }
        }
        partners = fits
        highPotential = fits.filter { $0.percentile >= 75 && $0.revenuePercentile <= 50 }.sorted {
            ($0.percentile - $0.revenuePercentile, $1.partnerID) > ($1.percentile - $1.revenuePercentile, $0.partnerID)
        }
    }

    /// partner_id, name, segment, tier, top_probability, fit_percentile, sourced_revenue, revenue_percentile,
    /// high_potential, gap_1…gap_3.
    public func partnersCSV() -> String {
        var text = CSVWriter.line([
            "partner_id", "name", "segment", "tier", "top_probability", "fit_percentile", "sourced_revenue",
            "revenue_percentile", "high_potential", "gap_1", "gap_2", "gap_3",
        ])
        let high = Set(highPotential.map(\.partnerID))
        for p in partners {
            let gaps = p.gaps.map(\.words)
            text += CSVWriter.line(
                [
                    p.partnerID, p.name, p.segment, p.tier.rawValue, ProfileText.fixed(p.probability, 4),
                    ProfileText.fixed(p.percentile, 1), RecordWriter.number(p.currentRevenue),
                    ProfileText.fixed(p.revenuePercentile, 1), high.contains(p.partnerID) ? "true" : "false",
                ] + (0..<3).map { $0 < gaps.count ? gaps[$0] : "" })
        }
        return text
    }

    /// The profiles and the high-potential list, for a terminal.
    public func summary(top: Int = 10) -> String {
        var lines: [String] = []
        let tau = model.model.shrinkage
        lines.append(
            "ideal partner profiles by \(model.segmentColumn): top performer = top quartile of partner-sourced revenue of its segment over "
                + "\(model.windowPeriods) periods; \(model.trainingWords); "
                + "λ = \(model.model.l2Strength), segment shrinkage τ = \(tau.isInfinite ? "∞ (one shared profile)" : "\(tau)") by cross-validation"
        )
        for segment in segments {
            lines.append("")
            lines.append("\(segment.segment) (\(segment.trainingPartners) partners, \(segment.topPerformers) top performers):")
            for trait in segment.traits.prefix(4) { lines.append("  \(trait.words)") }
        }
        lines.append("")
        lines.append("high potential, low results (fit in the top quarter of their segment, revenue in the bottom half):")
        if highPotential.isEmpty { lines.append("  none") }
        for p in highPotential.prefix(top) {
            lines.append(
                "  \(p.partnerID) \(p.name) (\(p.segment), \(p.tier.rawValue)): fit \(ProfileText.fixed(p.probability, 2)), "
                    + "percentile \(ProfileText.number(p.percentile)), revenue percentile \(ProfileText.number(p.revenuePercentile))"
                    + (p.gaps.isEmpty ? "" : "; gaps: " + p.gaps.map(\.words).joined(separator: "; ")))
        }
        return lines.joined(separator: "\n")
    }
}

/// Mid-rank percentiles (0–100): 100·(below + ½·tied)/n... with the partner itself counted as half a tie.
func percentiles(_ values: [Double]) -> [Double] {
    let n = Double(values.count)
    return values.map { v in
        var below = 0.0, tied = 0.0
        for w in values {
            if w < v { below += 1 } else if w == v { tied += 1 }
        }
        return 100 * (below + 0.5 * tied) / n
    }
}
