// Analysis helpers for "listening with numbers": single-frequency DFT magnitudes (Hann window),
// a fine peak search with parabolic interpolation, and score builders.

import ABCNotation
import Foundation
import XCTest
@testable import Synth

enum Analysis {
    /// Magnitude of the Hann-windowed DFT of `x[range]` at `frequency` Hz, normalised by length.
    static func magnitude(_ x: [Float], range: Range<Int>, sampleRate: Int, frequency: Double) -> Double {
        let n = range.count
        let w = 2 * Double.pi * frequency / Double(sampleRate)
        // Goertzel recurrence on windowed samples.
        var s1 = 0.0, s2 = 0.0
        let coeff = 2 * cos(w)
        for (k, i) in range.enumerated() {
            let hann = 0.5 - 0.5 * cos(2 * Double.pi * Double(k) / Double(n - 1))
            let s0 = Double(x[i]) * hann + coeff * s1 - s2
            s2 = s1
            s1 = s0
        }
        let power = s1 * s1 + s2 * s2 - coeff * s1 * s2
        return sqrt(max(0, power)) / Double(n)
    }

    /// Frequency of the strongest component between `low` and `high` Hz: a 0.5 Hz grid search,
    /// refined by a parabola through the best point and its neighbours.
    static func peakFrequency(_ x: [Float], range: Range<Int>, sampleRate: Int, low: Double, high: Double) -> Double {
        let step = 0.5
        var best = low, bestMag = -1.0
        var f = low
        while f <= high {
            let m = magnitude(x, range: range, sampleRate: sampleRate, frequency: f)
            if m > bestMag { bestMag = m; best = f }
            f += step
        }
        let a = magnitude(x, range: range, sampleRate: sampleRate, frequency: best - step)
        let c = magnitude(x, range: range, sampleRate: sampleRate, frequency: best + step)
        let denom = a - 2 * bestMag + c
        return denom == 0 ? best : best + step * 0.5 * (a - c) / denom
    }

    /// One voice playing `notes` as (pitch, onset beats, duration beats) at `qpm`.
    static func score(_ notes: [(Int, Double, Double)], qpm: Double = 60, velocity: Int = 90) -> Score {
        Score(voices: [VoiceEvents(id: "1", notes: notes.map { NoteEvent(pitch: $0.0, onset: $0.1, duration: $0.2, velocity: velocity) })],
              tempos: [TempoChange(onset: 0, quarterNotesPerMinute: qpm)])
    }

    /// Renders dry by default (no room, 0.5 s tail): the measurements of pitch, length and
    /// panning that predate the room are of the plain synthesizer.
    static func render(_ score: Score, _ instrument: Instrument = .plucked, rate: Int = 22_050, channels: Int = 1,
                       chords: Bool = false, seed: UInt64 = 0, room: Bool = false) throws -> Rendering {
        try Synthesizer(options: RenderOptions(instrument: instrument, sampleRate: rate, channels: channels,
                                               chords: chords, seed: seed, room: room)).render(score)
    }

    /// Pearson correlation of two equal-length signals (1 for identical or scaled copies).
    static func correlation(_ a: [Float], _ b: [Float]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0.0) { $0 + Double($1) } / n, mb = b.reduce(0.0) { $0 + Double($1) } / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices {
            let x = Double(a[i]) - ma, y = Double(b[i]) - mb
            sab += x * y; saa += x * x; sbb += y * y
        }
        return sab / max(1e-30, (saa * sbb).squareRoot())
    }

    /// RMS of `x[range]`.
    static func rms(_ x: [Float], _ range: Range<Int>) -> Double {
        guard !range.isEmpty else { return 0 }
        return (range.reduce(0.0) { $0 + Double(x[$1]) * Double(x[$1]) } / Double(range.count)).squareRoot()
    }

    /// Instantaneous frequency of the component near `f0`, every `hop` frames: the phase of a
    /// Hann-windowed heterodyne (window `window` frames) differenced between hops.
    /// Returns (time in seconds of each value, frequency in Hz).
    static func frequencyTrack(_ x: [Float], sampleRate: Int, f0: Double, from: Int, to: Int,
                               hop: Int = 64, window: Int = 1024) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        var previous: Double?
        let w0 = 2 * Double.pi * f0 / Double(sampleRate)
        var start = from
        while start + window <= to {
            var re = 0.0, im = 0.0
            for k in 0..<window {
                let hann = 0.5 - 0.5 * cos(2 * Double.pi * Double(k) / Double(window - 1))
                let t = Double(start + k)
                re += Double(x[start + k]) * hann * cos(w0 * t)
                im -= Double(x[start + k]) * hann * sin(w0 * t)
            }
            let phase = atan2(im, re)
            if let p = previous {
                var d = phase - p
                while d > Double.pi { d -= 2 * Double.pi }
                while d < -Double.pi { d += 2 * Double.pi }
                let hz = f0 + d / (2 * Double.pi) * Double(sampleRate) / Double(hop)
                out.append((Double(start + window / 2) / Double(sampleRate), hz))
            }
            previous = phase
            start += hop
        }
        return out
    }

    /// Vibrato of a frequency track: rate (Hz, from zero crossings of the deviation from the
    /// mean) and depth (half the peak-to-peak excursion, in cents, averaged over the cycles).
    static func vibrato(_ track: [(Double, Double)]) -> (rate: Double, depthCents: Double, meanHz: Double) {
        let mean = track.map(\.1).reduce(0, +) / Double(track.count)
        var crossings: [Double] = []
        for i in 1..<track.count where (track[i - 1].1 - mean) < 0 && (track[i].1 - mean) >= 0 {
            crossings.append(track[i].0)
        }
        let rate = crossings.count > 1 ? Double(crossings.count - 1) / (crossings.last! - crossings.first!) : 0
        // Depth: per cycle between upward crossings, (max − min)/2 in cents.
        var depths: [Double] = []
        for c in 1..<max(1, crossings.count) {
            let cycle = track.filter { $0.0 >= crossings[c - 1] && $0.0 < crossings[c] }.map(\.1)
            guard let hi = cycle.max(), let lo = cycle.min() else { continue }
            depths.append(1200 * log2(hi / lo) / 2)
        }
        return (rate, depths.isEmpty ? 0 : depths.reduce(0, +) / Double(depths.count), mean)
    }

    /// 10%→90% rise time (seconds) of the RMS envelope (2 ms windows) over `x[from..<from+span]`.
    static func attackTime(_ x: [Float], sampleRate: Int, from: Int, span: Int) -> Double {
        let w = max(1, sampleRate / 500)
        var env: [Double] = []
        var i = from
        while i + w <= from + span { env.append(rms(x, i..<(i + w))); i += w }
        let peak = env.max() ?? 0
        let t10 = env.firstIndex { $0 >= 0.1 * peak } ?? 0
        let t90 = env.firstIndex { $0 >= 0.9 * peak } ?? 0
        return Double(t90 - t10) * Double(w) / Double(sampleRate)
    }

    /// Spectral centroid (Hz) of `x[range]`: Σ f·|X(f)| / Σ |X(f)| over a Hann-windowed DFT
    /// evaluated on a 20 Hz grid up to `maxHz`.
    static func spectralCentroid(_ x: [Float], range: Range<Int>, sampleRate: Int, maxHz: Double = 10_000) -> Double {
        var num = 0.0, den = 0.0
        var f = 20.0
        while f <= maxHz {
            let m = magnitude(x, range: range, sampleRate: sampleRate, frequency: f)
            num += f * m; den += m
            f += 20
        }
        return den > 0 ? num / den : 0
    }

    /// A fresh empty directory under the system temporary directory.
    static func tempDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("synth-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

extension Analysis {
    /// Magnitude of the component near `f0` every `hop` frames (Hann-windowed heterodyne).
    static func amplitudeTrack(_ x: [Float], sampleRate: Int, f0: Double, from: Int, to: Int,
                               hop: Int = 64, window: Int = 1024) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        var start = from
        while start + window <= to {
            out.append((Double(start + window / 2) / Double(sampleRate),
                        magnitude(x, range: start..<(start + window), sampleRate: sampleRate, frequency: f0)))
            start += hop
        }
        return out
    }

    /// Parses one tune from ABC text (the test fails if it does not parse).
    static func tune(_ abc: String) throws -> Tune {
        try XCTUnwrap(ABCParser.parseTune(abc))
    }
}
