// `tunegen bench engrave`: how fast the Engraver turns parsed tunes into SVG (layout, then the
// SVG text), in tunes per CPU second over a whole file, best of several rounds.
import ABCNotation
import Engraver
import Foundation

extension Benchmarks {
    /// Engraves every tune of `file` `rounds` times and prints the best round's layout and SVG
    /// times, tunes per second and the SVG size. Parsing is done once, outside the timing.
    public static func engraving(file: String, rounds: Int) throws {
        let parsed = try ABCInput.parse(file)
        guard !parsed.tunes.isEmpty else { throw TunegenError("\(file): no tunes (a tune starts with an X: line)") }
        var bestLayout = Double.infinity, bestTotal = Double.infinity, slowest = 0.0
        var bytes = 0, skippedTunes = 0
        for _ in 0 ..< rounds {
            var start = cpuNanoseconds()
            for tune in parsed.tunes { _ = Engraver.layout(for: tune) }
            bestLayout = min(bestLayout, Double(cpuNanoseconds() - start) / 1e9)
            start = cpuNanoseconds()
            bytes = 0
            skippedTunes = 0
            var worst = 0.0
            for tune in parsed.tunes {
                let t0 = cpuNanoseconds()
                let engraved = Engraver.svg(for: tune)
                worst = max(worst, Double(cpuNanoseconds() - t0) / 1e9)
                bytes += engraved.svg.utf8.count
                if !engraved.skipped.isEmpty { skippedTunes += 1 }
            }
            bestTotal = min(bestTotal, Double(cpuNanoseconds() - start) / 1e9)
            slowest = slowest == 0 ? worst : min(slowest, worst)
        }
        let n = Double(parsed.tunes.count)
        var out = "\(file): \(parsed.tunes.count) tunes engraved; best of \(rounds) rounds, CPU time\n"
        out += String(format: "layout only                  %8.1f ms  %8.0f tunes/s\n", bestLayout * 1000, n / bestLayout)
        out += String(format: "layout + SVG text            %8.1f ms  %8.0f tunes/s  (%.2f ms a tune, slowest %.2f ms)\n",
                      bestTotal * 1000, n / bestTotal, bestTotal / n * 1000, slowest * 1000)
        out += "SVG written: \(bytes / 1024) KiB in all, \(bytes / max(1, parsed.tunes.count) / 1024) KiB a tune; \(skippedTunes) tunes with something skipped\n"
        try Output.stdout(out)
    }
}
