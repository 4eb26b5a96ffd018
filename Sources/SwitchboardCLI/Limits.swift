import ArgumentParser

/// The largest counts the commands accept, chosen so that a run fits in a few GB of memory and finishes in minutes
/// on a small machine (2 cores, 8 GB); each option's help states its limit. A count beyond its limit is refused
/// before any work, naming the option, its value and the limit.
enum Limits {
    /// Partners kept per lead (`score --top`, `route --candidates-per-lead`, `simulate --candidates`,
    /// `report --candidates`); a value above the number of partners is taken as all of them.
    static let partnersPerLead = 10_000
    /// Leads per chunk of `score`.
    static let chunk = 1_000_000
    /// `generate --partners`.
    static let generatedPartners = 100_000
    /// `generate --leads` and `--incoming`.
    static let generatedLeads = 5_000_000
    /// `generate --periods` (months: 50 years).
    static let generatedPeriods = 600
    /// `generate`: partners × periods, the activity rows written (and held) at once.
    static let generatedActivityRows = 5_000_000
    /// `generate leads --rows`.
    static let generatedRows = 10_000_000
    /// Iteration limits of the solvers.
    static let iterations = 1_000_000

    /// Throws unless `minimum ≤ value ≤ maximum`: `--top must be at least 1 (got -2)`,
    /// `--top must be at most 10000 (got 2000000000)`.
    static func check(_ option: String, _ value: Int, atLeast minimum: Int, atMost maximum: Int? = nil, why: String = "")
        throws
    {
        if value < minimum { throw ValidationError("\(option) must be at least \(minimum) (got \(value))") }
        if let maximum, value > maximum {
            throw ValidationError("\(option) must be at most \(maximum)\(why.isEmpty ? "" : " (\(why))") (got \(value))")
        }
    }

    /// Throws unless `value` is finite and within the bounds (each exclusive when so marked).
    static func check(
        _ option: String, _ value: Double, greaterThan lower: Double? = nil, atLeast minimum: Double? = nil,
        atMost maximum: Double? = nil
    ) throws {
        guard value.isFinite else { throw ValidationError("\(option) must be a finite number (got \(value))") }
        if let lower, !(value > lower) { throw ValidationError("\(option) must be > \(format(lower)) (got \(value))") }
        if let minimum, value < minimum {
            throw ValidationError("\(option) must be at least \(format(minimum)) (got \(value))")
        }
        if let maximum, value > maximum {
            throw ValidationError("\(option) must be at most \(format(maximum)) (got \(value))")
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
    }
}
