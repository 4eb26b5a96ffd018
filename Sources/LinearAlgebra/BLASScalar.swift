/// The floating-point types that BLAS handles: `Float` (single precision) and `Double`.
public protocol BLASScalar: BinaryFloatingPoint, Sendable, Codable where Self.RawSignificand: FixedWidthInteger {
    /// Which BLAS precision this type maps to.
    static var precision: BLASPrecision { get }
}

/// The two BLAS precisions.
public enum BLASPrecision: Sendable {
    case single
    case double
}

extension Float: BLASScalar {
    @inlinable public static var precision: BLASPrecision { .single }
}

extension Double: BLASScalar {
    @inlinable public static var precision: BLASPrecision { .double }
}
