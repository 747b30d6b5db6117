// AudioFile: AudioBuffer <-> .wav/.flac/.ogg through libsndfile. The only Swift file that imports
// CSndFile: pointers stay inside withUnsafe… closures, every return is checked, and failures
// become AudioFileError carrying sf_strerror's text. Writes go through FileOutput (temp + rename).

import CSndFile
import FileOutput
import Foundation

/// Output file formats, chosen by extension.
public enum AudioFormat: String, CaseIterable, Sendable, Codable {
    /// WAV, 16-bit PCM (`.wav`).
    case wav
    /// FLAC, 16-bit (`.flac`).
    case flac
    /// Ogg Vorbis (`.ogg`, `.oga`), lossy.
    case ogg

    /// Extensions understood by `init(url:)`, lower case, without the dot.
    public static let supportedExtensions = ["wav", "flac", "ogg", "oga"]

    /// The format for `url`'s extension (case-insensitive); throws `AudioFileError.unknownExtension`.
    public init(url: URL) throws {
        switch url.pathExtension.lowercased() {
        case "wav", "wave": self = .wav
        case "flac": self = .flac
        case "ogg", "oga": self = .ogg
        case let ext: throw AudioFileError.unknownExtension(ext)
        }
    }

    /// Integer formats get libsndfile's clipping so out-of-range floats saturate instead of wrapping.
    var isInteger: Bool { self != .ogg }

    var sfFormat: Int32 {
        switch self {
        case .wav: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        case .flac: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
        case .ogg: Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS)
        }
    }
}

/// What libsndfile reports about a file.
public struct AudioFileInfo: Sendable, Equatable {
    public var sampleRate: Int
    public var channels: Int
    public var frames: Int
    /// nil for a container other than WAV/FLAC/Ogg (libsndfile reads many).
    public var format: AudioFormat?
    /// libsndfile's major|minor format code.
    public var formatCode: Int
}

/// Why an audio file could not be written or read. Messages are for users.
public enum AudioFileError: Error, Equatable, CustomStringConvertible {
    case unknownExtension(String)
    case invalidBuffer(String)
    case output(OutputFileError)
    case libsndfile(path: String, operation: String, message: String)
    case tooLarge(path: String, frames: Int)

    public var description: String {
        switch self {
        case .unknownExtension(let ext):
            "\(ext.isEmpty ? "no file extension" : "unknown extension .\(ext)"): use .wav, .flac or .ogg"
        case .invalidBuffer(let why): "cannot write audio: \(why)"
        case .output(let e): e.description
        case .libsndfile(let p, let op, let m): "\(p): \(op) failed: \(m)"
        case .tooLarge(let p, let f): "\(p): \(f) frames is too large to read into memory"
        }
    }
}

/// Reads and writes audio files.
public enum AudioFile {
    /// Most samples `read` will allocate (about 4 hours of 44.1 kHz stereo).
    public static let maxReadSamples = 1 << 30

    /// Checks, before any rendering, that `url` can take an audio file: a known extension (unless
    /// `format` is given), an existing directory, not itself a directory. Returns the format to use.
    @discardableResult
    public static func checkDestination(_ url: URL, format: AudioFormat? = nil) throws -> AudioFormat {
        let format = try format ?? AudioFormat(url: url)
        do { try OutputFile.checkTarget(url) } catch let e as OutputFileError { throw AudioFileError.output(e) }
        return format
    }

    /// Writes `buffer` to `url` in `format` (default: from the extension): WAV and FLAC as 16-bit PCM
    /// with clipping on, Ogg as Vorbis. The file appears complete or not at all: it is written to a
    /// temporary file beside `url`, fsynced and renamed into place; on failure the temporary file is
    /// removed and an existing file at `url` is left untouched.
    /// Throws for an unknown extension, a missing directory, a directory as target, a buffer with a
    /// sample rate outside 8,000…192,000 Hz, other than 1 or 2 channels, or a non-finite sample,
    /// and for any libsndfile failure (short write, disk full, close).
    public static func write(_ buffer: AudioBuffer, to url: URL, format: AudioFormat? = nil) throws {
        let format = try format ?? AudioFormat(url: url)
        guard RenderOptions.sampleRateRange.contains(buffer.sampleRate) else {
            throw AudioFileError.invalidBuffer("sample rate \(buffer.sampleRate) Hz is outside 8000…192000")
        }
        guard buffer.channels == 1 || buffer.channels == 2 else {
            throw AudioFileError.invalidBuffer("\(buffer.channels) channels (1 or 2 are written)")
        }
        if let bad = buffer.samples.firstIndex(where: { !$0.isFinite }) {
            throw AudioFileError.invalidBuffer("sample \(bad) is \(buffer.samples[bad]), not a finite number")
        }
        do {
            try OutputFile.replace(url) { temp in try writeSndfile(buffer, path: temp, shownAs: url.path, format: format) }
        } catch let e as OutputFileError {
            throw AudioFileError.output(e)
        }
    }

    /// Writes through libsndfile to `path`; errors name `shownAs` (the user's target, not the temporary file).
    private static func writeSndfile(_ buffer: AudioBuffer, path: String, shownAs: String, format: AudioFormat) throws {
        var info = SF_INFO()
        info.samplerate = Int32(buffer.sampleRate)
        info.channels = Int32(buffer.channels)
        info.format = format.sfFormat
        guard sf_format_check(&info) == SF_TRUE else {
            throw AudioFileError.libsndfile(path: shownAs, operation: "format check", message: "libsndfile cannot write \(format.rawValue) at \(buffer.sampleRate) Hz, \(buffer.channels) channels")
        }
        guard let file = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw AudioFileError.libsndfile(path: shownAs, operation: "open for writing", message: String(cString: sf_strerror(nil)))
        }
        var open = true
        // On the error paths the file is being abandoned (and deleted); its close status adds nothing.
        defer { if open { _ = sf_close(file) } }
        func failure(_ op: String) -> AudioFileError {
            .libsndfile(path: shownAs, operation: op, message: String(cString: sf_strerror(file)) + systemReason())
        }
        if format.isInteger {
            // Returns the new clipping state.
            guard sf_command(file, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE)) == SF_TRUE else {
                throw failure("enable clipping")
            }
        }
        let channels = buffer.channels
        let frames = buffer.frames
        let chunk = 65_536
        try buffer.samples.withUnsafeBufferPointer { samples in
            var done = 0
            while done < frames {
                let n = min(chunk, frames - done)
                errno = 0
                let written = sf_writef_float(file, samples.baseAddress! + done * channels, sf_count_t(n))
                guard written == sf_count_t(n) else { throw failure("write (\(written) of \(n) frames at frame \(done))") }
                done += n
            }
        }
        errno = 0
        sf_write_sync(file)
        open = false
        let rc = sf_close(file)
        guard rc == 0 else {
            throw AudioFileError.libsndfile(path: shownAs, operation: "close", message: String(cString: sf_error_number(rc)) + systemReason())
        }
    }

    /// libsndfile reports a full disk in some formats (Ogg Vorbis) only as "Unspecified internal
    /// error"; the system's errno from its last write says what happened.
    private static func systemReason() -> String {
        let code = errno
        guard [ENOSPC, EFBIG, EDQUOT, EIO].contains(code) else { return "" }
        return " (system: \(OutputFile.describe(code)))"
    }

    /// Sample rate, channels, frames and format of the file at `url`.
    public static func info(_ url: URL) throws -> AudioFileInfo {
        try withOpenFile(url) { _, info in info }
    }

    /// Reads the whole file at `url` as Float samples (±1 full scale), any format libsndfile reads.
    public static func read(_ url: URL) throws -> AudioBuffer {
        try withOpenFile(url) { file, info in
            let (total, overflow) = info.frames.multipliedReportingOverflow(by: info.channels)
            guard info.frames >= 0, info.channels > 0, !overflow, total <= maxReadSamples else {
                throw AudioFileError.tooLarge(path: url.path, frames: info.frames)
            }
            var samples = [Float](repeating: 0, count: total)
            var done = 0
            samples.withUnsafeMutableBufferPointer { dst in
                while done < info.frames {
                    let got = sf_readf_float(file, dst.baseAddress! + done * info.channels, sf_count_t(info.frames - done))
                    if got <= 0 { break }
                    done += Int(got)
                }
            }
            samples.removeLast((info.frames - done) * info.channels)
            return AudioBuffer(sampleRate: info.sampleRate, channels: info.channels, samples: samples)
        }
    }

    private static func withOpenFile<T>(_ url: URL, _ body: (OpaquePointer, AudioFileInfo) throws -> T) throws -> T {
        var sfinfo = SF_INFO()
        guard let file = sf_open(url.path, Int32(SFM_READ), &sfinfo) else {
            throw AudioFileError.libsndfile(path: url.path, operation: "open for reading", message: String(cString: sf_strerror(nil)))
        }
        // Closing a file opened for reading cannot lose data; its status is not needed.
        defer { _ = sf_close(file) }
        let major = Int(sfinfo.format) & Int(SF_FORMAT_TYPEMASK)
        let format: AudioFormat? = switch major {
        case Int(SF_FORMAT_WAV): .wav
        case Int(SF_FORMAT_FLAC): .flac
        case Int(SF_FORMAT_OGG): .ogg
        default: nil
        }
        let info = AudioFileInfo(sampleRate: Int(sfinfo.samplerate), channels: Int(sfinfo.channels),
                                 frames: Int(sfinfo.frames), format: format, formatCode: Int(sfinfo.format))
        return try body(file, info)
    }
}
