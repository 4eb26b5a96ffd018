/// How Switchboard reads a cell of text: blanks (spaces and tabs) around it do not count, and an empty or
/// all-blank cell is missing.
extension StringProtocol {
    /// The text without leading and trailing spaces and tabs, as a slice (no copy).
    public var blankTrimmed: SubSequence {
        var start = startIndex, end = endIndex
        while start < end, self[start] == " " || self[start] == "\t" { start = index(after: start) }
        while end > start, self[index(before: end)] == " " || self[index(before: end)] == "\t" { end = index(before: end) }
        return self[start..<end]
    }

    /// The text without leading and trailing spaces and tabs.
    public func trimmingBlanks() -> String { String(blankTrimmed) }
}
