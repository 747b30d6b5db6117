// tunegen bench: times training and sampling of the reference configurations (bench/common.py's
// ref, a, b, c) on a corpus, with the same FLOP count as the PyTorch / TensorFlow / JAX scripts, so
// the figures compare side by side. A thin layer over `ModelBenchmark.run`.
import ArgumentParser
import CharModel
import Foundation
import Linalg
import ABCNotation
import Synth

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time training and sampling of the reference model configurations.",
        discussion: """
        Trains a fresh model of each configuration for a few iterations on the corpus (random \
        windows, Adam lr 5e-3), then samples with 1 and 32 streams, and prints ms per iteration, \
        characters and GFLOP per second, sampling speed and peak memory. OpenBLAS's core comes \
        from OPENBLAS_CORETYPE (printed); run on a quiet machine and compare within one run.
        """
    )

    @Argument(help: "What to time: model (training and sampling), abc (parse and score MB/s), synth (audio seconds per CPU second on corpus tunes).")
    var what: String = "model"

    @Option(help: "With 'synth': how many corpus tunes to render.")
    var tunes: Int = 40

    @Option(help: "Comma-separated configurations: ref, a, b, c.")
    var configs: String = "ref,a,b"

    @Option(help: "Timed training iterations per configuration (the median is reported).")
    var iterations: Int = 20

    @Option(help: "Untimed warm-up iterations per configuration.")
    var warmup: Int = 3

    @Option(help: "Training text (ABC).")
    var corpus: String = "corpus/irish.abc"

    @Option(help: "Threads for the per-time-step products (1 or 2; default: 2 on 2+ processors).")
    var recurrentThreads: Int?

    @Flag(help: "Use the reference path (OpenBLAS per-step products) instead of the packed kernels.")
    var reference = false

    @Flag(help: "Print one JSON object per configuration instead of text.")
    var json = false

    func validate() throws {
        guard ["model", "abc", "synth"].contains(what) else { throw ValidationError("unknown benchmark '\(what)' (expected: model, abc or synth)") }
        guard tunes >= 1 else { throw ValidationError("--tunes must be at least 1") }
        guard iterations >= 1, warmup >= 0 else { throw ValidationError("--iterations must be ≥ 1 and --warmup ≥ 0") }
        if let t = recurrentThreads, !(1 ... 2).contains(t) { throw ValidationError("--recurrent-threads must be 1 or 2") }
        for name in configList where BenchmarkConfig.presets[name] == nil {
            throw ValidationError("unknown configuration '\(name)' (expected: \(BenchmarkConfig.presets.keys.sorted().joined(separator: ", ")))")
        }
    }

    var configList: [String] { configs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func run() throws {
        switch what {
        case "abc":
            var abc = try BenchABC.parse([corpus, "--rounds", "10"])
            try abc.run()
            return
        case "synth":
            try benchSynth()
            return
        default:
            break
        }
        let text: String
        do { text = try String(contentsOfFile: corpus, encoding: .utf8) } catch {
            throw ValidationError("cannot read corpus \(corpus): \(error.localizedDescription)")
        }
        let vocabulary = Vocabulary(text: text)
        guard let tokens = vocabulary.encode(text), tokens.count > 1000 else {
            throw ValidationError("corpus \(corpus) is too short to benchmark on")
        }
        if !json {
            print("tunegen bench: \(corpus), \(tokens.count) characters, V=\(vocabulary.count); OpenBLAS \(BLAS.coreName), "
                + "\(BLAS.threads) threads; kernels \(KernelInfo.level), \(KernelInfo.processors) processors")
        }
        var rows: [String] = []
        for name in configList {
            var config = BenchmarkConfig.presets[name]!
            config.iterations = iterations
            config.warmup = warmup
            config.recurrentThreads = recurrentThreads
            config.packedKernels = !reference
            let figures = ModelBenchmark.run(config, tokens: tokens, vocabularySize: vocabulary.count,
                                             log: { line in if !json { print(line) } })
            if json {
                print(try JSONOutput.compact(figures))
            } else {
                rows.append(figures.tableRow)
            }
        }
        if !json {
            print(BenchmarkFigures.tableHeader)
            rows.forEach { print($0) }
        }
    }

    /// Renders the first `tunes` corpus tunes (44.1 kHz stereo, each instrument) and reports
    /// seconds of audio per second of CPU (this thread's CPU time, so other load does not count).
    private func benchSynth() throws {
        let file: ABCFile
        do { file = try ABCInput.parse(corpus) } catch let failure as CommandFailure { CommandFailure.exit(failure) }
        let scores = file.tunes.prefix(tunes).map { $0.score().score }.filter { $0.totalBeats > 0 }
        print("tunegen bench synth: \(scores.count) tunes of \(corpus), 44.1 kHz stereo, written to memory (no file I/O)")
        for instrument in Instrument.allCases {
            let synthesizer = Synthesizer(options: RenderOptions(instrument: instrument))
            var audio = 0.0
            let start = BenchABC.cpuNanoseconds()
            for score in scores { audio += try synthesizer.render(score).buffer.duration }
            let cpu = Double(BenchABC.cpuNanoseconds() - start) / 1e9
            let name = instrument.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
            print(name + String(format: " %8.1f s of audio in %6.3f s of CPU: %6.0f× real time", audio, cpu, audio / cpu))
        }
    }
}
