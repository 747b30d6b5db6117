// BarChecker: tier 3. Splits a voice timeline into bars and checks each bar's length against
// the meter in force, exactly (Rational). Every bar has the meter's length except: a pickup
// (the first bar of a section); the bar before a `:|`, which with the first bar of the section
// the repeat returns to makes one whole bar (a full bar there needs a full bar at the target);
// the last bar, which with the tune's pickup makes one; and a bar split by a section mark or
// an ending. The same rules drive the incremental reader (TuneReader). Warnings (.barLength).

/// Tier 3: bar lengths against the meter, with pickups.
enum BarChecker {
    struct Segment {
        var length: Rational
        var multiBars: Int
        var barLength: Rational?
        var boundaryBefore: Bool
        var boundaryAfter: Bool
        var location: SourceLocation
        var overflow: Bool
        /// Lowest number of an ending that starts with this bar, if one does.
        var endingStart: Int?
        /// The bar is closed by a `:|`: the index of the first bar of the section it repeats.
        var repeatTarget: Int?
    }

    static func check(_ voice: VoiceTimeline, meter initial: Meter, fileName: String) -> (diagnostics: [Diagnostic], barCount: Int) {
        let segments = Self.segments(of: voice, meter: initial)
        var diagnostics: [Diagnostic] = []
        var pickup: Rational?
        var barCount = 0
        // The bar before a group of endings: every ending may start by completing it.
        var beforeEndings: Int?
        for (k, seg) in segments.enumerated() {
            barCount += max(seg.multiBars, 1)
            if seg.endingStart == 1 { beforeEndings = k > 0 ? k - 1 : nil }
            guard let bar = seg.barLength, seg.multiBars == 0 else { continue }
            guard let message = problem(of: k, bar: bar, in: segments, pickup: &pickup, beforeEndings: beforeEndings),
                  diagnostics.count < TuneParser.maxDiagnostics else { continue }
            diagnostics.append(Diagnostic(severity: .warning, category: .barLength, fileName: fileName, line: seg.location.line,
                                          column: seg.location.column, message: message,
                                          hint: "a bar holds \(bar) of a whole note; only a pickup and the bar that completes it may be short"))
        }
        return (diagnostics, barCount)
    }

    // MARK: Bars

    /// The voice cut into bars at bar lines, endings and parts (empty stretches between two
    /// boundaries are not bars: they only mark the bar before as ending at a boundary).
    static func segments(of voice: VoiceTimeline, meter: Meter) -> [Segment] {
        var cutter = SegmentCutter(meter: meter)
        for item in voice.items { cutter.read(item) }
        cutter.close(boundaryAfter: true)
        return cutter.segments
    }

    /// The bar being read and the bars read so far.
    private struct SegmentCutter {
        var segments: [Segment] = []
        var meter: Meter
        var length = Rational.zero
        var multi = 0
        var overflow = false
        var hasContent = false
        var start = SourceLocation(line: 0, column: 0)
        var before = true
        var endingStart: Int?
        // Where a `:|` sends the player: the first bar after the latest `|:`, `:|`, `||`, `|]`, part or the start.
        var sectionStart = 0

        init(meter: Meter) { self.meter = meter }

        mutating func read(_ item: TimedItem) {
            switch item {
            case let .sound(sound):
                if !hasContent { start = sound.location }
                hasContent = true
                multi += sound.multiBars
                if sound.multiBars == 0 {
                    if let sum = length.adding(sound.duration) { length = sum } else { overflow = true }
                }
            case let .bar(bar, _):
                close(boundaryAfter: bar.isRepeatEnd || bar.isRepeatStart || bar.isSectionEnd || bar.ending != nil, repeatEnd: bar.isRepeatEnd)
                if bar.isRepeatEnd || bar.isRepeatStart || bar.isSectionEnd { sectionStart = segments.count }
            case let .ending(numbers, _):
                close(boundaryAfter: true)
                endingStart = numbers.min()
            case let .meter(m):
                meter = m
            case .part:
                close(boundaryAfter: true)
                sectionStart = segments.count
            case .tempo, .chordSymbol:
                break
            }
        }

        mutating func close(boundaryAfter: Bool, repeatEnd: Bool = false) {
            if hasContent {
                segments.append(Segment(length: length, multiBars: multi, barLength: meter.barLength, boundaryBefore: before,
                                        boundaryAfter: boundaryAfter, location: start, overflow: overflow, endingStart: endingStart,
                                        repeatTarget: repeatEnd ? sectionStart : nil))
                endingStart = nil
                before = boundaryAfter
            } else {
                before = before || boundaryAfter
                if boundaryAfter, let last = segments.indices.last {
                    segments[last].boundaryAfter = true
                    if repeatEnd && segments[last].repeatTarget == nil { segments[last].repeatTarget = sectionStart }
                }
            }
            length = .zero
            multi = 0
            overflow = false
            hasContent = false
        }
    }

    // MARK: Judging one bar

    /// What is wrong with bar `k` (of `bar` whole notes by the meter), or nil if it is right.
    /// A short bar that can be a pickup becomes `pickup`, for the bars that complete it later.
    private static func problem(of k: Int, bar: Rational, in segments: [Segment], pickup: inout Rational?,
                                beforeEndings: Int?) -> String? {
        let seg = segments[k]
        if seg.overflow { return "bar length overflows exact arithmetic" }
        switch repeatEndVerdict(k, bar: bar, in: segments, beforeEndings: beforeEndings) {
        case .completes: return nil
        case let .problem(message): return message
        case .ordinary: break
        }
        if seg.length == bar { return nil }
        if bar < seg.length { return "bar is too long: \(seg.length) of a whole note, the meter wants \(bar)" }
        if shortBarPasses(k, bar: bar, in: segments, pickup: &pickup, beforeEndings: beforeEndings) { return nil }
        return "bar is too short: \(seg.length) of a whole note, the meter wants \(bar)"
    }

    /// What the repeat rule says of a bar: it makes a whole bar with the one its `:|` returns
    /// to, it is wrong, or the ordinary rules judge it (no `:|`, or it is longer than a bar).
    private enum RepeatVerdict { case completes, problem(String), ordinary }

    private static func repeatEndVerdict(_ k: Int, bar: Rational, in segments: [Segment], beforeEndings: Int?) -> RepeatVerdict {
        let seg = segments[k]
        guard let t = seg.repeatTarget, t <= k, segments[t].multiBars == 0, !segments[t].overflow else { return .ordinary }
        // Played twice: this bar runs on into the first bar of the section the repeat returns to.
        let first = segments[t].length < bar ? segments[t].length : .zero
        // An ending that completes the bar before the endings (`e3|[1 fga:|`) is played as that one bar.
        var played = seg.length
        if let e = seg.endingStart, let i = e > 1 ? beforeEndings : (k > 0 ? k - 1 : nil), i != t,
           segments[i].length < bar, let sum = segments[i].length.adding(seg.length), sum <= bar { played = sum }
        if played.adding(first) == bar { return .completes }
        guard seg.length <= bar else { return .ordinary }
        let what = first == .zero ? "the repeat returns to a whole bar, so the bar before :| must be whole too"
            : "with the \(first) the repeat returns to, the bar before :| makes \(seg.length.adding(first) ?? seg.length), not a whole bar"
        return .problem("bar before :| is \(seg.length) of a whole note: \(what)")
    }

    /// A short bar at the end of a section first tries to complete the section's pickup (or the
    /// short bar after the boundary); failing that, a short bar after a boundary is itself a pickup.
    private static func shortBarPasses(_ k: Int, bar: Rational, in segments: [Segment], pickup: inout Rational?,
                                       beforeEndings: Int?) -> Bool {
        let seg = segments[k]
        if seg.boundaryAfter && seg.repeatTarget == nil && completesAtSectionEnd(k, bar: bar, in: segments, pickup: pickup) {
            return true
        }
        guard seg.boundaryBefore else { return false }
        let completes = completesBarBefore(k, bar: bar, in: segments, beforeEndings: beforeEndings)
        // At a section start it is also the new section's pickup; at an ending it only splits a bar.
        // Only a bar that leads into more music can be the pickup later bars pair with.
        if !seg.boundaryAfter && (!completes || seg.endingStart == nil) { pickup = seg.length }
        // A pickup leads into more music: a short bar alone between two boundaries
        // (`||AB||`) passes only by completing the bar before it.
        return completes || !seg.boundaryAfter
    }

    /// A short bar before a boundary with the tune's pickup, the section's, or the short bar after it makes a whole bar.
    private static func completesAtSectionEnd(_ k: Int, bar: Rational, in segments: [Segment], pickup: Rational?) -> Bool {
        let seg = segments[k]
        // The last bar completes the tune's pickup (or the pickup of the section it ends).
        if k == segments.count - 1, segments[0].boundaryBefore, segments[0].length.adding(seg.length) == bar { return true }
        if let p = pickup, p.adding(seg.length) == bar { return true }
        // The next bar only follows in play if it is not a later ending (those follow a repeat).
        return k + 1 < segments.count && segments[k + 1].boundaryBefore && segments[k + 1].multiBars == 0
            && (segments[k + 1].endingStart ?? 1) == 1
            && segments[k + 1].length.adding(seg.length) == bar
    }

    /// A short bar after a boundary that completes the one before it (`A2|[1 fg|`) is not a new pickup.
    /// A later ending follows the bar before the endings in play, not the bar written before it.
    private static func completesBarBefore(_ k: Int, bar: Rational, in segments: [Segment], beforeEndings: Int?) -> Bool {
        let seg = segments[k]
        if let e = seg.endingStart, e > 1 {
            return beforeEndings.map { segments[$0].length.adding(seg.length) == bar } ?? false
        }
        return k > 0 && segments[k - 1].boundaryAfter && segments[k - 1].length.adding(seg.length) == bar
    }
}
