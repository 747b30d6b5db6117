// ABCInput: reads ABC files (or standard input for "-") as bytes, so invalid UTF-8 reaches the
// parser as diagnostics instead of failing the read, and finds the .abc files in folders.
import ABCNotation
import FileOutput
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum ABCInput {
    /// The largest ABC input read (64 MB, about 40 times the largest public tune collections):
    /// a bigger file, or standard input that goes on longer (/dev/zero), is refused, so memory
    /// stays bounded whatever is given.
    public static let maxInputBytes = 64 << 20

    /// Bytes of `path`, or of standard input for "-". Throws a TunegenError naming the file:
    /// missing, a folder, a device or FIFO (pipe it to standard input instead), unreadable, or
    /// larger than `maxInputBytes`.
    public static func read(_ path: String) throws -> [UInt8] {
        if path == "-" { return try readLimited(fd: STDIN_FILENO, name: "standard input") }
        var st = stat()
        guard stat(path, &st) == 0 else {
            let code = errno
            if code == ENOENT { throw TunegenError("cannot read '\(path)': no such file") }
            throw TunegenError("cannot read '\(path)': \(String(cString: strerror(code)))")
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw TunegenError("cannot read '\(path)': it is a directory")
        default:
            throw TunegenError("cannot read '\(path)': it is \(OutputFile.kind(of: st.st_mode)), not a regular file; "
                + "to read a stream, pipe it to standard input and give '-' (at most \(maxInputBytes >> 20) MB is read)")
        }
        guard Int(st.st_size) <= maxInputBytes else {
            throw TunegenError("cannot read '\(path)': it is \(st.st_size) bytes, more than the \(maxInputBytes >> 20) MB limit for ABC input")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw TunegenError("cannot read '\(path)': \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        return try readLimited(fd: fd, name: "'\(path)'")
    }

    /// Reads `fd` to its end, refusing more than `maxInputBytes`.
    static func readLimited(fd: Int32, name: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TunegenError("cannot read \(name): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return bytes }
            guard bytes.count + n <= maxInputBytes else {
                throw TunegenError("cannot read \(name): more than the \(maxInputBytes >> 20) MB limit for ABC input")
            }
            bytes += chunk[..<n]
        }
    }

    /// Parses `path` ("-" is shown as "<stdin>" in diagnostics).
    public static func parse(_ path: String) throws -> ABCFile {
        ABCParser.parse(bytes: try read(path), fileName: path == "-" ? "<stdin>" : path)
    }

    /// The `.abc` files named by `paths`: files as given, folders searched recursively (sorted).
    public static func abcFiles(_ paths: [String]) throws -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw TunegenError("cannot read '\(path)': no such file or folder")
            }
            if !isDirectory.boolValue { out.append(path); continue }
            guard let walker = fm.enumerator(atPath: path) else { throw TunegenError("cannot list folder '\(path)'") }
            var found: [String] = []
            for case let name as String in walker where name.lowercased().hasSuffix(".abc") {
                found.append((path as NSString).appendingPathComponent(name))
            }
            if found.isEmpty { throw TunegenError("folder '\(path)' has no .abc files") }
            out += found.sorted()
        }
        return out
    }
}
