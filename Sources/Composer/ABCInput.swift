// ABCInput: reads ABC files (or standard input for "-") as bytes, so invalid UTF-8 reaches the
// parser as diagnostics instead of failing the read, and finds the .abc files in folders.
import ABCNotation
import Foundation

public enum ABCInput {
    /// Bytes of `path`, or of standard input for "-". Throws a TunegenError naming the file.
    public static func read(_ path: String) throws -> [UInt8] {
        if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TunegenError("cannot read '\(path)': no such file")
        }
        guard !isDirectory.boolValue else { throw TunegenError("cannot read '\(path)': it is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TunegenError("cannot read '\(path)': permission denied or unreadable")
        }
        return Array(data)
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
