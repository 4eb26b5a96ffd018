/// A set of columns (of a score matrix) as a bitset: bit j of word j/64 is set when column j is in the set.
///
/// Masks restrict which right-hand rows a left-hand row may be scored against (eligibility); bits past
/// `columnCount` are always clear.
public struct ColumnMask: Sendable, Hashable {
    /// The number of columns the mask covers.
    public let columnCount: Int
    /// ⌈columnCount / 64⌉ words.
    public private(set) var words: [UInt64]

    /// A mask with every column in it (`full: true`) or none.
    public init(columnCount: Int, full: Bool) {
        precondition(columnCount >= 0, "a mask covers a non-negative number of columns")
        self.columnCount = columnCount
        words = [UInt64](repeating: full ? ~0 : 0, count: (columnCount + 63) / 64)
        if full { clearTail() }
    }

    /// A mask holding exactly `columns`.
    public init(columnCount: Int, columns: some Sequence<Int>) {
        self.init(columnCount: columnCount, full: false)
        for column in columns { insert(column) }
    }

    public func contains(_ column: Int) -> Bool {
        words[column >> 6] & (1 << UInt64(column & 63)) != 0
    }

    public mutating func insert(_ column: Int) {
        precondition(column >= 0 && column < columnCount, "column \(column) outside 0..<\(columnCount)")
        words[column >> 6] |= 1 << UInt64(column & 63)
    }

    public mutating func remove(_ column: Int) {
        precondition(column >= 0 && column < columnCount, "column \(column) outside 0..<\(columnCount)")
        words[column >> 6] &= ~(1 << UInt64(column & 63))
    }

    /// The columns in both masks.
    public func intersection(_ other: ColumnMask) -> ColumnMask {
        precondition(other.columnCount == columnCount, "masks over different column counts")
        var result = self
        for w in words.indices { result.words[w] &= other.words[w] }
        return result
    }

    /// The number of columns in the mask.
    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    /// The columns in the mask, ascending.
    public var columns: [Int] {
        var result: [Int] = []
        for (w, word) in words.enumerated() {
            var bits = word
            while bits != 0 {
                result.append(w * 64 + bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
        return result
    }

    private mutating func clearTail() {
        let extra = words.count * 64 - columnCount
        if extra > 0 { words[words.count - 1] &= ~0 >> UInt64(extra) }
    }
}
