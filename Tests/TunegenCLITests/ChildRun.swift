// ChildRun: runs the built tunegen (or a shell around it) with chosen standard streams, a time
// limit and a file-size limit, and measures the child's own peak resident memory (wait4's
// rusage, which is per child, unlike getrusage(RUSAGE_CHILDREN)).
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

struct ChildResult {
    var status: Int32          // exit status, or 128 + signal when killed by one
    var signaled: Bool
    var stdout: String
    var stderr: String
    var seconds: Double
    var peakMB: Double
    var timedOut: Bool
}

enum ChildRun {
    /// Where stdout goes: a temporary file (captured), a path (/dev/full), or closed.
    enum Stream { case capture, path(String), closed }

    /// Runs tunegen with `args`. `stdin` is a path (default /dev/null); `fileSizeLimit` (bytes)
    /// is set through a bash wrapper (`ulimit -f`, in KiB); the child is killed after `timeout` s.
    static func run(_ args: [String], stdin: String = "/dev/null", stdout: Stream = .capture, stderr: Stream = .capture,
                    fileSizeLimit: Int? = nil, timeout: Double = 60,
                    onStart: ((pid_t) -> Void)? = nil) throws -> ChildResult {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tunegen-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outPath = dir.appendingPathComponent("out").path, errPath = dir.appendingPathComponent("err").path

        var argv: [String]
        if let limit = fileSizeLimit {
            argv = ["/bin/bash", "-c", "ulimit -f \(max(1, limit / 1024)); exec \"$0\" \"$@\"", TunegenProcess.executable.path] + args
        } else {
            argv = [TunegenProcess.executable.path] + args
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        for (fd, stream, capture) in [(Int32(1), stdout, outPath), (Int32(2), stderr, errPath)] {
            switch stream {
            case .capture: posix_spawn_file_actions_addopen(&actions, fd, capture, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            case .path(let p): posix_spawn_file_actions_addopen(&actions, fd, p, O_WRONLY, 0)
            case .closed: posix_spawn_file_actions_addclose(&actions, fd)
            }
        }
        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let start = Date()
        let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        guard rc == 0 else { throw NSError(domain: "ChildRun", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "posix_spawn failed"]) }
        onStart?(pid)
        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        while true {
            let r = wait4(pid, &status, WNOHANG, &usage)
            if r == pid { break }
            if r < 0 && errno != EINTR { break }
            if Date().timeIntervalSince(start) > timeout && !timedOut {
                timedOut = true
                kill(pid, SIGKILL)
            }
            usleep(5_000)
        }
        let seconds = Date().timeIntervalSince(start)
        let signaled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
        let code = signaled ? 128 + (status & 0x7f) : (status >> 8) & 0xff
        let read = { (p: String) in (try? String(contentsOfFile: p, encoding: .utf8)) ?? "" }
        return ChildResult(status: code, signaled: signaled, stdout: read(outPath), stderr: read(errPath), seconds: seconds,
                           peakMB: Double(usage.ru_maxrss) / 1024, timedOut: timedOut)
    }
}
