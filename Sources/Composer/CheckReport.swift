// CheckReport: what `tunegen check` reports: every diagnostic, and per tune and in sum how
// many tunes pass each validity tier.
import ABCNotation
import Foundation

/// What `check --json` prints.
public struct CheckReport: Encodable {
    public struct TuneResult: Encodable {
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

    public struct Summary: Encodable {
        var tunes = 0
        var clean = 0
        var withWarnings = 0
        public var withErrors = 0
        /// Errors outside any tune (for example invalid UTF-8 in free text).
        public var fileErrors = 0
        /// passingTier[n - 1]: tunes passing tiers 1...n.
        var passingTier = [0, 0, 0, 0]

        public var text: String {
            let names = ["no errors", "header complete", "bars match meter", "repeats balanced"]
            var s = "\(tunes) tune\(tunes == 1 ? "" : "s"): \(clean) clean, \(withWarnings) with warnings, \(withErrors) with errors\n"
            for t in 0..<4 { s += "tier \(t + 1) (\(names[t])): \(passingTier[t]) of \(tunes)\n" }
            return s
        }
    }

    public var tunes: [TuneResult] = []
    public var summary = Summary()

    public init(files: [ABCFile]) {
        for file in files {
            add(fileDiagnostics: file.diagnostics)
            for tune in file.tunes { add(tune, file: file.fileName) }
        }
    }

    init() {}

    mutating func add(fileDiagnostics: [Diagnostic]) {
        summary.fileErrors += fileDiagnostics.filter { $0.severity == .error }.count
    }

    mutating func add(_ tune: Tune, file: String) {
        tunes.append(TuneResult(file: file, index: tune.index, referenceNumber: tune.referenceNumber,
                                title: tune.title, startLine: tune.startLine, bars: tune.barCount,
                                highestTier: tune.validity.highestTier, validity: tune.validity,
                                diagnostics: tune.diagnostics))
        summary.tunes += 1
        if tune.hasErrors { summary.withErrors += 1 } else if tune.hasWarnings { summary.withWarnings += 1 } else { summary.clean += 1 }
        for t in 0..<4 where tune.validity.passesTier(t + 1) { summary.passingTier[t] += 1 }
    }

    /// Checks `paths` ("-" for standard input) one tune at a time, so memory holds one parsed
    /// tune (plus the input, at most ABCInput.maxInputBytes) whatever the file's size. Returns the
    /// report and its text form (every diagnostic in compiler form, then the summary).
    public static func check(paths: [String]) throws -> (report: CheckReport, text: String) {
        var report = CheckReport()
        var out = ""
        for path in paths {
            let bytes = try ABCInput.read(path)
            let name = path == "-" ? "<stdin>" : path
            var tuneLines = ""
            let file = ABCParser.parseEach(bytes: bytes, fileName: name) { tune in
                report.add(tune, file: name)
                for d in tune.diagnostics { tuneLines += d.description + "\n" }
            }
            report.add(fileDiagnostics: file.diagnostics)
            for d in file.diagnostics { out += d.description + "\n" }
            out += tuneLines
        }
        return (report, out + report.summary.text)
    }
}

extension CheckReport {
    /// Every diagnostic in compiler form, one per line, then the summary.
    public static func text(for files: [ABCFile], report: CheckReport) -> String {
        var out = ""
        for file in files {
            for d in file.diagnostics { out += d.description + "\n" }
            for tune in file.tunes { for d in tune.diagnostics { out += d.description + "\n" } }
        }
        return out + report.summary.text
    }
}
