import LinearAlgebra

/// A partner as it stood when a lead was assigned (or now, when scoring): its record, its track record so far,
/// everyone's track record so far, and its open leads.
public struct PartnerState: Sendable {
    public var partner: Partner
    public var counts: WinCounts
    public var global: WinCounts
    public var openLeads: Int
    /// The moment, for tenure.
    public var time: Timestamp

    public init(partner: Partner, counts: WinCounts, global: WinCounts, openLeads: Int, time: Timestamp) {
        self.partner = partner
        self.counts = counts
        self.global = global
        self.openLeads = openLeads
        self.time = time
    }
}

/// How leads become φ̃ and partners become ψ̃, the two sides of the match model's margin φ̃ᵀ·W·ψ̃.
///
/// φ̃ (lead) = [1, vertical, technology, region, size band, value band, source (one-hot each), required
/// certifications (multi-hot)].
/// ψ̃ (partner) = [1, type, tier, region (one-hot each), verticals, technologies, certifications (multi-hot),
/// logit of the smoothed win rate, overall and recent (outcomes weighted by a 90-day half-life) and in each vertical, log(1 + resolved leads),
/// utilisation (open leads / capacity, capped at 2), log(1 + open leads), tenure in years (capped at 10),
/// log(capacity)], the numeric entries standardised with the training pairs' means and standard deviations.
///
/// Win rates are smoothed with Beta priors so a partner with three deals is not called perfect: the overall rate
/// is (wins + k·m)/(trials + k) with m everyone's rate so far ((W + 1)/(T + 2)) and k the prior strength; the
/// rate in a vertical, and the recent rate, are (wins_v + k·r)/(trials_v + k), shrunk towards the partner's overall
/// rate r. Categories
/// not seen in training encode as all zeros in their group.
public struct MatchEncoding: Sendable, Codable, Equatable {
    public var verticals: [String]
    public var technologies: [String]
    public var regions: [String]
    public var sizeBands: [String]
    public var sources: [String]
    public var certifications: [String]
    /// k, the Beta prior's weight in pseudo-leads.
    public var priorStrength: Double
    /// Mean and standard deviation of each ψ̃ entry (0 and 1 for the constant and indicators).
    public var rightMeans: [Double]
    public var rightScales: [Double]

    /// Learns the vocabularies from the leads and partners (sorted), with the standardisation left at identity.
    public init(leads: [Lead], partners: [Partner], priorStrength: Double) {
        func sorted(_ values: some Sequence<String>) -> [String] { Array(Set(values)).sorted() }
        verticals = sorted(leads.map(\.vertical) + partners.flatMap(\.verticals))
        technologies = sorted(leads.map(\.technology) + partners.flatMap(\.technologies))
        regions = sorted(leads.map(\.region) + partners.map(\.region))
        sizeBands = sorted(leads.map(\.sizeBand))
        sources = sorted(leads.map(\.source))
        certifications = sorted(leads.flatMap(\.requiredCertifications) + partners.flatMap(\.certifications))
        self.priorStrength = priorStrength
        rightMeans = []
        rightScales = []
        let count = rightNames.count
        rightMeans = [Double](repeating: 0, count: count)
        rightScales = [Double](repeating: 1, count: count)
    }

    /// The entries of φ̃, named.
    public var leftNames: [String] {
        ["1"] + verticals.map { "vertical=\($0)" } + technologies.map { "technology=\($0)" }
            + regions.map { "region=\($0)" } + sizeBands.map { "size=\($0)" } + ValueBand.names.map { "value=\($0)" }
            + sources.map { "source=\($0)" } + certifications.map { "requires=\($0)" }
    }

    /// The entries of ψ̃, named.
    public var rightNames: [String] {
        ["1"] + PartnerType.allCases.map { "type=\($0.rawValue)" } + PartnerTier.allCases.map { "tier=\($0.rawValue)" }
            + regions.map { "partner region=\($0)" } + verticals.map { "expert in \($0)" }
            + technologies.map { "expert in \($0)" } + certifications.map { "certified \($0)" }
            + ["win rate (logit)", "recent win rate (logit)"] + verticals.map { "win rate in \($0) (logit)" }
            + ["log(1 + resolved leads)", "utilisation", "log(1 + open leads)", "tenure (years)", "log(capacity)"]
    }

    /// Where the numeric (standardised) entries of ψ̃ start.
    var rightNumericStart: Int {
        1 + PartnerType.allCases.count + PartnerTier.allCases.count + regions.count + verticals.count + technologies.count
            + certifications.count
    }

    /// Writes φ̃(lead) into `row` (length `leftNames.count`), which must be zeroed.
    func encode(_ lead: Lead, into row: UnsafeMutableBufferPointer<Double>) {
        var offset = 0
        row[0] = 1
        offset = 1
        func oneHot(_ value: String, _ vocabulary: [String]) {
            if let index = vocabulary.firstIndex(of: value) { row[offset + index] = 1 }
            offset += vocabulary.count
        }
        oneHot(lead.vertical, verticals)
        oneHot(lead.technology, technologies)
        oneHot(lead.region, regions)
        oneHot(lead.sizeBand, sizeBands)
        row[offset + ValueBand.index(of: lead.estimatedValue)] = 1
        offset += ValueBand.names.count
        oneHot(lead.source, sources)
        for required in lead.requiredCertifications {
            if let index = certifications.firstIndex(of: required) { row[offset + index] = 1 }
        }
    }

    /// Writes ψ̃(state), before standardisation, into `row` (length `rightNames.count`), which must be zeroed.
    func encodeRaw(_ state: PartnerState, into row: UnsafeMutableBufferPointer<Double>) {
        let partner = state.partner
        row[0] = 1
        var offset = 1
        row[offset + PartnerType.allCases.firstIndex(of: partner.type)!] = 1
        offset += PartnerType.allCases.count
        row[offset + PartnerTier.allCases.firstIndex(of: partner.tier)!] = 1
        offset += PartnerTier.allCases.count
        if let index = regions.firstIndex(of: partner.region) { row[offset + index] = 1 }
        offset += regions.count
        for (set, vocabulary) in [(partner.verticals, verticals), (partner.technologies, technologies), (partner.certifications, certifications)] {
            for item in set { if let index = vocabulary.firstIndex(of: item) { row[offset + index] = 1 } }
            offset += vocabulary.count
        }
        let k = priorStrength
        let everyone = (state.global.wins + 1) / (state.global.trials + 2)
        let overall = (state.counts.wins + k * everyone) / (state.counts.trials + k)
        row[offset] = logit(overall)
        row[offset + 1] = logit((state.counts.recentWins + k * overall) / (state.counts.recentTrials + k))
        offset += 2
        for v in verticals.indices {
            let wins = v < state.counts.verticalWins.count ? state.counts.verticalWins[v] : 0
            let trials = v < state.counts.verticalTrials.count ? state.counts.verticalTrials[v] : 0
            row[offset + v] = logit((wins + k * overall) / (trials + k))
        }
        offset += verticals.count
        let capacity = Double(max(partner.capacity, 1))
        row[offset] = Kernels.log1p(state.counts.trials)
        row[offset + 1] = min(Double(state.openLeads) / capacity, 2)
        row[offset + 2] = Kernels.log1p(Double(state.openLeads))
        row[offset + 3] = min(max(partner.joined.days(until: state.time) / 365.25, 0), 10)
        row[offset + 4] = Kernels.logarithm(capacity)
    }

    /// Sets the standardisation of the numeric ψ̃ entries from raw rows (population standard deviation; 1 when 0).
    mutating func fitStandardisation(_ raw: Matrix<Double>) {
        let b = raw.columnCount, n = raw.rowCount
        for j in rightNumericStart..<b {
            var mean = 0.0
            for i in 0..<n { mean += raw.storage[i * b + j] }
            mean /= Double(max(n, 1))
            var variance = 0.0
            for i in 0..<n {
                let d = raw.storage[i * b + j] - mean
                variance += d * d
            }
            let sd = (variance / Double(max(n, 1))).squareRoot()
            rightMeans[j] = mean
            rightScales[j] = sd > 1e-12 ? sd : 1
        }
    }

    func standardise(_ raw: inout Matrix<Double>) {
        let b = raw.columnCount
        raw.storage.withUnsafeMutableBufferPointer { x in
            for i in 0..<raw.rowCount {
                for j in rightNumericStart..<b { x[i * b + j] = (x[i * b + j] - rightMeans[j]) / rightScales[j] }
            }
        }
    }

    /// Φ̃ for `leads`, one row each.
    public func leftDesign(_ leads: [Lead]) -> Matrix<Double> {
        let a = leftNames.count
        var design = Matrix<Double>(rowCount: leads.count, columnCount: a)
        design.storage.withUnsafeMutableBufferPointer { x in
            for (i, lead) in leads.enumerated() {
                encode(lead, into: UnsafeMutableBufferPointer(rebasing: x[(i * a)..<((i + 1) * a)]))
            }
        }
        return design
    }

    /// Ψ̃ for `states`, one row each, standardised.
    public func rightDesign(_ states: [PartnerState]) -> Matrix<Double> {
        var design = rawRightDesign(states)
        standardise(&design)
        return design
    }

    func rawRightDesign(_ states: [PartnerState]) -> Matrix<Double> {
        let b = rightNames.count
        var design = Matrix<Double>(rowCount: states.count, columnCount: b)
        design.storage.withUnsafeMutableBufferPointer { x in
            for (i, state) in states.enumerated() {
                encodeRaw(state, into: UnsafeMutableBufferPointer(rebasing: x[(i * b)..<((i + 1) * b)]))
            }
        }
        return design
    }
}

func logit(_ p: Double) -> Double {
    let clipped = min(max(p, 1e-6), 1 - 1e-6)
    return Kernels.logarithm(clipped / (1 - clipped))
}
