import Foundation
import LinearAlgebra
import Switchboard

#if canImport(Glibc)
    import Glibc
#endif

/// The exact router's solver against OR-Tools' SimpleMinCostFlow on the same seeded instance in the same run: leads
/// with their top candidates among partners of long-tailed quality and tight capacity, values in cents.
enum RoutingBenchmark {
    struct Shape {
        let leads: Int
        let partners: Int
        let candidates: Int
    }

    /// A routing instance as parallel arrays (arcs grouped by lead, partners increasing within a lead).
    struct Instance {
        let shape: Shape
        var arcLead: [Int32]
        var arcPartner: [Int32]
        var arcValue: [Int64]
        var capacity: [Int]

        func problem() throws -> TransportationProblem {
            var arcStart = [Int](repeating: 0, count: shape.leads + 1)
            for lead in arcLead { arcStart[Int(lead) + 1] += 1 }
            for lead in 0..<shape.leads { arcStart[lead + 1] += arcStart[lead] }
            return try TransportationProblem(
                arcStart: arcStart, arcObject: arcPartner, arcValue: arcValue, capacity: capacity)
        }
    }

    /// Partners: quality qⱼ = exp(0.8·z) (long-tailed), visibility ∝ qⱼ^1.2, size sⱼ = exp(z'), capacity
    /// max(1, round(0.7·leads·sⱼ/Σs)) so all capacity covers 70% of the leads and the best partners are oversubscribed.
    /// Leads: deal value exp(N(ln 1,000,000, 1)) cents (median $10,000); `candidates` distinct partners drawn by
    /// visibility; P(win) = σ(−1 + ln qⱼ + 0.5·z''); value = max(1, round(P(win)·deal value)) cents.
    static func makeInstance(_ shape: Shape, seed: UInt64) -> Instance {
        var rng = SeededGenerator(seed: seed)
        let quality = (0..<shape.partners).map { _ in Foundation.exp(0.8 * rng.nextGaussian()) }
        let size = (0..<shape.partners).map { _ in Foundation.exp(rng.nextGaussian()) }
        let totalSize = size.reduce(0, +)
        let capacity = size.map { max(1, Int((0.7 * Double(shape.leads) * $0 / totalSize).rounded())) }
        var cumulative = [Double](repeating: 0, count: shape.partners)
        var running = 0.0
        for (j, q) in quality.enumerated() {
            running += Foundation.pow(q, 1.2)
            cumulative[j] = running
        }
        let logQuality = quality.map { Foundation.log($0) }
        var arcLead = [Int32](), arcPartner = [Int32](), arcValue = [Int64]()
        let arcs = shape.leads * shape.candidates
        arcLead.reserveCapacity(arcs)
        arcPartner.reserveCapacity(arcs)
        arcValue.reserveCapacity(arcs)
        var chosen: [Int32] = []
        var seen = [Bool](repeating: false, count: shape.partners)
        for lead in 0..<shape.leads {
            let deal = Foundation.exp(Foundation.log(1_000_000) + rng.nextGaussian())
            chosen.removeAll(keepingCapacity: true)
            while chosen.count < shape.candidates {
                let u = rng.nextUniform() * running
                var low = 0, high = shape.partners - 1
                while low < high {
                    let middle = (low + high) / 2
                    if cumulative[middle] <= u { low = middle + 1 } else { high = middle }
                }
                if !seen[low] {
                    seen[low] = true
                    chosen.append(Int32(low))
                }
            }
            chosen.sort()
            for partner in chosen {
                seen[Int(partner)] = false
                let margin = -1 + logQuality[Int(partner)] + 0.5 * rng.nextGaussian()
                let win = 1 / (1 + Foundation.exp(-margin))
                arcLead.append(Int32(lead))
                arcPartner.append(partner)
                arcValue.append(max(1, Int64((win * deal).rounded())))
            }
        }
        return Instance(shape: shape, arcLead: arcLead, arcPartner: arcPartner, arcValue: arcValue, capacity: capacity)
    }

    static func run(quick: Bool) throws {
        let shapes =
            quick
            ? [Shape(leads: 20_000, partners: 200, candidates: 20), Shape(leads: 100_000, partners: 1_000, candidates: 20)]
            : [Shape(leads: 100_000, partners: 1_000, candidates: 20), Shape(leads: 1_000_000, partners: 10_000, candidates: 20)]
        let directory = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        print("routing: exact maximum expected value (in cents) under capacity, against OR-Tools SimpleMinCostFlow and LEMON")
        print("  load average at the start: \(loadAverage())")
        var allPassed = true
        for shape in shapes {
            let instance = makeInstance(shape, seed: 2026)
            let problem = try instance.problem()
            let totalCapacity = instance.capacity.reduce(0, +)
            print(
                "\n\(shape.leads) leads × \(shape.partners) partners × top \(shape.candidates) "
                    + "(\(problem.arcCount) arcs; capacity for \(Bench.fixed(100 * Double(totalCapacity) / Double(shape.leads), 0))% of the leads)"
            )
            try write(instance, to: directory)

            let repeats = shape.leads >= 1_000_000 ? 1 : 3
            var solution: TransportationSolution?
            let ours = try Bench.medianSeconds(repeats: repeats, warmUp: repeats > 1) {
                solution = try TransportationAuction.solve(problem)
            }
            let result = solution!
            let check = problem.evaluate(result.arcOfPerson)
            var greedy: (arcOfPerson: [Int], objective: Int64) = ([], 0)
            let greedySeconds = Bench.medianSeconds(repeats: 1, warmUp: false) { greedy = TransportationGreedy.solve(problem) }
            // The whole router on the same instance: lead and partner ids, values in dollars (resolution 0.01),
            // explanations and shadow prices.
            var routing: RoutingProblem?
            let building = try Bench.medianSeconds(repeats: 1, warmUp: false) { routing = try routingProblem(instance) }
            var plan: RoutingPlan?
            let routerSeconds = try Bench.medianSeconds(repeats: 1, warmUp: false) {
                plan = try Router.route(routing!, config: RoutingConfig(honourAccountOwners: false))
            }
            routing = nil
            let routerCents = Int64((plan!.objective * 100).rounded())
            let ourMemory = Double(try Bench.runSelf(["routing-memory", directory, "\(shape.leads)"])) ?? .nan

            let peer = try Bench.runPeer(
                "\(Bench.peersDirectory)/routing_ortools.py",
                ["--dir", directory, "--leads", "\(shape.leads)", "--partners", "\(shape.partners)"])
            let peerSolve = peer["solve_seconds"] as! Double, peerBuild = peer["build_seconds"] as! Double
            let peerOptimum = Int64(peer["optimum"] as! Int)
            let peerMemory = Double(peer["peak_rss_bytes"] as! Int)
            // LEMON's NetworkSimplex and CostScaling (C++, compiled by Benchmarks/run) on the same instance files.
            var lemon: [(name: String, solve: Double, build: Double, optimum: Int64, assigned: Int, memory: Double)] = []
            for algorithm in ["network-simplex", "cost-scaling"] {
                let answer = try Bench.runPeer(
                    "\(Bench.compiledPeersDirectory)/routing_lemon",
                    [
                        "--dir", directory, "--leads", "\(shape.leads)", "--partners", "\(shape.partners)", "--algorithm",
                        algorithm,
                    ])
                lemon.append(
                    (
                        algorithm, answer["solve_seconds"] as! Double, answer["build_seconds"] as! Double,
                        Int64(answer["optimum"] as! Int), answer["assigned"] as! Int,
                        Double(answer["peak_rss_bytes"] as! Int)
                    ))
            }
            let assigned = result.arcOfPerson.filter { $0 >= 0 }.count
            func mebibytes(_ bytes: Double) -> String { Bench.fixed(bytes / 1_048_576, 0) }
            LogisticBenchmark.printTable(
                ["solver", "seconds", "optimum (cents)", "assigned", "peak RSS MiB"],
                [
                    [
                        "switchboard auction (solve)", Bench.fixed(ours), "\(result.objective)", "\(assigned)",
                        mebibytes(ourMemory),
                    ],
                    [
                        "OR-Tools min-cost flow (solve)", Bench.fixed(peerSolve), "\(peerOptimum)", "\(peer["assigned"] as! Int)",
                        mebibytes(peerMemory),
                    ],
                    ["OR-Tools graph building", Bench.fixed(peerBuild), "", "", ""],
                ]
                    + lemon.map { peer in
                        [
                            "LEMON \(peer.name) (solve)", Bench.fixed(peer.solve), "\(peer.optimum)", "\(peer.assigned)",
                            mebibytes(peer.memory),
                        ]
                    }
                    + [
                        ["LEMON graph building (StaticDigraph)", Bench.fixed(lemon.map(\.build).min()!), "", "", ""],
                    [
                        "switchboard Router.route (whole plan)", Bench.fixed(routerSeconds), "\(routerCents)",
                        "\(plan!.assignments.count)", "",
                    ],
                    ["building its RoutingProblem", Bench.fixed(building), "", "", ""],
                    [
                        "greedy (highest value first)", Bench.fixed(greedySeconds), "\(greedy.objective)",
                        "\(greedy.arcOfPerson.filter { $0 >= 0 }.count)", "",
                    ],
                ])
            let gap = Double(result.objective - greedy.objective) / Double(result.objective)
            print(
                "  \(result.phases) phases, \(result.forwardBids) bids, \(result.reverseBids) reverse bids; "
                    + "certificate: dual \(result.dualObjective) \(result.dualObjective == result.objective ? "=" : "≠") primal")
            print("  greedy is \(Bench.fixed(100 * gap, 3))% below the optimum (\(result.objective - greedy.objective) cents)")
            print(
                "  switchboard \(Bench.fixed(ours)) s vs OR-Tools solve \(Bench.fixed(peerSolve)) s: "
                    + "\(Bench.fixed(peerSolve / ours, 2))× faster (goal ≥ 3×); with its graph building "
                    + "\(Bench.fixed((peerSolve + peerBuild) / ours, 2))×; the whole router \(Bench.fixed(peerSolve / routerSeconds, 2))×"
            )
            let fastestLemon = lemon.min { $0.solve < $1.solve }!
            print(
                "  switchboard \(Bench.fixed(ours)) s vs LEMON \(fastestLemon.name) \(Bench.fixed(fastestLemon.solve)) s "
                    + "(the faster of LEMON's two): \(Bench.fixed(fastestLemon.solve / ours, 2))× faster (goal ≥ 2×)")
            print(
                "  peak RSS (instance arrays + solve): switchboard \(mebibytes(ourMemory)) MiB, OR-Tools \(mebibytes(peerMemory)) MiB"
            )
            if result.objective != peerOptimum || lemon.contains(where: { $0.optimum != result.objective })
                || !check.feasible || check.value != result.objective
                || result.dualObjective != result.objective || routerCents != peerOptimum
            {
                allPassed = false
                print(
                    "  MISMATCH: ours \(result.objective) (feasible \(check.feasible)), router \(routerCents), OR-Tools \(peerOptimum), "
                        + "LEMON \(lemon.map(\.optimum))"
                )
            }
        }
        print("\n  load average at the end: \(loadAverage())")
        if !allPassed { throw BenchError("the router's optimum differs from OR-Tools' or LEMON's") }
    }

    /// The instance as the router's input: partners P00000…, leads L0000000…, values in dollars.
    static func routingProblem(_ instance: Instance) throws -> RoutingProblem {
        let partnerIDs = (0..<instance.shape.partners).map { "P" + String(100_000 + $0).dropFirst() }
        var problem = try RoutingProblem(
            partners: zip(partnerIDs, instance.capacity).map { PartnerCapacity(partnerID: $0, capacity: $1) })
        var candidates: [RoutingCandidate] = []
        var arc = 0
        for lead in 0..<instance.shape.leads {
            candidates.removeAll(keepingCapacity: true)
            while arc < instance.arcLead.count && Int(instance.arcLead[arc]) == lead {
                candidates.append(
                    RoutingCandidate(
                        partnerID: partnerIDs[Int(instance.arcPartner[arc])], expectedValue: Double(instance.arcValue[arc]) / 100)
                )
                arc += 1
            }
            try problem.addLead(id: "L\(10_000_000 + lead)", candidates: candidates)
        }
        return problem
    }

    /// Helpers run as `SwitchboardBenchmarks routing-…`: `routing-memory DIR LEADS [REDUCTION DIVISOR]` (solve the
    /// instance in DIR once and print the peak RSS in bytes, run as a child for an isolated figure; with the options,
    /// also the solve's time and work on standard error) and `routing-write DIR LEADS PARTNERS CANDIDATES` (write the
    /// benchmark's instance of that shape to DIR, to study it outside the benchmark).
    static func child(_ name: String, _ arguments: [String]) throws {
        switch name {
        case "routing-memory":
            try memory(arguments)
        case "routing-write":
            let shape = Shape(leads: Int(arguments[1])!, partners: Int(arguments[2])!, candidates: Int(arguments[3])!)
            try write(makeInstance(shape, seed: 2026), to: arguments[0])
        default:
            throw BenchError("unknown routing helper '\(name)' (routing-memory, routing-write)")
        }
    }

    static func write(_ instance: Instance, to directory: String) throws {
        try writeRaw(instance.arcLead, to: "\(directory)/lead.i32")
        try writeRaw(instance.arcPartner, to: "\(directory)/partner.i32")
        try writeRaw(instance.arcValue, to: "\(directory)/value.i64")
        try writeRaw(instance.capacity.map { Int64($0) }, to: "\(directory)/capacity.i64")
    }

    /// Child process: read the raw instance, solve once, print the peak RSS in bytes.
    static func memory(_ arguments: [String]) throws {
        let directory = arguments[0]
        let leads = Int(arguments[1])!
        let arcLead: [Int32] = try readRaw("\(directory)/lead.i32")
        let arcPartner: [Int32] = try readRaw("\(directory)/partner.i32")
        let arcValue: [Int64] = try readRaw("\(directory)/value.i64")
        let capacity: [Int64] = try readRaw("\(directory)/capacity.i64")
        let instance = Instance(
            shape: Shape(leads: leads, partners: capacity.count, candidates: 0), arcLead: arcLead, arcPartner: arcPartner,
            arcValue: arcValue, capacity: capacity.map { Int($0) })
        var options = TransportationAuction.Options()
        let study = arguments.count > 3
        if study {
            options.reduction = Int64(arguments[2])!
            options.initialDivisor = Int64(arguments[3])!
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let solution = try TransportationAuction.solve(try instance.problem(), options: options)
        if study {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            FileHandle.standardError.write(
                Data(
                    ("\(Bench.fixed(seconds)) s, optimum \(solution.objective), \(solution.phases) phases, "
                        + "\(solution.forwardBids) bids, \(solution.reverseBids) reverse bids\n").utf8))
        }
        print(Bench.peakResidentBytes())
    }

    static func writeRaw<T>(_ values: [T], to path: String) throws {
        let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }

    static func readRaw<T>(_ path: String) throws -> [T] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let count = data.count / MemoryLayout<T>.stride
        return data.withUnsafeBytes { raw in Array(raw.bindMemory(to: T.self).prefix(count)) }
    }

    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
            + " (1, 5, 15 min) on \(ProcessInfo.processInfo.activeProcessorCount) cores"
    }
}
