// ScoreBuilder: plays a tune's voice timelines the way a musician reads them — repeats taken
// (`|: :|`, `::`, and `:|` with no opening `|:` going back to the start or the last `:|`/`||`),
// endings chosen by pass, ties merged into one note — into a Score in beats. Expansion is
// bounded as it happens, over the whole tune: notes and chord symbols over all voices, player
// steps over all voices, and beats per voice, so neither many voices nor `P:` repeats of a long
// part can make the event list explode (memory stays in the tens of megabytes).

enum ScoreBuilder {
    /// At most this many notes and chord symbols over all voices; more is an error diagnostic and
    /// the score is cut there (the synthesizer renders at most as many).
    static let maxNotes = 200_000
    /// At most this many beats per voice.
    static let maxBeats = 1_000_000.0
    /// At most this many player steps (items visited, repeats and parts included) over all voices.
    static let maxTotalSteps = 2_000_000

    /// What is left of the tune's expansion allowance while its voices are played.
    struct Budget {
        var events = ScoreBuilder.maxNotes
        var steps = ScoreBuilder.maxTotalSteps
        var exhausted = false
    }

    static func build(_ tune: Tune) -> ScoreResult {
        let timelines = tune.timelines
        var diagnostics = tune.timelineDiagnostics
        var voices: [VoiceEvents] = []
        var tempos: [Double: Double] = [:]
        var totalBeats = 0.0
        var budget = Budget()
        for timeline in timelines {
            let played = play(timeline, tune: tune, tempos: &tempos, diagnostics: &diagnostics, budget: &budget)
            voices.append(played.events)
            totalBeats = max(totalBeats, played.end)
        }
        var tempoList = tempos.map { TempoChange(onset: $0.key, quarterNotesPerMinute: $0.value) }.sorted { $0.onset < $1.onset }
        if tempoList.first?.onset != 0 {
            tempoList.insert(TempoChange(onset: 0, quarterNotesPerMinute: Score.defaultQuarterNotesPerMinute), at: 0)
        }
        let score = Score(voices: voices, tempos: tempoList, totalBeats: max(totalBeats, voices.flatMap(\.notes).map(\.end).max() ?? 0))
        return ScoreResult(score: score, diagnostics: diagnostics)
    }

    /// Plays a voice: straight through, or part by part when the header's `P:` gives an order
    /// and the body marks the parts.
    static func play(_ timeline: VoiceTimeline, tune: Tune, tempos: inout [Double: Double],
                     diagnostics: inout [Diagnostic], budget: inout Budget) -> (events: VoiceEvents, end: Double) {
        let items = timeline.items
        var notes: [NoteEvent] = []
        notes.reserveCapacity(min(timeline.pitches.count, budget.events))
        var symbols: [ChordSymbolEvent] = []
        var time = 0.0
        var steps = 0
        var sections = [0..<items.count]
        let markers = items.indices.filter { if case .part = items[$0] { return true } else { return false } }
        if let order = tune.header.first(where: { $0.letter == "P" }).flatMap({ partOrder($0.value) }), let first = markers.first {
            var ranges: [String: Range<Int>] = [:]
            for (k, m) in markers.enumerated() {
                guard case let .part(label) = items[m], ranges[label] == nil else { continue }
                ranges[label] = (m + 1)..<(k + 1 < markers.count ? markers[k + 1] : items.count)
            }
            sections = [0..<first]
            var missing: Set<String> = []
            for label in order {
                if let r = ranges[label] { sections.append(r) } else { missing.insert(label) }
            }
            for label in missing.sorted() {
                diagnostics.append(Diagnostic(severity: .warning, category: .score, fileName: tune.fileName, line: tune.startLine,
                                              column: 1, message: "P: names part \(label), which the tune does not have",
                                              hint: "mark the part with a P:\(label) line in the body"))
            }
        }
        for section in sections where !budget.exhausted {
            if !playSection(timeline, range: section, tune: tune, time: &time, notes: &notes, symbols: &symbols,
                            steps: &steps, tempos: &tempos, diagnostics: &diagnostics, budget: &budget) { break }
        }
        for k in symbols.indices {
            let next = k + 1 < symbols.count ? symbols[k + 1].onset : time
            symbols[k].duration = max(0, next - symbols[k].onset)
        }
        // Notes are already in onset order: time only moves forward, even across repeats.
        return (VoiceEvents(id: timeline.id, name: timeline.name, notes: notes, chordSymbols: symbols), time)
    }

    /// The play order of a header `P:` value: `ABAC`, `A2B` (A twice), `(AB)3`, dots ignored.
    /// Nil when it names no part. At most 10,000 parts.
    static func partOrder(_ value: String) -> [String]? {
        // One flat output array; a group is the range of it written since its "(", so closing a
        // group copies nothing, and a repeat copies only what it appends. Appends stop at the cap,
        // so the work is linear in the value's length (`(A9999)` written 20,000 times took
        // minutes when groups were arrays of their own).
        let cap = 10_000
        var order: [String] = []
        var starts: [Int] = []
        var last = 0 ..< 0
        var chars = Array(value.unicodeScalars)[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            if ("A"..."Z").contains(c) {
                if order.count < cap { order.append(String(Character(c))) }
                last = order.count - 1 ..< order.count
            } else if c == "(" {
                starts.append(order.count)
            } else if c == ")", let start = starts.popLast() {
                last = start ..< order.count
            } else if ("0"..."9").contains(c) {
                var n = Int(c.value - 48)
                while let d = chars.first, ("0"..."9").contains(d), n < 1000 { n = n * 10 + Int(d.value - 48); chars = chars.dropFirst() }
                let room = last.isEmpty ? 0 : (cap - order.count) / last.count
                let times = max(0, min(n - 1, room))
                if times > 0 {
                    let group = Array(order[last])
                    for _ in 0 ..< times { order += group }
                }
            }
        }
        return order.isEmpty ? nil : order
    }

    /// Plays `range` of a voice's items from `time`, taking repeats and endings; false when a cap was hit.
    static func playSection(_ timeline: VoiceTimeline, range: Range<Int>, tune: Tune, time: inout Double,
                            notes: inout [NoteEvent], symbols: inout [ChordSymbolEvent], steps: inout Int,
                            tempos: inout [Double: Double], diagnostics: inout [Diagnostic], budget: inout Budget) -> Bool {
        let items = timeline.items
        let n = range.upperBound
        var i = range.lowerBound
        var start = range.lowerBound
        var pass = 1
        var taken = Set<Int>()
        var inLastEnding = false
        var inEnding = false
        var openTies: [Int: Int] = [:]
        let maxSteps = 8 * items.count + 100_000
        // Whether an ending after the bar at `index` (up to the end of the section) is for a later pass.
        func laterEndingWants(after index: Int) -> Bool {
            var j = index + 1
            while j < n {
                steps += 1
                budget.steps -= 1
                switch items[j] {
                case let .ending(numbers, _):
                    if numbers.contains(where: { $0 > pass }) { return true }
                case let .bar(b, _):
                    if b.isSectionEnd || (b.isRepeatStart && !b.isRepeatEnd) { return false }
                default:
                    break
                }
                j += 1
            }
            return false
        }
        /// A cap was hit: a per-voice one cuts this voice; a whole-tune one (`global`) also stops
        /// the voices after it, reported once.
        func capped(_ what: String, global: Bool = false) {
            if global {
                guard !budget.exhausted else { return }
                budget.exhausted = true
            }
            diagnostics.append(Diagnostic(severity: .error, category: .score, fileName: tune.fileName, line: tune.startLine, column: 1,
                                          message: global ? "the tune is too long when played (\(what)); events cut short at voice \(timeline.id)"
                                                : "voice \(timeline.id) is too long when played (\(what)); events cut short",
                                          hint: "check the repeats"))
        }
        /// Sends the player back to the repeat's start for another pass.
        func goBack() {
            pass += 1
            i = start
            openTies = [:]
            inEnding = false
            inLastEnding = false
        }
        loop: while i < n {
            steps += 1
            budget.steps -= 1
            if steps > maxSteps { capped("more than \(maxSteps) steps"); break }
            if budget.steps < 0 { capped("more than \(maxTotalSteps) steps over all voices, repeats and P: parts included", global: true); break }
            switch items[i] {
            case let .sound(sound):
                let beats = sound.duration.doubleValue * 4
                var stillOpen: [Int: Int] = [:]
                for k in sound.pitchRange {
                    let p = timeline.pitches[k]
                    if let e = openTies[p], abs(notes[e].end - time) < 1e-9 {
                        notes[e].duration += beats
                        if timeline.ties[k] { stillOpen[p] = e }
                    } else {
                        budget.events -= 1
                        notes.append(NoteEvent(pitch: p, onset: time, duration: beats, marks: sound.marks, gracePitches: sound.grace))
                        if timeline.ties[k] { stillOpen[p] = notes.count - 1 }
                    }
                }
                if !(openTies.isEmpty && stillOpen.isEmpty) { openTies = stillOpen }
                time += beats
                if budget.events < 0 { capped("more than \(maxNotes) notes over all voices, repeats and P: parts included", global: true); break loop }
                if time > maxBeats { capped("more than \(Int(maxBeats)) beats"); break loop }
            case let .bar(bar, _):
                // Inside an ending, `:|` goes back again while a later ending of the group wants a
                // higher pass (`[1,3 ... :|[2 ... :|[4`); elsewhere each `:|` is taken once.
                if bar.isRepeatEnd && inEnding && laterEndingWants(after: i) {
                    goBack()
                    continue loop
                }
                // A `:|` closing the last ending played ends it; it does not send the player round again.
                if bar.isRepeatEnd && inEnding && pass > 1 { taken.insert(i) }
                if bar.isRepeatEnd && !taken.contains(i) {
                    taken.insert(i)
                    goBack()
                    continue loop
                }
                if bar.isRepeatEnd || bar.isRepeatStart || bar.isSectionEnd {
                    start = i + 1
                    pass = 1
                    inEnding = false
                } else if inLastEnding {
                    // The last ending is taken to last one bar unless a section end comes first, so a
                    // following `:|` repeats the next part only.
                    start = i + 1
                    pass = 1
                }
                inLastEnding = false
            case let .ending(numbers, _):
                if numbers.contains(pass) {
                    inEnding = true
                    inLastEnding = pass > 1
                } else {
                    // Skip to the ending for this pass, or to where the endings stop.
                    var j = i + 1
                    while j < n {
                        budget.steps -= 1
                        if case let .ending(other, _) = items[j], other.contains(pass) { break }
                        if case let .bar(b, _) = items[j] {
                            if b.isRepeatEnd {
                                if j + 1 < n, case .ending = items[j + 1] { j += 1; continue }
                                break
                            }
                            if b.isSectionEnd || b.isRepeatStart { break }
                        }
                        j += 1
                    }
                    i = j
                    if j < n, case .ending = items[j] { inEnding = true; inLastEnding = pass > 1; i = j + 1 }
                    continue loop
                }
            case let .tempo(qpm):
                tempos[time] = qpm
            case let .chordSymbol(name):
                budget.events -= 1
                if budget.events < 0 { capped("more than \(maxNotes) notes and chord symbols over all voices", global: true); break loop }
                symbols.append(ChordSymbolEvent(name: name, onset: time, duration: 0))
            case .meter:
                break
            case .part:
                // Playing straight through, a part mark starts a new section for repeats.
                start = i + 1
                pass = 1
                inEnding = false
            }
            i += 1
        }
        return i >= n
    }
}
