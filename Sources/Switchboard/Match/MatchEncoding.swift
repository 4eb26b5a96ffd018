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
    /// How many times it has received each action so far (`MatchEncoding.actions` order).
    public var actionCounts: [Double]

    public init(
        partner: Partner, counts: WinCounts, global: WinCounts, openLeads: Int, time: Timestamp, actionCounts: [Double] = []
    ) {
        self.partner = partner
        self.counts = counts
        self.global = global
        self.openLeads = openLeads
        self.time = time
        self.actionCounts = actionCounts
    }
}

/// How leads become φ̃ and partners become ψ̃, the two sides of the match model's margin φ̃ᵀ·W·ψ̃.
///
/// φ̃ (lead) = [1, vertical, technology, region, size band, value band, source (one-hot each), required
/// certifications (multi-hot)].
/// ψ̃ (partner) = [1, type, tier, region (one-hot each), verticals, technologies, certifications (multi-hot),
/// utilisation (open leads / capacity, capped at 2), log(1 + open leads), tenure in years (capped at 10),
/// log(capacity), how many times it received each action in the history, then the track record: the logit of
/// everyone's win rate so far (so that a market-wide drift is not read as the partner's), the logit of its smoothed
/// win rate, its smoothed win rate against the expected one overall and in each vertical (logit differences), and
/// log(1 + resolved leads)], the numeric
/// entries standardised with the training pairs' means and standard deviations.
///
/// Win rates are smoothed with Beta priors so a partner with three deals is not called perfect: the overall rate
/// is (wins + k·m)/(trials + k), with m everyone's rate so far ((W + 1)/(T + 2)) and k the prior strength; the
/// rate in a vertical is (wins_v + k·r)/(trials_v + k), shrunk towards the partner's overall rate r. The expected
/// rates are the same with the wins a baseline model expected in place of the wins (the baseline is the match
/// model fitted without track records), so "against expected" credits a partner for beating the odds of the
/// leads it was given rather than for being given easy ones. Categories not seen in training encode as all zeros
/// in their group.
public struct MatchEncoding: Sendable, Codable, Equatable {
    public var verticals: [String]
    public var technologies: [String]
    public var regions: [String]
    public var sizeBands: [String]
    public var sources: [String]
    public var certifications: [String]
    /// The actions partners received in the history, by id.
    public var actions: [String]
    /// k, the Beta prior's weight in pseudo-leads.
    public var priorStrength: Double
    /// Mean and standard deviation of each ψ̃ entry (0 and 1 for the constant and indicators).
    public var rightMeans: [Double]
    public var rightScales: [Double]

    /// Learns the vocabularies from the leads and partners (sorted), with the standardisation left at identity.
    public init(leads: [Lead], partners: [Partner], actionHistory: [ActionTaken] = [], priorStrength: Double) {
        func sorted(_ values: some Sequence<String>) -> [String] { Array(Set(values)).sorted() }
        verticals = sorted(leads.map(\.vertical) + partners.flatMap(\.verticals))
        technologies = sorted(leads.map(\.technology) + partners.flatMap(\.technologies))
        regions = sorted(leads.map(\.region) + partners.map(\.region))
        sizeBands = sorted(leads.map(\.sizeBand))
        sources = sorted(leads.map(\.source))
        certifications = sorted(leads.flatMap(\.requiredCertifications) + partners.flatMap(\.certifications))
        actions = sorted(actionHistory.map(\.actionID))
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
            + ["utilisation", "log(1 + open leads)", "tenure (years)", "log(capacity)"]
            + actions.map { "received \($0)" }
            + ["everyone's win rate so far (logit)", "win rate (logit)", "win rate against expected (logit)"]
            + verticals.map { "win rate in \($0) against expected (logit)" } + ["log(1 + resolved leads)"]
    }

    /// Each entry of W's share of the penalty: 1 for the main effects (row and column 0) and for the interactions
    /// the domain expects (a lead's vertical with the partner's expertise and track record in it, its technology
    /// with the partner's expertise, its region with the partner's, a required certification with holding it, the
    /// company size with the partner type), and `interactionPenalty` for every other interaction, so that a few
    /// thousand outcomes do not buy thousands of free parameters.
    public func penaltyWeights(interactionPenalty: Double) -> [Double] {
        let left = leftNames, right = rightNames
        var rightIndex: [String: Int] = [:]
        for (j, name) in right.enumerated() { rightIndex[name] = j }
        var weights = [Double](repeating: interactionPenalty, count: left.count * right.count)
        for i in left.indices { weights[i * right.count] = 1 }
        for j in right.indices { weights[j] = 1 }
        func expected(_ i: Int, _ partnerName: String) {
            if let j = rightIndex[partnerName] { weights[i * right.count + j] = 1 }
        }
        for (i, name) in left.enumerated() {
            if let v = name.dropPrefix("vertical=") {
                expected(i, "expert in \(v)")
                expected(i, "win rate in \(v) against expected (logit)")
            } else if let t = name.dropPrefix("technology=") {
                expected(i, "expert in \(t)")
            } else if let r = name.dropPrefix("region=") {
                expected(i, "partner region=\(r)")
            } else if let c = name.dropPrefix("requires=") {
                expected(i, "certified \(c)")
            } else if name.hasPrefix("size=") {
                for type in PartnerType.allCases { expected(i, "type=\(type.rawValue)") }
            }
        }
        return weights
    }

    /// The ψ̃ entries that describe the track record (zero in the baseline model).
    var trackRecordColumns: Range<Int> { (rightNumericStart + 4 + actions.count)..<rightNames.count }

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
        for (set, vocabulary) in [
            (partner.verticals, verticals), (partner.technologies, technologies), (partner.certifications, certifications),
        ] {
            for item in set { if let index = vocabulary.firstIndex(of: item) { row[offset + index] = 1 } }
            offset += vocabulary.count
        }
        let capacity = Double(max(partner.capacity, 1))
        row[offset] = min(Double(state.openLeads) / capacity, 2)
        row[offset + 1] = Kernels.log1p(Double(state.openLeads))
        row[offset + 2] = min(max(partner.joined.days(until: state.time) / 365.25, 0), 10)
        row[offset + 3] = Kernels.logarithm(capacity)
        offset += 4
        for (index, count) in state.actionCounts.prefix(actions.count).enumerated() { row[offset + index] = count }
        offset += actions.count
        let k = priorStrength, c = state.counts
        let everyone = (state.global.wins + 1) / (state.global.trials + 2)
        let overall = (c.wins + k * everyone) / (c.trials + k)
        let expected = (c.expectedWins + k * everyone) / (c.trials + k)
        row[offset] = logit(everyone)
        row[offset + 1] = logit(overall)
        row[offset + 2] = logit(overall) - logit(expected)
        offset += 3
        for v in verticals.indices where v < c.verticalTrials.count {
            let actual = (c.verticalWins[v] + k * overall) / (c.verticalTrials[v] + k)
            let baseline = (c.verticalExpectedWins[v] + k * expected) / (c.verticalTrials[v] + k)
            row[offset + v] = logit(actual) - logit(baseline)
        }
        offset += verticals.count
        row[offset] = Kernels.log1p(c.trials)
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

extension String {
    /// The rest after `prefix`, or nil when the string does not start with it.
    func dropPrefix(_ prefix: String) -> String? { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil }
}
