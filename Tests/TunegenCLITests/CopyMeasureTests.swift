// CopyMeasureTests: the copy measure of issue 11, run on demand (it reads models you trained):
// for every held-out tune of corpus/irish.abc (the 10% split of seed 1, as `train` makes it),
// the header, the first line of music A, the second B, then A again; the model's bits per
// character on A the second time against the first. A model that copies from its own context
// pays much less the second time. A model with a match model is measured as generate samples
// it, the LSTM mixed with the match model. Set TUNEGEN_COPY_MEASURE to a comma-separated list of model
// files; the figures are printed, and checked only for being finite.
import CharModel
import Composer
import Foundation
import XCTest

final class CopyMeasureTests: XCTestCase {
    /// (bits/char on A the first time, the second time, validation tunes used) for `model`.
    static func copyMeasure(_ file: ModelFile, tunes: [String]) -> (first: Double, second: Double, tunes: Int) {
        var firstBits = 0.0, secondBits = 0.0, firstCount = 0, secondCount = 0, used = 0
        for tune in tunes {
            let lines = tune.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard let k = lines.firstIndex(where: { $0.hasPrefix("K:") }), lines.count > k + 2 else { continue }
            let header = lines[...k].joined(separator: "\n") + "\n"
            let a = lines[k + 1] + "\n", b = lines[k + 2] + "\n"
            guard a.count >= 8, let ids = file.vocabulary.encode(header + a + b + a) else { continue }
            let bits = characterBits(file, ids)
            let aStart = header.unicodeScalars.count, aLength = a.unicodeScalars.count
            let secondStart = aStart + aLength + b.unicodeScalars.count
            // bits[i] is the cost of ids[i + 1].
            for i in aStart ..< aStart + aLength { firstBits += bits[i - 1] }
            for i in secondStart ..< secondStart + aLength { secondBits += bits[i - 1] }
            firstCount += aLength
            secondCount += aLength
            used += 1
        }
        return (firstBits / Double(firstCount), secondBits / Double(secondCount), used)
    }

    /// Bits per character of the held-out tunes, each from a zero state (as generation starts),
    /// "\n\n" after each; the first character of each tune is given, not scored.
    static func perTuneBits(_ file: ModelFile, tunes: [String]) -> Double {
        var bits = 0.0, count = 0
        for tune in tunes {
            guard let ids = file.vocabulary.encode(tune + "\n\n"), ids.count > 1 else { continue }
            bits += characterBits(file, ids).reduce(0, +)
            count += ids.count - 1
        }
        return bits / Double(count)
    }

    /// Bits to predict each of ids[1...] from everything before it, from a zero state, by the
    /// model file as generate samples it: its LSTM mixed with its match model, if it has one.
    static func characterBits(_ file: ModelFile, _ ids: [Int32]) -> [Double] {
        MatchModel.observations(model: file.model, tunes: [ids]).map((file.matchModel ?? .none).bits)
    }

    func testCopyMeasureOfTheGivenModels() throws {
        guard let list = ProcessInfo.processInfo.environment["TUNEGEN_COPY_MEASURE"], !list.isEmpty else {
            throw XCTSkip("set TUNEGEN_COPY_MEASURE=model.safetensors[,…] to measure the copy cost of trained models")
        }
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("corpus/irish.abc").path
        let split = try TrainingCorpus.load(paths: [corpus], keepInvalid: false, validationFraction: 0.1, seed: 1)
        for path in list.split(separator: ",").map(String.init) {
            let loaded = try ModelFile.load(URL(fileURLWithPath: path))
            var alone = loaded
            alone.matchModel = nil
            for file in loaded.matchModel == nil ? [loaded] : [loaded, alone] {
                let m = Self.copyMeasure(file, tunes: split.validation)
                let perTune = Self.perTuneBits(file, tunes: split.validation)
                print(String(format: "copy measure: %@%@: line A %.3f bits/char the first time, %.3f the second (ratio %.2f), %d held-out tunes; "
                             + "held-out tunes each from a zero state %.3f bits/char", path, file.matchModel == nil ? "" : " (with its match model)",
                             m.first, m.second, m.second / m.first, m.tunes, perTune))
                XCTAssertTrue(m.first.isFinite && m.second.isFinite && m.tunes > 40)
            }
        }
    }
}
