// Benchmarks: what `tunegen bench` measures, each printing its own figures: the model
// (training and sampling of bench/common.py's configurations, the same FLOP count as the
// PyTorch, TensorFlow and JAX scripts), the notation library (parse and score MB/s) and the
// synthesizer (audio seconds per CPU second on corpus tunes). CPU time of this thread where the
// figure would otherwise mostly measure the neighbours on a shared machine.
import ABCNotation
import CharModel
import Foundation
import Linalg
import Synth

public enum Benchmarks {
    /// CPU time of the calling thread, in nanoseconds.
    public static func cpuNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// The weight precisions `bench model` measures unless told: both, a row each.
    public static let defaultPrecisions = "fp32,bf16"

    /// Trains and samples each named configuration on `corpus` at each weight precision ("fp32",
    /// "bf16"); prints a table (or JSON lines), and in text, where each iteration's time goes.
    public static func model(corpus: String, configs: [String], iterations: Int, warmup: Int,
                             recurrentThreads: Int?, precisions: [String] = ["fp32", "bf16"], reference: Bool, json: Bool) throws {
        let text: String
        do { text = try String(contentsOfFile: corpus, encoding: .utf8) } catch {
            throw TunegenError("cannot read corpus \(corpus): \(error.localizedDescription)")
        }
        let vocabulary = Vocabulary(text: text)
        guard let tokens = vocabulary.encode(text), tokens.count > 1000 else {
            throw TunegenError("corpus \(corpus) is too short to benchmark on")
        }
        if !json {
            try Output.stdout("tunegen bench: \(corpus), \(tokens.count) characters, V=\(vocabulary.count); OpenBLAS \(BLAS.coreName), "
                + "\(BLAS.threads) threads; kernels \(KernelInfo.level), \(KernelInfo.processors) processors\n")
        }
        var rows: [String] = []
        var lost: Error?
        let weights = try precisions.map { name in
            guard let p = WeightPrecision(rawValue: name) else { throw TunegenError("unknown weight precision '\(name)' (expected fp32 or bf16)") }
            return p
        }
        for name in configs {
            guard BenchmarkConfig.presets[name] != nil else {
                throw TunegenError("unknown configuration '\(name)' (expected: \(BenchmarkConfig.presets.keys.sorted().joined(separator: ", ")))")
            }
        }
        for name in configs { for precision in reference ? [.fp32] : weights {
            var config = BenchmarkConfig.presets[name]!
            config.precision = precision
            config.iterations = iterations
            config.warmup = warmup
            config.recurrentThreads = recurrentThreads
            config.packedKernels = !reference
            let figures = ModelBenchmark.run(config, tokens: tokens, vocabularySize: vocabulary.count,
                                             log: { line in
                                                 if !json, lost == nil { do { try Output.stdout(line + "\n") } catch { lost = error } }
                                             })
            if let lost { throw lost }
            if json { try Output.stdout(try JSONOutput.compact(figures) + "\n") } else { rows.append(figures.tableRow) }
        } }
        if !json {
            try Output.stdout(([BenchmarkFigures.tableHeader] + rows).map { $0 + "\n" }.joined())
        }
    }

    /// Parse, score and format throughput of the notation library on `file`, best of `rounds`.
    public static func notation(file: String, rounds: Int) throws {
        let bytes = try ABCInput.read(file)
        let megabytes = Double(bytes.count) / 1_000_000
        var bestParse = Double.infinity, bestScore = Double.infinity, bestFormat = Double.infinity
        var notes = 0, tunes = 0
        for _ in 0 ..< rounds {
            var start = cpuNanoseconds()
            let parsed = ABCParser.parse(bytes: bytes, fileName: file)
            bestParse = min(bestParse, Double(cpuNanoseconds() - start) / 1e9)
            tunes = parsed.tunes.count
            start = cpuNanoseconds()
            notes = 0
            for tune in parsed.tunes { notes += tune.score().score.voices.reduce(0) { $0 + $1.notes.count } }
            bestScore = min(bestScore, Double(cpuNanoseconds() - start) / 1e9)
            start = cpuNanoseconds()
            for tune in parsed.tunes { _ = ABCFormatter.format(tune) }
            bestFormat = min(bestFormat, Double(cpuNanoseconds() - start) / 1e9)
        }
        func line(_ name: String, _ seconds: Double) -> String {
            String(format: "%-32@ %8.2f ms  %8.1f MB/s\n", name as NSString, seconds * 1000, megabytes / seconds)
        }
        var out = "\(file): \(bytes.count) bytes, \(tunes) tunes, \(notes) note events; best of \(rounds) rounds, CPU time\n"
        out += line("parse (split, tokenize, tiers)", bestParse)
        out += line("score (events, repeats expanded)", bestScore)
        out += line("parse + score", bestParse + bestScore)
        out += line("format", bestFormat)
        try Output.stdout(out)
    }

    /// Renders the first `tunes` tunes of `corpus` (44.1 kHz stereo, each instrument) and reports
    /// seconds of audio per second of CPU.
    public static func synth(corpus: String, tunes: Int) throws {
        let file = try ABCInput.parse(corpus)
        let scores = file.tunes.prefix(tunes).map { $0.score().score }.filter { $0.totalBeats > 0 }
        try Output.stdout("tunegen bench synth: \(scores.count) tunes of \(corpus), 44.1 kHz stereo, written to memory (no file I/O)\n")
        for instrument in Instrument.allCases {
            let synthesizer = Synthesizer(options: RenderOptions(instrument: instrument))
            var audio = 0.0
            let start = cpuNanoseconds()
            for score in scores { audio += try synthesizer.render(score).buffer.duration }
            let cpu = Double(cpuNanoseconds() - start) / 1e9
            let name = instrument.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
            try Output.stdout(name + String(format: " %8.1f s of audio in %6.3f s of CPU: %6.0f× real time\n", audio, cpu, audio / cpu))
        }
    }
}
