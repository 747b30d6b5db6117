// `train --augment-transpose`: copies of the training tunes only; the split and the validation
// tunes are exactly those of a run without it.
import ABCNotation
import Composer
import XCTest

final class TransposeAugmentationTests: XCTestCase {
    func testOnlyTrainingTunesGetCopiesAndTheSplitIsUnchanged() throws {
        // The first 200 corpus tunes (the whole corpus takes a minute in a debug build).
        let corpus = try String(contentsOf: TunegenProcess.packageRoot.appendingPathComponent("corpus/irish.abc"), encoding: .utf8)
        let tunes = ABCParser.splitTunes(corpus).prefix(200).map(\.text)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("augment-\(UUID().uuidString).abc")
        try tunes.joined(separator: "\n\n").write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let plain = try TrainingCorpus.load(paths: [url.path], keepInvalid: false, validationFraction: 0.1, seed: 1)
        let (augmented, added) = plain.augmentedByTransposition()
        // Validation: the same tunes, as written.
        XCTAssertEqual(augmented.validation, plain.validation)
        // Training: every original tune, in order, each followed by its copies.
        XCTAssertEqual(augmented.training.count, plain.training.count + added.copies)
        var originals: [String] = []
        var k = 0
        let heldOut = Set(plain.validation)
        var tonics: [String: Int] = [:]
        for (i, text) in plain.training.enumerated() {
            XCTAssertEqual(augmented.training[k], text)
            originals.append(augmented.training[k])
            k += 1
            let events = ABCParser.parseTune(text)!.score().score.voices.map(\.notes)
            let next = i + 1 < plain.training.count ? plain.training[i + 1] : nil
            while k < augmented.training.count, augmented.training[k] != next {
                let copy = ABCParser.parseTune(augmented.training[k])!
                XCTAssertFalse(copy.hasErrors)
                XCTAssertFalse(heldOut.contains(augmented.training[k]))
                // A copy is the original moved: same rhythm, every pitch moved by one amount.
                let moved = copy.score().score.voices.map(\.notes)
                // (A corpus tune whose music a blank line cut off has no notes; nor have its copies.)
                guard let a = events.first(where: { !$0.isEmpty })?.first, let b = moved.first(where: { !$0.isEmpty })?.first else {
                    XCTAssertEqual(moved, events)
                    k += 1
                    continue
                }
                let shift = b.pitch - a.pitch
                XCTAssertTrue((-6...6).contains(shift) && shift != 0)
                XCTAssertEqual(moved, events.map { $0.map { var n = $0; n.pitch += shift; n.gracePitches = n.gracePitches.map { $0 + shift }; return n } })
                tonics[copy.key.tonic ?? "?", default: 0] += 1
                k += 1
            }
        }
        XCTAssertEqual(originals, plain.training)
        XCTAssertEqual(k, augmented.training.count)
        // Every copy is in one of the chosen tonics, Bb among them; nearly every tune moves.
        XCTAssertEqual(Set(tonics.keys), Set(TrainingCorpus.augmentationTonics))
        XCTAssertGreaterThan(tonics["Bb"] ?? 0, plain.training.count - 10)
        XCTAssertLessThan(added.refused, 3)
        XCTAssertGreaterThan(added.copies, 6 * (plain.training.count - 20))
    }

    func testTheOptionIsRecordedOnlyWhenOn() throws {
        let off = RunSettings(preset: .tiny)
        XCTAssertNil(off.augmentTranspose)
        let text = String(decoding: try JSONEncoder().encode(off), as: UTF8.self)
        XCTAssertFalse(text.contains("augment"), "a run without it records the same settings as before")
        let on = RunSettings(preset: .tiny, augmentTranspose: true)
        let decoded = try JSONDecoder().decode(RunSettings.self, from: JSONEncoder().encode(on))
        XCTAssertEqual(decoded.augmentTranspose, true)
    }
}
