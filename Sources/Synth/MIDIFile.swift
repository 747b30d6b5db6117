// MIDIFile: Score -> Standard MIDI File (type 1) and a small reader for checking what was written.
// Track 0 holds the tempo map (and the tune's title if given); one track per voice follows with
// its name, a program change and its notes. Beats become ticks by rounding at `ppq`.

import ABCNotation
import FileOutput
import Foundation

/// Why MIDI data could not be written or read.
public enum MIDIFileError: Error, Equatable, CustomStringConvertible {
    case invalidScore(String)
    case invalidArgument(String)
    case malformed(offset: Int, reason: String)
    case output(OutputFileError)

    public var description: String {
        switch self {
        case .invalidScore(let why): "cannot write MIDI: \(why)"
        case .invalidArgument(let why): "cannot write MIDI: \(why)"
        case .malformed(let o, let why): "not a readable MIDI file (byte \(o)): \(why)"
        case .output(let e): e.description
        }
    }
}

/// Standard MIDI File writing and reading.
public enum MIDIFile {
    /// One note read back from a file.
    public struct Note: Sendable, Equatable, Hashable {
        /// Track index (0 is the tempo track; voice k is track k + 1 in files this module writes).
        public var track: Int
        public var channel: Int
        public var pitch: Int
        public var onTick: Int
        public var offTick: Int
        public var velocity: Int
    }

    /// A tempo meta event read back: tick and microseconds per quarter note.
    public struct Tempo: Sendable, Equatable {
        public var tick: Int
        public var microsecondsPerQuarter: Int
        public var quarterNotesPerMinute: Double { 60_000_000 / Double(microsecondsPerQuarter) }
    }

    /// What `parse` finds in a file.
    public struct Contents: Sendable, Equatable {
        public var format: Int
        public var ppq: Int
        public var trackCount: Int
        public var notes: [Note]
        public var tempos: [Tempo]
        /// Track name per track (nil when absent).
        public var trackNames: [String?]
        /// (track, channel, program) for each program change.
        public var programs: [[Int]]
    }

    /// MIDI channel for voice `index`: 0…15 in turn, skipping channel 10 (index 9, drums).
    public static func channel(forVoice index: Int) -> Int {
        let k = index % 15
        return k < 9 ? k : k + 1
    }

    /// Ticks for `beats` at `ppq`: rounded to the nearest tick (a triplet eighth at 480 ppq is
    /// exactly 160; at a ppq not divisible by 3 tuplets are off by under half a tick, never drifting
    /// because onsets and ends are each rounded from beats, not accumulated).
    public static func ticks(_ beats: Double, ppq: Int) -> Int { Int((beats * Double(ppq)).rounded()) }

    /// The Standard MIDI File (type 1) for `score`: track 0 with a tempo event per tempo change,
    /// then one track per voice with a track name (the voice's name, else "Voice <id>"), a program
    /// change to `program` (0-based General MIDI, default the plucked instrument's 25) and note
    /// on/off pairs. Every note lasts at least one tick. Ornaments and grace notes are not written.
    /// Throws for unplayable notes (same rules and default `RenderLimits` as `Synthesizer`, so at
    /// most 30 minutes), a ppq outside 24…32767, a program outside 0…127, or a score longer than
    /// 2^28 − 1 ticks.
    public static func data(for score: Score, program: Int = Instrument.plucked.midiProgram, ppq: Int = 480) throws -> Data {
        guard (24...32767).contains(ppq) else { throw MIDIFileError.invalidArgument("ppq \(ppq) is outside 24…32767") }
        guard (0...127).contains(program) else { throw MIDIFileError.invalidArgument("program \(program) is outside 0…127") }
        var ignored: [String] = []
        do {
            _ = try Synthesizer.validate(score, limits: RenderLimits(), warnings: &ignored)
        } catch let e as RenderError {
            throw MIDIFileError.invalidScore(e.description)
        }
        guard score.voices.count <= 65_534 else { throw MIDIFileError.invalidScore("too many voices") }
        let lastBeat = score.voices.flatMap(\.notes).map(\.end).max() ?? 0
        let lastTick = ticks(max(lastBeat, score.tempos.map(\.onset).max() ?? 0), ppq: ppq)
        guard lastTick <= 0x0FFF_FFFF else {
            throw MIDIFileError.invalidScore("the score is \(lastTick) ticks long, more than a MIDI delta time can hold; use a smaller ppq")
        }

        var file = Data("MThd".utf8)
        appendUInt32(&file, 6)
        appendUInt16(&file, 1)
        appendUInt16(&file, score.voices.count + 1)
        appendUInt16(&file, ppq)

        // Track 0: tempo map.
        var events: [(tick: Int, order: Int, bytes: [UInt8])] = []
        for t in score.tempos {
            let us = min(0xFF_FFFF, max(1, Int((60_000_000 / t.quarterNotesPerMinute).rounded())))
            events.append((ticks(t.onset, ppq: ppq), 0, [0xFF, 0x51, 0x03, UInt8(us >> 16), UInt8((us >> 8) & 0xFF), UInt8(us & 0xFF)]))
        }
        appendTrack(&file, events: events, name: nil)

        for (v, voice) in score.voices.enumerated() {
            let ch = UInt8(channel(forVoice: v))
            events = [(0, 0, [0xC0 | ch, UInt8(program)])]
            for n in voice.notes where n.duration > 0 {
                let on = ticks(n.onset, ppq: ppq)
                let off = max(on + 1, ticks(n.onset + n.duration, ppq: ppq))
                let vel = UInt8(min(127, max(1, n.velocity)))
                events.append((on, 2, [0x90 | ch, UInt8(n.pitch), vel]))
                events.append((off, 1, [0x80 | ch, UInt8(n.pitch), 0x40]))   // offs before ons at a tick
            }
            appendTrack(&file, events: events, name: voice.name ?? "Voice \(voice.id)")
        }
        return file
    }

    /// Writes `data(for:program:ppq:)` to `url` atomically (temporary file beside it, then rename);
    /// on failure no partial file remains and an existing file is left intact.
    /// Checks, before any work, that `url` can be written: its folder exists and it is not a folder.
    public static func checkDestination(_ url: URL) throws {
        do { try OutputFile.checkTarget(url) } catch let e as OutputFileError { throw MIDIFileError.output(e) }
    }

    public static func write(_ score: Score, to url: URL, program: Int = Instrument.plucked.midiProgram, ppq: Int = 480) throws {
        let bytes = try data(for: score, program: program, ppq: ppq)
        do {
            try OutputFile.write(Array(bytes), to: url)
        } catch let e as OutputFileError {
            throw MIDIFileError.output(e)
        }
    }

    // MARK: Encoding

    /// Variable-length quantity: 7 bits a byte, most significant first, high bit set on all but the last.
    static func vlq(_ value: Int) -> [UInt8] {
        precondition(value >= 0 && value <= 0x0FFF_FFFF, "VLQ out of range")
        var v = value
        var bytes = [UInt8(v & 0x7F)]
        v >>= 7
        while v > 0 {
            bytes.insert(UInt8(v & 0x7F) | 0x80, at: 0)
            v >>= 7
        }
        return bytes
    }

    private static func appendUInt32(_ d: inout Data, _ v: Int) {
        d.append(contentsOf: [UInt8((v >> 24) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)])
    }

    private static func appendUInt16(_ d: inout Data, _ v: Int) {
        d.append(contentsOf: [UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)])
    }

    private static func appendTrack(_ file: inout Data, events: [(tick: Int, order: Int, bytes: [UInt8])], name: String?) {
        var body: [UInt8] = []
        if let name {
            let text = Array(name.utf8.prefix(0xFFFF))
            body += [0x00, 0xFF, 0x03] + vlq(text.count) + text
        }
        let sorted = events.enumerated().sorted {
            ($0.element.tick, $0.element.order, $0.offset) < ($1.element.tick, $1.element.order, $1.offset)
        }
        var last = 0
        for (_, e) in sorted {
            body += vlq(e.tick - last)
            body += e.bytes
            last = e.tick
        }
        body += [0x00, 0xFF, 0x2F, 0x00]
        file.append(contentsOf: Array("MTrk".utf8))
        appendUInt32(&file, body.count)
        file.append(contentsOf: body)
    }

    // MARK: Reading

    /// Reads notes, tempos, track names and programs from a Standard MIDI File (type 0 or 1).
    /// Handles running status, note-on with velocity 0 as note-off, meta and sysex events.
    /// Notes still on at the end of their track are dropped. Throws on truncated or malformed data.
    public static func parse(_ data: Data) throws -> Contents {
        var r = ByteReader(bytes: [UInt8](data))
        let (format, trackCount, division) = try readHeader(&r)
        var found = Found()
        for track in 0..<trackCount {
            try readTrack(track, from: &r, into: &found)
        }
        return Contents(format: format, ppq: division, trackCount: trackCount, notes: found.notes, tempos: found.tempos,
                        trackNames: found.names, programs: found.programs)
    }

    /// A cursor over a file's bytes: every read is bounds-checked and throws `malformed` with the
    /// offset reached, never traps.
    struct ByteReader {
        let bytes: [UInt8]
        var pos = 0

        func need(_ n: Int) throws {
            guard n >= 0, pos + n <= bytes.count else { throw MIDIFileError.malformed(offset: pos, reason: "unexpected end of data") }
        }
        mutating func u8() throws -> Int { try need(1); defer { pos += 1 }; return Int(bytes[pos]) }
        mutating func u16() throws -> Int { try (u8() << 8) | u8() }
        mutating func u32() throws -> Int { try (u16() << 16) | u16() }
        /// Variable-length quantity: at most 4 bytes of 7 bits, high bit set on all but the last.
        mutating func vlq() throws -> Int {
            var v = 0
            for _ in 0..<4 {
                let c = try u8()
                v = (v << 7) | (c & 0x7F)
                if c & 0x80 == 0 { return v }
            }
            throw MIDIFileError.malformed(offset: pos, reason: "variable-length quantity longer than 4 bytes")
        }
        /// The next `n` bytes (checked), consumed.
        mutating func take(_ n: Int) throws -> [UInt8] {
            try need(n)
            defer { pos += n }
            return Array(bytes[pos..<pos + n])
        }
        /// Whether the 4 bytes at `pos` spell `tag` (the caller has checked they exist).
        func at(_ tag: String) -> Bool { bytes[pos..<pos + 4].elementsEqual(tag.utf8) }
    }

    /// What the tracks read so far hold, in file order.
    struct Found {
        var notes: [Note] = []
        var tempos: [Tempo] = []
        var names: [String?] = []
        var programs: [[Int]] = []
    }

    /// The MThd chunk: format, track count and division (ticks a quarter note); leaves the reader
    /// at the first track.
    static func readHeader(_ r: inout ByteReader) throws -> (format: Int, trackCount: Int, division: Int) {
        try r.need(14)
        guard r.at("MThd") else { throw MIDIFileError.malformed(offset: 0, reason: "no MThd header") }
        r.pos = 4
        let headerLength = try r.u32()
        guard headerLength >= 6 else { throw MIDIFileError.malformed(offset: 4, reason: "header length \(headerLength)") }
        let format = try r.u16(), trackCount = try r.u16(), division = try r.u16()
        guard division & 0x8000 == 0, division > 0 else { throw MIDIFileError.malformed(offset: 12, reason: "SMPTE or zero division not supported") }
        r.pos = 8 + headerLength
        return (format, trackCount, division)
    }

    /// One MTrk chunk: its events in order, with running status. Meta and sysex events cancel the
    /// running status; an end-of-track meta event skips to the chunk's end.
    static func readTrack(_ track: Int, from r: inout ByteReader, into found: inout Found) throws {
        try r.need(8)
        guard r.at("MTrk") else { throw MIDIFileError.malformed(offset: r.pos, reason: "no MTrk chunk") }
        r.pos += 4
        let length = try r.u32()
        try r.need(length)
        let end = r.pos + length
        var state = TrackState(track: track)
        while r.pos < end {
            state.tick += try r.vlq()
            var first = try r.u8()
            if first & 0x80 != 0 {
                state.status = first
                if state.status < 0xF0 { first = try r.u8() }
            } else {
                guard state.status != 0, state.status < 0xF0 else { throw MIDIFileError.malformed(offset: r.pos - 1, reason: "data byte without status") }
            }
            switch state.status {
            case 0xFF:
                try readMeta(from: &r, trackEnd: end, state: &state, into: &found)
                state.status = 0
            case 0xF0, 0xF7:
                let len = try r.vlq()
                try r.need(len)
                r.pos += len
                state.status = 0
            case 0xF1...0xFE:
                throw MIDIFileError.malformed(offset: r.pos - 1, reason: "system message \(state.status) in a track")
            default:
                try readChannelMessage(first: first, from: &r, state: &state, into: &found)
            }
        }
        guard r.pos == end else { throw MIDIFileError.malformed(offset: r.pos, reason: "event runs past the end of its track") }
        found.names.append(state.name)
    }

    /// Where a track's reading stands: the tick, the running status, the notes sounding (by
    /// channel × 128 + pitch, oldest first) and the track's name.
    struct TrackState {
        let track: Int
        var tick = 0
        var status = 0
        var open: [Int: [(tick: Int, velocity: Int)]] = [:]
        var name: String?
    }

    /// A meta event (status 0xFF already read): tempo (0x51) and track name (0x03) are kept.
    static func readMeta(from r: inout ByteReader, trackEnd end: Int, state: inout TrackState, into found: inout Found) throws {
        let type = try r.u8(), len = try r.vlq()
        let payload = try r.take(len)
        if type == 0x51, len == 3 {
            found.tempos.append(Tempo(tick: state.tick, microsecondsPerQuarter: Int(payload[0]) << 16 | Int(payload[1]) << 8 | Int(payload[2])))
        } else if type == 0x03 {
            state.name = String(decoding: payload, as: UTF8.self)
        } else if type == 0x2F {
            r.pos = end
        }
    }

    /// A channel message whose first data byte is `first`: program changes are kept, note-ons
    /// open a note, note-offs (or note-ons of velocity 0) close the oldest open one of that
    /// pitch and channel; other messages are skipped.
    static func readChannelMessage(first: Int, from r: inout ByteReader, state: inout TrackState, into found: inout Found) throws {
        let kind = state.status & 0xF0, ch = state.status & 0x0F
        let d1 = first & 0x7F
        if kind == 0xC0 || kind == 0xD0 {
            if kind == 0xC0 { found.programs.append([state.track, ch, d1]) }
            return
        }
        let d2 = try r.u8() & 0x7F
        let key = ch * 128 + d1
        if kind == 0x90 && d2 > 0 {
            state.open[key, default: []].append((state.tick, d2))
        } else if kind == 0x80 || kind == 0x90 {
            if var list = state.open[key], !list.isEmpty {
                let on = list.removeFirst()
                state.open[key] = list
                found.notes.append(Note(track: state.track, channel: ch, pitch: d1, onTick: on.tick, offTick: state.tick, velocity: on.velocity))
            }
        }
    }

    /// The notes of `data` as (track, channel, pitch, onTick, offTick, velocity), in file order of
    /// their note-offs. See `parse` for tempos and names.
    public static func parseNotes(_ data: Data) throws -> [Note] { try parse(data).notes }
}
