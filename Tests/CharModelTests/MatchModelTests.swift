// MatchModelTests: the match tracker against the obvious quadratic search, the mixture, the EM
// fit, and the weights read from untrusted metadata.
@testable import CharModel
import Foundation
import XCTest

final class MatchModelTests: XCTestCase {
    /// The slow obvious version: the most recent earlier position j (within `window`) whose
    /// common suffix with the end of `x` is longest (capped at maxLength), and the token after it.
    static func bruteForce(_ x: [Int32], window: Int) -> MatchTracker.Match? {
        let t = x.count - 1
        var best = 0, bestAt = -1
        for j in stride(from: t - 1, through: max(0, t - window), by: -1) {
            var l = 0
            while l < MatchModel.maxLength && j - l >= 0 && x[j - l] == x[t - l] { l += 1 }
            if l > best { (best, bestAt) = (l, j) }
        }
        return bestAt >= 0 ? MatchTracker.Match(length: best, next: x[bestAt + 1], distance: t - bestAt) : nil
    }

    static func largestDifference(_ a: [Double], _ b: [Double]) -> Double {
        a.count == b.count ? zip(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity
    }

    func testTrackerAgreesWithTheQuadraticSearch() {
        var rng = SeededGenerator(seed: 7)
        for trial in 0 ..< 40 {
            let alphabet = Int32(1 + trial % 5)
            let window = [3, 17, 64, 4096][trial % 4]
            var tracker = MatchTracker(window: window)
            var x: [Int32] = []
            // Random text with copied stretches, so long matches (past the cap) occur too.
            while x.count < 400 {
                if x.count > 50 && rng.nextUnitFloat() < 0.05 {
                    let from = Int(rng.nextUnitFloat() * Float(x.count - 40))
                    for k in 0 ..< 40 { x.append(x[from + k]); tracker.append(x.last!); XCTAssertEqual(tracker.match, Self.bruteForce(x, window: window)) }
                } else {
                    x.append(Int32(rng.nextUnitFloat() * Float(alphabet)) % alphabet)
                    tracker.append(x.last!)
                    XCTAssertEqual(tracker.match, Self.bruteForce(x, window: window), "trial \(trial) at \(x.count)")
                }
            }
        }
    }

    func testARepeatedLineIsPredictedOnceItsStartMatches() {
        let line: [Int32] = [5, 6, 7, 5, 8, 9, 10, 11, 12, 1]
        var tracker = MatchTracker()
        for t in line + [2, 3] { tracker.append(t) }
        for (k, t) in line.enumerated() {
            tracker.append(t)
            // After one token, 5 matches its more recent occurrence (before 8); from two on, the line.
            if k >= 1 && k + 1 < line.count { XCTAssertEqual(tracker.match, MatchTracker.Match(length: k + 1, next: line[k + 1], distance: line.count + 2)) }
        }
        XCTAssertEqual(tracker.match, MatchTracker.Match(length: line.count, next: 2, distance: line.count + 2))
        XCTAssertFalse(tracker.match!.isPeriodic)
        // Said a third time, the line's match touches the second: periodic.
        for t in line { tracker.append(t) }
        XCTAssertEqual(tracker.match, MatchTracker.Match(length: line.count, next: line[0], distance: line.count))
        XCTAssertTrue(tracker.match!.isPeriodic)
    }

    func testMixtureIsADistributionAndFavoursThePrediction() {
        let model = MatchModel(weights: [0, 0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.9] + Array(repeating: 0.05, count: 8))
        var p: [Float] = [0.5, 0.25, 0.25]
        model.mix(&p, match: MatchTracker.Match(length: 20, next: 2, distance: 30))
        XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(p[2], 0.25 * 0.4 + 0.6, accuracy: 1e-6)
        var q: [Float] = [0.5, 0.5]
        model.mix(&q, match: MatchTracker.Match(length: 1, next: 0, distance: 9))  // weight 0: unchanged
        XCTAssertEqual(q, [0.5, 0.5])
        model.mix(&q, match: nil)
        XCTAssertEqual(q, [0.5, 0.5])
    }

    func testFitTrustsMatchesThatAreRightAndIgnoresThoseThatAreWrong() {
        // Long matches are right 90% of the time, short ones never; the LSTM gives 0.1 to the truth.
        var observations: [MatchModel.Observation] = []
        for i in 0 ..< 1000 {
            let long = MatchTracker.Match(length: 20, next: i % 10 == 0 ? 1 : 0, distance: 40)
            observations.append(MatchModel.Observation(lstmProbability: 0.1, match: long, actual: 0))
            observations.append(MatchModel.Observation(lstmProbability: 0.1, match: MatchTracker.Match(length: 3, next: 1, distance: 9), actual: 0))
            // Periodic matches are right half the time.
            observations.append(MatchModel.Observation(lstmProbability: 0.1, match: MatchTracker.Match(length: 20, next: i % 2 == 0 ? 1 : 0, distance: 12), actual: 0))
            observations.append(MatchModel.Observation(lstmProbability: 0.1, match: nil, actual: 0))
        }
        let fitted = MatchModel.fit(observations)
        XCTAssertEqual(fitted.weights[MatchModel.bucket(length: 3)], 0)
        // The maximum-likelihood w maximises 0.9·log(w + 0.1(1 − w)) + 0.1·log(0.1(1 − w)): w = 8/9.
        XCTAssertEqual(fitted.weights[MatchModel.bucket(length: 20)], 0.889, accuracy: 0.01)
        XCTAssertEqual(fitted.weights[MatchModel.bucket(length: 1)], 0, "no observations")
        // Periodic: 0.5·log(w + 0.1(1 − w)) + 0.5·log(0.1(1 − w)) is greatest at w = 4/9.
        XCTAssertEqual(fitted.weights[MatchModel.bucket(length: 20) + 8], 0.444, accuracy: 0.01)
        let none = MatchModel.none
        XCTAssertLessThan(fitted.bitsPerCharacter(observations), none.bitsPerCharacter(observations))
        XCTAssertEqual(none.bitsPerCharacter(observations), -log2(0.1), accuracy: 1e-6)
    }

    func testWeightsFromUntrustedText() {
        let m = MatchModel(weights: [0, 0.125, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0, 0, 0.5, 0.5, 0.25, 0.25, 0.1, 0])
        XCTAssertEqual(MatchModel(json: m.json), m)
        let zeros = Array(repeating: "0", count: 15).joined(separator: ",")
        for bad in ["", "[]", "[0.1]", "[\(zeros),1.5]", "[\(zeros),-0.1]", "[\(zeros),1e999]", "[\(zeros)]",
                    "{\"a\":1}", "[\(zeros),0,0]", String(repeating: "[", count: 5000), "[\(zeros),\"x\"]"] {
            XCTAssertNil(MatchModel(json: bad), bad.prefix(40).description)
        }
    }

    /// The per-token probabilities the fit uses are the model's: their mean cost is what training's
    /// whole-tune validation reports, across window boundaries and tunes of different lengths.
    func testTargetProbabilitiesAgreeWithTheTrainersScore() {
        var rng = SeededGenerator(seed: 3)
        let model = CharLSTM(shape: ModelShape(vocabularySize: 7, embeddingSize: 4, hiddenSize: 6, layers: 2), rng: &rng)
        let tunes: [[Int32]] = [250, 3, 101, 1, 40, 100].map { n in (0 ..< n).map { _ in Int32(rng.nextUnitFloat() * 7) % 7 } }
        let p = MatchModel.targetProbabilities(model: model, tunes: tunes, streams: 3, steps: 100)
        XCTAssertEqual(p.map(\.count), tunes.map { max(0, $0.count - 1) })
        let bits = p.joined().map { -log2($0) }
        XCTAssertEqual(bits.reduce(0, +) / Double(bits.count), Trainer.bitsPerCharacter(model: model, tunes: tunes), accuracy: 1e-4)
        // The same, one tune at a time in short windows.
        XCTAssertLessThan(Self.largestDifference(MatchModel.targetProbabilities(model: model, tunes: tunes, streams: 1, steps: 7).joined().map { $0 },
                                                 p.joined().map { $0 }), 1e-9)
    }

    /// A sampler with a match model copies: after a prime that repeats most of a line, it
    /// finishes the line as written before (weight 0.99 for long matches); with every weight 0 it
    /// draws exactly what the LSTM alone draws.
    func testSamplerCopiesWithAMatchModelAndIsUnchangedWithoutOne() {
        var init_ = SeededGenerator(seed: 11)
        let vocabulary = Vocabulary(text: "abcdefghijklmnop\n")
        let model = CharLSTM(shape: ModelShape(vocabularySize: vocabulary.count, embeddingSize: 4, hiddenSize: 8, layers: 1), rng: &init_)
        let prime = "abcdefghijklmnop\nabcdefghijkl"
        func generate(_ match: MatchModel?, temperature: Float) -> String {
            let sampler = Sampler(model: model, streams: 2)
            sampler.matchModel = match
            var rng = SeededGenerator(seed: 4)
            return sampler.generate(primes: [prime, prime], vocabulary: vocabulary,
                                    options: SamplingOptions(temperature: temperature, maxLength: 4, stop: nil), rng: &rng).joined(separator: "|")
        }
        let copying = MatchModel(weights: [0, 0, 0, 0, 0.99, 0.99, 0.99, 0.99] + Array(repeating: 0, count: 8))
        XCTAssertEqual(generate(copying, temperature: 0.5), "mnop|mnop")
        XCTAssertEqual(generate(copying, temperature: 0), "mnop|mnop")
        let zero = MatchModel.none
        for t: Float in [0, 0.7, 1] { XCTAssertEqual(generate(zero, temperature: t), generate(nil, temperature: t)) }
    }

    /// The mixture at a temperature is the mixed distribution raised to 1/temperature.
    func testMixedProbabilitiesApplyTheTemperatureAfterMixing() {
        var init_ = SeededGenerator(seed: 12)
        let model = CharLSTM(shape: ModelShape(vocabularySize: 5, embeddingSize: 3, hiddenSize: 4, layers: 1), rng: &init_)
        let sampler = Sampler(model: model, streams: 1)
        sampler.matchModel = MatchModel(weights: Array(repeating: 0.5, count: 16))
        sampler.step([2])
        var p = sampler.probabilities(stream: 0, temperature: 1)
        p = p.enumerated().map { j, q in 0.5 * q + (j == 3 ? 0.5 : 0) }
        let powered = p.map { Foundation.pow(Double($0), 1 / 0.6) }
        var got: [Float] = []
        sampler.mixedProbabilities(stream: 0, temperature: 0.6, match: MatchTracker.Match(length: 5, next: 3, distance: 8), into: &got)
        XCTAssertLessThan(Self.largestDifference(got.map(Double.init), powered.map { $0 / powered.reduce(0, +) }), 1e-5)
    }
}
