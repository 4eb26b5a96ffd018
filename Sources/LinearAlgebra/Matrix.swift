/// A dense row-major matrix of `Float` or `Double` in one contiguous buffer.
///
/// Element (i, j) lives at `storage[i * columnCount + j]`. Either dimension may be zero.
public struct Matrix<Scalar: BLASScalar>: Sendable, Equatable {
    /// Number of rows.
    public let rowCount: Int
    /// Number of columns (the leading dimension of the row-major buffer).
    public let columnCount: Int
    /// The `rowCount × columnCount` elements, row after row.
    public var storage: [Scalar]

    /// A matrix of the given shape filled with `value`.
    /// - Precondition: both dimensions are non-negative (a programmer error otherwise).
    public init(rowCount: Int, columnCount: Int, repeating value: Scalar = 0) {
        precondition(rowCount >= 0 && columnCount >= 0, "matrix dimensions must be non-negative")
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.storage = [Scalar](repeating: value, count: rowCount * columnCount)
    }

    /// Wraps a row-major buffer.
    /// - Throws: `LinearAlgebraError.storageSize` when `storage.count != rowCount * columnCount`.
    public init(rowCount: Int, columnCount: Int, storage: [Scalar]) throws(LinearAlgebraError) {
        guard rowCount >= 0, columnCount >= 0 else {
            throw .negativeDimension(rowCount: rowCount, columnCount: columnCount)
        }
        guard storage.count == rowCount * columnCount else {
            throw .storageSize(expected: rowCount * columnCount, got: storage.count)
        }
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.storage = storage
    }

    /// Builds a matrix from rows of equal length.
    /// - Throws: `LinearAlgebraError.raggedRows` when the rows differ in length.
    public init(rows: [[Scalar]]) throws(LinearAlgebraError) {
        let columns = rows.first?.count ?? 0
        var storage: [Scalar] = []
        storage.reserveCapacity(rows.count * columns)
        for (index, row) in rows.enumerated() {
            guard row.count == columns else {
                throw .raggedRows(row: index, expected: columns, got: row.count)
            }
            storage.append(contentsOf: row)
        }
        self.rowCount = rows.count
        self.columnCount = columns
        self.storage = storage
    }

    /// The identity matrix of order `order`.
    public static func identity(_ order: Int) -> Matrix {
        var result = Matrix(rowCount: order, columnCount: order)
        for i in 0..<order { result.storage[i * order + i] = 1 }
        return result
    }

    /// Element (row, column).
    @inlinable
    public subscript(row: Int, column: Int) -> Scalar {
        get { storage[row * columnCount + column] }
        set { storage[row * columnCount + column] = newValue }
    }

    /// The `(rowCount, columnCount)` pair.
    public var shape: (rows: Int, columns: Int) { (rowCount, columnCount) }

    /// True when the matrix holds no element.
    public var isEmpty: Bool { storage.isEmpty }

    /// A copy of row `index`.
    public func row(_ index: Int) -> [Scalar] {
        Array(storage[(index * columnCount)..<((index + 1) * columnCount)])
    }

    /// The transpose, as a new matrix.
    /// - Complexity: O(rowCount · columnCount).
    public func transposed() -> Matrix {
        var result = Matrix(rowCount: columnCount, columnCount: rowCount)
        for i in 0..<rowCount {
            for j in 0..<columnCount {
                result.storage[j * rowCount + i] = storage[i * columnCount + j]
            }
        }
        return result
    }

    /// A new matrix made of the given rows, in the given order.
    /// - Complexity: O(indices.count · columnCount).
    public func gatheringRows<Indices: Collection>(_ indices: Indices) -> Matrix where Indices.Element == Int {
        var result = Matrix(rowCount: indices.count, columnCount: columnCount)
        let width = columnCount
        storage.withUnsafeBufferPointer { source in
            result.storage.withUnsafeMutableBufferPointer { target in
                var out = 0
                for index in indices {
                    let start = index * width
                    for j in 0..<width { target[out + j] = source[start + j] }
                    out += width
                }
            }
        }
        return result
    }
}

extension Matrix: CustomStringConvertible {
    public var description: String {
        var lines: [String] = ["Matrix<\(Scalar.self)> \(rowCount)×\(columnCount)"]
        for i in 0..<min(rowCount, 8) {
            let values = (0..<min(columnCount, 8)).map { "\(self[i, $0])" }
            lines.append("  [" + values.joined(separator: ", ") + (columnCount > 8 ? ", …" : "") + "]")
        }
        if rowCount > 8 { lines.append("  …") }
        return lines.joined(separator: "\n")
    }
}
