// Benchmarks.steering: what the notation's constraint costs. Samples tunes from a model raw and
// steered (default form), with 1 and 32 streams, and prints characters per second of each and
// their ratio, and the CPU time computing masks took per steered character (a figure the
// sampler's memory traffic does not blur). CPU time of this thread (the sampler's kernels may use
// a second thread, which both sides share alike); the mask cache starts empty, as in one `generate` run.
import ABCNotation
import CharModel
import Foundation

extension Benchmarks {
    public static func steering(model path: String?, tunes: Int, seed: UInt64) throws {
        let file = try ModelFile.load(path: path)
        let template = TuneTemplate.raw("X:1\n")
        try Output.stdout("steering: \(tunes) tunes per row, temperature 0.8, form \(TuneForm.standard()); CPU time of the sampling thread\n")
        try Output.stdout("streams | raw chars/s | steered chars/s | steered/raw | masked mass | mask cache hits | mask CPU µs/char\n")
        for streams in [1, 32] {
            var figures: [(chars: Int, seconds: Double)] = []
            var masked = 0.0
            var hitRate = 0.0, maskMicroseconds = 0.0
            for steered in [false, true] {
                let composer = TuneComposer(model: file, template: template, seed: seed, options: SamplingOptions(temperature: 0.8, maxLength: 2000, stop: "\n\n"))
                var chars = 0
                var ns: UInt64 = 0
                var mass = 0.0, n = 0
                while n < tunes {
                    let batch = min(streams, tunes - n)
                    let start = cpuNanoseconds()
                    let got = steered ? try composer.sampleConstrained(count: batch, form: .standard()) : composer.sample(count: batch)
                    ns += cpuNanoseconds() - start
                    chars += got.reduce(0) { $0 + $1.text.unicodeScalars.count - template.prime.unicodeScalars.count }
                    mass += got.compactMap(\.removedMass).reduce(0, +)
                    n += batch
                }
                figures.append((chars, Double(ns) / 1e9))
                if steered {
                    masked = mass / Double(tunes)
                    let (h, m) = (composer.masks.hits, composer.masks.misses)
                    hitRate = Double(h) / Double(max(1, h + m))
                    maskMicroseconds = Double(composer.masks.computeNanoseconds) / 1e3 / Double(max(1, chars))
                }
            }
            let raw = Double(figures[0].chars) / figures[0].seconds, steered = Double(figures[1].chars) / figures[1].seconds
            try Output.stdout(String(format: "%7d | %11.0f | %15.0f | %11.2f | %10.1f%% | %14.1f%% | %.1f\n", streams, raw, steered, steered / raw, masked * 100, hitRate * 100, maskMicroseconds))
        }
    }
}
