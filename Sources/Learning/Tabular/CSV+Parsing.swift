// The one CSV parser behind `CSVTable` and `CSVRecordReader`, in three layers:
// - `CSVHeaderLocator` skips a byte-order mark and leading blank lines, and detects the delimiter;
// - `CSVScanner` is the byte-level RFC 4180 state machine, splitting bytes into records and fields;
// - `CSVParserCore` checks the header and the field counts, decodes UTF-8, and stores the records.
// All three accept input in chunks of any size.

private let lineFeed = UInt8(ascii: "\n")
private let carriageReturn = UInt8(ascii: "\r")
private let quote = UInt8(ascii: "\"")
private let space = UInt8(ascii: " ")
private let tab = UInt8(ascii: "\t")
private let comma = UInt8(ascii: ",")
private let semicolon = UInt8(ascii: ";")

// MARK: - Header locator

/// Finds where the header line starts, past a UTF-8 byte-order mark and any lines holding only spaces and
/// tabs, and, when no delimiter is given, detects it from the header line.
///
/// It reads a growing prefix of the input: call `advance` again with the same bytes plus more, until it
/// returns `.header` or `.empty`.
struct CSVHeaderLocator: Sendable {
    enum Outcome: Equatable {
        case needMoreInput
        /// Nothing but a byte-order mark and whitespace.
        case empty
        /// The header line starts at byte `start`, on physical line `line`.
        case header(start: Int, line: Int, delimiter: UInt8)
    }

    private let givenDelimiter: UInt8?
    private var position = 0
    private var checkedByteOrderMark = false
    private var line = 1
    private var afterCarriageReturn = false
    private var lineStart = 0
    private var foundHeader = false
    private var insideQuotes = false
    private var commaCount = 0
    private var semicolonCount = 0
    private var tabCount = 0

    init(delimiter: UInt8?) {
        givenDelimiter = delimiter
    }

    /// Continues through `input` (the bytes seen before, then new ones); `isComplete` when no more will come.
    mutating func advance(_ input: UnsafeBufferPointer<UInt8>, isComplete: Bool) -> Outcome {
        let end = input.count
        if !checkedByteOrderMark {
            let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
            let available = min(end, 3)
            if !input.prefix(available).elementsEqual(byteOrderMark.prefix(available)) {
                checkedByteOrderMark = true
            } else if available == 3 {
                position = 3
                lineStart = 3
                checkedByteOrderMark = true
            } else if !isComplete {
                return .needMoreInput
            } else {
                checkedByteOrderMark = true  // a truncated mark: the scanner reports it as bad UTF-8
            }
        }
        if !foundHeader {
            while position < end {
                let byte = input[position]
                if byte == carriageReturn {
                    line += 1
                    afterCarriageReturn = true
                    lineStart = position + 1
                } else if byte == lineFeed {
                    if afterCarriageReturn { afterCarriageReturn = false } else { line += 1 }
                    lineStart = position + 1
                } else if byte == space || byte == tab {
                    afterCarriageReturn = false
                } else {
                    foundHeader = true
                    break
                }
                position += 1
            }
            guard foundHeader else { return isComplete ? .empty : .needMoreInput }
            if let givenDelimiter { return .header(start: lineStart, line: line, delimiter: givenDelimiter) }
            position = lineStart
        }
        while position < end {
            let byte = input[position]
            if byte == quote {
                insideQuotes.toggle()
            } else if !insideQuotes {
                switch byte {
                case comma: commaCount += 1
                case semicolon: semicolonCount += 1
                case tab: tabCount += 1
                case carriageReturn, lineFeed:
                    return .header(start: lineStart, line: line, delimiter: detectedDelimiter)
                default: break
                }
            }
            position += 1
        }
        return isComplete ? .header(start: lineStart, line: line, delimiter: detectedDelimiter) : .needMoreInput
    }

    /// The most frequent delimiter in the header line; a comma for ties and when there is none.
    private var detectedDelimiter: UInt8 {
        if semicolonCount > commaCount, semicolonCount > tabCount { return semicolon }
        if tabCount > commaCount, tabCount > semicolonCount { return tab }
        return comma
    }
}

// MARK: - Scanner

/// The RFC 4180 state machine: splits bytes into records and fields, counting physical lines.
///
/// `scan` returns after each complete record; its fields are then readable (`fieldCount`, `field(_:)`)
/// until the next call. Field bytes are stored unquoted and unescaped, one record at a time.
struct CSVScanner: Sendable {
    /// A problem found while scanning, in the field with index `fieldIndex` of the current record.
    struct Failure: Error {
        var kind: CSVError.Kind
        var line: Int
        var fieldIndex: Int
    }

    private enum State: UInt8, Sendable {
        /// Between records, where blank lines are skipped.
        case recordStart
        /// Between records, just after a CR: an LF here completes a CRLF.
        case recordStartAfterCarriageReturn
        case fieldStart
        case unquoted
        case quoted
        /// Inside quotes, just after a CR: an LF here completes a CRLF (one physical line break).
        case quotedAfterCarriageReturn
        /// Inside quotes, just after a `"`: a second `"`, the delimiter or a line end must follow.
        case quoteInQuoted
    }

    let delimiter: UInt8
    private var state = State.recordStart
    /// The physical line of the next byte.
    private var line: Int
    /// The physical line where the current record starts.
    private(set) var recordLine: Int
    /// The physical line of the opening quote of the current quoted field.
    private var quoteLine = 0
    /// The current record's field bytes, concatenated.
    private var bytes: [UInt8] = []
    /// The end offset in `bytes` of each field completed so far in the current record.
    private var fieldEnds: [Int] = []
    /// The bitwise OR of the field bytes of the current record: below 0x80 means all ASCII.
    private var byteUnion: UInt8 = 0

    /// A scanner whose first byte is on physical line `line`.
    init(delimiter: UInt8, line: Int) {
        self.delimiter = delimiter
        self.line = line
        self.recordLine = line
        bytes.reserveCapacity(256)
        fieldEnds.reserveCapacity(32)
    }

    /// Scans `input` from `start` until a record is complete (returns the index after its line end) or the
    /// input runs out (returns nil; the partial record is kept for the next chunk).
    /// - Throws: `Failure` with `.unexpectedQuote`.
    mutating func scan(_ input: UnsafeBufferPointer<UInt8>, from start: Int) throws(Failure) -> Int? {
        let end = input.count
        let delimiter = self.delimiter
        var state = self.state
        var line = self.line
        var union = byteUnion
        var index = start
        // Start of the field bytes not yet copied to `bytes` (in the unquoted and quoted states).
        var runStart = start
        defer {
            self.state = state
            self.line = line
            byteUnion = union
        }

        while index < end {
            switch state {
            case .recordStart, .recordStartAfterCarriageReturn:
                let byte = input[index]
                if byte == lineFeed {
                    if state == .recordStartAfterCarriageReturn { state = .recordStart } else { line += 1 }
                    index += 1
                } else if byte == carriageReturn {
                    line += 1
                    state = .recordStartAfterCarriageReturn
                    index += 1
                } else {
                    bytes.removeAll(keepingCapacity: true)
                    fieldEnds.removeAll(keepingCapacity: true)
                    union = 0
                    recordLine = line
                    state = .fieldStart
                }

            case .fieldStart:
                let byte = input[index]
                if byte == quote {
                    quoteLine = line
                    state = .quoted
                    index += 1
                    runStart = index
                } else if byte == delimiter {
                    fieldEnds.append(bytes.count)
                    index += 1
                } else if byte == lineFeed || byte == carriageReturn {
                    fieldEnds.append(bytes.count)
                    line += 1
                    state = byte == carriageReturn ? .recordStartAfterCarriageReturn : .recordStart
                    return index + 1
                } else {
                    state = .unquoted
                    runStart = index
                }

            case .unquoted:
                while index < end {
                    let byte = input[index]
                    if byte == delimiter || byte == lineFeed || byte == carriageReturn { break }
                    union |= byte
                    index += 1
                }
                guard index < end else { break }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<index]))
                fieldEnds.append(bytes.count)
                let byte = input[index]
                index += 1
                if byte == delimiter {
                    state = .fieldStart
                } else {
                    line += 1
                    state = byte == carriageReturn ? .recordStartAfterCarriageReturn : .recordStart
                    return index
                }

            case .quoted, .quotedAfterCarriageReturn:
                if state == .quotedAfterCarriageReturn {
                    state = .quoted
                    if input[index] == lineFeed {
                        index += 1
                        continue
                    }
                }
                while index < end {
                    let byte = input[index]
                    if byte == quote || byte == lineFeed || byte == carriageReturn { break }
                    union |= byte
                    index += 1
                }
                guard index < end else { break }
                let byte = input[index]
                if byte == quote {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<index]))
                    state = .quoteInQuoted
                } else {
                    line += 1
                    if byte == carriageReturn { state = .quotedAfterCarriageReturn }
                }
                index += 1

            case .quoteInQuoted:
                let byte = input[index]
                if byte == quote {
                    state = .quoted
                    runStart = index  // the second quote of "" is a literal one
                    index += 1
                } else if byte == delimiter {
                    fieldEnds.append(bytes.count)
                    state = .fieldStart
                    index += 1
                } else if byte == lineFeed || byte == carriageReturn {
                    fieldEnds.append(bytes.count)
                    line += 1
                    state = byte == carriageReturn ? .recordStartAfterCarriageReturn : .recordStart
                    return index + 1
                } else {
                    throw Failure(kind: .unexpectedQuote, line: line, fieldIndex: fieldEnds.count)
                }
            }
        }
        switch state {
        case .unquoted, .quoted, .quotedAfterCarriageReturn:
            if runStart < end {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<end]))
            }
        default:
            break
        }
        return nil
    }

    /// Ends the input: returns true when that completes a last record (one without a line end).
    /// - Throws: `Failure` with `.unterminatedQuote`, at the line of the opening quote.
    mutating func finish() throws(Failure) -> Bool {
        switch state {
        case .recordStart, .recordStartAfterCarriageReturn:
            return false
        case .quoted, .quotedAfterCarriageReturn:
            throw Failure(kind: .unterminatedQuote, line: quoteLine, fieldIndex: fieldEnds.count)
        case .fieldStart, .unquoted, .quoteInQuoted:
            fieldEnds.append(bytes.count)
            state = .recordStart
            return true
        }
    }

    /// The number of fields of the record just completed.
    var fieldCount: Int { fieldEnds.count }

    /// Field `index` of the record just completed, or nil when it is not valid UTF-8.
    func field(_ index: Int) -> String? {
        let start = index == 0 ? 0 : fieldEnds[index - 1]
        let end = fieldEnds[index]
        let isASCII = byteUnion < 0x80
        return bytes.withUnsafeBufferPointer { buffer in
            let slice = UnsafeBufferPointer(rebasing: buffer[start..<end])
            guard isASCII || Self.validUTF8Prefix(slice) == slice.count else { return nil }
            return String(decoding: slice, as: UTF8.self)
        }
    }

    /// The index of the first field of the record just completed that holds a NUL byte, if any.
    func fieldHoldingNUL() -> Int? {
        guard let offset = bytes.firstIndex(of: 0) else { return nil }
        return fieldEnds.firstIndex { $0 > offset }
    }

    /// The physical line of the first invalid UTF-8 byte in field `index` of the record just completed.
    func lineOfInvalidUTF8(inField index: Int) -> Int {
        var line = recordLine
        var fieldStart = 0
        for field in 0...index {
            var end = fieldEnds[field]
            if field == index {
                end =
                    fieldStart
                    + bytes.withUnsafeBufferPointer { buffer in
                        Self.validUTF8Prefix(UnsafeBufferPointer(rebasing: buffer[fieldStart..<end]))
                    }
            }
            var afterCarriageReturn = false
            for byte in bytes[fieldStart..<end] {
                if byte == carriageReturn {
                    line += 1
                } else if byte == lineFeed, !afterCarriageReturn {
                    line += 1
                }
                afterCarriageReturn = byte == carriageReturn
            }
            fieldStart = fieldEnds[field]
        }
        return line
    }

    /// The length of the longest prefix of `bytes` made of whole, valid UTF-8 sequences (Unicode Table 3-7:
    /// no overlong forms, no surrogates, nothing above U+10FFFF).
    static func validUTF8Prefix(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let end = bytes.count
        var index = 0
        while index < end {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var secondRange: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; secondRange = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; secondRange = 0x80...0x9F
            case 0xF0: length = 4; secondRange = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; secondRange = 0x80...0x8F
            default: return index
            }
            guard index + length <= end, secondRange.contains(bytes[index + 1]) else { return index }
            for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 { return index }
            index += length
        }
        return end
    }
}

// MARK: - Parser

/// Checks and stores the records found by a `CSVScanner`: the first is the header, each other must have
/// one field per header name. Stores records as rows (streaming) or as columns (`CSVTable`).
struct CSVParserCore: Sendable {
    enum Output: Sendable { case records, columns }

    let source: String
    let output: Output
    private var locator: CSVHeaderLocator
    /// The input seen while the header line is still being located.
    private var pending: [UInt8] = []
    private var hasLocatedHeader = false
    private var scanner: CSVScanner
    private(set) var header: [String]?
    /// The records not yet taken (`.records` output).
    private var records: [(fields: [String], line: Int)] = []
    /// The fields, column by column (`.columns` output).
    private(set) var columns: [[String]] = []
    /// The start line of each record (`.columns` output).
    private(set) var recordLines: [Int] = []
    /// The first error, thrown again by every later call.
    private var failure: CSVError?
    private var isFinished = false

    init(source: String, delimiter: UInt8?, output: Output) {
        self.source = source
        self.output = output
        locator = CSVHeaderLocator(delimiter: delimiter)
        scanner = CSVScanner(delimiter: delimiter ?? comma, line: 1)
    }

    /// The delimiter, once known.
    var delimiter: UInt8? { hasLocatedHeader ? scanner.delimiter : nil }

    mutating func takeRecords() -> [(fields: [String], line: Int)] {
        var taken: [(fields: [String], line: Int)] = []
        swap(&taken, &records)
        return taken
    }

    mutating func feed(_ bytes: some Collection<UInt8>) throws(CSVError) {
        if let failure { throw failure }
        precondition(!isFinished, "CSV input fed after finish()")
        var caught: CSVError?
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            do throws(CSVError) { try consume(buffer) } catch { caught = error }
        }
        if done == nil {
            Array(bytes).withUnsafeBufferPointer { buffer in
                do throws(CSVError) { try consume(buffer) } catch { caught = error }
            }
        }
        if let caught {
            failure = caught
            throw caught
        }
    }

    mutating func finish() throws(CSVError) {
        if let failure { throw failure }
        guard !isFinished else { return }
        isFinished = true
        do throws(CSVError) {
            if !hasLocatedHeader {
                let buffered = pending
                pending = []
                try buffered.withUnsafeBufferPointer { (buffer) throws(CSVError) in
                    try startIfLocated(locator.advance(buffer, isComplete: true), in: buffer)
                }
            }
            let completed: Bool
            do throws(CSVScanner.Failure) { completed = try scanner.finish() } catch { throw csvError(error) }
            if completed { try takeRecord() }
            if header == nil { throw CSVError(source: source, line: 1, kind: .emptyFile) }
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func consume(_ input: UnsafeBufferPointer<UInt8>) throws(CSVError) {
        if hasLocatedHeader {
            try scanRecords(input, from: 0)
        } else if pending.isEmpty {
            let outcome = locator.advance(input, isComplete: false)
            if outcome == .needMoreInput { pending.append(contentsOf: input) }
            try startIfLocated(outcome, in: input)
        } else {
            pending.append(contentsOf: input)
            let buffered = pending
            try buffered.withUnsafeBufferPointer { (buffer) throws(CSVError) in
                let outcome = locator.advance(buffer, isComplete: false)
                if outcome != .needMoreInput { pending = [] }
                try startIfLocated(outcome, in: buffer)
            }
        }
    }

    /// Starts scanning at the header line once the locator has found it.
    private mutating func startIfLocated(
        _ outcome: CSVHeaderLocator.Outcome, in input: UnsafeBufferPointer<UInt8>
    ) throws(CSVError) {
        switch outcome {
        case .needMoreInput:
            return
        case .empty:
            throw CSVError(source: source, line: 1, kind: .emptyFile)
        case .header(let start, let line, let delimiter):
            hasLocatedHeader = true
            scanner = CSVScanner(delimiter: delimiter, line: line)
            try scanRecords(input, from: start)
        }
    }

    private mutating func scanRecords(_ input: UnsafeBufferPointer<UInt8>, from start: Int) throws(CSVError) {
        var position = start
        while true {
            let next: Int?
            do throws(CSVScanner.Failure) { next = try scanner.scan(input, from: position) } catch {
                throw csvError(error)
            }
            guard let next else { return }
            position = next
            try takeRecord()
        }
    }

    /// Checks and stores the record the scanner has just completed.
    private mutating func takeRecord() throws(CSVError) {
        guard let header else {
            try readHeader()
            return
        }
        let line = scanner.recordLine
        let fieldCount = scanner.fieldCount
        try rejectNUL()
        guard fieldCount == header.count else {
            throw CSVError(
                source: source, line: line, column: fieldCount < header.count ? header[fieldCount] : nil,
                kind: .raggedRow(expected: header.count, got: fieldCount))
        }
        switch output {
        case .columns:
            for index in 0..<fieldCount {
                guard let field = scanner.field(index) else { throw invalidUTF8(inField: index) }
                columns[index].append(field)
            }
            recordLines.append(line)
        case .records:
            var fields: [String] = []
            fields.reserveCapacity(fieldCount)
            for index in 0..<fieldCount {
                guard let field = scanner.field(index) else { throw invalidUTF8(inField: index) }
                fields.append(field)
            }
            records.append((fields: fields, line: line))
        }
    }

    private mutating func readHeader() throws(CSVError) {
        try rejectNUL()
        let line = scanner.recordLine
        var names: [String] = []
        var seen: Set<String> = []
        for index in 0..<scanner.fieldCount {
            guard let name = scanner.field(index) else { throw invalidUTF8(inField: index) }
            if name.allSatisfy(\.isWhitespace) {
                throw CSVError(source: source, line: line, kind: .emptyHeaderName)
            }
            if !seen.insert(name).inserted {
                throw CSVError(source: source, line: line, column: name, kind: .duplicateHeader(name))
            }
            names.append(name)
        }
        header = names
        if output == .columns { columns = Array(repeating: [], count: names.count) }
    }

    /// A NUL byte is never data: reading on would silently cut a value short (`12<NUL>34` read as 12).
    private func rejectNUL() throws(CSVError) {
        guard let index = scanner.fieldHoldingNUL() else { return }
        let column = header.flatMap { index < $0.count ? $0[index] : nil }
        let value = scanner.field(index) ?? ""
        throw CSVError(
            source: source, line: scanner.recordLine, column: column, kind: .nulByte(field: index + 1, value: value))
    }

    private func invalidUTF8(inField index: Int) -> CSVError {
        let column = header.flatMap { index < $0.count ? $0[index] : nil }
        return CSVError(
            source: source, line: scanner.lineOfInvalidUTF8(inField: index), column: column, kind: .invalidUTF8)
    }

    private func csvError(_ failure: CSVScanner.Failure) -> CSVError {
        let column = header.flatMap { failure.fieldIndex < $0.count ? $0[failure.fieldIndex] : nil }
        return CSVError(source: source, line: failure.line, column: column, kind: failure.kind)
    }
}
