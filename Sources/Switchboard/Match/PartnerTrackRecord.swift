/// A partner's track record: wins, resolved leads, and the wins a baseline model expected of those leads, overall
/// and per vertical. Comparing wins with expected wins credits a partner for beating the odds of the leads it was
/// given, rather than for being given easy ones.
public struct WinCounts: Sendable, Codable, Equatable {
    public var wins: Double = 0
    public var trials: Double = 0
    public var expectedWins: Double = 0
    public var verticalWins: [Double]
    public var verticalTrials: [Double]
    public var verticalExpectedWins: [Double]

    public init(verticalCount: Int) {
        verticalWins = [Double](repeating: 0, count: verticalCount)
        verticalTrials = verticalWins
        verticalExpectedWins = verticalWins
    }

    mutating func add(won: Bool, expected: Double, vertical: Int?) {
        trials += 1
        expectedWins += expected
        if won { wins += 1 }
        if let vertical {
            verticalTrials[vertical] += 1
            verticalExpectedWins[vertical] += expected
            if won { verticalWins[vertical] += 1 }
        }
    }
}

/// How declined and expired outcomes count, for the match model and for win rates.
///
/// A lead the partner declined never reached a sale or a loss on its merits: it is left out of training and of
/// win rates (the lead's next assignment, if any, is its own pair). A lead the partner let expire counts as a
/// loss: the vendor lost the opportunity because of that partner. So a model trained this way gives
/// P(won | the partner accepts the lead).
public enum OutcomeRule {
    /// Whether an outcome is a training example (not declined).
    public static func counts(_ kind: OutcomeKind) -> Bool { kind != .declined }
    /// The label of a counted outcome.
    public static func isWin(_ kind: OutcomeKind) -> Bool { kind == .won }
}

/// Each partner's track record as it stood at given moments, with no look-ahead: the outcomes it had resolved
/// (closed strictly before the moment) and the leads it held open then (accepted, assigned before the moment and
/// not closed by it; a declined lead is never held).
struct PartnerTrackRecord {
    let partnerIndex: [String: Int]
    let verticalIndex: [String: Int]
    /// Per partner: assignment times and close times of all its outcomes, each sorted (for open counts).
    var assignedTimes: [[Int64]]
    var closedTimes: [[Int64]]
    /// Resolved, counted outcomes in order of closing: (closed, partner, vertical, won, expected).
    var resolutions: [(closed: Int64, partner: Int, vertical: Int?, won: Bool, expected: Double)]

    /// - Parameter expected: each outcome's expected P(won) under a baseline model (indexed like `outcomes`), or
    ///   nil for none (expected wins stay 0).
    init(
        partners: [Partner], verticals: [String], outcomes: [Outcome], leadVertical: [String: String],
        expected: [Double]? = nil
    ) {
        var partnerIndex: [String: Int] = [:]
        for (index, partner) in partners.enumerated() { partnerIndex[partner.id] = index }
        var verticalIndex: [String: Int] = [:]
        for (index, vertical) in verticals.enumerated() { verticalIndex[vertical] = index }
        self.partnerIndex = partnerIndex
        self.verticalIndex = verticalIndex
        assignedTimes = Array(repeating: [], count: partners.count)
        closedTimes = assignedTimes
        resolutions = []
        for (index, outcome) in outcomes.enumerated() {
            guard let p = partnerIndex[outcome.partnerID] else { continue }
            if outcome.outcome != .declined {
                assignedTimes[p].append(outcome.assigned.secondsSinceEpoch)
                closedTimes[p].append(outcome.closed?.secondsSinceEpoch ?? Int64.max)
            }
            if OutcomeRule.counts(outcome.outcome), let closed = outcome.closed {
                let vertical = leadVertical[outcome.leadID].flatMap { verticalIndex[$0] }
                resolutions.append(
                    (closed.secondsSinceEpoch, p, vertical, OutcomeRule.isWin(outcome.outcome), expected?[index] ?? 0))
            }
        }
        for p in partners.indices {
            assignedTimes[p].sort()
            closedTimes[p].sort()
        }
        resolutions.sort { $0.closed < $1.closed }
    }

    /// Leads partner `p` held open at `time`: assigned before it and not closed by it.
    func openCount(_ p: Int, at time: Int64) -> Int {
        count(assignedTimes[p], below: time) - count(closedTimes[p], below: time + 1)
    }

    /// The number of sorted values < `bound`.
    private func count(_ values: [Int64], below bound: Int64) -> Int {
        var low = 0, high = values.count
        while low < high {
            let mid = (low + high) / 2
            if values[mid] < bound { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The counts of every partner and of everyone together at each of `times` (ascending order not required):
    /// `body(queryIndex, partnerCounts, globalCounts)` is called in ascending time order.
    func sweep(times: [(time: Int64, partner: Int)], _ body: (Int, WinCounts, WinCounts) -> Void) {
        let verticals = verticalIndex.count
        var perPartner = [WinCounts](repeating: WinCounts(verticalCount: verticals), count: assignedTimes.count)
        var global = WinCounts(verticalCount: verticals)
        let order = times.indices.sorted { times[$0].time < times[$1].time || (times[$0].time == times[$1].time && $0 < $1) }
        var next = 0
        for query in order {
            let time = times[query].time
            while next < resolutions.count && resolutions[next].closed < time {
                let r = resolutions[next]
                perPartner[r.partner].add(won: r.won, expected: r.expected, vertical: r.vertical)
                global.add(won: r.won, expected: r.expected, vertical: r.vertical)
                next += 1
            }
            body(query, perPartner[times[query].partner], global)
        }
    }

    /// Every partner's counts over all resolved outcomes, and everyone's together.
    func finalCounts() -> (partners: [WinCounts], global: WinCounts) {
        let verticals = verticalIndex.count
        var perPartner = [WinCounts](repeating: WinCounts(verticalCount: verticals), count: assignedTimes.count)
        var global = WinCounts(verticalCount: verticals)
        for r in resolutions {
            perPartner[r.partner].add(won: r.won, expected: r.expected, vertical: r.vertical)
            global.add(won: r.won, expected: r.expected, vertical: r.vertical)
        }
        return (perPartner, global)
    }
}
