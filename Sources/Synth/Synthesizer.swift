// Synthesizer: a Score's timed note events -> an AudioBuffer. Validates the score against
// RenderLimits before allocating, expands ornaments and grace notes into sounding segments,
// renders each segment with NoteRenderer, pans voices, peak-normalises and guards the level.

import ABCNotation
import Foundation

/// Bounds that keep a render from allocating absurd buffers or running for ever.
/// Checked before the output buffer is allocated.
public struct RenderLimits: Sendable, Equatable, Codable {
    /// Longest score accepted, in seconds of music (the tail comes on top). Default 30 minutes.
    public var maxSeconds: Double = 30 * 60
    /// Most voices (parts) in one score. Default 128.
    public var maxVoices: Int = 128
    /// Most events over all voices: notes, grace notes and chord symbols. Default 200,000.
    public var maxNotes: Int = 200_000
    /// Most segments sounding at one instant (notes, ornament sub-notes, pad tones). Default 128.
    public var maxSimultaneousNotes: Int = 128
    /// Most tempo changes. Default 10,000.
    public var maxTempoChanges: Int = 10_000
    /// Most output samples (frames × channels): 2^28, 1 GiB of Float — 30 minutes of 44.1 or 48 kHz
    /// stereo fit, 30 minutes of 96 kHz stereo do not.
    public var maxSamples: Int = 1 << 28

    public init() {}
}

/// How to render. Defaults: plucked, 44.1 kHz stereo, in a room, no chord pad, ornaments on, seed 0.
public struct RenderOptions: Sendable, Equatable, Codable {
    /// Accepted sample rates (Hz).
    public static let sampleRateRange = 8_000...192_000
    /// Silence after the last note's written end, in which releases ring out: 0.5 s dry.
    public static let tailSeconds = 0.5
    /// The tail in a room, long enough for the reverb to fall by 60 dB: 1.0 s.
    public static let roomTailSeconds = 1.0
    /// Peak level after normalisation: −1 dBFS (10^(−1/20) ≈ 0.891).
    public static let targetPeak: Float = 0.891

    public var instrument: Instrument = .plucked
    /// Frames per second; must lie in `sampleRateRange`.
    public var sampleRate: Int = 44_100
    /// 1 (mono) or 2 (stereo, voices panned lightly).
    public var channels: Int = 2
    /// Add a soft pad (bass + triad) from the voices' chord symbols.
    public var chords: Bool = false
    /// Realise "trill" and "roll" marks and grace notes; when false they are played as plain notes.
    public var ornaments: Bool = true
    /// Seed for the plucked noise bursts and breath noise; same seed and score → same samples.
    public var seed: UInt64 = 0
    /// Place the instruments apart in the stereo field and add a small room (`Room`); false
    /// (`--dry`) is the plain sound: voices panned lightly, no reverb, a 0.5 s tail.
    public var room: Bool = true
    /// The voice played as accompaniment (a plucked guitar/bouzouki whatever `instrument` is,
    /// placed right of the melody); `Performance` adds it.
    public var accompanimentVoiceID: String = Performance.accompanimentVoiceID
    public var limits = RenderLimits()

    /// Seconds of tail after the music: `roomTailSeconds` in a room, else `tailSeconds`.
    public var tail: Double { room ? RenderOptions.roomTailSeconds : RenderOptions.tailSeconds }

    public init(instrument: Instrument = .plucked, sampleRate: Int = 44_100, channels: Int = 2,
                chords: Bool = false, ornaments: Bool = true, seed: UInt64 = 0, room: Bool = true,
                limits: RenderLimits = RenderLimits()) {
        self.room = room
        self.instrument = instrument
        self.sampleRate = sampleRate
        self.channels = channels
        self.chords = chords
        self.ornaments = ornaments
        self.seed = seed
        self.limits = limits
    }
}

/// Why a score or options cannot be rendered. Messages are for users.
public enum RenderError: Error, Equatable, CustomStringConvertible {
    case invalidSampleRate(Int)
    case invalidChannels(Int)
    case invalidNote(voice: String, index: Int, reason: String)
    case invalidTempo(index: Int, reason: String)
    case invalidLength(String)
    case tooLong(seconds: Double, limit: Double)
    case tooManyVoices(count: Int, limit: Int)
    case tooManyNotes(count: Int, limit: Int)
    case tooManyTempoChanges(count: Int, limit: Int)
    case tooManySimultaneousNotes(count: Int, atSeconds: Double, limit: Int)
    case tooManySamples(count: Int, limit: Int)

    public var description: String {
        switch self {
        case .invalidSampleRate(let r):
            "sample rate \(r) Hz is out of range (use \(RenderOptions.sampleRateRange.lowerBound)…\(RenderOptions.sampleRateRange.upperBound))"
        case .invalidChannels(let c): "\(c) channels requested (use 1 for mono or 2 for stereo)"
        case .invalidNote(let v, let i, let why): "voice \(v), note \(i + 1): \(why)"
        case .invalidTempo(let i, let why): "tempo change \(i + 1): \(why)"
        case .invalidLength(let why): "score length: \(why)"
        case .tooLong(let s, let limit):
            "the score lasts \(Self.clock(s)), longer than the limit of \(Self.clock(limit)); shorten it or raise RenderLimits.maxSeconds"
        case .tooManyVoices(let n, let limit): "\(n) voices, more than the limit of \(limit)"
        case .tooManyNotes(let n, let limit): "\(n) notes, more than the limit of \(limit)"
        case .tooManyTempoChanges(let n, let limit): "\(n) tempo changes, more than the limit of \(limit)"
        case .tooManySimultaneousNotes(let n, let t, let limit):
            "\(n) notes sound at once at \(Self.clock(t)), more than the limit of \(limit)"
        case .tooManySamples(let n, let limit):
            "the audio would need \(n) samples, more than the limit of \(limit); use a lower sample rate or mono"
        }
    }

    static func clock(_ s: Double) -> String {
        guard s.isFinite else { return "\(s) s" }
        if s < 60 { return String(format1: s) + " s" }
        let m = Int(s / 60)
        return "\(m / 60 > 0 ? "\(m / 60) h " : "")\(m % 60) min \(Int(s) % 60) s"
    }
}

extension String {
    fileprivate init(format1 x: Double) {
        let r = (x * 10).rounded() / 10
        self = "\(r)"
    }
}

/// The largest |x| of the finite samples it is shown and whether all were finite, 16 at a time:
/// a non-finite sample makes `x · 0` NaN, which one running sum carries to the end, so the check
/// costs one multiply-add per sample and one test per buffer.
struct PeakMeter {
    private var largest = SIMD16<Float>(repeating: 0)
    private var poison = SIMD16<Float>(repeating: 0)
    private var single: Float = 0
    private var singlesFinite = true

    @inline(__always) mutating func add(_ v: SIMD16<Float>) {
        // |v| as one AND of the sign bits, not a compare and a blend.
        let a = unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: SIMD16<Float>.self)
        largest = largest.replacing(with: a, where: a .> largest)
        poison += v * 0
    }

    @inline(__always) mutating func add(_ x: Float) {
        if x.isFinite { single = max(single, abs(x)) } else { singlesFinite = false }
    }

    var reading: (peak: Float, finite: Bool) { (max(largest.max(), single), singlesFinite && poison.sum() == 0) }
}

/// A render: the samples and anything the caller should tell the user.
public struct Rendering: Sendable {
    public var buffer: AudioBuffer
    /// Things adjusted or skipped (clamped velocities, zero-length notes, unreadable chord names,
    /// non-finite samples replaced by 0). Empty for a clean render.
    public var warnings: [String]
    /// Peak before normalisation (for diagnostics).
    public var rawPeak: Float
}

/// Renders scores to audio. Cost: O(total sounding frames) plus one wavetable per pitch used;
/// memory: the output buffer plus a 4096-frame scratch chunk, however long a note is.
///
/// What the events become:
/// - timing: beats → seconds through the score's tempo map (same result as `Score.seconds(atBeat:)`);
///   a note sounds from its onset for its duration, then releases for the instrument's
///   `releaseSeconds` (≤ 0.5 s), overlapping whatever follows; rests are exact silence;
/// - length: the later of `totalBeats` and the last note end, in seconds, + `options.tail`
///   (0.5 s dry, 1 s in a room), rounded to whole frames;
/// - chords and voices are summed; dry, in stereo, voices are spread evenly over ±0.35 (equal-power
///   pan, voice 1 left of centre), the chord pad in the centre; in a room (the default) the melody
///   voices sit over −0.5…−0.1 (one voice at −0.2), the accompaniment voice at +0.45, then `Room`
///   adds early reflections and a diffuse tail that differ between the channels; mono sums everything
///   (in a room, after the reverb);
/// - velocity → amplitude (v/127)^1.5; "staccato" halves the sounding length;
/// - grace notes, "trill" and "roll" are realised (see `segments(for:options:warnings:)`) unless
///   `options.ornaments` is false; other marks are ignored;
/// - chord symbols (`options.chords`): a soft pad of bass (octave 2) + chord tones (octave 3) for the
///   symbol's span; names `ChordName` cannot read are skipped with a warning;
/// - level: the mix is peak-normalised to −1 dBFS (0.891) and clamped there; a non-finite sample is
///   replaced by 0 and reported in `Rendering.warnings`.
public struct Synthesizer: Sendable {
    public var options: RenderOptions

    public init(options: RenderOptions = RenderOptions()) {
        self.options = options
    }

    /// One sounding piece of a note: the note itself, an ornament sub-note, a grace note, a pad tone.
    struct Segment {
        var voice: Int
        var sound: SegmentSound
        var pitch: Int
        var start: Double        // seconds
        var duration: Double     // seconds, > 0
        var level: Float
        var key: UInt64          // noise seed key
    }

    /// Renders `score`: length = the score's end (latest of `totalBeats` and the last note end,
    /// in seconds through the tempo map) + `RenderOptions.tailSeconds`, rounded to whole frames.
    /// Throws `RenderError` for bad options, unplayable notes or a score beyond the limits,
    /// before allocating the output.
    public func render(_ score: Score) throws -> Rendering {
        let o = options
        guard RenderOptions.sampleRateRange.contains(o.sampleRate) else { throw RenderError.invalidSampleRate(o.sampleRate) }
        guard o.channels == 1 || o.channels == 2 else { throw RenderError.invalidChannels(o.channels) }
        var warnings: [String] = []
        let endSeconds = try Self.validate(score, limits: o.limits, warnings: &warnings)
        var segments = Self.segments(for: score, options: o, warnings: &warnings)
        try Self.checkPolyphony(segments, limit: o.limits.maxSimultaneousNotes)

        let rate = Double(o.sampleRate)
        let frames = Int((endSeconds * rate).rounded()) + Int((o.tail * rate).rounded())
        guard frames * o.channels <= o.limits.maxSamples else {
            throw RenderError.tooManySamples(count: frames * o.channels, limit: o.limits.maxSamples)
        }
        // A room is built in stereo even for a mono file (mixed down after it).
        let channels = o.room ? 2 : o.channels

        let place = Placement(positions: Self.positions(score: score, options: o), channels: channels,
                              spaced: o.room && o.channels == 2, rate: rate)

        segments.sort { ($0.start, $0.voice, $0.pitch) < ($1.start, $1.voice, $1.pitch) }
        var renderer = NoteRenderer(sampleRate: o.sampleRate, seed: o.seed)
        // The notes are summed into planar channels in a window of the timeline (`MixWindow`).
        // Segments come in order of their start, so once a segment starts at frame s, nothing
        // later adds to a frame before s: those frames go on at once, while still in cache,
        // through the room (or interleaved) into `out`, which is written once and then levelled.
        let window = MixWindow(channels: channels, capacity: min(frames, 1 << 15))
        var room = o.room ? Room(sampleRate: o.sampleRate) : nil
        var meter = PeakMeter()
        var out = [Float](unsafeUninitializedCapacity: frames * o.channels) { buffer, initialised in
            initialised = 0
            guard let y = buffer.baseAddress else { return }
            var done = 0     // frames [0, done) are final and written to `out`
            func finish(upTo f: Int) {
                guard f > done else { return }
                window.reserve(keep: done, upTo: f)
                let left = window.pointer(channel: 0, frame: done)
                let right = window.pointer(channel: channels - 1, frame: done)
                if room != nil {
                    room!.process(left: left, right: right, count: f - done, into: y + done * o.channels, channels: o.channels)
                } else if channels == 2 {
                    Self.interleave(left, right, count: f - done, into: y + 2 * done, meter: &meter)
                } else {
                    Self.copy(left, count: f - done, into: y + done, meter: &meter)
                }
                done = f
            }
            for seg in segments {
                let startFrame = Int((seg.start * rate).rounded())
                guard startFrame < frames else { continue }
                finish(upTo: startFrame)
                let noteFrames = max(1, Int((seg.duration * rate).rounded()))
                let releaseFrames = Int((seg.sound.releaseSeconds * rate).rounded())
                let (gl, gr) = place.gains(seg.voice)
                let (dl, dr) = place.delays(seg.voice)
                window.reserve(keep: done, upTo: min(frames, startFrame + noteFrames + releaseFrames + max(dl, dr)))
                renderer.render(sound: seg.sound, pitch: seg.pitch, noteFrames: noteFrames,
                                releaseFrames: releaseFrames, level: seg.level, noiseKey: seg.key) { src, offset in
                    let first = startFrame + offset
                    let count = min(src.count, frames - first)
                    guard count > 0, let s = src.baseAddress else { return }
                    if channels == 1 {
                        Self.add(s, count: count, gain: 1, into: window.pointer(channel: 0, frame: first))
                    } else {
                        let cl = min(count, frames - first - dl), cr = min(count, frames - first - dr)
                        if cl > 0 { Self.add(s, count: cl, gain: gl, into: window.pointer(channel: 0, frame: first + dl)) }
                        if cr > 0 { Self.add(s, count: cr, gain: gr, into: window.pointer(channel: 1, frame: first + dr)) }
                    }
                }
            }
            finish(upTo: frames)
            initialised = frames * o.channels
        }
        let measured = room?.reading ?? meter.reading
        let (rawPeak, replaced) = Self.normalise(&out, to: RenderOptions.targetPeak, measured: measured)
        if replaced > 0 { warnings.append("\(replaced) non-finite samples replaced by silence") }
        return Rendering(buffer: AudioBuffer(sampleRate: o.sampleRate, channels: o.channels, samples: out),
                         warnings: warnings, rawPeak: rawPeak)
    }

    /// Where each voice sits in the stereo field: its gains (constant-power pan of its position in
    /// −1…1; voice −1 is the accompaniment, at the centre) and, in a room heard in stereo, the
    /// delay of the far side, as at a spaced pair of microphones: |position| × 0.6 ms (0.12 ms for
    /// the melody at −0.2).
    struct Placement {
        let positions: [Double]
        let channels: Int
        let spaced: Bool
        let rate: Double

        func gains(_ voice: Int) -> (Float, Float) {
            guard channels == 2 else { return (1, 0) }
            let p = voice < 0 ? 0 : positions[voice]
            let angle = (p + 1) * Double.pi / 4
            return (Float(cos(angle)), Float(sin(angle)))
        }

        func delays(_ voice: Int) -> (Int, Int) {
            guard spaced, voice >= 0 else { return (0, 0) }
            let d = Int((abs(positions[voice]) * Synthesizer.spacedPairSeconds * rate).rounded())
            return positions[voice] < 0 ? (0, d) : (d, 0)
        }
    }

    /// dst[i] += gain × src[i] for i in 0..<count (gain 1 adds exactly); nothing when count ≤ 0.
    static func add(_ src: UnsafePointer<Float>, count: Int, gain: Float, into dst: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count { store8(load8(dst + i) + gain * load8(src + i), dst + i); i += 8 }
        while i < count { dst[i] += gain * src[i]; i += 1 }
    }

    /// out[2i] = left[i], out[2i+1] = right[i] for i in 0..<count, each sample shown to `meter`.
    static func interleave(_ left: UnsafePointer<Float>, _ right: UnsafePointer<Float>, count: Int,
                           into out: UnsafeMutablePointer<Float>, meter: inout PeakMeter) {
        var m = meter
        defer { meter = m }
        var i = 0
        while i + 8 <= count {
            var v = SIMD16<Float>()
            v.evenHalf = load8(left + i)
            v.oddHalf = load8(right + i)
            store16(v, out + 2 * i)
            m.add(v)
            i += 8
        }
        while i < count { out[2 * i] = left[i]; out[2 * i + 1] = right[i]; m.add(left[i]); m.add(right[i]); i += 1 }
    }

    /// out[i] = x[i] for i in 0..<count, each sample shown to `meter`.
    static func copy(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>, meter: inout PeakMeter) {
        var m = meter
        defer { meter = m }
        var i = 0
        while i + 16 <= count { let v = load16(x + i); store16(v, out + i); m.add(v); i += 16 }
        while i < count { out[i] = x[i]; m.add(x[i]); i += 1 }
    }

    /// Largest delay between the channels for a voice at the far left or right, seconds.
    static let spacedPairSeconds = 0.0006

    /// Stereo position of each voice, −1 (left) … +1 (right). Dry: spread over ±0.35, one voice
    /// in the centre. In a room: melody voices over −0.5…−0.1 (one at −0.2), the accompaniment
    /// voice at +0.45.
    static func positions(score: Score, options: RenderOptions) -> [Double] {
        let count = score.voices.count
        guard options.room else {
            return (0..<count).map { count < 2 ? 0 : -0.35 + 0.7 * Double($0) / Double(count - 1) }
        }
        let melody = score.voices.indices.filter { score.voices[$0].id != options.accompanimentVoiceID }
        var out = [Double](repeating: 0.45, count: count)
        for (k, v) in melody.enumerated() {
            out[v] = melody.count < 2 ? -0.2 : -0.5 + 0.4 * Double(k) / Double(melody.count - 1)
        }
        return out
    }

    /// Replaces non-finite samples with 0, scales the peak to `target` (silence stays silence),
    /// then clamps to ±target so nothing can wrap when converted to integers.
    /// Returns the peak before scaling and the number of samples replaced.
    /// Cost: one pass finding the peak and whether any sample is non-finite (a second only when
    /// one is; none when `measured`), one pass scaling; 16 samples at a time.
    /// `measured`, when given, is `peakAndFiniteness` of `x` found by the stage that wrote it last
    /// (the room), which saves a pass over the whole buffer.
    static func normalise(_ x: inout [Float], to target: Float, measured: (peak: Float, finite: Bool)? = nil) -> (Float, Int) {
        var replaced = 0
        var (peak, finite) = measured ?? x.withUnsafeBufferPointer(peakAndFiniteness)
        if !finite {
            x.withUnsafeMutableBufferPointer { p in
                for i in p.indices where !p[i].isFinite { p[i] = 0; replaced += 1 }
            }
            peak = x.withUnsafeBufferPointer(peakAndFiniteness).peak
        }
        guard peak > 0 else { return (peak, replaced) }
        let g = target / peak
        x.withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress else { return }
            var i = 0
            while i + 16 <= p.count {
                // min(target, max(-target, v)) lane by lane, with Swift.max/min's choices (a NaN gives −target).
                let v = load16(base + i) * g
                let low = v.replacing(with: -target, where: .!(v .>= -target))
                store16(low.replacing(with: target, where: .!(low .< target)), base + i)
                i += 16
            }
            while i < p.count { p[i] = min(target, max(-target, p[i] * g)); i += 1 }
        }
        return (peak, replaced)
    }

    /// The largest |sample| of the finite samples, and whether all are finite.
    static func peakAndFiniteness(_ p: UnsafeBufferPointer<Float>) -> (peak: Float, finite: Bool) {
        guard let base = p.baseAddress else { return (0, true) }
        var meter = PeakMeter()
        var i = 0
        while i + 16 <= p.count { meter.add(load16(base + i)); i += 16 }
        while i < p.count { meter.add(p[i]); i += 1 }
        return meter.reading
    }

    // MARK: Validation

    /// Checks every number that reaches a loop bound or an allocation; returns the end in seconds.
    static func validate(_ score: Score, limits: RenderLimits, warnings: inout [String]) throws -> Double {
        guard score.voices.count <= limits.maxVoices else {
            throw RenderError.tooManyVoices(count: score.voices.count, limit: limits.maxVoices)
        }
        // Grace notes and chord symbols become segments too, so they count against the same budget.
        let noteCount = score.voices.reduce(0) {
            $0 + $1.notes.count + $1.chordSymbols.count + $1.notes.reduce(0) { $0 + $1.gracePitches.count }
        }
        guard noteCount <= limits.maxNotes else { throw RenderError.tooManyNotes(count: noteCount, limit: limits.maxNotes) }
        guard score.tempos.count <= limits.maxTempoChanges else {
            throw RenderError.tooManyTempoChanges(count: score.tempos.count, limit: limits.maxTempoChanges)
        }
        for (i, t) in score.tempos.enumerated() {
            guard t.onset.isFinite, t.onset >= 0 else { throw RenderError.invalidTempo(index: i, reason: "onset \(t.onset) is not a finite beat ≥ 0") }
            guard t.quarterNotesPerMinute.isFinite, t.quarterNotesPerMinute >= 1, t.quarterNotesPerMinute <= 10_000 else {
                throw RenderError.invalidTempo(index: i, reason: "\(t.quarterNotesPerMinute) quarter notes per minute is not a tempo (use 1…10000)")
            }
        }
        guard score.totalBeats.isFinite, score.totalBeats >= 0 else {
            throw RenderError.invalidLength("totalBeats \(score.totalBeats) is not a finite number ≥ 0")
        }
        var endBeat = score.totalBeats
        for voice in score.voices {
            for (i, n) in voice.notes.enumerated() {
                func bad(_ why: String) -> RenderError { .invalidNote(voice: voice.id, index: i, reason: why) }
                guard (0...127).contains(n.pitch) else { throw bad("pitch \(n.pitch) is outside MIDI 0…127") }
                guard n.onset.isFinite, n.onset >= 0 else { throw bad("onset \(n.onset) is not a finite beat ≥ 0") }
                guard n.duration.isFinite, n.duration >= 0 else { throw bad("duration \(n.duration) is not a finite length ≥ 0") }
                for g in n.gracePitches where !(0...127).contains(g) {
                    throw bad("grace pitch \(g) is outside MIDI 0…127")
                }
                endBeat = max(endBeat, n.onset + n.duration)
            }
            for c in voice.chordSymbols {
                guard c.onset.isFinite, c.onset >= 0, c.duration.isFinite, c.duration >= 0 else {
                    throw RenderError.invalidLength("chord symbol \(c.name) at \(c.onset) has a non-finite or negative time")
                }
            }
        }
        let seconds = score.seconds(atBeat: endBeat)
        guard seconds.isFinite else { throw RenderError.invalidLength("the tempo map gives \(seconds) seconds") }
        guard seconds <= limits.maxSeconds else { throw RenderError.tooLong(seconds: seconds, limit: limits.maxSeconds) }
        return seconds
    }

    /// Refuses a score where more than `limit` segments sound at once. O(n log n).
    static func checkPolyphony(_ segments: [Segment], limit: Int) throws {
        var edges: [(Double, Int)] = []
        edges.reserveCapacity(segments.count * 2)
        for s in segments { edges.append((s.start, 1)); edges.append((s.start + s.duration, -1)) }
        edges.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }   // ends before starts at a tie
        var now = 0
        for (t, d) in edges {
            now += d
            if now > limit { throw RenderError.tooManySimultaneousNotes(count: now, atSeconds: t, limit: limit) }
        }
    }

    // MARK: Events -> segments

    /// Gain for a MIDI velocity: (v/127)^1.5, so dynamics are audible but soft notes not lost.
    static func level(velocity: Int) -> Float {
        let v = Double(min(127, max(1, velocity))) / 127
        return Float(pow(v, 1.5)) * 0.5
    }

    /// Expands notes into sounding segments (seconds), realising ornaments:
    /// - grace notes: each min(50 ms, ¼ of the note / count), taken from the start of the main note;
    /// - "trill": alternates main note and the note a whole tone above, about 14 notes a second,
    ///   ending on the main note;
    /// - "roll" (Irish roll / turn): main, cut a whole tone above, main, tap a semitone below, main;
    ///   cuts and taps ≈ min(60 ms, ⅛ of the note) (the key is not known here, so the neighbours
    ///   are fixed intervals, not diatonic);
    /// - "staccato": sounds for half the written length.
    /// Chord symbols become pad segments when `options.chords` is on.
    static func segments(for score: Score, options: RenderOptions, warnings: inout [String]) -> [Segment] {
        var out: [Segment] = []
        var key: UInt64 = 0
        var tooHigh = 0
        // Above rate / 2.6 a Karplus–Strong loop cannot be tuned (its delay line would be shorter
        // than its filters) and a wavetable would alias: such pitches are skipped.
        let maxFrequency = Double(options.sampleRate) / 2.6
        func add(_ voice: Int, _ sound: SegmentSound, _ pitch: Int, _ start: Double, _ dur: Double, _ level: Float) {
            guard dur > 0 else { return }
            let pitch = min(127, max(0, pitch))
            guard NoteRenderer.frequency(pitch) <= maxFrequency else { tooHigh += 1; return }
            key &+= 1
            out.append(Segment(voice: voice, sound: sound, pitch: pitch, start: start,
                               duration: dur, level: level, key: key))
        }
        let melodySound = SegmentSound.instrument(options.instrument)
        let tempo = TempoMap(score)
        var zeroLength = 0
        var clamped = 0
        for (v, voice) in score.voices.enumerated() {
            let accompaniment = voice.id == options.accompanimentVoiceID
            let sound = accompaniment ? SegmentSound.instrument(.plucked) : melodySound
            for n in voice.notes {
                if !(1...127).contains(n.velocity) { clamped += 1 }
                let level = level(velocity: n.velocity) * (accompaniment ? 0.7 : 1)
                var start = tempo.seconds(atBeat: n.onset)
                var dur = tempo.seconds(atBeat: n.onset + n.duration) - start
                guard dur > 0 else { zeroLength += 1; continue }
                if n.marks.contains("staccato") { dur *= 0.5 }
                guard options.ornaments else { add(v, sound, n.pitch, start, dur, level); continue }
                if !n.gracePitches.isEmpty {
                    let g = min(0.05, dur * 0.25 / Double(n.gracePitches.count))
                    for gp in n.gracePitches { add(v, sound, gp, start, g, level * 0.8); start += g; dur -= g }
                }
                if n.marks.contains("trill") && dur > 0.1 {
                    // Odd, so it starts and ends on the main note; at most 127 alternations.
                    let count = min(127, max(3, Int(dur * 14) | 1))
                    let step = dur / Double(count)
                    for k in 0..<count {
                        add(v, sound, n.pitch + (k % 2 == 1 ? 2 : 0), start + Double(k) * step, step, level * (k == 0 ? 1 : 0.8))
                    }
                } else if n.marks.contains("roll") && dur > 0.12 {
                    let c = min(0.06, dur / 8)
                    let first = (dur - 3 * c) * 0.35
                    let shape: [(Int, Double)] = [(0, first), (2, c), (0, c), (-1, c), (0, dur - first - 3 * c)]
                    var t = start
                    for (k, (offset, d)) in shape.enumerated() {
                        add(v, sound, n.pitch + offset, t, d, level * (k == 0 ? 1 : 0.85))
                        t += d
                    }
                } else {
                    add(v, sound, n.pitch, start, dur, level)
                }
            }
            if options.chords {
                var unreadable: Set<String> = []
                for c in voice.chordSymbols {
                    guard let chord = ChordName(c.name) else { unreadable.insert(c.name); continue }
                    let start = tempo.seconds(atBeat: c.onset)
                    let dur = tempo.seconds(atBeat: c.onset + c.duration) - start
                    for p in chord.padPitches { add(-1, .pad, p, start, dur, 0.12) }
                }
                if !unreadable.isEmpty {
                    warnings.append("voice \(voice.id): chord symbols not understood, skipped: \(unreadable.sorted().joined(separator: ", "))")
                }
            }
        }
        if zeroLength > 0 { warnings.append("\(zeroLength) notes of zero length skipped") }
        if tooHigh > 0 {
            warnings.append("\(tooHigh) notes above \(Int(maxFrequency)) Hz skipped: too high for \(options.sampleRate) Hz (raise the sample rate)")
        }
        if clamped > 0 { warnings.append("\(clamped) velocities outside 1…127 clamped") }
        return out
    }
}
