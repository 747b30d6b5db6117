// Checkpoint+File: reading a checkpoint from disk, and writing it through FileOutput, so a crash
// or a full disk mid-write leaves the previous checkpoint intact.

import FileOutput
import Foundation
import Glibc

extension Checkpoint {
    /// Reads and validates a checkpoint. Throws `CheckpointError` naming the file and the problem.
    /// Cost: reads the whole file once, then one copy per tensor.
    public static func read(from url: URL) throws -> Checkpoint {
        let bytes = try readRegularFile(url)
        do {
            return try Checkpoint(parsing: bytes)
        } catch var e as CheckpointError {
            e.file = url.path
            throw e
        }
    }

    /// The whole file, refusing anything but a regular file (a FIFO or /dev/zero would never
    /// end). Read with read(2), not mapped: a mapped file truncated by someone else mid-read
    /// would crash us with SIGBUS.
    static func readRegularFile(_ url: URL) throws -> [UInt8] {
        func failure(_ what: String, _ code: Int32) -> CheckpointError {
            CheckpointError(file: url.path, "cannot read the file: \(what)\(code == 0 ? "" : ": " + String(cString: strerror(code)))",
                            hint: "check the path and its permissions")
        }
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open failed", errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw failure("fstat failed", errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw failure("not a regular file", 0) }
        let size = Int(st.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        let code: Int32? = bytes.withUnsafeMutableBytes { raw -> Int32? in
            while done < size {
                let n = Glibc.read(fd, raw.baseAddress! + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if n == 0 { break } // shrank while we read: parse what we have
                done += n
            }
            return nil
        }
        if let code { throw failure("read failed", code) }
        return Array(bytes[..<done])
    }

    /// Parses and validates a checkpoint's bytes; every problem is a `CheckpointError`.
    public init(parsing bytes: [UInt8]) throws {
        do {
            self = try Checkpoint(validating: SafeTensorsFile(parsing: bytes))
        } catch let e as SafeTensorsError {
            throw CheckpointError(e.message, hint: e.hint)
        }
    }

    /// Writes the checkpoint to `url` atomically (FileOutput: temp file, fsync, rename, fsync the
    /// folder). On failure, any file previously at `url` is untouched and no temporary file is left.
    public func write(to url: URL) throws {
        do {
            try OutputFile.write(serialized(), to: url)
        } catch let e as OutputFileError {
            throw CheckpointError(e.description, hint: "check that the folder exists, is writable and has free space")
        }
    }
}
