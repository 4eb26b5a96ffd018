import Foundation
import Learning
import LinearAlgebra
import Testing

@testable import Switchboard

/// The recruitment count model (`ApplicantRateModel`) against slow references.
@Suite("Recruitment rate model")
struct RecruitRateModelTests {
    /// Σ_k NB(k; α, m)·G[k] by the recurrence equals the sum with each weight from log-gamma functions, and the mass
    /// beyond the table counts as 1.
    @Test func topProbabilityMatchesTheNegativeBinomialSum() {
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<50 {
            let alpha = 0.2 + 8 * rng.nextUniform(), m = 30 * rng.nextUniform()
            var table: [Double] = [0]
            for _ in 0..<Int(5 + 60 * rng.nextUniform()) { table.append(min(1, table.last! + 0.1 * rng.nextUniform())) }
            var reference = 0.0, mass = 0.0
            for k in table.indices {
                let logWeight =
                    lgamma(alpha + Double(k)) - lgamma(alpha) - lgamma(Double(k) + 1) + alpha * log(alpha / (alpha + m))
                    + Double(k) * log(m / (alpha + m))
                reference += exp(logWeight) * table[k]
                mass += exp(logWeight)
            }
            reference += 1 - mass
            let p = ApplicantRateModel.topProbability(mean: m, shape: alpha, exceedance: table)
            #expect(abs(p - reference) < 1e-9, "α \(alpha) m \(m): \(p) vs \(reference)")
        }
        #expect(ApplicantRateModel.topProbability(mean: 0, shape: 2, exceedance: [0, 0.5]) == 0)
    }

    /// The probability of a fitted model equals the frequency of top performers among applicants drawn from the
    /// model itself: a rate from the Gamma around μ(x), Poisson deals over the window, log-normal values, and one of
    /// the segment's simulated thresholds.
    @Test func probabilityMatchesDrawsFromTheModel() throws {
        let (input, generated) = try PartnerProfileTests.generated(partners: 300, seed: 808)
        var options = ApplicantRateOptions()
        options.valueDraws = 20_000
        let model = try ApplicantRateModel.fit(input, options: options)
        let applicants = generated.potential!.applicants.prefix(12)
        var rng = SeededGenerator(seed: 17)
        let draws = 20_000
        for applicant in applicants {
            let record = ApplicantRecord(
                id: applicant.id, segment: applicant.type.rawValue, verticals: applicant.verticals,
                technologies: applicant.technologies, certifications: applicant.certifications,
                firmographics: applicant.firmographics, line: 2)
            let values = ProfileInput.featureValues(record)
            let s = try #require(model.segments.firstIndex(of: record.segment))
            let mu = model.rate(values, segment: s)
            let p = model.probability(values, segment: s)
            var hits = 0.0
            for d in 0..<draws {
                let lambda = GammaPoisson.gammaDraw(shape: model.priorShape, rate: model.priorShape / mu, &rng)
                let deals = poisson(Double(model.windowPeriods) * lambda, &rng)
                let revenue = compoundValues(deals, model.dealValues[s], model.dealValueSpread, &rng)
                let threshold = model.thresholds[s][d % model.thresholds[s].count]
                if revenue > 0 && revenue >= threshold { hits += 1 }
            }
            let frequency = hits / Double(draws)
            let se = (max(p * (1 - p), 0.01) * (1.0 / Double(draws) + 1.0 / Double(options.valueDraws))).squareRoot()
            #expect(abs(p - frequency) < 4 * se, "\(applicant.id): \(p) vs \(frequency)")
        }
    }

    /// Within a segment the probability rises with the expected deal rate, and the exceedance tables never fall.
    @Test func probabilityRisesWithTheRate() throws {
        let (input, _) = try PartnerProfileTests.generated(partners: 300, seed: 809)
        let model = try ApplicantRateModel.fit(input)
        for table in model.exceedance {
            #expect(zip(table, table.dropFirst()).allSatisfy { $0 <= $1 })
        }
        for s in model.segments.indices {
            var previous = -1.0
            for m in stride(from: 0.0, through: 60, by: 0.5) {
                let p = ApplicantRateModel.topProbability(mean: m, shape: model.priorShape, exceedance: model.exceedance[s])
                #expect(p >= previous - 1e-12)
                previous = p
            }
        }
    }

    /// Shared truth: the cross-validation keeps the segments' own effects small (c ≤ 0.1) when they do not exist.
    @Test func sharedTruthKeepsSegmentEffectsSmall() throws {
        let (input, _) = try PartnerProfileTests.generated(partners: 600, seed: 810, effects: .shared)
        let model = try ApplicantRateModel.fit(input)
        #expect(model.interaction <= 0.1, "c = \(model.interaction) \(model.interactionScores)")
    }
}
