// `tunegen evaluate TUNES… [--reference ABC…] [--training ABC…] [--json] [--report DIR]`: is a set
// of tunes any good, and is any of it copied? The measuring is Composer's `Evaluation`.
import ArgumentParser
import Composer
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a set of tunes against a reference: validity, form, closure, melody, and copies of the training set.",
        discussion: """
            Tunes with errors are counted (tiers) and left out of the music measures; unreadable files are \
            listed and skipped; a set with no tunes is an error (exit 2).

            Validity: tiers 1-4 as in `check`. Strict bar check: tiers 1-4 pass, and as abc2midi plays \
            repeats, the bar before each :| makes one whole bar with the first bar of the section the \
            repeat returns to (a whole bar when that one is whole), the last bar completes the pickup, \
            and a first ending closed by :| has a later ending.

            Form (first voice, as written): a part is the music between section marks (|: :| :: || |] [| \
            P:); a repeated section counts its body plus its first ending once, later endings are left \
            out. Bars per part = the part's written length (pickup included) / the meter's bar length, so \
            a reel part with a pickup and a short last bar is 8. Fractional: not a whole number. AABB: \
            exactly two parts, both repeated, both 8 bars.

            Closure: the last note played is the tonic of K: (the mode's own tonic: A for K:Ador). A part \
            ends on a chord tone of I or V: its last note is degree 1, 2, 3, 5 or 7 of the key's scale. \
            Recurring bars: full bars (the meter's length) whose pitches and lengths occur again in the \
            same tune, as a share of its full bars, averaged over tunes. Opening bar: the first full bar \
            (a pickup skipped) occurs again later.

            Melody (first voice as played, repeats expanded, the top note of chords): pitch range and \
            distinct pitches (MIDI), share of notes in the key signature's scale, and histograms of \
            tonic-relative pitch class (12 bins), interval (-12..+12 semitones, outer bins hold the rest), \
            note length (1/32 .. 1 whole note, and other). Each histogram, key and meter distribution is \
            compared on one grid: overlap = sum of min(p, q) (1 identical); KL(TUNES || reference) in bits \
            after adding 1 to every bin's count of both sets (so empty bins stay finite).

            MGEval (Yang & Lerch 2020): for pitch range, distinct pitches, mean |interval|, note count and \
            the three histograms per tune, distances within TUNES, within the reference and between them \
            (up to --mgeval-pairs random pairs each, seeded), smoothed by a Gaussian kernel; the overlap \
            area of intra-set and inter-set densities (1 = indistinguishable) and their KL divergence.

            Novelty (against --training, default the reference): longest run of notes (pitch and length) \
            and of music characters (spaces removed) shared with one training tune, found by seeding at \
            shared 6-note / 12-character n-grams (shorter runs count 0); share of full bars found verbatim \
            in training; nearest training tune by edit distance on the note sequence over the longer \
            length, among the 4 sharing the most n-grams. Similarity = 1 - that distance; tunes at or \
            above --copy-threshold are listed as likely copies with the training tune's file:line.
            """)

    @Argument(help: "ABC files or folders of .abc files to judge.")
    var tunes: [String] = []

    @Option(parsing: .upToNextOption, help: "ABC files or folders to compare with (default: corpus/).")
    var reference: [String] = ["corpus"]

    @Option(parsing: .upToNextOption, help: "ABC files or folders to check for copying (default: the reference).")
    var training: [String] = []

    @Option(help: "Similarity (1 - normalised edit distance) at or above which a tune is listed as a likely copy.")
    var copyThreshold: Double = 0.8

    @Option(help: "Random distance pairs per MGEval distribution (all pairs when fewer).")
    var mgevalPairs: Int = 20_000

    @Option(help: "Seed for the MGEval pair sampling.")
    var seed: UInt64 = 1

    @Flag(help: "Print one JSON document with every number instead of the table.")
    var json = false

    @Option(help: "Write an HTML report with SVG plots to this folder (index.html).")
    var report: String?

    func validate() throws {
        if tunes.isEmpty { throw ValidationError("give the ABC files or folders to evaluate") }
        if reference.isEmpty { throw ValidationError("--reference needs at least one file or folder") }
        if !(0...1).contains(copyThreshold) { throw ValidationError("--copy-threshold must be between 0 and 1") }
        if mgevalPairs < 10 || mgevalPairs > 10_000_000 { throw ValidationError("--mgeval-pairs must be 10 ... 10,000,000") }
    }

    func run() throws {
        let settings = EvaluationSettings(tunes: tunes, reference: reference, training: training.isEmpty ? nil : training,
                                          copyThreshold: copyThreshold, mgevalPairs: mgevalPairs, seed: seed)
        let result = try Evaluation.run(settings)
        if let report {
            let page = try EvaluationHTML.write(result, to: report)
            try Output.stderr("report: \(page)\n")
        }
        if json { try JSONOutput.print(result) } else { try Output.stdout(result.text) }
    }
}
