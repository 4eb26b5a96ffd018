import ArgumentParser
import Foundation
import Learning

@main
struct SwitchboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Lead routing and predictive scoring for partner ecosystems.",
        discussion: """
            Errors: every failure, a bad option or bad input, is one `error: …` line on standard error naming the \
            option and its value, or the file, line and column; the exit status is 1 (0 on success and for --help). \
            An output path that is also an input, or two outputs on one path, are refused before anything is read.
            """,
        subcommands: [
            Generate.self, Train.self, Shapes.self, Predict.self, Evaluate.self, Encode.self, Score.self, Simulate.self, Recommend.self,
            Segment.self, Route.self, Report.self, Profile.self, Recruit.self, Forecast.self, Serve.self,
        ]
    )

    /// The exit status of every failure: bad options and bad input alike (see README, "Errors").
    static let failureStatus: Int32 = 1

    /// Parses, checks the command's files (no output on an input, no two outputs on one path), runs; every error
    /// becomes one `error: …` line on stderr (usage errors add the usage) and exit status 1. `--help` exits 0.
    static func main() {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            reportParseError(error)
        }
        TemporaryFiles.removeOnInterrupt()
        do {
            if let files = command as? ReadsAndWritesFiles {
                try OutputGuard.check(files.fileRoles)
            }
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let error as ValidationError {
            // A check made in run() on an option: no usage, the message says which option.
            fail(error.message)
        } catch {
            // `help` runs a command that throws the help request: ArgumentParser prints it and exits 0.
            if exitCode(for: error) == .success { self.exit(withError: error) }
            // The parser's own errors (an options group parsed inside a command) in its words, without the usage.
            let isParserError = String(describing: type(of: error)).contains("CommandError")
            fail(isParserError ? message(for: error) : "\(error)")
        }
        Foundation.exit(0)
    }

    /// `error: message` on stderr, exit status 1.
    static func fail(_ message: String) -> Never {
        FileIO.endProgress()
        FileHandle.standardError.write(Data("error: \(EscapedText.controls(in: message))\n".utf8))
        Foundation.exit(failureStatus)
    }

    /// Help and version exit 0 through ArgumentParser; a usage error prints `error: …`, then the usage, and exits 1.
    static func reportParseError(_ error: any Error) -> Never {
        if exitCode(for: error) == .success { self.exit(withError: error) }
        let full = fullMessage(for: error)
        var text = full.hasPrefix("Error: ") ? "error: " + full.dropFirst("Error: ".count) : "error: " + full
        if !text.hasSuffix("\n") { text += "\n" }
        FileHandle.standardError.write(Data(text.utf8))
        Foundation.exit(failureStatus)
    }
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
        FileHandle.standardError.write(Data("error: \(EscapedText.controls(in: "\(error)"))\n".utf8))
        throw ExitCode(SwitchboardCommand.failureStatus)
    }
}
