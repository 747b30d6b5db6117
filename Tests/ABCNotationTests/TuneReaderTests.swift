// TuneReader tests: the constraint never forbids what real tunes do (every corpus tune in the
// reader's canonical layout replays with nothing masked), and whatever it allows ends in a tune
// that passes every tier and has the requested form (seeded random walks over allowed characters).
import XCTest
@testable import ABCNotation

final class TuneReaderTests: XCTestCase {
    /// The characters of the corpus: what a model trained on it can write.
    static let alphabet: [Unicode.Scalar] = {
        let text = String(decoding: Fixture.corpusBytes, as: UTF8.self)
        return Array(Set(text.unicodeScalars)).sorted { $0.value < $1.value }
    }()

    struct LCG { var s: UInt64; mutating func next(_ n: Int) -> Int { s = s &* 6364136223846793005 &+ 1442695040888963407; return Int((s >> 33) % UInt64(n)) } }

    /// A walk that draws uniformly among the allowed characters (a few weighted toward notes, so bars fill).
    /// Masks seen by cache key across walks: a key must always give the same mask.
    /// And the fast mask (TuneReader.allowedMask) must equal asking `allows` about each character.
    final class MaskLog { var masksByKey: [TuneReader.CacheKey: [Unicode.Scalar]] = [:]; var conflicts = 0; var fastMismatches = 0; var masks = 0 }

    /// `prefer`: characters drawn three times in four when allowed; `ramble`: draw anything but what
    /// closes a line, bar or tune whenever something else is allowed (the longest walks).
    static func walk(form: TuneForm, header: String, seed: UInt64, log: MaskLog = MaskLog(), prefer: String = "ABCDEFGabcdefg|:\n2",
                     ramble: Bool = false) -> String? {
        var reader = TuneReader(form: form)
        guard reader.read(header) == nil else { print("header refused: \(header.debugDescription)"); return nil }
        var text = header
        var rng = LCG(s: seed)
        var steps = 0
        while !reader.isComplete {
            steps += 1
            if steps > 20_000 { return nil }
            let allowed = alphabet.filter { reader.allows($0) }
            log.masks += 1
            if reader.allowedMask(alphabet) != alphabet.map({ allowed.contains($0) }) { log.fastMismatches += 1 }
            if let key = reader.cacheKey {
                if let seen = log.masksByKey[TuneReader.CacheKey(key, form: form)], seen != allowed { log.conflicts += 1 }
                log.masksByKey[TuneReader.CacheKey(key, form: form)] = allowed
            }
            if allowed.isEmpty { print("stuck after \(text.debugDescription)"); return nil }
            XCTAssertFalse(reader.phase == .body && reader.body.lineStart && allowed.contains("X"), "a second tune could start")
            // Prefer notes and bar lines half the time, so walks look like music and stay short.
            let musical = allowed.filter { prefer.unicodeScalars.contains($0) }
            var pool = !musical.isEmpty && rng.next(4) != 0 ? musical : allowed
            if ramble {
                // What takes characters but no time first (spaces, decorations, chord names, slurs, accidentals).
                let slow = allowed.filter { " ~.\"()^_=,'#mjdisu7694".unicodeScalars.contains($0) }
                let long = allowed.filter { !"|:]\n!".unicodeScalars.contains($0) }
                pool = !slow.isEmpty && rng.next(8) != 0 ? slow : long.isEmpty ? allowed : long
            }
            let s = pool[rng.next(pool.count)]
            reader.read(s)
            text.unicodeScalars.append(s)
        }
        return text
    }

    func testRandomWalksEndInValidTunesOfTheRequestedForm() {
        let meters = ["C|", "C", "6/8", "9/8", "2/4", "3/4"]
        let forms: [TuneForm] = [.standard(), TuneForm(parsing: "AB", barsPerPart: 4)!, TuneForm(parsing: "AABBCC", barsPerPart: 2)!,
                                 TuneForm(parsing: "free")!, TuneForm(parsing: "AABB", barsPerPart: 8, endOnTonic: false)!]
        var n = 0
        let log = MaskLog()
        for (f, form) in forms.enumerated() {
            for (m, meter) in meters.enumerated() {
                for k in 0 ..< 6 {
                    let key = ["D Major", "A Dorian", "E Minor", "G Mixolydian", "F# Minor", "Bb Major"][(m + k) % 6]
                    let header = "X:1\nT:Walk\nM:\(meter)\nL:1/8\nK:\(key)\n"
                    let seed = UInt64(1000 * f + 10 * m + k)
                    guard let text = Self.walk(form: form, header: header, seed: seed, log: log) else {
                        XCTFail("walk \(seed) (\(form), \(meter)) got stuck"); continue
                    }
                    n += 1
                    guard let tune = ABCParser.parseTune(text) else { XCTFail("no tune from walk \(seed)"); continue }
                    XCTAssertEqual(tune.validity.highestTier, 4, "walk \(seed) \(form) \(meter):\n\(text)\n\(tune.diagnostics.map(\.description).joined(separator: "\n"))")
                    let shape = tune.shape
                    XCTAssertTrue(shape.matches(form), "walk \(seed): \(shape) is not \(form):\n\(text)")
                    if form.endOnTonic { XCTAssertEqual(shape.endsOnTonic, true, "walk \(seed) does not end on the tonic:\n\(text)") }
                    XCTAssertEqual(ABCParser.parse(text).tunes.count, 1)
                }
            }
        }
        XCTAssertEqual(n, forms.count * meters.count * 6)
        // The mask cache's key leaves out what cannot change the mask: equal keys, equal masks.
        XCTAssertEqual(log.conflicts, 0)
        XCTAssertEqual(log.fastMismatches, 0, "allowedMask differs from allows in \(log.fastMismatches) of \(log.masks) states")
        XCTAssertGreaterThan(log.masksByKey.count, 1000)
    }

    /// Every walk ends within TuneReader.maxCharacters, even one that rambles (long header lines, bars
    /// filled to their cap with decorations, chord names and spaces), and with the default form that
    /// bound fits `generate`'s default --max-length, so no steered tune is ever cut short.
    func testEveryWalkEndsWithinTheBound() {
        XCTAssertLessThanOrEqual(TuneReader.maxCharacters(.standard()), 2000)
        XCTAssertLessThanOrEqual(TuneReader.maxHeaderCharacters, 160)
        var longestHeader = 0
        let log = MaskLog()
        for (f, form) in [TuneForm.standard(), TuneForm(parsing: "AABBCC", barsPerPart: 4)!, TuneForm(parsing: "AB", barsPerPart: 8)!].enumerated() {
            for (m, meter) in ["C|", "6/8", "9/8", "3/4", "2/4", "C|", "6/8", "9/8", "3/4", "2/4"].enumerated() {
                // The header from its first character: the walk writes T:, Z:, M:, L:, K: itself.
                guard let text = Self.walk(form: form, header: "X:1", seed: UInt64(500 + 10 * f + m), log: log, prefer: "", ramble: true) else {
                    XCTFail("rambling walk \(form) got stuck"); continue
                }
                let header = text.components(separatedBy: "\nK:")[0]
                longestHeader = max(longestHeader, header.unicodeScalars.count)
                XCTAssertLessThanOrEqual(text.unicodeScalars.count, TuneReader.maxCharacters(form), "\(form) \(meter)")
                XCTAssertEqual(ABCParser.parseTune(text)?.validity.highestTier, 4, text)
                // A forced meter: the body rambles under each meter.
                guard let forced = Self.walk(form: form, header: "X:1\nT:\(String(repeating: "t", count: TuneReader.maxFieldLength))\nM:\(meter)\nL:1/8\nK:D\n",
                                             seed: UInt64(600 + 10 * f + m), log: log, prefer: "", ramble: true) else { XCTFail("stuck"); continue }
                XCTAssertLessThanOrEqual(forced.unicodeScalars.count, TuneReader.maxCharacters(form), "\(form) \(meter)")
                XCTAssertEqual(ABCParser.parseTune(forced)?.validity.highestTier, 4, forced)
            }
        }
        // Header states are cached too (but a free line's value): equal keys, equal masks.
        XCTAssertEqual(log.conflicts, 0)
        XCTAssertEqual(log.fastMismatches, 0)
        // Rambling header lines stop at the cap: the title and Z: line were written out to it.
        XCTAssertGreaterThan(longestHeader, 2 * TuneReader.maxFieldLength)
        var reader = TuneReader(form: .standard())
        XCTAssertNil(reader.read("X:1\nT:" + String(repeating: "a", count: TuneReader.maxFieldLength)))
        XCTAssertFalse(reader.allows("a"), "a title longer than the cap")
        XCTAssertTrue(reader.allows("\n"))
        // Each header field at most once: the header has at most six lines.
        XCTAssertNil(reader.read("\nZ:z\nM:6/8\nL:1/8\n"))
        XCTAssertFalse(reader.allows("T"))
        XCTAssertFalse(reader.allows("Z"))
        XCTAssertFalse(reader.allows("X"))
    }

    /// `||` or `|]` followed at once by `|:` is one bar line to the parser (`|||:`, a repeat start and
    /// no section end), so the reader wants a space or a line break between them.
    func testASectionEndDoesNotRunIntoTheNextBarLine() {
        var reader = TuneReader(form: TuneForm(parsing: "AB", barsPerPart: 2, endOnTonic: false)!)
        XCTAssertNil(reader.read("X:1\nT:t\nM:6/8\nL:1/8\nK:D\nABc ABc|ABc ABc||"))
        XCTAssertFalse(reader.allows("|"))
        XCTAssertTrue(reader.allows(" "))
        XCTAssertTrue(reader.allows("!"))
        XCTAssertTrue(ABCParser.parseTune("X:1\nT:t\nM:6/8\nL:1/8\nK:D\nABc ABc|||:d3 d3:|\n")!.shape.parts.count == 1, "the parser's reading")
    }

    /// A pickup so long that the last bar, which completes it, cannot hold a tonic of at least L is
    /// refused where that last bar ends the tune; every pickup allowed leaves walks that end well.
    /// (Found with the shipped model: `d3/2 cA|` in 2/4 left a last bar of 1/16, and the tune stopped.)
    func testLongPickupsLeaveRoomForTheLastTonic() {
        var anderian = TuneReader(form: .standard())
        let header = "X:1\nT:Anderian\nM:2/4\nL:1/8\nK:G Major\n"
        XCTAssertNil(anderian.read(header + "d3/2 cA"))
        XCTAssertFalse(anderian.allows("|"), "a pickup of 7/16 in 2/4 leaves 1/16 for the last tonic")
        let log = MaskLog()
        var walks = 0
        for (f, form) in [TuneForm.standard(), TuneForm(parsing: "free")!, TuneForm(parsing: "AB", barsPerPart: 2)!].enumerated() {
            for (m, meter) in ["C|", "C", "6/8", "9/8", "2/4", "3/4"].enumerated() {
                let head = "X:1\nT:Walk\nM:\(meter)\nL:1/8\nK:D\n"
                var probe = TuneReader(form: form)
                XCTAssertNil(probe.read(head))
                // Pickups of k sixteenths, the longest ones (their last bars are the shortest).
                let bar = Int(probe.bodyConfig!.bar) / 6
                for k in max(1, bar - 4) ..< bar {
                    let pickup = head + String(repeating: "B/", count: k) + "|"
                    var r = TuneReader(form: form)
                    guard r.read(pickup) == nil else { continue }
                    walks += 1
                    guard let text = Self.walk(form: form, header: pickup, seed: UInt64(9000 + 100 * f + 10 * m + k), log: log) else {
                        XCTFail("walk after a pickup of \(k)/16 in \(meter) (\(form)) got stuck"); continue
                    }
                    XCTAssertEqual(ABCParser.parseTune(text)?.validity.highestTier, 4, text)
                    if form.endOnTonic { XCTAssertEqual(ABCParser.parseTune(text)?.shape.endsOnTonic, true, text) }
                }
            }
        }
        XCTAssertGreaterThan(walks, 20)
        XCTAssertEqual(log.conflicts, 0)
        XCTAssertEqual(log.fastMismatches, 0)
    }

    /// The reading form's extra layouts (body K: lines, ties across bar lines, short bars the endings or
    /// the next part's pickup complete, a plain `|` ending the tune) never lead to a dead end either:
    /// walks drawn toward them still end in tunes that pass every tier.
    func testFreeFormWalksThroughItsExtraLayoutsEndInValidTunes() {
        let meters = ["C|", "6/8", "9/8", "2/4", "3/4"]
        var keyLines = 0, meterLines = 0, crossingTies = 0, n = 0
        let log = MaskLog()
        for (m, meter) in meters.enumerated() {
            for k in 0 ..< 16 {
                let form = TuneForm.reading(endOnTonic: k % 2 == 0)
                let header = "X:1\nT:Walk\nM:\(meter)\nL:1/8\nK:\(["D", "A Dorian", "E Minor", "G Mixolydian"][k % 4])\n"
                let seed = UInt64(7000 + 100 * m + k)
                guard let text = Self.walk(form: form, header: header, seed: seed, log: log, prefer: "ABCDEFGabcdefg|:\n2KM[]-") else {
                    XCTFail("walk \(seed) (free, \(meter)) got stuck"); continue
                }
                n += 1
                let body = text.split(separator: "\n").dropFirst(5)
                if body.contains(where: { $0.hasPrefix("K:") }) { keyLines += 1 }
                if body.contains(where: { $0.hasPrefix("M:") }) { meterLines += 1 }
                if text.contains("-|") { crossingTies += 1 }
                guard let tune = ABCParser.parseTune(text) else { XCTFail("no tune from walk \(seed)"); continue }
                XCTAssertEqual(tune.validity.highestTier, 4, "walk \(seed) \(meter):\n\(text)\n\(tune.diagnostics.map(\.description).joined(separator: "\n"))")
                XCTAssertFalse(tune.shape.parts.isEmpty)
                if form.endOnTonic { XCTAssertEqual(tune.shape.endsOnTonic, true, "walk \(seed) does not end on the tonic:\n\(text)") }
                XCTAssertEqual(ABCParser.parse(text).tunes.count, 1)
            }
        }
        XCTAssertEqual(n, meters.count * 16)
        XCTAssertEqual(log.conflicts, 0)
        XCTAssertEqual(log.fastMismatches, 0, "allowedMask differs from allows in \(log.fastMismatches) of \(log.masks) states")
        // The walks did go through the extra layouts.
        XCTAssertGreaterThan(keyLines, 0)
        XCTAssertGreaterThan(meterLines, 0)
        XCTAssertGreaterThan(crossingTies, 5)
    }

    /// Every corpus tune that passes every tier replays through the reading form, character by character, with nothing masked.
    func testCorpusReplaysWithNothingMasked() {
        var accepted = 0, eligible = 0, fastMismatches = 0
        var failures: [String] = []
        for tune in CorpusTests.file.tunes where tune.validity.highestTier == 4 {
            eligible += 1
            var reader = TuneReader(form: .reading())
            let text = tune.sourceText.hasSuffix("\n") ? tune.sourceText + "\n" : tune.sourceText + "\n\n"
            // The fast mask against `allows` on every 7th character of every tune (header included).
            var probe = reader
            for (i, s) in text.unicodeScalars.enumerated() {
                if i % 7 == 0 && probe.allowedMask(Self.alphabet) != Self.alphabet.map({ probe.allows($0) }) { fastMismatches += 1 }
                guard probe.read(s) else { break }
            }
            if let bad = reader.read(text) {
                let offset = text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: bad)
                let scalars = Array(text.unicodeScalars)
                let before = String(String.UnicodeScalarView(scalars[max(0, offset - 30) ..< offset]))
                failures.append("X:\(tune.referenceNumber ?? 0) at \(offset): …\(before.debugDescription) then \(String(scalars[offset]).debugDescription)")
            } else if reader.isComplete {
                accepted += 1
            } else {
                failures.append("X:\(tune.referenceNumber ?? 0): not complete")
            }
        }
        // The reading form (TuneForm.reading: free, every layout the rules accept) reads all these tunes
        // use: a short bar closed by `|` that each ending completes (Murphy's `c2A2 A2|` then `[1 fg|` and
        // `[2 (3ABc|`), K: lines between parts, M: lines between parts or bars, parts of up to 64 bars,
        // a tie across a bar line, a part closed on a whole bar after a pickup or short by the next
        // part's pickup, a plain `|` ending the tune, a line opening with the `|` the line before closed.
        XCTAssertEqual(eligible, 784)
        XCTAssertEqual(accepted, 784, failures.joined(separator: "\n"))
        XCTAssertEqual(fastMismatches, 0)
    }
}

final class StrictRulesTests: XCTestCase {
    func tune(_ body: String, meter: String = "6/8") -> Tune { ABCParser.parseTune("X:1\nT:t\nM:\(meter)\nL:1/8\nK:D\n" + body + "\n")! }

    func testBarBeforeRepeatPairsWithTheBarTheRepeatReturnsTo() {
        XCTAssertTrue(tune("A|ABc ABc|ABc AB:|").validity.barsMatchMeter)
        // A short bar before :| that nothing completes (the repeat returns to a whole bar).
        let t = tune("ABc ABc|ABc AB:|dfe dfe|dfe dfe:|")
        XCTAssertFalse(t.validity.barsMatchMeter)
        XCTAssertTrue(t.diagnostics.contains { $0.message.contains("bar before :|") }, "\(t.diagnostics)")
        // With a pickup of 1/8, the bar before :| must be 5/8.
        XCTAssertFalse(tune("A|ABc ABc|ABc ABc:|").validity.barsMatchMeter)
        // The B part's pickup is what its repeat returns to.
        XCTAssertTrue(tune("A|ABc ABc|ABc AB:|\nd|ded ded|ded de:|").validity.barsMatchMeter)
    }

    func testEndingsMustBeBalanced() {
        XCTAssertEqual(tune("|:ABc ABc|[1 ABc ABc:|[2 ABc A3|]").validity.highestTier, 4)
        XCTAssertFalse(tune("|:ABc ABc|[1 ABc ABc:|\ndef def|]").validity.repeatsBalanced, "[1 with no [2")
        XCTAssertFalse(tune("|:ABc ABc|[1 ABc ABc|ABc ABc:|[2 ABc A3|]").validity.repeatsBalanced, "ending 2 shorter")
        XCTAssertFalse(tune("|:ABc ABc|[1 ABc ABc:|[2 ABc A3:|").validity.repeatsBalanced, "[2 … :| with no [3")
    }

    func testOneTuneHasEachHeaderFieldOnce() {
        let twice = ABCParser.parseTune("X:1\nT:t\nM:6/8\nL:1/8\nL:1/8\nK:D\nABc ABc|]\n")!
        XCTAssertFalse(twice.validity.headerComplete)
        let twoKeys = ABCParser.parseTune("X:1\nT:t\nM:6/8\nL:1/8\nK:D\nK:G\nABc ABc|]\n")!
        XCTAssertEqual(twoKeys.referenceNumber, 1)
    }

    func testShapeOfACorpusStyleTune() {
        let t = tune("A|ABc ABc|ABc ABc|ABc ABc|ABc AB:|\nd|ded ded|ded ded|ded ded|ded dD:|")
        XCTAssertEqual(t.shape.parts, [TuneShape.Part(bars: 4, repeated: true), TuneShape.Part(bars: 4, repeated: true)])
        XCTAssertEqual(t.shape.endsOnTonic, true)
        XCTAssertTrue(t.shape.matches(TuneForm(parsing: "AABB", barsPerPart: 4)!))
        XCTAssertFalse(t.shape.matches(TuneForm(parsing: "AABB", barsPerPart: 8)!))
    }
}
