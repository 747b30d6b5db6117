// Output: every byte tunegen prints goes through here, so a lost write (a full disk, a closed
// stream, /dev/full) is a TunegenError and a non-zero exit, never a crash (FileHandle.write traps)
// and never a silent success (print's stdio buffer hides errors).
import FileOutput
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum Output {
    /// Standard descriptors found closed at start-up; they were pointed at /dev/null so files we
    /// open never take their numbers, and writing to them is reported as an error.
    nonisolated(unsafe) static var closedAtStart: Set<Int32> = []

    /// Call first thing in `main`: reopens closed standard descriptors on /dev/null (remembering
    /// which), and ignores SIGXFSZ so a file-size limit is a write error (EFBIG), not a kill.
    /// The closed set travels in TUNEGEN_CLOSED_STDIO across tunegen's one re-execution (see
    /// OpenBLASCore), which would otherwise inherit the /dev/null stand-ins as if they were real.
    public static func prepareProcess() {
        let variable = "TUNEGEN_CLOSED_STDIO"
        if let inherited = ProcessInfo.processInfo.environment[variable] {
            closedAtStart = Set(inherited.split(separator: ",").compactMap { Int32($0) }.filter { (0 ... 2).contains($0) })
        }
        for fd: Int32 in 0 ... 2 where fcntl(fd, F_GETFD) == -1 {
            let null = open("/dev/null", O_RDWR)
            if null >= 0, null != fd { dup2(null, fd); close(null) }
            closedAtStart.insert(fd)
        }
        if closedAtStart.isEmpty { unsetenv(variable) } else { setenv(variable, closedAtStart.sorted().map(String.init).joined(separator: ","), 1) }
        signal(SIGXFSZ, SIG_IGN)
    }

    /// Writes `text` to standard output. Throws a TunegenError when it cannot be written.
    public static func stdout(_ text: String) throws {
        try write(text, to: STDOUT_FILENO, name: "standard output")
    }

    /// Writes raw `bytes` (not necessarily UTF-8) to standard output.
    public static func stdout(bytes: [UInt8]) throws {
        try write(bytes, to: STDOUT_FILENO, name: "standard output")
    }

    /// Writes `text` to standard error. Throws a TunegenError when it cannot be written.
    public static func stderr(_ text: String) throws {
        try write(text, to: STDERR_FILENO, name: "standard error")
    }

    /// Writes to standard error when it can; for the last words of a failing process, where
    /// there is nowhere left to report a failure.
    public static func stderrIfPossible(_ text: String) {
        _ = try? stderr(text)
    }

    static func write(_ text: String, to fd: Int32, name: String) throws {
        try write(Array(text.utf8), to: fd, name: name)
    }

    static func write(_ bytes: [UInt8], to fd: Int32, name: String) throws {
        guard !closedAtStart.contains(fd) else {
            throw TunegenError("cannot write to \(name): it is closed")
        }
        if let code = FileDescriptor.writeAll(fd, bytes) {
            throw TunegenError("cannot write to \(name): \(OutputFile.describe(code)); the output is incomplete")
        }
    }
}
