// ChordInference: a chord per half bar for a tune that has no chord symbols, chosen as a
// guitarist or bouzouki player backing a session would: from the triads of the key's mode
// (I, IV, V and the relative chords; never a diminished one), by which chord holds the
// melody's notes in that span, weighted by length and beat, with a slight preference for the
// tonic and for keeping the chord, and a strong one for ending at home.

import ABCNotation

/// Infers accompaniment chords from a melody and its key.
public struct ChordInference: Sendable {
    /// One candidate chord: its root pitch class and whether it is minor.
    public struct Triad: Sendable, Equatable {
        public var root: Int
        public var minor: Bool
        /// "D", "Em", "F#m", "Bb" (sharps in sharp keys, flats in flat keys).
        public func name(flats: Bool) -> String {
            let sharpNames = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
            let flatNames = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"]
            return (flats ? flatNames : sharpNames)[root] + (minor ? "m" : "")
        }
        var tones: [Int] { [root, (root + (minor ? 3 : 4)) % 12, (root + 7) % 12] }
    }

    /// Pitch class of the key's tonic (C = 0).
    public let tonic: Int
    /// The candidate chords with their prior weights.
    public let candidates: [(triad: Triad, prior: Double)]
    let flats: Bool
    let feel: MeterFeel

    /// Triads on each degree of `key`'s mode (its seven notes, the key's own accidentals applied),
    /// minus diminished ones. Priors by the root's distance from the tonic in semitones (small
    /// beside the fit to the melody, which is a fraction of the span's weighted notes, 0…1):
    /// tonic 0.12; IV, V and ♭VII (mixolydian, dorian, minor) 0.08; ♭III 0.04; vi and ♭VI 0.03;
    /// ii −0.05; iii −0.08. (So a lone A in G major is D's fifth, not A minor's root.)
    public init(key: KeySignature, feel: MeterFeel) {
        self.feel = feel
        let letterPC = [0, 2, 4, 5, 7, 9, 11]
        let scale = (0..<7).map { ((letterPC[$0] + key.alterations[$0]) % 12 + 12) % 12 }
        let tonic = Self.pitchClass(key.tonic) ?? 0
        self.tonic = tonic
        flats = key.fifths < 0
        let priors: [Int: Double] = [0: 0.12, 5: 0.08, 7: 0.08, 10: 0.08, 3: 0.04, 9: 0.03, 8: 0.03, 2: -0.05, 4: -0.08]
        var c: [(Triad, Double)] = []
        for root in scale {
            let third = (root + 3) % 12, majorThird = (root + 4) % 12, fifth = (root + 7) % 12
            guard scale.contains(fifth) else { continue }               // diminished: skip
            let minor: Bool
            if scale.contains(majorThird) { minor = false } else if scale.contains(third) { minor = true } else { continue }
            let interval = (root - tonic + 12) % 12
            c.append((Triad(root: root, minor: minor), priors[interval] ?? -0.08))
        }
        candidates = c
    }

    /// Pitch class of a written tonic ("D", "F#", "Bb"); nil when unreadable.
    static func pitchClass(_ tonic: String?) -> Int? {
        guard let t = tonic, let chord = ChordName(t) else { return nil }
        return chord.root
    }

    /// A chord for every `feel.chordSpan` beats from the first bar line (the pickup has none) to
    /// the end of the melody, as chord symbol events, in order. Spans with no melody keep the
    /// previous chord. O(notes + spans × candidates).
    public func infer(_ score: Score) -> [ChordSymbolEvent] {
        guard !candidates.isEmpty, let melody = score.voices.first(where: { !$0.notes.isEmpty }) else { return [] }
        let notes = melody.notes.sorted { $0.onset < $1.onset }
        let end = notes.map(\.end).max() ?? 0
        let span = max(0.5, feel.chordSpan)
        var start = feel.barBeats > 0 ? feel.pickupBeats : 0
        if start >= end { start = 0 }
        var out: [ChordSymbolEvent] = []
        var previous: Int?
        var first = 0
        var spanIndex = 0
        while start < end - 1e-9, spanIndex < 100_000 {
            let stop = min(end, start + span)
            let isLast = stop >= end - 1e-9
            var weight = [Double](repeating: 0, count: candidates.count)
            var total = 0.0
            while first < notes.count && notes[first].end <= start { first += 1 }
            var i = first
            while i < notes.count && notes[i].onset < stop {
                let n = notes[i]
                let overlap = min(n.end, stop) - max(n.onset, start)
                i += 1
                guard overlap > 0 else { continue }
                // Notes on the span's first beat count more; so does a stressed beat. A chord tone
                // counts 1 (root), 0.95 (third) or 0.9 (fifth), any other note −0.5.
                let stress = abs(n.onset - start) < 1e-6 ? 1.5 : (feel.decibels(atBeat: n.onset) > -4 ? 1.2 : 1)
                let w = overlap * stress
                total += w
                let pc = ((n.pitch % 12) + 12) % 12
                for (k, c) in candidates.enumerated() {
                    let tones = c.triad.tones
                    weight[k] += w * (pc == tones[0] ? 1.0 : pc == tones[1] ? 0.95 : pc == tones[2] ? 0.9 : -0.5)
                }
            }
            var best: Int? = nil
            if total > 0 {
                var bestScore = -Double.infinity
                for (k, c) in candidates.enumerated() {
                    var s = weight[k] / total + c.prior
                    if k == previous { s += 0.06 }
                    if isLast && c.triad.root == tonic { s += 0.4 }
                    if s > bestScore + 1e-12 { bestScore = s; best = k }
                }
            } else {
                best = previous
            }
            if let b = best {
                let name = candidates[b].triad.name(flats: flats)
                if let last = out.last, last.name == name, abs(last.onset + last.duration - start) < 1e-9 {
                    out[out.count - 1].duration += stop - start
                } else {
                    out.append(ChordSymbolEvent(name: name, onset: start, duration: stop - start))
                }
                previous = b
            }
            start = stop
            spanIndex += 1
        }
        return out
    }
}

/// Turns chord symbols into an accompaniment line in a pattern that fits the meter:
/// - simple meters (reels, hornpipes, polkas, 4/4, 2/4): a vamp, bass on the beat and the chord
///   on the off-beat (reel: bass on 1 and 3, chord on 2 and 4 of each bar; polka: bass on each
///   beat, chord on its "and");
/// - compound meters (jigs, slides, slip jigs) and 3/4: oom-pah-pah, bass on the beat's first
///   eighth and the chord on the other two (3/4: bass on 1, chord on 2 and 3);
/// - airs and free meter: the chord held.
/// The bass is the chord's root (or `/bass`) in E2…D#3, the chord a close voicing from E3 up;
/// chord notes are strummed 0.02 beats apart.
public struct Accompaniment: Sendable {
    public let feel: MeterFeel
    /// Velocities of the bass and of the chord notes.
    public static let bassVelocity = 72
    public static let chordVelocity = 56

    public init(feel: MeterFeel) { self.feel = feel }

    /// The accompaniment notes for `symbols` (onsets in beats), up to `endBeat`.
    public func notes(for symbols: [ChordSymbolEvent], endBeat: Double) -> [NoteEvent] {
        var out: [NoteEvent] = []
        for s in symbols {
            guard let chord = ChordName(s.name), s.duration > 0, out.count < 400_000 else { continue }
            let bass = 40 + ((chord.bass ?? chord.root) - 4 + 12) % 12
            let chordPitches = chord.intervals.prefix(4).map { 52 + ((chord.root + $0 - 4) % 12 + 12) % 12 }.sorted()
            let stop = min(s.onset + s.duration, max(endBeat, s.onset))
            func add(_ pitch: Int, _ at: Double, _ length: Double, _ velocity: Int) {
                let end = min(at + length, stop)
                guard end > at else { return }
                out.append(NoteEvent(pitch: pitch, onset: at, duration: end - at, velocity: velocity))
            }
            func strum(_ at: Double, _ length: Double) {
                for (k, p) in chordPitches.enumerated() { add(p, at + 0.02 * Double(k), length - 0.02 * Double(k), Self.chordVelocity) }
            }
            if feel.sustained || feel.barBeats <= 0 {
                add(bass, s.onset, s.duration, Self.bassVelocity)
                strum(s.onset, s.duration)
                continue
            }
            // Walk the beats (dotted quarters in compound meters, quarters otherwise) in the span.
            let beat = feel.isCompound ? 1.5 : 1.0
            var t = s.onset
            while t < stop - 1e-9 {
                let p = feel.position(ofBeat: t)
                let onBarHalf = abs(p.truncatingRemainder(dividingBy: max(beat, feel.chordSpan))) < 1e-6 || abs(t - s.onset) < 1e-6
                if feel.isCompound || feel.barBeats == 3 {
                    // oom-pah-pah: in 6/8 each dotted quarter is bass + two chord eighths;
                    // in 3/4 the bar is bass + two chord quarters.
                    if feel.isCompound {
                        add(bass, t, 0.45, Self.bassVelocity)
                        strum(t + 0.5, 0.45)
                        strum(t + 1.0, 0.45)
                    } else {
                        if abs(p) < 1e-6 || abs(t - s.onset) < 1e-6 { add(bass, t, 0.9, Self.bassVelocity) } else { strum(t, 0.7) }
                    }
                } else if feel.chordSpan <= 1 {
                    // Polka: bass on the beat, chord on its "and".
                    add(bass, t, 0.45, Self.bassVelocity)
                    strum(t + 0.5, 0.4)
                } else {
                    // Reel vamp: bass on the strong beats, chord between.
                    if onBarHalf { add(bass, t, 0.9, Self.bassVelocity) } else { strum(t, 0.6) }
                }
                t += beat
            }
        }
        return out
    }
}
