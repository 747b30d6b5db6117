// `tunegen check FILE…`: every problem in compiler form, then a summary of validity tiers.
// Exit 0 when no tune has errors, 1 when one does, 2 for usage or I/O problems.
import ArgumentParser
import Composer
import Foundation

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check ABC files: problems as file:line:col, and how many tunes pass each validity tier.",
        discussion: """
            Tiers: 1 no errors; 2 header complete (X, M, L or its default, K); 3 bar lengths agree with \
            the meter (pickups allowed); 4 repeats and endings balanced. Exit status: 0 no errors, \
            1 some tune has errors, 2 usage or I/O error.
            """)

    @Argument(help: "ABC files to check ('-' reads standard input).")
    var files: [String]

    @Flag(help: "Print one JSON document (per-tune results and the summary) instead of text.")
    var json = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one ABC file (or - for standard input)") }
    }

    func run() throws {
        let (report, text) = try CheckReport.check(paths: files)
        if json { try JSONOutput.print(report) } else { try Output.stdout(text) }
        if report.summary.withErrors > 0 || report.summary.fileErrors > 0 { throw ExitCode(1) }
    }
}
