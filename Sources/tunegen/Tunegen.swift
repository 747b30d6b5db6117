// The tunegen command: a root that lists the subcommands. Each subcommand lives in its own
// file and is a thin layer of options over one library call.
import ArgumentParser
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
            Render.self,
            Export.self,
            Check.self,
            Events.self,
            Bench.self,
            BenchABC.self,
        ]
    )

    /// Runs the command; usage errors exit 2 (not ArgumentParser's 64), as `check` documents.
    static func main() {
        OpenBLASCore.upgradeIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
