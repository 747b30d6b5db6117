// AtomicFile: write-then-rename for output files. The payload goes to a hidden temporary file
// beside the target; only a complete, fsynced file is renamed over the target, so a failed write
// leaves no partial file and an older good file intact. The temporary file is removed on failure.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why an output path cannot be written. Messages are for users.
public enum OutputFileError: Error, Equatable, CustomStringConvertible {
    case notAFileURL(String)
    case directoryMissing(String)
    case notADirectory(String)
    case isADirectory(String)
    case system(path: String, operation: String, message: String)

    public var description: String {
        switch self {
        case .notAFileURL(let u): "\(u): not a file path"
        case .directoryMissing(let d): "\(d): directory does not exist (create it first)"
        case .notADirectory(let d): "\(d): is not a directory"
        case .isADirectory(let p): "\(p): is a directory; give a file name"
        case .system(let p, let op, let m): "\(p): \(op) failed: \(m)"
        }
    }
}

enum AtomicFile {
    /// Checks that `url` can be a new or replaced regular file: a file URL, its directory exists,
    /// the target itself is not a directory.
    static func checkTarget(_ url: URL) throws {
        guard url.isFileURL else { throw OutputFileError.notAFileURL(url.absoluteString) }
        let path = url.path
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw OutputFileError.isADirectory(path)
        }
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) else {
            throw OutputFileError.directoryMissing(dir)
        }
        guard isDir.boolValue else { throw OutputFileError.notADirectory(dir) }
    }

    /// Runs `body` with the path of a fresh temporary file beside `url`, then fsyncs it and
    /// renames it onto `url`. On any error the temporary file is deleted and the error rethrown.
    static func replace(_ url: URL, write body: (String) throws -> Void) throws {
        try checkTarget(url)
        let dir = url.deletingLastPathComponent().path
        let temp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try body(temp)
            try fsyncPath(temp)
            guard rename(temp, url.path) == 0 else {
                throw OutputFileError.system(path: url.path, operation: "rename", message: errnoText())
            }
        } catch {
            unlink(temp)
            throw error
        }
        // Make the rename durable; a directory that cannot be fsynced (some file systems) is not an error.
        let fd = open(dir, O_RDONLY | O_DIRECTORY)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }

    /// Writes `data` to a new file at `path` (which must not exist), checking every write.
    static func writeData(_ data: Data, toNewFile path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw OutputFileError.system(path: path, operation: "create", message: errnoText()) }
        var failure: OutputFileError?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .system(path: path, operation: "write", message: errnoText()); return
                }
                if n == 0 { failure = .system(path: path, operation: "write", message: "no progress"); return }
                offset += n
            }
        }
        if let failure { close(fd); throw failure }
        guard close(fd) == 0 else { throw OutputFileError.system(path: path, operation: "close", message: errnoText()) }
    }

    private static func fsyncPath(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw OutputFileError.system(path: path, operation: "open for fsync", message: errnoText()) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw OutputFileError.system(path: path, operation: "fsync", message: errnoText()) }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
