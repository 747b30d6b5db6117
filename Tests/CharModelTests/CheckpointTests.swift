// CheckpointTests: bit-exact round trips with and without training state, refusal of every
// inconsistency between metadata and tensors, truncation and random bit flips (an error or a
// valid checkpoint, never a trap), and atomic writes that keep the old file on failure.

import Foundation
import XCTest
@testable import CharModel
#if canImport(Glibc)
import Glibc
#endif

/// A tiny seeded generator for test data (SplitMix64).
struct TestRNG {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-scale, scale).
    mutating func float(_ scale: Float = 0.5) -> Float {
        (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * scale
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

final class CheckpointTests: XCTestCase {
    static func tiny(seed: UInt64 = 1, vocabulary: String = "ab\n\u{E9}", embedding: Int = 3, hidden: Int = 2,
                     layers: Int = 2, training: Bool = false, carried: Bool = false) -> Checkpoint {
        let vocabulary = Vocabulary(text: vocabulary)
        var rng = TestRNG(state: seed)
        let shape = ModelShape(vocabularySize: vocabulary.count, embeddingSize: embedding, hiddenSize: hidden, layers: layers)
        let n = ParameterLayout(shape).count
        let params = (0 ..< n).map { _ in rng.float() }
        var state: TrainingState?
        if training {
            var adam = AdamState(parameterCount: n)
            adam.m = (0 ..< n).map { _ in rng.float(0.01) }
            adam.v = (0 ..< n).map { _ in abs(rng.float(0.001)) }
            adam.step = 1234
            let h = (0 ..< layers * 3 * hidden).map { _ in rng.float() }, c = h.map { $0 * 3 }
            state = TrainingState(adam: adam, batcher: BatcherState(rng: [rng.next(), rng.next(), .max, 0], position: 7,
                                                                      cursors: carried ? [0, 5, -1, 0, 2, 9] : []),
                                  dropoutRNG: [rng.next(), 0, 0, 1],
                                  carried: carried ? LSTMState(layers: layers, batch: 3, hidden: hidden, h: h, c: c) : nil)
        }
        return Checkpoint(shape: shape, vocabulary: vocabulary, parameters: params,
                          hyperparameters: #"{"learning_rate":0.002,"batch_size":32,"seq_len":100}"#,
                          extraMetadata: ["command": "tunegen train --seed 1", "validation_bpc": "2.125"],
                          trainingState: state)
    }

    func tempDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func assertSameBits(_ a: Checkpoint, _ b: Checkpoint, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, file: file, line: line)
        XCTAssertEqual(a.vocabulary, b.vocabulary, file: file, line: line)
        XCTAssertEqual(a.parameters.map(\.bitPattern), b.parameters.map(\.bitPattern), file: file, line: line)
        XCTAssertEqual(a.hyperparameters, b.hyperparameters, file: file, line: line)
        XCTAssertEqual(a.extraMetadata, b.extraMetadata, file: file, line: line)
        XCTAssertEqual(a.trainingState?.adam.m.map(\.bitPattern), b.trainingState?.adam.m.map(\.bitPattern), file: file, line: line)
        XCTAssertEqual(a.trainingState?.adam.v.map(\.bitPattern), b.trainingState?.adam.v.map(\.bitPattern), file: file, line: line)
        XCTAssertEqual(a.trainingState?.carried?.h.map(\.bitPattern), b.trainingState?.carried?.h.map(\.bitPattern), file: file, line: line)
        XCTAssertEqual(a.trainingState, b.trainingState, file: file, line: line)
    }

    /// Serializes `file` and expects the checkpoint reader to refuse it with a message containing `fragment`.
    func assertRejects(_ file: SafeTensorsFile, _ fragment: String, _ where_: StaticString = #filePath, line: UInt = #line) {
        assertRejects(file.serialized(), fragment, where_, line: line)
    }

    func assertRejects(_ bytes: [UInt8], _ fragment: String, _ where_: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Checkpoint(parsing: bytes), file: where_, line: line) { error in
            guard let e = error as? CheckpointError else { return XCTFail("wrong error type \(error)", file: where_, line: line) }
            XCTAssertTrue(e.message.contains(fragment), "'\(e.message)' does not mention '\(fragment)'", file: where_, line: line)
            XCTAssertFalse(e.hint.isEmpty, file: where_, line: line)
        }
    }

    // MARK: Round trips and layout

    func testRoundTripIsBitExact() throws {
        for (training, carried) in [(false, false), (true, false), (true, true)] {
            let c = Self.tiny(training: training, carried: carried)
            let back = try Checkpoint(parsing: c.serialized())
            assertSameBits(c, back)
            XCTAssertEqual(back, c)
            XCTAssertEqual(back.serialized(), c.serialized(), "deterministic")
        }
    }

    func testRoundTripThroughDisk() throws {
        let url = try tempDirectory().appendingPathComponent("model.safetensors")
        let c = Self.tiny(seed: 9, training: true)
        try c.write(to: url)
        assertSameBits(try Checkpoint.read(from: url), c)
        XCTAssertEqual(try Data(contentsOf: url), Data(c.serialized()))
    }

    func testTensorsAreTheStateDictPlusTrainingState() throws {
        let c = Self.tiny(training: true, carried: true)
        let f = try SafeTensorsFile(parsing: c.serialized())
        let model = ["embedding.weight": [4, 3],
                     "lstm.weight_ih_l0": [8, 3], "lstm.weight_hh_l0": [8, 2], "lstm.bias_ih_l0": [8], "lstm.bias_hh_l0": [8],
                     "lstm.weight_ih_l1": [8, 2], "lstm.weight_hh_l1": [8, 2], "lstm.bias_ih_l1": [8], "lstm.bias_hh_l1": [8],
                     "fc.weight": [4, 2], "fc.bias": [4]]
        var expected = model
        for (k, v) in model { expected["optim.m.\(k)"] = v; expected["optim.v.\(k)"] = v }
        expected["optim.step"] = [1]
        expected["train.rng_state"] = [4]
        expected["train.data_state"] = [7]
        expected["train.dropout_rng"] = [4]
        expected["train.carried_h"] = [2, 3, 2]
        expected["train.carried_c"] = [2, 3, 2]
        XCTAssertEqual(f.tensors.mapValues(\.shape), expected)
        XCTAssertEqual(f.tensors["embedding.weight"]!.floats!, Array(c.parameters[0 ..< 12]))
        XCTAssertEqual(f.tensors["optim.step"]!.int64s, [1234])
        XCTAssertEqual(f.metadata["format"], "tunegen-charlstm")
        XCTAssertEqual(f.metadata["format_version"], "1")
        XCTAssertEqual(f.metadata["shape"], #"{"vocabulary_size":4,"embedding_size":3,"hidden_size":2,"layers":2}"#)
        XCTAssertEqual(f.metadata["vocabulary"], #"["\n","a","b","é"]"#)
        XCTAssertEqual(f.tensors["train.carried_c"]!.dtype, .f32)
        XCTAssertEqual(f.metadata["command"], "tunegen train --seed 1")
        // Without training state only the state_dict is stored.
        XCTAssertEqual(try SafeTensorsFile(parsing: Self.tiny().serialized()).tensors.mapValues(\.shape), model)
    }

    /// Files written before the training state was one type kept the dropout generator under
    /// `train.extra.` and the carried floats as U64 bit patterns with a shape tensor: they load
    /// into the same state.
    func testOlderTrainingStateLayoutStillLoads() throws {
        let c = Self.tiny(training: true, carried: true)
        let t = c.trainingState!, carried = t.carried!
        var f = c.safeTensorsFile()
        f.tensors["train.dropout_rng"] = nil
        f.tensors["train.carried_h"] = nil
        f.tensors["train.carried_c"] = nil
        f.tensors["train.extra.dropout_rng"] = SafeTensor(uint64s: t.dropoutRNG, shape: [4])
        f.tensors["train.extra.carried_h"] = SafeTensor(uint64s: carried.h.map { UInt64($0.bitPattern) }, shape: [carried.h.count])
        f.tensors["train.extra.carried_c"] = SafeTensor(uint64s: carried.c.map { UInt64($0.bitPattern) }, shape: [carried.c.count])
        f.tensors["train.extra.carried_shape"] = SafeTensor(uint64s: [2, 3, 2], shape: [3])
        assertSameBits(try Checkpoint(parsing: f.serialized()), c)
        f.tensors["train.extra.carried_shape"] = SafeTensor(uint64s: [2, 4, 2], shape: [3])
        assertRejects(f, "sizes differ from its shape")
    }

    func testOptimStepMayBeU64Scalar() throws {
        var f = Self.tiny(training: true).safeTensorsFile()
        f.tensors["optim.step"] = SafeTensor(uint64s: [77], shape: [])
        XCTAssertEqual(try Checkpoint(parsing: f.serialized()).trainingState?.adam.step, 77)
    }

    // MARK: Refusals

    func testMetadataRefusals() {
        let good = Self.tiny().safeTensorsFile()
        func with(_ key: String, _ value: String?) -> SafeTensorsFile {
            var f = good
            f.metadata[key] = value
            return f
        }
        assertRejects(with("format", nil), "no 'format' key")
        assertRejects(with("format", "pytorch"), "'format' is 'pytorch'")
        assertRejects(with("format_version", "2"), "format_version '2' is not supported")
        assertRejects(with("shape", nil), "no 'shape' key")
        assertRejects(with("shape", "[4,3,2,2]"), "'shape' is not a JSON object")
        assertRejects(with("shape", #"{"vocabulary_size":4,"embedding_size":3,"hidden_size":2}"#), "has no 'layers'")
        assertRejects(with("shape", #"{"vocabulary_size":4,"embedding_size":3,"hidden_size":2,"layers":2,"x":1}"#), "unexpected key 'x'")
        assertRejects(with("shape", #"{"vocabulary_size":4,"embedding_size":3,"hidden_size":2.0,"layers":2}"#), "hidden_size is 2.0")
        assertRejects(with("shape", #"{"vocabulary_size":4,"embedding_size":3,"hidden_size":2,"layers":0}"#), "layers is 0")
        assertRejects(with("shape", #"{"vocabulary_size":4,"embedding_size":-3,"hidden_size":2,"layers":2}"#), "embedding_size is -3")
        assertRejects(with("shape", #"{"vocabulary_size":1048576,"embedding_size":3,"hidden_size":2,"layers":2}"#), "from 1 to 65536")
        assertRejects(with("shape", #"{"vocabulary_size":65536,"embedding_size":16384,"hidden_size":16384,"layers":64}"#), "more than the limit")
        assertRejects(with("shape", #"{"vocabulary_size":4,"vocabulary_size":4,"embedding_size":3,"hidden_size":2,"layers":2}"#), "duplicate key")
        assertRejects(with("vocabulary", nil), "no 'vocabulary' key")
        assertRejects(with("vocabulary", #"["a","b","c"]"#), "vocabulary has 3 entries but the shape says V = 4")
        assertRejects(with("vocabulary", #"["a","b","c","d","e"]"#), "vocabulary has 5 entries")
        assertRejects(with("vocabulary", #"["a","b","b","c"]"#), "vocabulary[2] \"b\" repeats vocabulary[1]")
        assertRejects(with("vocabulary", #"["a","c","b","d"]"#), "vocabulary[2] \"b\" is out of ascending code-point order")
        assertRejects(with("vocabulary", #"["a","b","","c"]"#), "vocabulary[2] \"\" is 0 Unicode scalars")
        assertRejects(with("vocabulary", #"["a","b","cd","e"]"#), "is 2 Unicode scalars")
        assertRejects(with("vocabulary", "[\"a\",\"b\",\"e\\u0301\",\"f\"]"), "is 2 Unicode scalars")
        assertRejects(with("vocabulary", #"["a","b",3,"e"]"#), "vocabulary[2] is 3, not a string")
        assertRejects(with("vocabulary", "abcd"), "'vocabulary' is not valid JSON")
        assertRejects(with("hyperparameters", nil), "no 'hyperparameters' key")
        assertRejects(with("hyperparameters", "{lr: 1}"), "'hyperparameters' is not valid JSON")
    }

    func testTensorSetAndShapeRefusals() {
        let good = Self.tiny().safeTensorsFile()
        var f = good
        f.tensors["fc.bias"] = nil
        assertRejects(f, "tensor 'fc.bias' is missing")
        f = good
        f.tensors["lstm.weight_ih_l2"] = SafeTensor(floats: [0], shape: [1])
        assertRejects(f, "unexpected tensor 'lstm.weight_ih_l2'")
        f = good
        f.tensors["fc.weight"] = SafeTensor(floats: [Float](repeating: 0, count: 8), shape: [2, 4])
        assertRejects(f, "tensor 'fc.weight' has shape [2, 4], expected [4, 2]")
        f = good
        f.tensors["fc.bias"] = SafeTensor(int64s: [0, 0, 0, 0], shape: [4])
        assertRejects(f, "tensor 'fc.bias' has dtype I64, expected F32")
    }

    func testNonFiniteWeightsAreRefusedWithTheirIndex() {
        for (bad, shown) in [(Float.nan, "nan"), (.infinity, "inf"), (-.infinity, "-inf")] {
            var c = Self.tiny()
            let r = c.layout["lstm.weight_hh_l1"]!
            c.parameters[r.offset + 5] = bad // row 2, column 1 of [8, 2]
            assertRejects(c.serialized(), "tensor 'lstm.weight_hh_l1' holds \(shown) at index [2, 1] (element 5)")
        }
    }

    func testTrainingStateIsAllOrNothing() {
        let good = Self.tiny(training: true).safeTensorsFile()
        var f = good
        f.tensors["optim.v.fc.bias"] = nil
        assertRejects(f, "tensor 'optim.v.fc.bias' is missing (training state must be complete or absent)")
        f = Self.tiny().safeTensorsFile()
        f.tensors["optim.step"] = SafeTensor(int64s: [1], shape: [1])
        assertRejects(f, "is missing (training state must be complete or absent)")
        f = good
        f.tensors["optim.x"] = SafeTensor(int64s: [1], shape: [1])
        assertRejects(f, "unexpected tensor 'optim.x'")
        f = good
        f.tensors["train.extra.epoch"] = SafeTensor(int64s: [1], shape: [1])
        assertRejects(f, "unexpected tensor 'train.extra.epoch'")
        f = good
        f.tensors["train.dropout_rng"] = nil
        assertRejects(f, "tensor 'train.dropout_rng' is missing")
        f = good
        f.tensors["optim.m.fc.bias"] = SafeTensor(floats: [0, 0, 0], shape: [3])
        assertRejects(f, "tensor 'optim.m.fc.bias' has shape [3], expected [4]")
        f = good
        f.tensors["optim.v.fc.bias"] = SafeTensor(floats: [0, 0, -1, 0], shape: [4])
        assertRejects(f, "tensor 'optim.v.fc.bias' holds -1.0 at index [2]")
        f = good
        f.tensors["optim.m.fc.bias"] = SafeTensor(floats: [0, .nan, 0, 0], shape: [4])
        assertRejects(f, "tensor 'optim.m.fc.bias' holds nan at index [1]")
        f = good
        f.tensors["optim.step"] = SafeTensor(int64s: [-3], shape: [1])
        assertRejects(f, "'optim.step' is negative")
        f = good
        f.tensors["optim.step"] = SafeTensor(uint64s: [.max], shape: [1])
        assertRejects(f, "'optim.step' is out of range")
        f = good
        f.tensors["optim.step"] = SafeTensor(int64s: [1, 2], shape: [2])
        assertRejects(f, "'optim.step' has shape [2]")
        f = good
        f.tensors["train.rng_state"] = SafeTensor(int64s: [1], shape: [1])
        assertRejects(f, "'train.rng_state' has dtype I64, expected U64")
        f = good
        f.tensors["train.data_state"] = SafeTensor(int64s: [1, 2], shape: [1, 2])
        assertRejects(f, "'train.data_state' has shape [1, 2], expected one dimension")
        f = good
        f.tensors["train.rng_state"] = SafeTensor(uint64s: [0, 0, 0, 0], shape: [4])
        assertRejects(f, "'train.rng_state' holds 4 words, all zero")
        f = good
        f.tensors["train.dropout_rng"] = SafeTensor(uint64s: [1, 2, 3], shape: [3])
        assertRejects(f, "'train.dropout_rng' holds 3 words")
        f = good
        f.tensors["train.data_state"] = SafeTensor(int64s: [-1], shape: [1])
        assertRejects(f, "'train.data_state' holds [-1]")
        let carried = Self.tiny(training: true, carried: true).safeTensorsFile()
        f = carried
        f.tensors["train.carried_c"] = nil
        assertRejects(f, "'train.carried_h' comes without the rest of the carried state")
        f = carried
        f.tensors["train.carried_h"] = SafeTensor(floats: [Float](repeating: 0, count: 12), shape: [2, 2, 3])
        assertRejects(f, "tensor 'train.carried_h' has shape [2, 2, 3], expected [2, B, 2]")
        f = carried
        f.tensors["train.carried_c"] = SafeTensor(floats: [Float](repeating: .infinity, count: 12), shape: [2, 3, 2])
        assertRejects(f, "non-finite")
    }

    func testContainerErrorsBecomeCheckpointErrorsNamingTheFile() throws {
        let url = try tempDirectory().appendingPathComponent("bad.safetensors")
        try Data([1, 2, 3]).write(to: url)
        XCTAssertThrowsError(try Checkpoint.read(from: url)) { error in
            let e = error as! CheckpointError
            XCTAssertEqual(e.file, url.path)
            XCTAssertTrue(e.description.hasPrefix(url.path + ": file is 3 bytes long"), e.description)
            XCTAssertTrue(e.description.contains("\nhint: "))
        }
        XCTAssertThrowsError(try Checkpoint.read(from: url.appendingPathExtension("missing"))) { error in
            XCTAssertTrue((error as! CheckpointError).message.contains("cannot read the file: open failed: No such file"), "\(error)")
        }
        for special in [url.deletingLastPathComponent(), URL(fileURLWithPath: "/dev/zero")] {
            XCTAssertThrowsError(try Checkpoint.read(from: special)) { error in
                XCTAssertTrue((error as! CheckpointError).message.contains("not a regular file"), "\(error)")
            }
        }
    }

    // MARK: Robustness

    func testTruncationIsAlwaysAnError() {
        let plain = Self.tiny().serialized()
        for n in 0 ..< plain.count {
            XCTAssertThrowsError(try Checkpoint(parsing: Array(plain[..<n])), "prefix \(n)")
        }
        let full = Self.tiny(training: true).serialized()
        for n in stride(from: 0, to: full.count, by: 7) {
            XCTAssertThrowsError(try Checkpoint(parsing: Array(full[..<n])), "prefix \(n)")
        }
    }

    func testRandomBitFlipsGiveAnErrorOrAValidCheckpoint() {
        var rng = TestRNG(state: 2026)
        let original = Self.tiny(training: true).serialized()
        var (refused, accepted) = (0, 0)
        for _ in 0 ..< 3000 {
            var bytes = original
            for _ in 0 ..< 1 + rng.below(3) {
                let i = rng.below(bytes.count)
                bytes[i] ^= UInt8(1) << UInt8(rng.below(8))
            }
            do {
                let c = try Checkpoint(parsing: bytes)
                // Whatever was accepted must be self-consistent: it re-serializes and re-reads identically.
                XCTAssertTrue(c.parameters.allSatisfy(\.isFinite))
                XCTAssertEqual(c.vocabulary.count, c.shape.vocabularySize)
                XCTAssertEqual(try Checkpoint(parsing: c.serialized()), c)
                accepted += 1
            } catch is CheckpointError {
                refused += 1
            } catch {
                XCTFail("unexpected error type \(error)")
            }
        }
        XCTAssertGreaterThan(refused, 0)
        XCTAssertGreaterThan(accepted, 0, "flips in weight mantissas should still load")
    }

    // MARK: Atomic write

    func leftovers(in dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("tmp-") }
    }

    func testWriteReplacesAnExistingFile() throws {
        let dir = try tempDirectory()
        let url = dir.appendingPathComponent("m.safetensors")
        try Self.tiny(seed: 1).write(to: url)
        let second = Self.tiny(seed: 2, training: true)
        try second.write(to: url)
        assertSameBits(try Checkpoint.read(from: url), second)
        XCTAssertEqual(try leftovers(in: dir), [])
    }

    func testFailedWriteToADirectoryLeavesNoTempFile() throws {
        let dir = try tempDirectory()
        let target = dir.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try Data([1]).write(to: target.appendingPathComponent("inside"))
        XCTAssertThrowsError(try Self.tiny().write(to: target)) { error in
            XCTAssertTrue((error as! CheckpointError).message.contains("is a directory"), "\(error)")
        }
        var isDir: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: target.path, isDirectory: &isDir) && isDir.boolValue)
        XCTAssertEqual(try leftovers(in: dir), [])
    }

    func testFailedWriteToAMissingDirectory() throws {
        let url = try tempDirectory().appendingPathComponent("no/such/dir/m.safetensors")
        XCTAssertThrowsError(try Self.tiny().write(to: url)) { error in
            XCTAssertTrue((error as! CheckpointError).message.contains("does not exist"), "\(error)")
        }
    }

    /// A write that fails midway (file size limit → EFBIG) keeps the old checkpoint and cleans up.
    func testFailedWriteMidwayKeepsTheOldFile() throws {
        let dir = try tempDirectory()
        let url = dir.appendingPathComponent("m.safetensors")
        let old = Self.tiny(seed: 1)
        try old.write(to: url)
        let big = Self.tiny(seed: 3, embedding: 64, hidden: 64, training: true)
        let oldBytes = try Data(contentsOf: url)

        var saved = rlimit()
        XCTAssertEqual(getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &saved), 0)
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var limit = saved
        limit.rlim_cur = 4096
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit), 0)
        XCTAssertThrowsError(try big.write(to: url)) { error in
            XCTAssertTrue((error as! CheckpointError).message.contains("write failed"), "\(error)")
        }
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &saved), 0)
        signal(SIGXFSZ, previousHandler)

        XCTAssertEqual(try Data(contentsOf: url), oldBytes)
        assertSameBits(try Checkpoint.read(from: url), old)
        XCTAssertEqual(try leftovers(in: dir), [])
    }

    func testFailedWriteToAnUnwritableDirectoryKeepsTheOldFile() throws {
        try XCTSkipIf(geteuid() == 0, "root ignores directory permissions")
        let dir = try tempDirectory()
        let url = dir.appendingPathComponent("m.safetensors")
        try Self.tiny(seed: 1).write(to: url)
        let oldBytes = try Data(contentsOf: url)
        chmod(dir.path, 0o555)
        defer { chmod(dir.path, 0o755) }
        XCTAssertThrowsError(try Self.tiny(seed: 2).write(to: url))
        XCTAssertEqual(try Data(contentsOf: url), oldBytes)
        XCTAssertEqual(try leftovers(in: dir), [])
    }

    /// Writes a small deterministic checkpoint for `Scripts/checkpoint_logits.py` to the path in
    /// `TUNEGEN_WRITE_SAMPLE_CHECKPOINT`; skipped when the variable is unset.
    func testWriteSampleCheckpoint() throws {
        guard let path = ProcessInfo.processInfo.environment["TUNEGEN_WRITE_SAMPLE_CHECKPOINT"], !path.isEmpty else {
            throw XCTSkip("set TUNEGEN_WRITE_SAMPLE_CHECKPOINT=/path/sample.safetensors to write a sample checkpoint")
        }
        let c = Self.tiny(seed: 42, vocabulary: "\nX:1T|ABCDEFGabcdefg2/ é", embedding: 5, hidden: 7, layers: 2, training: true)
        try c.write(to: URL(fileURLWithPath: path))
    }
}
