// NoteRenderer: the sample loops. One sounding segment (pitch, length, level) in, mono samples
// out into a reusable scratch buffer; wavetables are built once per pitch and cached, the
// Karplus–Strong delay line is reused, so the hot loops allocate nothing.

import Foundation

/// Deterministic generator (SplitMix64) for noise bursts and breath noise.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func nextSigned() -> Float {
        Float(next() >> 40) * (2 / Float(1 << 24)) - 1
    }
}

/// What one segment sounds like.
enum SegmentSound: Sendable, Equatable {
    case instrument(Instrument)
    /// Soft sustained accompaniment chord tone.
    case pad
}

/// Renders segments to mono Float samples. Not thread-safe; one per render.
struct NoteRenderer {
    static let tableSize = 2048
    static let tableMask = tableSize - 1

    let sampleRate: Int
    let seed: UInt64
    /// Output of the last `render` call; valid for `count` samples.
    var scratch: [Float] = []
    private var delayLine: [Float] = []
    private var tables: [Int: [Float]] = [:]   // key: sound kind * 1000 + pitch
    private let sine: [Float]

    init(sampleRate: Int, seed: UInt64) {
        self.sampleRate = sampleRate
        self.seed = seed
        sine = (0...NoteRenderer.tableSize).map {
            Float(sin(2 * Double.pi * Double($0) / Double(NoteRenderer.tableSize)))
        }
    }

    /// Frequency of a MIDI pitch in Hz (A4 = 69 = 440 Hz, equal temperament).
    static func frequency(_ pitch: Int) -> Double { 440 * pow(2, Double(pitch - 69) / 12) }

    /// Renders `noteFrames` of sound plus the release of `releaseFrames` into `scratch[0..<n]`,
    /// returns n. `level` is the linear amplitude; `noiseKey` seeds the noise.
    mutating func render(sound: SegmentSound, pitch: Int, noteFrames: Int, releaseFrames: Int,
                         level: Float, noiseKey: UInt64) -> Int {
        let total = noteFrames + releaseFrames
        if scratch.count < total { scratch = [Float](repeating: 0, count: max(total, scratch.count * 2)) }
        let f = NoteRenderer.frequency(pitch)
        var rng = SplitMix64(seed: seed ^ (noiseKey &* 0x2545_F491_4F6C_DD1D))
        switch sound {
        case .instrument(.plucked):
            pluck(frequency: f, count: total, level: level, rng: &rng)
            envelope(count: total, noteFrames: noteFrames, attack: 0.004, decay: 0, sustain: 1, level: 1)
        case .instrument(.bowed):
            wavetable(key: 1000 + pitch, frequency: f, count: total, level: level,
                      vibratoDepth: 0.0035, vibratoDelay: 0.25, breath: 0, rng: &rng, harmonics: Self.bowedHarmonic)
            envelope(count: total, noteFrames: noteFrames, attack: 0.05, decay: 0.12, sustain: 0.75, level: 1)
        case .instrument(.flute):
            wavetable(key: 2000 + pitch, frequency: f, count: total, level: level,
                      vibratoDepth: 0.003, vibratoDelay: 0.2, breath: 0.05, rng: &rng, harmonics: Self.fluteHarmonic)
            envelope(count: total, noteFrames: noteFrames, attack: 0.03, decay: 0.08, sustain: 0.85, level: 1)
        case .pad:
            wavetable(key: 3000 + pitch, frequency: f, count: total, level: level,
                      vibratoDepth: 0, vibratoDelay: 0, breath: 0, rng: &rng, harmonics: Self.padHarmonic)
            envelope(count: total, noteFrames: noteFrames, attack: 0.12, decay: 0.3, sustain: 0.7, level: 1)
        }
        return total
    }

    // MARK: Karplus–Strong

    /// Loop delay = N (line) + 0.5 (two-point average) + d (first-order all-pass) = sampleRate / f.
    private mutating func pluck(frequency f: Double, count: Int, level: Float, rng: inout SplitMix64) {
        let period = Double(sampleRate) / f
        let n = max(2, Int((period - 0.6).rounded(.down)))
        let d = period - 0.5 - Double(n)                  // in [0.1, 1.1)
        let c = Float((1 - d) / (1 + d))
        if delayLine.count < n { delayLine = [Float](repeating: 0, count: n) }
        // Noise burst, low-passed twice (a rounder pick than white noise: the string's first
        // milliseconds are bright but without sample-to-sample jumps) and made DC-free.
        var lp1: Float = 0
        var lp2: Float = 0
        var mean: Float = 0
        for i in 0..<n {
            lp1 += 0.45 * (rng.nextSigned() - lp1)
            lp2 += 0.45 * (lp1 - lp2)
            delayLine[i] = lp2
            mean += lp2
        }
        mean /= Float(n)
        var peak: Float = 1e-9
        for i in 0..<n { delayLine[i] -= mean; peak = max(peak, abs(delayLine[i])) }
        let scale = level / peak
        for i in 0..<n { delayLine[i] *= scale }
        // Loss per round trip: longer decay for low strings, in seconds to -60 dB.
        let t60 = max(1.0, min(6.0, 6.0 * 220 / f + 1.0))
        let rho = Float(pow(0.001, period / (t60 * Double(sampleRate))))
        let half = 0.5 * rho
        delayLine.withUnsafeMutableBufferPointer { line in
            scratch.withUnsafeMutableBufferPointer { out in
                var idx = 0
                var prev: Float = 0
                var apIn: Float = 0
                var apOut: Float = 0
                for i in 0..<count {
                    let x = line[idx]
                    out[i] = x
                    let avg = half * (x + prev)
                    let ap = c * avg + apIn - c * apOut
                    apIn = avg
                    apOut = ap
                    line[idx] = ap
                    prev = x
                    idx += 1
                    if idx == n { idx = 0 }
                }
            }
        }
    }

    // MARK: Wavetables

    static func bowedHarmonic(_ k: Int) -> Double {
        // Sawtooth-like 1/k with a body resonance bump near the 3rd–5th harmonic and softer evens.
        let body = 1 + 0.6 * exp(-pow(Double(k) - 4, 2) / 4)
        return body / Double(k) * (k % 2 == 0 ? 0.8 : 1)
    }

    static func fluteHarmonic(_ k: Int) -> Double {
        [1.0, 0.32, 0.12, 0.05, 0.02][min(k, 5) - 1] * (k > 5 ? 0 : 1)
    }

    static func padHarmonic(_ k: Int) -> Double {
        k > 6 ? 0 : 1 / Double(k * k)
    }

    /// One period of the band-limited wave for `frequency`, harmonics below 0.45·rate (and 9 kHz),
    /// peak 1, with one guard sample for interpolation. Cached by `key`.
    private mutating func table(key: Int, frequency f: Double, harmonics: (Int) -> Double) -> [Float] {
        if let t = tables[key] { return t }
        let limit = min(0.45 * Double(sampleRate), 9000)
        let kmax = max(1, Int(limit / f))
        let size = NoteRenderer.tableSize
        var acc = [Double](repeating: 0, count: size)
        for k in 1...kmax {
            let a = harmonics(k)
            if a == 0 { continue }
            for i in 0..<size {
                acc[i] += a * sin(2 * Double.pi * Double(k * i % size) / Double(size))
            }
        }
        let peak = max(acc.map(abs).max() ?? 1, 1e-12)
        var t = acc.map { Float($0 / peak) }
        t.append(t[0])
        tables[key] = t
        return t
    }

    private mutating func wavetable(key: Int, frequency f: Double, count: Int, level: Float,
                                    vibratoDepth: Float, vibratoDelay: Double, breath: Float,
                                    rng: inout SplitMix64, harmonics: (Int) -> Double) {
        let t = table(key: key, frequency: f, harmonics: harmonics)
        let size = Float(NoteRenderer.tableSize)
        let inc = Float(f / Double(sampleRate)) * size
        let vibInc = Float(5.5 / Double(sampleRate)) * size
        let vibStart = Int(vibratoDelay * Double(sampleRate))
        let vibRamp = Float(1) / Float(max(1, sampleRate / 4))   // depth fades in over 0.25 s
        let mask = NoteRenderer.tableMask
        t.withUnsafeBufferPointer { tab in
            sine.withUnsafeBufferPointer { sin in
                scratch.withUnsafeMutableBufferPointer { out in
                    var phase: Float = 0
                    var vphase: Float = 0
                    var depth: Float = 0
                    var lp: Float = 0
                    for i in 0..<count {
                        let ip = Int(phase)
                        let frac = phase - Float(ip)
                        let a = tab[ip & mask], b = tab[(ip & mask) + 1]
                        var s = a + frac * (b - a)
                        if breath > 0 {
                            lp += 0.3 * (rng.nextSigned() - lp)
                            s += breath * lp
                        }
                        out[i] = s * level
                        var step = inc
                        if vibratoDepth > 0 && i >= vibStart {
                            depth = min(vibratoDepth, depth + vibratoDepth * vibRamp)
                            let vi = Int(vphase)
                            step *= 1 + depth * sin[vi & mask]
                            vphase += vibInc
                            if vphase >= size { vphase -= size }
                        }
                        phase += step
                        if phase >= size { phase -= size }
                    }
                }
            }
        }
    }

    // MARK: Envelope

    /// Attack ramp, decay to sustain, hold to `noteFrames`, then a linear release to exactly zero
    /// over the rest of the `count` frames. Attack and decay shrink for short notes.
    private mutating func envelope(count: Int, noteFrames: Int, attack: Double, decay: Double,
                                   sustain: Float, level: Float) {
        let rate = Double(sampleRate)
        let a = max(1, min(Int(attack * rate), max(1, noteFrames / 3)))
        let d = decay > 0 ? max(1, min(Int(decay * rate), max(1, noteFrames / 3))) : 0
        let r = count - noteFrames
        scratch.withUnsafeMutableBufferPointer { out in
            var i = 0
            let aStep = 1 / Float(a)
            while i < min(a, count) { out[i] *= Float(i) * aStep; i += 1 }
            let dEnd = min(a + d, count)
            var g: Float = 1
            if d > 0 {
                let dStep = (1 - sustain) / Float(d)
                while i < dEnd { g = 1 - Float(i - a) * dStep; out[i] *= g; i += 1 }
                g = sustain
            }
            while i < min(noteFrames, count) { out[i] *= g; i += 1 }
            // Level at note-off (the attack or decay may not have finished for short notes).
            let startLevel: Float = noteFrames < a ? Float(noteFrames) / Float(a) :
                (d > 0 && noteFrames < a + d ? 1 - Float(noteFrames - a) * (1 - sustain) / Float(d) : g)
            if r > 0 {
                let rStep = startLevel / Float(r)
                var j = 0
                while i < count { out[i] *= startLevel - Float(j + 1) * rStep; i += 1; j += 1 }
            }
            _ = level
        }
    }
}
