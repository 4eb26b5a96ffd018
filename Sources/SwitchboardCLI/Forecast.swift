import ArgumentParser
import Foundation
import Learning
import Switchboard

struct Forecast: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Each partner's partner-sourced revenue and won deals for the next 1 and 3 periods, with 80% intervals.",
        discussion: """
            Estimates each partner's rate of won deals a period by empirical Bayes: a Gamma prior around a Poisson \
            GLM's mean (activity, tenure, profile features, segment), updated by the partner's own deals over its \
            history; models revenue as the sum of the deals' values (log-normal around the segment's mean deal \
            value): zero in many periods, with a long right tail. Writes \
            each partner in the programme (--out): the median, mean and 80% interval of its deals and revenue over \
            the next 1 and 3 periods; prints the ecosystem and per-segment totals with their intervals. See \
            docs/profiles.md.
            """)

    @OptionGroup var input: PartnerData
    @OptionGroup var season: ForecastSeason
    @Option(help: "Where to write each partner's forecasts (CSV).") var out: String

    func run() throws {
        try reportingErrors {
            let data = try input.load()
            let forecast = try input.fitting { try PartnerForecast.make(data, options: season.options) }
            try FileIO.writeAtomically(forecast.csv(), to: out)
            print(ProfileFormat.forecast(forecast))
            if out != "-" { print("wrote \(forecast.rows.count) partners to \(out)") }
        }
    }
}

/// The forecast's season options, shared by `forecast` and `evaluate forecast`.
struct ForecastSeason: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help:
            "Periods in the cycle the deal rate may follow (3: the months of a quarter; 1: none; at most 24). Used only when the data support it (F test, p < 0.01)."
    ) var seasonLength: Int = 3
    @Option(parsing: .unconditional, help: "The position of period 0 in the cycle (0: period 0 opens a quarter).")
    var seasonOffset: Int = 0

    func validate() throws {
        try Limits.check("--season-length", seasonLength, atLeast: 1, atMost: 24)
        try Limits.check("--season-offset", seasonOffset, atLeast: 0, atMost: seasonLength - 1)
    }

    var options: ForecastOptions {
        var options = ForecastOptions()
        options.seasonLength = seasonLength
        options.seasonOffset = seasonOffset
        return options
    }
}

struct EvaluateForecast: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Measure forecasts against a generated ecosystem's drawn future (MAE, MAPE on totals, coverage).",
        discussion: """
            Forecasts as `switchboard forecast` does from the whole history and compares with what the generator drew \
            for the periods after it (truth/performance.csv): each horizon's mean absolute error per partner against \
            the naive forecasts (last period's figure; mean of the last three), the absolute percentage error of the \
            ecosystem total, and the coverage of the 80% intervals.
            """)

    @OptionGroup var input: PartnerData
    @OptionGroup var season: ForecastSeason
    @Option(help: "Also write the figures as JSON to this file.") var json: String?

    func run() throws {
        try reportingErrors {
            let data = try input.load()
            let path = EcosystemFiles.path(input.data, "truth/performance.csv")
            let future = try ProfileRecords.performance(
                RecordSource(name: path, bytes: try FileIO.read(path)), partnerIDs: Set(data.partners.map(\.id)),
                partnersFile: EcosystemFiles.path(input.data, "partners.csv"), delimiter: try input.csv.parsedDelimiter())
            let forecast = try input.fitting { try PartnerForecast.make(data, options: season.options) }
            let reference = PotentialBayesForecast.make(
                partners: data.partners, firmographics: data.firmographics, activity: data.activity,
                performance: data.performance, partnerIDs: forecast.rows.map(\.partnerID), horizons: forecast.horizons)
            let evaluation = ForecastEvaluation.evaluate(forecast, input: data, future: future, reference: reference)
            print(ProfileFormat.forecastEvaluation(evaluation))
            print(ProfileFormat.model(forecast))
            if let json {
                try FileIO.writeAtomically(Array(try JSONEncoder.pretty.encode(JSONReport(evaluation))) + [0x0A], to: json)
            }
        }
    }

    struct JSONReport: Encodable {
        struct Horizon: Encodable {
            var periods, partners: Int
            var forecast_mae, naive_mae, naive_last_mae, naive_mean3_mae: Double
            var deals_mae, naive_last_deals_mae, naive_mean3_deals_mae: Double
            var total_ape, naive_last_total_ape, naive_mean3_total_ape: Double
            var interval_coverage, deals_interval_coverage, expected_interval_coverage: Double
            var truth_forecast_mae, truth_forecast_deals_mae: Double?
            init(_ h: ForecastEvaluation.Horizon) {
                periods = h.periods
                partners = h.partners
                forecast_mae = h.revenueMAE
                naive_mae = min(h.naiveLastRevenueMAE, h.naiveMeanRevenueMAE)
                naive_last_mae = h.naiveLastRevenueMAE
                naive_mean3_mae = h.naiveMeanRevenueMAE
                deals_mae = h.dealsMAE
                naive_last_deals_mae = h.naiveLastDealsMAE
                naive_mean3_deals_mae = h.naiveMeanDealsMAE
                total_ape = h.totalAPE
                naive_last_total_ape = h.naiveLastTotalAPE
                naive_mean3_total_ape = h.naiveMeanTotalAPE
                interval_coverage = h.revenueCoverage
                deals_interval_coverage = h.dealsCoverage
                expected_interval_coverage = h.expectedRevenueCoverage
                truth_forecast_mae = h.referenceRevenueMAE
                truth_forecast_deals_mae = h.referenceDealsMAE
            }
        }
        var forecast_mae, naive_mae, interval_coverage: Double
        var truth_forecast_mae: Double?
        var horizons: [Horizon]
        init(_ e: ForecastEvaluation) {
            horizons = e.horizons.map(Horizon.init)
            forecast_mae = horizons.first?.forecast_mae ?? .nan
            truth_forecast_mae = horizons.first?.truth_forecast_mae
            naive_mae = horizons.first?.naive_mae ?? .nan
            interval_coverage = horizons.first?.interval_coverage ?? .nan
        }
    }
}

extension ProfileFormat {
    static func money(_ value: Double) -> String {
        let rounded = Int(value.rounded())
        var digits = String(abs(rounded))
        var groups: [String] = []
        while digits.count > 3 {
            groups.insert(String(digits.suffix(3)), at: 0)
            digits.removeLast(3)
        }
        groups.insert(digits, at: 0)
        return (rounded < 0 ? "-" : "") + groups.joined(separator: ",")
    }

    static func forecast(_ f: PartnerForecast) -> String {
        var lines = [
            "partner-sourced revenue forecast from period \(f.firstPeriod) (\(f.rows.count) partners; median [80% interval], mean):"
        ]
        func describe(_ name: String, _ intervals: [PartnerForecast.Interval]) {
            let parts = zip(f.horizons, intervals).map { h, i in
                "next \(h): \(money(i.median)) [\(money(i.low))–\(money(i.high))], mean \(money(i.mean))"
            }
            lines.append("  \(name): " + parts.joined(separator: "; "))
        }
        describe("ecosystem", f.totals)
        for segment in f.segmentTotals.keys.sorted() { describe(segment, f.segmentTotals[segment]!) }
        lines.append(model(f))
        return lines.joined(separator: "\n")
    }

    /// The fitted model in one paragraph: the prior, the segments' own effects, the season, the deal values.
    static func model(_ f: PartnerForecast) -> String {
        var text =
            "deals are Poisson at each partner's own rate, estimated by empirical Bayes (Gamma prior around a GLM's mean, shape α = \(fixed(f.priorShape, 2))"
        text +=
            f.interaction > 0
            ? "; segment-specific profile effects, scale \(fixed(f.interaction, 2)) by cross-validation)"
            : "; profile effects shared by the segments, by cross-validation)"
        if let test = f.seasonTest {
            let factors = f.seasonFactors.map { fixed($0, 2) }.joined(separator: " / ")
            text +=
                f.seasonFactors.contains(where: { $0 != 1 })
                ? "; a \(f.seasonFactors.count)-period season, rates × \(factors) (F = \(fixed(test.statistic, 1)), p = \(fixed(test.pValue, 4)))"
                : "; no \(f.seasonFactors.count)-period season (p = \(fixed(test.pValue, 3)))"
        }
        text +=
            "; each deal's value is log-normal (σ = \(fixed(f.dealValueSpread, 2))) around its partner's mean, shrunk toward its segment's (between-partner variance \(fixed(f.dealValueBetweenSpread, 3)))"
        return text
    }

    static func forecastEvaluation(_ e: ForecastEvaluation) -> String {
        var lines = ["forecast against the drawn future (per partner; naive = last period, or mean of the last 3, × horizon)"]
        for h in e.horizons {
            lines.append(
                "next \(h.periods): revenue MAE \(money(h.revenueMAE)) vs naive \(money(h.naiveLastRevenueMAE)) / \(money(h.naiveMeanRevenueMAE)); "
                    + "deals MAE \(fixed(h.dealsMAE, 3)) vs \(fixed(h.naiveLastDealsMAE, 3)) / \(fixed(h.naiveMeanDealsMAE, 3)); "
                    + "total APE \(fixed(100 * h.totalAPE, 1))% vs \(fixed(100 * h.naiveLastTotalAPE, 1))% / \(fixed(100 * h.naiveMeanTotalAPE, 1))%; "
                    + "80% interval coverage \(fixed(h.revenueCoverage, 3)) (deals \(fixed(h.dealsCoverage, 3)); the model expects \(fixed(h.expectedRevenueCoverage, 3)))"
            )
        }
        for h in e.horizons {
            guard let revenue = h.referenceRevenueMAE, let deals = h.referenceDealsMAE else { continue }
            let naive = min(h.naiveLastRevenueMAE, h.naiveMeanRevenueMAE)
            func against(_ mae: Double) -> String {
                naive > 0 ? " (\(mae <= naive ? "−" : "+")\(fixed(100 * abs(mae / naive - 1), 1))% vs the better naive)" : ""
            }
            lines.append(
                "next \(h.periods), the generator's own Bayes forecast (its true model, each partner's deals so far): revenue MAE \(money(revenue))\(against(revenue)); "
                    + "deals MAE \(fixed(deals, 3)); the fitted forecast: \(money(h.revenueMAE))\(against(h.revenueMAE))")
        }
        return lines.joined(separator: "\n")
    }
}

extension Forecast: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--data", folder: input.data, files: PartnerData.files)
        roles.write("--out", out)
        return roles
    }
}

extension EvaluateForecast: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--data", folder: input.data, files: PartnerData.files + ["truth/performance.csv"])
        roles.write("--json", json)
        return roles
    }
}
