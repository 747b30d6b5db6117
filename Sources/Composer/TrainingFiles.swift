// TrainingFiles: the files a training run holds open. A lock on the output folder (flock on
// OUT/.tunegen-train.lock, holding our pid) so two runs never overwrite each other's checkpoints;
// the step log, opened for appending and never given a step line it already has; and the stop
// signals (SIGINT, SIGTERM, SIGHUP), which all mean "finish the step, save, exit".
import FileOutput
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The signal that asked the run to stop (0: none); set by the handler, read between steps.
let stopSignal = Atomic<Int32>(0)

enum StopSignals {
    /// Ctrl-C, a job scheduler's SIGTERM and a closed terminal's SIGHUP all ask for a clean stop;
    /// a second one of the same kind stops at once.
    static func install(extra: [Int32] = []) {
        for sig in [SIGINT, SIGTERM, SIGHUP] + extra {
            signal(sig) { received in
                stopSignal.store(received, ordering: .relaxed)
                signal(received, SIG_DFL)
            }
        }
    }

    static var requested: Int32 { stopSignal.load(ordering: .relaxed) }

    static func name(_ sig: Int32) -> String {
        switch sig {
        case SIGINT: "Ctrl-C (SIGINT)"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        case SIGUSR1: "SIGUSR1"
        default: "signal \(sig)"
        }
    }
}

/// An exclusive lock on a training output folder, held for the life of the process.
final class FolderLock {
    static let fileName = ".tunegen-train.lock"
    private let fd: Int32

    /// Takes the lock on `folder` or throws a TunegenError naming the process that holds it.
    init(folder: URL, shownAs: String) throws {
        let path = folder.appendingPathComponent(Self.fileName).path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw TunegenError("cannot create the lock file '\(path)': \(OutputFile.describe(errno))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 31, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
            guard code == EWOULDBLOCK else { throw TunegenError("cannot lock '\(path)': \(OutputFile.describe(code))") }
            throw TunegenError("another training run\(holder.isEmpty ? "" : " (pid \(holder))") is writing to '\(shownAs)'; "
                + "wait for it to finish, stop it, or give this run another --out folder")
        }
        _ = ftruncate(fd, 0)
        _ = FileDescriptor.writeAll(fd, Array("\(getpid())\n".utf8))
        self.fd = fd
    }

    deinit { close(fd) }  // closing releases the lock
}

/// The per-step log: one JSON line per step, appended (O_APPEND, one write per line, so two
/// runs sharing a log interleave lines rather than overwrite them).
final class StepLog {
    let path: String
    private let fd: Int32
    /// On a resume, the highest step already in the log: lines up to it are not written again.
    private(set) var lastLoggedStep: Int

    /// Opens `path` for appending (creating it). With `resumingAt`, reads the log's last step so
    /// the steps replayed since the checkpoint are not logged twice; a torn last line (a full
    /// disk, a kill) is ended with a newline first.
    init(path: String, resumingAt iteration: Int) throws {
        self.path = path
        var st = stat()
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
            throw TunegenError("cannot use '\(path)' as the log: it is \(OutputFile.kind(of: st.st_mode)), not a regular file")
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TunegenError("cannot open the log file '\(path)': \(OutputFile.describe(errno))") }
        self.fd = fd
        lastLoggedStep = 0
        let tail = Self.tail(of: path)
        if let last = tail.last, last != 0x0A { _ = FileDescriptor.writeAll(fd, [0x0A]) }
        if iteration > 0 { lastLoggedStep = Self.lastStep(in: tail) }
    }

    deinit { close(fd) }

    /// Appends `line` (which must not end in a newline) for `step`, unless that step is already
    /// logged. Throws a TunegenError when the write fails.
    func append(_ line: String, step: Int) throws {
        guard step > lastLoggedStep else { return }
        if let code = FileDescriptor.writeAll(fd, Array((line + "\n").utf8)) {
            throw TunegenError("cannot write the log '\(path)': \(OutputFile.describe(code))")
        }
    }

    /// The last 64 KiB of the file (enough for hundreds of lines).
    static func tail(of path: String) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd() else { return [] }
        try? handle.seek(toOffset: end > 65_536 ? end - 65_536 : 0)
        return (try? handle.readToEnd()).map { Array($0) } ?? []
    }

    /// The largest "step" among the complete JSON lines of `tail`.
    static func lastStep(in tail: [UInt8]) -> Int {
        var best = 0
        for line in tail.split(separator: 0x0A) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let step = object["step"] as? Int else { continue }
            best = max(best, step)
        }
        return best
    }
}
