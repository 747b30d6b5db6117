// Analysis helpers for "listening with numbers": single-frequency DFT magnitudes (Hann window),
// a fine peak search with parabolic interpolation, and score builders.

import ABCNotation
import Foundation
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

    static func render(_ score: Score, _ instrument: Instrument = .plucked, rate: Int = 22_050, channels: Int = 1,
                       chords: Bool = false, seed: UInt64 = 0) throws -> Rendering {
        try Synthesizer(options: RenderOptions(instrument: instrument, sampleRate: rate, channels: channels,
                                               chords: chords, seed: seed)).render(score)
    }

    /// A fresh empty directory under the system temporary directory.
    static func tempDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("synth-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
