#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Numerically stable elementwise kernels used by the logistic models.
public enum Kernels {
    /// σ(x) = 1 / (1 + e⁻ˣ), branched on the sign so that no exponential overflows.
    @inlinable
    public static func sigmoid(_ x: Double) -> Double {
        if x >= 0 {
            return 1 / (1 + exp(-x))
        }
        let e = exp(x)
        return e / (1 + e)
    }

    /// σ(x) in single precision.
    @inlinable
    public static func sigmoid(_ x: Float) -> Float {
        if x >= 0 {
            return 1 / (1 + expf(-x))
        }
        let e = expf(x)
        return e / (1 + e)
    }

    /// log(1 + eˣ) = x + log1p(e⁻ˣ) for x > 0, log1p(eˣ) otherwise: exact for large |x|.
    @inlinable
    public static func log1pexp(_ x: Double) -> Double {
        x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
    }

    /// log(1 + eˣ) in single precision.
    @inlinable
    public static func log1pexp(_ x: Float) -> Float {
        x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x))
    }

    /// Natural logarithm (exposed so modules need not import the C library for it).
    @inlinable
    public static func logarithm(_ x: Double) -> Double { log(x) }

    /// output[i] ← σ(input[i]).
    /// - Precondition: equal lengths (a programmer error otherwise).
    @inlinable
    public static func sigmoid(_ input: [Double], into output: inout [Double]) {
        precondition(input.count == output.count, "sigmoid: input \(input.count), output \(output.count)")
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                for i in 0..<x.count { y[i] = sigmoid(x[i]) }
            }
        }
    }

    /// output[i] ← σ(input[i]) in single precision.
    @inlinable
    public static func sigmoid(_ input: [Float], into output: inout [Float]) {
        precondition(input.count == output.count, "sigmoid: input \(input.count), output \(output.count)")
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                for i in 0..<x.count { y[i] = sigmoid(x[i]) }
            }
        }
    }

    /// output[i] ← log(1 + e^input[i]).
    @inlinable
    public static func log1pexp(_ input: [Double], into output: inout [Double]) {
        precondition(input.count == output.count, "log1pexp: input \(input.count), output \(output.count)")
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                for i in 0..<x.count { y[i] = log1pexp(x[i]) }
            }
        }
    }

    /// output[i] ← log(1 + e^input[i]) in single precision.
    @inlinable
    public static func log1pexp(_ input: [Float], into output: inout [Float]) {
        precondition(input.count == output.count, "log1pexp: input \(input.count), output \(output.count)")
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                for i in 0..<x.count { y[i] = log1pexp(x[i]) }
            }
        }
    }
}

extension Kernels {
    /// eˣ; internal, for tests that need the unguarded formula as an oracle.
    static func expForTesting(_ x: Double) -> Double { exp(x) }
}

extension Kernels {
    /// eˣ.
    @inlinable public static func exponential(_ x: Double) -> Double { exp(x) }
    /// log(1 + x), accurate for small x.
    @inlinable public static func log1p(_ x: Double) -> Double { cLog1p(x) }
}

/// The C library's log1p, reachable from inside `Kernels` where the name is shadowed.
@usableFromInline
func cLog1p(_ x: Double) -> Double { log1p(x) }
