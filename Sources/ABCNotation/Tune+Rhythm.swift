// Tune+Rhythm: what a player needs beyond the notes to play a tune with its lilt: the tune type
// from `R:` and where the bars fall (the pickup before the first bar line). The synthesizer's
// performance stage reads these; nothing here changes the score.

extension Tune {
    /// The `R:` (rhythm) field as written ("reel", "Double jig", "slip jig"), from the tune's
    /// header, else the file header; nil when neither has one.
    public var rhythm: String? {
        let field = header.last { $0.letter == "R" } ?? fileHeader.last { $0.letter == "R" }
        guard let value = field?.value, !value.isEmpty else { return nil }
        return value
    }

    /// Length of the pickup (anacrusis) in beats (quarter notes): the music of the first voice
    /// before its first bar line, when that is shorter than a bar; 0 when the tune starts on a
    /// bar line, has no bar lines, is in free meter, or starts with a multi-bar rest.
    /// Repeats keep a well-formed tune's bar grid (the bar a repeat ends completes the pickup),
    /// so bar k starts at `pickupBeats + k × bar length` throughout. O(items before the first bar).
    public var pickupBeats: Double {
        guard let bar = meter.barLength, let timeline = timelines.first else { return 0 }
        var length = Rational.zero
        for item in timeline.items {
            switch item {
            case .sound(let sound):
                if sound.multiBars > 0 { return 0 }
                guard let sum = length.adding(sound.duration) else { return 0 }
                length = sum
            case .bar:
                guard length > .zero, length < bar else { return 0 }
                return length.doubleValue * 4
            default:
                continue
            }
        }
        return 0
    }
}
