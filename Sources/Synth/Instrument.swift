// Instrument: the sounds tunegen can play, by name for the command line (`--instrument`),
// with their General MIDI programs for the MIDI writer and the release each voice uses.

/// A sound for rendering a score.
public enum Instrument: String, CaseIterable, Sendable, Codable {
    /// A steel-string pluck by Karplus–Strong: a seeded noise burst circulating in a tuned delay
    /// line with a two-point averaging loss filter and an all-pass fractional delay for exact pitch.
    case plucked
    /// A bowed string (fiddle-like): a band-limited sawtooth-like wavetable with a body resonance,
    /// a vibrato that grows after the onset (5.8 Hz, to ±18 cents), bow noise with a scratch at
    /// each onset.
    case bowed
    /// A wooden flute: fundamental with weak harmonics, breathy attack with a chiff, breath
    /// noise under the tone, a vibrato that grows after the onset (5 Hz, to ±12 cents).
    case flute
    /// A tin whistle: brighter than the flute, quick attack with a short chiff, little vibrato.
    case whistle
    /// A button accordion: two free reeds a few cents apart (the beating of a "wet" tuning),
    /// buzzy spectrum, steady bellows.
    case accordion

    /// General MIDI program number (0-based, as written in the Program Change message):
    /// plucked 25 (Acoustic Guitar, steel), bowed 40 (Violin), flute 73 (Flute), whistle 74
    /// (Recorder: like the tin whistle a duct flute; GM's 78 "Whistle" is a human whistle, and in
    /// TimGM6mb it is not even in tune), accordion 21 (Accordion).
    public var midiProgram: Int {
        switch self {
        case .plucked: 25
        case .bowed: 40
        case .flute: 73
        case .whistle: 74
        case .accordion: 21
        }
    }

    /// Seconds a note keeps sounding after its written end (its release); always ≤ the render tail.
    public var releaseSeconds: Double {
        switch self {
        case .plucked: 0.30
        case .bowed: 0.15
        case .flute: 0.10
        case .whistle: 0.08
        case .accordion: 0.12
        }
    }
}
