/// A transportation problem with unit supplies and integer values, the form the router's solvers take.
///
/// Each person (a lead) takes at most one of its arcs, each object (a partner, or a block of a partner's slots)
/// takes at most its capacity, and the solvers maximise
///
///     Σₐ valueₐ·xₐ   subject to   Σ_{a out of i} xₐ ≤ 1 for every person i,
///                                Σ_{a into j} xₐ ≤ capacityⱼ for every object j,   xₐ ∈ {0, 1}.
///
/// Leaving a person out is always allowed (worth 0), so an arc whose value is not positive is never worth taking.
/// Arcs are stored by person (compressed rows): person i's arcs are `arcStart[i] ..< arcStart[i + 1]`, with
/// strictly increasing object indices, which is also the order ties are broken in.
public struct TransportationProblem: Sendable, Equatable {
    public let personCount: Int
    public let objectCount: Int
    /// `personCount + 1` offsets into the arc arrays, from 0 to the arc count.
    public let arcStart: [Int]
    /// The object of each arc.
    public let arcObject: [Int32]
    /// The value of each arc, in integer units (the router's value resolution).
    public let arcValue: [Int64]
    /// How many persons each object can take, ≥ 0.
    public let capacity: [Int]

    /// The number of arcs.
    public var arcCount: Int { arcObject.count }

    /// - Throws: `TransportationError` when the arrays disagree in length, an offset or object is out of range, a
    ///   person's objects are not strictly increasing (which also rules out a repeated pair), or a capacity is negative.
    /// - Complexity: O(persons + objects + arcs).
    public init(arcStart: [Int], arcObject: [Int32], arcValue: [Int64], capacity: [Int]) throws(TransportationError) {
        guard let last = arcStart.last, arcStart.first == 0 else {
            throw .malformed("arcStart must start at 0 and hold one entry more than there are persons")
        }
        guard arcObject.count == arcValue.count else {
            throw .malformed("arcObject has \(arcObject.count) entries but arcValue \(arcValue.count)")
        }
        guard last == arcObject.count else {
            throw .malformed("arcStart ends at \(last) but there are \(arcObject.count) arcs")
        }
        guard arcObject.count < Int(Int32.max) else { throw .malformed("at most \(Int32.max - 1) arcs") }
        guard capacity.count < Int(Int32.max) else { throw .malformed("at most \(Int32.max - 1) objects") }
        if let person = capacity.firstIndex(where: { $0 < 0 }) {
            throw .malformed("capacity of object \(person) must be >= 0 (got \(capacity[person]))")
        }
        let objects = Int32(capacity.count)
        for person in 0..<(arcStart.count - 1) {
            let start = arcStart[person], end = arcStart[person + 1]
            guard start <= end else { throw .malformed("arcStart decreases at person \(person)") }
            var previous: Int32 = -1
            for arc in start..<end {
                let object = arcObject[arc]
                guard object >= 0, object < objects else {
                    throw .malformed("arc \(arc) of person \(person) names object \(object), not in 0..<\(objects)")
                }
                guard object > previous else {
                    throw .malformed("the objects of person \(person) must be strictly increasing (arc \(arc))")
                }
                previous = object
            }
        }
        self.personCount = arcStart.count - 1
        self.objectCount = capacity.count
        self.arcStart = arcStart
        self.arcObject = arcObject
        self.arcValue = arcValue
        self.capacity = capacity
    }

    /// The total value of an assignment (`arcOfPerson[i]` is person i's arc, or -1), and whether it is feasible: each
    /// arc belongs to its person and no object holds more than its capacity.
    public func evaluate(_ arcOfPerson: [Int]) -> (value: Int64, feasible: Bool) {
        guard arcOfPerson.count == personCount else { return (0, false) }
        var load = [Int](repeating: 0, count: objectCount)
        var total: Int64 = 0
        for person in 0..<personCount {
            let arc = arcOfPerson[person]
            if arc < 0 { continue }
            guard arc >= arcStart[person], arc < arcStart[person + 1] else { return (total, false) }
            let object = Int(arcObject[arc])
            load[object] += 1
            if load[object] > capacity[object] { return (total, false) }
            total += arcValue[arc]
        }
        return (total, true)
    }
}

/// An optimal assignment with its certificate: integer dual prices under which every chosen arc is a best choice.
///
/// The prices are an optimal solution of the dual linear program
///
///     minimise Σᵢ profitᵢ + Σⱼ capacityⱼ·priceⱼ   subject to   profitᵢ + priceⱼ ≥ valueₐ for every arc a = (i, j),
///                                                             profit ≥ 0,  price ≥ 0,
///
/// with `profitᵢ = max(0, maxₐ (valueₐ − price of a's object))`. Complementary slackness holds exactly: a chosen arc
/// attains its person's profit, a person left out has profit 0, and an object with a positive price is full. So
/// `dualObjective == objective` proves the assignment optimal, and `priceⱼ` is the shadow price of object j's
/// capacity: what one more unit of it would add to the optimum (within the range where the basis holds).
public struct TransportationSolution: Sendable, Equatable {
    /// The arc each person takes, or -1 when it is left out.
    public var arcOfPerson: [Int]
    /// The dual price of each object's capacity, in value units.
    public var prices: [Int64]
    /// Each person's profit under the prices: max(0, max over its arcs of value − price).
    public var profits: [Int64]
    /// The total value of the chosen arcs.
    public var objective: Int64
    /// Σ profits + Σ capacity·price: equal to `objective` for an optimal assignment with optimal prices.
    public var dualObjective: Int64
    /// Work done: scaling phases, forward bids (a person bidding for a slot), reverse bids (an object with room
    /// lowering its price to attract persons).
    public var phases: Int
    public var forwardBids: Int
    public var reverseBids: Int
}

/// A malformed transportation problem or values too large for exact arithmetic.
public enum TransportationError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    /// The values are too large for the solver's 64-bit arithmetic at this problem size.
    case valuesTooLarge(largest: Int64, limit: Int64)

    public var description: String {
        switch self {
        case let .malformed(message):
            return "malformed transportation problem: \(message)"
        case let .valuesTooLarge(largest, limit):
            return "values up to \(largest) units are too large for exact routing of this many leads (at most \(limit) units): "
                + "use a coarser value resolution"
        }
    }
}
