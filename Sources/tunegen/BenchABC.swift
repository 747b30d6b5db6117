// `tunegen bench-abc [FILE]` (hidden): parse and score throughput of the ABC library, for
// Scripts/bench-abc.sh and the README table. Reports the best of several rounds, timed in CPU
// seconds of this thread (the build machines are shared, so wall time mostly measures the neighbours).
import ABCNotation
import ArgumentParser
import Foundation

struct BenchABC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-abc",
        abstract: "Measure ABC parse and score (event) throughput in MB/s.",
        shouldDisplay: false)

    @Argument(help: "ABC file to measure (default corpus/irish.abc).")
    var file = "corpus/irish.abc"

    @Option(help: "Timed rounds; the best is reported.")
    var rounds = 10

    func validate() throws {
        if rounds < 1 { throw ValidationError("--rounds must be at least 1") }
    }

    /// CPU time of the calling thread, in nanoseconds.
    static func cpuNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    func run() throws {
        let bytes: [UInt8]
        do { bytes = try ABCInput.read(file) } catch let failure as CommandFailure { CommandFailure.exit(failure) }
        let megabytes = Double(bytes.count) / 1_000_000
        var bestParse = Double.infinity, bestScore = Double.infinity, bestFormat = Double.infinity
        var notes = 0
        var tunes = 0
        for _ in 0..<rounds {
            var start = BenchABC.cpuNanoseconds()
            let parsed = ABCParser.parse(bytes: bytes, fileName: file)
            bestParse = min(bestParse, Double(BenchABC.cpuNanoseconds() - start) / 1e9)
            tunes = parsed.tunes.count
            start = BenchABC.cpuNanoseconds()
            notes = 0
            for tune in parsed.tunes { notes += tune.score().score.voices.reduce(0) { $0 + $1.notes.count } }
            bestScore = min(bestScore, Double(BenchABC.cpuNanoseconds() - start) / 1e9)
            start = BenchABC.cpuNanoseconds()
            var chars = 0
            for tune in parsed.tunes { chars += ABCFormatter.format(tune).utf8.count }
            bestFormat = min(bestFormat, Double(BenchABC.cpuNanoseconds() - start) / 1e9)
            _ = chars
        }
        func line(_ name: String, _ seconds: Double) -> String {
            String(format: "%-32@ %8.2f ms  %8.1f MB/s\n", name as NSString, seconds * 1000, megabytes / seconds)
        }
        var out = "\(file): \(bytes.count) bytes, \(tunes) tunes, \(notes) note events; best of \(rounds) rounds, CPU time\n"
        out += line("parse (split, tokenize, tiers)", bestParse)
        out += line("score (events, repeats expanded)", bestScore)
        out += line("parse + score", bestParse + bestScore)
        out += line("format", bestFormat)
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
