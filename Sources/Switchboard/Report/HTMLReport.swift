import Foundation

/// Renders a `ChannelReport` as one self-contained HTML page: inline CSS, charts as inline SVG, no script, no font,
/// image or link outside the file, so it opens anywhere without a network.
///
/// Every piece of data goes through `Markup`, which escapes it. The output depends only on the report (no clock), so
/// the same data gives the same bytes.
public enum HTMLReport {
    /// Charts' width in a two-column grid, and the full width.
    static let halfWidth = 540.0
    static let fullWidth = 1160.0
    /// To-do items shown before the rest of a manager's list is folded away.
    static let todoShown = 5

    /// The whole page.
    /// With `intelligence`, the partner-intelligence section follows the to-do lists.
    public static func render(_ report: ChannelReport, intelligence: PartnerIntelligence? = nil) -> String {
        var out = "<!DOCTYPE html>\n"
        document(report, intelligence: intelligence).render(into: &out)
        out += "\n"
        return out
    }

    static func document(_ report: ChannelReport, intelligence: PartnerIntelligence? = nil) -> Markup {
        .tag(
            "html", [.init("lang", "en")],
            [
                .tag(
                    "head", [],
                    [
                        .empty("meta", [.init("charset", "utf-8")]),
                        .empty("meta", [.init("name", "viewport"), .init("content", "width=device-width, initial-scale=1")]),
                        .tag("title", text: "Switchboard channel report, as of \(report.asOf.dateDescription)"),
                        .tag("style", [], [.raw(styleSheet)]),
                    ]),
                .tag(
                    "body", [],
                    [
                        .tag(
                            "main", [],
                            [
                                header(report), modelSection(report), routingSection(report), replaySection(report),
                                segmentSection(report),
                                riskSection(report), todoSection(report),
                            ] + (intelligence.map { [intelligenceSection($0)] } ?? []) + [leadModelSection(report, number: intelligence == nil ? 7 : 8), footer(report)])
                    ]),
            ])
    }

    // MARK: - Pieces

    static func paragraph(_ text: String, classes: String? = nil) -> Markup {
        .tag("p", classes.map { [.init("class", $0)] } ?? [], text: text)
    }

    static func figure(_ caption: String, _ chart: Markup, note: String? = nil, wide: Bool = false) -> Markup {
        var children: [Markup] = [.tag("figcaption", text: caption), chart]
        if let note { children.append(.tag("p", [.init("class", "note")], text: note)) }
        return .tag("figure", wide ? [.init("class", "wide")] : [], children)
    }

    static func section(_ id: String, _ title: String, _ children: [Markup]) -> Markup {
        .tag("section", [.init("id", id)], [.tag("h2", text: title)] + children)
    }

    static func grid(_ children: [Markup]) -> Markup { .tag("div", [.init("class", "grid")], children) }

    static func card(_ value: String, _ label: String, _ detail: String) -> Markup {
        .tag(
            "div", [.init("class", "card")],
            [
                .tag("div", [.init("class", "value")], text: value), .tag("div", [.init("class", "label")], text: label),
                .tag("div", [.init("class", "detail")], text: detail),
            ])
    }

    static func fixed(_ value: Double, _ decimals: Int = 3) -> String { NumberFormat.fixed(value, decimals) }
    static func percent(_ value: Double, _ decimals: Int = 1) -> String { NumberFormat.percent(value, decimals) }
    static func count(_ value: Int) -> String { NumberFormat.grouped(Double(value)) }
    static func money(_ value: Double) -> String { NumberFormat.grouped(value) }

    // MARK: - Header

    static func header(_ report: ChannelReport) -> Markup {
        let match = report.models[0], churn = report.models[1]
        let optimal = report.routing.policies.first { $0.run == .optimal }
        let greedy = report.routing.policies.first { $0.run == .greedy }
        var cards = [
            card(fixed(match.report.rocAUC), "match model ROC AUC", "on \(count(match.report.rowCount)) accepted outcomes"),
            card(fixed(churn.report.rocAUC), "churn model ROC AUC", "on \(count(churn.report.rowCount)) partner-periods"),
        ]
        if let optimal {
            cards.append(
                card(
                    NumberFormat.fixed(optimal.expectedWins, 1), "expected wins, optimal routing",
                    "\(count(optimal.assigned)) of \(count(report.routing.leadCount)) incoming leads placed"))
            if let greedy, greedy.expectedWins > 0 {
                let gain = optimal.expectedWins / greedy.expectedWins - 1
                cards.append(
                    card(
                        (gain >= 0 ? "+" : "") + percent(gain), "over greedy routing",
                        "greedy: \(NumberFormat.fixed(greedy.expectedWins, 1)) expected wins"))
            }
            cards.append(card(fixed(optimal.gini, 2), "Gini of load, optimal", "0 = every partner the same number of leads"))
        }
        cards.append(
            card(
                count(report.highRiskCount), "partners at high churn risk",
                "risk ≥ \(percent(report.actions.settings.highRiskThreshold, 0)) a month, of \(count(report.churnScoredCount)) scored"
            ))
        return .tag(
            "header", [],
            [
                .tag("h1", text: "Channel report"),
                paragraph(
                    "As of \(report.asOf.dateDescription): \(count(report.partnerCount)) partners "
                        + "(\(count(report.activePartnerCount)) active, \(report.managerCount) channel managers), "
                        + "\(count(report.leadCount)) historical leads with \(count(report.outcomeCount)) outcomes, "
                        + "\(count(report.activityRowCount)) activity rows, and \(count(report.routing.leadCount)) incoming "
                        + "leads to route.",
                    classes: "lede"),
                paragraph(sourcesText(report), classes: "sources"),
                .tag("div", [.init("class", "cards")], cards),
                .tag(
                    "nav", [],
                    [
                        link("#models", "Models"), link("#routing", "Routing"), link("#replay", "Replay"),
                        link("#segments", "Segments"),
                        link("#risk", "At risk"), link("#todo", "To-do lists"),
                    ] + (report.leadModel == nil ? [] : [link("#lead-score", "Lead score")])),
            ])
    }

    /// "Read from DIR/: partners.csv, …" when the files share a folder, else every path.
    static func sourcesText(_ report: ChannelReport) -> String {
        let s = report.sources
        let files = [s.partners, s.leads, s.outcomes, s.activity, s.actions, s.actionHistory, report.incomingSource]
        func split(_ path: String) -> (folder: String, name: String) {
            guard let slash = path.lastIndex(of: "/") else { return ("", path) }
            return (String(path[...slash]), String(path[path.index(after: slash)...]))
        }
        let parts = files.map(split)
        let truth =
            report.replays.first?.usesTruth == true
            ? " The replay is valued with the generator's truth (truth/partners.csv, truth/pairs.csv)." : ""
        if let folder = parts.first?.folder, !folder.isEmpty, parts.allSatisfy({ $0.folder == folder }) {
            return "Read from \(folder): \(parts.map(\.name).joined(separator: ", "))." + truth
        }
        return "Read from \(files.joined(separator: ", "))." + truth
    }

    static func link(_ target: String, _ text: String) -> Markup {
        .tag("a", [.init("href", target)], text: text)
    }

    // MARK: - Models

    static let modelColours = [ChartPalette.blue, ChartPalette.orange]

    static func modelSection(_ report: ChannelReport) -> Markup {
        let models = report.models
        let square = ChartFrame(width: halfWidth, height: 400, top: 34)
        let roc = LineChart(
            frame: square, xAxis: ChartAxis(label: "false positive rate", domain: 0...1),
            yAxis: ChartAxis(label: "true positive rate", domain: 0...1),
            series: models.enumerated().map { index, model in
                ChartSeries(
                    name: "\(model.name) (AUC \(fixed(model.report.rocAUC)))", colour: modelColours[index % 2],
                    points: model.roc)
            } + [
                ChartSeries(
                    name: "chance", colour: ChartPalette.grey, points: [ChartPoint(x: 0, y: 0), ChartPoint(x: 1, y: 1)],
                    dashed: true)
            ], description: "ROC curves of the match and churn models")
        let gains = LineChart(
            frame: square, xAxis: ChartAxis(label: "share of rows, highest score first", domain: 0...1, format: .percent),
            yAxis: ChartAxis(label: "share of positives found", domain: 0...1, format: .percent),
            series: models.enumerated().map { index, model in
                ChartSeries(name: model.name, colour: modelColours[index % 2], points: model.gains)
            } + [
                ChartSeries(
                    name: "random", colour: ChartPalette.grey, points: [ChartPoint(x: 0, y: 0), ChartPoint(x: 1, y: 1)],
                    dashed: true)
            ], description: "Cumulative gains curves of the match and churn models")
        let calibrations = models.enumerated().map { index, model in
            figure(
                "Calibration: \(model.name.lowercased())", calibrationChart(model, colour: modelColours[index % 2]),
                note: "Rows binned by predicted probability (10 equal-width bins; empty bins left out); each dot is a bin's "
                    + "mean prediction against its observed rate, its area proportional to the bin's rows. ECE \(fixed(model.report.expectedCalibrationError, 4))."
            )
        }
        let liftValues = models.flatMap(\.liftByDecile)
        let lift = BarChart(
            frame: ChartFrame(width: halfWidth, height: 400, top: 34),
            categories: (1...10).map { "\($0 * 10)%" },
            series: models.enumerated().map { index, model in
                BarSeries(name: model.name, colour: modelColours[index % 2], values: model.liftByDecile)
            }, valueAxis: ChartAxis(label: "cumulative lift", domain: ChartAxis.covering(liftValues)),
            categoryTitle: "top share of rows, highest score first", padding: 0.25,
            description: "Cumulative lift by decile of the match and churn models")
        let metricRows: [(String, (ModelFigures) -> String)] = [
            ("rows scored", { count($0.report.rowCount) }),
            ("positives", { "\(count($0.report.positiveCount)) (\(percent($0.baseRate)))" }),
            ("ROC AUC", { fixed($0.report.rocAUC, 4) }),
            ("PR AUC (average precision)", { fixed($0.report.averagePrecision, 4) }),
            ("log loss", { fixed($0.report.logLoss, 4) }),
            ("Brier score", { fixed($0.report.brierScore, 4) }),
            ("expected calibration error", { fixed($0.report.expectedCalibrationError, 4) }),
            ("lift in the top decile", { fixed($0.report.liftTopDecile, 2) }),
        ]
        let table = HTMLTable(
            header: ["metric"] + models.map(\.name),
            rows: metricRows.map { label, value in
                [.text(label)] + models.map { .number(value($0)) }
            }, numericColumns: Set(1...models.count))
        return section(
            "models", "1. Model quality",
            [
                paragraph(
                    models.map { "\($0.name): \($0.subject); a positive is \($0.positive)." }.joined(separator: " ")
                        + " These are in-sample figures on the history the shipped models were trained on; the models' "
                        + "files hold their held-out (time-split) cross-validation."),
                grid(
                    [
                        figure("ROC curves", roc.render()),
                        figure(
                            "Cumulative gains", gains.render(),
                            note: "The share of all positives (wins, churns) found in the top x% of rows by score."),
                    ] + calibrations + [
                        figure(
                            "Lift by decile", lift.render(),
                            note: "Positive rate in the top x% of rows over the overall rate (1 = no better than random)."),
                        .tag("figure", [], [.tag("figcaption", text: "Metrics"), table.render()]),
                    ]),
            ])
    }

    static func calibrationChart(_ model: ModelFigures, colour: String) -> Markup {
        let bins = model.report.reliability
        let largest = max(1, bins.map(\.count).max() ?? 1)
        let top = ChartAxis.covering(bins.flatMap { [$0.meanPredicted, $0.observedRate] } + [0.1]).upperBound
        let domain = 0...min(1, top)
        return LineChart(
            frame: ChartFrame(width: halfWidth, height: 400, top: 34),
            xAxis: ChartAxis(label: "mean predicted probability", domain: domain),
            yAxis: ChartAxis(label: "observed rate", domain: domain),
            series: [
                ChartSeries(
                    name: "perfectly calibrated", colour: ChartPalette.grey,
                    points: [ChartPoint(x: 0, y: 0), ChartPoint(x: domain.upperBound, y: domain.upperBound)], dashed: true),
                ChartSeries(
                    name: model.name, colour: colour,
                    points: bins.map { ChartPoint(x: $0.meanPredicted, y: $0.observedRate) }, markers: true,
                    markerRadii: bins.map { 2.5 + 5 * ($0.count / largest).squareRoot() }),
            ], description: "Calibration of the \(model.name.lowercased())"
        ).render()
    }

    // MARK: - Routing

    static let policyColours: [String: String] = [
        "optimal": ChartPalette.blue, "optimal+fairness": ChartPalette.sky, "greedy": ChartPalette.orange,
        "round-robin": ChartPalette.green, "weighted": ChartPalette.purple, "historical": ChartPalette.grey,
    ]

    static func routingSection(_ report: ChannelReport) -> Markup {
        let routing = report.routing
        let policies = routing.policies
        let lorenz = LineChart(
            frame: ChartFrame(width: halfWidth, height: 400, top: 34),
            xAxis: ChartAxis(label: "share of partners, least loaded first", domain: 0...1, format: .percent),
            yAxis: ChartAxis(label: "share of leads", domain: 0...1, format: .percent),
            series: policies.map {
                ChartSeries(
                    name: "\($0.name) (Gini \(fixed($0.gini, 2)))",
                    colour: policyColours[$0.name] ?? ChartPalette.grey,
                    points: $0.lorenz)
            } + [
                ChartSeries(
                    name: "equal load", colour: ChartPalette.grey, points: [ChartPoint(x: 0, y: 0), ChartPoint(x: 1, y: 1)],
                    dashed: true)
            ], description: "Lorenz curves of the leads each partner receives under each policy")
        let wins = winsChart(
            policies.map { ($0.name, $0.expectedWins, "\(money($0.expectedValue))") }, rowHeight: 44,
            axisLabel: "expected wins (Σ P(win) of the assigned leads)",
            domain: ChartAxis.covering(policies.map(\.expectedWins)),
            description: "Expected wins of the incoming leads under each policy")

        let shares = BarChart(
            frame: ChartFrame(width: halfWidth, height: 260, top: 34), categories: ["small partners", "new partners"],
            series: policies.map {
                BarSeries(
                    name: $0.name, colour: policyColours[$0.name] ?? ChartPalette.grey,
                    values: [$0.smallShare, $0.newShare])
            } + [
                BarSeries(
                    name: "their share of capacity left", colour: ChartPalette.grey,
                    values: [routing.smallCapacityShare, routing.newCapacityShare])
            ],
            valueAxis: ChartAxis(
                label: "share of leads",
                domain: ChartAxis.covering(
                    policies.flatMap { [$0.smallShare, $0.newShare] }
                        + [routing.smallCapacityShare, routing.newCapacityShare]
                        .map { $0 * 1.1 }), tickCount: 4, format: .percent),
            categoryTitle: "", padding: 0.3, valueLabelDecimals: 1,
            description: "Share of the assigned leads given to small and to new partners under each policy")
        var figures: [Markup] = [
            .tag(
                "div", [.init("class", "stack")],
                [
                    figure(
                        "Expected wins by policy", wins.render(),
                        note: "Each bar: the deals the assigned leads are expected to win, and their expected value (P(win) "
                            + "× deal value)."),
                    figure(
                        "Leads to small and new partners", shares.render(),
                        note: "Grey: the share of the capacity left that those partners hold, what a split in proportion to "
                            + "capacity would give them."),
                ]),
            figure(
                "How evenly the leads are shared (Lorenz curves)", lorenz.render(),
                note: "Over the \(count(routing.partners.count)) partners that take leads; the further below the diagonal, "
                    + "the more the leads are concentrated on a few partners."),
        ]
        if let optimal = policies.first(where: { $0.run == .optimal }) {
            let order = routing.partners.indices.sorted {
                optimal.loads[$0] != optimal.loads[$1]
                    ? optimal.loads[$0] > optimal.loads[$1] : routing.partners[$0].partnerID < routing.partners[$1].partnerID
            }
            let shown = order.filter { optimal.loads[$0] > 0 }
            let maximum = Double(shown.map { optimal.loads[$0] }.max() ?? 1)
            let stride = max(1, Int((Double(shown.count) / 14).rounded(.up)))
            let load = BarChart(
                frame: ChartFrame(width: fullWidth, height: 340, top: 34, bottom: 52),
                categories: shown.map {
                    routing.partners[$0].partnerID
                },
                series: [
                    BarSeries(
                        name: "leads assigned (optimal)", colour: ChartPalette.blue,
                        values: shown.map { Double(optimal.loads[$0]) })
                ],
                background: BarSeries(
                    name: "capacity left before the batch", colour: ChartPalette.sky,
                    values: shown.map { Double(routing.partners[$0].capacityLeft) }),
                valueAxis: ChartAxis(label: "leads", domain: ChartAxis.covering([maximum * 1.15])),
                categoryTitle: "partners that received leads, most first"
                    + (stride == 1 ? "" : " (one id in \(stride) shown)"),
                labelStride: stride, padding: 0.15, description: "Leads assigned to each partner by the optimal policy")
            figures.append(
                figure(
                    "Load per partner under the optimal policy", load.render(),
                    note: "\(count(optimal.partnersServed)) of \(count(routing.partners.count)) partners received leads. "
                        + "Light bars: the capacity each had left (cut off at the top of the axis).", wide: true))
        }

        let table = HTMLTable(
            header: [
                "policy", "assigned", "unassigned", "expected wins", "expected value", "Gini of load", "partners served",
                "largest share", "to small partners", "to new partners", "to account owners",
            ],
            rows: policies.map { p in
                [
                    .text(p.name), .number(count(p.assigned)), .number(count(p.unassigned)),
                    .number(NumberFormat.fixed(p.expectedWins, 1)), .number(money(p.expectedValue)), .number(fixed(p.gini)),
                    .number(count(p.partnersServed)), .number(percent(p.largestShare)), .number(percent(p.smallShare)),
                    .number(percent(p.newShare)), .number(count(p.ownerAssignments)),
                ]
            }, numericColumns: Set(1...10))
        let reasons = policies.compactMap { p -> String? in
            guard !p.unassignedReasons.isEmpty else { return nil }
            return "\(p.name): "
                + p.unassignedReasons.map { "\(count($0.count)) \($0.reason.rawValue)" }.joined(separator: ", ")
        }
        let none = routing.leadCount - routing.placeableCount
        let unplaceable =
            none == 0
            ? "every lead had at least one eligible partner"
            : "\(count(none)) lead\(none == 1 ? "" : "s") had no eligible partner"
        return section(
            "routing", "2. Routing the incoming leads",
            [
                paragraph(
                    "The \(count(routing.leadCount)) incoming leads of \(report.incomingSource) were scored against every "
                        + "eligible partner with the match model (own region, required certifications held, active, capacity "
                        + "left), keeping each lead's best \(routing.candidatesPerLead) (\(count(routing.candidateCount)) "
                        + "candidates; \(unplaceable)). "
                        + "\(count(routing.ownedLeads)) leads belong to an account whose owner (the partner that accepted "
                        + "most of its leads in the history) is eligible; every policy gives those to the owner first. "
                        + "The optimal policy maximises the total expected value under capacity exactly; "
                        + "optimal+fairness maximises it under the fairness controls (\(fairnessText(policies.first { $0.run == .optimalWithFairness }?.config ?? RoutingConfig()))); "
                        + "greedy takes the most valuable lead–partner pairs first; round-robin ignores value."),
                table.render(),
                paragraph(
                    "Small partners: 12-month revenue in the bottom quarter of all partners' (they hold "
                        + "\(percent(routing.smallCapacityShare)) of the capacity left); new partners: joined within "
                        + "\(NumberFormat.fixed(ModelRouter.newPartnerDays, 0)) days (\(percent(routing.newCapacityShare)) "
                        + "of the capacity left), as switchboard route and simulate define them. Unassigned "
                        + "leads: \(reasons.isEmpty ? "none" : reasons.joined(separator: "; "))"
                        + ".", classes: "note"),
                grid(figures),
            ])
    }

    /// A horizontal bar per policy: its expected wins, labelled with them and `detail`, in the policy's colour.
    static func winsChart(
        _ rows: [(name: String, wins: Double, detail: String)], rowHeight: Double, axisLabel: String,
        domain: ClosedRange<Double>, description: String
    ) -> HorizontalBarChart {
        let bars = rows.map {
            LabelledBar(
                label: $0.name, value: $0.wins, valueLabel: "\(NumberFormat.fixed($0.wins, 1)) wins · \($0.detail)",
                colour: policyColours[$0.name] ?? ChartPalette.grey)
        }
        var frame = HorizontalBarChart.frameFitting(bars, width: halfWidth, rowHeight: rowHeight)
        frame.height = max(frame.height, 200)
        return HorizontalBarChart(
            frame: frame, bars: bars, valueAxis: ChartAxis(label: axisLabel, domain: domain, format: .grouped),
            description: description)
    }

    /// The fairness controls of a configuration in words.
    static func fairnessText(_ config: RoutingConfig) -> String {
        var parts: [String] = []
        if config.minimumShare > 0 {
            parts.append("\(percent(config.minimumShare, 0)) of the batch reserved for each new or small partner")
        }
        if config.exploration > 0 {
            parts.append(
                "an exploration bonus of \(NumberFormat.fixed(config.exploration, 2)) × the standard deviation of the "
                    + "partner's win rate × the deal value")
        }
        if let cap = config.maxShare { parts.append("no partner above \(percent(cap, 0)) of the batch") }
        return parts.isEmpty ? "none set" : parts.joined(separator: ", ")
    }

    // MARK: - Replay

    static func replaySection(_ report: ChannelReport) -> Markup {
        guard let first = report.replays.first else { return .raw("") }
        var children: [Markup] = [
            paragraph(
                "The \(count(first.outcomes.first?.leads ?? 0)) leads first assigned from "
                    + "\(first.windowStart.dateDescription) to \(first.windowEnd.dateDescription) were routed again in "
                    + "\(first.batches) daily batches under each policy, with every partner's open leads carried from "
                    + "batch to batch (each open as long as the real lead took), and compared with what really happened. "
                    + (first.usesTruth
                        ? "Every decision is valued with the true win probability of the generator that made the data, "
                            + "so the policies are judged by what would have happened, not by the model that steered them."
                        : "Every decision is valued with the match model's win probability (no truth is known for this "
                            + "data).")
                    + " Tight capacity is a what-if: each partner's capacity scaled down, so the policies must choose "
                    + "who gets the scarce slots.")
        ]
        var figures: [Markup] = []
        let allWins = report.replays.flatMap { $0.outcomes.map(\.expectedWins) }  // one scale for every replay's chart
        for replay in report.replays {
            let historical = replay.outcomes.first { $0.run == .historical }
            let table = HTMLTable(
                header: [
                    "policy", "assigned", "expected wins", "vs historical", "expected revenue", "Gini of load",
                    "to new or small partners",
                ],
                rows: replay.outcomes.map { o in
                    let gain = historical.map { o.expectedWins - $0.expectedWins } ?? 0
                    return [
                        .text(o.name), .number(count(o.assigned)), .number(NumberFormat.fixed(o.expectedWins, 1)),
                        .number(o.run == .historical ? "" : (gain >= 0 ? "+" : "") + NumberFormat.fixed(gain, 1)),
                        .number(money(o.expectedRevenue)), .number(fixed(o.loadGini)), .number(percent(o.newOrSmallShare)),
                    ]
                }, numericColumns: Set(1...6))
            let title =
                replay.capacityScale == 1
                ? "Capacity as recorded"
                : "Tight capacity: every partner's capacity × \(NumberFormat.fixed(replay.capacityScale, 2))"
            children.append(.tag("h3", text: title))
            children.append(table.render())
            let chart = winsChart(
                replay.outcomes.map { ($0.name, $0.expectedWins, "\(percent($0.newOrSmallShare)) to new/small") },
                rowHeight: 36, axisLabel: "expected wins of the replayed leads", domain: ChartAxis.covering(allWins),
                description: "Expected wins of the replayed leads under each policy, \(title.lowercased())")
            figures.append(figure("Expected wins: \(title.lowercased())", chart.render()))
        }
        if let tight = report.replays.last {
            let wins = Dictionary(tight.outcomes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            if let optimal = wins["optimal"], let fair = wins["optimal+fairness"], let greedy = wins["greedy"],
                let robin = wins["round-robin"]
            {
                func change(_ a: Double, _ b: Double) -> String {
                    (a >= b ? "+" : "−") + NumberFormat.fixed(abs(a - b), 1) + " (" + percent(b > 0 ? abs(a / b - 1) : 0) + ")"
                }
                children.append(
                    paragraph(
                        "At capacity × \(NumberFormat.fixed(tight.capacityScale, 2)): the optimum against greedy "
                            + "\(change(optimal.expectedWins, greedy.expectedWins)) expected wins, against round-robin "
                            + "\(change(optimal.expectedWins, robin.expectedWins)). The fairness controls cost "
                            + "\(NumberFormat.fixed(optimal.expectedWins - fair.expectedWins, 1)) expected wins "
                            + "(\(percent(optimal.expectedWins > 0 ? 1 - fair.expectedWins / optimal.expectedWins : 0))) and "
                            + "move the share to new and small partners from \(percent(optimal.newOrSmallShare)) to "
                            + "\(percent(fair.newOrSmallShare)) (Gini of load \(fixed(optimal.loadGini)) → "
                            + "\(fixed(fair.loadGini))). Each batch is solved exactly, but not the month as a whole, so "
                            + "greedy can come close over many batches.", classes: "note"))
            }
        }
        children.append(grid(figures))
        return section("replay", "3. Replaying the history under each policy", children)
    }

    // MARK: - Segments

    static func segmentSection(_ report: ChannelReport) -> Markup {
        let segments = report.segments
        let shown: [SegmentDimension?] = [nil, .lifecycle, .value, .behaviour, .type]
        let kpis = segments.kpis.filter { shown.contains($0.dimension) }
        let ordered = shown.flatMap { dimension in kpis.filter { $0.dimension == dimension } }
        let table = HTMLTable(
            header: [
                "segment", "partners", "leads", "win rate", "revenue", "pipeline", "mean churn risk", "utilisation",
            ],
            rows: ordered.map { k in
                var label = k.dimension.map { "\($0.rawValue): \(k.segment)" } ?? "all partners"
                if k.dimension == .behaviour && !k.description.isEmpty { label += " (\(k.description))" }
                return [
                    .text(label), .number(count(k.partners)), .number(count(k.leadsReceived)),
                    .number(k.winRate.map { percent($0) } ?? "–"), .number(money(k.revenue)), .number(money(k.pipeline)),
                    .number(k.meanChurnRisk.map { percent($0) } ?? "–"), .number(k.utilisation.map { percent($0, 0) } ?? "–"),
                ]
            }, numericColumns: Set(1...7))

        func bars(_ dimension: SegmentDimension, value: (SegmentKPI) -> Double?, label: (Double) -> String, colour: String)
            -> [LabelledBar]
        {
            segments.kpis.filter { $0.dimension == dimension }.compactMap { k in
                value(k).map { LabelledBar(label: k.segment, value: $0, valueLabel: label($0), colour: colour) }
            }
        }
        let revenueBars = bars(
            .lifecycle, value: { $0.revenue }, label: { money($0) }, colour: ChartPalette.green)
        let revenue = HorizontalBarChart(
            frame: HorizontalBarChart.frameFitting(revenueBars, width: halfWidth, rowHeight: 34), bars: revenueBars,
            valueAxis: ChartAxis(
                label: "revenue over the window", domain: ChartAxis.covering(revenueBars.map(\.value)), tickCount: 4,
                format: .grouped),
            description: "Revenue by lifecycle stage")
        let winBars = bars(
            .type, value: { $0.winRate }, label: { percent($0) }, colour: ChartPalette.vermillion)
        let winRates = HorizontalBarChart(
            frame: HorizontalBarChart.frameFitting(winBars, width: halfWidth, rowHeight: 26), bars: winBars,
            valueAxis: ChartAxis(
                label: "win rate of resolved leads", domain: ChartAxis.covering(winBars.map(\.value)), format: .percent),
            description: "Win rate by partner type")
        var intro = "Every partner's segments as of activity period \(segments.period.map { "\($0)" } ?? "–")"
        if let period = segments.period {
            intro +=
                "; revenue, pipeline, leads and win rates count periods \(max(0, period - segments.windowPeriods + 1))–\(period)"
        }
        intro += ". Lifecycle stages follow fixed rules (onboarding, ramping, established, at risk, dormant); value tiers rank "
        intro += "revenue and pipeline; behaviour clusters are k-means on standardised activity"
        if let behaviour = segments.behaviour, let silhouette = behaviour.silhouette {
            intro += " (k = \(behaviour.clusters.count), mean silhouette \(fixed(silhouette)))"
        }
        intro += ". Utilisation is open leads over capacity; churn risk is the churn model's for the next period."
        return section(
            "segments", "4. Segments and their KPIs",
            [
                paragraph(intro), table.render(),
                grid([
                    figure("Revenue by lifecycle stage", revenue.render()),
                    figure("Win rate by partner type", winRates.render()),
                ]),
            ])
    }

    // MARK: - At risk

    /// A churn factor for people: `low portal logins (3 last month) +1.62`, `falling deal registrations +0.48`,
    /// `type referral −0.23`; the number is its contribution to the log-odds. Levels are low or high against the
    /// training rows' average (z), trends falling or rising by their own sign.
    static func factorText(_ factor: ChurnFactor, score z: Double) -> String {
        let amount = (factor.contribution >= 0 ? "+" : "−") + NumberFormat.fixed(abs(factor.contribution), 2)
        let name = factor.name
        if name.contains("=") { return name.replacingOccurrences(of: "=", with: " ") + " " + amount }
        if name == "tenure_periods" {
            return "\(z < 0 ? "short" : "long") tenure (\(NumberFormat.grouped(factor.value)) months) \(amount)"
        }
        if name.hasSuffix("_trend") {
            let figure = String(name.dropLast("_trend".count)).replacingOccurrences(of: "_", with: " ")
            let word = factor.value < 0 ? "falling" : factor.value > 0 ? "rising" : "flat"
            return "\(word) \(figure) \(amount)"
        }
        let figure = name.replacingOccurrences(of: "_", with: " ")
        // Levels are log1p of the month's figure.
        let monthly = NumberFormat.grouped(expm1(factor.value))
        return "\(z < 0 ? "low" : "high") \(figure) (\(monthly) last month) \(amount)"
    }

    static func riskBar(_ risk: Double, scale: Double) -> Markup {
        let width = scale > 0 ? min(100, 100 * risk / scale) : 0
        return .tag(
            "div", [.init("class", "riskcell")],
            [
                .tag(
                    "span", [.init("class", "track")],
                    [.tag("span", [.init("class", "bar"), .init("style", "width: \(NumberFormat.fixed(width, 1))%")], [])]),
                .tag("span", [.init("class", "figure")], text: percent(risk)),
            ])
    }

    static func riskSection(_ report: ChannelReport) -> Markup {
        let top = report.atRisk.first?.risk ?? 0
        let table = HTMLTable(
            header: ["partner", "manager", "tier, type", "status", "period", "churn risk next period", "top factors (log-odds)"],
            rows: report.atRisk.map { p in
                [
                    HTMLTable.Cell([.tag("strong", text: p.partnerID), .text(" \(p.name)")]), .text(p.managerID),
                    .text("\(p.tier.rawValue), \(p.type.rawValue)"), .text(p.status.rawValue), .number("\(p.period)"),
                    HTMLTable.Cell([riskBar(p.risk, scale: top)]),
                    HTMLTable.Cell(
                        zip(p.factors, p.factorScores).map { factor, z in
                            .tag(
                                "span", [.init("class", factor.contribution >= 0 ? "factor up" : "factor down")],
                                text: factorText(factor, score: z))
                        }),
                ]
            }, numericColumns: [4])
        return section(
            "risk", "5. Partners most at risk of churning",
            [
                paragraph(
                    "The \(report.atRisk.count) partners with the highest churn risk for the next period, of the "
                        + "\(count(report.churnScoredCount)) whose latest activity row does not already say they left. Factors "
                        + "are the churn model's largest contributions wⱼ·zⱼ to the log-odds: red raises the risk, green "
                        + "lowers it. Low and high compare the month's figure with the average partner-month; falling and "
                        + "rising compare the last three months with the three before."),
                table.render(),
            ])
    }

    // MARK: - To-do lists

    static func todoItem(_ item: TodoItem) -> Markup {
        let o = item.outlook
        var children: [Markup] = [
            .tag("strong", text: o.partnerID), .text(" \(o.partnerName) · risk \(percent(o.churnRisk))"),
        ]
        if o.isHighRisk { children.append(.tag("span", [.init("class", "badge")], text: "high risk")) }
        if let best = o.recommendations.first {
            children.append(
                .tag(
                    "div", [.init("class", "action")],
                    text: "\(best.actionName): expected value \(best.expectedValue >= 0 ? "+" : "−")"
                        + "\(money(abs(best.expectedValue))) (80% between \(signed(best.valueLow)) and "
                        + "\(signed(best.valueHigh)); best with probability \(percent(best.probabilityBest)); cost "
                        + "\(money(best.cost)); \(best.evidence.tookCount) of \(best.evidence.neighbourCount) similar "
                        + "partners took it)"))
            if best.probabilityBest < ActionPlan.closeCallThreshold {
                children.append(.tag("span", [.init("class", "badge")], text: "too close to call: explore"))
            }
        }
        if let explore = o.exploreActionID, let r = o.ranked.first(where: { $0.actionID == explore }) {
            children.append(
                .tag(
                    "div", [.init("class", "action")],
                    text: "explore: try \(r.actionName) (best with probability \(percent(r.probabilityBest)))"))
        }
        return .tag("li", [], children)
    }

    static func signed(_ value: Double) -> String { (value >= 0 ? "+" : "−") + money(abs(value)) }

    static func todoSection(_ report: ChannelReport) -> Markup {
        let plan = report.actions
        let cards = plan.todos.map { todo -> Markup in
            let high = todo.items.count { $0.outlook.isHighRisk }
            var children: [Markup] = [
                .tag("h3", text: "\(todo.managerID) · \(todo.items.count) partners" + (high > 0 ? ", \(high) at high risk" : "")),
                .tag("ol", [], todo.items.prefix(todoShown).map(todoItem)),
            ]
            if todo.items.count > todoShown {
                children.append(
                    .tag(
                        "details", [],
                        [
                            .tag("summary", text: "\(todo.items.count - todoShown) more"),
                            .tag("ol", [.init("start", "\(todoShown + 1)")], todo.items.dropFirst(todoShown).map(todoItem)),
                        ]))
            }
            return .tag("div", [.init("class", "todo")], children)
        }
        let s = plan.settings
        return section(
            "todo", "6. Channel managers' to-do lists",
            [
                paragraph(
                    "For each manager, the active partners they look after: those at high churn risk (at least "
                        + "\(percent(s.highRiskThreshold, 0)) a month) first, by risk, then the others by the expected value "
                        + "of their best next action over \(s.horizonPeriods) months (revenue change + retention change − "
                        + "cost, from the match and churn models), as of \(plan.asOf.dateDescription). "
                        + "\(count(plan.partners.count)) partners listed; \(count(plan.skipped.count)) left out (already "
                        + "churned or with no eligible action)."),
                .tag("div", [.init("class", "todos")], cards),
            ])
    }

    /// 7. The lead-score model, term by term: its shape, how inner cross-validation chose it, and each term's shape
    /// function (the log-odds it adds), so a channel manager sees what raises or lowers a lead's score.
    static func leadModelSection(_ report: ChannelReport, number: Int = 7) -> Markup {
        guard let lead = report.leadModel else { return .text("") }
        var children: [Markup] = [
            paragraph(
                "The lead score of \(lead.source) (P(\(lead.target) = \(lead.positive)), trained on \(count(lead.trainingRows)) "
                    + "rows) is a sum of one term per column, plus pairs where they help: its log-odds is the intercept plus "
                    + "the values read off the curves and bars below, so every score is explained exactly, factor by "
                    + "factor, as switchboard predict --explain lists them. Model: \(lead.shape)"
                    + (lead.crossValidatedAUC.map { "; cross-validated ROC AUC \(fixed($0, 4))." } ?? "."))
        ]
        if let selection = lead.selection {
            children.append(
                .tag(
                    "table", [.init("class", "data")],
                    [
                        .tag(
                            "tr", [],
                            [
                                .tag("th", text: "candidate (inner \(selection.innerFolds)-fold CV)"),
                                .tag("th", text: "held-out log loss"), .tag("th", text: "held-out ROC AUC"),
                            ])
                    ]
                        + selection.candidates.map { candidate in
                            .tag(
                                "tr", candidate.settings == selection.chosen ? [.init("class", "chosen")] : [],
                                [
                                    .tag("td", text: candidate.settings.summary),
                                    .tag("td", text: fixed(candidate.heldOutLogLoss, 4)),
                                    .tag("td", text: fixed(candidate.heldOutAUC, 4)),
                                ])
                        }))
            if let r = selection.recalibration {
                children.append(
                    paragraph(
                        "Recalibrated: the fitted log-odds × \(fixed(r.slope, 3)) \(r.offset < 0 ? "−" : "+") "
                            + "\(fixed(abs(r.offset), 3)) (a Platt map fitted on the inner folds' held-out scores; cross-fitted "
                            + "held-out log loss \(fixed(r.heldOutLogLossBefore, 4)) → \(fixed(r.heldOutLogLossAfter, 4))). The "
                            + "curves below already include it."))
            }
            if let calibration = selection.heldOutCalibration {
                children.append(
                    paragraph(
                        "Held-out calibration: every row of the inner cross-validation, scored by the fold model that "
                            + "left it out\(selection.recalibration == nil ? "" : " and recalibrated by a map fitted on the other folds"): "
                            + "expected calibration error \(fixed(calibration.expectedCalibrationError, 4)) over "
                            + "\(calibration.binCount) equal-width bins (0 when every predicted probability is the observed rate)."))
                children.append(
                    .tag(
                        "table", [.init("class", "data")],
                        [
                            .tag(
                                "tr", [],
                                [
                                    .tag("th", text: "predicted"), .tag("th", text: "rows"),
                                    .tag("th", text: "mean predicted"), .tag("th", text: "observed rate"),
                                ])
                        ]
                            + calibration.bins.map { bin in
                                .tag(
                                    "tr", [],
                                    [
                                        .tag("td", text: "\(fixed(bin.lower, 1))–\(fixed(bin.upper, 1))"),
                                        .tag("td", text: count(Int(bin.count))),
                                        .tag("td", text: fixed(bin.meanPredicted, 4)),
                                        .tag("td", text: fixed(bin.observedRate, 4)),
                                    ])
                            }))
            }
        }
        children.append(
            figure(
                "Shape functions: the log-odds each term adds (curves for numbers over their training range, bars for "
                    + "categories and cells; each panel scaled to its own largest value, printed at its right)",
                .tag("div", [.init("class", "shapes")], [ShapeChart.markup(lead.shapes)]), wide: true))
        return section("lead-score", "\(number). What drives the lead score", children)
    }

    static func footer(_ report: ChannelReport) -> Markup {
        .tag(
            "footer", [],
            [
                paragraph(
                    "Made by switchboard report. Everything on this page is computed from the files named above and the two "
                        + "model files; it needs no network to open.")
            ])
    }

    // MARK: - Style

    static let styleSheet = """
        :root { color-scheme: light; }
        * { box-sizing: border-box; }
        body { margin: 0; background: #f4f5f7; color: #222; font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
        main { max-width: 1220px; margin: 0 auto; padding: 24px 28px 40px; }
        h1 { font-size: 28px; margin: 0 0 6px; }
        h2 { font-size: 20px; margin: 0 0 10px; padding-bottom: 6px; border-bottom: 2px solid #0072B2; }
        h3 { font-size: 14px; margin: 0 0 6px; }
        p { margin: 6px 0 10px; max-width: 1100px; }
        .lede { font-size: 15px; }
        .sources, .note { color: #555; font-size: 12.5px; }
        nav a { margin-right: 16px; color: #0072B2; text-decoration: none; font-weight: 600; }
        header { margin-bottom: 18px; }
        section { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 18px 20px; margin: 18px 0; }
        .cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 14px 0; }
        .card { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 10px 14px; min-width: 170px; flex: 1; }
        .card .value { font-size: 24px; font-weight: 700; color: #0072B2; }
        .card .label { font-weight: 600; }
        .card .detail { color: #666; font-size: 12px; }
        .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 14px 20px; margin-top: 12px; }
        figure { margin: 0; min-width: 0; }
        figure.wide { grid-column: 1 / -1; }
        figcaption { font-weight: 600; margin-bottom: 4px; }
        svg { max-width: 100%; height: auto; display: block; }
        table.data { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0; }
        table.data th, table.data td { padding: 5px 8px; border-bottom: 1px solid #e6e8eb; text-align: left; vertical-align: top; }
        table.data th { background: #f0f2f5; font-weight: 600; }
        table.data .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        table.data th.num { white-space: normal; }
        table.data tbody tr:nth-child(even) { background: #fafbfc; }
        table.data tr.chosen td { font-weight: 600; }
        .shapes { overflow-x: auto; }
        .riskcell { display: flex; align-items: center; gap: 8px; min-width: 160px; }
        .riskcell .track { display: block; width: 110px; height: 12px; background: #f3e6e0; border-radius: 3px; overflow: hidden; }
        .riskcell .bar { display: block; height: 100%; background: #D55E00; }
        .riskcell .figure { font-weight: 600; font-variant-numeric: tabular-nums; }
        .stack { display: flex; flex-direction: column; gap: 14px; }
        .factor { display: inline-block; margin: 1px 6px 1px 0; padding: 0 6px; border-radius: 10px; font-size: 12px; white-space: nowrap; }
        .factor.up { background: #fbe3d6; color: #8a3300; }
        .factor.down { background: #d8f0e6; color: #00583f; }
        .todos { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 12px; }
        .todo { border: 1px solid #dde1e6; border-radius: 8px; padding: 10px 12px; background: #fbfcfd; }
        .todo ol { margin: 0; padding-left: 22px; }
        .todo li { margin: 0 0 6px; font-size: 13px; }
        .todo .action { color: #444; font-size: 12px; }
        .badge { display: inline-block; margin-left: 6px; padding: 0 6px; border-radius: 8px; background: #D55E00; color: #fff; font-size: 11px; font-weight: 600; }
        details summary { cursor: pointer; color: #0072B2; font-size: 12.5px; margin: 2px 0 4px; }
        footer { color: #666; font-size: 12px; margin-top: 10px; }
        """
}
