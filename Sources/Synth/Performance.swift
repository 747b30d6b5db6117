// Performance: a tune's score as a session player would play it, before any sound is made:
// the tempo of its dance when Q: is absent, beat accents by meter, hornpipe swing, optional
// seeded human timing, and an accompaniment voice from the chord symbols (written or inferred).
// The result is an ordinary Score, so the audio and the MIDI writer both play it.

import ABCNotation
import Foundation

/// How to interpret a tune. Defaults: the tune's own tempo (or its dance's), lift on, no
/// humanizing (so the same tune gives the same samples, bit for bit), no accompaniment.
public struct PerformanceOptions: Sendable, Equatable, Codable {
    /// Quarter notes a minute, overriding the tune's `Q:` and tune type (`--tempo`).
    public var tempo: Double?
    /// Beat accents by meter and hornpipe swing. Off plays every note as written, at one level.
    public var lift: Bool = true
    /// Seed for human timing and velocity variation; nil (the default) for none.
    public var humanize: UInt64?
    /// Add an accompaniment voice from the chord symbols, inferring them when the tune has none.
    public var chords: Bool = false

    public init(tempo: Double? = nil, lift: Bool = true, humanize: UInt64? = nil, chords: Bool = false) {
        self.tempo = tempo
        self.lift = lift
        self.humanize = humanize
        self.chords = chords
    }
}

/// A tune interpreted for playing: the score to render and what was decided, for the user.
public struct Performance: Sendable {
    /// Id of the voice `Performance` adds for the accompaniment; `Synthesizer` plays it as a
    /// plucked guitar/bouzouki, placed apart from the melody.
    public static let accompanimentVoiceID = "tunegen-accompaniment"

    /// The score to render or write as MIDI.
    public var score: Score
    /// The tempo at the start and where it came from.
    public var tempo: TempoChoice
    /// The bar grid and accents used.
    public var meter: MeterFeel
    /// Chord names played, one per chord change in playing order (empty without `chords`).
    public var chordNames: [String] = []
    /// True when the chords were inferred from the melody (the tune had no chord symbols).
    public var chordsInferred = false

    /// Lines to show the user: tempo, and with accompaniment the chords
    /// ("chords: D G A D … (inferred from the melody in D major)").
    public var summary: [String] {
        var lines = ["tempo: \(tempo.description)"]
        if !chordNames.isEmpty || chordsInferred {
            let shown = chordNames.prefix(24).joined(separator: " ") + (chordNames.count > 24 ? " …" : "")
            lines.append("chords: \(shown.isEmpty ? "none" : shown) (\(chordsInferred ? "inferred from the melody" : "from the tune's chord symbols"))")
        }
        return lines
    }

    /// Interprets `tune`, whose timed events are `score` (`tune.score().score`, passed in so the
    /// caller reports its diagnostics once). O(notes log notes).
    public init(tune: Tune, score: Score, options: PerformanceOptions = PerformanceOptions()) {
        tempo = TempoChoice(tune: tune, override: options.tempo)
        meter = MeterFeel(meter: tune.meter, pickupBeats: tune.pickupBeats, type: tempo.type)
        var score = score
        if options.tempo != nil {
            score.tempos = [TempoChange(onset: 0, quarterNotesPerMinute: tempo.quarterNotesPerMinute)]
        } else if tune.tempo == nil {
            score.tempos.removeAll { $0.onset <= 0 }
            score.tempos.insert(TempoChange(onset: 0, quarterNotesPerMinute: tempo.quarterNotesPerMinute), at: 0)
        }
        if options.chords {
            let written = score.voices.flatMap(\.chordSymbols).filter { ChordName($0.name) != nil }
            let symbols: [ChordSymbolEvent]
            if written.isEmpty {
                symbols = ChordInference(key: tune.key, feel: meter).infer(score)
                chordsInferred = true
            } else {
                symbols = written.sorted { $0.onset < $1.onset }
            }
            chordNames = Self.changes(symbols)
            let notes = Accompaniment(feel: meter).notes(for: symbols, endBeat: score.totalBeats)
            if !notes.isEmpty {
                score.voices.append(VoiceEvents(id: Self.accompanimentVoiceID, name: "Accompaniment", notes: notes))
            }
        }
        if options.lift {
            for v in score.voices.indices where score.voices[v].id != Self.accompanimentVoiceID {
                meter.applyAccents(&score.voices[v].notes)
                if tempo.type == .hornpipe { meter.applySwing(&score.voices[v].notes, ratio: MeterFeel.hornpipeSwing) }
            }
        }
        if let seed = options.humanize {
            Self.humanize(&score, seed: seed, quarterNotesPerMinute: tempo.quarterNotesPerMinute)
        }
        self.score = score
    }

    /// Chord names at each change (consecutive repeats merged).
    static func changes(_ symbols: [ChordSymbolEvent]) -> [String] {
        var out: [String] = []
        for s in symbols where out.last != s.name { out.append(s.name) }
        return out
    }

    /// Largest onset shift of `humanize`, in seconds (triangular distribution, so most notes move
    /// far less: standard deviation about 4 ms), and largest velocity change, as a fraction.
    public static let humanizeTiming = 0.010
    public static let humanizeVelocity = 0.08

    /// Moves each note's onset by up to ±10 ms (its end stays, so the phrase stays legato) and
    /// scales its velocity by up to ±8%, both triangular, from `seed`. Notes of one chord move together.
    static func humanize(_ score: inout Score, seed: UInt64, quarterNotesPerMinute qpm: Double) {
        var rng = SplitMix64(seed: seed ^ 0x6875_6D61_6E69_7A65)
        func triangular() -> Double { Double(rng.nextSigned() + rng.nextSigned()) / 2 }
        let beatsPerSecond = qpm / 60
        for v in score.voices.indices {
            var lastOnset = -1.0
            var shift = 0.0
            for i in score.voices[v].notes.indices {
                var n = score.voices[v].notes[i]
                if n.onset != lastOnset { shift = triangular() * humanizeTiming * beatsPerSecond; lastOnset = n.onset }
                let end = n.end
                let onset = max(0, n.onset + shift)
                if onset < end - 1e-6 { n.onset = onset; n.duration = end - onset }
                let scale = 1 + triangular() * humanizeVelocity
                n.velocity = min(127, max(1, Int((Double(n.velocity) * scale).rounded())))
                score.voices[v].notes[i] = n
            }
        }
    }
}

/// Where a tune's bars and beats fall and how strongly each beat is played.
public struct MeterFeel: Sendable, Equatable {
    /// Hornpipe swing: straight eighth-note pairs played long-short at 2:1 (a triplet feel).
    public static let hornpipeSwing = 2.0
    /// Level of a note off every listed beat, relative to the downbeat: −5 dB.
    public static let offbeatDecibels = -5.0

    /// Bar length in beats (quarter notes); 0 for free meter (no grid).
    public var barBeats: Double
    /// Where bar 1 starts, in beats (the pickup's length).
    public var pickupBeats: Double
    /// Compound meter (6/8, 9/8, 12/8): the beat is a dotted quarter.
    public var isCompound: Bool
    /// Beats in a bar that get a stress, as (position in quarter notes from the bar line, level
    /// in dB relative to the downbeat, which is 0). Notes elsewhere get `offbeatDecibels`.
    public var stresses: [(position: Double, decibels: Double)]
    /// The span one accompaniment chord covers, in beats: half a bar, or a bar in 3/4 and 9/8.
    public var chordSpan: Double
    /// Accompany with a held chord instead of a rhythm (airs, free meter).
    public var sustained: Bool

    public static func == (a: MeterFeel, b: MeterFeel) -> Bool {
        a.barBeats == b.barBeats && a.pickupBeats == b.pickupBeats && a.isCompound == b.isCompound
            && a.stresses.map(\.position) == b.stresses.map(\.position) && a.stresses.map(\.decibels) == b.stresses.map(\.decibels)
            && a.chordSpan == b.chordSpan && a.sustained == b.sustained
    }

    /// The stresses of the common meters (quarter-note positions: dB):
    /// C|, 2/2, C, 4/4 (reels are felt in two): 0: 0, 2: −1.5, 1 and 3: −3;
    /// 2/4: 0: 0, 1: −1.5; 3/4: 0: 0, 1 and 2: −3; 6/8: 0: 0, 1.5: −1.5;
    /// 9/8: 0: 0, 1.5 and 3: −2; 12/8: 0: 0, 3: −1.5, 1.5 and 4.5: −3; 3/2: 0: 0, 2 and 4: −2;
    /// any other n/d: the downbeat 0 and every 1/d beat −3. Off the listed beats: −5 dB.
    public init(meter: Meter, pickupBeats: Double, type: TuneType? = nil) {
        self.pickupBeats = pickupBeats
        isCompound = meter.isCompound
        barBeats = (meter.barLength?.doubleValue ?? 0) * 4
        sustained = type == .air || meter == .free
        switch meter {
        case .free:
            stresses = []
        case .common, .cut:
            stresses = [(0, 0), (2, -1.5), (1, -3), (3, -3)]
        case let .fraction(n, d):
            switch (n.reduce(0, +), d) {
            case (2, 2), (4, 4): stresses = [(0, 0), (2, -1.5), (1, -3), (3, -3)]
            case (2, 4): stresses = [(0, 0), (1, -1.5)]
            case (3, 4): stresses = [(0, 0), (1, -3), (2, -3)]
            case (6, 8): stresses = [(0, 0), (1.5, -1.5)]
            case (9, 8): stresses = [(0, 0), (1.5, -2), (3, -2)]
            case (12, 8): stresses = [(0, 0), (3, -1.5), (1.5, -3), (4.5, -3)]
            case (3, 2): stresses = [(0, 0), (2, -2), (4, -2)]
            case let (count, unit):
                let step = 4 / Double(unit)
                stresses = [(0, 0)] + (1..<max(1, min(count, 64))).map { (Double($0) * step, -3) }
            }
        }
        let bar = barBeats
        if bar <= 0 {
            chordSpan = 2
        } else if meter == .fraction(numerators: [3], denominator: 4) || meter == .fraction(numerators: [9], denominator: 8) || bar <= 1.5 {
            chordSpan = bar
        } else {
            chordSpan = bar / 2
        }
    }

    /// Position of `beat` within its bar, in [0, barBeats); `beat` itself in free meter.
    public func position(ofBeat beat: Double) -> Double {
        guard barBeats > 0 else { return beat }
        var p = (beat - pickupBeats).truncatingRemainder(dividingBy: barBeats)
        if p < 0 { p += barBeats }
        if barBeats - p < 1e-6 { p = 0 }
        return p
    }

    /// The level of a note starting at `beat`, in dB relative to a downbeat note.
    public func decibels(atBeat beat: Double) -> Double {
        guard barBeats > 0 else { return 0 }
        let p = position(ofBeat: beat)
        for s in stresses where abs(s.position - p) < 1e-6 { return s.decibels }
        return Self.offbeatDecibels
    }

    /// Scales velocities by the stress of each note's onset. The synthesizer's level is
    /// (velocity/127)^1.5, so a change of g dB is a velocity factor of 10^(g/30).
    func applyAccents(_ notes: inout [NoteEvent]) {
        guard barBeats > 0 else { return }
        for i in notes.indices {
            let factor = pow(10, decibels(atBeat: notes[i].onset) / 30)
            notes[i].velocity = min(127, max(1, Int((Double(notes[i].velocity) * factor).rounded())))
        }
    }

    /// Plays straight eighth-note pairs long-short: within each quarter-note beat of the bar grid
    /// the off-beat eighth moves from 1/2 to ratio/(ratio+1) of the beat. Only notes starting and
    /// ending on the eighth-note grid move (triplets and dotted rhythms are already uneven).
    func applySwing(_ notes: inout [NoteEvent], ratio: Double) {
        guard barBeats > 0, !isCompound else { return }
        let long = ratio / (ratio + 1)
        func onGrid(_ x: Double) -> Bool { abs((x * 2).rounded() - x * 2) < 1e-6 }
        func warp(_ beat: Double) -> Double {
            let origin = pickupBeats
            let t = beat - origin
            let whole = t.rounded(.down)
            let frac = t - whole
            return origin + whole + (abs(frac - 0.5) < 1e-6 ? long : frac)
        }
        for i in notes.indices {
            let n = notes[i]
            guard onGrid(n.onset - pickupBeats), onGrid(n.end - pickupBeats) else { continue }
            let onset = warp(n.onset)
            let end = warp(n.end)
            guard end > onset else { continue }
            notes[i].onset = onset
            notes[i].duration = end - onset
        }
    }
}
