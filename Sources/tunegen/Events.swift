// `tunegen events FILE [--tune N | --x N]`: the timed note events of one tune, as a player
// reads it (repeats expanded, ties merged), as a table or as JSON with the tempo map.
import ABCNotation
import ArgumentParser
import Foundation

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the timed note events of one tune (beats and seconds), repeats expanded.")

    @Argument(help: "ABC file ('-' reads standard input).")
    var file: String

    @OptionGroup var selection: TuneSelection

    @Flag(help: "Print JSON: notes (pitch, onset, duration, voice, marks), chord symbols and the tempo map.")
    var json = false

    func run() throws {
        let tune: Tune
        do {
            tune = try selection.select(from: try ABCInput.parse(file))
        } catch let failure as CommandFailure {
            CommandFailure.exit(failure)
        }
        let result = tune.score()
        for d in result.diagnostics where d.severity == .error {
            FileHandle.standardError.write(Data((d.description + "\n").utf8))
        }
        let score = result.score
        if json {
            try JSONOutput.print(EventsDocument(tune: tune, score: score))
            return
        }
        var out = "X:\(tune.referenceNumber.map(String.init) ?? "?") \(tune.title ?? "")\n"
        out += "voice  pitch  name  onset(beats)  dur(beats)  onset(s)  dur(s)\n"
        for voice in score.voices {
            for note in voice.notes {
                let start = score.seconds(atBeat: note.onset)
                let cols = [pad(voice.id, 5), pad("\(note.pitch)", 5), pad(EventsDocument.pitchName(note.pitch), 4),
                            pad(fmt(note.onset), 12), pad(fmt(note.duration), 10), pad(fmt(start), 8),
                            fmt(score.seconds(atBeat: note.end) - start)]
                out += cols.joined(separator: "  ") + "\n"
            }
        }
        out += "\(score.voices.map(\.notes.count).reduce(0, +)) notes, \(fmt(score.totalBeats)) beats, \(fmt(score.totalSeconds)) s\n"
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    func fmt(_ x: Double) -> String { String(format: "%.4g", x) }
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
}

/// What `events --json` prints.
struct EventsDocument: Encodable {
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

    init(tune: Tune, score: Score) {
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
    static func pitchName(_ pitch: Int) -> String {
        let names = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
        return names[((pitch % 12) + 12) % 12] + "\(pitch / 12 - 1)"
    }
}
