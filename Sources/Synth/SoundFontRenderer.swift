// SoundFontRenderer: a score through FluidSynth and a SoundFont (.sf2) instead of the built-in
// instruments. The only Swift file that imports CFluidSynth: the synth lives inside one call,
// every status is checked, and failures become SoundFontError. The same segments as the
// built-in synthesizer (ornaments realised, the same timing), the same level stage after.

import ABCNotation
import CFluidSynth
import Foundation

/// Why a SoundFont render failed. Messages are for users.
public enum SoundFontError: Error, Equatable, CustomStringConvertible {
    case notFound(String)
    case notASoundFont(String)
    case noneInstalled([String])
    case fluidSynth(String)

    public var description: String {
        switch self {
        case .notFound(let p): "\(p): no such file (hint: give the path of a .sf2 SoundFont, or --soundfont default)"
        case .notASoundFont(let p): "\(p): not a SoundFont (FluidSynth does not recognise it as .sf2/.sf3)"
        case .noneInstalled(let places):
            "no SoundFont found in \(places.joined(separator: ", ")) (hint: apt-get install timgm6mb-soundfont or fluid-soundfont-gm, or give a path)"
        case .fluidSynth(let m): "FluidSynth: \(m)"
        }
    }
}

/// Renders scores through FluidSynth.
public enum SoundFontRenderer {
    /// Where Debian's SoundFont packages put their files, in the order tried by `findInstalled`.
    public static let searchPaths = [
        "/usr/share/sounds/sf2/default-GM.sf2", "/usr/share/sounds/sf2/FluidR3_GM.sf2",
        "/usr/share/sounds/sf2/TimGM6mb.sf2", "/usr/share/sounds/sf3/default-GM.sf3",
        "/usr/share/sounds/sf3/MuseScore_General.sf3",
    ]

    /// Silences FluidSynth's own log messages (errors, warnings, information): its failures come
    /// back to us as return codes and become SoundFontError.
    static func quiet() {
        for level in [FLUID_ERR, FLUID_WARN, FLUID_INFO, FLUID_DBG] { fluid_set_log_function(Int32(level.rawValue), nil, nil) }
    }

    /// The first installed SoundFont FluidSynth accepts, or nil.
    public static func findInstalled() -> String? {
        quiet()
        return searchPaths.first { FileManager.default.fileExists(atPath: $0) && fluid_is_soundfont($0) == 1 }
    }

    /// `path`, checked: it exists and FluidSynth recognises it. "default" finds an installed one.
    public static func resolve(_ path: String) throws -> String {
        quiet()
        if path == "default" {
            guard let found = findInstalled() else { throw SoundFontError.noneInstalled(searchPaths.map { ($0 as NSString).deletingLastPathComponent }.uniqued()) }
            return found
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw SoundFontError.notFound(path)
        }
        guard fluid_is_soundfont(path) == 1 else { throw SoundFontError.notASoundFont(path) }
        return path
    }

    /// General MIDI program (0-based) for the accompaniment: 24, Acoustic Guitar (nylon).
    public static let accompanimentProgram = 24

    /// Renders `score` with the SoundFont at `soundFont` (checked with `resolve` first): each voice on
    /// its own MIDI channel (the drum channel 10 skipped) with `options.instrument`'s General MIDI
    /// program, the accompaniment voice on a guitar; FluidSynth's reverb and chorus on unless
    /// `options.room` is false. Same length rule as `Synthesizer` (the end + `options.tail`), same
    /// validation, the same peak normalisation. Cost: FluidSynth's, about 100–400× real time here.
    public static func render(_ score: Score, soundFont: String, options o: RenderOptions) throws -> Rendering {
        guard RenderOptions.sampleRateRange.contains(o.sampleRate) else { throw RenderError.invalidSampleRate(o.sampleRate) }
        guard o.channels == 1 || o.channels == 2 else { throw RenderError.invalidChannels(o.channels) }
        let path = try resolve(soundFont)
        var warnings: [String] = []
        let endSeconds = try Synthesizer.validate(score, limits: o.limits, warnings: &warnings)
        var plain = o
        plain.chords = false
        let segments = Synthesizer.segments(for: score, options: plain, warnings: &warnings)
        let rate = Double(o.sampleRate)
        let frames = Int((endSeconds * rate).rounded()) + Int((o.tail * rate).rounded())
        guard frames * o.channels <= o.limits.maxSamples else {
            throw RenderError.tooManySamples(count: frames * o.channels, limit: o.limits.maxSamples)
        }
        let events = noteEvents(segments, rate: rate)
        let (left, right) = try withSynth(soundFont: path, score: score, options: o) { synth in
            try play(events, on: synth, frames: frames)
        }
        var out = interleave(left, right, channels: o.channels)
        let (rawPeak, replaced) = Synthesizer.normalise(&out, to: RenderOptions.targetPeak)
        if replaced > 0 { warnings.append("\(replaced) non-finite samples replaced by silence") }
        return Rendering(buffer: AudioBuffer(sampleRate: o.sampleRate, channels: o.channels, samples: out),
                         warnings: warnings, rawPeak: rawPeak)
    }

    /// MIDI channel for voice `voice`: 0…15 without 9 (drums), wrapping if there are more voices
    /// (the pad, voice −1, plays on channel 0).
    static func channel(_ voice: Int) -> Int32 { Int32(usableChannels[max(0, voice) % usableChannels.count]) }
    static let usableChannels = (0..<16).filter { $0 != 9 }

    /// A note-on or note-off at a frame.
    struct FluidEvent {
        var frame: Int
        var on: Bool
        var channel: Int32
        var key: Int32
        var velocity: Int32
    }

    /// The segments as note-on/off events by frame: each lasts at least one frame, its velocity the
    /// inverse of `Synthesizer.level(velocity:)`; offs before ons at the same frame, so a repeated
    /// note is struck again, not cut.
    static func noteEvents(_ segments: [Synthesizer.Segment], rate: Double) -> [FluidEvent] {
        var events: [FluidEvent] = []
        events.reserveCapacity(segments.count * 2)
        for s in segments {
            let start = Int((s.start * rate).rounded())
            let end = max(start + 1, Int(((s.start + s.duration) * rate).rounded()))
            // Inverse of Synthesizer.level(velocity:): level = 0.5 (v/127)^1.5.
            let v = Int32(max(1, min(127, (127 * pow(Double(s.level) / 0.5, 2.0 / 3)).rounded())))
            events.append(FluidEvent(frame: start, on: true, channel: channel(s.voice), key: Int32(s.pitch), velocity: v))
            events.append(FluidEvent(frame: end, on: false, channel: channel(s.voice), key: Int32(s.pitch), velocity: 0))
        }
        events.sort { ($0.frame, $0.on ? 1 : 0) < ($1.frame, $1.on ? 1 : 0) }
        return events
    }

    /// Runs `body` with a FluidSynth synthesizer at `options.sampleRate`, the SoundFont loaded and
    /// each voice's program set (reverb and chorus only in a room); frees it all afterwards.
    static func withSynth<T>(soundFont path: String, score: Score, options o: RenderOptions,
                             _ body: (OpaquePointer) throws -> T) throws -> T {
        quiet()
        guard let settings = new_fluid_settings() else { throw SoundFontError.fluidSynth("cannot create settings") }
        defer { delete_fluid_settings(settings) }
        fluid_settings_setnum(settings, "synth.sample-rate", Double(o.sampleRate))
        fluid_settings_setint(settings, "synth.lock-memory", 0)
        fluid_settings_setint(settings, "synth.reverb.active", o.room ? 1 : 0)
        fluid_settings_setint(settings, "synth.chorus.active", o.room ? 1 : 0)
        guard let synth = new_fluid_synth(settings) else { throw SoundFontError.fluidSynth("cannot create a synthesizer at \(o.sampleRate) Hz") }
        defer { delete_fluid_synth(synth) }
        guard fluid_synth_sfload(synth, path, 1) != FLUID_FAILED else { throw SoundFontError.fluidSynth("cannot load \(path)") }
        for v in score.voices.indices {
            let program = score.voices[v].id == o.accompanimentVoiceID ? accompanimentProgram : o.instrument.midiProgram
            guard fluid_synth_program_change(synth, channel(v), Int32(program)) != FLUID_FAILED else {
                throw SoundFontError.fluidSynth("\(path) has no program \(program) for channel \(channel(v) + 1)")
            }
        }
        return try body(synth)
    }

    /// Plays `events` on `synth`, rendering `frames` frames of left and right in blocks of up to
    /// 4096 up to each event; events at or after the end are dropped.
    static func play(_ events: [FluidEvent], on synth: OpaquePointer, frames: Int) throws -> ([Float], [Float]) {
        var left = [Float](repeating: 0, count: frames)
        var right = [Float](repeating: 0, count: frames)
        var done = 0
        func write(until frame: Int) throws {
            while done < frame {
                let n = min(4096, frame - done)
                let status = left.withUnsafeMutableBufferPointer { l in
                    right.withUnsafeMutableBufferPointer { r in
                        fluid_synth_write_float(synth, Int32(n), l.baseAddress! + done, 0, 1, r.baseAddress! + done, 0, 1)
                    }
                }
                guard status != FLUID_FAILED else { throw SoundFontError.fluidSynth("rendering failed at frame \(done)") }
                done += n
            }
        }
        for e in events {
            try write(until: min(e.frame, frames))
            if e.frame >= frames { break }
            if e.on { fluid_synth_noteon(synth, e.channel, e.key, e.velocity) } else { fluid_synth_noteoff(synth, e.channel, e.key) }
        }
        try write(until: frames)
        return (left, right)
    }

    /// Left and right as one interleaved stereo buffer, or their mean for mono.
    static func interleave(_ left: [Float], _ right: [Float], channels: Int) -> [Float] {
        let frames = left.count
        if channels == 1 { return (0..<frames).map { 0.5 * (left[$0] + right[$0]) } }
        var out = [Float](repeating: 0, count: frames * 2)
        for f in 0..<frames { out[2 * f] = left[f]; out[2 * f + 1] = right[f] }
        return out
    }
}

extension Array where Element: Hashable {
    fileprivate func uniqued() -> [Element] {
        var seen: Set<Element> = []
        return filter { seen.insert($0).inserted }
    }
}
