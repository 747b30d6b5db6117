// Issue 12's faults, one test each: lost output, full disks (a file-size limit: `ulimit -f`),
// crafted checkpoints, memory that cannot fit, NaN, device targets, two runs in one folder,
// stop signals, stale temporary files and unclear messages. Every case must end with a clear
// message and the documented exit status, never a trap (132/134) or a silent success.
import CharModel
import Composer
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class FaultTests: XCTestCase {
    nonisolated(unsafe) static var workspace: URL!
    nonisolated(unsafe) static var corpus: URL!
    nonisolated(unsafe) static var model: URL!
    nonisolated(unsafe) static var setupError: String?

    static let tiny = ["--preset", "tiny", "--quiet"]

    override class func setUp() {
        super.setUp()
        workspace = FileManager.default.temporaryDirectory.appendingPathComponent("tunegen-faults-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        let text = (try? String(contentsOf: TunegenProcess.packageRoot.appendingPathComponent("corpus/irish.abc"), encoding: .utf8)) ?? ""
        corpus = workspace.appendingPathComponent("small.abc")
        try? (text.components(separatedBy: "\n\n").prefix(40).joined(separator: "\n\n") + "\n").write(to: corpus, atomically: true, encoding: .utf8)
        let run = try? ChildRun.run(["train", corpus.path, "--out", workspace.appendingPathComponent("run").path, "--iterations", "6"] + tiny)
        model = workspace.appendingPathComponent("run/latest.safetensors")
        if run?.status != 0 { setupError = "training the tiny model failed: \(run?.stderr ?? "did not run")" }
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(at: workspace)
        super.tearDown()
    }

    override func setUpWithError() throws {
        if let error = Self.setupError { XCTFail(error) }
    }

    func folder(_ name: String) -> URL { Self.workspace.appendingPathComponent(name) }

    func assertClean(_ r: ChildResult, status: Int32, _ needle: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.signaled, "killed by a signal: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.status, status, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(needle), "expected '\(needle)' in: \(r.stderr)", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr, file: file, line: line)
    }

    func temporaries(in dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.contains("tmp-") }
    }

    // MARK: 1. Lost standard output or error

    func testFullOrClosedStdoutIsAnErrorForEveryCommand() throws {
        let abc = Self.corpus.path
        let render = folder("render-full.wav").path
        let commands: [[String]] = [
            ["check", abc], ["check", "--json", abc], ["events", abc], ["events", "--json", abc],
            ["generate", "--model", Self.model.path, "--count", "1", "--max-length", "50"],
            ["eval", "--model", Self.model.path, abc], ["render", abc, "-o", render],
            ["export", Self.model.path, "-o", folder("export-full.safetensors").path],
        ]
        for args in commands {
            let full = try ChildRun.run(args, stdout: .path("/dev/full"))
            assertClean(full, status: 2, "cannot write to standard output")
            let closed = try ChildRun.run(args, stdout: .closed)
            assertClean(closed, status: 2, "standard output: it is closed")
        }
    }

    func testTrainWithAFullStderrStillSavesAndFails() throws {
        let out = folder("stderr-full")
        let r = try ChildRun.run(["train", Self.corpus.path, "--out", out.path, "--iterations", "5", "--preset", "tiny"], stderr: .path("/dev/full"))
        XCTAssertFalse(r.signaled)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("latest.safetensors").path))
        XCTAssertNoThrow(try Checkpoint.read(from: out.appendingPathComponent("latest.safetensors")))
    }

    // MARK: 2, 7, 14. Full disks (a file-size limit stands in for one)

    func testLogOnAFullDiskStopsSavesAndSaysSo() throws {
        let out = folder("log-full"), log = folder("log-full.jsonl")
        // A log just under the limit: the first step line crosses it.
        let filler = String(repeating: "{\"note\":\"filler\"}\n", count: (200 * 1024 - 60) / 18)
        try filler.write(to: log, atomically: false, encoding: .utf8)
        let r = try ChildRun.run(["train", Self.corpus.path, "--out", out.path, "--log", log.path, "--iterations", "50"] + Self.tiny,
                                 fileSizeLimit: 200 * 1024)
        assertClean(r, status: 2, "cannot write the log")
        XCTAssertTrue(r.stderr.contains("File too large"), r.stderr)
        XCTAssertTrue(r.stderr.contains("saved"), r.stderr)
        XCTAssertNoThrow(try Checkpoint.read(from: out.appendingPathComponent("latest.safetensors")))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("loss.svg").path))
        XCTAssertEqual(temporaries(in: out), [])
    }

    func testCheckpointOnAFullDiskIsAClearError() throws {
        let out = folder("ckpt-full")
        let r = try ChildRun.run(["train", Self.corpus.path, "--out", out.path, "--iterations", "3"] + Self.tiny, fileSizeLimit: 16 * 1024)
        assertClean(r, status: 2, "cannot write checkpoint")
        XCTAssertTrue(r.stderr.contains("File too large"), r.stderr)
        XCTAssertEqual(temporaries(in: out), [])
    }

    func testGenerateWavOnAFullDiskExitsNonZero() throws {
        let out = folder("gen-full")
        // The shipped model writes real tunes; their .abc files fit the limit, their audio does not.
        let r = try ChildRun.run(["generate", "--count", "1", "--out", out.path, "--wav"], fileSizeLimit: 8 * 1024, timeout: 120)
        assertClean(r, status: 1, "could not be written")
        XCTAssertTrue(r.stderr.contains("File too large"), r.stderr)
        XCTAssertEqual(temporaries(in: out), [])
    }

    func testOggOnAFullDiskNamesTheCause() throws {
        let abc = folder("long.abc")
        try "X:1\nL:1/4\nQ:1/4=60\nK:C\n\(String(repeating: "CDEF|", count: 16))]\n".write(to: abc, atomically: true, encoding: .utf8)
        let out = folder("full.ogg")
        let r = try ChildRun.run(["render", abc.path, "-o", out.path], fileSizeLimit: 4 * 1024)
        XCTAssertFalse(r.signaled, r.stderr)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("File too large"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    // MARK: 3, 13. Crafted checkpoints

    func testCraftedCarriedShapeIsRefusedNotTrapped() throws {
        // The older U64 form of the carried state (still read) with shapes whose product overflows,
        // and a shape that does not match the model.
        let checkpoint = try Checkpoint.read(from: Self.model)
        for shape: [UInt64] in [[1 << 63, 1, 1], [1 << 62, 4, 1], [1, 8, 32]] {
            var file = checkpoint.safeTensorsFile()
            file.tensors["train.extra.carried_shape"] = SafeTensor(uint64s: shape, shape: [3])
            file.tensors["train.extra.carried_h"] = SafeTensor(uint64s: [0], shape: [1])
            file.tensors["train.extra.carried_c"] = SafeTensor(uint64s: [0], shape: [1])
            let crafted = folder("crafted.safetensors")
            try Data(file.serialized()).write(to: crafted)
            let r = try ChildRun.run(["train", "--resume", crafted.path, Self.corpus.path, "--out", folder("crafted-run").path, "--quiet"])
            assertClean(r, status: 2, "carried")
        }
    }

    func testResumeAsksForInputsInsteadOfTrustingStoredPaths() throws {
        var checkpoint = try Checkpoint.read(from: Self.model)
        var settings = try JSONDecoder().decode(RunSettings.self, from: Data(checkpoint.hyperparameters.utf8))
        settings.inputs = ["/"]
        checkpoint.hyperparameters = try JSONOutput.compact(settings)
        let crafted = folder("root-inputs.safetensors")
        try checkpoint.write(to: crafted)
        let r = try ChildRun.run(["train", "--resume", crafted.path, "--out", folder("root-run").path], timeout: 20)
        assertClean(r, status: 2, "give the training inputs again")
        XCTAssertTrue(r.stderr.contains("'/'"), r.stderr)
        XCTAssertLessThan(r.seconds, 10, "it must not walk the file system")
    }

    // MARK: 4. Memory that cannot fit

    func testRunsThatCannotFitAreRefusedWithTheEstimate() throws {
        for args in [["--batch", "4096", "--seq-length", "100000", "--hidden", "32", "--embedding", "16"],
                     ["--hidden", "16384", "--layers", "64"]] {
            let r = try ChildRun.run(["train", Self.corpus.path, "--out", folder("huge").path, "--iterations", "1", "--preset", "tiny"] + args,
                                     timeout: 30)
            assertClean(r, status: 2, "of memory")
            XCTAssertTrue(r.stderr.contains("available of"), r.stderr)
            XCTAssertLessThan(r.peakMB, 500, "refused before allocating")
        }
        // The same settings stored in a checkpoint are refused on resume.
        var checkpoint = try Checkpoint.read(from: Self.model)
        var settings = try JSONDecoder().decode(RunSettings.self, from: Data(checkpoint.hyperparameters.utf8))
        (settings.trainer.batch, settings.trainer.steps) = (4096, 100_000)
        checkpoint.hyperparameters = try JSONOutput.compact(settings)
        let crafted = folder("huge.safetensors")
        try checkpoint.write(to: crafted)
        let r = try ChildRun.run(["train", "--resume", crafted.path, Self.corpus.path, "--out", folder("huge-resume").path], timeout: 30)
        assertClean(r, status: 2, "of memory")
    }

    func testMemoryEstimateCountsActivations() {
        let shape = ModelShape(vocabularySize: 83, embeddingSize: 16, hiddenSize: 32, layers: 1)
        let big = MemoryEstimate.training(shape: shape, batch: 4096, steps: 100_000)
        XCTAssertGreaterThan(big.activationBytes, 26e9, "the issue's run allocated 26 GB before aborting")
        let small = MemoryEstimate.training(shape: shape, batch: 8, steps: 32)
        XCTAssertLessThan(small.totalBytes, 50e6)
        XCTAssertEqual(MachineMemory.parse("MemTotal:  1024 kB\nMemAvailable:   512 kB\n")?.available, 512 * 1024)
    }

    // MARK: 6. NaN

    func testAHugeLearningRateEndsWithACleanDivergenceError() throws {
        let out = folder("nan")
        let r = try ChildRun.run(["train", Self.corpus.path, "--out", out.path, "--lr", "1e38", "--eval-every", "5", "--iterations", "200"] + Self.tiny,
                                 timeout: 120)
        assertClean(r, status: 2, "training diverged")
        XCTAssertNoThrow(try Checkpoint.read(from: out.appendingPathComponent("latest.safetensors")))
    }

    func testHugeWeightsAreRefusedByEvalGenerateAndResume() throws {
        var checkpoint = try Checkpoint.read(from: Self.model)
        for i in 0 ..< 16 { checkpoint.parameters[i] = 3e38 }
        let crafted = folder("huge-weights.safetensors")
        try checkpoint.write(to: crafted)
        for args in [["eval", "--model", crafted.path, Self.corpus.path], ["generate", "--model", crafted.path, "--count", "1"],
                     ["train", "--resume", crafted.path, Self.corpus.path, "--out", folder("hw").path]] {
            assertClean(try ChildRun.run(args), status: 2, "beyond the ±1000000")
        }
    }

    // MARK: 8. Devices are never replaced

    func testExportRefusesADeviceOrFIFOAndLeavesItAlone() throws {
        let r = try ChildRun.run(["export", Self.model.path, "-o", "/dev/null"])
        assertClean(r, status: 2, "character device")
        var st = stat()
        XCTAssertEqual(stat("/dev/null", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFCHR)
        let fifo = folder("out.fifo")
        XCTAssertEqual(mkfifo(fifo.path, 0o644), 0)
        assertClean(try ChildRun.run(["export", Self.model.path, "-o", fifo.path], timeout: 10), status: 2, "FIFO")
        var fst = stat()
        XCTAssertEqual(stat(fifo.path, &fst), 0)
        XCTAssertEqual(fst.st_mode & S_IFMT, S_IFIFO)
    }

    // MARK: 9, 10, 11. Locks, logs, signals, stale temporaries

    /// Starts a long training and waits until its log has `lines` lines.
    func startTraining(out: URL, log: URL, extra: [String] = [], lines: Int = 5) throws -> (Thread, () -> ChildResult?, pid_t) {
        nonisolated(unsafe) var result: ChildResult?
        nonisolated(unsafe) var pid: pid_t = 0
        let started = DispatchSemaphore(value: 0)
        let thread = Thread {
            result = try? ChildRun.run(["train", Self.corpus.path, "--out", out.path, "--log", log.path, "--iterations", "1000000"]
                                       + Self.tiny + extra, timeout: 300, onStart: { pid = $0; started.signal() })
        }
        thread.start()
        started.wait()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, ((try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").count ?? 0) < lines {
            usleep(20_000)
        }
        return (thread, { result }, pid)
    }

    func waitFor(_ get: () -> ChildResult?) -> ChildResult? {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline { if let r = get() { return r }; usleep(20_000) }
        return nil
    }

    func testSecondRunIntoTheSameFolderIsRefusedNamingTheHolder() throws {
        let out = folder("locked"), log = folder("locked.jsonl")
        let (_, result, pid) = try startTraining(out: out, log: log)
        let second = try ChildRun.run(["train", Self.corpus.path, "--out", out.path, "--iterations", "3"] + Self.tiny)
        assertClean(second, status: 2, "pid \(pid)")
        kill(pid, SIGINT)
        XCTAssertEqual(waitFor(result)?.status, 130)
    }

    func testSigtermAndSighupSaveAndExitLikeCtrlC() throws {
        for (sig, status) in [(SIGTERM, Int32(143)), (SIGHUP, Int32(129))] {
            let out = folder("signal-\(sig)"), log = folder("signal-\(sig).jsonl")
            let (_, result, pid) = try startTraining(out: out, log: log, extra: ["--checkpoint-every", "1000000"])
            kill(pid, sig)
            let r = waitFor(result)
            XCTAssertEqual(r?.status, status, r?.stderr ?? "no result")
            XCTAssertNoThrow(try Checkpoint.read(from: out.appendingPathComponent("latest.safetensors")))
        }
    }

    func testResumeAfterAKillWritesNoDuplicateStepLinesAndCleansTemporaries() throws {
        let out = folder("killed"), log = folder("killed.jsonl")
        let (_, result, pid) = try startTraining(out: out, log: log, extra: ["--checkpoint-every", "10"], lines: 25)
        kill(pid, SIGKILL)
        _ = waitFor(result)
        // A temporary file as a killed write leaves it, from a process that is gone.
        let stale = out.appendingPathComponent(".latest.safetensors.tunegen-tmp-\(pid)-42")
        try Data([1, 2, 3]).write(to: stale)
        let before = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").count
        let saved = try Checkpoint.read(from: out.appendingPathComponent("latest.safetensors"))
        XCTAssertNotNil(saved.trainingState)
        let target = before + 5
        let r = try ChildRun.run(["train", "--resume", out.appendingPathComponent("latest.safetensors").path, Self.corpus.path,
                                  "--out", out.path, "--log", log.path, "--iterations", "\(target)", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let steps = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").compactMap { line -> Int? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["step"] as? Int
        }
        XCTAssertEqual(steps, Array(1 ... target), "one line per step, in order, none twice")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale.path), "the stale temporary file is cleaned")
    }

    // MARK: 12. Output size

    func testRenderRefusesOutputOverTheCapBeforeWriting() throws {
        let abc = folder("slow.abc")   // 16 whole notes at 10 quarter notes a minute: 384 s, ~68 MB of WAV
        try "X:1\nL:1\nQ:1/4=10\nK:C\nCDEF|GABc|cBAG|FEDC|]\n".write(to: abc, atomically: true, encoding: .utf8)
        let out = folder("slow.wav")
        let r = try ChildRun.run(["render", abc.path, "-o", out.path, "--max-output-mb", "10"], timeout: 20)
        assertClean(r, status: 2, "over the output limit of 10 MB")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        let all = try ChildRun.run(["render", "--all", Self.corpus.path, "-o", folder("all").path, "--max-output-mb", "2",
                                    "--rate", "8000", "--mono"], timeout: 120)
        XCTAssertEqual(all.status, 1, all.stderr)
        XCTAssertTrue(all.stderr.contains("already written"), all.stderr)
        let written = try FileManager.default.contentsOfDirectory(atPath: folder("all").path)
            .map { (try? FileManager.default.attributesOfItem(atPath: folder("all").appendingPathComponent($0).path)[.size] as? Int) ?? 0 }
        XCTAssertGreaterThan(written.count, 0)
        XCTAssertLessThanOrEqual(written.reduce(0, +), 2_000_000)
    }

    // MARK: 14. Messages

    func testMessagesForFIFOsDevicesFilesInTheWayAndNegativeNumbers() throws {
        let fifo = folder("in.fifo")
        XCTAssertEqual(mkfifo(fifo.path, 0o644), 0)
        assertClean(try ChildRun.run(["check", fifo.path], timeout: 10), status: 2, "FIFO")
        assertClean(try ChildRun.run(["check", "/dev/zero"], timeout: 10), status: 2, "character device")
        let file = folder("plain-file")
        try "x".write(to: file, atomically: true, encoding: .utf8)
        assertClean(try ChildRun.run(["generate", "--model", Self.model.path, "--count", "1", "--out", file.appendingPathComponent("sub").path]),
                    status: 2, "\(file.path): is not a directory")
        assertClean(try ChildRun.run(["train", Self.corpus.path, "--out", file.appendingPathComponent("sub").path] + Self.tiny),
                    status: 2, "is not a directory")
        assertClean(try ChildRun.run(["generate", "--count", "-1"]), status: 2, "--count")
        let seed = try ChildRun.run(["generate", "--seed", "-3"])
        XCTAssertEqual(seed.status, 2, seed.stderr)
        XCTAssertTrue(seed.stderr.contains("-3") && seed.stderr.contains("seed"), seed.stderr)
        XCTAssertFalse(seed.stderr.contains("Missing value"), seed.stderr)
    }
}
