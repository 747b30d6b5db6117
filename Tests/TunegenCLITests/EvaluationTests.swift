// `evaluate` on small hand-made sets whose answers are worked out by hand: an AABB reel, a tune
// ending off the tonic, a dorian scale, endings, a tune copied from the reference, a bar that
// does not fit its repeat; then the command as a user runs it, and the HTML report in Chromium.
@testable import Composer
import ABCNotation
import Foundation
import XCTest

/// The hand-made tunes. Bar contents are written out so the counts below can be checked by eye.
enum EvaluationFixtures {
    /// Two repeated 8-bar parts, each with a one-eighth pickup and a 7/8 last bar.
    /// Full bars (14): d2fdA2FA ×3, d2fde4 ×2, B2G2F4, gfedcdeg ×2 (one per part), a2fag2eg ×3,
    /// f2dfe4 ×2, f2d2d4: 12 of them recur.
    static let aabb = """
        X:1
        T:Double Reel
        M:C|
        L:1/8
        K:D
        A|d2fd A2FA|d2fd e4|d2fd A2FA|B2G2 F4|d2fd A2FA|d2fd e4|gfed cdeg|f2d2 d3:|
        |:a|a2fa g2eg|f2df e4|a2fa g2eg|f2d2 d4|a2fa g2eg|f2df e4|gfed cdeg|f2d2 d3:|
        """
    /// One repeated 4-bar part ending on c in G: not the tonic, and degree 4 (no chord tone of I or V).
    static let offTonic = """
        X:2
        T:Off Home
        M:4/4
        L:1/8
        K:G
        |:GABc dBAG|ABcA B4|GABc dBAG|ABcB c4:|
        """
    /// The bar before :| is whole but the repeat returns to a one-eighth pickup: 1 + 1/8 when
    /// played. The old tiers pass it; the strict check does not; the part is 4 1/8 bars.
    static let badRepeat = """
        X:4
        T:Bad Repeat
        M:4/4
        L:1/8
        K:D
        A|d2fd A2FA|d2fd e4|d2fd A2FA|B2G2 F4:|
        """
    /// A dorian ladder: A B c d e =f ^f g a, all quarter notes but the last (a whole note).
    /// A dorian has the signature of G major: F sharp is in its scale, F natural is not.
    static let dorian = """
        X:5
        T:Ladder
        M:4/4
        L:1/4
        K:Ador
        A B c d|e =f ^f g|a4|]
        """
    /// Endings: a part of 3 bars + first ending (4 bars), then an unmarked 4-bar part after the
    /// second ending has run its course.
    static let endings = """
        X:6
        T:Endings
        M:6/8
        L:1/8
        K:G
        |:GAB c2d|e2d c2B|A2B c2d|1 B2A G3:|2 B2A G3|d2e f2g|a3 g3|d2e f2g|g3 g3|]
        """
    /// The reference's tunes: a hornpipe-like tune, and `copied`'s original.
    static let original = """
        X:1
        T:Original
        M:4/4
        L:1/8
        K:Em
        |:E2BE GEBE|D2FD ADFD|E2BE GEBE|dBAF E4:|
        |:e2ef gfed|BcdB A2FA|e2ef gfed|BAGF E4:|
        """
    static let copied = """
        X:3
        T:Suspiciously Familiar
        M:4/4
        L:1/8
        K:Em
        |:E2BE GEBE|D2FD ADFD|E2BE GEBE|dBAF E4:|
        |:e2ef gfed|BcdB A2FA|e2ef gfed|BAGF E4:|
        """
    static let other = """
        X:2
        T:Other
        M:3/4
        L:1/8
        K:F
        |:F2 A2 c2|B2 G2 E2|F2 A2 c2|f6:|
        """

    static func features(_ text: String) -> TuneFeatures {
        let tunes = ABCParser.parse(text, fileName: "t.abc").tunes
        precondition(tunes.count == 1)
        return TuneFeatures(tunes[0])
    }
}

final class EvaluationMeasureTests: XCTestCase {
    func testAABBReel() {
        let f = EvaluationFixtures.features(EvaluationFixtures.aabb)
        XCTAssertEqual(f.tier, 4)
        XCTAssertEqual(f.strictProblems, [])
        XCTAssertEqual(f.parts.map(\.bars), [8, 8])
        XCTAssertEqual(f.parts.map(\.repeated), [true, true])
        XCTAssertEqual(f.parts.map(\.fractional), [false, false])
        XCTAssertTrue(f.isAABB)
        XCTAssertEqual(f.endsOnTonic, true)
        XCTAssertEqual(f.parts.map(\.endsOnChordTone), [true, true])
        XCTAssertEqual(f.fullBars, 14)
        XCTAssertEqual(f.recurringBars, 12)
        XCTAssertEqual(f.openingBarReturns, true)
        XCTAssertEqual(f.keyLabel, "D major")
        XCTAssertEqual(f.meterLabel, "C|")
    }

    func testTuneEndingOffTheTonic() {
        let f = EvaluationFixtures.features(EvaluationFixtures.offTonic)
        XCTAssertEqual(f.endsOnTonic, false)
        XCTAssertEqual(f.parts.map(\.bars), [4])
        XCTAssertEqual(f.parts.map(\.endsOnChordTone), [false])
        XCTAssertFalse(f.isAABB)
        XCTAssertEqual(f.fullBars, 4)
        XCTAssertEqual(f.recurringBars, 2)
        XCTAssertEqual(f.openingBarReturns, true)
        XCTAssertEqual(f.strictProblems, [])
    }

    func testBarThatDoesNotFitTheRepeat() {
        let f = EvaluationFixtures.features(EvaluationFixtures.badRepeat)
        // The old, looser tier 3 let this through; the strict check (the tiers' own rules now) must not.
        XCTAssertFalse(f.strictValid)
        XCTAssertTrue(f.strictProblems.contains { $0.hasPrefix("6:31: bar before :|") && $0.contains("makes 9/8") }, "\(f.strictProblems)")
        XCTAssertEqual(f.parts.map(\.bars), [4.125])
        XCTAssertEqual(f.parts.map(\.fractional), [true])
        XCTAssertTrue(f.hasFractionalPart)
    }

    func testDorianMelody() {
        let f = EvaluationFixtures.features(EvaluationFixtures.dorian)
        XCTAssertEqual(f.keyLabel, "A dorian")
        XCTAssertEqual(f.noteCount, 9)
        XCTAssertEqual(f.pitchRange, 12)            // A (69) to a (81)
        XCTAssertEqual(f.distinctPitches, 9)
        XCTAssertEqual(f.notesInScale, 8)           // all but =f
        XCTAssertEqual(f.endsOnTonic, true)
        // Tonic-relative: A and a → 0 twice; B 2, c 3, d 5, e 7, =f 8, ^f 9, g 10.
        XCTAssertEqual(f.pitchClassCounts, [2, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0])
        var intervals = [Int](repeating: 0, count: 25)
        intervals[12 + 1] = 4
        intervals[12 + 2] = 4
        XCTAssertEqual(f.intervalCounts, intervals)
        var lengths = [Int](repeating: 0, count: TuneFeatures.lengthBins.count + 1)
        lengths[TuneFeatures.lengthBins.firstIndex(of: Rational(1, 4)!)!] = 8
        lengths[TuneFeatures.lengthBins.firstIndex(of: Rational(1))!] = 1
        XCTAssertEqual(f.lengthCounts, lengths)
    }

    func testEndingsCountOnceAndASecondEndingRunsItsCourse() {
        let f = EvaluationFixtures.features(EvaluationFixtures.endings)
        XCTAssertEqual(f.parts.map(\.bars), [4, 4])
        XCTAssertEqual(f.parts.map(\.repeated), [true, false])
        XCTAssertEqual(f.strictProblems, [])
    }

    func testLastBarMayCompleteItsOwnSectionsPickup() {
        // Sections with pickups of 1/4 and 1/8; the last bar (7/8) completes the second one.
        let text = "X:8\nT:Two pickups\nM:C\nL:1/8\nK:G\ngf|eBB2 gBe2|B3A Bdgf|]\nd|cBB2 cBAG|ABcA FAdA|ADED CEA,|]\n"
        XCTAssertEqual(EvaluationFixtures.features(text).strictProblems, [])
        // 5/8 completes neither pickup (6/8 would complete the tune's 1/4, which tier 3 now accepts too).
        let short = text.replacingOccurrences(of: "ADED CEA,|]", with: "ADED C|]")
        // Reported by tier 3's last-bar rule, at the short bar.
        XCTAssertTrue(EvaluationFixtures.features(short).strictProblems.contains { $0.hasPrefix("7:23: bar is too short: 5/8") },
                      "\(EvaluationFixtures.features(short).strictProblems)")
    }

    func testFirstEndingWithoutASecondFailsTheStrictCheck() {
        let text = "X:7\nT:One ending\nM:6/8\nL:1/8\nK:G\n|:GAB c2d|e2d c2B|A2B c2d|1 B2A G3:|d2e f2g|a3 g3|]\n"
        let f = EvaluationFixtures.features(text)
        XCTAssertTrue(f.strictProblems.contains { $0.contains("no ending 2 follows") }, "\(f.strictProblems)")
    }

    func testHistogramOverlapAndSmoothedKL() {
        let a = Histogram(bins: ["x", "y"], counts: [1, 0]), b = Histogram(bins: ["x", "y"], counts: [0, 1])
        let disjoint = HistogramComparison(a, b)
        XCTAssertEqual(disjoint.overlap, 0)
        // +1 per bin: p = (2/3, 1/3), q = (1/3, 2/3): KL = 2/3·1 + 1/3·(−1) = 1/3 bit.
        XCTAssertEqual(disjoint.klDivergence, 1.0 / 3.0, accuracy: 1e-12)
        let same = HistogramComparison(a, a)
        XCTAssertEqual(same.overlap, 1)
        XCTAssertEqual(same.klDivergence, 0, accuracy: 1e-12)
        // A bin only TUNES uses joins the grid.
        let wider = HistogramComparison(Histogram(bins: ["x", "z"], counts: [1, 1]), a)
        XCTAssertEqual(wider.bins, ["x", "y", "z"])
        XCTAssertEqual(wider.overlap, 0.5, accuracy: 1e-12)
    }

    func testEditDistanceAndLongestSharedRun() {
        func s(_ text: String) -> [Int64] { text.utf8.map { Int64($0) } }
        XCTAssertEqual(editDistance(s("kitten"), s("sitting")), 3)
        XCTAssertEqual(editDistance(s(""), s("abc")), 3)
        XCTAssertEqual(editDistance(s("same"), s("same")), 0)
        let index = GramIndex(sequences: [s("xxxxxabcdefghijkxxxx"), s("zzabcdefghzz")], k: 4)
        let match = index.match(s("qqabcdefghijkqq"), countHits: true)
        XCTAssertEqual(match.longest, 11)           // abcdefghijk, in the first sequence
        XCTAssertEqual(match.longestTune, 0)
        XCTAssertEqual(match.gramHits[0], 8)        // abcd … hijk
        XCTAssertEqual(match.gramHits[1], 5)        // abcd … efgh
        XCTAssertEqual(index.match(s("nothing here"), countHits: true).longest, 0)
    }

    func testCopiedTuneIsFoundAndNamedAndAnOriginalIsNot() {
        let reference = Evaluation.set(text: EvaluationFixtures.original + "\n\n" + EvaluationFixtures.other, fileName: "ref.abc")
        let index = NoveltyIndex(training: reference.features)
        let copy = index.novelty(of: EvaluationFixtures.features(EvaluationFixtures.copied))
        XCTAssertEqual(copy.nearest?.description, "ref.abc:1")
        XCTAssertEqual(copy.similarity, 1)
        XCTAssertEqual(copy.longestSharedNotes, 52)  // every note of the tune: 7 + 7 + 7 + 5 per part
        XCTAssertEqual(copy.barsInTraining, copy.fullBars)
        XCTAssertEqual(copy.fullBars, 8)
        let fresh = index.novelty(of: EvaluationFixtures.features(EvaluationFixtures.aabb))
        XCTAssertLessThan(fresh.similarity, 0.5)
        XCTAssertEqual(fresh.barsInTraining, 0)
        XCTAssertEqual(fresh.longestSharedNotes, 0)
    }

    func testSetSummaryOfTheHandMadeSet() {
        let text = [EvaluationFixtures.aabb, EvaluationFixtures.offTonic, EvaluationFixtures.badRepeat, EvaluationFixtures.copied]
            .joined(separator: "\n\n")
        let set = Evaluation.set(text: text, fileName: "tunes.abc")
        let s = SetSummary(set.features, files: 1, unreadableFiles: 0)
        XCTAssertEqual(s.tunes, 4)
        XCTAssertEqual(s.measured, 4)
        XCTAssertEqual(s.strictBars, Share(3, of: 4))
        XCTAssertEqual(s.aabbEightBar, Share(1, of: 4))          // the reel (the copied tune's parts have 4 bars)
        XCTAssertEqual(s.parts, 2 + 1 + 1 + 2)
        XCTAssertEqual(s.eightBarParts, Share(2, of: 6))
        XCTAssertEqual(s.fractionalParts, Share(1, of: 6))
        XCTAssertEqual(s.tunesWithFractionalPart, Share(1, of: 4))
        XCTAssertEqual(s.endsOnTonic, Share(2, of: 4))          // the reel and the copy (E in Em); not c in G, not F# in D
        XCTAssertEqual(s.barsPerPart.bins, ["4", "8", "fractional"])
        XCTAssertEqual(s.barsPerPart.counts, [3, 2, 1])
        XCTAssertEqual(s.keys.bins.first, "D major")
    }

    func testMGEvalSeparatesDifferentSetsAndNotEqualOnes() {
        func tune(_ n: Int, _ music: String) -> String { "X:\(n)\nT:t\nM:4/4\nL:1/8\nK:C\n\(music)|]\n" }
        let narrow = (1...30).map { tune($0, $0 % 2 == 0 ? "CDEC DEDC|CDEC D4" : "CDCD EDCD|EDCD C4") }.joined(separator: "\n\n")
        let wide = (1...30).map { tune($0, $0 % 2 == 0 ? "C,Gce gc'ge|c'bag C,4" : "G,cgc' c'gcG|G,ceg c'4") }.joined(separator: "\n\n")
        let a = Evaluation.set(text: narrow, fileName: "a").features, b = Evaluation.set(text: wide, fileName: "b").features
        let far = MGEval.compare(a, b, pairs: 1000, seed: 1)
        let range = far.first { $0.feature == "pitch range" }!
        XCTAssertLessThan(range.overlapTunes, 0.05)
        XCTAssertGreaterThan(range.klTunes, 1)
        let near = MGEval.compare(a, a, pairs: 1000, seed: 1)
        XCTAssertGreaterThan(near.first { $0.feature == "pitch range" }!.overlapTunes, 0.95)
        // Seeded: the same seed gives the same numbers.
        XCTAssertEqual(MGEval.compare(a, b, pairs: 50, seed: 3).map(\.overlapTunes), MGEval.compare(a, b, pairs: 50, seed: 3).map(\.overlapTunes))
    }

    func testReportLayoutScalesBarsToTheTallest() {
        let (boxes, maximum, _) = EvaluationHTML.layout(series: [[0.5, 0.25], [1, 0]])
        XCTAssertEqual(maximum, 1)
        XCTAssertEqual(boxes.count, 4)
        let full = EvaluationHTML.height - EvaluationHTML.bottom - EvaluationHTML.top
        XCTAssertEqual(boxes[2].height, full, accuracy: 1e-9)
        XCTAssertEqual(boxes[0].height, full / 2, accuracy: 1e-9)
        XCTAssertEqual(boxes[3].height, 0)
        XCTAssertLessThan(boxes[0].x, boxes[2].x)   // TUNES left of the reference in each bin
    }
}

final class EvaluateCommandTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tunegen-evaluate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let tunes = [EvaluationFixtures.aabb, EvaluationFixtures.offTonic, EvaluationFixtures.badRepeat, EvaluationFixtures.copied]
        try Data(tunes.joined(separator: "\n\n").utf8).write(to: folder.appendingPathComponent("tunes.abc"))
        try Data((EvaluationFixtures.original + "\n\n" + EvaluationFixtures.other + "\n").utf8)
            .write(to: folder.appendingPathComponent("ref.abc"))
        try Data("just some text, no tunes\n".utf8).write(to: folder.appendingPathComponent("empty.abc"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func testTableNamesTheCopyAndCountsTheUnreadableFile() throws {
        let r = try TunegenProcess.run(["evaluate", path("tunes.abc"), path("missing.abc"), "--reference", path("ref.abc")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("AABB with 8-bar parts"), r.stdout)
        XCTAssertTrue(r.stdout.contains("likely copies (similarity ≥ 0.80): 1"), r.stdout)
        XCTAssertTrue(r.stdout.contains("tunes.abc:\(Self.lineOfCopy) \"Suspiciously Familiar\" ≈ \(path("ref.abc")):1 \"Original\""), r.stdout)
        XCTAssertTrue(r.stdout.contains("unreadable (skipped): 1"), r.stdout)
        XCTAssertTrue(r.stdout.contains("missing.abc"), r.stdout)
    }

    /// The copied tune's X: line in tunes.abc: after tunes of 7, 6 and 6 lines, each followed by a blank line.
    static let lineOfCopy = 7 + 1 + 6 + 1 + 6 + 1 + 1

    func testJSONHasEveryMeasure() throws {
        let r = try TunegenProcess.run(["evaluate", "--json", path("tunes.abc"), "--reference", path("ref.abc")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let tunes = try XCTUnwrap(doc["tunes"] as? [String: Any])
        XCTAssertEqual((tunes["aabbEightBar"] as? [String: Any])?["count"] as? Int, 1)
        XCTAssertEqual((tunes["strictBars"] as? [String: Any])?["count"] as? Int, 3)
        XCTAssertEqual((tunes["endsOnTonic"] as? [String: Any])?["count"] as? Int, 2)
        for key in ["pitchClasses", "intervals", "noteLengths", "keys", "meters", "barsPerPart"] {
            XCTAssertNotNil((doc["comparison"] as? [String: Any])?[key], key)
        }
        XCTAssertEqual((doc["mgeval"] as? [Any])?.count, MGEval.features.count)
        let novelty = try XCTUnwrap(doc["novelty"] as? [String: Any])
        XCTAssertEqual((novelty["perTune"] as? [Any])?.count, 4)
        let copies = try XCTUnwrap(novelty["likelyCopies"] as? [[String: Any]])
        XCTAssertEqual(copies.count, 1)
        XCTAssertEqual((copies[0]["trainingTune"] as? [String: Any])?["line"] as? Int, 1)
    }

    func testEmptySetIsAClearErrorWithExit2() throws {
        let r = try TunegenProcess.run(["evaluate", path("empty.abc"), "--reference", path("ref.abc")])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("TUNES: no tunes in"), r.stderr)
        let none = try TunegenProcess.run(["evaluate", path("nowhere"), "--reference", path("ref.abc")])
        XCTAssertEqual(none.status, 2)
        XCTAssertTrue(none.stderr.contains("no such file or folder"), none.stderr)
    }

    func testTunesWithErrorsAreCountedNotFatal() throws {
        try Data("X:1\nT:Broken\nM:4/4\nL:1/8\nK:G\nGABc d@B|]\n\n\(EvaluationFixtures.aabb)\n".utf8).write(to: folder.appendingPathComponent("mixed.abc"))
        let r = try TunegenProcess.run(["evaluate", "--json", path("mixed.abc"), "--reference", path("ref.abc")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let tunes = try XCTUnwrap(doc["tunes"] as? [String: Any])
        XCTAssertEqual(tunes["tunes"] as? Int, 2)
        XCTAssertEqual(tunes["withErrors"] as? Int, 1)
        XCTAssertEqual(tunes["measured"] as? Int, 1)
    }

    func testReportIsOneSelfContainedPage() throws {
        let out = path("report")
        let r = try TunegenProcess.run(["evaluate", path("tunes.abc"), "--reference", path("ref.abc"), "--report", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let html = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 8)
        // Nothing to fetch: the only URL is the SVG namespace.
        XCTAssertFalse(html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))
        XCTAssertFalse(html.contains("<script"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["index.html"])
        // A file where the folder should be is a clear error.
        let clash = try TunegenProcess.run(["evaluate", path("tunes.abc"), "--reference", path("ref.abc"), "--report", path("ref.abc")])
        XCTAssertEqual(clash.status, 2)
        XCTAssertTrue(clash.stderr.contains("is not a folder"), clash.stderr)
    }

    /// Scripts/check-report.sh renders a report in headless Chromium and checks the screenshot.
    func testReportRendersInHeadlessChromium() throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("chromium is not installed (apt-get install chromium); Scripts/check-report.sh needs it")
        }
        let script = TunegenProcess.packageRoot.appendingPathComponent("Scripts/check-report.sh").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, TunegenProcess.executable.path, folder.appendingPathComponent("shot").path]
        process.environment = ProcessInfo.processInfo.environment.merging(["CHROMIUM": chromium]) { $1 }
        process.currentDirectoryURL = TunegenProcess.packageRoot
        let log = folder.appendingPathComponent("log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        XCTAssertEqual(process.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("report renders"), output)
    }
}
