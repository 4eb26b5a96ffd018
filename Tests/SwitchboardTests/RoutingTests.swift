import Learning
import LinearAlgebra
import Testing
import TestSupport

@testable import Switchboard

/// Builders and oracles for router tests.
enum RoutingFixture {
    /// A problem from `(lead, [(partner, value)])` lists; partners from `(id, capacity)`.
    static func problem(
        partners: [PartnerCapacity], leads: [(String, [RoutingCandidate])], dealValues: [String: Double] = [:]
    ) throws -> RoutingProblem {
        var problem = try RoutingProblem(partners: partners)
        for (id, candidates) in leads { try problem.addLead(id: id, candidates: candidates, dealValue: dealValues[id]) }
        return problem
    }

    static func candidate(_ partner: String, _ value: Double, owner: Bool = false, eligible: Bool = true) -> RoutingCandidate {
        RoutingCandidate(partnerID: partner, expectedValue: value, isAccountOwner: owner, isEligible: eligible)
    }

    /// A random batch: partners P00… with capacities and open leads, leads with up to `maxCandidates` candidates of
    /// whole-number values (ties frequent), some owners, a few ineligible.
    static func random(
        leads: Int, partners: Int, maxCandidates: Int, flags: Bool = false, using rng: inout SeededGenerator
    ) throws -> RoutingProblem {
        let list = (0..<partners).map { j in
            PartnerCapacity(
                partnerID: String(format: "P%03d", j), capacity: Int(rng.next() % 6), openLeads: Int(rng.next() % 3),
                guaranteedMinimumShare: flags && rng.next() % 3 == 0, winRateUncertainty: flags ? rng.nextUniform() * 0.3 : 0)
        }
        var problem = try RoutingProblem(partners: list)
        for i in 0..<leads {
            var chosen = Set<Int>()
            let count = Int(rng.next() % UInt64(min(maxCandidates, partners) + 1))
            while chosen.count < count { chosen.insert(Int(rng.next() % UInt64(partners))) }
            var owner = rng.next() % 5 == 0
            let candidates = chosen.sorted().map { j -> RoutingCandidate in
                let isOwner = owner
                owner = false
                return RoutingCandidate(
                    partnerID: list[j].partnerID, expectedValue: Double(Int(rng.next() % 40) - 5),
                    isAccountOwner: isOwner, isEligible: rng.next() % 10 != 0)
            }
            try problem.addLead(id: "L\(i)", candidates: candidates)
        }
        return problem
    }

    /// The best objective (in units) over every assignment that respects the limits, with owners fixed as the
    /// router fixes them, for the plain optimum (no bonuses).
    static func bruteForce(_ problem: RoutingProblem, config: RoutingConfig) throws -> Int64 {
        var batch = try RoutingBatch(problem, config)
        var best: Int64 = .min
        var total: Int64 = 0
        for lead in 0..<problem.leadCount where batch.chosen[lead] >= 0 { total += batch.units[batch.chosen[lead]] }
        func visit(_ lead: Int, _ sum: Int64) {
            if lead == problem.leadCount {
                best = max(best, sum)
                return
            }
            if batch.chosen[lead] >= 0 {
                visit(lead + 1, sum)
                return
            }
            visit(lead + 1, sum)
            for c in problem.candidateStart[lead]..<problem.candidateStart[lead + 1] where batch.hasRoom(c) {
                let j = Int(problem.candidatePartner[c])
                batch.load[j] += 1
                visit(lead + 1, sum + batch.units[c])
                batch.load[j] -= 1
            }
        }
        visit(0, total)
        return best
    }

    /// Checks the invariants every plan must meet: each lead exactly once, no partner beyond its limit, loads and
    /// owner counts consistent, totals adding up.
    static func checkInvariants(_ plan: RoutingPlan, _ problem: RoutingProblem, sourceLocation: SourceLocation = #_sourceLocation)
    {
        var seen = [Int](repeating: 0, count: problem.leadCount)
        var load: [String: Int] = [:]
        var total = 0.0
        for assignment in plan.assignments {
            seen[assignment.leadIndex] += 1
            load[assignment.partnerID, default: 0] += 1
            total += assignment.expectedValue
            let candidates = problem.candidates(ofLead: assignment.leadIndex)
            let pick = candidates.first { $0.partnerID == assignment.partnerID }
            #expect(
                pick?.isEligible == true, "assigned to a partner that is not an eligible candidate",
                sourceLocation: sourceLocation)
        }
        for lead in plan.unassigned { seen[lead.leadIndex] += 1 }
        #expect(seen.allSatisfy { $0 == 1 }, "every lead exactly once", sourceLocation: sourceLocation)
        for (position, outcome) in plan.partners.enumerated() {
            let partner = problem.partners[position]
            #expect(outcome.partnerID == partner.partnerID, sourceLocation: sourceLocation)
            #expect(outcome.assigned == load[partner.partnerID, default: 0], sourceLocation: sourceLocation)
            #expect(outcome.assigned <= outcome.limit, "over its limit", sourceLocation: sourceLocation)
            #expect(outcome.limit <= partner.capacityLeft, "limit above capacity left", sourceLocation: sourceLocation)
        }
        #expect(isClose(total, plan.totalExpectedValue, absolute: 1e-6), sourceLocation: sourceLocation)
    }
}

@Suite("Router")
struct RoutingTests {
    let partners = [
        PartnerCapacity(partnerID: "A", capacity: 1), PartnerCapacity(partnerID: "B", capacity: 2, openLeads: 1),
        PartnerCapacity(partnerID: "C", capacity: 5),
    ]

    /// Greedy gives L1 its best (A, 10) and leaves L2 with C (1); the optimum sends L1 to B and L2 to A.
    func contested() throws -> RoutingProblem {
        try RoutingFixture.problem(
            partners: partners,
            leads: [
                ("L1", [RoutingFixture.candidate("A", 10), RoutingFixture.candidate("B", 9)]),
                ("L2", [RoutingFixture.candidate("A", 8), RoutingFixture.candidate("C", 1)]),
                ("L3", []),
            ])
    }

    @Test func optimalBeatsGreedyOnAContestedSlot() throws {
        let problem = try contested()
        let optimal = try Router.route(problem)
        #expect(optimal.assignments.map { "\($0.leadID)→\($0.partnerID)" } == ["L1→B", "L2→A"])
        #expect(isClose(optimal.totalExpectedValue, 17))
        #expect(optimal.dualBound == optimal.objective)
        let greedy = try Router.route(problem, config: RoutingConfig(policy: .greedy))
        #expect(greedy.assignments.map { "\($0.leadID)→\($0.partnerID)" } == ["L1→A", "L2→C"])
        #expect(isClose(greedy.totalExpectedValue, 11))
        #expect(greedy.dualBound == nil && greedy.partners.allSatisfy { $0.shadowPrice == nil })
        RoutingFixture.checkInvariants(optimal, problem)
        RoutingFixture.checkInvariants(greedy, problem)
    }

    @Test func explanationsNameRankAlternativeAndShadowPrice() throws {
        let plan = try Router.route(try contested())
        let first = plan.assignments[0], second = plan.assignments[1]
        #expect(first.rank == 2 && first.candidateCount == 2)
        #expect(first.bestAlternative == RoutingAlternative(partnerID: "A", expectedValue: 10, reason: .full))
        #expect(second.rank == 1)
        #expect(second.bestAlternative == RoutingAlternative(partnerID: "C", expectedValue: 1, reason: .lowerValue))
        // The shadow prices are optimal duals: C has room, so its price is 0, and each lead's value net of its
        // partner's price is at least what any of its other candidates would give.
        let price = Dictionary(uniqueKeysWithValues: plan.partners.map { ($0.partnerID, $0.shadowPrice!) })
        #expect(price["C"] == 0)
        #expect(first.shadowPrice == price["B"] && second.shadowPrice == price["A"])
        #expect(10 - price["A"]! <= 9 - price["B"]! + 1e-9)
        #expect(1 - price["C"]! <= 8 - price["A"]! + 1e-9)
        let empty = try #require(plan.unassigned.first)
        #expect(empty.leadID == "L3" && empty.reason == .noEligiblePartner && empty.bestAlternative == nil)
        #expect(plan.partners.map(\.assigned) == [1, 1, 0])
        #expect(plan.partners.map(\.remainingCapacity) == [0, 0, 5])
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func optimalMatchesBruteForceWithOwnersAndLimits(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        for round in 0..<40 {
            let problem = try RoutingFixture.random(
                leads: 1 + Int(rng.next() % 7), partners: 1 + Int(rng.next() % 4), maxCandidates: 3, using: &rng)
            let config = RoutingConfig(maxShare: round % 3 == 0 ? 0.5 : nil, honourAccountOwners: round % 2 == 0)
            let plan = try Router.route(problem, config: config)
            RoutingFixture.checkInvariants(plan, problem)
            let best = try RoutingFixture.bruteForce(problem, config: config)
            #expect(isClose(plan.objective, Double(best) * 0.01, absolute: 1e-9))
            #expect(plan.dualBound == plan.objective)
            for policy in [RoutingPolicy.greedy, .roundRobin, .weighted] {
                var other = config
                other.policy = policy
                let baseline = try Router.route(problem, config: other)
                RoutingFixture.checkInvariants(baseline, problem)
                #expect(baseline.objective <= plan.objective + 1e-9, "\(policy) beat the optimum")
            }
        }
    }

    @Test func shareCapLimitsEveryPartner() throws {
        var rng = SeededGenerator(seed: 7)
        var problem = try RoutingProblem(partners: [
            PartnerCapacity(partnerID: "big", capacity: 1000), PartnerCapacity(partnerID: "mid", capacity: 1000),
            PartnerCapacity(partnerID: "small", capacity: 3),
        ])
        for i in 0..<40 {
            try problem.addLead(
                id: "L\(i)",
                candidates: [
                    RoutingFixture.candidate("big", 100 + rng.nextUniform()), RoutingFixture.candidate("mid", 50),
                    RoutingFixture.candidate("small", 10),
                ])
        }
        let plan = try Router.route(problem, config: RoutingConfig(maxShare: 0.45))
        RoutingFixture.checkInvariants(plan, problem)
        // ⌊0.45 × 40⌋ = 18 for big and mid; small keeps its capacity 3; 40 − 39 = 1 lead is left.
        #expect(plan.partners.map(\.limit) == [18, 18, 3])
        #expect(plan.partners.map(\.assigned) == [18, 18, 3])
        #expect(plan.partners.map(\.isShareCapped) == [true, true, false])
        #expect(plan.unassigned.map(\.reason) == [.shareCap])
        let capped = plan.assignments.first { $0.partnerID == "mid" }!
        #expect(capped.bestAlternative?.reason == .shareCap)
        let unlimited = try Router.route(problem)
        #expect(unlimited.partners.map(\.assigned) == [40, 0, 0])
    }

    @Test func minimumShareIsMetWhenFeasible() throws {
        // Every lead prefers the incumbent; the new partner is worth a little less. Without the control it gets
        // nothing; with a 10% minimum share it gets ⌈0.1 × 30⌉ = 3 leads, the ones where it loses least.
        var problem = try RoutingProblem(partners: [
            PartnerCapacity(partnerID: "incumbent", capacity: 100),
            PartnerCapacity(partnerID: "new", capacity: 10, guaranteedMinimumShare: true),
        ])
        for i in 0..<30 {
            try problem.addLead(
                id: "L\(i)",
                candidates: [
                    RoutingFixture.candidate("incumbent", 100), RoutingFixture.candidate("new", 90 - Double(i % 10)),
                ])
        }
        let without = try Router.route(problem)
        #expect(without.partners[1].assigned == 0)
        for policy in [RoutingPolicy.optimal, .greedy] {
            let plan = try Router.route(problem, config: RoutingConfig(policy: policy, minimumShare: 0.1))
            RoutingFixture.checkInvariants(plan, problem)
            #expect(plan.partners[1].reserved == 3)
            #expect(plan.partners[1].assigned == 3, "\(policy)")
            let reserved = plan.assignments.filter { $0.basis == .minimumShare }
            #expect(reserved.count == 3 && reserved.allSatisfy { $0.partnerID == "new" && $0.expectedValue == 90 })
            #expect(reserved.allSatisfy { $0.bestAlternative?.reason == .bonus })
            #expect(isClose(plan.totalExpectedValue, 27 * 100 + 3 * 90))
        }
        // Capped by what the partner can take: capacity 2 < 3.
        var small = try RoutingProblem(partners: [
            PartnerCapacity(partnerID: "incumbent", capacity: 100),
            PartnerCapacity(partnerID: "new", capacity: 2, guaranteedMinimumShare: true),
        ])
        for i in 0..<30 {
            try small.addLead(
                id: "L\(i)", candidates: [RoutingFixture.candidate("incumbent", 100), RoutingFixture.candidate("new", 1)])
        }
        let capped = try Router.route(small, config: RoutingConfig(minimumShare: 0.1))
        #expect(capped.partners[1].reserved == 2 && capped.partners[1].assigned == 2)
    }

    @Test func aSmallBonusTradesTheMinimumShareAgainstValue() throws {
        var problem = try RoutingProblem(partners: [
            PartnerCapacity(partnerID: "incumbent", capacity: 100),
            PartnerCapacity(partnerID: "new", capacity: 10, guaranteedMinimumShare: true),
        ])
        for i in 0..<10 {
            try problem.addLead(
                id: "L\(i)",
                candidates: [RoutingFixture.candidate("incumbent", 100), RoutingFixture.candidate("new", Double(95 - i))])
        }
        // Reserved slots: ⌈0.5 × 10⌉ = 5. A bonus of 6.5 fills only those where the loss is below 6.5: the leads
        // worth 95 and 94 to the new partner (losses 5 and 6), not 93 (loss 7).
        let plan = try Router.route(problem, config: RoutingConfig(minimumShare: 0.5, minimumShareBonus: 6.5))
        #expect(plan.partners[1].reserved == 5 && plan.partners[1].assigned == 2)
        let expected: Double = 8 * 100 + 95 + 94 + 2 * 6.5
        #expect(isClose(plan.objective, expected))
    }

    @Test func accountOwnersComeFirstWhileTheyHaveRoom() throws {
        var problem = try RoutingProblem(partners: [
            PartnerCapacity(partnerID: "owner", capacity: 3, openLeads: 1), PartnerCapacity(partnerID: "other", capacity: 10),
        ])
        for (i, value) in [5.0, 9, 7].enumerated() {
            try problem.addLead(
                id: "L\(i)",
                candidates: [RoutingFixture.candidate("owner", value, owner: true), RoutingFixture.candidate("other", 50)])
        }
        try problem.addLead(id: "L3", candidates: [RoutingFixture.candidate("owner", 100)])
        let plan = try Router.route(problem)
        RoutingFixture.checkInvariants(plan, problem)
        // Room for 2: the two owned leads of highest value (L1: 9, L2: 7); L0 and L3 are routed normally.
        let byLead = Dictionary(uniqueKeysWithValues: plan.assignments.map { ($0.leadID, $0) })
        #expect(byLead["L1"]?.partnerID == "owner" && byLead["L1"]?.basis == .accountOwner)
        #expect(byLead["L2"]?.partnerID == "owner" && byLead["L2"]?.basis == .accountOwner)
        #expect(byLead["L1"]?.bestAlternative?.reason == .accountOwner)
        #expect(byLead["L0"]?.partnerID == "other" && byLead["L0"]?.basis == .policy)
        #expect(plan.unassigned.map(\.leadID) == ["L3"] && plan.unassigned[0].reason == .allFull)
        // plan.partners is sorted by id: "other", then "owner".
        #expect(plan.ownerAssignments == 2 && plan.partners.first { $0.partnerID == "owner" }?.ownerAssigned == 2)
        let ignored = try Router.route(problem, config: RoutingConfig(honourAccountOwners: false))
        #expect(Set(ignored.assignments.filter { $0.partnerID == "owner" }.map(\.leadID)) == ["L3"])
        for policy in [RoutingPolicy.greedy, .roundRobin, .weighted] {
            let baseline = try Router.route(problem, config: RoutingConfig(policy: policy))
            #expect(baseline.ownerAssignments == 2, "\(policy)")
        }
    }

    @Test func explorationFavoursUncertainPartnersByTheDocumentedBonus() throws {
        let partners = [
            PartnerCapacity(partnerID: "known", capacity: 1, winRateUncertainty: 0.01),
            PartnerCapacity(partnerID: "unproven", capacity: 1, winRateUncertainty: 0.2),
        ]
        let problem = try RoutingFixture.problem(
            partners: partners,
            leads: [("L1", [RoutingFixture.candidate("known", 100), RoutingFixture.candidate("unproven", 90)])],
            dealValues: ["L1": 200])
        #expect(try Router.route(problem).assignments[0].partnerID == "known")
        // β = 1: known 100 + 0.01 × 200 = 102; unproven 90 + 0.2 × 200 = 130.
        let plan = try Router.route(problem, config: RoutingConfig(exploration: 1))
        #expect(plan.assignments[0].partnerID == "unproven")
        #expect(isClose(plan.objective, 130) && isClose(plan.totalExpectedValue, 90))
        #expect(plan.assignments[0].bestAlternative?.reason == .bonus)
        // Without a deal value the bonus scales the candidate's own value: known 100 × 1.01 = 101, unproven
        // 90 × 1.2 = 108.
        let relative = try RoutingFixture.problem(
            partners: partners,
            leads: [("L1", [RoutingFixture.candidate("known", 100), RoutingFixture.candidate("unproven", 90)])])
        let uplift = try Router.route(relative, config: RoutingConfig(exploration: 1))
        #expect(uplift.assignments[0].partnerID == "unproven" && isClose(uplift.objective, 108))
    }

    @Test func roundRobinRotatesAndWeightedIsSeeded() throws {
        let partners = ["A", "B", "C"].map { PartnerCapacity(partnerID: $0, capacity: 10) }
        var problem = try RoutingProblem(partners: partners)
        for i in 0..<7 {
            let candidates =
                i == 3 ? [RoutingFixture.candidate("A", 1)] : partners.map { RoutingFixture.candidate($0.partnerID, 1) }
            try problem.addLead(id: "L\(i)", candidates: candidates)
        }
        let rotation = try Router.route(problem, config: RoutingConfig(policy: .roundRobin))
        #expect(rotation.assignments.map(\.partnerID) == ["A", "B", "C", "A", "B", "C", "A"])
        #expect(rotation.assignments[1].bestAlternative?.reason == .baselineChoice)
        let first = try Router.route(problem, config: RoutingConfig(policy: .weighted, seed: 5))
        let second = try Router.route(problem, config: RoutingConfig(policy: .weighted, seed: 5))
        #expect(first == second)
        var differs = false
        for seed in UInt64(6)..<16 {
            if try Router.route(problem, config: RoutingConfig(policy: .weighted, seed: seed)) != first { differs = true }
        }
        #expect(differs, "the seed must matter")
        // Weights: a partner with weight far above the others takes almost every lead it is offered.
        var skewed = try RoutingProblem(partners: [
            PartnerCapacity(partnerID: "A", capacity: 1000, weight: 1000),
            PartnerCapacity(partnerID: "B", capacity: 1000, weight: 1),
        ])
        for i in 0..<500 {
            try skewed.addLead(id: "L\(i)", candidates: [RoutingFixture.candidate("A", 1), RoutingFixture.candidate("B", 1)])
        }
        let drawn = try Router.route(skewed, config: RoutingConfig(policy: .weighted))
        #expect(drawn.partners[0].assigned > 480)
    }

    @Test func unassignedLeadsCarryTheirReason() throws {
        let problem = try RoutingFixture.problem(
            partners: [PartnerCapacity(partnerID: "A", capacity: 1), PartnerCapacity(partnerID: "Z", capacity: 0)],
            leads: [
                ("winner", [RoutingFixture.candidate("A", 10)]),
                ("loser", [RoutingFixture.candidate("A", 5), RoutingFixture.candidate("Z", 50)]),
                ("worthless", [RoutingFixture.candidate("A", -1)]),
                ("blocked", [RoutingFixture.candidate("A", 99, eligible: false)]),
            ])
        let plan = try Router.route(problem)
        let reasons = Dictionary(uniqueKeysWithValues: plan.unassigned.map { ($0.leadID, $0.reason) })
        #expect(reasons == ["loser": .allFull, "worthless": .noPositiveValue, "blocked": .noEligiblePartner])
        let loser = plan.unassigned.first { $0.leadID == "loser" }!
        #expect(loser.bestAlternative == RoutingAlternative(partnerID: "Z", expectedValue: 50, reason: .full))
        let blocked = plan.unassigned.first { $0.leadID == "blocked" }!
        #expect(blocked.bestAlternative?.reason == .ineligible)
        #expect(plan.assignments.map(\.leadID) == ["winner"])
        let zero = plan.partners.first { $0.partnerID == "Z" }!
        #expect(zero.shadowPrice == 50, "a partner with no room is priced at what one slot would bring")
    }

    @Test(arguments: [UInt64(41), 42])
    func invariantsAndDeterminismOnALargeBatchWithEveryControl(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let partners = (0..<300).map { j in
            PartnerCapacity(
                partnerID: "P\(j)", capacity: Int(rng.next() % 120), openLeads: Int(rng.next() % 20),
                guaranteedMinimumShare: j % 17 == 0, winRateUncertainty: rng.nextUniform() * 0.2)
        }
        var problem = try RoutingProblem(partners: partners)
        for i in 0..<20_000 {
            var chosen = Set<Int>()
            while chosen.count < 8 { chosen.insert(Int(rng.next() % 300)) }
            let candidates = chosen.sorted().enumerated().map { k, j in
                RoutingCandidate(
                    partnerID: "P\(j)", expectedValue: (rng.nextUniform() * 5000).rounded() / 100,
                    winProbability: rng.nextUniform(), isAccountOwner: k == 0 && i % 50 == 0, isEligible: k != 7)
            }
            try problem.addLead(id: "L\(i)", candidates: candidates, dealValue: i % 2 == 0 ? 1000 : nil)
        }
        let config = RoutingConfig(maxShare: 0.004, minimumShare: 0.001, exploration: 0.5)
        let plan = try Router.route(problem, config: config)
        RoutingFixture.checkInvariants(plan, problem)
        #expect(plan.dualBound == plan.objective)
        #expect(plan.partners.allSatisfy { $0.assigned <= 80 }, "⌊0.004 × 20,000⌋ = 80")
        for outcome in plan.partners where outcome.reserved > 0 { #expect(outcome.assigned >= outcome.reserved) }
        #expect(try Router.route(problem, config: config) == plan)
        var greedy = config
        greedy.policy = .greedy
        #expect(try Router.route(problem, config: greedy).objective <= plan.objective)
    }

    @Test func shadowPricesSatisfyComplementarySlackness() throws {
        var rng = SeededGenerator(seed: 77)
        let problem = try RoutingFixture.random(leads: 400, partners: 25, maxCandidates: 5, using: &rng)
        let config = RoutingConfig(honourAccountOwners: false)
        let plan = try Router.route(problem, config: config)
        let price = plan.partners.map { $0.shadowPrice! }
        let chosen = Dictionary(uniqueKeysWithValues: plan.assignments.map { ($0.leadIndex, $0.partnerID) })
        for lead in 0..<problem.leadCount {
            let candidates = problem.candidates(ofLead: lead).filter(\.isEligible)
            let best = candidates.map { $0.expectedValue - price[problem.partnerPosition(of: $0.partnerID)!] }.max() ?? 0
            if let partner = chosen[lead] {
                let c = candidates.first { $0.partnerID == partner }!
                #expect(isClose(c.expectedValue - price[problem.partnerPosition(of: partner)!], max(0, best), absolute: 1e-9))
            } else {
                #expect(best <= 1e-9, "an unassigned lead could profit at the shadow prices")
            }
        }
        for outcome in plan.partners where outcome.shadowPrice! > 0 { #expect(outcome.assigned == outcome.limit) }
    }

    @Test func rejectsInvalidProblems() throws {
        #expect(throws: RoutingError.duplicatePartner("A")) {
            try RoutingProblem(partners: [
                PartnerCapacity(partnerID: "A", capacity: 1), PartnerCapacity(partnerID: "A", capacity: 2),
            ])
        }
        #expect(throws: RoutingError.self) { try RoutingProblem(partners: [PartnerCapacity(partnerID: "A", capacity: -1)]) }
        #expect(throws: RoutingError.self) {
            try RoutingProblem(partners: [PartnerCapacity(partnerID: "A", capacity: 1, winRateUncertainty: .nan)])
        }
        var problem = try RoutingProblem(partners: [PartnerCapacity(partnerID: "A", capacity: 1)])
        #expect(throws: RoutingError.unknownPartner(lead: "L", partner: "B")) {
            try problem.addLead(id: "L", candidates: [RoutingFixture.candidate("B", 1)])
        }
        #expect(throws: RoutingError.duplicateCandidate(lead: "L", partner: "A")) {
            try problem.addLead(id: "L", candidates: [RoutingFixture.candidate("A", 1), RoutingFixture.candidate("A", 2)])
        }
        #expect(throws: RoutingError.self) { try problem.addLead(id: "L", candidates: [RoutingFixture.candidate("A", .nan)]) }
        #expect(throws: RoutingError.self) {
            try problem.addLead(id: "L", candidates: [RoutingCandidate(partnerID: "A", expectedValue: 1, winProbability: 1.5)])
        }
        #expect(problem.leadCount == 0, "a rejected lead leaves the problem unchanged")
        try problem.addLead(id: "L", candidates: [RoutingFixture.candidate("A", 1)])
        #expect(throws: RoutingError.duplicateLead("L")) { try problem.addLead(id: "L", candidates: []) }
        #expect(throws: RoutingError.self) {
            try Router.route(problem, config: RoutingConfig(valueResolution: 1e-300))
        }
        #expect(throws: RoutingError.self) {
            try Router.route(problem, config: RoutingConfig(minimumShare: 0.5, minimumShareBonus: 1e300))
        }
    }

    @Test func validatesEveryConfigurationField() throws {
        let bad: [(String, String)] = [
            (#"{"maxShare": 0}"#, "maxShare must be in (0, 1] (got 0.0)"),
            (#"{"maxShare": 1.5}"#, "maxShare must be in (0, 1]"),
            (#"{"minimumShare": -0.1}"#, "minimumShare must be in [0, 1]"),
            (#"{"maxShare": 0.1, "minimumShare": 0.2}"#, "must not exceed maxShare"),
            (#"{"minimumShareBonus": 0}"#, "minimumShareBonus must be finite and > 0"),
            (#"{"exploration": -1}"#, "exploration must be finite and >= 0"),
            (#"{"valueResolution": 0}"#, "valueResolution must be finite and > 0"),
            (#"{"policy": "fastest"}"#, "policy: 'fastest' is not one of 'optimal', 'greedy', 'round-robin', 'weighted'"),
            (#"{"seed": -3}"#, "seed"),
            (#"{"maxshare": 0.5}"#, "unknown key 'maxshare'"),
            (#"{"honourAccountOwners": "yes"}"#, "honourAccountOwners: expected true or false"),
            (#"{"exploration": "lots"}"#, "exploration: expected a number"),
            (#"[1, 2]"#, "expected a JSON object"),
            (#"{"maxShare": "#, "line 1, column 14: expected a value"),
        ]
        for (text, message) in bad {
            do {
                _ = try RoutingConfig.parse(Array(text.utf8), source: "routing.json")
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.description.hasPrefix("routing.json: "), "\(error)")
                #expect(error.description.contains(message), "\(text): \(error)")
            }
        }
        let config = try RoutingConfig.parse(
            Array(#"{"policy": "round-robin", "maxShare": 0.3, "exploration": 2, "seed": 9, "honourAccountOwners": false}"#.utf8),
            source: "routing.json")
        #expect(config == RoutingConfig(policy: .roundRobin, maxShare: 0.3, exploration: 2, honourAccountOwners: false, seed: 9))
        #expect(try RoutingConfig.parse(Array("{}".utf8), source: "x") == RoutingConfig())
    }
}

@Suite("Streaming router")
struct RoutingStreamTests {
    @Test func picksTheBestValueNetOfPriceAndUsesUpCapacity() throws {
        var router = try StreamRouter(prices: [
            PartnerPrice(partnerID: "A", shadowPrice: 40, remainingCapacity: 1),
            PartnerPrice(partnerID: "B", shadowPrice: 0, remainingCapacity: 5),
        ])
        let candidates = [RoutingFixture.candidate("A", 100), RoutingFixture.candidate("B", 50)]
        let first = try router.route(leadID: "L1", candidates: candidates)
        #expect(first.partnerID == "A" && first.netValue == 60 && first.remainingCapacity == 0 && first.shadowPrice == 40)
        let second = try router.route(leadID: "L2", candidates: candidates)
        #expect(second.partnerID == "B" && second.netValue == 50 && second.remainingCapacity == 4)
        let third = try router.route(leadID: "L3", candidates: [RoutingFixture.candidate("A", 500)])
        #expect(third.partnerID == nil && third.reason == .allFull)
        var pricey = try StreamRouter(prices: [PartnerPrice(partnerID: "A", shadowPrice: 40, remainingCapacity: 3)])
        let held = try pricey.route(leadID: "L4", candidates: [RoutingFixture.candidate("A", 30)])
        #expect(held.reason == .belowShadowPrice && pricey.prices[0].remainingCapacity == 3)
        #expect(try pricey.route(leadID: "L5", candidates: []).reason == .noEligiblePartner)
        #expect(try pricey.route(leadID: "L6", candidates: [RoutingFixture.candidate("A", 0)]).reason == .noPositiveValue)
        #expect(throws: RoutingError.unknownPartner(lead: "L7", partner: "Q")) {
            try pricey.route(leadID: "L7", candidates: [RoutingFixture.candidate("Q", 1)])
        }
        #expect(throws: RoutingError.self) {
            try StreamRouter(prices: [PartnerPrice(partnerID: "A", shadowPrice: -1, remainingCapacity: 3)])
        }
    }

    @Test func takesTheCapacityLeftNowFromCapacities() throws {
        var router = try StreamRouter(
            prices: [
                PartnerPrice(partnerID: "A", shadowPrice: 40, remainingCapacity: 0),
                PartnerPrice(partnerID: "B", shadowPrice: 5, remainingCapacity: 7),
            ],
            capacities: [
                PartnerCapacity(partnerID: "A", capacity: 3, openLeads: 1), PartnerCapacity(partnerID: "C", capacity: 1),
            ])
        #expect(router.prices.map(\.remainingCapacity) == [2, 7, 1])
        #expect(router.prices.map(\.shadowPrice) == [40, 5, 0])
        let decision = try router.route(
            leadID: "L1", candidates: [RoutingFixture.candidate("A", 100), RoutingFixture.candidate("C", 50)])
        #expect(decision.partnerID == "A" && decision.remainingCapacity == 1)
        #expect(throws: RoutingError.duplicatePartner("C")) {
            try StreamRouter(
                prices: [],
                capacities: [PartnerCapacity(partnerID: "C", capacity: 1), PartnerCapacity(partnerID: "C", capacity: 2)])
        }
    }

    /// Leads streamed after a batch with the batch's prices go where the batch's own optimum would put them.
    @Test func followsTheBatchOptimumsRule() throws {
        var rng = SeededGenerator(seed: 91)
        let problem = try RoutingFixture.random(leads: 300, partners: 12, maxCandidates: 4, using: &rng)
        let plan = try Router.route(problem, config: RoutingConfig(honourAccountOwners: false))
        let prices = plan.partnerPrices.map {
            PartnerPrice(partnerID: $0.partnerID, shadowPrice: $0.shadowPrice, remainingCapacity: 1000)
        }
        var router = try StreamRouter(prices: prices)
        let chosen = Dictionary(uniqueKeysWithValues: plan.assignments.map { ($0.leadIndex, $0) })
        for lead in 0..<problem.leadCount {
            let decision = try router.route(leadID: problem.leadIDs[lead], candidates: problem.candidates(ofLead: lead))
            if let assignment = chosen[lead], let net = decision.netValue {
                // Same net value as the batch's choice (ties may pick another partner).
                #expect(isClose(net, assignment.expectedValue - assignment.shadowPrice!, absolute: 1e-9))
            }
        }
    }
}

@Suite("Routing files")
struct RoutingFilesTests {
    func table(_ text: String, _ name: String) throws -> CSVTable {
        try CSVTable(parsing: Array(text.utf8), source: name)
    }

    @Test func readsCandidatesAndCapacitiesWithOptionalColumns() throws {
        let partners = try RoutingFiles.capacities(
            try table(
                "partner_id,capacity,open_leads,guaranteed_share,win_rate_uncertainty,weight\nP2,5,1,true,0.1,2\nP1,3,,,,\n",
                "caps.csv"))
        #expect(partners.count == 2 && partners[0].openLeads == 1 && partners[0].guaranteedMinimumShare)
        #expect(partners[1].openLeads == 0 && partners[1].weight == nil)
        let problem = try RoutingFiles.problem(
            try table(
                "lead_id,partner_id,expected_value,win_probability,account_owner,eligible,deal_value\n"
                    + "L2,P1,10,0.5,,,100\nL1,P2,3.5,,true,,\nL2,P2,12,,,false,100\n", "cands.csv"),
            partners: partners, capacitiesSource: "caps.csv")
        #expect(problem.leadIDs == ["L2", "L1"])
        #expect(problem.candidates(ofLead: 0).map(\.partnerID) == ["P1", "P2"])
        #expect(problem.candidates(ofLead: 0)[1].isEligible == false)
        #expect(problem.candidates(ofLead: 1)[0].isAccountOwner)
        #expect(problem.dealValue(ofLead: 0) == 100 && problem.dealValue(ofLead: 1) == nil)
        let plan = try Router.route(problem)
        let csv = RoutingFiles.planCSV(plan, resolution: 0.01)
        let lines = csv.split(separator: "\n").map(String.init)
        #expect(lines[0] == RoutingFiles.planColumns.joined(separator: ","))
        #expect(lines[1] == "L2,P1,10.0,0.5,2,2,0.00,P2,12.0,ineligible,optimal")
        #expect(lines[2] == "L1,P2,3.5,,1,1,0.00,,,,account owner")
        let prices = RoutingFiles.pricesCSV(plan, resolution: 0.01)
        #expect(prices == "partner_id,shadow_price,remaining_capacity,assigned\nP1,0.00,2,1\nP2,0.00,3,1\n")
        #expect(try RoutingFiles.prices(try table(prices, "prices.csv")).map(\.remainingCapacity) == [2, 3])
    }

    @Test func badRowsNameFileLineAndColumn() throws {
        let caps = "partner_id,capacity\nP1,3\nP2,4\n"
        let partners = try RoutingFiles.capacities(try table(caps, "caps.csv"))
        let header = "lead_id,partner_id,expected_value\n"
        let cases: [(String, String)] = [
            ("lead_id,partner_id\nL1,P1\n", "cands.csv: missing column 'expected_value'"),
            (header + "L1,P1,NaN\n", "cands.csv:2: column 'expected_value': 'NaN' is not a finite number"),
            (header + "L1,P1,ten\n", "cands.csv:2: column 'expected_value': expected a number, got 'ten'"),
            (
                header + "L1,P1,1\nL1,P1,2\n",
                "cands.csv:3: column 'partner_id': 'P1' is a candidate twice for lead 'L1' (first on line 2)"
            ),
            (header + "L1,P9,1\n", "cands.csv:2: column 'partner_id': 'P9' does not exist in caps.csv"),
            (header, "cands.csv: no candidates"),
            (header + "L1,P1,\n", "cands.csv:2: column 'expected_value': value required"),
            (header + ",P1,3\n", "cands.csv:2: column 'lead_id': value required"),
            (
                "lead_id,partner_id,expected_value,win_probability\nL1,P1,1,1.5\n",
                "cands.csv:2: column 'win_probability': '1.5' must be at most 1"
            ),
            (
                "lead_id,partner_id,expected_value,account_owner\nL1,P1,1,yes\nL1,P2,1,yes\n",
                "cands.csv:3: column 'account_owner': 'yes' marks a second account owner for lead 'L1' (the first on line 2)"
            ),
        ]
        for (text, message) in cases {
            #expect(throws: (any Error).self) {
                do {
                    _ = try RoutingFiles.problem(try table(text, "cands.csv"), partners: partners, capacitiesSource: "caps.csv")
                } catch {
                    #expect("\(error)" == message)
                    throw error
                }
            }
        }
        let capacityCases: [(String, String)] = [
            ("partner_id,capacity\nP1,-2\n", "caps.csv:2: column 'capacity': '-2' must be at least 0"),
            ("partner_id,capacity\nP1,2.5\n", "caps.csv:2: column 'capacity': '2.5' must be a whole number"),
            ("partner_id,capacity\nP1,2\nP1,3\n", "caps.csv:3: column 'partner_id': duplicate id 'P1' (first on line 2)"),
            ("partner_id\nP1\n", "caps.csv: missing column 'capacity'"),
            ("partner_id,capacity\n", "caps.csv: no partners"),
        ]
        for (text, message) in capacityCases {
            #expect(throws: (any Error).self) {
                do {
                    _ = try RoutingFiles.capacities(try table(text, "caps.csv"))
                } catch {
                    #expect("\(error)" == message)
                    throw error
                }
            }
        }
    }

    @Test func readsAndWritesStreamedLines() throws {
        let request = try RoutingFiles.request(
            #"{"lead_id": "L\"1", "candidates": [{"partner_id": "A", "expected_value": 5, "eligible": false}, {"partner_id": "B", "expected_value": 2.5, "win_probability": 0.25}]}"#,
            source: "<stdin>", line: 3)
        #expect(request.leadID == "L\"1")
        #expect(
            request.candidates == [
                RoutingCandidate(partnerID: "A", expectedValue: 5, isEligible: false),
                RoutingCandidate(partnerID: "B", expectedValue: 2.5, winProbability: 0.25),
            ])
        for (text, message) in [
            ("{", "<stdin>:3: column 2: expected a key"),
            (#"{"lead_id": "L1"}"#, "<stdin>:3: candidates: expected a list"),
            (
                #"{"lead_id": "L1", "candidates": [{"partner_id": "A", "expected_value": true}]}"#,
                "expected_value: expected a finite number"
            ),
            (#"{"lead_id": "L1", "candidates": [], "extra": 1}"#, "unknown key 'extra'"),
        ] {
            #expect(throws: RoutingError.self) {
                do {
                    _ = try RoutingFiles.request(Substring(text), source: "<stdin>", line: 3)
                } catch {
                    #expect("\(error)".contains(message), "\(error)")
                    throw error
                }
            }
        }
        let line = RoutingFiles.jsonLine(
            StreamDecision(leadID: "L1", partnerID: "A", expectedValue: 5, shadowPrice: 1, netValue: 4, remainingCapacity: 2))
        #expect(
            line
                == #"{"lead_id":"L1","partner_id":"A","expected_value":5.0,"win_probability":null,"shadow_price":1.0,"net_value":4.0,"remaining_capacity":2,"reason":null}"#
                + "\n")
    }
}
