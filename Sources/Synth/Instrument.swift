// Instrument: the sounds tunegen can play, by name for the command line (`--instrument`),
// with their General MIDI programs for the MIDI writer and the release each voice uses.

/// A sound for rendering a score.
public enum Instrument: String, CaseIterable, Sendable, Codable {
    /// A steel-string pluck by Karplus–Strong: a seeded noise burst circulating in a tuned delay
    /// line with a two-point averaging loss filter and an all-pass fractional delay for exact pitch.
    case plucked
    /// A bowed string (fiddle-like): a band-limited sawtooth-like wavetable, gentle delayed vibrato
    /// (5.5 Hz, about ±6 cents), attack/decay/sustain/release envelope.
    case bowed
    /// A flute / tin whistle: fundamental with weak harmonics, seeded breath noise, gentle vibrato.
    case flute

    /// General MIDI program number (0-based, as written in the Program Change message):
    /// plucked 25 (Acoustic Guitar, steel), bowed 40 (Violin), flute 73 (Flute).
    public var midiProgram: Int {
        switch self {
        case .plucked: 25
        case .bowed: 40
        case .flute: 73
        }
    }

    /// Seconds a note keeps sounding after its written end (its release); always ≤ the render tail.
    public var releaseSeconds: Double {
        switch self {
        case .plucked: 0.30
        case .bowed: 0.15
        case .flute: 0.10
        }
    }
}
