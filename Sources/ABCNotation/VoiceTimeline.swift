// VoiceTimeline: a tune's body read once, in written order, into per-voice lists of timed items
// (pitches as MIDI numbers, durations as exact fractions of a whole note). Key signatures,
// bar accidentals, tuplets and broken rhythm are applied here; repeats are not expanded
// (ScoreBuilder does that). Both the bar-length check and the score read this.

/// One thing in a voice, in written order.
enum TimedItem {
    /// A note, chord or rest. `pitches` is empty for rests; `ties` parallels it.
    case sound(Sound)
    case bar(BarLine, SourceLocation)
    case ending([Int], SourceLocation)
    case meter(Meter)
    case tempo(Double)
    case chordSymbol(String)
    /// `P:A` in the body: the start of part A.
    case part(String)
}

struct Sound {
    /// Where this sound's pitches (and their tie flags) are in the voice's `pitches`/`ties`
    /// pools; empty for rests. Pools, not per-note arrays, to spare two allocations a note.
    var pitchRange: Range<Int>
    /// Whole notes.
    var duration: Rational
    var marks: [String]
    var grace: [Int]
    var location: SourceLocation
    /// Bars of a multi-bar rest (`Z4` is 4), 0 otherwise.
    var multiBars: Int
}

struct VoiceTimeline {
    var id: String
    var name: String?
    var items: [TimedItem] = []
    /// MIDI pitches of all sounds, in order; see Sound.pitchRange.
    var pitches: [Int] = []
    /// Whether each pitch in `pitches` is tied to the next sound.
    var ties: [Bool] = []
}

/// The default q of a tuplet `(p` (the time of q notes), per the standard.
func tupletDefaultQ(_ p: Int, meter: Meter) -> Int {
    switch p {
    case 2, 4, 8: return 3
    case 3, 6: return 2
    default: return meter.isCompound ? 3 : 2
    }
}

struct TimelineBuilder {
    struct VoiceState {
        var key: KeySignature
        var meter: Meter
        var unitLength: Rational
        var barAccidentals: [Int: Int] = [:]
        var tieCarry: [Int: Int] = [:]
        var tupletLeft = 0
        var tupletFactor = Rational.one
        var pendingBroken: Rational?
        var lastSound: Int?
        var marks: [String] = []
        var grace: [Int] = []
        var inOverlay = false
    }

    let tune: Tune
    var diagnostics: [Diagnostic] = []
    var voices: [VoiceTimeline] = []
    var states: [VoiceState] = []
    var voiceIndex: [String: Int] = [:]
    var current = 0

    static let semitones = [0, 2, 4, 5, 7, 9, 11]

    init(tune: Tune) {
        self.tune = tune
    }

    mutating func diagnose(_ severity: Severity, _ category: DiagnosticCategory, _ at: SourceLocation, _ message: String, hint: String? = nil) {
        guard diagnostics.count < TuneParser.maxDiagnostics else { return }
        diagnostics.append(Diagnostic(severity: severity, category: category, fileName: tune.fileName, line: at.line,
                                      column: at.column, message: message, hint: hint))
    }

    /// Voice id and `name=`/`nm=` from a `V:` value.
    static func voiceIdentity(_ value: String) -> (id: String, name: String?) {
        let words = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let id = words.first.map(String.init) ?? "1"
        var name: String?
        for prefix in ["name=", "nm="] {
            guard name == nil, let word = words.firstIndex(where: { $0.hasPrefix(prefix) }) else { continue }
            // The name may be quoted and hold spaces: take the rest of the value from there.
            let rest = words[word...].joined(separator: " ").dropFirst(prefix.count)
            if rest.first == "\"" {
                name = String(rest.dropFirst().prefix { $0 != "\"" })
            } else {
                name = String(rest.prefix { $0 != " " })
            }
        }
        return (id, name)
    }

    mutating func voice(_ id: String, name: String?) -> Int {
        if let v = voiceIndex[id] {
            if let name { voices[v].name = name }
            return v
        }
        voiceIndex[id] = voices.count
        voices.append(VoiceTimeline(id: id, name: name))
        states.append(VoiceState(key: tune.key, meter: tune.meter, unitLength: tune.unitLength))
        return voices.count - 1
    }

    static func build(_ tune: Tune) -> (voices: [VoiceTimeline], diagnostics: [Diagnostic]) {
        var b = TimelineBuilder(tune: tune)
        for field in tune.header where field.letter == "V" {
            let (id, name) = voiceIdentity(field.value)
            _ = b.voice(id, name: name)
        }
        if b.voices.isEmpty { _ = b.voice("1", name: nil) }
        b.current = 0
        if let q = tune.tempo { b.voices[0].items.append(.tempo(q)) }
        for (k, element) in tune.body.enumerated() {
            b.read(element, at: tune.bodyLocations[k])
        }
        for v in b.states.indices where b.states[v].pendingBroken != nil {
            b.diagnose(.warning, .syntax, tune.bodyLocations.last ?? SourceLocation(line: tune.startLine, column: 1),
                       "broken rhythm at the end of voice \(b.voices[v].id) has no note after it")
        }
        return (b.voices, b.diagnostics)
    }

    /// MIDI pitch of a note under the current key and bar accidentals; updates the bar's accidentals.
    mutating func pitch(of note: Note, at: SourceLocation, remember: Bool) -> Int? {
        guard let li = KeySignature.letterIndex(code: note.letterCode) else { return nil }
        let slot = li * 100 + note.octave + 50
        let alteration: Int
        // Fields are read in place (states[current].x): copying the whole state would retain
        // its dictionaries for every note.
        if let a = note.accidental {
            alteration = a.rawValue
            if remember { states[current].barAccidentals[slot] = alteration }
        } else {
            alteration = states[current].barAccidentals[slot] ?? states[current].tieCarry[slot]
                ?? states[current].key.alterations[li]
        }
        let p = 60 + 12 * note.octave + TimelineBuilder.semitones[li] + alteration + states[current].key.transpose
            + 12 * states[current].key.octave
        guard (0...127).contains(p) else {
            diagnose(.error, .score, at, "pitch \(p) is outside MIDI's 0...127", hint: "remove some octave marks")
            return nil
        }
        return p
    }

    /// Adds a note, chord or rest of `length` unit lengths to the current voice; its pitches are
    /// those appended to the voice's pools since `pitchStart`.
    mutating func addSound(pitchStart: Int, length: Rational, at: SourceLocation, multiBars: Int = 0,
                           extraMarks: [String] = []) {
        if states[current].inOverlay {
            voices[current].pitches.removeSubrange(pitchStart...)
            voices[current].ties.removeSubrange(pitchStart...)
            return
        }
        var duration: Rational?
        if multiBars > 0 {
            duration = (states[current].meter.barLength ?? .one).multiplied(by: Rational(multiBars))
        } else {
            duration = length.multiplied(by: states[current].unitLength)
            if states[current].tupletLeft > 0 {
                duration = duration?.multiplied(by: states[current].tupletFactor)
                states[current].tupletLeft -= 1
            }
            if let broken = states[current].pendingBroken {
                duration = duration?.multiplied(by: broken)
                states[current].pendingBroken = nil
            }
        }
        guard let duration else {
            diagnose(.error, .syntax, at, "note length overflows exact arithmetic")
            return
        }
        var marks = states[current].marks
        if !extraMarks.isEmpty { marks += extraMarks }
        let sound = Sound(pitchRange: pitchStart..<voices[current].pitches.count, duration: duration, marks: marks, grace: states[current].grace,
                          location: at, multiBars: multiBars)
        if !states[current].marks.isEmpty { states[current].marks = [] }
        if !states[current].grace.isEmpty { states[current].grace = [] }
        states[current].lastSound = voices[current].items.count
        voices[current].items.append(.sound(sound))
    }

    mutating func read(_ element: BodyElement, at: SourceLocation) {
        switch element {
        case let .note(note):
            readNote(note, at: at)
        case let .chord(chord):
            readChord(chord, at: at)
        case let .rest(length, _):
            addSound(pitchStart: voices[current].pitches.count, length: length, at: at)
        case let .multiBarRest(bars, _):
            addSound(pitchStart: voices[current].pitches.count, length: .one, at: at, multiBars: bars)
        case let .graceNotes(notes, acciaccatura):
            for note in notes {
                if let p = pitch(of: note, at: at, remember: false) { states[current].grace.append(p) }
            }
            states[current].marks.append(acciaccatura ? "acciaccatura" : "grace")
        case let .decoration(name):
            states[current].marks.append(name)
        case let .chordSymbol(name):
            voices[current].items.append(.chordSymbol(name))
        case let .brokenRhythm(count):
            readBrokenRhythm(count, at: at)
        case let .tuplet(t):
            let q = t.q ?? tupletDefaultQ(t.p, meter: states[current].meter)
            states[current].tupletLeft = t.r ?? t.p
            states[current].tupletFactor = Rational(q, t.p) ?? .one
        case let .bar(bar):
            if !states[current].barAccidentals.isEmpty { states[current].barAccidentals = [:] }
            states[current].inOverlay = false
            voices[current].items.append(.bar(bar, at))
            if let ending = bar.ending, let numbers = TuneParser.endingNumbers(ending) {
                voices[current].items.append(.ending(numbers, at))
            }
        case let .ending(text):
            if let numbers = TuneParser.endingNumbers(text) { voices[current].items.append(.ending(numbers, at)) }
        case let .inlineField(field), let .field(field):
            readField(field, at: at)
        case .overlay:
            states[current].inOverlay = true
        case .slurStart, .slurEnd, .space, .lineBreak, .continuation, .bangLineBreak, .spacer, .directive, .annotation:
            break
        }
    }

    mutating func readNote(_ note: Note, at: SourceLocation) {
        let p = pitch(of: note, at: at, remember: true)
        if !states[current].tieCarry.isEmpty { states[current].tieCarry = [:] }
        if note.tied, let li = KeySignature.letterIndex(code: note.letterCode), let p {
            // A tied note's accidental carries to the note it is tied to, even across the bar.
            let slot = li * 100 + note.octave + 50
            let base = 60 + 12 * note.octave + TimelineBuilder.semitones[li] + states[current].key.transpose + 12 * states[current].key.octave
            states[current].tieCarry[slot] = p - base
        }
        let start = voices[current].pitches.count
        if let p {
            voices[current].pitches.append(p)
            voices[current].ties.append(note.tied)
        }
        addSound(pitchStart: start, length: note.length, at: at)
    }

    mutating func readChord(_ chord: Chord, at: SourceLocation) {
        let start = voices[current].pitches.count
        for note in chord.notes {
            if let p = pitch(of: note, at: at, remember: true) {
                voices[current].pitches.append(p)
                voices[current].ties.append(note.tied || chord.tied)
            }
        }
        if !states[current].tieCarry.isEmpty { states[current].tieCarry = [:] }
        let length = chord.notes[0].length.multiplied(by: chord.length) ?? .one
        addSound(pitchStart: start, length: length, at: at, extraMarks: chord.decorations)
    }

    /// `>` or `<` (doubled: `>>`): the sound before is lengthened or shortened now, the next one when it comes.
    mutating func readBrokenRhythm(_ count: Int, at: SourceLocation) {
        let half = Rational(1, 1 << abs(count))!
        let long = Rational((1 << (abs(count) + 1)) - 1, 1 << abs(count))!
        // Only chord symbols may stand between the two notes (`A"D">B`); a bar line may not.
        // The look-back is bounded so a hostile run of symbols stays linear.
        var onlySymbols = false
        if let last = states[current].lastSound, voices[current].items.count - 1 - last <= 8 {
            onlySymbols = true
            for k in (last + 1)..<voices[current].items.count {
                if case .chordSymbol = voices[current].items[k] { continue }
                onlySymbols = false
            }
        }
        guard let last = states[current].lastSound, onlySymbols,
              case var .sound(sound) = voices[current].items[last], sound.multiBars == 0 else {
            diagnose(.error, .syntax, at, "broken rhythm '\(count > 0 ? ">" : "<")' must come between two notes")
            return
        }
        sound.duration = sound.duration.multiplied(by: count > 0 ? long : half) ?? sound.duration
        voices[current].items[last] = .sound(sound)
        states[current].pendingBroken = count > 0 ? half : long
    }

    mutating func readField(_ field: Field, at: SourceLocation) {
        switch field.letter {
        case "K":
            let (key, problems) = KeySignature.parse(field.value)
            for p in problems { diagnose(.error, .header, at, p, hint: "e.g. K:D, K:Ador, K:Em, K:D ^g") }
            states[current].key = key
        case "M":
            let (meter, problem) = Meter.parse(field.value)
            if let meter {
                states[current].meter = meter
                voices[current].items.append(.meter(meter))
            } else if let problem {
                diagnose(.error, .header, at, problem, hint: "e.g. M:6/8, M:C, M:C|")
            }
        case "L":
            if let l = Meter.parseUnitLength(field.value) {
                states[current].unitLength = l
            } else {
                diagnose(.error, .header, at, "bad unit length '\(field.value)'", hint: "e.g. L:1/8")
            }
        case "Q":
            if let q = Meter.parseTempo(field.value, unitLength: states[current].unitLength) {
                voices[current].items.append(.tempo(q))
            } else {
                diagnose(.warning, .header, at, "unreadable tempo '\(field.value)'", hint: "e.g. Q:1/4=120")
            }
        case "P":
            voices[current].items.append(.part(field.value.trimmingSpaces()))
        case "V":
            let (id, name) = TimelineBuilder.voiceIdentity(field.value)
            current = voice(id, name: name)
        default:
            break
        }
    }
}
