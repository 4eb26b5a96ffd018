import LinearAlgebra

/// Routes a batch of leads to partners under capacity, with the configured policy and fairness controls.
///
/// The `optimal` policy maximises exactly
///
///     Σ over assigned (lead i, partner j) of  round((vᵢⱼ + β·uⱼ·dᵢ) / r) + B·[i fills one of j's reserved slots]
///
/// (vᵢⱼ the expected value, β `exploration`, uⱼ the partner's win-rate uncertainty, dᵢ the lead's deal value or vᵢⱼ,
/// r the value resolution, B the reserved-slot bonus in units of r) subject to: each lead at most once, each partner
/// at most its limit min(capacity − open leads, ⌊maxShare × batch⌋), owned leads placed first (see `RoutingConfig`).
/// It is a transportation problem; `TransportationAuction` solves it exactly and proves it with dual prices, which
/// become the partners' shadow prices.
public enum Router {
    /// Routes `problem` with `config`.
    /// - Throws: `RoutingError` for an invalid configuration, or values too large for exact arithmetic at the
    ///   configured resolution.
    /// - Complexity: O(candidates) plus the policy's solve (see `TransportationAuction`).
    public static func route(_ problem: RoutingProblem, config: RoutingConfig = RoutingConfig()) throws(RoutingError)
        -> RoutingPlan
    {
        try config.validate()
        var batch = try RoutingBatch(problem, config)
        switch config.policy {
        case .optimal: try batch.routeByValue(exact: true)
        case .greedy: try batch.routeByValue(exact: false)
        case .roundRobin: batch.roundRobin()
        case .weighted: batch.weighted()
        }
        return batch.plan()
    }
}

/// One routing run's working state: limits, bonuses, what each lead got.
struct RoutingBatch {
    let problem: RoutingProblem
    let config: RoutingConfig
    let partnerCount: Int
    /// Per partner: the most it can take from the batch, and whether the share cap set it.
    var limit: [Int]
    var isShareCapped: [Bool]
    /// Per candidate: its value with the exploration bonus, in units of the resolution (eligible candidates only).
    var units: [Int64]
    /// Per partner: reserved slots (guaranteed minimum share) and how many of them the policy may still fill.
    var reserved: [Int]
    var reservedOpen: [Int]
    /// The reserved-slot bonus, in units.
    var reservedBonus: Int64 = 0
    /// Per lead: the chosen candidate (index into the problem's candidate arrays) or -1, and why.
    var chosen: [Int]
    var basis: [AssignmentBasis]
    var load: [Int]
    var ownerLoad: [Int]
    var reservedLoad: [Int]
    var shadowPrices: [Double]?
    var dualBoundUnits: Int64?

    init(_ problem: RoutingProblem, _ config: RoutingConfig) throws(RoutingError) {
        self.problem = problem
        self.config = config
        partnerCount = problem.partners.count
        let batch = problem.leadCount
        let shareCap = config.maxShare.map { Int(($0 * Double(batch) + 1e-9).rounded(.down)) }
        limit = problem.partners.map { min($0.capacityLeft, shareCap ?? Int.max) }
        isShareCapped = problem.partners.map { partner in shareCap.map { $0 < partner.capacityLeft } ?? false }
        reserved = [Int](repeating: 0, count: partnerCount)
        reservedOpen = reserved
        load = reserved
        ownerLoad = reserved
        reservedLoad = reserved
        chosen = [Int](repeating: -1, count: batch)
        basis = [AssignmentBasis](repeating: .policy, count: batch)
        units = [Int64](repeating: 0, count: problem.candidateCount)
        let resolution = config.valueResolution, beta = config.exploration
        for lead in 0..<batch {
            let deal = problem.dealValues[lead]
            for c in problem.candidateStart[lead]..<problem.candidateStart[lead + 1] where problem.candidateIsEligible[c] {
                let partner = Int(problem.candidatePartner[c])
                let value = problem.candidateValue[c]
                let scale = deal.isNaN ? max(value, 0) : deal
                let adjusted = value + beta * problem.partners[partner].winRateUncertainty * scale
                let scaled = (adjusted / resolution).rounded()
                guard abs(scaled) <= 0x1p52 else {
                    throw .valueOutOfRange(
                        lead: problem.leadIDs[lead], partner: problem.partners[partner].partnerID, value: adjusted,
                        resolution: resolution)
                }
                units[c] = Int64(scaled)
            }
        }
        if config.honourAccountOwners { assignOwners() }
    }

    /// Each eligible owner takes its owned leads while it has room, highest expected value first (ties in lead order).
    mutating func assignOwners() {
        var owned = [[Int]](repeating: [], count: partnerCount)
        for c in 0..<problem.candidateCount where problem.candidateIsOwner[c] && problem.candidateIsEligible[c] {
            owned[Int(problem.candidatePartner[c])].append(c)
        }
        var leadOfCandidate: [Int: Int] = [:]
        for lead in 0..<problem.leadCount {
            for c in problem.candidateStart[lead]..<problem.candidateStart[lead + 1] where problem.candidateIsOwner[c] {
                leadOfCandidate[c] = lead
            }
        }
        for partner in 0..<partnerCount where !owned[partner].isEmpty {
            let ordered = owned[partner].sorted { a, b in
                let va = problem.candidateValue[a], vb = problem.candidateValue[b]
                return va != vb ? va > vb : a < b
            }
            for c in ordered.prefix(max(0, limit[partner])) {
                let lead = leadOfCandidate[c]!
                chosen[lead] = c
                basis[lead] = .accountOwner
                load[partner] += 1
                ownerLoad[partner] += 1
            }
        }
    }

    // MARK: - Value-driven policies

    /// `optimal` (exact) or `greedy`, on the transportation problem with each guaranteed partner split into its
    /// reserved slots (value + bonus) and the rest.
    mutating func routeByValue(exact: Bool) throws(RoutingError) {
        let batch = problem.leadCount
        if config.minimumShare > 0 {
            let share = Int((config.minimumShare * Double(batch) - 1e-9).rounded(.up))
            for (j, partner) in problem.partners.enumerated() where partner.guaranteedMinimumShare {
                reserved[j] = max(0, min(limit[j], share))
                reservedOpen[j] = max(0, reserved[j] - ownerLoad[j])
            }
        }
        if let bonus = config.minimumShareBonus {
            let scaled = (bonus / config.valueResolution).rounded()
            guard scaled <= 0x1p52 else {
                throw .invalidConfig(
                    source: "the configuration",
                    message: "minimumShareBonus \(bonus) is too large for the value resolution \(config.valueResolution)")
            }
            reservedBonus = max(1, Int64(scaled))
        } else {
            var largest: Int64 = 0
            for c in units.indices where problem.candidateIsEligible[c] { largest = max(largest, abs(units[c])) }
            reservedBonus = max(1, 2 * largest)
        }
        // Objects: partner j's ordinary slots, followed by its reserved slots when it has any open.
        var regularObject = [Int](repeating: 0, count: partnerCount)
        var reservedObject = [Int](repeating: -1, count: partnerCount)
        var capacity: [Int] = []
        var partnerOfObject: [Int] = []
        for j in 0..<partnerCount {
            regularObject[j] = capacity.count
            capacity.append(max(0, limit[j] - load[j] - reservedOpen[j]))
            partnerOfObject.append(j)
            if reservedOpen[j] > 0 {
                reservedObject[j] = capacity.count
                capacity.append(reservedOpen[j])
                partnerOfObject.append(j)
            }
        }
        var personLead: [Int] = []
        var arcStart = [0]
        var arcObject: [Int32] = []
        var arcValue: [Int64] = []
        var arcCandidate: [Int] = []
        arcObject.reserveCapacity(problem.candidateCount)
        arcValue.reserveCapacity(problem.candidateCount)
        arcCandidate.reserveCapacity(problem.candidateCount)
        for lead in 0..<batch where chosen[lead] < 0 {
            personLead.append(lead)
            for c in problem.candidateStart[lead]..<problem.candidateStart[lead + 1] where problem.candidateIsEligible[c] {
                let j = Int(problem.candidatePartner[c])
                arcObject.append(Int32(regularObject[j]))
                arcValue.append(units[c])
                arcCandidate.append(c)
                if reservedObject[j] >= 0 {
                    arcObject.append(Int32(reservedObject[j]))
                    arcValue.append(units[c] + reservedBonus)
                    arcCandidate.append(c)
                }
            }
            arcStart.append(arcObject.count)
        }
        let transport: TransportationProblem
        do {
            transport = try TransportationProblem(
                arcStart: arcStart, arcObject: arcObject, arcValue: arcValue, capacity: capacity)
        } catch {
            preconditionFailure("the router built a malformed transportation problem: \(error)")
        }
        let arcOfPerson: [Int]
        if exact {
            let solution: TransportationSolution
            do {
                solution = try TransportationAuction.solve(transport)
            } catch {
                throw .valuesTooLarge(
                    "\(error); the value resolution is \(config.valueResolution)"
                        + (config.minimumShareBonus == nil && reservedOpen.contains { $0 > 0 }
                            ? " and the automatic minimumShareBonus doubles the largest value: set a smaller one" : ""))
            }
            precondition(
                solution.dualObjective == solution.objective,
                "the router's certificate failed: dual \(solution.dualObjective) ≠ primal \(solution.objective)")
            arcOfPerson = solution.arcOfPerson
            shadowPrices = (0..<partnerCount).map { Double(solution.prices[regularObject[$0]]) * config.valueResolution }
            var ownerUnits: Int64 = 0
            for lead in 0..<batch where chosen[lead] >= 0 { ownerUnits += units[chosen[lead]] }
            dualBoundUnits = solution.dualObjective + ownerUnits
        } else {
            arcOfPerson = TransportationGreedy.solve(transport).arcOfPerson
        }
        for (person, arc) in arcOfPerson.enumerated() where arc >= 0 {
            let lead = personLead[person]
            let c = arcCandidate[arc]
            let j = Int(problem.candidatePartner[c])
            chosen[lead] = c
            load[j] += 1
            if Int(arcObject[arc]) == reservedObject[j] {
                basis[lead] = .minimumShare
                reservedLoad[j] += 1
            }
        }
    }

    // MARK: - Baselines

    /// Leads in order; each goes to the first partner at or after the rotating pointer (in partner-id order, wrapping
    /// around) among its eligible candidates with room, and the pointer moves past it.
    mutating func roundRobin() {
        var pointer = 0
        for lead in 0..<problem.leadCount where chosen[lead] < 0 {
            var first = -1, atOrAfter = -1
            for c in problem.candidateStart[lead]..<problem.candidateStart[lead + 1] where hasRoom(c) {
                let j = Int(problem.candidatePartner[c])
                if first < 0 { first = c }
                if atOrAfter < 0 && j >= pointer { atOrAfter = c }
            }
            let pick = atOrAfter >= 0 ? atOrAfter : first
            guard pick >= 0 else { continue }
            let j = Int(problem.candidatePartner[pick])
            chosen[lead] = pick
            load[j] += 1
            pointer = j + 1 == partnerCount ? 0 : j + 1
        }
    }

    /// Leads in order; each draws one of its eligible candidates with room, with probability proportional to the
    /// partner's weight (its capacity left unless given), from a generator seeded with `config.seed`.
    mutating func weighted() {
        var generator = SeededGenerator(seed: config.seed)
        let weights = problem.partners.map { $0.weight ?? Double($0.capacityLeft) }
        for lead in 0..<problem.leadCount where chosen[lead] < 0 {
            var total = 0.0, last = -1
            for c in problem.candidateStart[lead]..<problem.candidateStart[lead + 1] where hasRoom(c) {
                total += weights[Int(problem.candidatePartner[c])]
                last = c
            }
            guard last >= 0 else { continue }
            let target = generator.nextUniform() * total
            var running = 0.0, pick = last
            for c in problem.candidateStart[lead]..<problem.candidateStart[lead + 1] where hasRoom(c) {
                running += weights[Int(problem.candidatePartner[c])]
                if target < running {
                    pick = c
                    break
                }
            }
            let j = Int(problem.candidatePartner[pick])
            chosen[lead] = pick
            load[j] += 1
        }
    }

    func hasRoom(_ c: Int) -> Bool {
        problem.candidateIsEligible[c] && load[Int(problem.candidatePartner[c])] < limit[Int(problem.candidatePartner[c])]
    }
}
