// `mpirun --oversubscribe -np 2 tunegen train` on localhost, as a user on a cluster runs it: the two
// ranks give the loss curve of one process with the same batch (to float summation order), hold
// the same weights at every validation, repeat bit for bit, write once (rank 0), and resume
// together from a checkpoint. Skips when Open MPI's mpirun is not installed (Scripts/setup.sh
// installs openmpi-bin).
import CharModel
import Composer
import Foundation
import XCTest

final class DataParallelCLITests: XCTestCase {
    nonisolated(unsafe) static var workspace: URL!
    nonisolated(unsafe) static var corpus: URL!

    override class func setUp() {
        super.setUp()
        workspace = FileManager.default.temporaryDirectory.appendingPathComponent("tunegen-mpi-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        let text = (try? String(contentsOf: TunegenProcess.packageRoot.appendingPathComponent("corpus/irish.abc"), encoding: .utf8)) ?? ""
        corpus = workspace.appendingPathComponent("small.abc")
        try? (text.components(separatedBy: "\n\n").prefix(60).joined(separator: "\n\n") + "\n").write(to: corpus, atomically: true, encoding: .utf8)
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(at: workspace)
        super.tearDown()
    }

    override func setUpWithError() throws {
        try XCTSkipIf(Self.mpirun == nil, "Open MPI's mpirun is not installed (Scripts/setup.sh installs openmpi-bin)")
    }

    /// Open MPI's mpirun on PATH, or nil.
    static var mpirun: URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent("mpirun")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    let flags = ["--preset", "tiny", "--iterations", "40", "--eval-every", "20", "--checkpoint-every", "20", "--batch", "8", "--seed", "5"]

    /// `mpirun --oversubscribe -np N tunegen train ARGS` (as root too), with a time limit so a hung
    /// job fails the test instead of hanging the suite.
    func mpiTrain(ranks: Int, _ args: [String], limit: TimeInterval = 300) throws -> ProcessResult {
        let mpirun = try XCTUnwrap(Self.mpirun)
        let process = Process()
        process.executableURL = mpirun
        process.arguments = ["--oversubscribe", "-np", "\(ranks)", "-x", "TUNEGEN_REPORT_WEIGHTS=1",
                             TunegenProcess.executable.path, "train", Self.corpus.path] + args
        var env = ProcessInfo.processInfo.environment
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        env["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
        process.environment = env
        let err = Self.workspace.appendingPathComponent("mpirun-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let handle = try FileHandle(forWritingTo: err)
        process.standardError = handle
        process.standardOutput = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(limit)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            XCTFail("mpirun did not finish within \(Int(limit)) s")
        }
        try handle.close()
        return ProcessResult(status: process.terminationStatus, stdout: "",
                             stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }

    private func log(_ url: URL) throws -> [(step: Int, loss: Double, validation: Double?)] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            let line = try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            return (line["step"] as! Int, line["loss"] as! Double, line["val_bpc"] as? Double)
        }
    }

    /// "rank R of N: iteration I weights HEX" lines, as [iteration: [rank: checksum]].
    private func reportedWeights(_ stderr: String) -> [Int: [Int: String]] {
        var out: [Int: [Int: String]] = [:]
        for line in stderr.split(separator: "\n") where line.hasPrefix("rank ") {
            let w = line.split(separator: " ")
            guard w.count == 8, let rank = Int(w[1]), let iteration = Int(w[5]) else { continue }
            out[iteration, default: [:]][rank] = String(w[7])
        }
        return out
    }

    private func weights(_ url: URL) throws -> [Float] { try Checkpoint.read(from: url).parameters }

    func testTwoRanksTrainAsOneProcessWithTheSameBatchAndHoldTheSameWeights() throws {
        let w = Self.workspace!
        let one = try TunegenProcess.run(["train", Self.corpus.path, "--out", w.appendingPathComponent("one").path,
                                          "--log", w.appendingPathComponent("one.jsonl").path] + flags)
        XCTAssertEqual(one.status, 0, one.stderr)
        let two = try mpiTrain(ranks: 2, ["--out", w.appendingPathComponent("two").path, "--log", w.appendingPathComponent("two.jsonl").path] + flags)
        XCTAssertEqual(two.status, 0, two.stderr)
        XCTAssertTrue(two.stderr.contains("data-parallel: 2 processes (MPI), 4 of the 8 streams each"), two.stderr)

        // Rank 0 alone writes and speaks: one log line per step, one summary.
        let a = try log(w.appendingPathComponent("one.jsonl")), b = try log(w.appendingPathComponent("two.jsonl"))
        XCTAssertEqual(b.map(\.step), Array(1 ... 40))
        XCTAssertEqual(two.stderr.components(separatedBy: "tunegen train: ").count, 2, two.stderr)
        XCTAssertEqual(two.stderr.components(separatedBy: "done: 40 iterations").count, 2, two.stderr)

        // Equivalence to float summation order: measured ≤ 2.4e-7 relative over 200 steps for 2–4 ranks.
        XCTAssertEqual(a.count, b.count)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.loss, y.loss, accuracy: 1e-5 * x.loss, "step \(x.step)")
            if let vx = x.validation, let vy = y.validation { XCTAssertEqual(vx, vy, accuracy: 1e-5 * vx, "validation at \(x.step)") }
        }
        let drift = zip(try weights(w.appendingPathComponent("one/latest.safetensors")),
                        try weights(w.appendingPathComponent("two/latest.safetensors"))).map { abs($0 - $1) }.max() ?? .nan
        XCTAssertLessThan(drift, 1e-4, "final weights of 1 process and of 2 ranks")

        // Both ranks reported the same weights at every validation, and they are the saved ones.
        let reported = reportedWeights(two.stderr)
        XCTAssertEqual(reported.keys.sorted(), [20, 40], two.stderr)
        for (iteration, ranks) in reported {
            XCTAssertEqual(ranks.keys.sorted(), [0, 1], "iteration \(iteration)")
            XCTAssertEqual(ranks[0], ranks[1], "rank 1's weights differ from rank 0's at iteration \(iteration)")
        }
        let saved = weightChecksum(try weights(w.appendingPathComponent("two/latest.safetensors")))
        XCTAssertEqual(reported[40]?[1], String(saved, radix: 16), "rank 1's final weights are not the ones rank 0 saved")

        // The same N again: the same bits.
        let again = try mpiTrain(ranks: 2, ["--out", w.appendingPathComponent("again").path, "--log", w.appendingPathComponent("again.jsonl").path] + flags)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try log(w.appendingPathComponent("again.jsonl")).map(\.loss), b.map(\.loss))
        XCTAssertEqual(try weights(w.appendingPathComponent("again/latest.safetensors")), try weights(w.appendingPathComponent("two/latest.safetensors")))

        // Both ranks resume from rank 0's checkpoint of iteration 20 and finish as the uninterrupted run.
        var half = flags
        half[half.firstIndex(of: "--iterations")! + 1] = "20"
        let first = try mpiTrain(ranks: 2, ["--out", w.appendingPathComponent("half").path] + half)
        XCTAssertEqual(first.status, 0, first.stderr)
        let resumed = try mpiTrain(ranks: 2, ["--out", w.appendingPathComponent("half").path, "--log", w.appendingPathComponent("half.jsonl").path,
                                              "--resume", w.appendingPathComponent("half/latest.safetensors").path, "--iterations", "40"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try log(w.appendingPathComponent("half.jsonl")).map(\.loss), Array(b.map(\.loss)[20...]))
        XCTAssertEqual(try weights(w.appendingPathComponent("half/latest.safetensors")), try weights(w.appendingPathComponent("two/latest.safetensors")))
    }

    func testMoreRanksThanStreamsIsAnError() throws {
        let r = try mpiTrain(ranks: 3, ["--out", Self.workspace.appendingPathComponent("few").path, "--preset", "tiny", "--batch", "2", "--iterations", "2"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("a batch of 2 streams cannot be shared by 3 processes"), r.stderr)
    }
}
