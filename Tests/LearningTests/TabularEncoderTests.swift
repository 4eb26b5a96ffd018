import LinearAlgebra
import Testing
@testable import Learning
import TestSupport

// MARK: - Helpers

private func table(_ text: String, source: String = "data.csv") throws -> CSVTable {
    try CSVTable(parsing: Array(text.utf8), source: source)
}

/// A table from columns given in code; record i is on line i + 2 (one header line, one line a record).
private func table(_ columns: KeyValuePairs<String, [String]>, source: String = "data.csv") -> CSVTable {
    let rows = columns.first?.value.count ?? 0
    return CSVTable(
        source: source, header: columns.map(\.key), columns: columns.map(\.value),
        recordLines: (0..<rows).map { $0 + 2 })
}

/// The design column called `name`.
private func designColumn(_ design: Matrix<Double>, _ schema: TabularSchema, _ name: String) -> [Double] {
    guard let index = schema.featureNames.firstIndex(of: name) else {
        Issue.record("no feature '\(name)' in \(schema.featureNames)")
        return []
    }
    return (0..<design.rowCount).map { design[$0, index] }
}

private func numericEncoding(_ schema: TabularSchema, _ name: String) -> NumericEncoding? {
    for case let .numeric(encoding) in schema.columns where encoding.name == name { return encoding }
    return nil
}

private func categoricalEncoding(_ schema: TabularSchema, _ name: String) -> CategoricalEncoding? {
    for case let .categorical(encoding) in schema.columns where encoding.name == name { return encoding }
    return nil
}

/// Checks that `error` reads like a diagnostic: the file first, then `:<line>:` and the quoted column when known.
private func expectDescribes(
    _ error: (any Error)?, file: String, line: Int? = nil, column: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error else { return }
    let text = "\(error)"
    #expect(text.hasPrefix(file), "'\(text)' should start with the file name", sourceLocation: sourceLocation)
    if let line {
        #expect(text.hasPrefix("\(file):\(line):"), "'\(text)' should give line \(line)", sourceLocation: sourceLocation)
    }
    if let column {
        #expect(text.contains("'\(column)'"), "'\(text)' should name column '\(column)'", sourceLocation: sourceLocation)
    }
}

/// A CSV whose first record holds a quoted field spanning three physical lines, so that record lines and row
/// indices disagree: the records start on lines 2, 5, 6, 7.
private let multiLineCSV = """
    id,note,amount,color
    1,"first line
    second line
    third line",10.5,red
    2,plain,,blue
    3,"quoted, with comma",7,
    4,last,8.25,red

    """

// MARK: - Tests

@Suite("Tabular encoding")
struct TabularEncoderTests {

    // MARK: Column kinds

    @Test func numericAndCategoricalColumnsAreDetected() throws {
        let data = try table(
            """
            count,ratio,signed,code,word,target
            1,0.5,-3,A1,red,yes
            2, 1.25 ,+4,B2,green,no
            3,1e-3,0,C3,blue,yes
            4,2.5E2,-0.5,D4,red,no

            """)
        let (schema, notes) = try TabularEncoder.fit(table: data, excluding: "target", options: ColumnOptions())
        #expect(schema.columns.map(\.name) == ["count", "ratio", "signed", "code", "word"])
        for name in ["count", "ratio", "signed"] { #expect(numericEncoding(schema, name) != nil, "\(name) is numeric") }
        for name in ["code", "word"] { #expect(categoricalEncoding(schema, name) != nil, "\(name) is categorical") }
        #expect(notes == EncodingNotes())
        #expect(
            schema.featureNames == [
                "count", "ratio", "signed", "code=A1", "code=B2", "code=C3", "code=D4",
                "word=blue", "word=green", "word=red",
            ])
        #expect(schema.featureCount == 10)
    }

    @Test func hexadecimalTextIsNotANumber() throws {
        let data = table(["value": ["0x10", "0x20", "0x30"], "y": ["1", "0", "1"]])
        let (schema, _) = try TabularEncoder.fit(table: data, excluding: "y", options: ColumnOptions())
        #expect(categoricalEncoding(schema, "value")?.categories == ["0x10", "0x20", "0x30"])
    }

    // MARK: Standardisation

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func standardisationMatchesANaiveMeanAndPopulationDeviation(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let rows = 2 + Int(rng.next() % 300)
        let offset = rng.uniform(-1e4, 1e4), spread = rng.uniform(1e-3, 1e3)
        let wide = (0..<rows).map { _ in offset + spread * rng.nextGaussian() }
        let small = (0..<rows).map { _ in rng.uniform(-1, 1) }
        let data = table(["wide": wide.map { "\($0)" }, "small": small.map { "\($0)" }])
        let (schema, _) = try TabularEncoder.fit(table: data, excluding: nil, options: ColumnOptions())
        let (design, _) = try TabularEncoder.encode(data, schema: schema)
        #expect(design.rowCount == rows && design.columnCount == 2)

        for (name, values) in [("wide", wide), ("small", small)] {
            var sum = 0.0
            for v in values { sum += v }
            let mean = sum / Double(rows)
            var squares = 0.0
            for v in values { squares += (v - mean) * (v - mean) }
            let deviation = (squares / Double(rows)).squareRoot()

            let encoding = try #require(numericEncoding(schema, name))
            #expect(isClose(encoding.mean, mean, absolute: 1e-12, relative: 1e-12), "\(name) mean")
            #expect(isClose(encoding.scale, deviation, absolute: 1e-12, relative: 1e-10), "\(name) scale")
            #expect(encoding.imputedValue == nil && !encoding.hasMissingIndicator)

            let encoded = designColumn(design, schema, name)
            let expected = values.map { ($0 - mean) / deviation }
            #expect(maxAbsDifference(encoded, expected) <= 1e-9, "\(name) encoded values")
            // Standardised: mean 0, population deviation 1.
            let encodedMean = encoded.reduce(0, +) / Double(rows)
            let encodedDeviation = (encoded.map { ($0 - encodedMean) * ($0 - encodedMean) }.reduce(0, +) / Double(rows))
                .squareRoot()
            #expect(abs(encodedMean) <= 1e-9)
            #expect(isClose(encodedDeviation, 1, absolute: 1e-9))
        }
    }

    @Test(arguments: ["5", "-2.5", "0", "123456.75"])
    func aConstantColumnGetsScaleOne(value: String) throws {
        let data = table(["constant": Array(repeating: value, count: 30), "other": (0..<30).map { "\($0)" }])
        let (schema, _) = try TabularEncoder.fit(table: data, excluding: nil, options: ColumnOptions())
        let encoding = try #require(numericEncoding(schema, "constant"))
        #expect(encoding.mean == Double(value)!)
        #expect(encoding.scale == 1)
        let (design, _) = try TabularEncoder.encode(data, schema: schema)
        #expect(designColumn(design, schema, "constant").allSatisfy { $0 == 0 })
    }

    // MARK: One-hot encoding

    @Test func categoriesAreOneHotEncodedInSortedOrder() throws {
        let data = table([
            "size": ["1", "2", "3", "4", "5"],
            "color": ["red", "green", " blue ", "red", "green"],
        ])
        let (schema, _) = try TabularEncoder.fit(table: data, excluding: nil, options: ColumnOptions())
        let color = try #require(categoricalEncoding(schema, "color"))
        #expect(color.categories == ["blue", "green", "red"])
        #expect(color.imputedCategory == nil && !color.hasMissingIndicator)
        #expect(schema.featureNames == ["size", "color=blue", "color=green", "color=red"])

        let (design, _) = try TabularEncoder.encode(data, schema: schema)
        let expected: [[Double]] = [[0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]]
        for row in 0..<5 { #expect(Array(design.row(row)[1...]) == expected[row], "row \(row)") }
    }

    @Test func anUnseenCategoryEncodesAsZerosAndIsCounted() throws {
        let training = table(["color": ["red", "green", "blue", "red"], "x": ["1", "2", "3", "4"]], source: "train.csv")
        let (schema, fitNotes) = try TabularEncoder.fit(table: training, excluding: nil, options: ColumnOptions())
        #expect(fitNotes.unseenCategories.isEmpty)

        let scoring = table(["color": ["purple", "red", "purple", "teal"], "x": ["1", "2", "3", "4"]], source: "score.csv")
        let (design, notes) = try TabularEncoder.encode(scoring, schema: schema)
        #expect(notes.unseenCategories == ["color": 3])
        let colorColumns = ["color=blue", "color=green", "color=red"].map { schema.featureNames.firstIndex(of: $0)! }
        for row in [0, 2, 3] { #expect(colorColumns.allSatisfy { design[row, $0] == 0 }, "row \(row)") }
        #expect(colorColumns.map { design[1, $0] } == [0, 0, 1])
        #expect(notes.warnings.contains { $0.contains("'color'") && $0.contains("3 cells") })
    }

    // MARK: Missing values

    @Test func multiLineFieldsGiveTheExpectedRecordLines() throws {
        let data = try table(multiLineCSV, source: "orders.csv")
        #expect(data.recordLines == [2, 5, 6, 7])
    }

    @Test func aMissingNumberUnderTheErrorPolicyNamesItsPhysicalLine() throws {
        let data = try table(multiLineCSV, source: "orders.csv")
        let error = #expect(throws: TabularError.self) {
            try TabularEncoder.fit(table: data, excluding: nil, options: ColumnOptions(drop: ["color"]))
        }
        #expect(error == .missingValue(file: "orders.csv", line: 5, column: "amount"))
        expectDescribes(error, file: "orders.csv", line: 5, column: "amount")
    }

    @Test func aMissingCategoryUnderTheErrorPolicyNamesItsPhysicalLine() throws {
        let data = try table(multiLineCSV, source: "orders.csv")
        let error = #expect(throws: TabularError.self) {
            try TabularEncoder.fit(table: data, excluding: nil, options: ColumnOptions(drop: ["amount"]))
        }
        #expect(error == .missingValue(file: "orders.csv", line: 6, column: "color"))
        expectDescribes(error, file: "orders.csv", line: 6, column: "color")
    }

    @Test func aMissingCellAtEncodeTimeNamesItsPhysicalLine() throws {
        let complete = table(["amount": ["1", "2", "3"], "color": ["red", "blue", "red"]], source: "train.csv")
        let (schema, _) = try TabularEncoder.fit(table: complete, excluding: nil, options: ColumnOptions())
        let data = try table(multiLineCSV, source: "orders.csv")
        let error = #expect(throws: TabularError.self) { try TabularEncoder.encode(data, schema: schema) }
        #expect(error == .missingValue(file: "orders.csv", line: 5, column: "amount"))
        expectDescribes(error, file: "orders.csv", line: 5, column: "amount")
    }

    @Test func whitespaceOnlyCellsAreMissing() throws {
        #expect(TabularEncoder.isMissing(""))
        #expect(TabularEncoder.isMissing("  \t "))
        #expect(!TabularEncoder.isMissing(" 0 "))
        let data = table(["x": ["1", " \t", "3"]], source: "blank.csv")
        #expect(throws: TabularError.missingValue(file: "blank.csv", line: 3, column: "x")) {
            try TabularEncoder.fit(table: data, excluding: nil, options: ColumnOptions())
        }
    }

    @Test func imputationFillsMeansAndMostFrequentCategoriesWithIndicators() throws {
        let data = table(
            [
                "amount": ["2", "", "4", "9", " "],
                "color": ["red", "blue", "", "red", "green"],
                "full": ["1", "2", "3", "4", "5"],
                "kind": ["a", "b", "a", "b", "b"],
            ], source: "impute.csv")
        let (schema, notes) = try TabularEncoder.fit(table: data, excluding: nil, options: ColumnOptions(missingPolicy: .impute))
        #expect(schema.missingPolicy == .impute)

        let amount = try #require(numericEncoding(schema, "amount"))
        #expect(amount.imputedValue == 5)  // (2 + 4 + 9) / 3
        #expect(amount.mean == 5)
        // Imputed, then standardised: the population deviation of [2, 5, 4, 9, 5].
        #expect(isClose(amount.scale, (((9.0 + 0 + 1 + 16 + 0) / 5)).squareRoot()))
        #expect(amount.hasMissingIndicator)

        let color = try #require(categoricalEncoding(schema, "color"))
        #expect(color.categories == ["blue", "green", "red"])
        #expect(color.imputedCategory == "red")
        #expect(color.hasMissingIndicator)

        // Columns without missing values get no indicator.
        #expect(numericEncoding(schema, "full")?.hasMissingIndicator == false)
        #expect(categoricalEncoding(schema, "kind")?.hasMissingIndicator == false)
        #expect(categoricalEncoding(schema, "kind")?.imputedCategory == "b")
        #expect(
            schema.featureNames == [
                "amount", "amount=missing", "color=blue", "color=green", "color=red", "color=missing", "full", "kind=a", "kind=b",
            ])
        #expect(notes.emptyColumns.isEmpty && notes.identifierColumns.isEmpty)

        let (design, encodeNotes) = try TabularEncoder.encode(data, schema: schema)
        #expect(encodeNotes.imputedCells == ["amount": 2, "color": 1])
        #expect(encodeNotes.unseenCategories.isEmpty)
        #expect(designColumn(design, schema, "amount=missing") == [0, 1, 0, 0, 1])
        #expect(designColumn(design, schema, "amount")[1] == 0)  // the mean, standardised
        #expect(designColumn(design, schema, "amount")[4] == 0)
        #expect(designColumn(design, schema, "color=missing") == [0, 0, 1, 0, 0])
        #expect(designColumn(design, schema, "color=red") == [1, 0, 1, 1, 0])  // row 2 imputed as red
    }

    @Test func anEmptyColumnIsLeftOutEvenUnderTheErrorPolicy() throws {
        let data = table(["x": ["1", "2", "3"], "blank": ["", " ", ""]])
        let (schema, notes) = try TabularEncoder.fit(table: data, excluding: nil, options: ColumnOptions(missingPolicy: .error))
        #expect(schema.columns.map(\.name) == ["x"])
        #expect(notes.emptyColumns == ["blank"])
    }

    @Test func anEmptyColumnIsLeftOutWithANote() throws {
        let data = table(["x": ["1", "2", "3"], "blank": ["", " ", ""]])
        let (schema, notes) = try TabularEncoder.fit(table: data, excluding: nil, options: ColumnOptions(missingPolicy: .impute))
        #expect(schema.columns.map(\.name) == ["x"])
        #expect(notes.emptyColumns == ["blank"])
    }

    // MARK: Numbers that are not numbers

    @Test(arguments: [(19, 1, true), (18, 2, true), (17, 3, false)])
    func aMostlyNumericColumnIsAnErrorUnlessCategorical(numbers: Int, words: Int, isError: Bool) throws {
        // The words sit at the end, so the first one is on line numbers + 2.
        let cells = (0..<numbers).map { "\($0 * 3)" } + (0..<words).map { $0 == 0 ? "n/a" : "unknown\($0)" }
        let data = table(["score": cells, "y": cells.indices.map { $0 % 2 == 0 ? "yes" : "no" }], source: "scores.csv")
        if isError {
            let error = #expect(throws: TabularError.self) {
                try TabularEncoder.fit(table: data, excluding: "y", options: ColumnOptions())
            }
            #expect(error == .mostlyNumeric(file: "scores.csv", line: numbers + 2, column: "score", value: "n/a"))
            expectDescribes(error, file: "scores.csv", line: numbers + 2, column: "score")
            #expect(error?.description.contains("--categorical score") == true)
        } else {
            let (schema, _) = try TabularEncoder.fit(table: data, excluding: "y", options: ColumnOptions())
            #expect(categoricalEncoding(schema, "score")?.categories.count == numbers + words)
        }
        // Naming the column categorical always keeps it, as categories.
        let (schema, notes) = try TabularEncoder.fit(table: data, excluding: "y", options: ColumnOptions(categorical: ["score"]))
        let score = try #require(categoricalEncoding(schema, "score"))
        #expect(score.categories == Set(cells).sorted())
        #expect(notes.identifierColumns.isEmpty)
    }

    @Test func textInANumericColumnAtEncodeTimeIsNotANumber() throws {
        let training = table(["amount": ["1", "2", "3"], "color": ["a", "b", "a"]], source: "train.csv")
        let (schema, _) = try TabularEncoder.fit(table: training, excluding: nil, options: ColumnOptions())
        // Columns outside the schema (`note`) are ignored; its multi-line field moves the later records down.
        let data = try table(
            """
            note,color,amount
            "multi
            line",a,1
            plain,b,2
            last,a,twelve

            """, source: "score.csv")
        let error = #expect(throws: TabularError.self) { try TabularEncoder.encode(data, schema: schema) }
        #expect(error == .notANumber(file: "score.csv", line: 5, column: "amount", value: "twelve"))
        expectDescribes(error, file: "score.csv", line: 5, column: "amount")
        #expect(error?.description.contains("'twelve'") == true)
    }

    @Test func textInAColumnNamedNumericIsNotANumber() throws {
        let data = table(["amount": ["1", "2", "lots", "4"]], source: "train.csv")
        let error = #expect(throws: TabularError.self) {
            try TabularEncoder.fit(table: data, excluding: nil, options: ColumnOptions(numeric: ["amount"]))
        }
        #expect(error == .notANumber(file: "train.csv", line: 4, column: "amount", value: "lots"))
        expectDescribes(error, file: "train.csv", line: 4, column: "amount")
    }

    @Test(arguments: ["NaN", "nan", "inf", "-inf", "Infinity", "1e400"])
    func nonFiniteNumbersAreRejected(value: String) throws {
        let cells = ["1", "2", value, "4"]
        let data = table(["x": cells, "y": ["a", "b", "a", "b"]], source: "train.csv")
        let error = #expect(throws: TabularError.self) {
            try TabularEncoder.fit(table: data, excluding: "y", options: ColumnOptions())
        }
        #expect(error == .nonFiniteNumber(file: "train.csv", line: 4, column: "x", value: value))
        expectDescribes(error, file: "train.csv", line: 4, column: "x")

        let clean = table(["x": ["1", "2", "3", "4"], "y": ["a", "b", "a", "b"]], source: "train.csv")
        let (schema, _) = try TabularEncoder.fit(table: clean, excluding: "y", options: ColumnOptions())
        let scoring = table(["x": ["5", value], "y": ["a", "b"]], source: "score.csv")
        #expect(throws: TabularError.nonFiniteNumber(file: "score.csv", line: 3, column: "x", value: value)) {
            try TabularEncoder.encode(scoring, schema: schema)
        }
    }

    @Test(arguments: [["1e200", "-1e200", "3e199", "0"], ["1.5e308", "1.7e308", "1.6e308", "1.5e308"]])
    func hugeFiniteNumbersGiveAFiniteStandardisationOrANamedError(cells: [String]) {
        let data = table(["big": cells, "y": ["a", "b", "a", "b"]], source: "big.csv")
        // Naive squares overflow above |x| ≈ 1.3e154 and sums above ≈ 1.8e308; the encoder must stay finite.
        do {
            let (schema, _) = try TabularEncoder.fit(table: data, excluding: "y", options: ColumnOptions())
            let encoding = try #require(numericEncoding(schema, "big"))
            #expect(encoding.mean.isFinite && encoding.scale.isFinite && encoding.scale > 0)
            let (design, _) = try TabularEncoder.encode(data, schema: schema)
            #expect(design.storage.allSatisfy { $0.isFinite })
        } catch let error as TabularError {
            expectDescribes(error, file: "big.csv", column: "big")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    // MARK: Identifiers

    @Test func aColumnWithADistinctValueOnEveryRowIsAnIdentifier() throws {
        let rows = 25
        let data = table(
            [
                "customer": (0..<rows).map { "cust-\($0)" },
                "plan": (0..<rows).map { $0 % 3 == 0 ? "pro" : "basic" },
                "number": (0..<rows).map { "\($0)" },
            ], source: "customers.csv")
        let (schema, notes) = try TabularEncoder.fit(table: data, excluding: nil, options: ColumnOptions())
        #expect(notes.identifierColumns == ["customer"])
        // A whole number distinct on every row is an identifier too (issue 17); a continuous measure is not.
        #expect(notes.numericIdentifierColumns == ["number"])
        #expect(schema.columns.map(\.name) == ["plan"])
        let measured = table(["plan": data.columns[1], "weight": (0..<rows).map { "\(Double($0) + 0.5)" }])
        #expect(try TabularEncoder.fit(table: measured, excluding: nil, options: ColumnOptions()).schema.columns.count == 2)
        #expect(notes.warnings.contains { $0.contains("'customer'") && $0.contains("--categorical") })

        let (kept, keptNotes) = try TabularEncoder.fit(
            table: data, excluding: nil, options: ColumnOptions(categorical: ["customer"]))
        #expect(keptNotes.identifierColumns.isEmpty)
        #expect(categoricalEncoding(kept, "customer")?.categories.count == rows)
    }

    @Test func twentyDistinctValuesAreNotYetAnIdentifier() throws {
        let data = table(["customer": (0..<20).map { "cust-\($0)" }])
        let (schema, notes) = try TabularEncoder.fit(table: data, excluding: nil, options: ColumnOptions())
        #expect(notes.identifierColumns.isEmpty)
        #expect(categoricalEncoding(schema, "customer")?.categories.count == 20)
    }

    // MARK: Column options

    @Test func droppedColumnsAreLeftOut() throws {
        let data = table(["a": ["1", "2"], "b": ["x", "y"], "c": ["3", "4"]])
        let (schema, _) = try TabularEncoder.fit(table: data, excluding: "c", options: ColumnOptions(drop: ["a"]))
        #expect(schema.columns.map(\.name) == ["b"])
    }

    @Test func aColumnNamedBothCategoricalAndNumericIsAConflict() throws {
        let data = table(["a": ["1", "2"], "b": ["x", "y"]])
        let error = #expect(throws: TabularError.self) {
            try TabularEncoder.fit(table: data, excluding: nil, options: ColumnOptions(categorical: ["a"], numeric: ["a"]))
        }
        #expect(error == .conflictingColumnOptions(column: "a"))
        #expect(error?.description.contains("'a'") == true)
    }

    @Test(arguments: ["--drop", "--categorical", "--numeric"])
    func anOptionNamingAnUnknownColumnIsAnError(option: String) throws {
        let data = table(["a": ["1", "2"], "b": ["x", "y"]], source: "opts.csv")
        let options =
            switch option {
            case "--drop": ColumnOptions(drop: ["nope"])
            case "--categorical": ColumnOptions(categorical: ["nope"])
            default: ColumnOptions(numeric: ["nope"])
            }
        let error = #expect(throws: TabularError.self) {
            try TabularEncoder.fit(table: data, excluding: nil, options: options)
        }
        #expect(error == .unknownColumn(file: "opts.csv", option: option, column: "nope"))
        expectDescribes(error, file: "opts.csv", column: "nope")
        #expect(error?.description.contains(option) == true)
    }

    @Test func noFeaturesAndNoRowsAreErrors() throws {
        let onlyTarget = table(["y": ["a", "b"]], source: "t.csv")
        #expect(throws: TabularError.noFeatures(file: "t.csv")) {
            try TabularEncoder.fit(table: onlyTarget, excluding: "y", options: ColumnOptions())
        }
        let empty = try table("x,y\n", source: "e.csv")
        let error = #expect(throws: TabularError.self) {
            try TabularEncoder.fit(table: empty, excluding: "y", options: ColumnOptions())
        }
        #expect(error == .noRows(file: "e.csv"))
        expectDescribes(error, file: "e.csv")
    }

    @Test func encodingATableWithoutASchemaColumnIsAnError() throws {
        let training = table(["a": ["1", "2"], "b": ["x", "y"]])
        let (schema, _) = try TabularEncoder.fit(table: training, excluding: nil, options: ColumnOptions())
        let scoring = table(["a": ["1"]], source: "score.csv")
        let error = #expect(throws: TabularError.self) { try TabularEncoder.encode(scoring, schema: schema) }
        #expect(error == .missingColumn(file: "score.csv", column: "b"))
        expectDescribes(error, file: "score.csv", column: "b")
    }

    // MARK: Target

    @Test(arguments: [
        (["no", "yes", "no"], "yes", "no"),
        (["Yes", "No"], "Yes", "No"),
        (["0", "1", "1"], "1", "0"),
        (["lost", "won", "lost"], "won", "lost"),
        (["false", "true"], "true", "false"),
        (["stayed", "churned"], "churned", "stayed"),
        ([" yes", "no "], "yes", "no"),
    ])
    func aConventionalPositiveValueIsDetected(values: [String], positive: String, negative: String) throws {
        let data = table(["outcome": values], source: "t.csv")
        let target = try TabularEncoder.target(in: data, column: "outcome", positive: nil)
        #expect(target == TargetSpecification(column: "outcome", positive: positive, negative: negative))
        let labels = try TabularEncoder.labels(in: data, target: target)
        #expect(labels == values.map { String(TabularEncoder.trimmed($0)) == positive })
    }

    @Test func aGivenPositiveValueWins() throws {
        let data = table(["outcome": ["yes", "no", "no"]], source: "t.csv")
        let target = try TabularEncoder.target(in: data, column: "outcome", positive: "no")
        #expect(target == TargetSpecification(column: "outcome", positive: "no", negative: "yes"))
        #expect(try TabularEncoder.labels(in: data, target: target) == [false, true, true])
    }

    @Test func twoUnconventionalValuesAreAmbiguous() throws {
        let data = table(["grade": ["b", "a", "b"]], source: "t.csv")
        let error = #expect(throws: TabularError.self) {
            try TabularEncoder.target(in: data, column: "grade", positive: nil)
        }
        #expect(error == .ambiguousPositive(file: "t.csv", column: "grade", values: ["a", "b"]))
        expectDescribes(error, file: "t.csv", column: "grade")
        #expect(error?.description.contains("--positive") == true)
        #expect(try TabularEncoder.target(in: data, column: "grade", positive: "a").negative == "b")
    }

    @Test func twoConventionalValuesAreAmbiguous() throws {
        let data = table(["y": ["yes", "1"]], source: "t.csv")
        #expect(throws: TabularError.ambiguousPositive(file: "t.csv", column: "y", values: ["1", "yes"])) {
            try TabularEncoder.target(in: data, column: "y", positive: nil)
        }
    }

    @Test(arguments: [nil, "yes"] as [String?])
    func threeValuesAreNotBinary(positive: String?) throws {
        let data = table(["y": ["yes", "no", "maybe", "no"]], source: "t.csv")
        let error = #expect(throws: TabularError.self) {
            try TabularEncoder.target(in: data, column: "y", positive: positive)
        }
        #expect(error == .targetNotBinary(file: "t.csv", column: "y", values: ["maybe", "no", "yes"]))
        expectDescribes(error, file: "t.csv", column: "y")
        #expect(error?.description.contains("found 3") == true)
    }

    @Test func aSingleValueIsNotBinary() throws {
        let data = table(["y": ["yes", "yes"]], source: "t.csv")
        #expect(throws: TabularError.targetNotBinary(file: "t.csv", column: "y", values: ["yes"])) {
            try TabularEncoder.target(in: data, column: "y", positive: nil)
        }
    }

    @Test func aGivenPositiveThatIsAbsentIsAnError() throws {
        let data = table(["y": ["yes", "no"]], source: "t.csv")
        let error = #expect(throws: TabularError.self) {
            try TabularEncoder.target(in: data, column: "y", positive: "maybe")
        }
        #expect(error == .positiveNotFound(file: "t.csv", column: "y", positive: "maybe", values: ["no", "yes"]))
        expectDescribes(error, file: "t.csv", column: "y")
        #expect(error?.description.contains("'maybe'") == true)
    }

    @Test func aMissingTargetColumnOrCellIsAnError() throws {
        let data = try table(multiLineCSV, source: "orders.csv")
        let error = #expect(throws: TabularError.self) {
            try TabularEncoder.target(in: data, column: "churned", positive: nil)
        }
        #expect(error == .missingColumn(file: "orders.csv", column: "churned"))
        expectDescribes(error, file: "orders.csv", column: "churned")

        let missingCell = #expect(throws: TabularError.self) {
            try TabularEncoder.target(in: data, column: "color", positive: nil)
        }
        #expect(missingCell == .missingValue(file: "orders.csv", line: 6, column: "color"))
    }

    @Test func aThirdValueInLabelsNamesItsLine() throws {
        let training = table(["y": ["won", "lost"]], source: "train.csv")
        let target = try TabularEncoder.target(in: training, column: "y", positive: nil)
        let data = try table(
            """
            note,y
            "a
            b",won
            c,lost
            d,pending
            e,won

            """, source: "eval.csv")
        let error = #expect(throws: TabularError.self) { try TabularEncoder.labels(in: data, target: target) }
        #expect(
            error == .unexpectedTargetValue(file: "eval.csv", line: 5, column: "y", value: "pending", expected: ["won", "lost"]))
        expectDescribes(error, file: "eval.csv", line: 5, column: "y")
        #expect(error?.description.contains("'pending'") == true)
    }

    @Test func labelsOfATableWithoutTheTargetColumnIsAnError() throws {
        let target = TargetSpecification(column: "y", positive: "yes", negative: "no")
        let data = table(["x": ["1"]], source: "eval.csv")
        #expect(throws: TabularError.missingColumn(file: "eval.csv", column: "y")) {
            try TabularEncoder.labels(in: data, target: target)
        }
    }
}
