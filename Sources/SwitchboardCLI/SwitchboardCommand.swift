import ArgumentParser
import Foundation

@main
struct SwitchboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Lead routing and predictive scoring for partner ecosystems.",
        subcommands: [Generate.self, Train.self, Predict.self, Evaluate.self, Encode.self, Score.self, Simulate.self, Recommend.self, Segment.self, Route.self, Report.self]
    )
}

/// Runs a command body, turning any error into `error: …` on stderr and exit code 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        FileIO.endProgress()
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}
