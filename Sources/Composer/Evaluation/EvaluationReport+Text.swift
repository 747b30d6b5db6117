// EvaluationReport+Text: the terminal table, TUNES and the reference side by side, then the
// comparisons, MGEval, novelty and the likely copies.
import Foundation

extension EvaluationReport {
    static func percent(_ s: Share) -> String { s.of == 0 ? "–" : String(format: "%.1f%%", s.value * 100) }
    static func number(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

    /// The rows of the side-by-side table: measure, TUNES, reference.
    public var rows: [(String, String, String)] {
        let a = tunes, b = reference
        let p = EvaluationReport.percent, f = { EvaluationReport.number($0) }
        var r: [(String, String, String)] = [
            ("tunes (files)", "\(a.tunes) (\(a.files))", "\(b.tunes) (\(b.files))"),
            ("tunes with errors (not measured)", "\(a.withErrors)", "\(b.withErrors)"),
        ]
        let names = ["tier 1 no errors", "tier 2 header complete", "tier 3 bars match meter", "tier 4 repeats balanced"]
        for t in 0..<4 { r.append((names[t], p(a.passingTier[t]), p(b.passingTier[t]))) }
        r += [
            ("strict bar check (abc2midi repeats)", p(a.strictBars), p(b.strictBars)),
            ("parts per tune", f(a.meanPartsPerTune), f(b.meanPartsPerTune)),
            ("parts of 8 bars", p(a.eightBarParts), p(b.eightBarParts)),
            ("parts with a fractional bar count", p(a.fractionalParts), p(b.fractionalParts)),
            ("tunes with a fractional part", p(a.tunesWithFractionalPart), p(b.tunesWithFractionalPart)),
            ("AABB with 8-bar parts", p(a.aabbEightBar), p(b.aabbEightBar)),
            ("last note is the tonic of K:", p(a.endsOnTonic), p(b.endsOnTonic)),
            ("parts ending on a chord tone of I or V", p(a.partEndsOnChordTone), p(b.partEndsOnChordTone)),
            ("bars that recur within the tune (mean)", String(format: "%.1f%%", a.recurringBarsMean * 100),
             String(format: "%.1f%%", b.recurringBarsMean * 100)),
            ("the opening bar comes back", p(a.openingBarReturns), p(b.openingBarReturns)),
            ("pitch range (semitones, mean)", f(a.meanPitchRange), f(b.meanPitchRange)),
            ("distinct pitches (mean)", f(a.meanDistinctPitches), f(b.meanDistinctPitches)),
            ("notes in the key's scale", p(a.notesInScale), p(b.notesInScale)),
        ]
        return r
    }

    /// The whole report as terminal text.
    public var text: String {
        var out = ""
        let rows = self.rows
        let w0 = max(rows.map(\.0.count).max() ?? 0, 7), w1 = max(rows.map(\.1.count).max() ?? 0, 5) + 2
        func line(_ a: String, _ b: String, _ c: String) -> String {
            a.padding(toLength: w0, withPad: " ", startingAt: 0) + String(repeating: " ", count: max(w1 - b.count, 1)) + b
                + "   " + c + "\n"
        }
        out += line("measure", "TUNES", "reference")
        for r in rows { out += line(r.0, r.1, r.2) }
        out += "\nhistograms against the reference (overlap: 1 = identical; KL in bits, +\(Int(HistogramComparison.pseudoCount)) per bin):\n"
        let c = comparison
        for (name, h) in [("pitch class (tonic = 1)", c.pitchClasses), ("interval", c.intervals), ("note length", c.noteLengths),
                          ("bars per part", c.barsPerPart), ("key", c.keys), ("meter", c.meters)] {
            out += "  " + name.padding(toLength: 24, withPad: " ", startingAt: 0)
                + "overlap \(EvaluationReport.number(h.overlap, 3))   KL \(EvaluationReport.number(h.klDivergence, 3))\n"
        }
        out += "  keys:   " + top(tunes.keys) + "   | reference: " + top(reference.keys) + "\n"
        out += "  meters: " + top(tunes.meters) + "   | reference: " + top(reference.meters) + "\n"
        if !mgeval.isEmpty {
            out += "\nMGEval (Yang & Lerch 2020): overlap area of intra-set and inter-set distance densities (1 = indistinguishable)\n"
            out += "  feature                  OA(TUNES,inter)  OA(ref,inter)  KL(TUNES‖inter)  KL(ref‖inter)\n"
            for m in mgeval {
                out += "  " + m.feature.padding(toLength: 24, withPad: " ", startingAt: 0)
                    + String(format: " %15.3f %14.3f %16.3f %14.3f\n", m.overlapTunes, m.overlapReference, m.klTunes, m.klReference)
            }
        }
        let n = novelty
        out += "\nnovelty against \(n.trainingTunes) training tunes:\n"
        out += "  longest run shared with a training tune: mean \(EvaluationReport.number(n.meanLongestSharedNotes, 1)) notes "
            + "(max \(n.maxLongestSharedNotes)), mean \(EvaluationReport.number(n.meanLongestSharedChars, 1)) characters (max \(n.maxLongestSharedChars))\n"
        out += "  full bars found verbatim in training: \(EvaluationReport.percent(n.barsInTraining))\n"
        out += "  nearest training tune, similarity (1 − normalised edit distance): mean \(EvaluationReport.number(n.meanSimilarity, 3))\n"
        out += "  likely copies (similarity ≥ \(EvaluationReport.number(n.copyThreshold))): \(n.likelyCopies.count)\n"
        for copy in n.likelyCopies.prefix(20) {
            out += "    \(copy.tune) \(copy.tune.title.map { "\"\($0)\"" } ?? "") ≈ \(copy.trainingTune) \(copy.trainingTune.title.map { "\"\($0)\"" } ?? "")"
                + " (similarity \(EvaluationReport.number(copy.similarity, 3)), \(copy.longestSharedNotes) notes in a row)\n"
        }
        if n.likelyCopies.count > 20 { out += "    … \(n.likelyCopies.count - 20) more (see --json)\n" }
        if !unreadable.isEmpty {
            out += "\nunreadable (skipped): \(unreadable.count)\n"
            for u in unreadable.prefix(10) { out += "  \(u)\n" }
        }
        return out
    }

    private func top(_ h: Histogram) -> String {
        let total = max(h.counts.reduce(0, +), 1)
        return zip(h.bins, h.counts).prefix(4).map { "\($0.0) \(Int((Double($0.1) * 100 / Double(total)).rounded()))%" }
            .joined(separator: ", ")
    }
}
