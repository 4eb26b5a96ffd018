import ArgumentParser
import Learning
import Switchboard

/// The time an option gives (`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ`); an impossible date (2024-02-30) is called
/// impossible, anything else not in the format is called so.
func timeOption(_ option: String, _ text: String) throws -> Timestamp {
    let trimmed = Substring(text.trimmingBlanks())
    if let time = Timestamp(iso: trimmed) { return time }
    if let reason = Timestamp.impossibility(trimmed) {
        throw ValidationError("\(option) '\(text)' is an impossible date or time: \(reason)")
    }
    throw ValidationError("\(option) must be a date (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM:SSZ) (got '\(text)')")
}

extension SolverKind: ExpressibleByArgument {}
extension MissingValuePolicy: ExpressibleByArgument {}
extension ModelShape: ExpressibleByArgument {}

/// A comma-separated list of column names (the option may also be repeated).
func columnList(_ values: [String]) -> [String] {
    values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: true).map { $0.trimmingBlanks() } }
}

/// The CSV options every command that reads a table shares.
struct CSVOptions: ParsableArguments {
    @Option(help: "Field delimiter: ',', ';', 'tab' (default: detected from the header line).")
    var delimiter: String?

    func parsedDelimiter() throws -> CSVDelimiter? {
        guard let delimiter else { return nil }
        guard let parsed = CSVDelimiter(name: delimiter) else {
            throw ValidationError("--delimiter must be ',', ';' or 'tab' (got '\(delimiter)')")
        }
        return parsed
    }

    func validate() throws { _ = try parsedDelimiter() }
}
