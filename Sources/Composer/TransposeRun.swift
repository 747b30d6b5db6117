// TransposeRun: `tunegen transpose`. Reads ABC files, moves every tune (ABCNotation's Transposer),
// and writes each file back with only its tunes' key, note and chord-symbol text changed: file
// headers, free text between tunes and line ends stay byte for byte. All tunes of all files are
// transposed before anything is written, so a refusal anywhere writes nothing.
import ABCNotation
import FileOutput
import Foundation

public enum TransposeRun {
    /// What to do to each tune.
    public enum Move: Sendable, Equatable {
        case semitones(Int)
        case toKey(String)
    }

    /// One input file, transposed.
    public struct FileResult: Sendable {
        /// The path as given ("-" for standard input).
        public var path: String
        /// The whole file's new bytes.
        public var bytes: [UInt8]
        /// A line per tune for the user: `X:1 The Kesh: K:D Major → K:E Major (+2)`.
        public var summary: [String]
    }

    /// Largest |--semitones| accepted: four octaves.
    public static let maxSemitones = 48

    /// Nil when `key` names a key `--to` can move to, otherwise what is wrong.
    public static func problem(toKey key: String) -> String? {
        do { try Transposer.checkTargetKey(key) } catch let error as TranspositionError {
            return error.diagnostic.message + (error.diagnostic.hint.map { " (hint: \($0))" } ?? "")
        } catch { return "\(error)" }
        return nil
    }

    /// Transposes every tune of every file. Throws a TunegenError with exit status 1 listing
    /// every tune that has errors or cannot be moved (file:line:col), or status 2 for I/O.
    public static func transpose(paths: [String], move: Move, skipInvalid: Bool = false) throws -> [FileResult] {
        var results: [FileResult] = []
        var problems: [String] = []
        for path in paths {
            let bytes = try ABCInput.read(path)
            let file = ABCParser.parse(bytes: bytes, fileName: path == "-" ? "<stdin>" : path)
            if file.tunes.isEmpty { problems.append("\(file.fileName): no tunes (a tune starts with an X: line)") }
            var replacements: [(startLine: Int, lineCount: Int, text: String?)] = []
            var summary: [String] = []
            var shifts: [Int] = []
            for tune in file.tunes {
                if skipInvalid, tune.hasErrors {
                    // Left out of the output: its lines are replaced by nothing.
                    let lineCount = tune.sourceText.split(separator: "\n", omittingEmptySubsequences: false).count
                    replacements.append((tune.startLine, lineCount, nil))
                    let first = tune.diagnostics.first { $0.severity == .error }!
                    summary.append("\(first.fileName):\(first.line):\(first.column): tune \(tune.index)"
                                   + (tune.title.map { " (\($0))" } ?? "") + " left out: it has errors, first: \(first.message)")
                    continue
                }
                do {
                    let moved: TransposedTune
                    switch move {
                    case let .semitones(n): moved = try Transposer.transpose(tune, semitones: n)
                    case let .toKey(key): moved = try Transposer.transpose(tune, toKey: key)
                    }
                    replacements.append((tune.startLine, tune.sourceText.split(separator: "\n", omittingEmptySubsequences: false).count, moved.text))
                    let n = moved.interval.semitones
                    shifts.append(n)
                    summary.append("\(file.fileName): X:\(tune.referenceNumber.map(String.init) ?? "?")"
                                   + (tune.title.map { " \($0)" } ?? "") + ": "
                                   + "K:\(moved.originalKey ?? "(none)") → K:\(moved.newKey ?? "(none)") (\(n > 0 ? "+" : "")\(n))")
                } catch let error as TranspositionError {
                    problems.append(error.description)
                }
            }
            // One line per tune for a short file; for a long one, a count and the tunes left out.
            let moved = replacements.filter { $0.text != nil }.count
            if moved > 10 {
                let range = Set(shifts).sorted()
                let semitones = range.count == 1 ? "\(range[0] > 0 ? "+" : "")\(range[0])" : "\(range[0])…\(range[range.count - 1])"
                summary = ["\(file.fileName): \(moved) tunes transposed (\(semitones) semitones)"] + summary.filter { $0.contains(" left out: ") }
            }
            results.append(FileResult(path: path, bytes: replaceLines(bytes, replacements), summary: summary))
        }
        if !problems.isEmpty {
            throw TunegenError(problems.joined(separator: "\n")
                               + "\nnothing written: \(problems.count) tune(s) could not be transposed", exitStatus: 1)
        }
        return results
    }

    /// `bytes` with lines startLine..<startLine+lineCount (1-based, ends LF, CRLF or CR as the
    /// parser counts them) replaced by `text`, written with the file's first line end.
    static func replaceLines(_ bytes: [UInt8], _ replacements: [(startLine: Int, lineCount: Int, text: String?)]) -> [UInt8] {
        // Lines with their own ends, so untouched lines are copied byte for byte.
        var lines: [ArraySlice<UInt8>] = []
        var ends: [ArraySlice<UInt8>] = []
        var start = 0, i = 0
        while i < bytes.count {
            if bytes[i] == 0x0A || bytes[i] == 0x0D {
                let endLength = bytes[i] == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A ? 2 : 1
                lines.append(bytes[start..<i])
                ends.append(bytes[i..<(i + endLength)])
                i += endLength
                start = i
            } else {
                i += 1
            }
        }
        if start < bytes.count || lines.isEmpty { lines.append(bytes[start..<bytes.count]); ends.append([]) }
        let newline: [UInt8] = ends.first(where: { !$0.isEmpty }).map(Array.init) ?? [0x0A]
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var byStart: [Int: (Int, String?)] = [:]
        for r in replacements { byStart[r.startLine - 1] = (r.lineCount, r.text) }
        var l = 0
        while l < lines.count {
            if let (count, replacement) = byStart[l] {
                guard let text = replacement else {
                    // A tune left out, with the blank line after it.
                    l += count
                    if l < lines.count, lines[l].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { l += 1 }
                    continue
                }
                let newLines = text.split(separator: "\n", omittingEmptySubsequences: false)
                for (k, line) in newLines.enumerated() {
                    out += Array(line.utf8)
                    // The tune's last line keeps its own end (there may be none at the end of the file).
                    out += k == newLines.count - 1 ? Array(ends[min(l + count, lines.count) - 1]) : newline
                }
                l += count
            } else {
                out += lines[l]
                out += ends[l]
                l += 1
            }
        }
        return out
    }

    /// Where each result goes: with `output` nil, standard output; with one input, `output` is a
    /// file (or an existing folder to write into); with several, an existing folder, each file
    /// under its own name. Checked before anything is written.
    public static func destinations(for results: [FileResult], output: String?) throws -> [URL?] {
        guard let output else { return results.map { _ in nil } }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory)
        if results.count > 1 || (exists && isDirectory.boolValue) {
            guard exists && isDirectory.boolValue else {
                throw TunegenError("-o \(output): with several input files, -o names an existing folder")
            }
            var seen: Set<String> = []
            return try results.map { result in
                guard result.path != "-" else { throw TunegenError("-o \(output) is a folder: standard input has no file name to write there") }
                let name = (result.path as NSString).lastPathComponent
                guard seen.insert(name).inserted else { throw TunegenError("two input files are named \(name); write them to separate folders") }
                return URL(fileURLWithPath: output).appendingPathComponent(name)
            }
        }
        let folder = URL(fileURLWithPath: output).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TunegenError("-o \(output): folder \(folder) does not exist (create it first)")
        }
        return [URL(fileURLWithPath: output)]
    }

    /// Runs the command: transposes, then writes each file (to a temporary file renamed into
    /// place) or prints it; the summary goes to standard error.
    public static func run(paths: [String], move: Move, output: String?, skipInvalid: Bool, quiet: Bool) throws {
        let results = try transpose(paths: paths, move: move, skipInvalid: skipInvalid)
        let targets = try destinations(for: results, output: output)
        for (result, target) in zip(results, targets) {
            if let target {
                do { try OutputFile.write(result.bytes, to: target) } catch {
                    throw TunegenError("cannot write \(target.path): \(error)")
                }
            } else {
                try Output.stdout(bytes: result.bytes)
            }
            if !quiet {
                let lines = result.summary + (target.map { ["→ \($0.path)"] } ?? [])
                try Output.stderr(lines.map { $0 + "\n" }.joined())
            }
        }
    }
}
