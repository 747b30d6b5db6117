// SynthBenchmark: how many seconds of audio the synthesizer renders per second of CPU, on a
// hand-built reel (two voices, eighth notes and chords) so the figure is comparable across runs.

import ABCNotation
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Rendering speed measurement.
public enum SynthBenchmark {
    /// Result of one measurement.
    public struct Result: Sendable, CustomStringConvertible {
        public var instrument: Instrument
        public var sampleRate: Int
        public var audioSeconds: Double
        public var cpuSeconds: Double
        public var notes: Int
        /// Seconds of audio per second of CPU.
        public var speed: Double { audioSeconds / max(cpuSeconds, 1e-9) }

        public var description: String {
            let s = (speed * 10).rounded() / 10
            let c = (cpuSeconds * 1000).rounded() / 1000
            return "\(instrument.rawValue) \(sampleRate) Hz stereo: \(notes) notes, \(audioSeconds) s of audio in \(c) s CPU = \(s)x real time"
        }
    }

    /// A reel-like test tune: `bars` bars of 4/4 at 120 quarter notes a minute (2 s a bar), a melody of
    /// eighth notes with some rolls and grace notes, and a second voice of half-note two-note chords.
    /// 33 bars make 66 seconds.
    public static func tune(bars: Int = 33) -> Score {
        let scale = [62, 64, 66, 67, 69, 71, 73, 74]
        var melody: [NoteEvent] = []
        var harmony: [NoteEvent] = []
        var chords: [ChordSymbolEvent] = []
        for bar in 0..<bars {
            for k in 0..<8 {
                let beat = Double(bar * 4) + Double(k) * 0.5
                let p = scale[(bar * 3 + k * (bar % 2 == 0 ? 1 : 3)) % scale.count]
                let marks = (k == 0 && bar % 4 == 1) ? ["roll"] : []
                let grace = (k == 4 && bar % 3 == 2) ? [p + 2] : []
                melody.append(NoteEvent(pitch: p, onset: beat, duration: 0.5, velocity: k % 2 == 0 ? 96 : 80, marks: marks, gracePitches: grace))
            }
            for h in 0..<2 {
                let beat = Double(bar * 4 + h * 2)
                let root = [50, 55, 57, 50][(bar + h) % 4]
                harmony.append(NoteEvent(pitch: root, onset: beat, duration: 2, velocity: 70))
                harmony.append(NoteEvent(pitch: root + 7, onset: beat, duration: 2, velocity: 70))
            }
            chords.append(ChordSymbolEvent(name: ["D", "G", "A7", "Bm"][bar % 4], onset: Double(bar * 4), duration: 4))
        }
        return Score(voices: [VoiceEvents(id: "1", name: "Melody", notes: melody, chordSymbols: chords),
                              VoiceEvents(id: "2", name: "Harmony", notes: harmony)],
                     tempos: [TempoChange(onset: 0, quarterNotesPerMinute: 120)],
                     totalBeats: Double(bars * 4))
    }

    /// CPU seconds used by this process so far.
    static func cpuNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Renders `score` (default: the 66-second `tune()`) `repeats` times and reports the best run.
    public static func run(score: Score = tune(), instrument: Instrument = .plucked, sampleRate: Int = 44_100,
                           chords: Bool = false, repeats: Int = 3) throws -> Result {
        let synth = Synthesizer(options: RenderOptions(instrument: instrument, sampleRate: sampleRate, chords: chords))
        var best = Double.infinity
        var seconds = 0.0
        for _ in 0..<max(1, repeats) {
            let t0 = cpuNow()
            let r = try synth.render(score)
            best = min(best, cpuNow() - t0)
            seconds = r.buffer.duration
        }
        return Result(instrument: instrument, sampleRate: sampleRate, audioSeconds: seconds, cpuSeconds: best,
                      notes: score.voices.reduce(0) { $0 + $1.notes.count })
    }
}
