/// An HTML table: a header row and body rows of cells, numeric columns right-aligned.
public struct HTMLTable: Sendable, Equatable {
    /// One cell: its content, and classes (`num` for right-aligned figures).
    public struct Cell: Sendable, Equatable {
        public var content: [Markup]
        public var classes: [String]

        public init(_ content: [Markup], classes: [String] = []) {
            self.content = content
            self.classes = classes
        }

        /// A cell of plain text.
        public static func text(_ text: String) -> Cell { Cell([.text(text)]) }

        /// A right-aligned cell of a figure.
        public static func number(_ text: String) -> Cell { Cell([.text(text)], classes: ["num"]) }
    }

    public var header: [String]
    public var rows: [[Cell]]
    /// Header columns to right-align (those of figures).
    public var numericColumns: Set<Int>
    public var caption: String?
    public var classes: [String]

    public init(header: [String], rows: [[Cell]], numericColumns: Set<Int> = [], caption: String? = nil, classes: [String] = []) {
        self.header = header
        self.rows = rows
        self.numericColumns = numericColumns
        self.caption = caption
        self.classes = classes
    }

    public func render() -> Markup {
        var children: [Markup] = []
        if let caption { children.append(.tag("caption", text: caption)) }
        children.append(
            .tag(
                "thead", [],
                [
                    .tag(
                        "tr", [],
                        header.enumerated().map { index, title in
                            .tag(
                                "th", numericColumns.contains(index) ? [.init("class", "num")] : [.init("scope", "col")],
                                text: title)
                        })
                ]))
        children.append(
            .tag(
                "tbody", [],
                rows.map { row in
                    .tag(
                        "tr", [],
                        row.map { cell in
                            .tag(
                                "td", cell.classes.isEmpty ? [] : [.init("class", cell.classes.joined(separator: " "))],
                                cell.content)
                        })
                }))
        return .tag("table", [.init("class", (["data"] + classes).joined(separator: " "))], children)
    }
}
