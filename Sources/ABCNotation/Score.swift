// Score: a tune as a player reads it, as timed note events.
// Onsets and durations are in beats, where a quarter note is one beat whatever the meter;
// the tempo map turns beats into seconds. Built from a parsed tune (see ScoreBuilder);
// Synth and the MIDI writer read only this type.

/// One sounding note. Pitch is a MIDI note number (middle C = 60, A above it = 69 = 440 Hz).
public struct NoteEvent: Sendable, Hashable, Codable {
    /// MIDI note number, 0...127.
    public var pitch: Int
    /// Start, in beats (quarter note = 1) from the start of the tune.
    public var onset: Double
    /// Length, in beats; ties already merged, tuplets and broken rhythm applied.
    public var duration: Double
    /// MIDI velocity, 1...127.
    public var velocity: Int
    /// Decorations on the note, by name without delimiters ("trill", "roll", "staccato", ...), and
    /// "grace" for notes written inside `{}` (grace notes are kept as marks on the note they
    /// precede, with their own pitches in `gracePitches`; they take no time).
    public var marks: [String]
    /// Pitches of the grace notes written before this note, in order.
    public var gracePitches: [Int]

    public init(pitch: Int, onset: Double, duration: Double, velocity: Int = 80,
                marks: [String] = [], gracePitches: [Int] = []) {
        self.pitch = pitch
        self.onset = onset
        self.duration = duration
        self.velocity = velocity
        self.marks = marks
        self.gracePitches = gracePitches
    }

    /// Beat at which the note stops sounding.
    public var end: Double { onset + duration }
}

/// A chord symbol ("Am", "D7") from the tune, held until the next one or the end of the part.
public struct ChordSymbolEvent: Sendable, Hashable, Codable {
    public var name: String
    public var onset: Double
    public var duration: Double

    public init(name: String, onset: Double, duration: Double) {
        self.name = name
        self.onset = onset
        self.duration = duration
    }
}

/// A tempo from `Q:` (or the default): from `onset` on, `quarterNotesPerMinute` beats a minute.
public struct TempoChange: Sendable, Hashable, Codable {
    public var onset: Double
    public var quarterNotesPerMinute: Double

    public init(onset: Double, quarterNotesPerMinute: Double) {
        self.onset = onset
        self.quarterNotesPerMinute = quarterNotesPerMinute
    }
}

/// One voice's events, in onset order (notes of a chord share an onset).
public struct VoiceEvents: Sendable, Hashable, Codable {
    /// The voice's identifier from `V:` ("1", "T1", ...), or "1" for a tune without voices.
    public var id: String
    /// The voice's `name=` or `nm=`, if given.
    public var name: String?
    public var notes: [NoteEvent]
    public var chordSymbols: [ChordSymbolEvent]

    public init(id: String, name: String? = nil, notes: [NoteEvent] = [], chordSymbols: [ChordSymbolEvent] = []) {
        self.id = id
        self.name = name
        self.notes = notes
        self.chordSymbols = chordSymbols
    }
}

/// The timed events of one tune, repeats and endings expanded.
public struct Score: Sendable, Hashable, Codable {
    /// Default tempo when a tune has no `Q:` field: 120 quarter notes a minute.
    public static let defaultQuarterNotesPerMinute = 120.0

    public var voices: [VoiceEvents]
    /// Tempo changes in onset order; the first is at beat 0.
    public var tempos: [TempoChange]
    /// Length of the tune in beats: the end of the last note, rest or bar, whichever is latest.
    public var totalBeats: Double

    public init(voices: [VoiceEvents], tempos: [TempoChange] = [], totalBeats: Double? = nil) {
        self.voices = voices
        self.tempos = tempos.isEmpty
            ? [TempoChange(onset: 0, quarterNotesPerMinute: Score.defaultQuarterNotesPerMinute)]
            : tempos.sorted { $0.onset < $1.onset }
        self.totalBeats = totalBeats ?? voices.flatMap(\.notes).map(\.end).max() ?? 0
    }

    /// Seconds from the start of the tune to `beat`, following the tempo map. O(tempo changes).
    public func seconds(atBeat beat: Double) -> Double {
        var seconds = 0.0
        var lastBeat = 0.0
        var qpm = tempos.first?.quarterNotesPerMinute ?? Score.defaultQuarterNotesPerMinute
        for change in tempos where change.onset > 0 {
            if change.onset >= beat { break }
            seconds += (change.onset - lastBeat) * 60 / qpm
            lastBeat = change.onset
            qpm = change.quarterNotesPerMinute
        }
        return seconds + (beat - lastBeat) * 60 / qpm
    }

    /// Length of the tune in seconds.
    public var totalSeconds: Double { seconds(atBeat: totalBeats) }
}
