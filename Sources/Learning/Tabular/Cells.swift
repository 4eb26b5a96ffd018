/// How Switchboard reads a cell of text: blanks (spaces and tabs) around it do not count, and an empty or
/// all-blank cell is missing.
extension StringProtocol {
    /// The text without leading and trailing spaces and tabs, as a slice (no copy).
    public var blankTrimmed: SubSequence {
        // Most cells have no blank at either end: the first byte (a space or a tab is a character of one byte, and a
        // character starting with another byte is neither) and the last character settle it.
        if let first = utf8.first, first != 0x20, first != 0x09, let last = self.last, last != " ", last != "\t" {
            return self[startIndex..<endIndex]
        }
        var start = startIndex, end = endIndex
        while start < end, self[start] == " " || self[start] == "\t" { start = index(after: start) }
        while end > start, self[index(before: end)] == " " || self[index(before: end)] == "\t" { end = index(before: end) }
        return self[start..<end]
    }

    /// The text without leading and trailing spaces and tabs.
    public func trimmingBlanks() -> String { String(blankTrimmed) }
}

extension String {
    /// The text without leading and trailing spaces and tabs: the string itself (no copy) when there are none. Most
    /// cells have no blank at either end, and a look at the first and last bytes settles it (a space or a tab is a
    /// character of one byte).
    public func trimmingBlanks() -> String {
        if let first = utf8.first, let last = utf8.last, first != 0x20, first != 0x09, last != 0x20, last != 0x09 {
            return self
        }
        return String(blankTrimmed)
    }
}
