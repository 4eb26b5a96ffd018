import LinearAlgebra
import Testing
import TestSupport

@testable import Switchboard

/// Oracles and checks for the transportation solvers.
enum TransportationOracle {
    /// A random problem: each person lists up to `maxArcs` distinct objects with integer values in `values` (ties
    /// are frequent on purpose), capacities in `capacities`.
    static func randomProblem(
        persons: Int, objects: Int, maxArcs: Int, values: ClosedRange<Int64>, capacities: ClosedRange<Int>,
        using rng: inout SeededGenerator
    ) throws -> TransportationProblem {
        var arcStart = [0], arcObject: [Int32] = [], arcValue: [Int64] = []
        for _ in 0..<persons {
            let count = Int(rng.next() % UInt64(min(maxArcs, objects) + 1))
            var chosen = Set<Int32>()
            while chosen.count < count { chosen.insert(Int32(rng.next() % UInt64(objects))) }
            for object in chosen.sorted() {
                arcObject.append(object)
                arcValue.append(values.lowerBound + Int64(rng.next() % UInt64(values.upperBound - values.lowerBound + 1)))
            }
            arcStart.append(arcObject.count)
        }
        let capacity = (0..<objects).map { _ in
            capacities.lowerBound + Int(rng.next() % UInt64(capacities.upperBound - capacities.lowerBound + 1))
        }
        return try TransportationProblem(arcStart: arcStart, arcObject: arcObject, arcValue: arcValue, capacity: capacity)
    }

    /// The optimum by trying every assignment (each person: out, or one of its arcs).
    static func bruteForce(_ problem: TransportationProblem) -> Int64 {
        var load = [Int](repeating: 0, count: problem.objectCount)
        var best: Int64 = 0
        func visit(_ person: Int, _ total: Int64) {
            if person == problem.personCount {
                best = max(best, total)
                return
            }
            visit(person + 1, total)
            for arc in problem.arcStart[person]..<problem.arcStart[person + 1] {
                let object = Int(problem.arcObject[arc])
                guard load[object] < problem.capacity[object] else { continue }
                load[object] += 1
                visit(person + 1, total + problem.arcValue[arc])
                load[object] -= 1
            }
        }
        visit(0, 0)
        return best
    }

    /// The optimum by an independent method: min-cost flow by successive shortest paths (Bellman–Ford on the
    /// residual graph) from a source through persons and objects to a sink, augmenting while a path has negative
    /// cost (costs are −value; leaving a person out is free, so the flow stops when no path pays).
    static func minCostFlow(_ problem: TransportationProblem) -> Int64 {
        let source = 0, sink = 1, personBase = 2, objectBase = 2 + problem.personCount
        let nodeCount = objectBase + problem.objectCount
        var head: [Int] = [], capacity: [Int] = [], cost: [Int64] = [], adjacency = [[Int]](repeating: [], count: nodeCount)
        func addEdge(_ from: Int, _ to: Int, _ cap: Int, _ edgeCost: Int64) {
            adjacency[from].append(head.count)
            head.append(to); capacity.append(cap); cost.append(edgeCost)
            adjacency[to].append(head.count)
            head.append(from); capacity.append(0); cost.append(-edgeCost)
        }
        for person in 0..<problem.personCount {
            addEdge(source, personBase + person, 1, 0)
            for arc in problem.arcStart[person]..<problem.arcStart[person + 1] where problem.arcValue[arc] > 0 {
                addEdge(personBase + person, objectBase + Int(problem.arcObject[arc]), 1, -problem.arcValue[arc])
            }
        }
        for object in 0..<problem.objectCount { addEdge(objectBase + object, sink, problem.capacity[object], 0) }
        var total: Int64 = 0
        while true {
            var distance = [Int64](repeating: .max, count: nodeCount)
            var via = [Int](repeating: -1, count: nodeCount)
            distance[source] = 0
            var changed = true
            while changed {
                changed = false
                for node in 0..<nodeCount where distance[node] != .max {
                    for edge in adjacency[node] where capacity[edge] > 0 {
                        let next = head[edge]
                        if distance[node] + cost[edge] < distance[next] {
                            distance[next] = distance[node] + cost[edge]
                            via[next] = edge
                            changed = true
                        }
                    }
                }
            }
            guard distance[sink] < 0 else { break }
            var node = sink
            while node != source {
                let edge = via[node]
                capacity[edge] -= 1
                capacity[edge ^ 1] += 1
                node = head[edge ^ 1]
            }
            total -= distance[sink]
        }
        return total
    }

    /// Checks feasibility and the certificate: exact complementary slackness and dual feasibility of the prices.
    static func checkCertificate(
        _ problem: TransportationProblem, _ solution: TransportationSolution, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let (value, feasible) = problem.evaluate(solution.arcOfPerson)
        #expect(feasible, sourceLocation: sourceLocation)
        #expect(value == solution.objective, sourceLocation: sourceLocation)
        #expect(solution.dualObjective == solution.objective, sourceLocation: sourceLocation)
        var load = [Int](repeating: 0, count: problem.objectCount)
        for arc in solution.arcOfPerson where arc >= 0 { load[Int(problem.arcObject[arc])] += 1 }
        for object in 0..<problem.objectCount {
            #expect(solution.prices[object] >= 0, sourceLocation: sourceLocation)
            if solution.prices[object] > 0 {
                #expect(load[object] == problem.capacity[object], "a priced object has room", sourceLocation: sourceLocation)
            }
        }
        for person in 0..<problem.personCount {
            let profit = solution.profits[person]
            #expect(profit >= 0, sourceLocation: sourceLocation)
            for arc in problem.arcStart[person]..<problem.arcStart[person + 1] {
                let reduced = problem.arcValue[arc] - solution.prices[Int(problem.arcObject[arc])]
                #expect(profit >= reduced, "dual infeasible on arc \(arc)", sourceLocation: sourceLocation)
            }
            let arc = solution.arcOfPerson[person]
            if arc >= 0 {
                let reduced = problem.arcValue[arc] - solution.prices[Int(problem.arcObject[arc])]
                #expect(profit == reduced, "a chosen arc is not a best one", sourceLocation: sourceLocation)
            } else {
                #expect(profit == 0, "a person left out could profit", sourceLocation: sourceLocation)
            }
        }
    }
}

@Suite("Transportation solvers")
struct RoutingSolverTests {
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func auctionMatchesBruteForceOnTinyInstances(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<150 {
            let persons = 1 + Int(rng.next() % 7), objects = 1 + Int(rng.next() % 4)
            let problem = try TransportationOracle.randomProblem(
                persons: persons, objects: objects, maxArcs: 3, values: -3...9, capacities: 0...3, using: &rng)
            let solution = try TransportationAuction.solve(problem)
            #expect(solution.objective == TransportationOracle.bruteForce(problem))
            TransportationOracle.checkCertificate(problem, solution)
            let greedy = TransportationGreedy.solve(problem)
            #expect(problem.evaluate(greedy.arcOfPerson) == (greedy.objective, true))
            #expect(greedy.objective <= solution.objective)
        }
    }

    @Test(arguments: [(UInt64(11), 60, 8), (12, 200, 15), (13, 400, 6)])
    func auctionMatchesAnIndependentMinCostFlow(seed: UInt64, persons: Int, objects: Int) throws {
        var rng = SeededGenerator(seed: seed)
        for round in 0..<4 {
            let values: ClosedRange<Int64> = round % 2 == 0 ? 1...20 : -50...100_000
            let problem = try TransportationOracle.randomProblem(
                persons: persons, objects: objects, maxArcs: 5, values: values, capacities: 0...(persons / objects + 2),
                using: &rng)
            let solution = try TransportationAuction.solve(problem)
            #expect(solution.objective == TransportationOracle.minCostFlow(problem))
            TransportationOracle.checkCertificate(problem, solution)
        }
    }

    @Test func everyOptionScheduleReachesTheSameOptimum() throws {
        var rng = SeededGenerator(seed: 21)
        let problem = try TransportationOracle.randomProblem(
            persons: 300, objects: 12, maxArcs: 6, values: 1...1000, capacities: 5...20, using: &rng)
        let optimum = TransportationOracle.minCostFlow(problem)
        for (reduction, divisor) in [(Int64(2), Int64(1)), (4, 4), (8, 8), (64, 2), (1 << 40, 1 << 40)] {
            let solution = try TransportationAuction.solve(problem, options: .init(reduction: reduction, initialDivisor: divisor))
            #expect(solution.objective == optimum, "reduction \(reduction), divisor \(divisor)")
            TransportationOracle.checkCertificate(problem, solution)
        }
    }

    /// Many persons with identical values for the same few objects: a price war without ε-scaling.
    @Test func identicalValuesAreSolvedQuickly() throws {
        let persons = 3000, objects = 4
        var arcStart = [0], arcObject: [Int32] = [], arcValue: [Int64] = []
        for _ in 0..<persons {
            for object in 0..<objects {
                arcObject.append(Int32(object))
                arcValue.append(1_000_000)
            }
            arcStart.append(arcObject.count)
        }
        let problem = try TransportationProblem(
            arcStart: arcStart, arcObject: arcObject, arcValue: arcValue, capacity: [100, 200, 0, 300])
        let solution = try TransportationAuction.solve(problem)
        #expect(solution.objective == 600 * 1_000_000)
        #expect(solution.forwardBids < 100 * persons)
        TransportationOracle.checkCertificate(problem, solution)
    }

    /// Objects in pairs whose values differ by the same bonus for every person (the router's reserved slots): a
    /// reverse phase run only at ε = 1 would lower their prices 1 unit at a time (millions of reverse bids here).
    @Test(arguments: [UInt64(51), 52])
    func pairedObjectsDoNotStartAReversePriceWar(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let persons = 600, partners = 10, bonus: Int64 = 2_000_000
        var arcStart = [0], arcObject: [Int32] = [], arcValue: [Int64] = []
        for _ in 0..<persons {
            var chosen = Set<Int32>()
            while chosen.count < 4 { chosen.insert(Int32(rng.next() % UInt64(partners))) }
            let value = 1 + Int64(rng.next() % 1_000_000)
            for partner in chosen.sorted() {
                arcObject.append(partner)
                arcValue.append(value + Int64(partner) * 1000)
            }
            for partner in chosen.sorted() {
                arcObject.append(partner + Int32(partners))
                arcValue.append(value + Int64(partner) * 1000 + bonus)
            }
            arcStart.append(arcObject.count)
        }
        let capacity = [Int](repeating: 30, count: partners) + [Int](repeating: 4, count: partners)
        let problem = try TransportationProblem(
            arcStart: arcStart, arcObject: arcObject, arcValue: arcValue, capacity: capacity)
        let solution = try TransportationAuction.solve(problem)
        #expect(solution.objective == TransportationOracle.minCostFlow(problem))
        TransportationOracle.checkCertificate(problem, solution)
        #expect(solution.reverseBids < 20 * persons, "\(solution.reverseBids) reverse bids")
    }

    @Test(arguments: [UInt64(31), 32])
    func invariantsHoldOnLargeRandomInstances(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let problem = try TransportationOracle.randomProblem(
            persons: 30_000, objects: 400, maxArcs: 12, values: -100...5_000_000, capacities: 0...80, using: &rng)
        let solution = try TransportationAuction.solve(problem)
        TransportationOracle.checkCertificate(problem, solution)
        var load = [Int](repeating: 0, count: problem.objectCount)
        for (person, arc) in solution.arcOfPerson.enumerated() where arc >= 0 {
            #expect(arc >= problem.arcStart[person] && arc < problem.arcStart[person + 1])
            load[Int(problem.arcObject[arc])] += 1
        }
        #expect(zip(load, problem.capacity).allSatisfy { $0 <= $1 })
        let again = try TransportationAuction.solve(problem)
        #expect(again == solution, "the same input must give the same assignment and prices")
        #expect(TransportationGreedy.solve(problem).objective <= solution.objective)
    }

    @Test func emptyAndDegenerateProblems() throws {
        let empty = try TransportationProblem(arcStart: [0], arcObject: [], arcValue: [], capacity: [])
        let none = try TransportationAuction.solve(empty)
        #expect(none.objective == 0 && none.arcOfPerson.isEmpty)
        // Only non-positive values, or only full objects: nobody is assigned, and a zero-capacity object is priced
        // so that its arcs stay dual-feasible.
        let useless = try TransportationProblem(
            arcStart: [0, 2, 3], arcObject: [0, 1, 1], arcValue: [0, -5, 7], capacity: [3, 0])
        let solution = try TransportationAuction.solve(useless)
        #expect(solution.arcOfPerson == [-1, -1])
        #expect(solution.prices == [0, 7])
        TransportationOracle.checkCertificate(useless, solution)
    }

    @Test func rejectsMalformedProblemsAndValuesTooLarge() throws {
        #expect(throws: TransportationError.self) {
            try TransportationProblem(arcStart: [0, 2], arcObject: [1, 1], arcValue: [1, 2], capacity: [1, 1])
        }
        #expect(throws: TransportationError.self) {
            try TransportationProblem(arcStart: [0, 1], arcObject: [2], arcValue: [1], capacity: [1, 1])
        }
        #expect(throws: TransportationError.self) {
            try TransportationProblem(arcStart: [0, 1], arcObject: [0], arcValue: [1], capacity: [-1])
        }
        let huge = try TransportationProblem(arcStart: [0, 1], arcObject: [0], arcValue: [Int64.max / 4], capacity: [1])
        #expect(throws: TransportationError.self) { try TransportationAuction.solve(huge) }
    }
}
