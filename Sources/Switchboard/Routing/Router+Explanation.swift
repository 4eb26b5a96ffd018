/// The plan a routing run produces: each lead's explanation or reason, each partner's outcome.
extension RoutingBatch {
    var isValueDriven: Bool { config.policy == .optimal || config.policy == .greedy }

    func plan() -> RoutingPlan {
        var assignments: [RoutingAssignment] = []
        var unassigned: [UnassignedLead] = []
        assignments.reserveCapacity(problem.leadCount)
        var total = 0.0
        var objectiveUnits: Int64 = 0
        var owners = 0
        for lead in 0..<problem.leadCount {
            let range = problem.candidateStart[lead]..<problem.candidateStart[lead + 1]
            let pick = chosen[lead]
            guard pick >= 0 else {
                let best = bestCandidate(in: range, excluding: -1)
                unassigned.append(
                    UnassignedLead(
                        leadIndex: lead, leadID: problem.leadIDs[lead], reason: unassignedReason(range),
                        candidateCount: range.count, bestAlternative: best.map { alternative($0, to: nil) }))
                continue
            }
            let j = Int(problem.candidatePartner[pick])
            let value = problem.candidateValue[pick]
            var rank = 1
            for c in range where c != pick {
                let other = problem.candidateValue[c]
                if other > value || (other == value && c < pick) { rank += 1 }
            }
            total += value
            objectiveUnits += units[pick] + (basis[lead] == .minimumShare ? reservedBonus : 0)
            if basis[lead] == .accountOwner { owners += 1 }
            let probability = problem.candidateWinProbability[pick]
            assignments.append(
                RoutingAssignment(
                    leadIndex: lead, leadID: problem.leadIDs[lead], partnerID: problem.partners[j].partnerID,
                    expectedValue: value, winProbability: probability.isNaN ? nil : probability, rank: rank,
                    candidateCount: range.count, basis: basis[lead],
                    bestAlternative: bestCandidate(in: range, excluding: pick).map { alternative($0, to: lead) },
                    shadowPrice: shadowPrices?[j]))
        }
        let partners = problem.partners.enumerated().map { j, partner in
            PartnerOutcome(
                partnerID: partner.partnerID, capacityLeft: partner.capacityLeft, limit: limit[j],
                isShareCapped: isShareCapped[j], reserved: reserved[j], assigned: load[j], ownerAssigned: ownerLoad[j],
                shadowPrice: shadowPrices?[j])
        }
        let resolution = config.valueResolution
        return RoutingPlan(
            policy: config.policy, assignments: assignments, unassigned: unassigned, partners: partners,
            totalExpectedValue: total, objective: Double(objectiveUnits) * resolution,
            dualBound: dualBoundUnits.map { Double($0) * resolution }, ownerAssignments: owners)
    }

    /// The candidate in `range` with the highest expected value (ties: the lower partner id) other than `excluding`.
    func bestCandidate(in range: Range<Int>, excluding: Int) -> Int? {
        var best: Int?
        for c in range where c != excluding {
            if let b = best, problem.candidateValue[c] <= problem.candidateValue[b] { continue }
            best = c
        }
        return best
    }

    /// Whether partner j has no room left in the plan.
    func isAtLimit(_ j: Int) -> Bool { load[j] >= limit[j] }

    /// Whether candidate c was worth taking for a value-driven policy: a positive value in an ordinary slot, or a
    /// positive value with the bonus in one of its partner's reserved slots while one was still open.
    func isWorthTaking(_ c: Int) -> Bool {
        let j = Int(problem.candidatePartner[c])
        return units[c] > 0 || (reservedLoad[j] < reservedOpen[j] && units[c] + reservedBonus > 0)
    }

    func alternative(_ c: Int, to lead: Int?) -> RoutingAlternative {
        let j = Int(problem.candidatePartner[c])
        return RoutingAlternative(
            partnerID: problem.partners[j].partnerID, expectedValue: problem.candidateValue[c],
            reason: whyNot(c, lead: lead))
    }

    /// Why candidate c was not used for `lead` (nil: the lead is unassigned).
    func whyNot(_ c: Int, lead: Int?) -> AlternativeReason {
        let j = Int(problem.candidatePartner[c])
        if !problem.candidateIsEligible[c] { return .ineligible }
        if let lead, basis[lead] == .accountOwner { return .accountOwner }
        if isAtLimit(j) { return isShareCapped[j] ? .shareCap : .full }
        if isValueDriven && !isWorthTaking(c) { return .noValue }
        guard let lead else { return isValueDriven ? .noValue : .full }
        if !isValueDriven { return .baselineChoice }
        let pick = chosen[lead]
        if problem.candidateValue[c] < problem.candidateValue[pick] { return .lowerValue }
        let chosenUnits = units[pick] + (basis[lead] == .minimumShare ? reservedBonus : 0)
        return chosenUnits > units[c] ? .bonus : .equalValue
    }

    func unassignedReason(_ range: Range<Int>) -> UnassignedReason {
        let eligible = range.filter { problem.candidateIsEligible[$0] }
        if eligible.isEmpty { return .noEligiblePartner }
        let worth = isValueDriven ? eligible.filter(isWorthTaking) : eligible
        if worth.isEmpty { return .noPositiveValue }
        let capped = worth.contains { c in
            let j = Int(problem.candidatePartner[c])
            return isShareCapped[j] && isAtLimit(j)
        }
        return capped ? .shareCap : .allFull
    }
}
