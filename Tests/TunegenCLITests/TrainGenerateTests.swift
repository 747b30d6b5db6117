// The train → generate → eval story as a user runs it, on a tiny model trained once for the
// whole class on the first tunes of the bundled corpus.
import CharModel
import Composer
import Foundation
import XCTest

final class TrainGenerateTests: XCTestCase {
    nonisolated(unsafe) static var workspace: URL!
    nonisolated(unsafe) static var model: URL!
    nonisolated(unsafe) static var corpus: URL!
    nonisolated(unsafe) static var setupError: String?

    /// Tiny settings that train in seconds in a debug build.
    static let tinyFlags = ["--preset", "tiny", "--iterations", "60", "--eval-every", "20", "--checkpoint-every", "20", "--quiet"]

    override class func setUp() {
        super.setUp()
        workspace = FileManager.default.temporaryDirectory.appendingPathComponent("tunegen-cli-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        // The first 60 tunes of the corpus.
        let text = (try? String(contentsOf: TunegenProcess.packageRoot.appendingPathComponent("corpus/irish.abc"), encoding: .utf8)) ?? ""
        let tunes = text.components(separatedBy: "\n\n").prefix(60).joined(separator: "\n\n") + "\n"
        corpus = workspace.appendingPathComponent("small.abc")
        try? tunes.write(to: corpus, atomically: true, encoding: .utf8)
        let run = try? TunegenProcess.run(["train", corpus.path, "--out", workspace.appendingPathComponent("run").path] + tinyFlags)
        model = workspace.appendingPathComponent("run/best.safetensors")
        if run?.status != 0 { setupError = "training the tiny model failed: \(run?.stderr ?? "did not run")" }
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(at: workspace)
        super.tearDown()
    }

    override func setUpWithError() throws {
        if let error = Self.setupError { XCTFail(error) }
    }

    private func logLines(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    // MARK: train

    func testTrainingWritesModelsCurveAndLog() throws {
        let out = Self.workspace.appendingPathComponent("train-basic")
        let log = Self.workspace.appendingPathComponent("train-basic.jsonl")
        let r = try TunegenProcess.run(["train", Self.corpus.path, "--out", out.path, "--log", log.path] + Self.tinyFlags)
        XCTAssertEqual(r.status, 0, r.stderr)
        for name in ["latest.safetensors", "best.safetensors", "loss.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), name)
        }
        let lines = try logLines(log)
        XCTAssertEqual(lines.count, 60)
        XCTAssertEqual(lines.map { $0["step"] as? Int }, (1 ... 60).map { $0 })
        XCTAssertNotNil(lines.last?["val_bpc"] as? Double)
        for key in ["loss", "lr", "chars_per_s", "elapsed"] { XCTAssertNotNil(lines[0][key], key) }
        XCTAssertTrue(r.stderr.contains("best validation"), r.stderr)
        let svg = try String(contentsOf: out.appendingPathComponent("loss.svg"), encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg") && svg.contains("polyline"))
    }

    /// Whole-tune batching trains and validates tune by tune (each validation tune from a zero
    /// state), and keeps a best model.
    func testWholeTuneBatchingTrainsAndValidates() throws {
        let out = Self.workspace.appendingPathComponent("train-tunes")
        let log = Self.workspace.appendingPathComponent("train-tunes.jsonl")
        let r = try TunegenProcess.run(["train", Self.corpus.path, "--out", out.path, "--log", log.path, "--batching", "tunes",
                                        "--preset", "tiny", "--iterations", "30", "--eval-every", "10", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let scores = try logLines(log).compactMap { $0["val_bpc"] as? Double }
        XCTAssertFalse(scores.isEmpty)
        XCTAssertTrue(scores.allSatisfy { $0.isFinite && $0 > 0 && $0 < 8 }, "\(scores)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("best.safetensors").path))
    }

    func testTrainingSkipsTunesWithErrorsAndSaysHowMany() throws {
        let bad = Self.workspace.appendingPathComponent("with-bad.abc")
        let good = try String(contentsOf: Self.corpus, encoding: .utf8)
        try (good + "\nX:999\nT:Broken\nM:6/8\nL:1/0\nK:D\nABC|\n").write(to: bad, atomically: true, encoding: .utf8)
        let r = try TunegenProcess.run(["train", bad.path, "--out", Self.workspace.appendingPathComponent("train-bad").path,
                                        "--preset", "tiny", "--iterations", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("1 skipped for errors"), r.stderr)
    }

    func testResumeContinuesBitForBit() throws {
        let fp32 = try resumedRunMatches(precision: "fp32")
        let bf16 = try resumedRunMatches(precision: "bf16")
        XCTAssertNotEqual(fp32, bf16, "--precision bf16 must train with rounded recurrent weights")
    }

    /// Trains 40 iterations at once and 25 + 15 with a resume at `precision`; the two logs must
    /// agree bit for bit (the resumed run takes the precision from the checkpoint). Returns the losses.
    private func resumedRunMatches(precision: String, file: StaticString = #filePath, line: UInt = #line) throws -> [Double?] {
        let whole = Self.workspace.appendingPathComponent("resume-whole-\(precision)")
        let split = Self.workspace.appendingPathComponent("resume-split-\(precision)")
        let logWhole = Self.workspace.appendingPathComponent("whole-\(precision).jsonl")
        let logSplit = Self.workspace.appendingPathComponent("split-\(precision).jsonl")
        let flags = ["--preset", "tiny", "--eval-every", "10", "--checkpoint-every", "100", "--quiet", "--seed", "7", "--precision", precision]
        var r = try TunegenProcess.run(["train", Self.corpus.path, "--out", whole.path, "--log", logWhole.path, "--iterations", "40"] + flags)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        r = try TunegenProcess.run(["train", Self.corpus.path, "--out", split.path, "--log", logSplit.path, "--iterations", "25"] + flags)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        r = try TunegenProcess.run(["train", "--resume", split.appendingPathComponent("latest.safetensors").path, Self.corpus.path,
                                    "--out", split.path, "--log", logSplit.path, "--iterations", "40", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        let a = try logLines(logWhole), b = try logLines(logSplit)
        XCTAssertEqual(a.count, 40, file: file, line: line)
        XCTAssertEqual(b.count, 40, file: file, line: line)
        XCTAssertEqual(a.map { $0["loss"] as? Double }, b.map { $0["loss"] as? Double }, "\(precision): losses after resuming differ",
                       file: file, line: line)
        // Validation scores agree wherever both runs validated from the same weights (the split run
        // also validated at its own end, step 25, which the whole run did not; steps 26–30 log that score).
        let sameWeights = Array(0 ..< 25) + Array(30 ..< 40)
        XCTAssertEqual(sameWeights.map { a[$0]["val_bpc"] as? Double }, sameWeights.map { b[$0]["val_bpc"] as? Double },
                       file: file, line: line)
        return a.map { $0["loss"] as? Double }
    }

    func testInterruptSavesAndExits130() throws {
        let out = Self.workspace.appendingPathComponent("interrupt")
        let log = Self.workspace.appendingPathComponent("interrupt.jsonl")
        let process = Process()
        process.executableURL = TunegenProcess.executable
        process.arguments = ["train", Self.corpus.path, "--out", out.path, "--log", log.path, "--preset", "tiny",
                             "--iterations", "1000000", "--checkpoint-every", "1000000", "--quiet"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait (bounded) until training is under way, then press Ctrl-C.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, ((try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").count ?? 0) < 5 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.interrupt()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)
        let latest = out.appendingPathComponent("latest.safetensors")
        XCTAssertTrue(FileManager.default.fileExists(atPath: latest.path))
        // The saved state resumes.
        let r = try TunegenProcess.run(["train", "--resume", latest.path, Self.corpus.path, "--out", out.path, "--iterations", "\(try logLines(log).count + 3)", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testNonFiniteStepsAreSkippedAndTheLastGoodStateRestored() throws {
        let out = Self.workspace.appendingPathComponent("poison")
        let log = Self.workspace.appendingPathComponent("poison.jsonl")
        let settings = RunSettings(preset: .tiny, iterations: 30, evalEvery: 5, inputs: [Self.corpus.path])
        let run = try TrainingRun(settings: settings, output: TrainingOutput(folder: out.path, log: log.path, quiet: true))
        // Poison the weights with NaN before step 12: the guard must skip, restore and go on.
        run.beforeStep = { iteration, trainer in
            guard iteration == 12 else { return }
            var parameters = trainer.model.parameters
            for i in 0 ..< 64 { parameters[i] = .nan }
            trainer.restore(parameters: parameters, state: trainer.state)
        }
        XCTAssertEqual(try run.run(), 0)
        XCTAssertGreaterThanOrEqual(run.skippedSteps, 3)
        XCTAssertEqual(run.learningRateCuts, 1)
        // Every logged loss is finite and the checkpoint loads (the loader refuses non-finite weights).
        for line in try logLines(log) { XCTAssertTrue((line["loss"] as? Double)?.isFinite ?? false) }
        let e = try TunegenProcess.run(["eval", "--model", out.appendingPathComponent("latest.safetensors").path, Self.corpus.path])
        XCTAssertEqual(e.status, 0, e.stderr)
    }

    func testResumingATamperedCheckpointIsAClearError() throws {
        let out = Self.workspace.appendingPathComponent("tamper")
        var r = try TunegenProcess.run(["train", Self.corpus.path, "--out", out.path, "--preset", "tiny", "--iterations", "3", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let latest = out.appendingPathComponent("latest.safetensors")
        var checkpoint = try Checkpoint.read(from: latest)
        XCTAssertTrue(checkpoint.hyperparameters.contains("\"batch\":8"), checkpoint.hyperparameters)
        checkpoint.hyperparameters = checkpoint.hyperparameters.replacingOccurrences(of: "\"batch\":8", with: "\"batch\":0")
        let tampered = out.appendingPathComponent("tampered.safetensors")
        try checkpoint.write(to: tampered)
        r = try TunegenProcess.run(["train", "--resume", tampered.path, "--out", out.path, "--quiet"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("cannot resume"), r.stderr)
        // An exported model has no training state to resume from.
        r = try TunegenProcess.run(["export", latest.path, "-o", out.appendingPathComponent("weights.safetensors").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try TunegenProcess.run(["train", "--resume", out.appendingPathComponent("weights.safetensors").path, "--out", out.path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("no training state"), r.stderr)
    }

    func testBadTrainingFlagsAreUsageErrors() throws {
        for args in [["--iterations", "0"], ["--lr", "-1"], ["--validation", "1.5"], ["--preset", "huge"]] {
            let r = try TunegenProcess.run(["train", Self.corpus.path] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
        }
        let missing = try TunegenProcess.run(["train", "/no/such/folder"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/no/such/folder"), missing.stderr)
    }

    // MARK: generate

    func testSameSeedGivesTheSameTunesByteForByte() throws {
        let args = ["generate", "--model", Self.model.path, "--count", "3", "--seed", "42", "--max-length", "300"]
        let a = try TunegenProcess.run(args), b = try TunegenProcess.run(args)
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(a.stdout, b.stdout)
        XCTAssertFalse(a.stdout.isEmpty)
        let c = try TunegenProcess.run(["generate", "--model", Self.model.path, "--count", "3", "--seed", "43", "--max-length", "300"])
        XCTAssertNotEqual(a.stdout, c.stdout)
    }

    func testConditioningWritesTheHeader() throws {
        let r = try TunegenProcess.run(["generate", "--model", Self.model.path, "--count", "2", "--key", "D", "--mode", "dorian",
                                        "--meter", "6/8", "--title", "Test Tune", "--max-length", "300", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let tunes = doc["tunes"] as! [[String: Any]]
        XCTAssertEqual(tunes.count, 2)
        for (i, tune) in tunes.enumerated() {
            let text = tune["text"] as! String
            XCTAssertTrue(text.hasPrefix("X:\(i + 1)\nT:Test Tune\nZ:"), text)
            XCTAssertTrue(text.contains("\nM:6/8\nL:1/8\nK:D Dorian\n"), text)
            XCTAssertEqual(tune["key"] as? String, "D Dorian")
        }
    }

    func testPrimeWithAnUnknownCharacterNamesIt() throws {
        let r = try TunegenProcess.run(["generate", "--model", Self.model.path, "--prime", "X:1\nT:Caf\u{E9}"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("U+E9"), r.stderr)
    }

    func testBadGenerateFlagsFailBeforeAnyWork() throws {
        let cases: [[String]] = [["--temperature", "0"], ["--temperature", "nan"], ["--top-k", "0"], ["--top-k", "100000"],
                                 ["--top-p", "0"], ["--top-p", "1.5"], ["--key", "H"], ["--mode", "bebop", "--key", "D"],
                                 ["--meter", "banana"], ["--prime", "X:1", "--key", "D"]]
        for args in cases {
            let r = try TunegenProcess.run(["generate", "--model", Self.model.path] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stdout.isEmpty, "\(args) generated output")
        }
        let missing = try TunegenProcess.run(["generate", "--model", "/no/such/model.safetensors"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/no/such/model.safetensors"), missing.stderr)
        // A file that is not a model at all.
        let foreign = try TunegenProcess.run(["generate", "--model", Self.corpus.path])
        XCTAssertEqual(foreign.status, 2)
        XCTAssertTrue(foreign.stderr.contains("not a usable tunegen model"), foreign.stderr)
    }

    func testSteeredTunesFromASmallModelPassEveryTier() throws {
        // Even a model trained for a few steps writes well-formed tunes when steered: the reader
        // leaves it only characters that keep the tune completable (unless --max-length cuts it).
        let r = try TunegenProcess.run(["generate", "--model", Self.model.path, "--count", "2", "--valid-only",
                                        "--temperature", "0.6", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let tunes = doc["tunes"] as! [[String: Any]]
        XCTAssertEqual(tunes.count, 2)
        for tune in tunes where tune["truncated"] as? Bool == false { XCTAssertEqual(tune["highestTier"] as? Int, 4, "\(tune)") }
    }

    func testGenerateWritesAbcAndAudioFiles() throws {
        let out = Self.workspace.appendingPathComponent("gen-out")
        let r = try TunegenProcess.run(["generate", "--model", Self.model.path, "--count", "2", "--max-length", "300",
                                        "--out", out.path, "--wav", "--midi", "--rate", "8000", "--seed", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertTrue(names.contains("tune-3-01.abc") && names.contains("tune-3-02.abc"), "\(names)")
        // A tune with notes gets its audio; the stderr line names the files.
        XCTAssertTrue(r.stderr.contains("tune 1:"), r.stderr)
    }

    // MARK: eval

    func testEvalPrintsBitsPerCharacter() throws {
        let r = try TunegenProcess.run(["eval", "--model", Self.model.path, Self.corpus.path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let bpc = try XCTUnwrap(doc["bitsPerCharacter"] as? Double)
        // Better than a uniform guess over the vocabulary, worse than perfect.
        XCTAssertGreaterThan(bpc, 0.5)
        XCTAssertLessThan(bpc, log2(90.0))
    }

    /// Training ends by fitting the match model into both files; eval scores with and without it,
    /// and generate mixes it in unless --no-copy.
    func testTrainingFitsTheMatchModelThatEvalAndGenerateUse() throws {
        for name in ["best", "latest"] {
            let file = try ModelFile.load(Self.model.deletingLastPathComponent().appendingPathComponent("\(name).safetensors"))
            let match = try XCTUnwrap(file.matchModel, name)
            XCTAssertTrue(match.weights.contains { $0 > 0 }, "\(name): \(match.weights)")
        }
        let r = try TunegenProcess.run(["eval", "--model", Self.model.path, Self.corpus.path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let perTune = try XCTUnwrap(doc["perTune"] as? [String: Double])
        // Tunes repeat themselves: copying pays, even for a model trained for seconds.
        XCTAssertLessThan(try XCTUnwrap(perTune["withMatchModelBitsPerCharacter"]), try XCTUnwrap(perTune["lstmBitsPerCharacter"]))
        let flags = ["generate", "--model", Self.model.path, "--count", "3", "--seed", "5", "--no-steer", "--max-length", "300"]
        let copying = try TunegenProcess.run(flags), alone = try TunegenProcess.run(flags + ["--no-copy"])
        XCTAssertEqual(copying.status, 0, copying.stderr)
        XCTAssertEqual(alone.status, 0, alone.stderr)
        XCTAssertNotEqual(copying.stdout, alone.stdout)
        XCTAssertEqual(try TunegenProcess.run(flags).stdout, copying.stdout, "reproducible")
    }
}

/// A tunegen model read by an independent implementation (numpy, Scripts/checkpoint_logits.py)
/// scores the same text the same: the file is what DESIGN.md says it is.
final class CheckpointInteropTests: XCTestCase {
    func testNumpyReadsTheModelAndAgreesOnBitsPerCharacter() throws {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import numpy"]
        python.standardError = FileHandle.nullDevice
        try python.run()
        python.waitUntilExit()
        try XCTSkipIf(python.terminationStatus != 0, "python3 with numpy is not installed")

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tunegen-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Three corpus tunes, already in training form (so eval and the script read the same text).
        let corpus = try String(contentsOf: TunegenProcess.packageRoot.appendingPathComponent("corpus/irish.abc"), encoding: .utf8)
        let text = corpus.components(separatedBy: "\n\n").prefix(3).map { $0.trimmingCharacters(in: .newlines) }.joined(separator: "\n\n") + "\n\n"
        let abc = dir.appendingPathComponent("three.abc")
        try text.write(to: abc, atomically: true, encoding: .utf8)
        var r = try TunegenProcess.run(["train", abc.path, "--preset", "tiny", "--iterations", "5", "--validation", "0", "--out", dir.path, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let model = dir.appendingPathComponent("latest.safetensors")

        r = try TunegenProcess.run(["eval", "--model", model.path, abc.path, "--streams", "1", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let ours = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["bitsPerCharacter"] as? Double)

        let script = Process()
        script.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        script.arguments = ["python3", TunegenProcess.packageRoot.appendingPathComponent("Scripts/checkpoint_logits.py").path,
                            model.path, "--text-file", abc.path, "--json"]
        let out = dir.appendingPathComponent("numpy.json")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        script.standardOutput = try FileHandle(forWritingTo: out)
        try script.run()
        script.waitUntilExit()
        XCTAssertEqual(script.terminationStatus, 0)
        let theirs = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])?["bits_per_char"] as? Double)
        XCTAssertEqual(ours, theirs, accuracy: 1e-4 * theirs)
    }
}
