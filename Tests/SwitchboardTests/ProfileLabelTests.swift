import Foundation
import Learning
import Testing

@testable import Switchboard

/// The profiles' training labels from each partner's whole history (`ProfileLabels.history`).
@Suite("Profile labels from the whole history")
struct ProfileLabelTests {
    /// Each partner's revenue and periods after its first three, against a loop over its rows by hand.
    @Test func ratesSkipEachPartnersFirstPeriods() throws {
        let (input, _) = try PartnerProfileTests.generated(partners: 120, seed: 17)
        let rates = input.revenueRates(skippingFirst: 3)
        for (p, partner) in input.partners.enumerated() {
            let own = input.performance.filter { $0.partnerID == partner.id }.sorted { $0.period < $1.period }
            var revenue = 0.0, periods = 0
            for (i, row) in own.enumerated() where i >= 3 {
                revenue += row.revenue
                periods += 1
            }
            #expect(rates[p].periods == periods)
            #expect(abs(rates[p].revenue - revenue) < 1e-6)
        }
    }

    /// Both label choices fit and beat tier on a 300-partner ecosystem with a segment-specific truth; the history
    /// labels more partners than the window.
    @Test func historyLabelsMorePartnersThanTheWindow() throws {
        let (input, _) = try PartnerProfileTests.generated(partners: 300, seed: 44)
        var window = ProfileOptions()
        window.labels = .window
        let a = try PartnerProfileModel.fit(
            input, features: ProfileFeature.allCases, options: window, performanceFile: "performance.csv")
        let b = try PartnerProfileModel.fit(
            input, features: ProfileFeature.allCases, options: ProfileOptions(), performanceFile: "performance.csv")
        #expect(b.trainingCounts.reduce(0, +) > a.trainingCounts.reduce(0, +))
        // Every segment has top performers to learn from under the history labels.
        #expect(b.topCounts.allSatisfy { $0 > 0 })
    }
}
