import Learning
import LinearAlgebra

/// A seeded generator of lead-conversion tables: the sample the README demo trains on.
///
/// Each lead has a region, vertical, source, company size band, estimated deal value, engagement figures and
/// a 0/1 `converted` outcome drawn from a hidden logistic model, so a fitted model can be checked against the
/// truth: `trueProbabilities` holds P(converted) for every row.
public struct LeadSampleGenerator: Sendable {
    public static let regions = ["EMEA", "NA", "LATAM", "APAC"]
    public static let verticals = ["finance", "healthcare", "manufacturing", "retail", "public sector", "technology"]
    public static let sources = ["web form", "partner referral", "event", "outbound", "marketplace"]
    public static let sizeBands = ["1-49", "50-249", "250-999", "1000+"]

    public var rowCount: Int
    public var seed: UInt64

    public init(rowCount: Int, seed: UInt64) {
        self.rowCount = rowCount
        self.seed = seed
    }

    /// The generated table as CSV text, and the true conversion probability of each row.
    public func generate() -> (csv: String, trueProbabilities: [Double]) {
        var rng = SeededGenerator(seed: seed)
        // Hidden truth: effects per category and per numeric feature.
        let regionEffect: [Double] = [0.1, 0.25, -0.3, 0.0]
        let verticalEffect: [Double] = [0.35, -0.2, 0.1, -0.45, -0.6, 0.5]
        let sourceEffect: [Double] = [-0.4, 0.9, 0.3, -0.8, 0.1]
        let sizeEffect: [Double] = [-0.5, 0.0, 0.3, 0.45]
        var lines = [
            CSVWriter.line([
                "lead_id", "region", "vertical", "source", "company_size", "deal_value",
                "web_visits", "emails_opened", "days_since_contact", "converted",
            ])
        ]
        var probabilities: [Double] = []
        probabilities.reserveCapacity(rowCount)
        for index in 0..<rowCount {
            let region = pick(regionWeights: [0.35, 0.35, 0.1, 0.2], &rng)
            let vertical = Int(rng.nextUniform() * Double(Self.verticals.count))
            let source = pick(regionWeights: [0.4, 0.15, 0.15, 0.2, 0.1], &rng)
            let size = pick(regionWeights: [0.4, 0.3, 0.2, 0.1], &rng)
            // Deal value grows with company size; log-normal spread.
            let value = (8_000 * [1.0, 3.0, 8.0, 25.0][size] * Kernels.exponential(0.6 * rng.nextGaussian())).rounded()
            let visits = Int(max(0, (4 + 3 * rng.nextGaussian()).rounded()))
            let opened = Int(max(0, (Double(visits) * 0.8 + 2 * rng.nextGaussian()).rounded()))
            let days = Int(rng.nextUniform() * 90)
            var margin = -2.1 + regionEffect[region] + verticalEffect[vertical] + sourceEffect[source] + sizeEffect[size]
            margin += 0.18 * Double(visits) + 0.08 * Double(opened) - 0.025 * Double(days)
            margin -= 0.15 * (Kernels.logarithm(value) - 10)
            let p = Kernels.sigmoid(margin)
            probabilities.append(p)
            let converted = rng.nextUniform() < p
            lines.append(
                CSVWriter.line([
                    "L\(seed)-\(index + 1)", Self.regions[region], Self.verticals[vertical], Self.sources[source],
                    Self.sizeBands[size], "\(Int(value))", "\(visits)", "\(opened)", "\(days)", converted ? "yes" : "no",
                ]))
        }
        return (lines.joined(), probabilities)
    }

    private func pick(regionWeights weights: [Double], _ rng: inout SeededGenerator) -> Int {
        let u = rng.nextUniform()
        var total = 0.0
        for (index, weight) in weights.enumerated() {
            total += weight
            if u < total { return index }
        }
        return weights.count - 1
    }
}
