// `tunegen render` as a user runs it: the file it writes reads back through libsndfile with
// the declared format, and bad requests fail with a message and no file.
import Foundation
import Synth
import XCTest

final class RenderCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("tunegen-render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func write(_ abc: String) throws -> URL {
        let url = dir.appendingPathComponent("tunes.abc")
        try abc.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func testOneQuarterNoteAtSixtyLastsOneSecondPlusTheTail() throws {
        let abc = try write("X:1\nT:A\nM:4/4\nL:1/4\nQ:1/4=60\nK:C\nA|\n")
        let wav = dir.appendingPathComponent("a.wav")
        // --dry: the plain sound's 0.5 s tail (a room's tail is longer, tested below).
        let r = try TunegenProcess.run(["render", abc.path, "-o", wav.path, "--rate", "8000", "--mono", "--dry"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let info = try AudioFile.info(wav)
        XCTAssertEqual(info.sampleRate, 8000)
        XCTAssertEqual(info.channels, 1)
        XCTAssertEqual(info.frames, 8000 + Int(RenderOptions.tailSeconds * 8000))
        XCTAssertTrue(r.stdout.contains("dry"), r.stdout)
    }

    func testDefaultSoundIsInARoomWithTheRoomTail() throws {
        let abc = try write("X:1\nT:A\nM:4/4\nL:1/4\nQ:1/4=60\nK:C\nA|\n")
        let wav = dir.appendingPathComponent("room.wav")
        let r = try TunegenProcess.run(["render", abc.path, "-o", wav.path, "--rate", "8000"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try AudioFile.info(wav).frames, 8000 + Int(RenderOptions.roomTailSeconds * 8000))
        let stereo = try AudioFile.read(wav)
        XCTAssertNotEqual(stereo.channel(0), stereo.channel(1))
        XCTAssertTrue(r.stdout.contains("in a room"), r.stdout)
        XCTAssertTrue(r.stdout.contains("tempo: 60 quarter notes a minute (Q: field)"), r.stdout)
    }

    func testAReelWithoutQPlaysAtReelTempoAndChordsSayWhatTheyPlayed() throws {
        let abc = try write("X:1\nT:Reel\nR:reel\nM:C|\nL:1/8\nK:D\n|D2FA d2AF|G2Bd g2dB|A2ce a2ec|d2AF D4|\n")
        let wav = dir.appendingPathComponent("reel.wav")
        let r = try TunegenProcess.run(["render", abc.path, "-o", wav.path, "--rate", "8000", "--dry", "--chords"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // 4 bars of 2/2 at 112 half notes a minute: 4 × 2 / 112 min = 4.29 s, + the 0.5 s tail.
        XCTAssertEqual(Double(try AudioFile.info(wav).frames) / 8000, 4 * 2 / 112 * 60 + 0.5, accuracy: 0.01)
        XCTAssertTrue(r.stdout.contains("tempo: 112 half notes a minute (R:reel)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("chords: D G A D (inferred from the melody)"), r.stdout)
        // Without --chords the output says nothing of chords, and the audio differs.
        let plain = dir.appendingPathComponent("plain.wav")
        let p = try TunegenProcess.run(["render", abc.path, "-o", plain.path, "--rate", "8000", "--dry"])
        XCTAssertFalse(p.stdout.contains("chords:"), p.stdout)
        XCTAssertNotEqual(try AudioFile.read(wav).samples, try AudioFile.read(plain).samples)
    }

    func testSoundFontRendersWhenInstalledAndBadOnesAreRefused() throws {
        let abc = try write("X:1\nT:A\nM:4/4\nL:1/4\nQ:1/4=60\nK:C\nA|\n")
        let junk = dir.appendingPathComponent("junk.sf2")
        try Data("not a soundfont".utf8).write(to: junk)
        let bad = try TunegenProcess.run(["render", abc.path, "-o", dir.appendingPathComponent("x.wav").path, "--soundfont", junk.path])
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("not a SoundFont"), bad.stderr)
        guard SoundFontRenderer.findInstalled() != nil else {
            throw XCTSkip("no SoundFont installed (apt-get install timgm6mb-soundfont)")
        }
        let wav = dir.appendingPathComponent("sf.wav")
        let r = try TunegenProcess.run(["render", abc.path, "-o", wav.path, "--rate", "8000", "--soundfont", "default", "--instrument", "bowed", "--dry"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("SoundFont /usr/share/sounds/"), r.stdout)
        XCTAssertEqual(try AudioFile.info(wav).frames, 8000 + Int(RenderOptions.tailSeconds * 8000))
    }

    func testHumanizeIsReproducibleForASeed() throws {
        let abc = try write("X:1\nT:Jig\nM:6/8\nL:1/8\nK:D\n|dfe dAF|GBd gfe|\n")
        func render(_ name: String, _ extra: [String]) throws -> [Float] {
            let wav = dir.appendingPathComponent(name)
            let r = try TunegenProcess.run(["render", abc.path, "-o", wav.path, "--rate", "8000"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            return try AudioFile.read(wav).samples
        }
        XCTAssertEqual(try render("a.wav", ["--humanize", "5"]), try render("b.wav", ["--humanize", "5"]))
        XCTAssertNotEqual(try render("c.wav", ["--humanize", "5"]), try render("d.wav", ["--humanize", "6"]))
        XCTAssertEqual(try render("e.wav", []), try render("f.wav", []))
    }

    func testTempoFlagOverridesQ() throws {
        let abc = try write("X:1\nT:A\nM:4/4\nL:1/4\nQ:1/4=60\nK:C\nA|\n")
        let wav = dir.appendingPathComponent("fast.wav")
        let r = try TunegenProcess.run(["render", abc.path, "-o", wav.path, "--rate", "8000", "--tempo", "120", "--dry"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try AudioFile.info(wav).frames, 4000 + Int(RenderOptions.tailSeconds * 8000))
    }

    func testMIDIAndFlacAndTuneSelection() throws {
        let abc = try write("X:1\nT:One\nM:4/4\nL:1/4\nK:C\nCDEF|\n\nX:7\nT:Seven\nM:3/4\nL:1/4\nK:G\nGAB|\n")
        let mid = dir.appendingPathComponent("seven.mid")
        var r = try TunegenProcess.run(["render", abc.path, "--x", "7", "-o", mid.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let notes = try MIDIFile.parseNotes(Data(contentsOf: mid))
        XCTAssertEqual(notes.map(\.pitch), [67, 69, 71])
        let flac = dir.appendingPathComponent("one.flac")
        r = try TunegenProcess.run(["render", abc.path, "--tune", "1", "-o", flac.path, "--rate", "8000", "--instrument", "bowed"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try AudioFile.info(flac).format, .flac)
    }

    func testAllWritesOneFilePerTune() throws {
        let abc = try write("X:1\nT:The First\nM:4/4\nL:1/4\nK:C\nCDEF|\n\nX:2\nT:Second\nM:3/4\nL:1/4\nK:G\nGAB|\n")
        let folder = dir.appendingPathComponent("all")
        let r = try TunegenProcess.run(["render", abc.path, "--all", "-o", folder.path, "--format", "ogg", "--rate", "8000"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(),
                       ["001-the-first.ogg", "002-second.ogg", "index.html"], "audio, and the tunebook page that plays it")
    }

    func testBadRequestsFailWithExit2AndNoFile() throws {
        let abc = try write("X:1\nT:A\nM:4/4\nL:1/4\nK:C\nA|\n")
        let cases: [([String], String)] = [
            (["-o", dir.appendingPathComponent("a.mp3").path], "mp3"),
            (["-o", dir.appendingPathComponent("no/such/dir/a.wav").path], "no/such/dir"),
            (["-o", dir.appendingPathComponent("no/such/dir/a.mid").path], "no/such/dir"),
            (["--tune", "5", "-o", dir.appendingPathComponent("b.wav").path], "no tune 5"),
            (["--rate", "100", "-o", dir.appendingPathComponent("c.wav").path], "--rate"),
        ]
        for (args, expected) in cases {
            let r = try TunegenProcess.run(["render", abc.path] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["tunes.abc"])
    }
}
