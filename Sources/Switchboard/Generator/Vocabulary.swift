/// The categories the generator draws from (regions and their countries, verticals, technologies and the
/// certification for each, company size bands, lead sources). Real exports may use any labels; the models learn
/// their vocabularies from the data.
public enum Vocabulary {
    public static let regions: [(name: String, countries: [String])] = [
        ("North America", ["US", "CA"]), ("EMEA", ["GB", "DE", "FR", "NL"]), ("APAC", ["AU", "JP", "SG", "IN"]),
        ("LATAM", ["BR", "MX"]),
    ]
    public static let verticals = [
        "healthcare", "financial services", "retail", "manufacturing", "public sector", "education", "energy", "telecom",
    ]
    public static let technologies = ["cloud", "security", "networking", "data & analytics", "collaboration", "erp"]
    /// The certification matching each technology, index for index.
    public static let certifications = [
        "cloud architect", "security specialist", "network engineer", "data analyst", "collaboration expert",
        "erp consultant",
    ]
    public static let sizeBands = ["smb", "mid-market", "enterprise"]
    public static let sources = ["web", "event", "referral", "campaign", "partner-sourced", "outbound"]
}

/// Bands of estimated deal value: the match model's lead encoding uses them, and the generator's truth is
/// defined on them.
public enum ValueBand {
    /// Upper bounds of the first bands; values at or above the last bound fall in the last band.
    public static let upperBounds: [Double] = [10_000, 50_000, 200_000]
    public static let names = ["<10k", "10k-50k", "50k-200k", "200k+"]

    /// The band index of `value`.
    public static func index(of value: Double) -> Int {
        for (index, bound) in upperBounds.enumerated() where value < bound { return index }
        return upperBounds.count
    }
}
