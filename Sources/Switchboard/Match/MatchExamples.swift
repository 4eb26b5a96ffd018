import LinearAlgebra

/// The training pairs of the match model: one row of Φ̃ and of Ψ̃ per counted outcome (not declined), the partner
/// side as it stood when the lead was assigned.
struct MatchExamples {
    var left: Matrix<Double>
    /// Ψ̃ before standardisation.
    var rawRight: Matrix<Double>
    var labels: [Bool]
    /// Assignment times, seconds since 1970.
    var times: [Int64]
    /// Which outcome each row came from.
    var outcomeIndices: [Int]

    /// Builds the pairs. Outcomes naming an unknown lead or partner are skipped (`Ecosystem.validate` reports them
    /// before training).
    /// - Parameter expected: each outcome's P(won) under the baseline model (indexed like `outcomes`), for the
    ///   track records' expected wins; nil leaves them at 0.
    /// - Complexity: O(outcomes · log outcomes + outcomes · (a + b)).
    init(
        encoding: MatchEncoding, partners: [Partner], leads: [Lead], outcomes: [Outcome], actionHistory: [ActionTaken] = [],
        expected: [Double]? = nil
    ) {
        var leadByID: [String: Int] = [:]
        for (index, lead) in leads.enumerated() { leadByID[lead.id] = index }
        var leadVertical: [String: String] = [:]
        for lead in leads { leadVertical[lead.id] = lead.vertical }
        let record = PartnerTrackRecord(
            partners: partners, verticals: encoding.verticals, outcomes: outcomes, leadVertical: leadVertical,
            expected: expected)
        var queries: [(time: Int64, partner: Int)] = []
        var kept: [Int] = []
        var leadRows: [Int] = []
        for (index, outcome) in outcomes.enumerated() where OutcomeRule.counts(outcome.outcome) {
            guard let p = record.partnerIndex[outcome.partnerID], let l = leadByID[outcome.leadID] else { continue }
            queries.append((outcome.assigned.secondsSinceEpoch, p))
            kept.append(index)
            leadRows.append(l)
        }
        let n = kept.count
        let received = ActionTimeline(actionHistory, partnerIndex: record.partnerIndex, actions: encoding.actions)
        left = encoding.leftDesign(leadRows.map { leads[$0] })
        let b = encoding.rightNames.count
        var right = Matrix<Double>(rowCount: n, columnCount: b)
        right.storage.withUnsafeMutableBufferPointer { x in
            record.sweep(times: queries) { query, counts, global in
                let (time, p) = queries[query]
                let state = PartnerState(
                    partner: partners[p], counts: counts, global: global, openLeads: record.openCount(p, at: time),
                    time: Timestamp(secondsSinceEpoch: time), actionCounts: received.counts(p, before: time))
                encoding.encodeRaw(state, into: UnsafeMutableBufferPointer(rebasing: x[(query * b)..<((query + 1) * b)]))
            }
        }
        rawRight = right
        labels = kept.map { OutcomeRule.isWin(outcomes[$0].outcome) }
        times = queries.map(\.time)
        outcomeIndices = kept
    }

    var count: Int { labels.count }

    /// Ψ̃ standardised with `encoding`, the track-record entries zeroed when `baseline` is set.
    func right(_ encoding: MatchEncoding, baseline: Bool) -> Matrix<Double> {
        var right = rawRight
        encoding.standardise(&right)
        if baseline {
            let b = right.columnCount
            for i in 0..<right.rowCount { for j in encoding.trackRecordColumns { right.storage[i * b + j] = 0 } }
        }
        return right
    }

    /// The rows at `indices`, in that order.
    func selecting(_ indices: [Int]) -> MatchExamples {
        var copy = self
        copy.left = left.gatheringRows(indices)
        copy.rawRight = rawRight.gatheringRows(indices)
        copy.labels = indices.map { labels[$0] }
        copy.times = indices.map { times[$0] }
        copy.outcomeIndices = indices.map { outcomeIndices[$0] }
        return copy
    }
}

/// When each partner received each action, to count those received before a moment.
struct ActionTimeline {
    /// [partner][action] → sorted times.
    var times: [[[Int64]]]

    init(_ history: [ActionTaken], partnerIndex: [String: Int], actions: [String]) {
        var actionIndex: [String: Int] = [:]
        for (index, id) in actions.enumerated() { actionIndex[id] = index }
        times = Array(repeating: Array(repeating: [], count: actions.count), count: partnerIndex.count)
        for taken in history {
            guard let p = partnerIndex[taken.partnerID], let a = actionIndex[taken.actionID] else { continue }
            times[p][a].append(taken.time.secondsSinceEpoch)
        }
        for p in times.indices { for a in times[p].indices { times[p][a].sort() } }
    }

    /// How many times partner `p` received each action strictly before `time`.
    func counts(_ p: Int, before time: Int64) -> [Double] {
        times[p].map { Double($0.partitionPoint { $0 >= time }) }
    }
}

extension Array where Element == Int64 {
    /// The index of the first element satisfying `predicate`, which must be false then true along the array.
    func partitionPoint(_ predicate: (Int64) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if predicate(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
