/// The exact maximum-value assignment of a `TransportationProblem`, by ε-scaling forward–reverse auction.
///
/// Persons bid for objects' slots (Bertsekas & Castañon's auction for the transportation problem): an unassigned
/// person takes the arc with the largest `value − price` (or stays out when none beats 0 by more than ε), and pays
/// `value − second best + ε`, displacing the holder of the cheapest slot when the object is full. An object's price
/// is its cheapest slot's, so bidding keeps ε-complementary slackness: every person's profit is within ε of the best
/// it could get at the current prices. Each phase then runs a reverse auction (Bertsekas, Castañon & Tsaknakis):
/// every object that has room and a positive price lowers it, pulling in the persons that gain most from it, until
/// an object with room has price 0. ε shrinks by `reduction` between phases, keeping the persons still within the
/// new ε, down to ε = 1 on values multiplied by `scale = max(persons with arcs, objects + 1) + 1`. (Reversing at
/// every phase, not only the last, keeps the price cuts at the phase's ε: degenerate instances, where many persons
/// value two objects alike, would otherwise lower prices by 1 at a time.)
///
/// At the end Σ profit + Σ capacity·price exceeds the chosen value by at most (persons)·ε < scale, so on the
/// original integer values the assignment is optimal. The prices, shifted by a common amount and divided by `scale`
/// (rounding down), are then exact integer optimal dual prices (see `TransportationSolution`), and the solver
/// computes the certificate (dual objective = objective) before returning.
///
/// - Complexity: each phase is O(arcs) plus its bids, each O(arcs of the bidder + log capacity), plus its reverse
///   bids, each a scan of the object's incoming arcs in decreasing value that stops early. Memory O(arcs + Σ
///   capacities): about 40 bytes an arc.
public enum TransportationAuction {
    public struct Options: Sendable, Equatable {
        /// ε is divided by this between phases (≥ 2).
        public var reduction: Int64
        /// The first phase's ε is the largest scaled value divided by this (≥ 1).
        public var initialDivisor: Int64

        public init(reduction: Int64 = 16, initialDivisor: Int64 = 32) {
            self.reduction = reduction
            self.initialDivisor = initialDivisor
        }
    }

    /// Solves `problem` exactly.
    /// - Throws: `TransportationError.valuesTooLarge` when the largest value times the scale does not fit the
    ///   solver's 64-bit arithmetic with room to spare.
    public static func solve(_ problem: TransportationProblem, options: Options = Options()) throws(TransportationError)
        -> TransportationSolution
    {
        precondition(options.reduction >= 2 && options.initialDivisor >= 1, "reduction ≥ 2 and initialDivisor ≥ 1")
        let solver = try AuctionSolver(problem)
        return solver.run(options)
    }
}

/// A typed buffer with manual lifetime, for the solver's hot loops (no bounds or exclusivity checks).
private struct Buffer<Element> {
    let base: UnsafeMutablePointer<Element>
    let count: Int

    init(repeating value: Element, count: Int) {
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: value, count: max(count, 1))
        self.count = count
    }

    subscript(index: Int) -> Element {
        @inline(__always) get { base[index] }
        @inline(__always) nonmutating set { base[index] = newValue }
    }

    func free() { base.deallocate() }
}

/// One solve's state. Prices and values are scaled by `scale`.
private final class AuctionSolver {
    let problem: TransportationProblem
    let personCount: Int
    let objectCount: Int
    let scale: Int64
    /// The usable arcs (value > 0, object with capacity > 0), by person.
    let start: Buffer<Int>
    let object: Buffer<Int32>
    let weight: Buffer<Int64>
    let originalArc: Buffer<Int32>
    let arcCount: Int
    let largestWeight: Int64
    /// Slots per object: min(capacity, usable incoming arcs); object j's slots are `slotStart[j] ..< slotStart[j+1]`,
    /// a binary min-heap on price.
    let slotStart: Buffer<Int>
    let slotPrice: Buffer<Int64>
    let slotHolder: Buffer<Int32>
    /// The price of each object: its cheapest slot's.
    let price: Buffer<Int64>
    /// Each person's usable arc (or -1) and the price it paid for its slot.
    let personArc: Buffer<Int32>
    let personBid: Buffer<Int64>
    /// FIFO ring of persons waiting to bid.
    let queue: Buffer<Int32>
    var queueHead = 0
    var queueCount = 0
    var forwardBids = 0
    var reverseBids = 0
    /// The arcs by object, built at the first reverse bid.
    var incoming: IncomingArcs?

    init(_ problem: TransportationProblem) throws(TransportationError) {
        self.problem = problem
        personCount = problem.personCount
        objectCount = problem.objectCount
        var usable = 0
        var largest: Int64 = 0
        var active = 0
        for person in 0..<personCount {
            var any = false
            for arc in problem.arcStart[person]..<problem.arcStart[person + 1]
            where problem.arcValue[arc] > 0 && problem.capacity[Int(problem.arcObject[arc])] > 0 {
                usable += 1
                largest = max(largest, problem.arcValue[arc])
                any = true
            }
            if any { active += 1 }
        }
        let scale = Int64(max(active, objectCount + 1) + 1)
        // Prices stay below 2·(largest scaled value) + ε; profits and bids within the same range.
        let limit = (Int64.max / 8) / scale
        guard largest <= limit else { throw .valuesTooLarge(largest: largest, limit: limit) }
        self.scale = scale
        arcCount = usable
        largestWeight = largest * scale
        start = Buffer(repeating: 0, count: personCount + 1)
        object = Buffer(repeating: 0, count: usable)
        weight = Buffer(repeating: 0, count: usable)
        originalArc = Buffer(repeating: 0, count: usable)
        var incoming = [Int](repeating: 0, count: objectCount)
        var next = 0
        for person in 0..<personCount {
            start[person] = next
            for arc in problem.arcStart[person]..<problem.arcStart[person + 1] {
                let target = Int(problem.arcObject[arc])
                guard problem.arcValue[arc] > 0 && problem.capacity[target] > 0 else { continue }
                object[next] = Int32(target)
                weight[next] = problem.arcValue[arc] * scale
                originalArc[next] = Int32(arc)
                incoming[target] += 1
                next += 1
            }
        }
        start[personCount] = next
        slotStart = Buffer(repeating: 0, count: objectCount + 1)
        var slots = 0
        for target in 0..<objectCount {
            slotStart[target] = slots
            slots += min(problem.capacity[target], incoming[target])
        }
        slotStart[objectCount] = slots
        slotPrice = Buffer(repeating: 0, count: slots)
        slotHolder = Buffer(repeating: -1, count: slots)
        price = Buffer(repeating: 0, count: objectCount)
        personArc = Buffer(repeating: -1, count: personCount)
        personBid = Buffer(repeating: 0, count: personCount)
        queue = Buffer(repeating: 0, count: personCount + 1)
    }

    deinit {
        start.free(); slotStart.free()
        object.free(); weight.free(); originalArc.free()
        slotPrice.free(); slotHolder.free(); price.free()
        personArc.free(); personBid.free(); queue.free()
        incoming?.free()
    }

    @inline(__always) func push(_ person: Int32) {
        var tail = queueHead + queueCount
        if tail > personCount { tail -= personCount + 1 }
        queue[tail] = person
        queueCount += 1
    }

    @inline(__always) func pop() -> Int32 {
        let person = queue[queueHead]
        queueHead += 1
        if queueHead > personCount { queueHead = 0 }
        queueCount -= 1
        return person
    }

    func run(_ options: TransportationAuction.Options) -> TransportationSolution {
        var epsilon = max(1, largestWeight / options.initialDivisor)
        for person in 0..<personCount where start[person] < start[person + 1] { push(Int32(person)) }
        var phases = 0
        while true {
            phases += 1
            forward(epsilon)
            reverse(epsilon: epsilon)
            if epsilon == 1 { break }
            epsilon = max(1, epsilon / options.reduction)
            prepare(epsilon)
        }
        return certificate(phases: phases)
    }

    // MARK: - Forward auction

    /// Bids until no person waits: every person ends on an arc within ε of its best, or out when nothing beats 0 by ε.
    func forward(_ epsilon: Int64) {
        let start = self.start.base, object = self.object.base, weight = self.weight.base
        let price = self.price.base, slotStart = self.slotStart.base
        let slotPrice = self.slotPrice.base, slotHolder = self.slotHolder.base
        let personArc = self.personArc.base, personBid = self.personBid.base
        while queueCount > 0 {
            let person = Int(pop())
            var best: Int64 = 0, second: Int64 = 0, bestArc = -1
            for arc in start[person]..<start[person + 1] {
                let profit = weight[arc] - price[Int(object[arc])]
                if profit > best {
                    second = best
                    best = profit
                    bestArc = arc
                } else if profit > second {
                    second = profit
                }
            }
            if best <= epsilon {
                personArc[person] = -1
                continue
            }
            forwardBids += 1
            let target = Int(object[bestArc])
            let bid = weight[bestArc] - second + epsilon
            let root = slotStart[target], end = slotStart[target + 1]
            let displaced = slotHolder[root]
            if displaced >= 0 {
                personArc[Int(displaced)] = -1
                push(displaced)
            }
            siftDown(root: root, end: end, price: bid, holder: Int32(person), slotPrice, slotHolder)
            price[target] = slotPrice[root]
            personArc[person] = Int32(bestArc)
            personBid[person] = bid
        }
    }

    /// Puts (price, holder) at the root of the heap `root ..< end` and restores the heap order.
    @inline(__always)
    func siftDown(
        root: Int, end: Int, price: Int64, holder: Int32, _ slotPrice: UnsafeMutablePointer<Int64>,
        _ slotHolder: UnsafeMutablePointer<Int32>
    ) {
        var position = root
        while true {
            var child = root + 2 * (position - root) + 1
            if child >= end { break }
            if child + 1 < end && slotPrice[child + 1] < slotPrice[child] { child += 1 }
            if slotPrice[child] >= price { break }
            slotPrice[position] = slotPrice[child]
            slotHolder[position] = slotHolder[child]
            position = child
        }
        slotPrice[position] = price
        slotHolder[position] = holder
    }

    /// Starts a phase with the smaller ε: persons no longer within ε of their best (or out while an arc beats 0 by
    /// more than ε) are released to bid again; the others keep their slots and prices. Released slots are repriced
    /// at their object's price (the cheapest slot's), which leaves every object's price unchanged.
    func prepare(_ epsilon: Int64) {
        let start = self.start.base, object = self.object.base, weight = self.weight.base
        let price = self.price.base, personArc = self.personArc.base, personBid = self.personBid.base
        for person in 0..<personCount where start[person] < start[person + 1] {
            let held = Int(personArc[person])
            var alternative: Int64 = 0
            for arc in start[person]..<start[person + 1] where arc != held {
                alternative = max(alternative, weight[arc] - price[Int(object[arc])])
            }
            if held >= 0 {
                if weight[held] - personBid[person] + epsilon < alternative {
                    personArc[person] = -1
                    push(Int32(person))
                }
            } else if alternative > epsilon {
                push(Int32(person))
            }
        }
        rebuildHeaps(collapsed: false)
    }

    /// Refills every object's slots from the persons holding its arcs (at the price each paid, or at the object's
    /// price when `collapsed`), the rest free at the object's price, and re-heapifies.
    func rebuildHeaps(collapsed: Bool) {
        var cursor = [Int](repeating: 0, count: objectCount)
        for target in 0..<objectCount { cursor[target] = slotStart[target] }
        for person in 0..<personCount where personArc[person] >= 0 {
            let target = Int(object[Int(personArc[person])])
            slotPrice[cursor[target]] = collapsed ? price[target] : personBid[person]
            slotHolder[cursor[target]] = Int32(person)
            if collapsed { personBid[person] = price[target] }
            cursor[target] += 1
        }
        for target in 0..<objectCount {
            let root = slotStart[target], end = slotStart[target + 1]
            for slot in cursor[target]..<end {
                slotPrice[slot] = price[target]
                slotHolder[slot] = -1
            }
            var position = root + (end - root) / 2
            while position > root {
                position -= 1
                siftDown(
                    root: root, end: end, from: position, slotPrice: slotPrice.base, slotHolder: slotHolder.base)
            }
            if end > root { price[target] = slotPrice[root] }
        }
    }

    /// Sifts the entry at `from` down within the heap rooted at `root`.
    func siftDown(
        root: Int, end: Int, from: Int, slotPrice: UnsafeMutablePointer<Int64>, slotHolder: UnsafeMutablePointer<Int32>
    ) {
        let value = slotPrice[from], holder = slotHolder[from]
        var position = from
        while true {
            var child = root + 2 * (position - root) + 1
            if child >= end { break }
            if child + 1 < end && slotPrice[child + 1] < slotPrice[child] { child += 1 }
            if slotPrice[child] >= value { break }
            slotPrice[position] = slotPrice[child]
            slotHolder[position] = slotHolder[child]
            position = child
        }
        slotPrice[position] = value
        slotHolder[position] = holder
    }

    // MARK: - Reverse auction

    /// Lowers the prices of objects that have room and a positive price. Every slot of an object is priced at the
    /// object's price first (which only raises the holders' profits). An object with f free slots takes the f
    /// persons with the largest β = value − profit and sets its price to max(0, (f+1)-th largest β − ε); a person
    /// pulled away frees a slot elsewhere, whose object then does the same. Each step raises a person's profit by at
    /// least ε or sets a price to 0, so it ends, with ε-complementary slackness kept throughout. Run at the end of
    /// every phase, so that, like the forward bids, it works at the phase's ε and never in steps of 1 over a
    /// large price gap.
    ///
    /// An object's incoming arcs are scanned in decreasing value: as every profit is at least −ε, β ≤ value + ε,
    /// so the scan stops once the next value + ε falls below the (f+1)-th largest β found.
    func reverse(epsilon: Int64) {
        var load = [Int](repeating: 0, count: objectCount)
        for person in 0..<personCount where personArc[person] >= 0 { load[Int(object[Int(personArc[person])])] += 1 }
        var waiting: [Int32] = []
        var queued = [Bool](repeating: false, count: objectCount)
        for target in 0..<objectCount where price[target] > 0 && load[target] < problem.capacity[target] {
            waiting.append(Int32(target))
            queued[target] = true
        }
        defer {
            for person in 0..<personCount where personArc[person] >= 0 {
                personBid[person] = price[Int(object[Int(personArc[person])])]
            }
        }
        if waiting.isEmpty { return }
        if self.incoming == nil { self.incoming = IncomingArcs(self) }
        let incoming = self.incoming!
        // What each person holds: the value of its arc and its object (`objectCount`, priced 0, when out).
        let held = Buffer<HeldArc>(repeating: HeldArc(weight: 0, object: Int32(objectCount)), count: personCount)
        defer { held.free() }
        let prices = Buffer<Int64>(repeating: 0, count: objectCount + 1)
        defer { prices.free() }
        for target in 0..<objectCount { prices[target] = price[target] }
        for person in 0..<personCount where personArc[person] >= 0 {
            let arc = Int(personArc[person])
            held[person] = HeldArc(weight: weight[arc], object: object[arc])
        }
        // A min-heap of (β, entry) holding the f + 1 largest β seen; ties go to the earlier entry.
        let heapGain = Buffer<Int64>(repeating: 0, count: incoming.largestGroup + 1)
        let heapEntry = Buffer<Int32>(repeating: 0, count: incoming.largestGroup + 1)
        defer {
            heapGain.free()
            heapEntry.free()
        }
        @inline(__always) func weaker(_ a: Int, _ b: Int) -> Bool {
            heapGain[a] < heapGain[b] || (heapGain[a] == heapGain[b] && heapEntry[a] > heapEntry[b])
        }
        @inline(__always) func swap(_ a: Int, _ b: Int) {
            (heapGain[a], heapGain[b]) = (heapGain[b], heapGain[a])
            (heapEntry[a], heapEntry[b]) = (heapEntry[b], heapEntry[a])
        }
        func siftDown(_ count: Int) {
            var parent = 0
            while true {
                var child = 2 * parent + 1
                if child >= count { break }
                if child + 1 < count && weaker(child + 1, child) { child += 1 }
                guard weaker(child, parent) else { break }
                swap(child, parent)
                parent = child
            }
        }
        var taken: [Int32] = []
        var head = 0
        while head < waiting.count {
            let target = Int(waiting[head])
            head += 1
            queued[target] = false
            let free = problem.capacity[target] - load[target]
            guard free > 0, prices[target] > 0 else { continue }
            reverseBids += 1
            let first = incoming.start[target], end = incoming.start[target + 1]
            let limit = min(free, end - first) + 1
            var count = 0
            let target32 = Int32(target)
            for index in first..<end {
                let value = incoming.entries[index].weight
                if count == limit && value + epsilon < heapGain[0] { break }
                let person = Int(incoming.entries[index].person)
                let holding = held[person]
                if holding.object == target32 { continue }
                let gain = value - (holding.weight - prices[Int(holding.object)])
                if count < limit {
                    heapGain[count] = gain
                    heapEntry[count] = Int32(index)
                    var child = count
                    count += 1
                    while child > 0 {
                        let parent = (child - 1) / 2
                        guard weaker(child, parent) else { break }
                        swap(child, parent)
                        child = parent
                    }
                } else if gain > heapGain[0] {
                    // An equal gain comes from a later entry, which ranks lower.
                    heapGain[0] = gain
                    heapEntry[0] = Int32(index)
                    siftDown(count)
                }
            }
            var newPrice: Int64 = 0
            if free < end - first && count == free + 1 {
                newPrice = max(0, heapGain[0] - epsilon)
                count -= 1
                swap(0, count)
                siftDown(count)
            }
            taken.removeAll(keepingCapacity: true)
            for k in 0..<count where heapGain[k] >= newPrice + epsilon { taken.append(heapEntry[k]) }
            taken.sort()
            for entry in taken {
                let person = Int(incoming.entries[Int(entry)].person), arc = incoming.entries[Int(entry)].arc
                let previous = Int(held[person].object)
                if previous < objectCount {
                    load[previous] -= 1
                    if prices[previous] > 0 && !queued[previous] {
                        queued[previous] = true
                        waiting.append(Int32(previous))
                    }
                }
                personArc[person] = arc
                held[person] = HeldArc(weight: weight[Int(arc)], object: target32)
                load[target] += 1
            }
            prices[target] = newPrice
            if head > 4096 && head * 2 > waiting.count {
                waiting.removeFirst(head)
                head = 0
            }
        }
        for target in 0..<objectCount { price[target] = prices[target] }
    }

    /// The arc a person holds, as the reverse phase reads it: one load per person.
    struct HeldArc {
        var weight: Int64
        var object: Int32
    }

    /// An incoming arc as the reverse phase reads it.
    struct IncomingEntry {
        var weight: Int64
        var person: Int32
        var arc: Int32
    }

    /// The usable arcs grouped by object (a counting sort, in person order), each group then sorted by decreasing
    /// value, ties in arc order.
    struct IncomingArcs {
        let start: Buffer<Int>
        let entries: Buffer<IncomingEntry>
        let largestGroup: Int

        init(_ solver: AuctionSolver) {
            let count = solver.arcCount, objects = solver.objectCount
            start = Buffer(repeating: 0, count: objects + 1)
            for arc in 0..<count { start[Int(solver.object[arc]) + 1] += 1 }
            var largest = 0
            for target in 0..<objects {
                largest = max(largest, start[target + 1])
                start[target + 1] += start[target]
            }
            largestGroup = largest
            entries = Buffer(repeating: IncomingEntry(weight: 0, person: 0, arc: 0), count: count)
            var fill = [Int](repeating: 0, count: objects)
            for target in 0..<objects { fill[target] = start[target] }
            for person in 0..<solver.personCount {
                for arc in solver.start[person]..<solver.start[person + 1] {
                    let target = Int(solver.object[arc])
                    entries[fill[target]] = IncomingEntry(weight: solver.weight[arc], person: Int32(person), arc: Int32(arc))
                    fill[target] += 1
                }
            }
            let scratch = Buffer(repeating: IncomingEntry(weight: 0, person: 0, arc: 0), count: largest)
            defer { scratch.free() }
            for target in 0..<objects {
                Self.sortDecreasing(
                    entries.base + start[target], count: start[target + 1] - start[target], scale: solver.scale,
                    scratch: scratch.base)
            }
        }

        /// Sorts `count` entries by decreasing weight, stably (so ties keep their arc order): insertion sort for short
        /// groups, else a least-significant-digit radix sort on (largest − weight) / scale (weights are multiples of
        /// the scale), 11 bits a pass.
        static func sortDecreasing(
            _ group: UnsafeMutablePointer<IncomingEntry>, count: Int, scale: Int64,
            scratch: UnsafeMutablePointer<IncomingEntry>
        ) {
            if count < 48 {
                for k in 1..<max(count, 1) {
                    let entry = group[k]
                    var position = k
                    while position > 0 && group[position - 1].weight < entry.weight {
                        group[position] = group[position - 1]
                        position -= 1
                    }
                    group[position] = entry
                }
                return
            }
            var largest = Int64.min, smallest = Int64.max
            for k in 0..<count {
                largest = max(largest, group[k].weight)
                smallest = min(smallest, group[k].weight)
            }
            let span = UInt64((largest - smallest) / scale)
            var source = group, target = scratch
            var histogram = [Int](repeating: 0, count: 2049)
            var shift: UInt64 = 0
            var swapped = false
            while shift < 64 && (span >> shift) != 0 {
                for k in 0..<2049 { histogram[k] = 0 }
                for k in 0..<count { histogram[Int((UInt64((largest - source[k].weight) / scale) >> shift) & 2047) + 1] += 1 }
                for k in 0..<2048 { histogram[k + 1] += histogram[k] }
                for k in 0..<count {
                    let digit = Int((UInt64((largest - source[k].weight) / scale) >> shift) & 2047)
                    target[histogram[digit]] = source[k]
                    histogram[digit] += 1
                }
                (source, target) = (target, source)
                swapped.toggle()
                shift += 11
            }
            if swapped { group.update(from: scratch, count: count) }
        }

        func free() {
            start.free()
            entries.free()
        }
    }

    // MARK: - Integer duals and the certificate

    /// Turns the scaled prices into exact integer dual prices and checks complementary slackness.
    ///
    /// With ε = 1 on values scaled by K, a person on arc c and any alternative k satisfy
    /// `P_c − P_k ≤ K·(w_c − w_k) + 1`. Adding a common shift s (0 ≤ s < K) chosen so that no object's `P + s`, nor
    /// the outside option's `s`, is ≡ K − 1 (mod K), which exists as there are fewer than K of them, gives
    /// `⌊(P_c + s)/K⌋ − ⌊(P_k + s)/K⌋ ≤ w_c − w_k`: the rounded prices keep every choice a best one exactly.
    func certificate(phases: Int) -> TransportationSolution {
        var forbidden: [Int64] = [scale - 1]
        for target in 0..<objectCount where slotStart[target + 1] > slotStart[target] {
            forbidden.append((scale - 1 - price[target] % scale) % scale)
        }
        forbidden.sort()
        var shift: Int64 = 0
        for value in forbidden {
            if value == shift { shift += 1 } else if value > shift { break }
        }
        var prices = [Int64](repeating: 0, count: objectCount)
        for target in 0..<objectCount where slotStart[target + 1] > slotStart[target] {
            prices[target] = (price[target] + shift) / scale
        }
        var arcOfPerson = [Int](repeating: -1, count: personCount)
        var profits = [Int64](repeating: 0, count: personCount)
        var objective: Int64 = 0
        for person in 0..<personCount {
            var best: Int64 = 0
            for arc in start[person]..<start[person + 1] {
                best = max(best, weight[arc] / scale - prices[Int(object[arc])])
            }
            profits[person] = best
            let held = Int(personArc[person])
            if held >= 0 {
                arcOfPerson[person] = Int(originalArc[held])
                objective += weight[held] / scale
            }
        }
        // Objects that can hold no one get the smallest price that keeps their arcs dual-feasible.
        for person in 0..<personCount {
            for arc in problem.arcStart[person]..<problem.arcStart[person + 1] {
                let target = Int(problem.arcObject[arc])
                if problem.capacity[target] == 0 {
                    prices[target] = max(prices[target], problem.arcValue[arc] - profits[person])
                }
            }
        }
        var dual: Int64 = profits.reduce(0, +)
        for target in 0..<objectCount { dual += Int64(problem.capacity[target]) * prices[target] }
        return TransportationSolution(
            arcOfPerson: arcOfPerson, prices: prices, profits: profits, objective: objective, dualObjective: dual,
            phases: phases, forwardBids: forwardBids, reverseBids: reverseBids)
    }
}
