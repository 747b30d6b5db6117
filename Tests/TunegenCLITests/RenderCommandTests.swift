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
        let r = try TunegenProcess.run(["render", abc.path, "-o", wav.path, "--rate", "8000", "--mono"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let info = try AudioFile.info(wav)
        XCTAssertEqual(info.sampleRate, 8000)
        XCTAssertEqual(info.channels, 1)
        XCTAssertEqual(info.frames, 8000 + Int(RenderOptions.tailSeconds * 8000))
    }

    func testTempoFlagOverridesQ() throws {
        let abc = try write("X:1\nT:A\nM:4/4\nL:1/4\nQ:1/4=60\nK:C\nA|\n")
        let wav = dir.appendingPathComponent("fast.wav")
        let r = try TunegenProcess.run(["render", abc.path, "-o", wav.path, "--rate", "8000", "--tempo", "120"])
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
