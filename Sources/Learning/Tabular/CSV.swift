/// The byte that separates the fields of a CSV record.
public enum CSVDelimiter: Sendable, Equatable, Hashable, CaseIterable {
    case comma, semicolon, tab

    /// The delimiter's ASCII byte.
    public var byte: UInt8 {
        switch self {
        case .comma: UInt8(ascii: ",")
        case .semicolon: UInt8(ascii: ";")
        case .tab: UInt8(ascii: "\t")
        }
    }

    /// The delimiter called `name`: the character itself (`,`, `;`, a tab) or `comma`, `semicolon`, `tab`
    /// (any case); nil for anything else.
    public init?(name: String) {
        switch name.lowercased() {
        case ",", "comma": self = .comma
        case ";", "semicolon": self = .semicolon
        case "\t", "tab": self = .tab
        default: return nil
        }
    }

    /// The delimiter whose byte is `byte`, if any.
    init?(byte: UInt8) {
        guard let match = Self.allCases.first(where: { $0.byte == byte }) else { return nil }
        self = match
    }
}

/// A problem in CSV input, with where it is.
///
/// `description` reads like a compiler diagnostic:
/// `leads.csv:17: column 'employees': expected 21 fields, found 20`.
public struct CSVError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No header: the input is empty, or holds only a byte-order mark and whitespace.
        case emptyFile
        /// A header name is empty or only whitespace.
        case emptyHeaderName
        /// The header names this column twice.
        case duplicateHeader(String)
        /// A record does not have one field per header name.
        case raggedRow(expected: Int, got: Int)
        /// A quoted field is still open at the end of the input; `line` is where it was opened.
        case unterminatedQuote
        /// Text follows a closing quote before the delimiter or the end of the line (`"ab"c,`).
        case unexpectedQuote
        /// The bytes are not valid UTF-8.
        case invalidUTF8
        /// Field number `field` (1-based) holds a NUL byte; `value` is the field as read, NULs included.
        case nulByte(field: Int, value: String)
    }

    /// The input's name as the caller gave it, e.g. `leads.csv` or `<stdin>`.
    public var source: String
    /// The 1-based physical line of the problem (the header is usually line 1); a record spanning several
    /// lines is reported at its first line, except for bad UTF-8, reported at the line of the bad byte.
    public var line: Int
    /// The header name of the column concerned, when known.
    public var column: String?
    public var kind: Kind

    public init(source: String, line: Int, column: String? = nil, kind: Kind) {
        self.source = source
        self.line = line
        self.column = column
        self.kind = kind
    }

    public var description: String {
        var text = "\(source):\(line): "
        if let column { text += "column '\(EscapedText.value(column))': " }
        switch kind {
        case .emptyFile: text += "no header: the input is empty"
        case .emptyHeaderName: text += "empty column name in the header"
        case .duplicateHeader: text += "appears more than once in the header"
        case .raggedRow(let expected, let got): text += "expected \(expected) fields, found \(got)"
        case .unterminatedQuote: text += "unterminated quoted field (opened on line \(line))"
        case .unexpectedQuote: text += "unexpected text after a closing quote"
        case .invalidUTF8: text += "invalid UTF-8"
        case .nulByte(let field, let value):
            if column == nil { text += "field \(field): " }
            text += "a NUL byte (shown as \\0) in '\(EscapedText.value(value))': not allowed in a CSV file"
        }
        return text
    }
}

/// A parsed CSV file: the header and the records, stored column by column.
///
/// The input follows RFC 4180: fields may be quoted with `"`, a doubled `""` inside quotes is one `"`, and
/// quoted fields may hold the delimiter, CR and LF. LF, CRLF and a lone CR all end a record. Beyond the RFC:
/// a leading UTF-8 byte-order mark is dropped; blank lines are skipped (whitespace-only lines too, before
/// the header); a `"` inside an unquoted field is kept as a literal character. Line numbers count physical
/// lines, so they match what an editor shows.
public struct CSVTable: Sendable {
    /// The input's name as the caller gave it, used in errors.
    public let source: String
    /// The column names, verbatim (without the byte-order mark); unique and never empty or all whitespace.
    public let header: [String]
    /// `columns[j][i]` is field `j` of record `i`, with quotes removed and `""` unescaped.
    public let columns: [[String]]
    /// The 1-based physical line where record `i` starts (the first record is usually line 2).
    public let recordLines: [Int]
    /// The delimiter used: the one given, or the one detected from the header line.
    public let delimiter: CSVDelimiter

    /// The number of records (the header not included).
    public var rowCount: Int { recordLines.count }

    /// The number of columns.
    public var columnCount: Int { header.count }

    /// The index of the column called `name`, or nil.
    public func columnIndex(named name: String) -> Int? {
        header.firstIndex(of: name)
    }

    /// Parses `bytes` as UTF-8 CSV with a header line.
    ///
    /// When `delimiter` is nil it is detected from the header line: the most frequent of `,` `;` and tab
    /// outside quotes; ties and none give a comma.
    /// - Complexity: O(n) in the number of bytes.
    /// - Throws: `CSVError` for the first problem in the input.
    public init(parsing bytes: [UInt8], source: String, delimiter: CSVDelimiter? = nil) throws(CSVError) {
        var parser = CSVParserCore(source: source, delimiter: delimiter?.byte, output: .columns)
        try parser.feed(bytes)
        try parser.finish()
        guard let header = parser.header else {
            throw CSVError(source: source, line: 1, kind: .emptyFile)
        }
        self.source = source
        self.header = header
        self.columns = parser.columns
        self.recordLines = parser.recordLines
        self.delimiter = parser.delimiter.flatMap(CSVDelimiter.init(byte:)) ?? .comma
    }
}

extension CSVTable {
    /// A table of records already parsed (by a `CSVRecordReader`), e.g. one chunk of a large file: the records'
    /// line numbers are kept, so errors found in the chunk still name the file's lines.
    /// - Precondition: every record has one field per header name (the reader guarantees it).
    public init(source: String, header: [String], records: [(fields: [String], line: Int)], delimiter: CSVDelimiter) {
        var columns = [[String]](repeating: [], count: header.count)
        for j in columns.indices { columns[j].reserveCapacity(records.count) }
        for record in records {
            precondition(record.fields.count == header.count, "a record has \(record.fields.count) fields, not \(header.count)")
            for (j, field) in record.fields.enumerated() { columns[j].append(field) }
        }
        self.init(source: source, header: header, columns: columns, recordLines: records.map(\.line), delimiter: delimiter)
    }
}

/// Parses CSV records incrementally, for inputs too large to hold at once.
///
/// The rules are those of `CSVTable` (which is built on the same parser). Feed chunks of any size, take
/// the records completed so far, and call `finish()` at the end of the input. After an error the reader
/// throws the same error from every later call.
public struct CSVRecordReader: Sendable {
    private var parser: CSVParserCore

    /// A reader for the input called `source`; the delimiter is detected from the header line when nil.
    public init(source: String, delimiter: CSVDelimiter? = nil) {
        parser = CSVParserCore(source: source, delimiter: delimiter?.byte, output: .records)
    }

    /// Feeds the next chunk of bytes (any size; it may split a record or a multi-byte character anywhere).
    /// - Throws: `CSVError` for a problem in the records completed by this chunk.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(CSVError) {
        try parser.feed(bytes)
    }

    /// Signals the end of the input; flushes a final record without a trailing newline.
    /// - Throws: `CSVError`, e.g. `emptyFile` or `unterminatedQuote`.
    public mutating func finish() throws(CSVError) {
        try parser.finish()
    }

    /// The header, once it has been read.
    public var header: [String]? { parser.header }

    /// The delimiter, once it is known (given, or detected from the header line).
    public var delimiter: CSVDelimiter? { parser.delimiter.flatMap(CSVDelimiter.init(byte:)) }

    /// Takes the records completed so far: their fields (one per header name) and the physical line each
    /// record starts on.
    public mutating func takeRecords() -> [(fields: [String], line: Int)] {
        parser.takeRecords()
    }
}

/// Writes CSV that `CSVTable` and other RFC 4180 readers parse back to the same fields.
public enum CSVWriter {
    /// `s` as one field: verbatim, or quoted with each `"` doubled when it holds the delimiter, `"`, CR or LF.
    public static func field(_ s: String, delimiter: UInt8 = UInt8(ascii: ",")) -> String {
        checkDelimiter(delimiter)
        let quote = UInt8(ascii: "\"")
        let needsQuotes = s.utf8.contains { byte in
            byte == delimiter || byte == quote || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
        }
        guard needsQuotes else { return s }
        var bytes: [UInt8] = [quote]
        bytes.reserveCapacity(s.utf8.count + 4)
        for byte in s.utf8 {
            bytes.append(byte)
            if byte == quote { bytes.append(quote) }
        }
        bytes.append(quote)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `s` as one field, for `delimiter`.
    public static func field(_ s: String, delimiter: CSVDelimiter) -> String {
        field(s, delimiter: delimiter.byte)
    }

    /// One record: the fields joined by the delimiter, ending with `"\n"`.
    ///
    /// A record of one empty field is written `""` so that it is not read back as a blank line.
    public static func line(_ fields: [String], delimiter: UInt8 = UInt8(ascii: ",")) -> String {
        checkDelimiter(delimiter)
        if fields.count == 1, fields[0].isEmpty { return "\"\"\n" }
        var text = ""
        for (index, value) in fields.enumerated() {
            if index > 0 { text.unicodeScalars.append(Unicode.Scalar(delimiter)) }
            text += field(value, delimiter: delimiter)
        }
        text += "\n"
        return text
    }

    /// One record, for `delimiter`.
    public static func line(_ fields: [String], delimiter: CSVDelimiter) -> String {
        line(fields, delimiter: delimiter.byte)
    }

    private static func checkDelimiter(_ delimiter: UInt8) {
        precondition(
            delimiter < 0x80 && delimiter != UInt8(ascii: "\"") && delimiter != UInt8(ascii: "\n")
                && delimiter != UInt8(ascii: "\r"),
            "a CSV delimiter must be an ASCII byte other than a quote, CR or LF (got \(delimiter))")
    }
}
