/// Highest value first: the arcs in decreasing value (ties in arc order: by person, then object), each taken when
/// its person is still free and its object has room; arcs whose value is not positive are never taken.
///
/// The baseline the exact solver is measured against: optimal when capacities never bind, and otherwise short of the
/// optimum wherever giving a person its best arc blocks a better use of that slot.
/// - Complexity: O(arcs · passes) for a stable radix sort on the values (at most 8 passes of one byte each), then
///   one pass over the arcs.
public enum TransportationGreedy {
    public static func solve(_ problem: TransportationProblem) -> (arcOfPerson: [Int], objective: Int64) {
        var arcPerson = [Int32](repeating: 0, count: problem.arcCount)
        var positive: [Int32] = []
        positive.reserveCapacity(problem.arcCount)
        var largest: Int64 = 0
        for person in 0..<problem.personCount {
            for arc in problem.arcStart[person]..<problem.arcStart[person + 1] {
                arcPerson[arc] = Int32(person)
                if problem.arcValue[arc] > 0 {
                    positive.append(Int32(arc))
                    largest = max(largest, problem.arcValue[arc])
                }
            }
        }
        // Sort keys ascending = values descending; the sort is stable, so equal values keep arc order.
        let keys = positive.map { UInt64(largest - problem.arcValue[Int($0)]) }
        let order = stableRadixOrder(keys: keys, payload: positive)
        var arcOfPerson = [Int](repeating: -1, count: problem.personCount)
        var load = [Int](repeating: 0, count: problem.objectCount)
        var objective: Int64 = 0
        for arc32 in order {
            let arc = Int(arc32)
            let person = Int(arcPerson[arc]), target = Int(problem.arcObject[arc])
            guard arcOfPerson[person] < 0, load[target] < problem.capacity[target] else { continue }
            arcOfPerson[person] = arc
            load[target] += 1
            objective += problem.arcValue[arc]
        }
        return (arcOfPerson, objective)
    }

    /// The payload ordered by key ascending, equal keys in their original order (LSD radix sort, one byte a pass,
    /// skipping bytes that are the same in every key).
    static func stableRadixOrder(keys: [UInt64], payload: [Int32]) -> [Int32] {
        var keys = keys, payload = payload
        var keysOut = keys, payloadOut = payload
        let count = keys.count
        var maximum: UInt64 = 0
        for key in keys { maximum |= key }
        var shift: UInt64 = 0
        while shift < 64 && (maximum >> shift) != 0 {
            var histogram = [Int](repeating: 0, count: 257)
            for key in keys { histogram[Int((key >> shift) & 0xFF) + 1] += 1 }
            if histogram.contains(count) {
                shift += 8
                continue
            }
            for digit in 0..<256 { histogram[digit + 1] += histogram[digit] }
            for index in 0..<count {
                let digit = Int((keys[index] >> shift) & 0xFF)
                let position = histogram[digit]
                histogram[digit] = position + 1
                keysOut[position] = keys[index]
                payloadOut[position] = payload[index]
            }
            swap(&keys, &keysOut)
            swap(&payload, &payloadOut)
            shift += 8
        }
        return payload
    }
}
