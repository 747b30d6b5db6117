// AudioFile: files written through libsndfile read back with the declared rate, channels and
// frames; no 16-bit wrap-around; bad paths, unknown extensions and a full disk fail cleanly,
// leaving no partial file and an older file intact.

import ABCNotation
import Foundation
import FileOutput
import XCTest
@testable import Synth

final class AudioFileTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try Analysis.tempDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    private func tune(rate: Int = 22_050, channels: Int = 2) throws -> AudioBuffer {
        try Analysis.render(SynthBenchmark.tune(bars: 1), .bowed, rate: rate, channels: channels).buffer
    }

    func testEachFormatReadsBackWithRateChannelsAndFrames() throws {
        for (rate, channels) in [(22_050, 2), (16_000, 1)] {
            let buffer = try tune(rate: rate, channels: channels)
            for format in AudioFormat.allCases {
                let url = dir.appendingPathComponent("tune-\(rate).\(format.rawValue)")
                try AudioFile.write(buffer, to: url)
                let info = try AudioFile.info(url)
                XCTAssertEqual(info.sampleRate, rate, "\(format)")
                XCTAssertEqual(info.channels, channels, "\(format)")
                XCTAssertEqual(info.frames, buffer.frames, "\(format)")
                XCTAssertEqual(info.format, format)
                let back = try AudioFile.read(url)
                XCTAssertEqual(back.frames, buffer.frames, "\(format)")
                XCTAssertEqual(back.channels, channels)
                if format != .ogg {
                    // Lossless 16-bit: every sample within one quantisation step.
                    let maxError = zip(back.samples, buffer.samples).map { abs($0 - $1) }.max()!
                    XCTAssertLessThan(maxError, 1.5 / 32_768, "\(format)")
                } else {
                    // Lossy: the same music, roughly (correlation), at the same level.
                    var dot = 0.0, a2 = 0.0, b2 = 0.0
                    for (a, b) in zip(back.samples, buffer.samples) { dot += Double(a * b); a2 += Double(a * a); b2 += Double(b * b) }
                    XCTAssertGreaterThan(dot / sqrt(a2 * b2), 0.95)
                }
            }
        }
        let left = try contents()
        XCTAssertFalse(left.contains { $0.hasPrefix(".") }, "temporary files left: \(left)")
    }

    func testExtensionIsCaseInsensitiveAndFormatCanBeForced() throws {
        let buffer = try tune(rate: 8_000, channels: 1)
        try AudioFile.write(buffer, to: dir.appendingPathComponent("LOUD.WAV"))
        XCTAssertEqual(try AudioFile.info(dir.appendingPathComponent("LOUD.WAV")).format, .wav)
        try AudioFile.write(buffer, to: dir.appendingPathComponent("x.audio"), format: .flac)
        XCTAssertEqual(try AudioFile.info(dir.appendingPathComponent("x.audio")).format, .flac)
    }

    func testLoudRenderHasNoWrapAround() throws {
        // Twelve notes at full velocity peak far above 1 before normalisation.
        let notes = (0..<12).map { (48 + $0 * 3, 0.0, 1.0) }
        let r = try Analysis.render(Analysis.score(notes, velocity: 127), .plucked, rate: 22_050, channels: 2)
        XCTAssertGreaterThan(r.rawPeak, 1)
        let url = dir.appendingPathComponent("loud.wav")
        try AudioFile.write(r.buffer, to: url)
        let back = try AudioFile.read(url)
        XCTAssertEqual(back.peak, 0.891, accuracy: 0.001)   // −1 dBFS
        for (a, b) in zip(back.samples, r.buffer.samples) where abs(b) > 0.01 {
            XCTAssertEqual(a.sign, b.sign, "sign flip: \(b) read back as \(a)")
            if a.sign != b.sign { break }
        }
    }

    func testOutOfRangeFloatsClipInsteadOfWrapping() throws {
        // A buffer that did not come through the synthesizer: libsndfile's clipping must hold.
        let buffer = AudioBuffer(sampleRate: 8_000, channels: 1, samples: [0.5, 1.5, -1.5, 3, -0.25])
        for ext in ["wav", "flac"] {
            let url = dir.appendingPathComponent("clip.\(ext)")
            try AudioFile.write(buffer, to: url)
            let back = try AudioFile.read(url).samples
            XCTAssertEqual(back[1], 1, accuracy: 0.001, ext)
            XCTAssertEqual(back[2], -1, accuracy: 0.001, ext)
            XCTAssertEqual(back[3], 1, accuracy: 0.001, ext)
        }
    }

    func testNonFiniteOrBadBuffersAreRefused() throws {
        let url = dir.appendingPathComponent("bad.wav")
        for samples: [Float] in [[0, .nan], [.infinity], [-.infinity, 0]] {
            XCTAssertThrowsError(try AudioFile.write(AudioBuffer(sampleRate: 8_000, channels: 1, samples: samples), to: url))
        }
        XCTAssertThrowsError(try AudioFile.write(AudioBuffer(sampleRate: Int(Int32.max), channels: 1, samples: [0]), to: url))
        XCTAssertThrowsError(try AudioFile.write(AudioBuffer(sampleRate: 8_000, channels: 3, samples: [0, 0, 0]), to: url))
        XCTAssertEqual(try contents(), [])
    }

    func testUnknownExtensionListsTheSupportedOnes() throws {
        for name in ["tune.mp3", "tune"] {
            XCTAssertThrowsError(try AudioFile.write(try tune(rate: 8_000), to: dir.appendingPathComponent(name))) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(".wav") && text.contains(".flac") && text.contains(".ogg"), text)
            }
        }
        XCTAssertEqual(try contents(), [])
    }

    func testDestinationCanBeCheckedBeforeRendering() throws {
        XCTAssertEqual(try AudioFile.checkDestination(dir.appendingPathComponent("a.flac")), .flac)
        XCTAssertEqual(try AudioFile.checkDestination(dir.appendingPathComponent("a.raw"), format: .wav), .wav)
        XCTAssertThrowsError(try AudioFile.checkDestination(dir.appendingPathComponent("a.mp3")))
        XCTAssertThrowsError(try AudioFile.checkDestination(dir.appendingPathComponent("no/a.wav")))
        XCTAssertThrowsError(try AudioFile.checkDestination(dir))
        XCTAssertEqual(try contents(), [])
    }

    func testMissingDirectoryAndDirectoryTargetAreClearErrors() throws {
        let buffer = try tune(rate: 8_000)
        XCTAssertThrowsError(try AudioFile.write(buffer, to: dir.appendingPathComponent("nope/tune.wav"))) { error in
            XCTAssertEqual(error as? AudioFileError, .output(.directoryMissing(dir.appendingPathComponent("nope").path)))
            XCTAssertTrue("\(error)".contains("does not exist"))
        }
        let sub = dir.appendingPathComponent("sub.wav")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: false)
        XCTAssertThrowsError(try AudioFile.write(buffer, to: sub)) { error in
            XCTAssertTrue("\(error)".contains("is a directory"), "\(error)")
        }
        XCTAssertEqual(try contents(), ["sub.wav"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: sub.path), [])
    }

    func testFullDiskFailsCleanlyAndKeepsTheOldFile() throws {
        // A real short write: RLIMIT_FSIZE makes the kernel refuse writes past 64 KiB (EFBIG), the way
        // a full disk refuses them with ENOSPC. SIGXFSZ is ignored so the write returns an error.
        let url = dir.appendingPathComponent("tune.wav")
        let small = AudioBuffer(sampleRate: 8_000, channels: 1, samples: [Float](repeating: 0.25, count: 800))
        try AudioFile.write(small, to: url)
        let before = try Data(contentsOf: url)
        let big = try tune(rate: 22_050)     // ~2.5 s stereo: about 220 kB of 16-bit samples
        var failure: Error?
        withFileSizeLimit(64 * 1024) {
            do { try AudioFile.write(big, to: url) } catch { failure = error }
        }
        let error = try XCTUnwrap(failure, "the write past the limit must fail")
        XCTAssertTrue("\(error)".contains("write") || "\(error)".contains("close"), "\(error)")
        XCTAssertTrue("\(error)".hasPrefix(url.path + ":"), "the message names the target: \(error)")
        XCTAssertEqual(try Data(contentsOf: url), before, "the old file must be left intact")
        XCTAssertEqual(try contents(), ["tune.wav"], "no temporary file may remain")
        // And FLAC / Ogg the same way, with no earlier file.
        for ext in ["flac", "ogg"] {
            var e: Error?
            withFileSizeLimit(4 * 1024) {
                do { try AudioFile.write(big, to: dir.appendingPathComponent("new.\(ext)")) } catch { e = error }
            }
            XCTAssertNotNil(e, ext)
        }
        XCTAssertEqual(try contents(), ["tune.wav"])
    }

    func testUnreadableFileIsAClearError() throws {
        let url = dir.appendingPathComponent("junk.wav")
        try Data("not audio at all".utf8).write(to: url)
        XCTAssertThrowsError(try AudioFile.read(url)) { error in
            XCTAssertTrue("\(error)".contains("junk.wav"), "\(error)")
        }
        XCTAssertThrowsError(try AudioFile.info(dir.appendingPathComponent("missing.wav")))
    }
}

/// Runs `body` with the process's soft file-size limit lowered to `bytes`, then restores it.
func withFileSizeLimit(_ bytes: Int, _ body: () -> Void) {
    let oldHandler = signal(SIGXFSZ, SIG_IGN)
    var old = rlimit()
    getrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
    var limited = old
    limited.rlim_cur = rlim_t(bytes)
    setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited)
    body()
    setrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
    signal(SIGXFSZ, oldHandler)
}

final class FullDiskTests: XCTestCase {
    /// Opt-in: set SYNTH_FULL_DISK_DIR to a directory on a tiny file system (for example
    /// `mount -t tmpfs -o size=64k tmpfs /mnt/tiny`) to see a real ENOSPC fail cleanly.
    func testRealFullDisk() throws {
        guard let path = ProcessInfo.processInfo.environment["SYNTH_FULL_DISK_DIR"] else {
            throw XCTSkip("set SYNTH_FULL_DISK_DIR to a directory on a tiny file system")
        }
        let dir = URL(fileURLWithPath: path)
        let url = dir.appendingPathComponent("tune.wav")
        let small = AudioBuffer(sampleRate: 8_000, channels: 1, samples: [Float](repeating: 0.1, count: 400))
        try AudioFile.write(small, to: url)
        let before = try Data(contentsOf: url)
        // Noise, so that FLAC and Vorbis cannot squeeze it under the limit.
        var rng = SplitMix64(seed: 1)
        let big = AudioBuffer(sampleRate: 44_100, channels: 2, samples: (0..<44_100 * 2 * 8).map { _ in 0.5 * rng.nextSigned() })
        for ext in ["wav", "flac", "ogg"] {
            let target = dir.appendingPathComponent("tune.\(ext)")
            XCTAssertThrowsError(try AudioFile.write(big, to: target), ext) { print("full disk, .\(ext): \($0)") }
        }
        XCTAssertEqual(try Data(contentsOf: url), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path), ["tune.wav"])
        try FileManager.default.removeItem(at: url)
    }
}
