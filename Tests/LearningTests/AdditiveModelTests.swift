import Foundation
import LinearAlgebra
import Testing
@testable import Learning
import TestSupport

/// B_{i,p}(x) by the Cox–de Boor recursion straight from its definition (0/0 taken as 0), the right end of the last
/// non-empty span included: the slow reference for `BSplineBasis`.
private func deBoor(_ knots: [Double], _ i: Int, _ p: Int, _ x: Double) -> Double {
    if p == 0 {
        let lastSpan = knots.lastIndex { $0 < knots.last! }!
        if knots[i] <= x && x < knots[i + 1] { return 1 }
        return x == knots.last! && i == lastSpan ? 1 : 0
    }
    var value = 0.0
    let left = knots[i + p] - knots[i], right = knots[i + p + 1] - knots[i + 1]
    if left > 0 { value += (x - knots[i]) / left * deBoor(knots, i, p - 1, x) }
    if right > 0 { value += (knots[i + p + 1] - x) / right * deBoor(knots, i + 1, p - 1, x) }
    return value
}

private func table(_ columns: [(String, [String])], source: String = "data.csv") -> CSVTable {
    let rows = columns.first?.1.count ?? 0
    return CSVTable(
        source: source, header: columns.map(\.0), columns: columns.map(\.1), recordLines: (0..<rows).map { $0 + 2 })
}

@Suite("Additive models: splines, penalties, dates, interactions, explanations")
struct AdditiveModelTests {
    @Test(arguments: [(1 as UInt64, 0), (2, 1), (3, 2), (4, 3), (5, 3)])
    func splineBasisMatchesTheCoxDeBoorRecursion(seed: UInt64, degree: Int) {
        var rng = SeededGenerator(seed: seed)
        let lower = rng.uniform(-5, 0), upper = rng.uniform(1, 6)
        let interior = (0..<Int(rng.uniform(0, 7))).map { _ in rng.uniform(lower, upper) }.sorted()
        let basis = BSplineBasis(lower: lower, upper: upper, interior: Array(Set(interior)).sorted(), degree: degree)
        var points = (0..<200).map { _ in rng.uniform(lower, upper) }
        points += [lower, upper] + basis.knots
        for x in points {
            let fast = basis.values(at: x)
            let slow = (0..<basis.count).map { deBoor(basis.knots, $0, degree, x) }
            #expect(maxAbsDifference(fast, slow) < 1e-12, "x = \(x)")
            #expect(abs(fast.reduce(0, +) - 1) < 1e-12, "partition of unity at \(x)")
            #expect(fast.allSatisfy { $0 >= 0 })
        }
        // Outside the range the basis is that of the nearest end.
        #expect(basis.values(at: lower - 3) == basis.values(at: lower))
        #expect(basis.values(at: upper + 3) == basis.values(at: upper))
    }

    @Test func quantileKnotsAreDistinctAndInside() throws {
        let values = [1.0, 1, 1, 1, 2, 2, 3, 50, 50, 50, 50, 50]
        let basis = try #require(BSplineBasis.quantiles(of: values, interiorCount: 6, degree: 3))
        let interior = Array(basis.knots[4..<(basis.knots.count - 4)])
        #expect(interior == interior.sorted() && Set(interior).count == interior.count)
        #expect(interior.allSatisfy { $0 > 1 && $0 < 50 })
        #expect(BSplineBasis.quantiles(of: [3, 3, 3], interiorCount: 4, degree: 3) == nil)
    }

    @Test(arguments: [0, 1, 2, 3])
    func differencePenaltyGradientAndHessianMatchFiniteDifferences(order: Int) throws {
        var rng = SeededGenerator(seed: 70 + UInt64(order))
        let n = 60, d = 9
        let design = try Matrix(rowCount: n, columnCount: d, storage: (0..<(n * d)).map { _ in rng.uniform(-1, 1) })
        let labels = (0..<n).map { _ in rng.uniform(0, 1) < 0.4 }
        let penalties = [
            DifferencePenalty(offset: 1, width: 6, order: order, strength: 0.7),
            DifferencePenalty(offset: 5, width: 4, order: 0, strength: 0.3),
        ]
        let objective = try LogisticObjective(design: design, labels: labels, l2Strength: 0.01, penalties: penalties)
        let theta = (0..<(d + 1)).map { _ in rng.uniform(-1, 1) }
        var gradient = [Double](repeating: 0, count: d + 1)
        var hessian = Matrix<Double>(rowCount: d + 1, columnCount: d + 1)
        _ = objective.value(at: theta, gradient: &gradient, hessian: &hessian)
        let h = 1e-5
        for j in 0...d {
            var plus = theta, minus = theta
            plus[j] += h
            minus[j] -= h
            let numeric = (objective.value(at: plus) - objective.value(at: minus)) / (2 * h)
            #expect(abs(numeric - gradient[j]) < 1e-7, "∂f/∂θ\(j): \(numeric) vs \(gradient[j])")
            var gPlus = gradient, gMinus = gradient
            _ = objective.value(at: plus, gradient: &gPlus)
            _ = objective.value(at: minus, gradient: &gMinus)
            for k in 0...d {
                let second = (gPlus[k] - gMinus[k]) / (2 * h)
                #expect(abs(second - hessian[k, j]) < 1e-6, "∂²f/∂θ\(k)∂θ\(j)")
            }
        }
        // The penalty itself, summed naively: (μ/2)·Σ (Δᵒβ)².
        let plain = try LogisticObjective(design: design, labels: labels, l2Strength: 0.01)
        var expected = plain.value(at: theta)
        for penalty in penalties {
            var block = Array(theta[penalty.offset..<(penalty.offset + penalty.width)])
            for _ in 0..<penalty.order { block = zip(block.dropFirst(), block).map { $0 - $1 } }
            expected += 0.5 * penalty.strength * block.reduce(0) { $0 + $1 * $1 }
        }
        #expect(abs(objective.value(at: theta) - expected) < 1e-12)
    }

    /// The sparse sweep (non-zeros row by row) against the dense BLAS one and against finite differences, on a design
    /// shaped like an additive model's: a few non-zeros per row, sample weights and difference penalties.
    @Test(arguments: [81 as UInt64, 82])
    func theSparseSweepMatchesTheDenseOneAndFiniteDifferences(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let n = 300, d = 70
        var storage = [Double](repeating: 0, count: n * d)
        for i in 0..<n {
            for _ in 0..<6 { storage[i * d + Int(rng.uniform(0, Double(d) - 1e-9))] = rng.uniform(-2, 2) }
        }
        let design = try Matrix(rowCount: n, columnCount: d, storage: storage)
        let labels = (0..<n).map { _ in rng.uniform(0, 1) < 0.3 }
        let weights = (0..<n).map { _ in rng.uniform(0.2, 2) }
        let penalties = [DifferencePenalty(offset: 3, width: 12, order: 2, strength: 0.5)]
        #expect(SparseRows.pays(for: design))
        func objective(_ sparse: Bool, workers: Int) throws -> LogisticObjective {
            try LogisticObjective(
                design: design, labels: labels, sampleWeights: weights, l2Strength: 0.01, fitsIntercept: true,
                penalties: penalties, workerCount: workers, sparse: sparse)
        }
        let dense = try objective(false, workers: 1), sparse = try objective(true, workers: 2)
        #expect(sparse.sparseRows != nil && dense.sparseRows == nil)
        let theta = (0..<(d + 1)).map { _ in rng.uniform(-0.5, 0.5) }
        var gDense = [Double](repeating: 0, count: d + 1), gSparse = gDense
        var hDense = Matrix<Double>(rowCount: d + 1, columnCount: d + 1), hSparse = hDense
        let fDense = dense.value(at: theta, gradient: &gDense, hessian: &hDense)
        let fSparse = sparse.value(at: theta, gradient: &gSparse, hessian: &hSparse)
        #expect(abs(fDense - fSparse) < 1e-12)
        for j in 0...d {
            #expect(abs(gDense[j] - gSparse[j]) < 1e-12, "∂f/∂θ\(j)")
            for k in 0...d { #expect(abs(hDense[j, k] - hSparse[j, k]) < 1e-12, "∂²f/∂θ\(j)∂θ\(k)") }
        }
        let h = 1e-5
        for j in [0, 5, 40, d] {
            var plus = theta, minus = theta
            plus[j] += h
            minus[j] -= h
            let numeric = (sparse.value(at: plus) - sparse.value(at: minus)) / (2 * h)
            #expect(abs(numeric - gSparse[j]) < 1e-7, "∂f/∂θ\(j): \(numeric) vs \(gSparse[j])")
        }
        // Fitted from zero, both sweeps reach the same optimum to the solver's tolerance.
        let configuration = LogisticRegressionConfiguration(l2Strength: 0.01, solver: .newton, penalties: penalties)
        let viaDense = try NewtonSolver.minimize(dense, options: configuration.options)
        let viaSparse = try NewtonSolver.minimize(sparse, options: configuration.options)
        for j in 0...d { #expect(abs(viaDense.parameters[j] - viaSparse.parameters[j]) < 1e-6) }
    }

    /// A design given only by its non-zeros (the final additive fit's path) gives the same objective, fit, margins and
    /// density decision as the same rows built dense, and `AdditiveFit.sparseRows` holds `appendingCells`' non-zeros.
    @Test(arguments: [83 as UInt64, 84])
    func sparseRowsFitAsTheirDenseDesign(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let n = 400, baseWidth = 40
        var storage = [Double](repeating: 0, count: n * baseWidth)
        for i in 0..<n {
            for _ in 0..<5 { storage[i * baseWidth + Int(rng.uniform(0, Double(baseWidth) - 1e-9))] = rng.uniform(-2, 2) }
        }
        let base = try Matrix(rowCount: n, columnCount: baseWidth, storage: storage)
        let widths = [12, 21]
        let cells = widths.map { width in (0..<n).map { _ in Int(rng.uniform(0, Double(width) - 1e-9)) } }
        let interactions = widths.map { width in
            InteractionEncoding(
                first: InteractionSide(name: "a", categories: ["x", "y"]),
                second: InteractionSide(name: "b", categories: (1..<(width / 3)).map { "\($0)" }))
        }
        let settings = AdditiveSettings(splineKnots: 4, interactions: interactions)
        #expect(settings.interactions.map(\.width) == widths)
        let dense = AdditiveFit.appendingCells(base, cells: cells, rows: Array(0..<n), settings: settings)
        let sparse = AdditiveFit.sparseRows(base, cells: cells, widths: widths)
        let d = dense.columnCount
        #expect(sparse.rowCount == n && sparse.dense(columnCount: d).storage == dense.storage)
        #expect(sparse.pays(columnCount: d) == SparseRows.pays(for: dense))
        let labels = (0..<n).map { _ in rng.uniform(0, 1) < 0.35 }
        let configuration = LogisticRegressionConfiguration(
            l2Strength: 0.01, penalties: [DifferencePenalty(offset: baseWidth, width: widths[0], order: 0, strength: 0.2)])
        let start = (0...d).map { _ in rng.uniform(-0.1, 0.1) }
        let viaDense = try LogisticRegression.fit(design: dense, labels: labels, configuration: configuration, start: start)
        let viaSparse = try LogisticRegression.fit(
            sparseRows: sparse, columnCount: d, labels: labels, configuration: configuration, start: start)
        #expect(viaDense.report.iterations == viaSparse.report.iterations)
        for j in 0..<d {
            #expect(abs(viaDense.model.coefficients[j] - viaSparse.model.coefficients[j]) < 1e-12, "w\(j)")
        }
        #expect(abs(viaDense.model.intercept - viaSparse.model.intercept) < 1e-12)
        let margins = try viaSparse.model.margins(for: dense)
        for (a, b) in zip(margins, viaSparse.model.margins(for: sparse)) { #expect(abs(a - b) < 1e-12) }
    }

    @Test func aPenaltyOutsideTheCoefficientsIsRefused() {
        let design = Matrix<Double>(rowCount: 2, columnCount: 3)
        #expect(throws: LearningError.self) {
            try LogisticObjective(
                design: design, labels: [true, false], l2Strength: 0,
                penalties: [DifferencePenalty(offset: 2, width: 2, order: 2, strength: 1)])
        }
    }

    @Test func calendarDaysMatchCountingDayByDay() {
        // Count days from 1970-01-01 one at a time up to 2030, checking parse, civil and weekday on the way.
        var year = 1970, month = 1, day = 1, count = 0, weekday = 3  // a Thursday
        while year < 2031 {
            let text = "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
            if count % 97 == 0 || (month == 2 && day >= 28) {
                #expect(CalendarDay.parse(text[...]) == count, "\(text)")
                #expect(CalendarDay.parse("\(text) 13:45:00"[...]) == count)
            }
            let civil = CalendarDay.civil(count)
            #expect(civil.year == year && civil.month == month && civil.day == day)
            #expect(CalendarDay.weekday(count) == weekday)
            count += 1
            weekday = (weekday + 1) % 7
            day += 1
            if day > CalendarDay.daysIn(month: month, year: year) {
                day = 1
                month += 1
                if month > 12 { month = 1; year += 1 }
            }
        }
        for bad in ["2024-02-30", "2023-02-29", "2024-13-01", "2024-1-01", "20240101", "2024-01-01x", "abcd-ef-gh"] {
            #expect(CalendarDay.parse(bad[...]) == nil, "\(bad)")
        }
        #expect(CalendarDay.parse("2024-02-29"[...]) != nil)
    }

    @Test func aDateColumnBecomesMonthWeekdayDayAndAge() throws {
        let dates = (0..<30).map { "2024-0\(1 + $0 % 9)-\(10 + $0 % 19)" }
        let data = table([("signed", dates), ("y", (0..<30).map { $0 % 3 == 0 ? "yes" : "no" })])
        let (schema, notes) = try TabularEncoder.fit(table: data, excluding: "y", options: ColumnOptions())
        #expect(notes.dateColumns == ["signed"])
        guard case let .date(encoding) = schema.columns.first else {
            Issue.record("not a date column: \(schema.columns)")
            return
        }
        #expect(encoding.referenceDay == CalendarDay.parse("2024-09-27"[...]))
        #expect(schema.featureCount == 12 + 7 + 2 + 2)
        let (design, _) = try TabularEncoder.encode(data, schema: schema)
        // Row 0 is 2024-01-10, a Wednesday.
        let names = schema.featureNames
        #expect(design[0, names.firstIndex(of: "signed:month=jan")!] == 1)
        #expect(design[0, names.firstIndex(of: "signed:weekday=wed")!] == 1)
        let bad = table([("signed", ["2024-02-30"] + dates.dropFirst()), ("y", data.columns[1])])
        #expect(throws: TabularError.notADate(file: "data.csv", line: 2, column: "signed", value: "2024-02-30")) {
            try TabularEncoder.encode(bad, schema: schema)
        }
    }

    @Test func aNumericIdentifierIsLeftOutWithAWarning() throws {
        let data = table([
            ("Lead Number", (0..<30).map { "\(660_000 + 7 * $0)" }), ("visits", (0..<30).map { "\($0 % 4)" }),
            ("y", (0..<30).map { $0 % 2 == 0 ? "yes" : "no" }),
        ])
        let (schema, notes) = try TabularEncoder.fit(table: data, excluding: "y", options: ColumnOptions())
        #expect(schema.columns.map(\.name) == ["visits"])
        #expect(notes.numericIdentifierColumns == ["Lead Number"])
        #expect(notes.warnings.contains { $0.contains("'Lead Number'") && $0.contains("--numeric") })
        let kept = try TabularEncoder.fit(table: data, excluding: "y", options: ColumnOptions(numeric: ["Lead Number"]))
        #expect(kept.schema.columns.map(\.name) == ["Lead Number", "visits"])
    }

    /// Rows with two independent numeric inputs and two categorical ones; the log-odds hold main effects and, when
    /// `planted`, a strong effect on the cells of (region, channel).
    static func generated(rows: Int, planted: Bool, seed: UInt64) -> CSVTable {
        var rng = SeededGenerator(seed: seed)
        let regions = ["north", "south", "east", "west"], channels = ["web", "phone", "partner"]
        var columns: [[String]] = [[], [], [], [], []]
        for _ in 0..<rows {
            let age = rng.uniform(20, 70), income = rng.uniform(0, 10)
            let region = Int(rng.uniform(0, 4)), channel = Int(rng.uniform(0, 3))
            var logOdds: Double = -1 + 0.04 * (age - 45)
            logOdds += 0.8 * sin(income) + (region == 1 ? 0.3 : 0)
            if planted { logOdds += (region + channel) % 2 == 0 ? 1.2 : -1.2 }
            let y = rng.uniform(0, 1) < 1 / (1 + exp(-logOdds))
            columns[0].append(shortText(age))
            columns[1].append(shortText(income))
            columns[2].append(regions[region])
            columns[3].append(channels[channel])
            columns[4].append(y ? "yes" : "no")
        }
        return CSVTable(
            source: "generated.csv", header: ["age", "income", "region", "channel", "y"], columns: columns,
            recordLines: (0..<rows).map { $0 + 2 })
    }

    static func shortText(_ x: Double) -> String { "\((x * 1000).rounded() / 1000)" }

    @Test func screeningRecoversAPlantedPair() throws {
        let data = Self.generated(rows: 4000, planted: true, seed: 11)
        let request = TabularTrainingRequest(target: "y", shape: .auto)
        let result = try TabularTrainer.train(data, request: request)
        let selection = try #require(result.model.training.shapeSelection)
        #expect(selection.pairs.first.map { [$0.first, $0.second] } == ["region", "channel"])
        let chosen = result.model.schema.interactions ?? []
        #expect(chosen.map(\.name).contains("region × channel"), "\(selection.chosen.summary)")
        #expect(result.model.header.version == 2)
    }

    @Test(arguments: [21 as UInt64, 22])
    func screeningPicksNoPairWhenThereIsNone(seed: UInt64) throws {
        let data = Self.generated(rows: 4000, planted: false, seed: seed)
        let result = try TabularTrainer.train(data, request: TabularTrainingRequest(target: "y", shape: .additive))
        #expect((result.model.schema.interactions ?? []).isEmpty, "\(result.model.training.settings?.summary ?? "")")
        // The splines find sin(income): they beat the plain model on held-out rows.
        let selection = try #require(result.model.training.shapeSelection)
        #expect(selection.chosen.splineKnots != nil)
    }

    @Test(arguments: [61 as UInt64, 62])
    func autoKeepsThePlainModelOnLinearData(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var columns: [[String]] = [[], [], [], []]
        for _ in 0..<3000 {
            let x = rng.uniform(-2, 2), z = rng.uniform(0, 5), group = Int(rng.uniform(0, 3))
            let logOdds = 0.8 * x - 0.3 * z + [0.0, 0.4, -0.4][group]
            columns[0].append(Self.shortText(x))
            columns[1].append(Self.shortText(z))
            columns[2].append(["a", "b", "c"][group])
            columns[3].append(rng.uniform(0, 1) < 1 / (1 + exp(-logOdds)) ? "yes" : "no")
        }
        let data = CSVTable(
            source: "linear.csv", header: ["x", "z", "group", "y"], columns: columns, recordLines: (0..<3000).map { $0 + 2 })
        let model = try TabularTrainer.train(data, request: TabularTrainingRequest(target: "y", shape: .auto)).model
        let selection = try #require(model.training.shapeSelection)
        #expect(selection.chosen == .linear, "\(selection.candidates.map { ($0.settings.summary, $0.heldOutLogLoss) })")
        #expect(!model.schema.isAdditive && model.header.version == 2)
    }

    @Test func theAdditiveModelBeatsThePlainOneOnHeldOutRowsOfCurvedData() throws {
        let train = Self.generated(rows: 4000, planted: true, seed: 31),
            test = Self.generated(rows: 4000, planted: true, seed: 32)
        let labels = try TabularEncoder.labels(
            in: test, target: TargetSpecification(column: "y", positive: "yes", negative: "no"))
        func auc(_ shape: ModelShape) throws -> Double {
            let model = try TabularTrainer.train(train, request: TabularTrainingRequest(target: "y", shape: shape)).model
            return try Metrics.rocAUC(labels: labels, scores: try model.probabilities(for: test).probabilities)
        }
        let plain = try auc(.linear), additive = try auc(.auto)
        #expect(additive > plain + 0.03, "additive \(additive) vs plain \(plain)")
    }

    @Test func explanationsSumExactlyToTheLogOdds() throws {
        let data = Self.generated(rows: 1500, planted: true, seed: 41)
        let dates = (0..<1500).map { "2023-\($0 % 12 < 9 ? "0" : "")\($0 % 12 + 1)-\(10 + $0 % 17)" }
        let withDate = CSVTable(
            source: data.source, header: data.header + ["signed"], columns: data.columns + [dates],
            recordLines: data.recordLines)
        let request = TabularTrainingRequest(target: "y", shape: .additive, interactions: 1)
        let model = try TabularTrainer.train(withDate, request: request).model
        #expect(model.schema.isAdditive)
        let (rows, _) = try model.explanations(for: withDate)
        let (design, _) = try TabularEncoder.encode(withDate, schema: model.schema)
        let margins = try model.regression.margins(for: design)
        for (row, explanation) in rows.enumerated() {
            #expect(abs(explanation.logOdds - margins[row]) < 1e-12 * max(1, abs(margins[row])), "row \(row)")
        }
        #expect(rows[0].terms.map(\.term).contains("signed month"))
        #expect(rows[0].terms.contains { $0.term == "region × channel" && $0.description.hasPrefix("region=") })
        let top = rows[0].top(3)
        #expect(top.count == 3 && abs(top[0].value) >= abs(top[1].value) && abs(top[1].value) >= abs(top[2].value))
        // Centred terms: each spline's mean contribution over the training rows is zero.
        let ageMean = rows.map { $0.terms.first { $0.term == "age" }!.value }.reduce(0, +) / Double(rows.count)
        #expect(abs(ageMean) < 1e-9)
        let shapes = model.shapeFunctions()
        #expect(shapes.map(\.term) == rows[0].terms.map(\.term))
    }

    @Test func anAdditiveModelRoundTripsThroughItsFileAndAPlainOneStaysVersionOne() throws {
        let data = Self.generated(rows: 600, planted: true, seed: 51)
        let additive = try TabularTrainer.train(data, request: TabularTrainingRequest(target: "y", shape: .additive)).model
        let bytes = try ModelFile.encode(additive)
        let decoded = try ModelFile.decode(TabularModel.self, from: bytes, file: "m.json")
        var stamped = additive
        stamped.header.checksum = decoded.header.checksum
        #expect(decoded == stamped)
        #expect(decoded.header.version == 2)
        #expect(try decoded.probabilities(for: data).probabilities == additive.probabilities(for: data).probabilities)
        let plain = try TabularTrainer.train(data, request: TabularTrainingRequest(target: "y")).model
        #expect(plain.header.version == 1)
        let text = String(decoding: try ModelFile.encode(plain), as: UTF8.self)
        #expect(!text.contains("interactions") && !text.contains("shapeSelection"))
    }
}
