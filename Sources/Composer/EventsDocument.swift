// EventsDocument: the timed note events of one tune, as `tunegen events` prints them (a table,
// or JSON with the chord symbols and the tempo map).
import ABCNotation
import Foundation

/// What `events --json` prints.
public struct EventsDocument: Encodable {
    struct Event: Encodable {
        var voice: String
        var pitch: Int
        var name: String
        var onset: Double
        var duration: Double
        var onsetSeconds: Double
        var durationSeconds: Double
        var marks: [String]
        var gracePitches: [Int]
    }

    var referenceNumber: Int?
    var title: String?
    var notes: [Event]
    var chordSymbols: [ChordSymbolEvent]
    var tempos: [TempoChange]
    var totalBeats: Double
    var totalSeconds: Double

    public init(tune: Tune, score: Score) {
        referenceNumber = tune.referenceNumber
        title = tune.title
        notes = score.voices.flatMap { voice in
            voice.notes.map { n in
                let start = score.seconds(atBeat: n.onset)
                return Event(voice: voice.id, pitch: n.pitch, name: EventsDocument.pitchName(n.pitch), onset: n.onset,
                             duration: n.duration, onsetSeconds: start, durationSeconds: score.seconds(atBeat: n.end) - start,
                             marks: n.marks, gracePitches: n.gracePitches)
            }
        }
        chordSymbols = score.voices.flatMap(\.chordSymbols)
        tempos = score.tempos
        totalBeats = score.totalBeats
        totalSeconds = score.totalSeconds
    }

    /// Scientific pitch name: 60 is C4, 69 is A4, sharps for black keys.
    public static func pitchName(_ pitch: Int) -> String {
        let names = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
        return names[((pitch % 12) + 12) % 12] + "\(pitch / 12 - 1)"
    }
}

extension EventsDocument {
    /// The events as a plain table: one line per note, then the totals.
    public static func table(tune: Tune, score: Score) -> String {
        func fmt(_ x: Double) -> String { String(format: "%.4g", x) }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        var out = "X:\(tune.referenceNumber.map(String.init) ?? "?") \(tune.title ?? "")\n"
        out += "voice  pitch  name  onset(beats)  dur(beats)  onset(s)  dur(s)\n"
        for voice in score.voices {
            for note in voice.notes {
                let start = score.seconds(atBeat: note.onset)
                let cols = [pad(voice.id, 5), pad("\(note.pitch)", 5), pad(pitchName(note.pitch), 4),
                            pad(fmt(note.onset), 12), pad(fmt(note.duration), 10), pad(fmt(start), 8),
                            fmt(score.seconds(atBeat: note.end) - start)]
                out += cols.joined(separator: "  ") + "\n"
            }
        }
        out += "\(score.voices.map(\.notes.count).reduce(0, +)) notes, \(fmt(score.totalBeats)) beats, \(fmt(score.totalSeconds)) s\n"
        return out
    }
}
