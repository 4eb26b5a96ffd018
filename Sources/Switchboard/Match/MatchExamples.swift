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
    /// - Complexity: O(outcomes · log outcomes + outcomes · (a + b)).
    init(encoding: MatchEncoding, partners: [Partner], leads: [Lead], outcomes: [Outcome]) {
        var leadByID: [String: Int] = [:]
        for (index, lead) in leads.enumerated() { leadByID[lead.id] = index }
        var leadVertical: [String: String] = [:]
        for lead in leads { leadVertical[lead.id] = lead.vertical }
        let record = PartnerTrackRecord(
            partners: partners, verticals: encoding.verticals, outcomes: outcomes, leadVertical: leadVertical)
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
        left = encoding.leftDesign(leadRows.map { leads[$0] })
        let b = encoding.rightNames.count
        var right = Matrix<Double>(rowCount: n, columnCount: b)
        right.storage.withUnsafeMutableBufferPointer { x in
            record.sweep(times: queries) { query, counts, global in
                let (time, p) = queries[query]
                let state = PartnerState(
                    partner: partners[p], counts: counts, global: global, openLeads: record.openCount(p, at: time),
                    time: Timestamp(secondsSinceEpoch: time))
                encoding.encodeRaw(state, into: UnsafeMutableBufferPointer(rebasing: x[(query * b)..<((query + 1) * b)]))
            }
        }
        rawRight = right
        labels = kept.map { OutcomeRule.isWin(outcomes[$0].outcome) }
        times = queries.map(\.time)
        outcomeIndices = kept
    }

    var count: Int { labels.count }

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
