// `tunegen bench model|abc|synth|engrave`: the benchmarks, one subcommand each; the measuring is
// Composer's `Benchmarks`.
import ArgumentParser
import Composer

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training and sampling, notation, audio and engraving speed.",
        discussion: "Run on a quiet machine and compare figures within one run: absolute times drift.",
        subcommands: [BenchModel.self, BenchABC.self, BenchSynth.self, BenchEngrave.self, BenchSteer.self],
        defaultSubcommand: BenchModel.self)
}

struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Time training and sampling of the reference model configurations.",
        discussion: """
        Trains a fresh model of each configuration for a few iterations on the corpus (random \
        windows, Adam lr 5e-3), then samples with 1 and 32 streams, and prints ms per iteration, \
        characters and GFLOP per second, sampling speed (with the bytes of weights read per \
        character and the bandwidth that implies), peak memory, and where a training iteration's \
        time goes, phase by phase. OpenBLAS's core comes from OPENBLAS_CORETYPE (printed). \
        Sampling figures depend on whether the weights stay in the caches other processes share.
        """)

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

    @Option(help: "Comma-separated weight precisions of the per-step products to measure, each a row: fp32, bf16.")
    var precision: String = Benchmarks.defaultPrecisions

    @Flag(help: "Use the reference path (OpenBLAS per-step products) instead of the packed kernels.")
    var reference = false

    @Flag(help: "Print one JSON object per configuration instead of text.")
    var json = false

    func validate() throws {
        guard iterations >= 1, warmup >= 0 else { throw ValidationError("--iterations must be ≥ 1 and --warmup ≥ 0") }
        if let t = recurrentThreads, !(1 ... 2).contains(t) { throw ValidationError("--recurrent-threads must be 1 or 2") }
        for p in precisions where !["fp32", "bf16"].contains(p) {
            throw ValidationError("--precision: unknown precision '\(p)' (expected fp32, bf16, or both separated by a comma)")
        }
    }

    private var precisions: [String] { precision.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func run() throws {
        try Benchmarks.model(corpus: corpus, configs: configs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                             iterations: iterations, warmup: warmup, recurrentThreads: recurrentThreads,
                             precisions: precisions, reference: reference, json: json)
    }
}

struct BenchABC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abc", abstract: "Measure ABC parse, score (events) and format throughput in MB/s (CPU time).")

    @Argument(help: "ABC file to measure.")
    var file = "corpus/irish.abc"

    @Option(help: "Timed rounds; the best is reported.")
    var rounds = 10

    func validate() throws {
        if rounds < 1 { throw ValidationError("--rounds must be at least 1") }
    }

    func run() throws { try Benchmarks.notation(file: file, rounds: rounds) }
}

struct BenchSynth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth", abstract: "Measure audio rendering speed (seconds of audio per CPU second) on corpus tunes.")

    @Option(help: "How many corpus tunes to render.")
    var tunes: Int = 40

    @Option(help: "ABC file whose tunes are rendered.")
    var corpus: String = "corpus/irish.abc"

    func validate() throws {
        if tunes < 1 { throw ValidationError("--tunes must be at least 1") }
    }

    func run() throws { try Benchmarks.synth(corpus: corpus, tunes: tunes) }
}

struct BenchEngrave: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engrave", abstract: "Measure sheet-music engraving (tunes per CPU second) over an ABC file.")

    @Argument(help: "ABC file whose tunes are engraved.")
    var file = "corpus/irish.abc"

    @Option(help: "Timed rounds; the best is reported.")
    var rounds = 5

    func validate() throws {
        if rounds < 1 { throw ValidationError("--rounds must be at least 1") }
    }

    func run() throws { try Benchmarks.engraving(file: file, rounds: rounds) }
}

struct BenchSteer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steer", abstract: "Compare steered and raw sampling speed (characters per CPU second), 1 and 32 streams.")

    @Option(help: "Model file (default: the shipped model).")
    var model: String?

    @Option(help: "Tunes per row.")
    var tunes: Int = 64

    @Option(help: "Seed for sampling.")
    var seed: UInt64 = 1

    func validate() throws {
        if tunes < 1 { throw ValidationError("--tunes must be at least 1") }
    }

    func run() throws { try Benchmarks.steering(model: model, tunes: tunes, seed: seed) }
}
