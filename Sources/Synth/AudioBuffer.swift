// AudioBuffer: rendered audio as interleaved Float samples, the one type that passes between
// the synthesizer, the level stage and the file writer/reader.

/// Audio samples, interleaved (frame 0 channel 0, frame 0 channel 1, frame 1 channel 0, ...).
/// Full scale is ±1.0. `samples.count == frames * channels`.
public struct AudioBuffer: Sendable, Equatable {
    /// Frames per second (Hz).
    public var sampleRate: Int
    /// 1 (mono) or 2 (stereo: left, right).
    public var channels: Int
    /// Interleaved samples, `frames * channels` of them.
    public var samples: [Float]

    public init(sampleRate: Int, channels: Int, samples: [Float]) {
        precondition(channels >= 1, "channels must be at least 1")
        precondition(samples.count % channels == 0, "samples must hold whole frames")
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }

    /// Builds an interleaved buffer from one array per channel (all the same length).
    public init(sampleRate: Int, planar: [[Float]]) {
        precondition(!planar.isEmpty, "at least one channel")
        let frames = planar[0].count
        precondition(planar.allSatisfy { $0.count == frames }, "channels must have equal lengths")
        var samples = [Float](repeating: 0, count: frames * planar.count)
        for (c, channel) in planar.enumerated() {
            for f in 0..<frames { samples[f * planar.count + c] = channel[f] }
        }
        self.init(sampleRate: sampleRate, channels: planar.count, samples: samples)
    }

    /// Number of frames (samples per channel).
    public var frames: Int { samples.count / channels }

    /// Length in seconds.
    public var duration: Double { sampleRate > 0 ? Double(frames) / Double(sampleRate) : 0 }

    /// One channel's samples, de-interleaved. O(frames).
    public func channel(_ index: Int) -> [Float] {
        precondition(index >= 0 && index < channels, "channel out of range")
        return stride(from: index, to: samples.count, by: channels).map { samples[$0] }
    }

    /// All channels de-interleaved (planar layout).
    public var planar: [[Float]] { (0..<channels).map(channel) }

    /// The mono mix (mean of the channels), for analysis.
    public var monoMix: [Float] {
        if channels == 1 { return samples }
        var out = [Float](repeating: 0, count: frames)
        let scale = 1 / Float(channels)
        for f in 0..<frames {
            var s: Float = 0
            for c in 0..<channels { s += samples[f * channels + c] }
            out[f] = s * scale
        }
        return out
    }

    /// Largest absolute sample value (0 for an empty buffer; NaN never compares larger).
    public var peak: Float {
        var p: Float = 0
        for s in samples where abs(s) > p { p = abs(s) }
        return p
    }
}
