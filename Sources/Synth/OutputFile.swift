// OutputFile: the write-then-rename of AtomicFile for other modules' output (sheet music, the
// tunebook page): a complete, fsynced temporary file beside the target, renamed onto it.

import Foundation

public enum OutputFile {
    /// Checks that `url` can be a new or replaced regular file (its folder exists, it is no folder).
    public static func check(_ url: URL) throws { try AtomicFile.checkTarget(url) }

    /// Writes `data` to `url` atomically; on failure no partial file is left and an older file stays.
    /// Throws OutputFileError.
    public static func write(_ data: Data, to url: URL) throws {
        try AtomicFile.replace(url) { try AtomicFile.writeData(data, toNewFile: $0) }
    }
}
