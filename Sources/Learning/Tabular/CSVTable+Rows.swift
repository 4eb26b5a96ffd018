extension CSVTable {
    /// A table built from parts (for row subsets and tables made in code).
    /// - Precondition: every column has `recordLines.count` cells and there is one column a header name.
    public init(source: String, header: [String], columns: [[String]], recordLines: [Int], delimiter: CSVDelimiter = .comma) {
        precondition(columns.count == header.count, "one column a header name")
        precondition(columns.allSatisfy { $0.count == recordLines.count }, "every column needs one cell a record")
        self.source = source
        self.header = header
        self.columns = columns
        self.recordLines = recordLines
        self.delimiter = delimiter
    }

    /// The records at `indices`, in that order, keeping their original line numbers.
    public func selectingRows(_ indices: [Int]) -> CSVTable {
        CSVTable(
            source: source, header: header, columns: columns.map { column in indices.map { column[$0] } },
            recordLines: indices.map { recordLines[$0] }, delimiter: delimiter)
    }
}
