/// Errors raised by LinearAlgebra: bad shapes, sizes BLAS cannot address, and failed factorizations.
public enum LinearAlgebraError: Error, Equatable, Sendable, CustomStringConvertible {
    case negativeDimension(rowCount: Int, columnCount: Int)
    case storageSize(expected: Int, got: Int)
    case raggedRows(row: Int, expected: Int, got: Int)
    /// Two operands' dimensions disagree; `operation` names the call, `detail` the shapes.
    case shapeMismatch(operation: String, detail: String)
    /// A dimension does not fit the 32-bit integers that BLAS takes.
    case dimensionTooLarge(operation: String, value: Int)
    /// Cholesky found a non-positive pivot: the matrix is not positive definite.
    case notPositiveDefinite(order: Int, pivot: Int)
    /// LAPACK reported an invalid argument (a bug in the caller).
    case lapackFailure(routine: String, info: Int)

    public var description: String {
        switch self {
        case let .negativeDimension(rows, columns):
            return "matrix dimensions must be non-negative (got \(rows)×\(columns))"
        case let .storageSize(expected, got):
            return "matrix storage must hold \(expected) elements (got \(got))"
        case let .raggedRows(row, expected, got):
            return "row \(row) has \(got) elements; expected \(expected)"
        case let .shapeMismatch(operation, detail):
            return "\(operation): shapes do not agree: \(detail)"
        case let .dimensionTooLarge(operation, value):
            return "\(operation): dimension \(value) exceeds the 32-bit range BLAS accepts"
        case let .notPositiveDefinite(order, pivot):
            return "Cholesky: the \(order)×\(order) matrix is not positive definite (pivot \(pivot) is not positive)"
        case let .lapackFailure(routine, info):
            return "\(routine) failed with info = \(info)"
        }
    }
}
