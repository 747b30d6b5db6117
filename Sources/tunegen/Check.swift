// `tunegen check FILE…`: every problem in compiler form, then a summary of validity tiers.
// Exit 0 when no tune has errors, 1 when one does, 2 for usage or I/O problems.
import ABCNotation
import ArgumentParser
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
        var parsed: [ABCFile] = []
        do {
            for path in files { parsed.append(try ABCInput.parse(path)) }
        } catch let failure as CommandFailure {
            CommandFailure.exit(failure)
        }
        let report = CheckReport(files: parsed)
        if json {
            try JSONOutput.print(report)
        } else {
            var out = ""
            for file in parsed {
                for d in file.diagnostics { out += d.description + "\n" }
                for tune in file.tunes { for d in tune.diagnostics { out += d.description + "\n" } }
            }
            out += report.summary.text
            FileHandle.standardOutput.write(Data(out.utf8))
        }
        if report.summary.withErrors > 0 || report.summary.fileErrors > 0 { throw ExitCode(1) }
    }
}

/// What `check --json` prints.
struct CheckReport: Encodable {
    struct TuneResult: Encodable {
        var file: String
        var index: Int
        var referenceNumber: Int?
        var title: String?
        var startLine: Int
        var bars: Int
        var highestTier: Int
        var validity: Validity
        var diagnostics: [Diagnostic]
    }

    struct Summary: Encodable {
        var tunes = 0
        var clean = 0
        var withWarnings = 0
        var withErrors = 0
        /// Errors outside any tune (for example invalid UTF-8 in free text).
        var fileErrors = 0
        /// passingTier[n - 1]: tunes passing tiers 1...n.
        var passingTier = [0, 0, 0, 0]

        var text: String {
            let names = ["no errors", "header complete", "bars match meter", "repeats balanced"]
            var s = "\(tunes) tune\(tunes == 1 ? "" : "s"): \(clean) clean, \(withWarnings) with warnings, \(withErrors) with errors\n"
            for t in 0..<4 { s += "tier \(t + 1) (\(names[t])): \(passingTier[t]) of \(tunes)\n" }
            return s
        }
    }

    var tunes: [TuneResult] = []
    var summary = Summary()

    init(files: [ABCFile]) {
        for file in files {
            summary.fileErrors += file.diagnostics.filter { $0.severity == .error }.count
            for tune in file.tunes {
                tunes.append(TuneResult(file: file.fileName, index: tune.index, referenceNumber: tune.referenceNumber,
                                        title: tune.title, startLine: tune.startLine, bars: tune.barCount,
                                        highestTier: tune.validity.highestTier, validity: tune.validity,
                                        diagnostics: tune.diagnostics))
                summary.tunes += 1
                if tune.hasErrors { summary.withErrors += 1 } else if tune.hasWarnings { summary.withWarnings += 1 } else { summary.clean += 1 }
                for t in 0..<4 where tune.validity.passesTier(t + 1) { summary.passingTier[t] += 1 }
            }
        }
    }
}
