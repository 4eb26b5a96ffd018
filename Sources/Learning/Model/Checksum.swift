/// FNV-1a, 64-bit: a fast, stable fingerprint of bytes (not a cryptographic hash).
public struct FNV1a64: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    /// Mixes `bytes` into the running hash.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        var hash = value
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        value = hash
    }

    /// The hash as 16 lowercase hexadecimal digits.
    public var hexDigest: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The digest of `bytes` in one call.
    public static func digest(_ bytes: some Sequence<UInt8>) -> String {
        var hasher = FNV1a64()
        hasher.update(bytes)
        return hasher.hexDigest
    }
}
