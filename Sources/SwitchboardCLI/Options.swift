import ArgumentParser
import Learning

extension SolverKind: ExpressibleByArgument {}
extension MissingValuePolicy: ExpressibleByArgument {}

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
