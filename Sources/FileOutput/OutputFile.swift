// OutputFile: the one way tunegen writes a file. The payload goes to a temporary file beside the
// target, named `.NAME.tunegen-tmp-PID-RANDOM`; it is fsynced, renamed over the target, and the
// folder is fsynced so the rename survives a power cut. A failed write leaves the previous file
// intact and no temporary file. A process killed mid-write cannot clean up, so every write first
// removes temporary files of this naming in its folder whose process is gone. Devices, FIFOs and
// sockets are never replaced: tunegen refuses them with a message (it writes regular files only).

#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Why an output path cannot be written. Messages are for users.
public enum OutputFileError: Error, Equatable, CustomStringConvertible {
    case notAFileURL(String)
    case directoryMissing(String)
    case notADirectory(String)
    case isADirectory(String)
    /// The target exists and is a device, FIFO or socket (`kind` says which).
    case notARegularFile(path: String, kind: String)
    case system(path: String, operation: String, message: String)

    public var description: String {
        switch self {
        case .notAFileURL(let u): "\(u): not a file path"
        case .directoryMissing(let d): "\(d): directory does not exist (create it first)"
        case .notADirectory(let d): "\(d): is not a directory"
        case .isADirectory(let p): "\(p): is a directory; give a file name"
        case .notARegularFile(let p, let kind):
            "\(p): is \(kind); tunegen writes regular files only and never replaces a device, FIFO or socket (give a file path)"
        case .system(let p, let op, let m): "\(p): \(op) failed: \(m)"
        }
    }
}

public enum OutputFile {
    /// The marker in every temporary file name tunegen makes (`.NAME.tunegen-tmp-PID-RANDOM`).
    public static let temporaryMarker = ".tunegen-tmp-"

    /// Checks that `url` can be a new or replaced regular file: a file URL, its folder exists and
    /// is a folder, and the target, if it exists, is a regular file (or a link to one). Returns
    /// the path to replace: the target itself, or the file a symbolic link points to.
    @discardableResult
    public static func checkTarget(_ url: URL) throws -> String {
        guard url.isFileURL else { throw OutputFileError.notAFileURL(url.absoluteString) }
        var path = url.path
        var st = stat()
        if stat(path, &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFDIR: throw OutputFileError.isADirectory(path)
            default: throw OutputFileError.notARegularFile(path: path, kind: kind(of: st.st_mode))
            }
            var lst = stat()
            if lstat(path, &lst) == 0, (lst.st_mode & S_IFMT) == S_IFLNK, let real = realpath(path, nil) {
                path = String(cString: real)
                free(real)
            }
        }
        let dir = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        guard stat(dir, &st) == 0 else {
            if errno == ENOTDIR { throw OutputFileError.notADirectory(firstNonFolder(in: dir) ?? dir) }
            throw OutputFileError.directoryMissing(dir)
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw OutputFileError.notADirectory(dir) }
        return path
    }

    /// Replaces `url` with what `body` writes to the temporary path it is given (see the file
    /// comment). On any error the temporary file is deleted and the error rethrown; the previous
    /// file at `url`, if any, is untouched.
    public static func replace(_ url: URL, write body: (String) throws -> Void) throws {
        let path = try checkTarget(url)
        let dir = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        removeStaleTemporaries(in: dir)
        let name = String((path as NSString).lastPathComponent.prefix(120))
        let temp = dir + "/." + name + temporaryMarker + "\(getpid())-\(UInt32.random(in: 0 ... .max))"
        do {
            try body(temp)
            try fsyncPath(temp)
            guard rename(temp, path) == 0 else {
                throw OutputFileError.system(path: url.path, operation: "rename", message: errnoText())
            }
        } catch {
            unlink(temp)
            throw error
        }
        // Make the rename durable; a folder that cannot be fsynced (some file systems) is not an error.
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }

    /// Checks `url` as `checkTarget` does (for callers that check before any work).
    public static func check(_ url: URL) throws { try checkTarget(url) }

    /// Replaces `url` with `data` (see `replace`).
    public static func write(_ data: Data, to url: URL) throws {
        try write(Array(data), to: url)
    }

    /// Replaces `url` with `bytes` (see `replace`).
    public static func write(_ bytes: [UInt8], to url: URL) throws {
        try replace(url) { temp in try writeNewFile(temp, bytes: bytes, shownAs: url.path) }
    }

    /// Replaces `url` with `text` as UTF-8 (see `replace`).
    public static func write(_ text: String, to url: URL) throws {
        try write(Array(text.utf8), to: url)
    }

    /// Creates `path` (and its parents) as a folder, or accepts an existing folder. A clear error
    /// when something in the way is a file, or the folder cannot be made.
    public static func makeFolder(_ path: String) throws {
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw OutputFileError.notADirectory(path) }
            return
        }
        if let blocker = firstNonFolder(in: path) { throw OutputFileError.notADirectory(blocker) }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            let code = errno
            var again = stat()
            if stat(path, &again) == 0, (again.st_mode & S_IFMT) == S_IFDIR { return }  // made by someone else meanwhile
            throw OutputFileError.system(path: path, operation: "create folder", message: code == 0 ? "\(error.localizedDescription)" : String(cString: strerror(code)))
        }
    }

    /// Deletes temporary files of tunegen's naming in `dir` whose writing process no longer
    /// exists (killed mid-write). Files of other programs, and those of live processes, are kept.
    /// Returns the names removed.
    @discardableResult
    public static func removeStaleTemporaries(in dir: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(".") {
            guard let pid = writerPID(ofTemporary: name), pid != getpid(), !processExists(pid) else { continue }
            let path = dir + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            if unlink(path) == 0 { removed.append(name) }
        }
        return removed
    }

    /// The pid in a temporary file name of ours: `.NAME.tunegen-tmp-PID-RANDOM`, or the older
    /// `.NAME.tmp-PID-RANDOM` that earlier tunegen versions used. Nil for any other name.
    static func writerPID(ofTemporary name: String) -> pid_t? {
        for marker in [temporaryMarker, ".tmp-"] {
            guard let range = name.range(of: marker, options: .backwards), range.lowerBound > name.index(after: name.startIndex) else { continue }
            let parts = name[range.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
                  let pid = Int32(parts[0]), pid > 0, UInt32(parts[1]) != nil else { continue }
            return pid
        }
        return nil
    }

    static func processExists(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Writes `bytes` to a new file at `path` (which must not exist), checking every write.
    static func writeNewFile(_ path: String, bytes: [UInt8], shownAs: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OutputFileError.system(path: shownAs, operation: "create", message: errnoText()) }
        if let code = FileDescriptor.writeAll(fd, bytes) {
            close(fd)
            throw OutputFileError.system(path: shownAs, operation: "write", message: describe(code))
        }
        guard close(fd) == 0 else { throw OutputFileError.system(path: shownAs, operation: "close", message: errnoText()) }
    }

    private static func fsyncPath(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OutputFileError.system(path: path, operation: "open for fsync", message: errnoText()) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw OutputFileError.system(path: path, operation: "fsync", message: describe(errno)) }
    }

    /// The first existing component of `path` (walking down from the root) that is not a folder.
    static func firstNonFolder(in path: String) -> String? {
        let absolute = path.hasPrefix("/")
        var current = absolute ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            var st = stat()
            guard stat(current, &st) == 0 else { return nil }
            if (st.st_mode & S_IFMT) != S_IFDIR { return absolute ? current : String(current.dropFirst(2)) }
        }
        return nil
    }

    public static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFSOCK: "a socket"
        case S_IFDIR: "a directory"
        default: "not a regular file"
        }
    }

    static func errnoText() -> String { describe(errno) }

    /// strerror, with a hint for the two ways a disk "fills": no space, or a file-size limit.
    public static func describe(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        switch code {
        case ENOSPC: return text + " (the disk is full)"
        case EFBIG: return text + " (a file-size limit was reached, e.g. ulimit -f)"
        case EDQUOT: return text + " (disk quota exceeded)"
        default: return text
        }
    }
}

/// Raw descriptor writes, shared by files and the standard streams.
public enum FileDescriptor {
    /// Writes every byte of `bytes` to `fd`, retrying short writes and EINTR. Returns nil on
    /// success, or the errno of the failure.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { raw -> Int32? in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if n == 0 { return EIO }
                offset += n
            }
            return nil
        }
    }
}
