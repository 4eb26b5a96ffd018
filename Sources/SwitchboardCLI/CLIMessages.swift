import Learning
import Switchboard

/// Library errors that speak of parameters rewritten to name the option and the file the user gave.
enum CLIMessages {
    /// Runs `body`; a cross-validation fold count the data cannot hold becomes
    /// `--cv must be between 2 and N (the number of rows of the rarer class in FILE) (got K)`.
    static func namingOption<Result>(_ option: String, file: String, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let MetricsError.invalidFoldCount(requested, smallestClass) {
            if smallestClass < 2 {
                throw CLIError(
                    "\(option) \(requested): cross-validation needs at least 2 rows of each class; \(file) has "
                        + "\(smallestClass) of the rarer one")
            }
            throw CLIError(
                "\(option) must be between 2 and \(smallestClass) (the number of rows of the rarer class in \(file)) "
                    + "(got \(requested))")
        }
    }

    /// Runs `body`; a metrics or learning error (no rows, one class) is prefixed with the file it concerns.
    static func naming<Result>(file: String, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as MetricsError {
            throw CLIError("\(file): \(error)")
        } catch let error as LearningError {
            throw CLIError("\(file): \(error)")
        }
    }
}

extension CLIMessages {
    /// Runs `body`; a routing value too large for the value resolution is reported at the candidates file's line
    /// and column (batch), or at the leads file (model mode), with the configuration key to change.
    static func locatingValues<Result>(
        candidates: CSVTable?, leads: String?, config: String?, _ body: () throws -> Result
    ) throws -> Result {
        do {
            return try body()
        } catch let RoutingError.valueOutOfRange(lead, partner, value, resolution) {
            let fix =
                "too large for the value resolution \(resolution) (raise 'valueResolution' in "
                + "\(config ?? "a --config file"))"
            if let candidates, let leadColumn = candidates.columnIndex(named: "lead_id"),
                let partnerColumn = candidates.columnIndex(named: "partner_id"),
                let row = (0..<candidates.rowCount).first(where: {
                    candidates.columns[leadColumn][$0].trimmingBlanks() == lead
                        && candidates.columns[partnerColumn][$0].trimmingBlanks() == partner
                })
            {
                throw CLIError(
                    "\(candidates.source):\(candidates.recordLines[row]): column 'expected_value': lead '\(lead)', "
                        + "partner '\(partner)': value \(value) is \(fix)")
            }
            throw CLIError(
                "\(leads ?? "the leads"): lead '\(lead)', partner '\(partner)': expected value \(value) is \(fix)")
        }
    }
}
