// ModelBenchmark: times training steps and sampling for the configurations of bench/common.py
// (ref, a, b, c), with the same FLOP formula, so `tunegen bench` can print figures that compare
// directly with the PyTorch / TensorFlow / JAX scripts.
//   forward FLOPs per character f = 2·(Σ_l 4H(in_l + H) + H·V);  training iteration = 3·B·T·f.
import Foundation
import Linalg

/// One benchmark configuration. Sizes follow bench/common.py.
public struct BenchmarkConfig: Sendable, Hashable, Codable {
    public var name: String
    public var embedding: Int, hidden: Int, layers: Int, batch: Int, steps: Int
    /// Timed training iterations (median reported) after `warmup` untimed ones.
    public var iterations: Int = 20
    public var warmup: Int = 3
    /// Characters generated with one stream, and steps of the batched measurement.
    public var sampleLength: Int = 1000
    public var batchedStreams: Int = 32
    public var batchedLength: Int = 300
    /// OpenBLAS threads for the run (nil: leave as is).
    public var threads: Int? = nil
    /// Threads for the per-step products (see `CharLSTM.recurrentThreads`; nil: the default).
    public var recurrentThreads: Int? = nil
    /// Packed kernels and input table (true, the default) or the reference BLAS path
    /// (see `CharLSTM.usesPackedKernels`).
    public var packedKernels: Bool = true
    /// How the packed W_hh is stored (see `CharLSTM.weightPrecision`).
    public var precision: WeightPrecision = .fp32

    public init(name: String, embedding: Int, hidden: Int, layers: Int, batch: Int, steps: Int) {
        (self.name, self.embedding, self.hidden, self.layers, self.batch, self.steps) = (name, embedding, hidden, layers, batch, steps)
    }

    /// The configurations of bench/common.py: ref (the MIT lab), a, b, c.
    public static let presets: [String: BenchmarkConfig] = [
        "ref": BenchmarkConfig(name: "ref", embedding: 256, hidden: 1024, layers: 1, batch: 8, steps: 100),
        "a": BenchmarkConfig(name: "a", embedding: 64, hidden: 256, layers: 1, batch: 32, steps: 100),
        "b": BenchmarkConfig(name: "b", embedding: 128, hidden: 512, layers: 1, batch: 16, steps: 100),
        "c": BenchmarkConfig(name: "c", embedding: 128, hidden: 512, layers: 2, batch: 16, steps: 100),
    ]

    /// Forward FLOPs per character for vocabulary size V.
    public func forwardFlopsPerCharacter(vocabularySize v: Int) -> Double {
        var f = 0.0
        var input = embedding
        for _ in 0 ..< layers {
            f += Double(4 * hidden * (input + hidden))
            input = hidden
        }
        return 2 * (f + Double(hidden * v))
    }
}

/// What a benchmark run measured.
public struct BenchmarkFigures: Sendable, Codable {
    public var config: BenchmarkConfig
    public var vocabularySize: Int
    public var blasCore: String
    public var blasThreads: Int
    /// Instruction set of the per-step kernels ("avx512", "avx2", "portable"), or "blas" on the
    /// reference path, and the threads they used.
    public var kernel: String
    public var kernelThreads: Int
    /// Peak resident set of the process so far (VmHWM), MiB.
    public var peakResidentMiB: Double
    /// Median, min and max milliseconds per training iteration.
    public var msPerIteration: Double
    public var msPerIterationMin: Double
    public var msPerIterationMax: Double
    public var trainCharactersPerSecond: Double
    public var trainGigaflopsPerSecond: Double
    public var sample1CharactersPerSecond: Double
    public var sampleBatchedCharactersPerSecond: Double
    public var lossFirst: Float
    public var lossLast: Float
    /// Milliseconds per timed iteration spent in each phase (`StepProfile.Phase` order), and
    /// what no phase accounts for (batching, zeroing the gradients, the profile's own clock reads).
    public var phaseMilliseconds: [Double]
    public var unaccountedMilliseconds: Double
    /// Bytes of weights read per character sampled with one stream, and the bandwidth that
    /// implies at the measured 1-stream speed (GB/s, 10⁹ bytes).
    public var bytesPerSampledCharacter: Int
    public var sample1GigabytesPerSecond: Double
    /// Bytes of packed W_hh the per-step products of one iteration read (2·T·L products), and
    /// the rate they were read at during those products (GB/s): near the machine's memory
    /// bandwidth, the products wait on memory, not on arithmetic.
    public var recurrentBytesPerIteration: Int
    public var recurrentGigabytesPerSecond: Double

    /// One line per figure, like the reference scripts print.
    public var summary: String {
        let c = config
        return """
        config \(c.name): E=\(c.embedding) H=\(c.hidden) layers=\(c.layers) B=\(c.batch) T=\(c.steps) V=\(vocabularySize) \
        (OpenBLAS \(blasCore), \(blasThreads) thread\(blasThreads == 1 ? "" : "s"), \
        per-step \(kernel) on \(kernelThreads) thread\(kernelThreads == 1 ? "" : "s"))
        train: median \(fmt(msPerIteration)) ms/iter (min \(fmt(msPerIterationMin)), max \(fmt(msPerIterationMax))), \
        \(Int(trainCharactersPerSecond)) chars/s, \(fmt(trainGigaflopsPerSecond)) GFLOP/s
        loss: first \(fmt(Double(lossFirst))), last \(fmt(Double(lossLast)))
        sample batch 1: \(Int(sample1CharactersPerSecond)) chars/s \
        (\(fmt(Double(bytesPerSampledCharacter) / 1_048_576)) MiB of weights per character: \(fmt(sample1GigabytesPerSecond)) GB/s); \
        batch \(c.batchedStreams): \(Int(sampleBatchedCharactersPerSecond)) chars/s
        peak RSS \(fmt(peakResidentMiB)) MiB
        where a training iteration's \(fmt(msPerIteration)) ms (median) go, mean ms per iteration:
        \(phaseLines)
        the per-step products read \(fmt(Double(recurrentBytesPerIteration) / 1_048_576)) MiB of packed W_hh an iteration \
        (\(config.precision.rawValue)): \(fmt(recurrentGigabytesPerSecond)) GB/s while they run
        """
    }

    /// One line per phase: mean ms per iteration and share of the mean iteration.
    public var phaseLines: String {
        let total = phaseMilliseconds.reduce(0, +) + unaccountedMilliseconds
        func line(_ name: String, _ ms: Double) -> String {
            "  " + name.padding(toLength: 30, withPad: " ", startingAt: 0)
                + String(format: " %8.2f ms  %5.1f%%", ms, 100 * ms / max(total, 1e-12))
        }
        let lines = zip(StepProfile.Phase.allCases, phaseMilliseconds).map { line($0.name, $1) }
        return (lines + [line("other", unaccountedMilliseconds)]).joined(separator: "\n")
    }

    /// Header of `tableRow`.
    public static let tableHeader =
        "| config | ms/iter (min–max) | train chars/s | GFLOP/s | sample 1 chars/s | MiB/char, GB/s | sample 32 chars/s | peak RSS MiB | BLAS core, threads | per-step kernel |\n"
        + "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"

    /// One Markdown table row.
    public var tableRow: String {
        "| \(config.name) | \(String(format: "%.1f", msPerIteration)) (\(String(format: "%.1f", msPerIterationMin))–\(String(format: "%.1f", msPerIterationMax))) "
            + "| \(Int(trainCharactersPerSecond)) | \(String(format: "%.1f", trainGigaflopsPerSecond)) "
            + "| \(Int(sample1CharactersPerSecond)) | \(String(format: "%.1f, %.1f", Double(bytesPerSampledCharacter) / 1_048_576, sample1GigabytesPerSecond)) "
            + "| \(Int(sampleBatchedCharactersPerSecond)) | \(String(format: "%.0f", peakResidentMiB)) "
            + "| \(blasCore), \(blasThreads) | \(kernel) \(config.packedKernels ? config.precision.rawValue + " " : "")×\(kernelThreads) |"
    }

    private func fmt(_ x: Double) -> String { String(format: "%.2f", x) }
}

public enum ModelBenchmark {
    /// Trains a fresh model of `config` on `tokens` (ids below `vocabularySize`; random windows,
    /// Adam lr 5e-3 as the reference) and times it, then times sampling with 1 and
    /// `batchedStreams` streams. `log` receives progress lines.
    public static func run(_ config: BenchmarkConfig, tokens: [Int32], vocabularySize: Int,
                           seed: UInt64 = 0, log: (String) -> Void = { print($0) }) -> BenchmarkFigures {
        if let t = config.threads { BLAS.setThreads(t) }
        let shape = ModelShape(vocabularySize: vocabularySize, embeddingSize: config.embedding, hiddenSize: config.hidden, layers: config.layers)
        var rng = SeededGenerator(seed: seed)
        var model = CharLSTM(shape: shape, rng: &rng)
        model.recurrentThreads = config.recurrentThreads
        model.usesPackedKernels = config.packedKernels
        model.weightPrecision = config.precision
        let profile = StepProfile()
        model.profile = profile
        let trainer = Trainer(model: model, tokens: tokens,
                              config: TrainerConfig(batch: config.batch, steps: config.steps, clipNorm: nil, seed: seed))
        var losses: [Float] = []
        for _ in 0 ..< config.warmup { losses.append(trainer.step().loss) }
        var times: [Double] = []
        profile.reset()
        for _ in 0 ..< config.iterations {
            let t0 = now()
            losses.append(trainer.step().loss)
            times.append(now() - t0)
        }
        times.sort()
        let median = times.isEmpty ? .nan : times[times.count / 2]
        let iterations = Double(max(1, config.iterations))
        let phaseMilliseconds = profile.seconds.map { $0 * 1000 / iterations }
        let meanMilliseconds = times.reduce(0, +) * 1000 / iterations
        let flops = 3 * Double(config.batch * config.steps) * config.forwardFlopsPerCharacter(vocabularySize: vocabularySize)

        // Sampling: one character at a time, drawing from the softmax (as the reference).
        var trained = trainer.model
        trained.profile = nil
        let recurrentBytes = 2 * config.steps * trained.recurrentBytesPerProduct
        let recurrentMilliseconds: Double = phaseMilliseconds[StepProfile.Phase.recurrentForward.rawValue]
            + phaseMilliseconds[StepProfile.Phase.recurrentBackward.rawValue]
        let recurrentSeconds = recurrentMilliseconds / 1000
        func sample(streams: Int, length: Int) -> Double {
            config.packedKernels
                ? sampleLocked(streams: streams, length: length)
                : BLAS.withThreads(trained.recurrentThreads) { sampleLocked(streams: streams, length: length) }
        }
        func sampleLocked(streams: Int, length: Int) -> Double {
            let s = Sampler(model: trained, streams: streams)
            var draw = SeededGenerator(seed: seed)
            var next = [Int32](repeating: tokens.first ?? 0, count: streams)
            var probs: [Float] = []
            let t0 = now()
            for _ in 0 ..< length {
                s.step(next)
                for b in 0 ..< streams {
                    s.probabilities(stream: b, into: &probs)
                    next[b] = s.draw(from: probs, rng: &draw) ?? 0
                }
            }
            return Double(streams * length) / (now() - t0)
        }
        _ = sample(streams: 1, length: 20)
        let s1 = sample(streams: 1, length: config.sampleLength)
        _ = sample(streams: config.batchedStreams, length: 10)
        let sB = sample(streams: config.batchedStreams, length: config.batchedLength)
        let unaccounted = max(0, meanMilliseconds - phaseMilliseconds.reduce(0, +))
        let sampleRate = Double(trained.bytesPerSampledCharacter) * s1 / 1e9
        let recurrentRate = Double(recurrentBytes) / max(1e-12, recurrentSeconds) / 1e9
        let figures = BenchmarkFigures(
            config: config, vocabularySize: vocabularySize, blasCore: BLAS.coreName, blasThreads: BLAS.threads,
            kernel: config.packedKernels ? KernelInfo.level : "blas",
            kernelThreads: config.packedKernels ? trained.kernelThreads : (trained.recurrentThreads ?? BLAS.threads),
            peakResidentMiB: peakResidentMiB(),
            msPerIteration: median * 1000, msPerIterationMin: (times.first ?? .nan) * 1000, msPerIterationMax: (times.last ?? .nan) * 1000,
            trainCharactersPerSecond: Double(config.batch * config.steps) / median, trainGigaflopsPerSecond: flops / median / 1e9,
            sample1CharactersPerSecond: s1, sampleBatchedCharactersPerSecond: sB,
            lossFirst: losses.first ?? .nan, lossLast: losses.last ?? .nan,
            phaseMilliseconds: phaseMilliseconds, unaccountedMilliseconds: unaccounted,
            bytesPerSampledCharacter: trained.bytesPerSampledCharacter, sample1GigabytesPerSecond: sampleRate,
            recurrentBytesPerIteration: recurrentBytes, recurrentGigabytesPerSecond: recurrentRate)
        log(figures.summary)
        return figures
    }

    /// Peak resident set size of this process in MiB (Linux /proc/self/status VmHWM; 0 if unknown).
    public static func peakResidentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }

    /// Seconds on a monotonic clock.
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
