// EngraverTests: the spacing model checked without a reviewer: every written note gets a head,
// heads move right and never overlap within a voice, beams follow the meter and the ABC's
// spacing, every bar line appears, accidentals show only where key and bar do not imply them,
// the SVG parses as XML, and every corpus tune engraves.

import ABCNotation
@testable import Engraver
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

final class EngraverTests: XCTestCase {
    static let corpusURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("corpus/irish.abc")

    func tune(_ body: String, meter: String = "6/8", key: String = "D", extra: String = "") -> Tune {
        let text = "X:1\nT:Test\nM:\(meter)\nL:1/8\n\(extra)K:\(key)\n\(body)\n"
        guard let t = ABCParser.parseTune(text) else { XCTFail("no tune"); return ABCParser.parseTune("X:1\nK:C\nC")! }
        return t
    }

    func allStaves(_ layout: ScoreLayout) -> [StaffLayout] { layout.systems.flatMap(\.staves) }

    /// Level-1 beams' group sizes, in order.
    func beamGroups(_ layout: ScoreLayout) -> [Int] {
        allStaves(layout).flatMap { $0.beams.filter { $0.level == 1 && !$0.isGrace }.map(\.serials.count) }
    }

    // MARK: Invariants checked on every layout

    /// Heads of one voice: every written note has one; x increases from note to note within a
    /// system; no two heads of a voice overlap (grace notes included).
    func checkInvariants(_ layout: ScoreLayout, file: StaticString = #filePath, line: UInt = #line) {
        var counts: [String: Int] = [:]
        for system in layout.systems {
            for staff in system.staves {
                let heads = staff.noteheads.filter { !$0.isGrace }
                counts[staff.voiceID, default: 0] += heads.count
                // x increases with the serial.
                var lastX = -Double.infinity
                var lastSerial = -1
                for h in heads.sorted(by: { ($0.serial, $0.x) < ($1.serial, $1.x) }) where h.serial != lastSerial {
                    XCTAssertGreaterThan(h.x, lastX, "note \(h.serial) is not right of the one before", file: file, line: line)
                    lastX = h.x
                    lastSerial = h.serial
                }
                let all = staff.noteheads.sorted { $0.x < $1.x }
                for i in all.indices {
                    for j in (i + 1)..<all.count {
                        let a = all[i], b = all[j]
                        if b.x - a.x >= LayoutEngine.headWidth { break }
                        let w = (a.isGrace || b.isGrace) ? 6.0 : LayoutEngine.headWidth
                        let overlap = abs(a.x - b.x) < w - 0.01 && abs(a.y - b.y) < ScoreLayout.staffSpace - 0.01
                        XCTAssertFalse(overlap, "heads overlap at (\(a.x), \(a.y)) and (\(b.x), \(b.y))", file: file, line: line)
                    }
                }
            }
        }
        XCTAssertEqual(counts.values.reduce(0, +), layout.writtenNoteCounts.values.reduce(0, +), "heads drawn vs notes written",
                       file: file, line: line)
    }

    // MARK: Notes, heads, stems

    func testEveryNoteGetsAHeadAndStemsFollowTheMiddleLine() {
        let t = tune("D2E F2G|A3 B3|c2d e2f|[DF]3 [ceg]3|]", meter: "6/8")
        let layout = Engraver.layout(for: t).layout
        checkInvariants(layout)
        let heads = allStaves(layout).flatMap(\.noteheads)
        XCTAssertEqual(heads.count, 15)
        XCTAssertEqual(layout.writtenNoteCounts["1"], 15)
        // D2 (step -1) stem up, c2 (step 5) stem down, B (middle line) down.
        let stems = allStaves(layout).flatMap(\.stems)
        func stem(_ serial: Int) -> StemLayout? { stems.first { $0.serial == serial } }
        XCTAssertEqual(stem(0)?.up, true)
        XCTAssertEqual(stem(5)?.up, false) // B3
        XCTAssertEqual(stem(6)?.up, false) // c2
        // Stems are 3.5 spaces long from a head within the staff.
        if let s = stem(0) { XCTAssertEqual(abs(s.y2 - s.y1), 28, accuracy: 0.01) }
        // Dotted quarters get a dot each: A3 B3 [DF]3 [ceg]3 = 1 + 1 + 2 + 3 dots.
        XCTAssertEqual(allStaves(layout).flatMap(\.glyphs).filter { $0.name == "dot" }.count, 7)
    }

    func testHeadKindsFlagsAndRests() {
        let t = tune("C8|C4 C2 C|z4 z2 z c/2d/2|", meter: "4/4")
        let layout = Engraver.layout(for: t).layout
        checkInvariants(layout)
        let kinds = allStaves(layout).flatMap(\.noteheads).map(\.kind)
        XCTAssertEqual(kinds, [.whole, .half, .filled, .filled, .filled, .filled])
        let glyphs = allStaves(layout).flatMap(\.glyphs).map(\.name)
        XCTAssertEqual(glyphs.filter { $0.hasPrefix("rest.") }, ["rest.1", "rest.2", "rest.3"])
        XCTAssertEqual(glyphs.filter { $0 == "flag.up" }.count, 1) // the lone eighth C
        XCTAssertEqual(beamGroups(layout), [2]) // c/2d/2 sixteenths beamed
        XCTAssertEqual(allStaves(layout).flatMap(\.beams).filter { $0.level == 2 }.count, 1)
    }

    func testLedgerLines() {
        // treble: A, (A3) is step -4 (two ledger lines below), C (C4) one below, a' (A6) step 17
        // (four above).
        let t = tune("A,2 C2 a'2|", meter: "3/4", key: "C")
        let layout = Engraver.layout(for: t).layout
        XCTAssertEqual(allStaves(layout).flatMap(\.lines).count, 2 + 1 + 4)
    }

    // MARK: Beams

    func testJigBeamsInThrees() {
        let t = tune("ABc def|gfe dcB|ABcdef|", meter: "6/8")
        let layout = Engraver.layout(for: t).layout
        XCTAssertEqual(beamGroups(layout), [3, 3, 3, 3, 3, 3], "6/8 beams in dotted quarters even when written together")
        for b in allStaves(layout).flatMap(\.beams) where b.level == 1 {
            XCTAssertEqual(b.groupDuration, 3.0 / 8, accuracy: 1e-9)
        }
    }

    func testReelBeamsInFoursAndSpacesBreakBeams() {
        let t = tune("ABcdefga|AB cd efga|", meter: "C|")
        let layout = Engraver.layout(for: t).layout
        XCTAssertEqual(beamGroups(layout), [4, 4, 2, 2, 4])
    }

    func testPickupBeamsFromTheBarsEnd() {
        // A 3-eighth pickup in 6/8 then a full bar: the pickup is one group.
        let t = tune("ABc|def gfe|", meter: "6/8")
        XCTAssertEqual(beamGroups(Engraver.layout(for: t).layout), [3, 3, 3])
        // A 1-eighth pickup in 6/8 written against the next notes: "A|" alone, flagged.
        let t2 = tune("A|dcB AFD|", meter: "6/8")
        XCTAssertEqual(beamGroups(Engraver.layout(for: t2).layout), [3, 3])
    }

    func testAPickupRunningOnAcrossALineBreakBeamsFromTheBarsEnd() {
        // The pickup `ABcd e` + `f` (6 eighths in 4/4) is split by a line break: it used to index
        // the new line with the old line's event numbers and trap. Counted from the bar's end, the
        // first line's notes beam by half bars: AB | cd, then e and f stand alone.
        let t = tune("ABcd e\nf|cdef gabc|", meter: "C")
        let layout = Engraver.layout(for: t).layout
        checkInvariants(layout)
        XCTAssertEqual(layout.systems.count, 2)
        XCTAssertEqual(beamGroups(layout), [2, 2, 4, 4])
        // The shortest form that trapped: a valid tune (all four tiers) whose pickup spans two lines.
        let short = tune("AB\nc|cdef gabc|", meter: "C")
        XCTAssertTrue(short.validity.repeatsBalanced && short.validity.barsMatchMeter)
        XCTAssertEqual(beamGroups(Engraver.layout(for: short).layout), [2, 4, 4])
    }

    func testTripletsAndBrokenRhythmBeamAndShow() {
        let t = tune("(3efe dc A>B c<d|", meter: "C|")
        let layout = Engraver.layout(for: t).layout
        checkInvariants(layout)
        let texts = allStaves(layout).flatMap(\.texts).filter { $0.style == .tuplet }
        XCTAssertEqual(texts.map(\.text), ["3"])
        // The spaces break the beams: (3efe | dc | A>B | c<d.
        XCTAssertEqual(beamGroups(layout), [3, 2, 2, 2])
        // A>B: dotted eighth and sixteenth: one dot and a stub beam.
        XCTAssertEqual(allStaves(layout).flatMap(\.glyphs).filter { $0.name == "dot" }.count, 2)
        XCTAssertEqual(allStaves(layout).flatMap(\.beams).filter { $0.level == 2 }.count, 2)
    }

    func testUnbeamedTupletsGetABracket() {
        let t = tune("(3A2B2c2 d2e2|", meter: "C", key: "C")
        let layout = Engraver.layout(for: t).layout
        checkInvariants(layout)
        let staff = allStaves(layout)[0]
        XCTAssertEqual(staff.texts.filter { $0.style == .tuplet }.map(\.text), ["3"])
        XCTAssertEqual(staff.lines.count, 4, "two hooks and a line either side of the number")
        // A beamed triplet has its number and no bracket.
        let beamed = allStaves(Engraver.layout(for: tune("(3ABc d2 e4|", meter: "C", key: "C")).layout)[0]
        XCTAssertEqual(beamed.lines.count, 0)
    }

    func testBeamedStemsReachTheBeam() {
        let t = tune("GBd gbd|", meter: "6/8", key: "G")
        let staff = allStaves(Engraver.layout(for: t).layout)[0]
        for s in staff.stems {
            guard let beam = staff.beams.first(where: { $0.level == 1 && $0.serials.contains(s.serial) }) else { return XCTFail("no beam") }
            let t = (s.x - beam.x1) / (beam.x2 - beam.x1)
            let beamY = beam.y1 + (beam.y2 - beam.y1) * t
            XCTAssertEqual(s.y2, beamY + (s.up ? -2 : 2), accuracy: 0.01)
            XCTAssertGreaterThanOrEqual(abs(s.y2 - s.y1), 20)
        }
    }

    // MARK: Accidentals

    func testAccidentalsOnlyWhereKeyAndBarDoNotImplyThem() {
        // D major: ^f is implied (no sign); =f needs a natural; the next f in the bar is natural
        // too (no sign); ^f then needs a sharp; after the bar line f is sharp again (no sign).
        let t = tune("^f =f f ^f|f _B B =B|", meter: "4/4", key: "D")
        let glyphs = allStaves(Engraver.layout(for: t).layout).flatMap(\.glyphs).map(\.name).filter { $0.hasPrefix("acc.") }
        // Key signature: two sharps; then natural, sharp, flat, natural.
        XCTAssertEqual(glyphs, ["acc.sharp", "acc.sharp", "acc.natural", "acc.sharp", "acc.flat", "acc.natural"])
    }

    func testKeySignaturesFollowTheClef() {
        let treble = allStaves(Engraver.layout(for: tune("F|", key: "F")).layout)[0]
        let bass = allStaves(Engraver.layout(for: tune("F,|", key: "F clef=bass")).layout)[0]
        XCTAssertEqual(bass.clef, .bass)
        let tFlat = treble.glyphs.first { $0.name == "acc.flat" }, bFlat = bass.glyphs.first { $0.name == "acc.flat" }
        XCTAssertEqual(tFlat?.y, 16) // B4 on the middle line
        XCTAssertEqual(bFlat?.y, 24) // B2 on the second line
        XCTAssertTrue(bass.glyphs.contains { $0.name == "clef.bass" })
    }

    func testKeyChangesCancelWhatTheyDrop() {
        // D major to F major at a line start: naturals on F and C, then B flat; back to D mid-line:
        // a natural on B, then F and C sharp.
        let t = tune("DFA d3|\nK:F\nFAc f3|[K:D] DFA d3|", meter: "6/8", key: "D")
        let layout = Engraver.layout(for: t).layout
        let second = layout.systems[1].staves[0].glyphs.map(\.name).filter { $0.hasPrefix("acc.") }
        XCTAssertEqual(second, ["acc.natural", "acc.natural", "acc.flat", "acc.natural", "acc.sharp", "acc.sharp"])
        checkInvariants(layout)
    }

    // MARK: Bars, endings, lines

    func testEveryBarLineAppears() {
        let body = "|:ABc def|[1 gfe dcB:|[2 gfe d3||\nABc def|gfe dcB|]\n[|ABc :: def|ABc|def :|"
        let t = tune(body, meter: "6/8")
        let layout = Engraver.layout(for: t).layout
        let tokens = allStaves(layout).flatMap { $0.bars.map(\.token) }
        let written = t.body.compactMap { if case let .bar(b) = $0 { return b.token }; return nil }
        XCTAssertEqual(tokens, written)
        XCTAssertEqual(layout.systems.count, 3, "one system per ABC line")
        let endings = allStaves(layout).flatMap(\.endings)
        XCTAssertEqual(endings.map(\.label), ["1", "2"])
        XCTAssertEqual(endings.first?.closed, true)
        let bars = allStaves(layout).flatMap(\.bars)
        XCTAssertEqual(bars.first { $0.token == "|:" }?.parts, [.thick, .thin, .dots])
        XCTAssertEqual(bars.first { $0.token == "|]" }?.parts, [.thin, .thick])
        XCTAssertEqual(bars.first { $0.token == "||" }?.parts, [.thin, .thin])
    }

    func testSystemsStackAndJustify() {
        let t = tune("ABc def|gfe dcB|ABc def|gfe dcB|\nABc def|gfe dcB|ABc def|gfe d3|]", meter: "6/8")
        let layout = Engraver.layout(for: t).layout
        XCTAssertEqual(layout.systems.count, 2)
        let s0 = layout.systems[0].staves[0], s1 = layout.systems[1].staves[0]
        XCTAssertGreaterThan(s1.top, s0.top + 32)
        XCTAssertEqual(s0.right, 820 - 30, accuracy: 0.5, "a full line is justified to the page width")
        XCTAssertEqual(s0.bars.last?.x ?? 0, s0.right - (s0.bars.last?.width ?? 0) / 2, accuracy: 0.01, "the last bar ends the staff")
    }

    func testLongLinesSplitAtABar() {
        let bar = "ABcd efga|"
        let t = tune(String(repeating: bar, count: 16), meter: "C|")
        let layout = Engraver.layout(for: t).layout
        XCTAssertGreaterThan(layout.systems.count, 1)
        for s in layout.systems { XCTAssertLessThanOrEqual(s.staves[0].right, 820 - 30 + 0.5) }
        XCTAssertEqual(allStaves(layout).flatMap(\.bars).count, 16)
        checkInvariants(layout)
    }

    // MARK: Curves, graces, decorations, chords

    func testTiesSlursGracesDecorationsChordSymbols() {
        let t = tune("\"D\"~A3- A2(B|{g}A2 .B !fermata!c2 Td)|", meter: "6/8")
        let layout = Engraver.layout(for: t).layout
        checkInvariants(layout)
        let staff = allStaves(layout)[0]
        XCTAssertEqual(staff.curves.filter(\.isTie).count, 1)
        XCTAssertEqual(staff.curves.filter { !$0.isTie }.count, 1)
        XCTAssertEqual(staff.noteheads.filter(\.isGrace).count, 1)
        let names = staff.glyphs.map(\.name)
        XCTAssertTrue(names.contains("deco.roll"))
        XCTAssertTrue(names.contains("deco.fermata"))
        XCTAssertTrue(staff.texts.contains { $0.text == "tr" })
        XCTAssertTrue(staff.texts.contains { $0.text == "D" && $0.style == .chord && $0.y < 0 })
        // Staccato dot on the B (stem down: above the head).
        let b = staff.noteheads.last { $0.step == 4 }!
        XCTAssertTrue(staff.glyphs.contains { $0.name == "dot" && abs($0.x - b.x) < 0.01 && $0.y < b.y })
        // The grace head is left of the note it ornaments.
        let grace = staff.noteheads.first(where: \.isGrace)!
        let main = staff.noteheads.first { !$0.isGrace && $0.serial == grace.serial }!
        XCTAssertLessThan(grace.x, main.x - 5)
    }

    func testGraceNotesBeamTogetherAndShowTheirAccidentals() {
        let t = tune("{g^fg}A2 {/e}B|", meter: "3/4", key: "C")
        let layout = Engraver.layout(for: t).layout
        checkInvariants(layout)
        let staff = allStaves(layout)[0]
        XCTAssertEqual(staff.noteheads.filter(\.isGrace).count, 4)
        XCTAssertEqual(staff.beams.filter(\.isGrace).count, 1, "three grace notes share a beam")
        let sharps = staff.glyphs.filter { $0.name == "acc.sharp" }
        XCTAssertEqual(sharps.count, 1)
        XCTAssertEqual(sharps.first?.scale, 0.6)
        XCTAssertEqual(staff.lines.count, 1, "the acciaccatura's slash")
    }

    func testChordSecondsGoBesideTheStem() {
        let t = tune("[EF]2 [ABc]2|", meter: "2/4", key: "C")
        let layout = Engraver.layout(for: t).layout
        checkInvariants(layout)
    }

    // MARK: Voices, clefs, meters, header

    func testVoicesOnTheirOwnStavesAligned() {
        let text = """
            X:1
            T:Two voices
            M:3/4
            L:1/4
            V:1 clef=treble
            V:2 clef=bass
            K:G
            V:1
            d e f|g3|
            V:2
            G,, D, D,|G,,3|
            """
        let t = ABCParser.parseTune(text)!
        let layout = Engraver.layout(for: t).layout
        checkInvariants(layout)
        XCTAssertEqual(layout.systems.count, 1)
        let staves = layout.systems[0].staves
        XCTAssertEqual(staves.map(\.voiceID), ["1", "2"])
        XCTAssertEqual(staves.map(\.clef), [.treble, .bass])
        XCTAssertGreaterThan(staves[1].top, staves[0].top + 32)
        // Simultaneous notes share x.
        XCTAssertEqual(staves[0].noteheads.map(\.x), staves[1].noteheads.map(\.x))
        XCTAssertEqual(staves[0].bars.map(\.x), staves[1].bars.map(\.x))
    }

    func testHeaderAndMeters() {
        let t = tune("ABcd|", meter: "C", extra: "C:Trad.\nZ:tunegen, seed 7\nQ:1/4=120\n")
        let layout = Engraver.layout(for: t).layout
        let texts = layout.texts.map(\.text)
        XCTAssertEqual(texts.first, "Test")
        XCTAssertTrue(texts.contains("Trad."))
        XCTAssertTrue(texts.contains("tunegen, seed 7"))
        XCTAssertTrue(texts.contains("= 120"))
        XCTAssertEqual(layout.glyphs.map(\.name), ["tempo.quarter"])
        XCTAssertTrue(allStaves(layout)[0].glyphs.contains { $0.name == "meter.common" })
        let cut = Engraver.layout(for: tune("ABcd|", meter: "C|")).layout
        XCTAssertTrue(allStaves(cut)[0].glyphs.contains { $0.name == "meter.cut" })
        let jig = Engraver.layout(for: tune("ABc|", meter: "6/8")).layout
        XCTAssertEqual(allStaves(jig)[0].texts.filter { $0.style == .meter }.map(\.text), ["6", "8"])
    }

    // MARK: SVG and bad input

    func parses(_ svg: String) -> Bool {
        let parser = XMLParser(data: Data(svg.utf8))
        return parser.parse()
    }

    func testSVGIsWellFormedXMLWithAViewBox() {
        let t = tune("\"A&B<\"ABc def|[1 gfe:|[2 d3|]", meter: "6/8", extra: "C:Me & \"you\" <x>\n")
        let result = Engraver.svg(for: t)
        XCTAssertTrue(parses(result.svg))
        XCTAssertTrue(result.svg.contains("viewBox=\"0 0 "))
        XCTAssertTrue(result.svg.hasPrefix("<?xml"))
        XCTAssertEqual(result.svg.components(separatedBy: "xlink:href=\"#head.filled\"").count - 1, 10)
        XCTAssertTrue(result.skipped.isEmpty, "\(result.skipped)")
    }

    func testBadInputEngravesWhatCanBeReadAndSaysWhatItSkipped() {
        let text = "X:1\nT:Broken\nM:6/8\nL:1/8\nK:D\nABc def|g#a bag|A5 B & c|\n\u{1}w: la la\n"
        let t = ABCParser.parseTune(text)!
        XCTAssertTrue(t.hasErrors)
        let result = Engraver.svg(for: t)
        XCTAssertTrue(parses(result.svg))
        XCTAssertFalse(result.skipped.isEmpty)
        XCTAssertTrue(result.skipped.contains { $0.contains("<input>:6:") })
        XCTAssertTrue(result.skipped.contains { $0.contains("overlay") })
        XCTAssertTrue(result.skipped.contains { $0.contains("nearest") }, "\(result.skipped)")
    }

    func testHostileInputsStayBounded() {
        for body in ["c''''''''''''2 C,,,,,,,,,,,,,|", String(repeating: "(", count: 5000) + "A|", "A999999999|", "[" + String(repeating: "A", count: 300) + "]|",
                     String(repeating: "{ABCDEFG}", count: 200) + "A|", "Z999|", "(99ABC|"] {
            let t = tune(body, meter: "4/4")
            let r = Engraver.svg(for: t)
            XCTAssertTrue(parses(r.svg), body)
            XCTAssertLessThan(r.layout.height, 20_000)
        }
    }

    func testAHugeSingleLineIsSplitIntoSystems() {
        // 5,000 bars on one line: hundreds of systems from one greedy pass, every bar drawn.
        let t = tune(String(repeating: "ABcd efga|", count: 5000), meter: "C|")
        let layout = Engraver.layout(for: t).layout
        XCTAssertEqual(allStaves(layout).reduce(0) { $0 + $1.bars.count }, 5000)
        XCTAssertGreaterThan(layout.systems.count, 500)
    }

    func testEveryCorpusTuneEngraves() throws {
        let text = try String(contentsOf: EngraverTests.corpusURL, encoding: .utf8)
        let file = ABCParser.parse(text, fileName: "irish.abc")
        XCTAssertEqual(file.tunes.count, 804)
        let dump = ProcessInfo.processInfo.environment["ENGRAVER_DUMP"]
        var barsChecked = 0
        for (n, tune) in file.tunes.enumerated() {
            let result = Engraver.svg(for: tune)
            checkInvariants(result.layout)
            let written = tune.body.filter { if case .bar = $0 { return true }; return false }.count
            let drawn = result.layout.systems.flatMap(\.staves).reduce(0) { $0 + $1.bars.count }
            XCTAssertEqual(drawn, written, "tune \(tune.index): bar lines")
            barsChecked += drawn
            if n % 40 == 0 { XCTAssertTrue(parses(result.svg), "tune \(tune.index) is not well-formed XML") }
            if !tune.hasErrors { XCTAssertTrue(result.skipped.allSatisfy { !$0.contains("not engraved") || $0.contains("lyrics") }, "\(tune.index): \(result.skipped)") }
            if let dump, n < 40 {
                try result.svg.write(toFile: "\(dump)/\(String(format: "%03d", tune.index)).svg", atomically: true, encoding: .utf8)
            }
        }
        XCTAssertGreaterThan(barsChecked, 10_000)
    }
}
