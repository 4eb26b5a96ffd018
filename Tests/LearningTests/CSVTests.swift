import Foundation
import LinearAlgebra
import Testing
@testable import Learning
import TestSupport

// MARK: - Helpers

private func parse(_ text: String, delimiter: CSVDelimiter? = nil) throws(CSVError) -> CSVTable {
    try CSVTable(parsing: Array(text.utf8), source: "test.csv", delimiter: delimiter)
}

/// The table's records as rows.
private func rows(of table: CSVTable) -> [[String]] {
    (0..<table.rowCount).map { row in table.columns.map { $0[row] } }
}

/// Everything a `CSVRecordReader` yields for `bytes` fed in chunks of the given sizes (cycled).
private func readStreaming(
    _ bytes: [UInt8], chunkSizes: [Int], delimiter: CSVDelimiter? = nil
) throws(CSVError) -> (header: [String]?, rows: [[String]], lines: [Int], delimiter: CSVDelimiter?) {
    var reader = CSVRecordReader(source: "test.csv", delimiter: delimiter)
    var rows: [[String]] = []
    var lines: [Int] = []
    func take() {
        for record in reader.takeRecords() {
            rows.append(record.fields)
            lines.append(record.line)
        }
    }
    var start = 0
    var chunk = 0
    while start < bytes.count {
        let end = min(bytes.count, start + max(1, chunkSizes[chunk % chunkSizes.count]))
        try reader.feed(bytes[start..<end])
        take()
        start = end
        chunk += 1
    }
    try reader.finish()
    take()
    return (reader.header, rows, lines, reader.delimiter)
}

/// Physical line breaks in `text`: CR, LF and CRLF count one each.
private func lineBreaks(in text: String) -> Int {
    var count = 0
    var afterCarriageReturn = false
    for byte in text.utf8 {
        if byte == UInt8(ascii: "\r") || (byte == UInt8(ascii: "\n") && !afterCarriageReturn) { count += 1 }
        afterCarriageReturn = byte == UInt8(ascii: "\r")
    }
    return count
}

private let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

// MARK: - Error cases

struct CSVErrorCase: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let expected: CSVError
    var testDescription: String { name }

    init(_ name: String, _ bytes: [UInt8], line: Int, column: String? = nil, _ kind: CSVError.Kind) {
        self.name = name
        self.bytes = bytes
        expected = CSVError(source: "test.csv", line: line, column: column, kind: kind)
    }

    init(_ name: String, _ text: String, line: Int, column: String? = nil, _ kind: CSVError.Kind) {
        self.init(name, Array(text.utf8), line: line, column: column, kind)
    }
}

private let errorCases: [CSVErrorCase] = [
    CSVErrorCase("no bytes", [UInt8](), line: 1, .emptyFile),
    CSVErrorCase("byte-order mark only", byteOrderMark, line: 1, .emptyFile),
    CSVErrorCase("mark and whitespace", byteOrderMark + Array(" \r\n\t\n\r  ".utf8), line: 1, .emptyFile),
    CSVErrorCase("empty header name", "a,,b\n1,2,3\n", line: 1, .emptyHeaderName),
    CSVErrorCase("blank header name after blank lines", "\n\r\na, ,b\n", line: 3, .emptyHeaderName),
    CSVErrorCase("quoted empty header name", "a,\"\"\n", line: 1, .emptyHeaderName),
    CSVErrorCase("duplicate header", "id,name,id\n1,2,3\n", line: 1, column: "id", .duplicateHeader("id")),
    CSVErrorCase(
        "short row after a multi-line field", "a,b\n1,2\n\"x\ny\",2\n3\n", line: 5, column: "b",
        .raggedRow(expected: 2, got: 1)),
    CSVErrorCase("long row, CRLF", "a,b\r\n1,2,3\r\n", line: 2, .raggedRow(expected: 2, got: 3)),
    CSVErrorCase(
        "short row, lone CRs and a blank line", "a,b\r1,2\r\r3\r", line: 4, column: "b",
        .raggedRow(expected: 2, got: 1)),
    CSVErrorCase(
        "short last row without newline", "a,b,c\n\"1\r\n2\",3,4\n5,6", line: 4, column: "c",
        .raggedRow(expected: 3, got: 2)),
    CSVErrorCase(
        "unterminated quote", "a,b\n\"multi\nline\",1\n2,\"open\n\n", line: 4, column: "b", .unterminatedQuote),
    CSVErrorCase("unterminated quote in header", "\"a,b\n1,2\n", line: 1, .unterminatedQuote),
    CSVErrorCase(
        "text after closing quote", "a,b\n\"x\r\ny\",\"ab\"c\n", line: 3, column: "b", .unexpectedQuote),
    CSVErrorCase("text after closing quote in header", "\"a\"b,c\n", line: 1, .unexpectedQuote),
    CSVErrorCase(
        "invalid UTF-8 after a multi-line field", Array("a,b\n\"x\ny\",z".utf8) + [0xFF] + Array("\n".utf8),
        line: 3, column: "b", .invalidUTF8),
    CSVErrorCase(
        "invalid UTF-8 inside a multi-line field", Array("a,b\n1,\"ok\r\n".utf8) + [0xC3, 0x28] + Array("\"\n".utf8),
        line: 3, column: "b", .invalidUTF8),
    CSVErrorCase("invalid UTF-8 in header", [0x61, 0xFF, 0x2C, 0x62, 0x0A], line: 1, .invalidUTF8),
    CSVErrorCase("truncated character at end", Array("a\n".utf8) + [0xC3], line: 2, column: "a", .invalidUTF8),
    CSVErrorCase("encoded surrogate", Array("a\n".utf8) + [0xED, 0xA0, 0x80], line: 2, column: "a", .invalidUTF8),
    CSVErrorCase("overlong encoding", Array("a\n\n".utf8) + [0xC0, 0xAF], line: 3, column: "a", .invalidUTF8),
    CSVErrorCase("truncated byte-order mark", [0xEF, 0xBB], line: 1, .invalidUTF8),
]

// MARK: - Tests

@Suite("CSV")
struct CSVTests {
    @Test func parsesHeaderAndColumns() throws {
        let table = try parse("name,age\nAda,36\nAlan,41\n")
        #expect(table.header == ["name", "age"])
        #expect(table.columns == [["Ada", "Alan"], ["36", "41"]])
        #expect(table.recordLines == [2, 3])
        #expect(table.rowCount == 2)
        #expect(table.columnCount == 2)
        #expect(table.columnIndex(named: "age") == 1)
        #expect(table.columnIndex(named: "Age") == nil)
        #expect(table.delimiter == .comma)
        #expect(table.source == "test.csv")
    }

    @Test(arguments: ["\n", "\r\n", "\r"])
    func lineEndings(_ end: String) throws {
        for trailing in ["", end] {
            let table = try parse("a,b" + end + "1,2" + end + end + "3,4" + trailing)
            #expect(rows(of: table) == [["1", "2"], ["3", "4"]])
            #expect(table.recordLines == [2, 4])
        }
    }

    @Test func quotedFields() throws {
        let text =
            "k,v\n" + "\"a,b\",\"say \"\"hi\"\"\"\n" + "\"multi\nline\",\"crlf\r\ninside\"\n"
            + "\"\",\"lone\rcr\"\r\n" + "last,\"\"\"\"\n"
        let table = try parse(text)
        #expect(
            rows(of: table) == [
                ["a,b", "say \"hi\""], ["multi\nline", "crlf\r\ninside"], ["", "lone\rcr"], ["last", "\""],
            ])
        #expect(table.recordLines == [2, 3, 6, 8])
    }

    @Test func quoteInsideUnquotedFieldIsLiteral() throws {
        let table = try parse("a,b\n5\" screen,it\"s\n x \"y\",z\"\"\n")
        #expect(rows(of: table) == [["5\" screen", "it\"s"], [" x \"y\"", "z\"\""]])
    }

    @Test func fieldsAreKeptVerbatim() throws {
        let table = try parse(" id ,name\n 1 , Ada Lovelace \n")
        #expect(table.header == [" id ", "name"])
        #expect(rows(of: table) == [[" 1 ", " Ada Lovelace "]])
    }

    @Test func lineOfDelimitersIsARecord() throws {
        let table = try parse("a,b,c\n,,\n\n\n,x,\n")
        #expect(rows(of: table) == [["", "", ""], ["", "x", ""]])
        #expect(table.recordLines == [2, 5])
    }

    @Test func singleColumnWithEmptyAndBlankValues() throws {
        let table = try parse("a\n\"\"\n\n  \nb\n")
        #expect(table.columns == [["", "  ", "b"]])
        #expect(table.recordLines == [2, 4, 5])
    }

    @Test func byteOrderMarkIsDropped() throws {
        let table = try CSVTable(parsing: byteOrderMark + Array("\"id\";name\n1;x\n".utf8), source: "bom.csv")
        #expect(table.header == ["id", "name"])
        #expect(table.delimiter == .semicolon)
        #expect(rows(of: table) == [["1", "x"]])
        #expect(table.recordLines == [2])
    }

    @Test func whitespaceLinesBeforeHeaderAreSkipped() throws {
        let table = try parse("  \n\t\r\n\nid,name\n1,2\n")
        #expect(table.header == ["id", "name"])
        #expect(table.recordLines == [5])
    }

    @Test func headerOnly() throws {
        for text in ["a,b\n", "a,b", "a,b\r\n\r\n"] {
            let table = try parse(text)
            #expect(table.header == ["a", "b"])
            #expect(table.rowCount == 0)
            #expect(table.columns == [[], []])
        }
    }

    @Test(arguments: [
        ("a;b;c\n1;2;3\n", CSVDelimiter.semicolon),
        ("a\tb\tc\n1\t2\t3\n", .tab),
        ("a,b\n1,2\n", .comma),
        ("a;b,c\n1;2,3\n", .comma),  // a tie
        ("single\nx;y\n", .comma),  // none
        ("\"x,y,z\";w\n1;2\n", .semicolon),  // commas inside quotes do not count
        ("\"multi\nline,,,\";x;y\n1;2;3\n", .semicolon),
        ("a;b\tc\td\n1\t2\t3\n", .tab),
        ("\n\nx;y\n1;2\n", .semicolon),
    ])
    func detectsDelimiter(text: String, expected: CSVDelimiter) throws {
        let table = try parse(text)
        #expect(table.delimiter == expected)
        #expect(table.rowCount == 1)
        let streamed = try readStreaming(Array(text.utf8), chunkSizes: [1])
        #expect(streamed.delimiter == expected)
        #expect(streamed.header == table.header)
        #expect(streamed.rows == rows(of: table))
    }

    @Test func givenDelimiterOverridesDetection() throws {
        let table = try parse("a,b;c\n1,2;3\n", delimiter: .semicolon)
        #expect(table.delimiter == .semicolon)
        #expect(table.header == ["a,b", "c"])
        #expect(rows(of: table) == [["1,2", "3"]])
    }

    @Test func delimiterNames() {
        #expect(CSVDelimiter(name: ",") == .comma)
        #expect(CSVDelimiter(name: "comma") == .comma)
        #expect(CSVDelimiter(name: ";") == .semicolon)
        #expect(CSVDelimiter(name: "semicolon") == .semicolon)
        #expect(CSVDelimiter(name: "\t") == .tab)
        #expect(CSVDelimiter(name: "TAB") == .tab)
        #expect(CSVDelimiter(name: "|") == nil)
        #expect(CSVDelimiter.allCases.map(\.byte) == [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t")])
    }

    @Test(arguments: errorCases)
    func reportsErrors(_ errorCase: CSVErrorCase) {
        #expect(throws: errorCase.expected) { try CSVTable(parsing: errorCase.bytes, source: "test.csv") }
        for chunkSizes in [[1], [2, 3], [errorCase.bytes.count]] {
            #expect(throws: errorCase.expected) { try readStreaming(errorCase.bytes, chunkSizes: chunkSizes) }
        }
    }

    @Test func errorDescriptions() {
        let ragged = CSVError(
            source: "leads.csv", line: 17, column: "employees", kind: .raggedRow(expected: 21, got: 20))
        #expect(ragged.description == "leads.csv:17: column 'employees': expected 21 fields, found 20")
        let open = CSVError(source: "leads.csv", line: 3, kind: .unterminatedQuote)
        #expect(open.description == "leads.csv:3: unterminated quoted field (opened on line 3)")
        let empty = CSVError(source: "<stdin>", line: 1, kind: .emptyFile)
        #expect(empty.description == "<stdin>:1: no header: the input is empty")
    }

    @Test func readerYieldsRecordsAsTheyComplete() throws {
        var reader = CSVRecordReader(source: "stream.csv")
        #expect(reader.header == nil)
        try reader.feed(Array("id,no".utf8))
        #expect(reader.header == nil)
        try reader.feed(Array("te\n1,\"a\nb\"\n2,".utf8))
        #expect(reader.header == ["id", "note"])
        #expect(reader.delimiter == .comma)
        let first = reader.takeRecords()
        #expect(first.map(\.fields) == [["1", "a\nb"]])
        #expect(first.map(\.line) == [2])
        #expect(reader.takeRecords().isEmpty)
        try reader.feed(Array("c".utf8))
        try reader.finish()
        let last = reader.takeRecords()
        #expect(last.map(\.fields) == [["2", "c"]])
        #expect(last.map(\.line) == [4])
    }

    @Test func readerErrorsAreSticky() throws {
        var reader = CSVRecordReader(source: "bad.csv", delimiter: .comma)
        let expected = CSVError(source: "bad.csv", line: 2, kind: .raggedRow(expected: 1, got: 2))
        #expect(throws: expected) { try reader.feed(Array("a\n1,2\n".utf8)) }
        #expect(throws: expected) { try reader.feed(Array("3\n".utf8)) }
        #expect(throws: expected) { try reader.finish() }
    }

    @Test func readerAcceptsAnyByteCollection() throws {
        var reader = CSVRecordReader(source: "mixed.csv")
        try reader.feed(Data("a,b\n1,".utf8))
        try reader.feed("2\n".utf8)
        try reader.feed(AnyCollection(Array("3,4".utf8)))
        try reader.finish()
        #expect(reader.takeRecords().map(\.fields) == [["1", "2"], ["3", "4"]])
    }

    @Test func writerQuotesOnlyWhenNeeded() {
        #expect(CSVWriter.field("plain") == "plain")
        #expect(CSVWriter.field("") == "")
        #expect(CSVWriter.field("a,b") == "\"a,b\"")
        #expect(CSVWriter.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVWriter.field("x\ny") == "\"x\ny\"")
        #expect(CSVWriter.field("x\ry") == "\"x\ry\"")
        #expect(CSVWriter.field("a;b") == "a;b")
        #expect(CSVWriter.field("a;b", delimiter: UInt8(ascii: ";")) == "\"a;b\"")
        #expect(CSVWriter.field("a\tb", delimiter: .tab) == "\"a\tb\"")
        #expect(CSVWriter.line(["a", "b,c", "é"]) == "a,\"b,c\",é\n")
        #expect(CSVWriter.line(["", ""]) == ",\n")
        #expect(CSVWriter.line([""]) == "\"\"\n")
        #expect(CSVWriter.line(["1", "x;y"], delimiter: .semicolon) == "1;\"x;y\"\n")
    }

    @Test func utf8ValidationMatchesStandardLibrary() {
        var rng = SeededGenerator(seed: 4180)
        let interesting: [UInt8] = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED,
            0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF,
        ]
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...6, using: &rng)
            let bytes = (0..<count).map { _ in interesting.randomElement(using: &rng)! }
            let valid = bytes.withUnsafeBufferPointer { CSVScanner.validUTF8Prefix($0) }
            #expect((valid == bytes.count) == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
            #expect(String(validating: bytes[..<valid], as: UTF8.self) != nil, "\(bytes)")
        }
    }

    /// Random tables (fields with delimiters, quotes, CR, LF, unicode, empty strings), written with the
    /// writer and random line ends, blank lines and byte-order marks, parse back to the same records and
    /// lines, whole and streamed in random chunks.
    @Test(arguments: 0..<60 as Range<UInt64>)
    func randomTablesRoundTrip(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let pieces = [
            "a", "Z", "0", "42", " ", ",", ";", "\t", "\"", "\"\"", "\n", "\r", "\r\n", "é", "日本", "🙂",
            "e\u{301}", "x y", "'",
        ]
        func randomField() -> String {
            (0..<Int.random(in: 0...4, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
        }
        let delimiter = CSVDelimiter.allCases.randomElement(using: &rng)!
        let columnCount = Int.random(in: 1...5, using: &rng)
        let rowCount = Int.random(in: 0...25, using: &rng)
        let lineEnd = Array(["\n", "\r\n", "\r"].randomElement(using: &rng)!.utf8)
        let header = (0..<columnCount).map { "c\($0)" + (Bool.random(using: &rng) ? "é" : "") }
        let records = (0..<rowCount).map { _ in (0..<columnCount).map { _ in randomField() } }

        var bytes = Bool.random(using: &rng) ? byteOrderMark : []
        var line = 1
        var expectedLines: [Int] = []
        for (index, fields) in ([header] + records).enumerated() {
            if index > 0 {
                while Int.random(in: 0..<5, using: &rng) == 0 {
                    bytes += lineEnd
                    line += 1
                }
                expectedLines.append(line)
            }
            bytes += CSVWriter.line(fields, delimiter: delimiter).utf8.dropLast()
            line += fields.map(lineBreaks(in:)).reduce(0, +)
            if index < rowCount || Bool.random(using: &rng) {
                bytes += lineEnd
                line += 1
            }
        }

        var delimiters: [CSVDelimiter?] = [delimiter]
        if columnCount > 1 || delimiter == .comma { delimiters.append(nil) }
        for given in delimiters {
            let table = try CSVTable(parsing: bytes, source: "random.csv", delimiter: given)
            #expect(table.delimiter == delimiter)
            #expect(table.header == header)
            #expect(rows(of: table) == records)
            #expect(table.recordLines == expectedLines)

            let randomSizes = (0..<16).map { _ in Int.random(in: 1...23, using: &rng) }
            for chunkSizes in [[1], randomSizes, [bytes.count]] {
                let streamed = try readStreaming(bytes, chunkSizes: chunkSizes, delimiter: given)
                #expect(streamed.header == header)
                #expect(streamed.rows == records)
                #expect(streamed.lines == expectedLines)
                #expect(streamed.delimiter == delimiter)
            }
        }
    }
}

// MARK: - Real files

struct CSVRealFile: Sendable, CustomTestStringConvertible {
    let path: String
    let rowCount: Int
    let columnCount: Int
    let delimiter: CSVDelimiter
    let firstColumn: String
    let lastColumn: String
    var testDescription: String { path }
}

/// `../shared/data` next to the package root, located from this file.
private let sharedDataDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("../shared/data").standardizedFileURL

@Suite("CSV real files")
struct CSVRealFileTests {
    @Test(arguments: [
        CSVRealFile(
            path: "telco-churn/WA_Fn-UseC_-Telco-Customer-Churn.csv", rowCount: 7043, columnCount: 21,
            delimiter: .comma, firstColumn: "customerID", lastColumn: "Churn"),
        CSVRealFile(
            path: "bank-marketing/bank-full.csv", rowCount: 45211, columnCount: 17, delimiter: .semicolon,
            firstColumn: "age", lastColumn: "y"),
        CSVRealFile(
            path: "bank-marketing/bank-additional-full.csv", rowCount: 41188, columnCount: 21,
            delimiter: .semicolon, firstColumn: "age", lastColumn: "y"),
        CSVRealFile(
            path: "x-education-leads/Leads.csv", rowCount: 9240, columnCount: 37, delimiter: .comma,
            firstColumn: "Prospect ID", lastColumn: "Last Notable Activity"),
        CSVRealFile(
            path: "olist-funnel/olist_marketing_qualified_leads_dataset.csv", rowCount: 8000, columnCount: 4,
            delimiter: .comma, firstColumn: "mql_id", lastColumn: "origin"),
    ])
    func parsesRealFile(_ file: CSVRealFile) throws {
        let url = sharedDataDirectory.appendingPathComponent(file.path)
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let bytes = [UInt8](try Data(contentsOf: url))
        let table = try CSVTable(parsing: bytes, source: url.lastPathComponent)
        #expect(table.rowCount == file.rowCount)
        #expect(table.columnCount == file.columnCount)
        #expect(table.delimiter == file.delimiter)
        #expect(table.header.first == file.firstColumn)
        #expect(table.header.last == file.lastColumn)
        #expect(table.recordLines.first == 2)
        #expect(table.recordLines.last == file.rowCount + 1)

        let streamed = try readStreaming(bytes, chunkSizes: [65_536, 4_093])
        #expect(streamed.header == table.header)
        #expect(streamed.rows == rows(of: table))
        #expect(streamed.lines == table.recordLines)
    }
}
