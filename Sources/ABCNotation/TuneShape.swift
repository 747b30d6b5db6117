// TuneShape: the form a tune has, read from its first voice: its parts (bars, played once or
// twice), whether every part has a whole number of bars, and whether the last note played is
// the tonic. What `generate` reports per tune and what tests and evaluation count.

/// The measured form of a tune.
public struct TuneShape: Sendable, Hashable, CustomStringConvertible {
    /// One part: bars as written (a pickup not counted; with endings, the common bars plus the
    /// first ending) and whether it is played twice.
    public struct Part: Sendable, Hashable {
        public var bars: Int
        public var repeated: Bool
    }

    public var parts: [Part]
    /// The last note played is the key's tonic (pitch class), nil if the tune has no notes.
    public var endsOnTonic: Bool?

    /// True when the parts are `count` parts of `bars` bars, each played twice (or each once).
    public func matches(_ form: TuneForm) -> Bool {
        guard let (n, repeated) = form.parts else { return !parts.isEmpty }
        return parts.count == n && parts.allSatisfy { $0.bars == form.barsPerPart && $0.repeated == repeated }
    }

    /// "AABB 8+8", "AB 8+7".
    public var description: String {
        let names = parts.enumerated().map { i, p in
            let l = String(UnicodeScalar(UInt8(65 + min(i, 25))))
            return p.repeated ? l + l : l
        }.joined()
        return names + " " + parts.map { String($0.bars) }.joined(separator: "+")
    }
}

extension Tune {
    /// The tune's parts and ending, from its first voice.
    public var shape: TuneShape {
        guard let voice = timelines.first else { return TuneShape(parts: [], endsOnTonic: nil) }
        var parts: [TuneShape.Part] = []
        var bars = 0, inEnding = 0, repeated = false
        var fill = Rational.zero, sounded = false, firstInPart = true
        let bar = meter.barLength
        func closeBar() {
            guard sounded else { return }
            // A short first bar is the part's pickup; every other bar counts.
            let pickup = firstInPart && bar.map { fill < $0 } ?? false
            if !pickup && inEnding <= 1 { bars += 1 }
            firstInPart = false
            fill = .zero
            sounded = false
        }
        func closePart() {
            if bars > 0 { parts.append(TuneShape.Part(bars: bars, repeated: repeated)) }
            bars = 0; inEnding = 0; repeated = false; firstInPart = true
        }
        for item in voice.items {
            switch item {
            case let .sound(s):
                fill = fill.adding(s.duration) ?? fill
                sounded = true
            case let .bar(b, _):
                closeBar()
                if b.isRepeatEnd {
                    repeated = true
                    if inEnding != 1 { closePart() }
                } else if b.isSectionEnd {
                    closePart()
                }
            case let .ending(numbers, _):
                closeBar()
                inEnding = numbers.min() ?? 1
            case .part:
                closeBar()
                closePart()
            default:
                break
            }
        }
        closeBar()
        closePart()
        var tonic: Bool?
        if let last = score().score.voices.first?.notes.max(by: { $0.onset < $1.onset }), let t = key.tonic?.first,
           let i = KeySignature.letterIndex(t) {
            let pc = (TimelineBuilder.semitones[i] + key.alterations[i] + 120) % 12
            tonic = (last.pitch % 12 + 12) % 12 == pc
        }
        return TuneShape(parts: parts, endsOnTonic: tonic)
    }
}
