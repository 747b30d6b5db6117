// The tunegen command: a root that lists the subcommands. Each subcommand lives in its own
// file and is a thin layer of options over one Composer call. Errors are mapped here, once.
import ArgumentParser
import Composer
import Foundation

@main
struct Tunegen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tunegen",
        abstract: "Learn folk tunes in ABC notation with a character LSTM; generate and hear new ones.",
        subcommands: [
            Generate.self,
            Train.self,
            Eval.self,
            Evaluate.self,
            Render.self,
            Export.self,
            Check.self,
            Events.self,
            Transpose.self,
            Bench.self,
        ]
    )

    /// Runs the command. A TunegenError prints `tunegen: message` and exits with its status;
    /// usage errors exit 2 (not ArgumentParser's 64), as `check` documents.
    static func main() {
        Output.prepareProcess()
        OpenBLASCore.upgradeIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as TunegenError {
            Output.stderrIfPossible("tunegen: \(failure.description)\n")
            Foundation.exit(failure.exitStatus)
        } catch {
            if exitCode(for: error) == .validationFailure {
                Output.stderrIfPossible(fullMessage(for: error) + "\n")
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
