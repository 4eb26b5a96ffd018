import ArgumentParser
import Foundation
import Learning
import Switchboard

struct Segment: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment the partners: type, expertise cell, lifecycle stage, value tier and behaviour cluster.",
        discussion: """
            Segments every partner as of the latest activity period and the one before, and writes three CSV files: \
            the partners' segments (--out), each segment's KPIs (--kpis, default <out>-kpis.csv) and the partners that \
            moved segment since the previous period (--moves, default <out>-moves.csv). Behaviour clusters are k-means \
            on standardised activity features, with k from 2 to --max-clusters chosen by the best mean silhouette. \
            Periods are calendar months; period 0 is --first-period, or the month of the earliest assignment in \
            --outcomes.
            """)

    @Option(help: "The partners CSV file.") var partners: String
    @Option(help: "The partner activity CSV file (one row a partner a period); needed for lifecycle trends and moves.")
    var activity: String?
    @Option(help: "The outcomes CSV file (the assignment history); gives pipeline, leads received and win rates.")
    var outcomes: String?
    @Option(help: "The leads CSV file (every lead the outcomes name; needed with --outcomes).") var leads: String?
    @Option(help: "A churn model from `switchboard train churn`: adds churn risk (needs --activity).")
    var churnModel: String?
    @Option(help: "Where to write the partners' segments (CSV).") var out: String
    @Option(help: "Where to write the KPIs of each segment (default: <out>-kpis.csv beside --out).") var kpis: String?
    @Option(help: "Where to write the partners that moved segment (default: <out>-moves.csv beside --out).")
    var moves: String?
    @Option(parsing: .unconditional, help: "Periods that revenue, pipeline and the KPIs count, ending at the latest.")
    var window: Int = 12
    @Option(help: "The month of period 0, YYYY-MM (default: the month of the earliest assignment in --outcomes).")
    var firstPeriod: String?
    @Option(parsing: .unconditional, help: "The largest number of behaviour clusters tried (k = 2…this; at most 1000).")
    var maxClusters: Int = 8
    @Option(parsing: .unconditional, help: "Seed of k-means++ and of the silhouette sample.") var seed: UInt64 = 42
    @OptionGroup var csv: CSVOptions

    func validate() throws {
        try Limits.check("--window", window, atLeast: 1, atMost: 600)
        try Limits.check("--max-clusters", maxClusters, atLeast: 2, atMost: 1000)
        if (outcomes == nil) != (leads == nil) { throw ValidationError("--outcomes and --leads go together") }
        if churnModel != nil && activity == nil { throw ValidationError("--churn-model needs --activity") }
        if let firstPeriod, Self.month(firstPeriod) == nil {
            throw ValidationError("--first-period must be a month, YYYY-MM (got '\(firstPeriod)')")
        }
        if out == "-" { throw ValidationError("--out must be a file (the summary goes to standard output)") }
        let paths = outputs.map { URL(fileURLWithPath: $0.path).standardizedFileURL.path }
        if Set(paths).count != paths.count {
            throw ValidationError("--out, --kpis and --moves must be three different files (got \(outputs.map(\.path)))")
        }
    }

    /// The first day of a `YYYY-MM` (or `YYYY-MM-DD`) month.
    static func month(_ text: String) -> Timestamp? {
        let full = text.count == 7 ? text + "-01" : text
        guard let time = Timestamp(iso: Substring(full)) else { return nil }
        let date = time.dateDescription
        return Timestamp(iso: Substring(date.prefix(7) + "-01"))
    }

    /// `<folder>/<name without .csv>-<suffix>.csv`.
    static func derived(_ path: String, _ suffix: String) -> String {
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        let stem = name.lowercased().hasSuffix(".csv") ? String(name.dropLast(4)) : name
        let derivedName = "\(stem)-\(suffix).csv"
        return path.contains("/") ? url.deletingLastPathComponent().appendingPathComponent(derivedName).path : derivedName
    }

    var outputs: [(path: String, what: String)] {
        [(out, "segments"), (kpis ?? Self.derived(out, "kpis"), "KPIs"), (moves ?? Self.derived(out, "moves"), "moves")]
    }

    func run() throws {
        try reportingErrors {
            let records = try EcosystemFiles.reading([
                .partners: partners, .activity: activity, .leads: leads, .outcomes: outcomes,
            ])
            let ecosystem = try Ecosystem.load(records, options: EcosystemLoadOptions(delimiter: try csv.parsedDelimiter()))
            let input = SegmentInput(ecosystem, churnModel: try churnModel.map { try loadModel(ChurnModel.self, from: $0) })
            var options = SegmentOptions(windowPeriods: window, clusterCounts: 2...maxClusters)
            options.firstPeriodStart = firstPeriod.flatMap(Self.month)
            options.clustering.seed = seed
            let report: SegmentReport
            do {
                report = try SegmentReport(input, options: options)
            } catch let error as LearningError {
                throw CLIError("\(churnModel ?? activity ?? partners): \(error)")
            }
            let files = outputs
            try FileIO.writeAtomically([
                (files[0].path, Array(report.partnersCSV().utf8)), (files[1].path, Array(report.kpisCSV().utf8)),
                (files[2].path, Array(report.movesCSV().utf8)),
            ])
            if activity == nil {
                FileIO.warn("without --activity the segments are one snapshot from the partners file: no moves")
            } else if report.previousPeriod == nil {
                FileIO.warn("the activity file holds a single period: no moves")
            }
            print(SegmentText.summary(report))
            print("wrote \(files.map(\.path).joined(separator: ", "))")
        }
    }
}

enum SegmentText {
    static func summary(_ report: SegmentReport) -> String {
        var lines: [String] = []
        var heading = "segments of \(report.partners.count) partners"
        if let period = report.period {
            heading += " as of period \(period)"
            if let previous = report.previousPeriod { heading += " (moves since period \(previous))" }
            heading += "; revenue, pipeline and KPIs over periods \(max(0, period - report.windowPeriods + 1))–\(period)"
        }
        lines.append(heading)
        if let behaviour = report.behaviour {
            if let silhouette = behaviour.silhouette {
                let tried = behaviour.candidates.map(\.clusterCount)
                lines.append(
                    "behaviour: k = \(behaviour.clusters.count) (best mean silhouette \(Format.fixed(silhouette, 3)) of k = "
                        + "\(tried.first!)…\(tried.last!), on \(behaviour.sampleSize) of \(behaviour.partnerCount) active partners)"
                )
                lines.append(
                    Format.table(
                        ["k", "silhouette", "inertia"],
                        behaviour.candidates.map {
                            ["\($0.clusterCount)", $0.silhouette.map { Format.fixed($0, 3) } ?? "–", Format.fixed($0.inertia, 1)]
                        }
                    ).trimmingCharacters(in: .newlines))
            } else {
                lines.append(
                    "behaviour: one cluster (\(behaviour.partnerCount) active partners: too few, or all alike, to choose k)")
            }
        }
        let shown: [SegmentDimension?] = [nil, .lifecycle, .value, .behaviour]
        lines.append(
            Format.table(
                ["segment", "partners", "leads", "win rate", "revenue", "pipeline", "churn risk", "utilisation"],
                report.kpis.filter { shown.contains($0.dimension) }.map { k in
                    var label = k.dimension.map { "\($0.rawValue): \(k.segment)" } ?? "all partners"
                    if k.dimension == .behaviour && !k.description.isEmpty { label += " (\(k.description))" }
                    return [
                        label, "\(k.partners)", "\(k.leadsReceived)", k.winRate.map { Format.fixed($0, 3) } ?? "–",
                        Format.fixed(k.revenue, 0), Format.fixed(k.pipeline, 0),
                        k.meanChurnRisk.map { Format.fixed($0, 3) } ?? "–", k.utilisation.map { Format.fixed($0, 2) } ?? "–",
                    ]
                }
            ).trimmingCharacters(in: .newlines))
        let types = report.kpis.count { $0.dimension == .type }, cells = report.kpis.count { $0.dimension == .expertise }
        lines.append("\(types) partner types and \(cells) expertise cells (see the KPI file)")
        if let previous = report.previousPeriod {
            let counts = SegmentDimension.allCases.compactMap { dimension -> String? in
                let count = report.moves.count { $0.dimension == dimension }
                return count > 0 ? "\(dimension.rawValue) \(count)" : nil
            }
            let movers = Set(report.moves.map(\.partnerID)).count
            lines.append(
                "moves since period \(previous): \(movers) partners"
                    + (counts.isEmpty ? "" : " (\(counts.joined(separator: ", ")))"))
        }
        return lines.joined(separator: "\n")
    }
}
