// NoteRenderer: the sample loops. One sounding segment (pitch, length, level) in, mono samples
// out in fixed-size chunks, so memory stays small however long a note is; wavetables are built
// once per pitch and cached, the Karplus–Strong delay line is reused: the hot loops allocate nothing.

import CSynthKernels
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
    /// Uniform in [-1, 1). (The 24 bits go through Int32: one instruction, where converting a
    /// UInt64 takes a branchy sequence on x86-64; the value, below 2^24, is the same.)
    mutating func nextSigned() -> Float {
        Float(Int32(truncatingIfNeeded: next() >> 40)) * (2 / Float(1 << 24)) - 1
    }
}

/// What one segment sounds like.
enum SegmentSound: Sendable, Equatable {
    case instrument(Instrument)
    /// Soft sustained accompaniment chord tone.
    case pad

    /// How long the sound rings on after its note ends.
    var releaseSeconds: Double {
        switch self {
        case .instrument(let i): i.releaseSeconds
        case .pad: 0.3
        }
    }
}

/// Attack / decay / sustain / release shape of one segment, in frames.
struct Envelope {
    var attack: Int
    var decay: Int
    var sustain: Float
    var noteFrames: Int
    var releaseFrames: Int
    /// Level at note-off, where the release starts.
    var releaseStart: Float

    /// Attack and decay shrink to a third of the note each for short notes.
    init(attack: Double, decay: Double, sustain: Float, noteFrames: Int, releaseFrames: Int, rate: Int) {
        let third = max(1, noteFrames / 3)
        self.attack = max(1, min(Int(attack * Double(rate)), third))
        self.decay = decay > 0 ? max(1, min(Int(decay * Double(rate)), third)) : 0
        self.sustain = decay > 0 ? sustain : 1
        self.noteFrames = noteFrames
        self.releaseFrames = releaseFrames
        releaseStart = 0
        releaseStart = gain(at: noteFrames - 1)
    }

    /// Gain at frame `i` before the release: ramp up, ramp down to sustain, hold.
    func gain(at i: Int) -> Float {
        if i < attack { return Float(i) / Float(attack) }
        if i < attack + decay { return 1 - Float(i - attack) * (1 - sustain) / Float(decay) }
        return sustain
    }

    /// Multiplies `x[0..<count]`, which holds frames `from..<from+count`, by the envelope, one
    /// stage after the other (attack, decay, sustain, release); the first three eight frames at a
    /// time. The release falls linearly to exactly zero at its last frame.
    func apply(_ x: UnsafeMutableBufferPointer<Float>, from: Int, count: Int) {
        guard count > 0, let p = x.baseAddress else { return }
        precondition(count <= x.count && attack + decay < 1 << 24, "Envelope.apply: \(count) frames")
        let lanes = SIMD8<Float>(0, 1, 2, 3, 4, 5, 6, 7)   // frame numbers below 2^24 are exact in Float
        var i = 0
        // Attack: frame / attack (gain(at:)).
        let attackEnd = min(count, attack - from)
        let a = Float(attack)
        while i + 8 <= attackEnd { store8(load8(p + i) * ((Float(from + i) + lanes) / a), p + i); i += 8 }
        while i < attackEnd { p[i] *= Float(from + i) / a; i += 1 }
        // Decay: 1 − (frame − attack)(1 − sustain) / decay.
        let decayEnd = min(count, attack + decay - from)
        let fall = 1 - sustain, d = Float(decay)
        while i + 8 <= decayEnd { store8(load8(p + i) * (1 - (Float(from + i - attack) + lanes) * fall / d), p + i); i += 8 }
        while i < decayEnd { p[i] *= 1 - Float(from + i - attack) * fall / d; i += 1 }
        // Sustain, to the note's end (nothing to do at full level, as the plucked string has).
        let sustainEnd = max(i, min(count, noteFrames - from))
        if sustain == 1 { i = sustainEnd }
        while i + 8 <= sustainEnd { store8(load8(p + i) * sustain, p + i); i += 8 }
        while i < sustainEnd { p[i] *= sustain; i += 1 }
        // Release: a straight line from the level at note-off, each frame's gain from its own
        // number (no running sum, so no chain from frame to frame).
        guard i < count else { return }
        let step = releaseStart / Float(max(1, releaseFrames))
        let first = from + i - noteFrames + 1   // frames into the release, counting from 1
        precondition(first + count < 1 << 24, "Envelope.apply: release longer than 2^24 frames")
        var k = 0
        while i + 8 <= count {
            let g = releaseStart - (Float(first + k) + lanes) * step
            store8(load8(p + i) * g.replacing(with: 0, where: g .< 0), p + i)
            i += 8; k += 8
        }
        while i < count { p[i] *= max(0, releaseStart - Float(first + k) * step); i += 1; k += 1 }
    }
}

/// Renders segments to mono Float samples, chunk by chunk. Not thread-safe; one per render.
struct NoteRenderer {
    static let tableSize = 2048
    static let tableMask = tableSize - 1
    /// Frames per chunk handed to the mixer.
    static let chunk = 4096

    let sampleRate: Int
    let seed: UInt64
    private var scratch: [Float]
    private var delayLine: [Float] = []
    /// The plucked string's per-chunk working values (`PluckedString.run`).
    private var work = [Float](repeating: 0, count: NoteRenderer.chunk)
    private var tables: [Int: [Float]] = [:]   // key: sound kind * 1000 + pitch

    init(sampleRate: Int, seed: UInt64) {
        self.sampleRate = sampleRate
        self.seed = seed
        scratch = [Float](repeating: 0, count: NoteRenderer.chunk)
    }

    /// Frequency of a MIDI pitch in Hz (A4 = 69 = 440 Hz, equal temperament).
    static func frequency(_ pitch: Int) -> Double { 440 * pow(2, Double(pitch - 69) / 12) }

    /// Renders `noteFrames` of sound plus a release of `releaseFrames`, calling `emit(samples, offset)`
    /// for each chunk (offset in frames from the segment's start). `level` is the linear amplitude;
    /// `noiseKey` seeds the noise, so the same key gives the same samples.
    mutating func render(sound: SegmentSound, pitch: Int, noteFrames: Int, releaseFrames: Int,
                         level: Float, noiseKey: UInt64,
                         emit: (UnsafeBufferPointer<Float>, Int) -> Void) {
        let total = noteFrames + releaseFrames
        let f = NoteRenderer.frequency(pitch)
        var rng = SplitMix64(seed: seed ^ (noiseKey &* 0x2545_F491_4F6C_DD1D))
        let rate = sampleRate
        func env(_ a: Double, _ d: Double, _ s: Float) -> Envelope {
            Envelope(attack: a, decay: d, sustain: s, noteFrames: noteFrames, releaseFrames: releaseFrames, rate: rate)
        }
        switch sound {
        case .instrument(.plucked):
            var string = startPluck(frequency: f, level: level, rng: &rng)
            run(total: total, envelope: env(0.004, 0, 1), emit: emit) { out, count, line, work in
                string.run(out, count: count, line: line, work: work)
            }
        case .instrument(let instrument):
            let voice = Self.voicing(instrument)
            let shape = voice.shape
            // Per-note variation (seeded): how hard the bow bites or the breath chiffs, and when
            // the vibrato starts.
            let bite = 0.7 + 0.6 * Double(rng.nextSigned() * 0.5 + 0.5)
            let delayScale = 0.8 + 0.4 * Double(rng.nextSigned() * 0.5 + 0.5)
            var osc = Oscillator(table: table(key: voice.tableKey + pitch, frequency: f, harmonics: voice.harmonics),
                                 frequency: f, rate: rate, level: level, voice: voice, bite: Float(bite),
                                 vibratoDelay: voice.vibratoDelay * delayScale, rng: rng)
            run(total: total, envelope: env(shape.attack, shape.decay, shape.sustain), emit: emit) { out, count, _, _ in
                osc.run(out, count: count)
            }
        case .pad:
            var osc = Oscillator(table: table(key: 9000 + pitch, frequency: f, harmonics: Self.padVoice.harmonics),
                                 frequency: f, rate: rate, level: level, voice: Self.padVoice, bite: 0,
                                 vibratoDelay: 0, rng: rng)
            run(total: total, envelope: env(0.12, 0.3, 0.7), emit: emit) { out, count, _, _ in
                osc.run(out, count: count)
            }
        }
    }

    /// Chunk loop: generate, shape, emit.
    private mutating func run(total: Int, envelope: Envelope, emit: (UnsafeBufferPointer<Float>, Int) -> Void,
                              generate: (UnsafeMutableBufferPointer<Float>, Int, UnsafeMutableBufferPointer<Float>,
                                         UnsafeMutablePointer<Float>) -> Void) {
        var done = 0
        delayLine.withUnsafeMutableBufferPointer { line in
            work.withUnsafeMutableBufferPointer { work in
                scratch.withUnsafeMutableBufferPointer { out in
                    while done < total {
                        let count = min(NoteRenderer.chunk, total - done)
                        generate(out, count, line, work.baseAddress!)
                        envelope.apply(out, from: done, count: count)
                        emit(UnsafeBufferPointer(rebasing: out[0..<count]), done)
                        done += count
                    }
                }
            }
        }
    }

    // MARK: Karplus–Strong

    /// State of one plucked string between chunks; the delay line itself is `delayLine`.
    ///
    /// Per frame: x = line[idx] is played; avg = half · (x + previous x); the first-order all-pass
    /// ap = (c · avg + previous avg) − c · previous ap is written back to line[idx]. The loop goes
    /// through the line (N ≥ 2 frames), so in a run of frames that does not wrap the line nothing
    /// read was written, and the only frame-to-frame dependency is the all-pass's own feedback,
    /// y[k] = b[k] − c · y[k−1] with b = c · avg + previous avg. A run goes in three passes with no
    /// chain but the last: copy x out; b for every frame; then y, eight frames at a time from the
    /// y eight frames back: y[k] = Σ_{m<8} (−c)^m b[k−m] + c⁸ y[k−8] (the recurrence unrolled;
    /// the sum as two four-tap halves), so the chain is one multiply-add per eight frames instead
    /// of a multiply and an add per frame. The first eight frames of a run go frame by frame. Same
    /// filter; sums in another order, so samples differ in the last bits. The passes are
    /// `tg_string_run` (CSynthKernels: plain C built for AVX2 and for the baseline, same bits).
    struct PluckedString {
        var n: Int
        var c: Float
        var half: Float
        var idx = 0
        var prev: Float = 0
        var apIn: Float = 0
        var apOut: Float = 0

        /// Loop delay = N (line) + 0.5 (two-point average) + d (first-order all-pass) = rate / f.
        /// `work` holds `count` floats.
        mutating func run(_ out: UnsafeMutableBufferPointer<Float>, count: Int, line: UnsafeMutableBufferPointer<Float>,
                          work b: UnsafeMutablePointer<Float>) {
            guard count > 0, let o = out.baseAddress, let l = line.baseAddress else { return }
            var state: [Float] = [prev, apIn, apOut]
            var i = 0
            while i < count {
                // A run that neither wraps the line nor passes the chunk's end.
                let run = min(count - i, n - idx)
                tg_string_run(Int32(run), l + idx, o + i, b, c, half, &state)
                i += run
                idx += run
                if idx == n { idx = 0 }
            }
            (prev, apIn, apOut) = (state[0], state[1], state[2])
        }
    }

    /// Fills the delay line with a seeded noise burst and returns the tuned string.
    private mutating func startPluck(frequency f: Double, level: Float, rng: inout SplitMix64) -> PluckedString {
        let period = Double(sampleRate) / f
        let n = max(2, Int((period - 0.6).rounded(.down)))
        let d = period - 0.5 - Double(n)                  // in [0.1, 1.1)
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
        // Loss per round trip from a decay time (to -60 dB): longer for low strings.
        let t60 = max(1.0, min(6.0, 6.0 * 220 / f + 1.0))
        let rho = Float(pow(0.001, period / (t60 * Double(sampleRate))))
        return PluckedString(n: n, c: Float((1 - d) / (1 + d)), half: 0.5 * rho)
    }

    // MARK: Wavetable instruments

    /// Envelope times (seconds) and sustain level of a sustained instrument.
    struct Shape {
        var attack: Double
        var decay: Double
        var sustain: Float
    }

    /// Everything that makes a wavetable instrument itself: its spectrum, envelope, vibrato,
    /// noise (bow or breath) and a detuned second reed.
    struct Voicing {
        var tableKey: Int
        var harmonics: @Sendable (Int, Double) -> Double
        var shape: Shape
        /// Vibrato rate (Hz), largest depth (fraction of the frequency), seconds before it
        /// starts and seconds it takes to grow to full depth.
        var vibratoRate: Double
        var vibratoDepth: Double
        var vibratoDelay: Double
        var vibratoGrowth: Double
        /// Noise level under the tone (relative to the tone's peak), the extra burst at the
        /// onset (bow scratch, breath chiff) and its decay time, and the noise low-pass
        /// coefficient (0…1, higher is brighter).
        var noise: Float
        var burst: Float
        var burstSeconds: Double
        var noiseColour: Float
        /// Second reed's detuning in cents (played against a reed detuned by the negative
        /// amount, so the pair is centred on the pitch); 0 for one oscillator.
        var detuneCents: Double
    }

    static let padVoice = Voicing(tableKey: 9000, harmonics: { k, _ in padHarmonic(k) }, shape: Shape(attack: 0.12, decay: 0.3, sustain: 0.7),
                                  vibratoRate: 5.5, vibratoDepth: 0, vibratoDelay: 0, vibratoGrowth: 1,
                                  noise: 0, burst: 0, burstSeconds: 0.01, noiseColour: 0.3, detuneCents: 0)

    /// The sustained instruments (the plucked string is Karplus–Strong, above):
    /// - bowed: sawtooth-like spectrum with a body resonance near the 4th harmonic, rolling off
    ///   smoothly above 3.5 kHz (no hard edge), vibrato 5.8 Hz growing from 0.2 s over 0.5 s to
    ///   ±18 cents, bow noise under the tone and a scratch at each bow change (50 ms);
    /// - flute: nearly pure (fundamental, weak 2nd and 3rd), breathy attack (60 ms), breath noise
    ///   with a chiff at the onset, vibrato 5 Hz growing from 0.3 s to ±12 cents;
    /// - whistle: tin whistle, brighter than the flute (strong 2nd and 3rd), quick attack
    ///   (12 ms) with a short chiff, little vibrato (6 Hz, ±6 cents, late);
    /// - accordion: free reeds, a rich buzzy spectrum (1/k^0.7) rolling off above 4 kHz, two
    ///   reeds tuned ±5 cents apart (a slow 2–3 Hz beating at A4, as a "medium wet" box), steady
    ///   bellows, no vibrato.
    static func voicing(_ instrument: Instrument) -> Voicing {
        switch instrument {
        case .bowed, .plucked:   // .plucked is Karplus–Strong (render(…)); never voiced here
            return Voicing(tableKey: 1000, harmonics: bowedHarmonic, shape: Shape(attack: 0.06, decay: 0.12, sustain: 0.8),
                           vibratoRate: 5.8, vibratoDepth: cents(18), vibratoDelay: 0.2, vibratoGrowth: 0.5,
                           noise: 0.012, burst: 0.10, burstSeconds: 0.05, noiseColour: 0.55, detuneCents: 0)
        case .flute:
            return Voicing(tableKey: 2000, harmonics: { k, _ in fluteHarmonic(k) }, shape: Shape(attack: 0.06, decay: 0.08, sustain: 0.85),
                           vibratoRate: 5.0, vibratoDepth: cents(12), vibratoDelay: 0.3, vibratoGrowth: 0.6,
                           noise: 0.035, burst: 0.22, burstSeconds: 0.06, noiseColour: 0.3, detuneCents: 0)
        case .whistle:
            return Voicing(tableKey: 3000, harmonics: { k, _ in whistleHarmonic(k) }, shape: Shape(attack: 0.012, decay: 0.05, sustain: 0.9),
                           vibratoRate: 6.0, vibratoDepth: cents(6), vibratoDelay: 0.4, vibratoGrowth: 0.4,
                           noise: 0.02, burst: 0.12, burstSeconds: 0.015, noiseColour: 0.45, detuneCents: 0)
        case .accordion:
            return Voicing(tableKey: 4000, harmonics: reedHarmonic, shape: Shape(attack: 0.02, decay: 0.06, sustain: 0.92),
                           vibratoRate: 5.5, vibratoDepth: 0, vibratoDelay: 0, vibratoGrowth: 1,
                           noise: 0, burst: 0, burstSeconds: 0.01, noiseColour: 0.3, detuneCents: 5)
        }
    }

    /// A pitch ratio minus one for `c` cents.
    static func cents(_ c: Double) -> Double { pow(2, c / 1200) - 1 }

    static func bowedHarmonic(_ k: Int, _ hz: Double) -> Double {
        // Sawtooth-like 1/k with a body resonance bump near the 3rd–5th harmonic and softer
        // evens, falling about 12 dB an octave above 3.5 kHz.
        let body = 1 + 0.6 * exp(-pow(Double(k) - 4, 2) / 4)
        let rolloff = 1 / (1 + pow(hz / 3500, 2))
        return body / Double(k) * (k % 2 == 0 ? 0.8 : 1) * rolloff
    }

    static func fluteHarmonic(_ k: Int) -> Double {
        k > 5 ? 0 : [1.0, 0.32, 0.12, 0.05, 0.02][k - 1]
    }

    static func whistleHarmonic(_ k: Int) -> Double {
        k > 6 ? 0 : [1.0, 0.45, 0.22, 0.09, 0.04, 0.02][k - 1]
    }

    static func reedHarmonic(_ k: Int, _ hz: Double) -> Double {
        pow(Double(k), -0.7) / (1 + pow(hz / 4000, 2)) * (k % 2 == 0 ? 0.9 : 1)
    }

    static func padHarmonic(_ k: Int) -> Double {
        k > 6 ? 0 : 1 / Double(k * k)
    }

    /// sin(2π i / tableSize) for i in 0..<tableSize, in Double, for building tables.
    static let sineTable: [Double] = (0..<tableSize).map { sin(2 * Double.pi * Double($0) / Double(tableSize)) }

    /// One period of the band-limited wave for `frequency`: harmonics k (amplitude
    /// `harmonics(k, k·f)`) below 0.45·rate and 16 kHz, peak 1, stored as `tableSize` pairs
    /// (value at i, value at i + 1 − value at i) for the oscillator's interpolation. Cached by
    /// `key`. O(harmonics × tableSize) additions, no sin calls.
    private mutating func table(key: Int, frequency f: Double, harmonics: (Int, Double) -> Double) -> [Float] {
        if let t = tables[key] { return t }
        let limit = min(0.45 * Double(sampleRate), 16_000)
        let kmax = max(1, Int(limit / f))
        let size = NoteRenderer.tableSize
        var acc = [Double](repeating: 0, count: size)
        Self.sineTable.withUnsafeBufferPointer { sine in
            for k in 1...kmax {
                let a = harmonics(k, Double(k) * f)
                if a == 0 { continue }
                var j = 0
                for i in 0..<size {
                    acc[i] += a * sine[j]
                    j += k
                    if j >= size { j &= size - 1 }
                }
            }
        }
        let peak = max(acc.map(abs).max() ?? 1, 1e-12)
        let v = acc.map { Float($0 / peak) }
        var t = [Float](repeating: 0, count: 2 * size)
        for i in 0..<size {
            t[2 * i] = v[i]
            t[2 * i + 1] = v[(i + 1) & (size - 1)] - v[i]
        }
        tables[key] = t
        return t
    }

    /// Wavetable oscillator with a vibrato that grows after the onset, per-note noise (a burst
    /// at the onset decaying exponentially over a steady floor) and an optional second, detuned
    /// reed; state carries across chunks. Works eight frames at a time, with nothing carried from
    /// one frame to the next inside a block:
    /// - phases are 32-bit fixed point (a whole cycle is 2^32), so they wrap by overflow, with no
    ///   test; the top 11 bits index the table, the other 21 are the interpolation fraction;
    /// - the vibrato (rate ≤ 6 Hz) sets the pitch once per block: a rotating phasor (Double,
    ///   renormalised every block) gives its sine, so there is no table lookup and no polynomial;
    /// - the noise is read from a fixed table of low-passed noise (`NoiseTable`), from an offset
    ///   drawn from the note's seeded generator, instead of a generator and a filter per frame;
    /// - the burst decays by `burstDecay`^k across the block's lanes.
    /// The table lookups are the only per-lane scalar work (eight loads of a value-and-slope pair).
    struct Oscillator {
        /// (value, slope to the next value) pairs, `tableSize` of them.
        let table: [Float]
        let inc: UInt32
        let inc2: UInt32
        let twoReeds: Bool
        let vibStart: Int
        let vibratoDepth: Double
        /// Depth gained per block while the vibrato grows.
        let vibStep: Double
        /// The phasor's rotation per block: cos and sin of 2π · rate · 8 / sampleRate.
        let vibCos: Double
        let vibSin: Double
        let noiseFloor: Float
        let noisy: Bool
        /// burstDecay^k for lanes k = 0…7, and burstDecay^8.
        let burstLanes: SIMD8<Float>
        let burstBlock: Float
        let level: Float
        let noise: [Float]
        var burst: Float
        var noiseAt: Int
        var phase: UInt32 = 0
        var phase2: UInt32 = 0
        /// The vibrato's phasor (cos, sin) and current depth.
        var vc = 1.0
        var vs = 0.0
        var depth = 0.0
        var frame = 0

        static let block = 8

        init(table: [Float], frequency f: Double, rate: Int, level: Float, voice: Voicing, bite: Float,
             vibratoDelay: Double, rng: SplitMix64) {
            self.table = table
            let detune = voice.detuneCents
            twoReeds = detune != 0
            func fixed(_ hz: Double) -> UInt32 { UInt32((hz / Double(rate) * 4_294_967_296).rounded()) }
            inc = fixed(f * (twoReeds ? pow(2, -detune / 1200) : 1))
            inc2 = fixed(f * pow(2, detune / 1200))
            vibStart = Int(vibratoDelay * Double(rate))
            vibratoDepth = voice.vibratoDepth
            let blockSeconds = Double(Self.block) / Double(rate)
            vibStep = voice.vibratoDepth * blockSeconds / max(blockSeconds, voice.vibratoGrowth)
            vibCos = cos(2 * Double.pi * voice.vibratoRate * blockSeconds)
            vibSin = sin(2 * Double.pi * voice.vibratoRate * blockSeconds)
            noiseFloor = voice.noise
            noisy = voice.noise > 0 || voice.burst > 0
            burst = voice.burst * bite
            let decay = exp(-1 / (voice.burstSeconds * Double(rate)))
            burstLanes = SIMD8((0..<8).map { Float(pow(decay, Double($0))) })
            burstBlock = Float(pow(decay, 8))
            self.level = level
            noise = noisy ? NoiseTable.shared(colour: voice.noiseColour) : []
            var r = rng
            noiseAt = Int(r.next() >> 40) & (NoiseTable.length - 1)
        }

        /// Fills `out[0..<count]` with the next frames, eight at a time; a count that is not a
        /// multiple of eight (only a note's last chunk) writes up to the next multiple, which
        /// `out` must hold.
        mutating func run(_ out: UnsafeMutableBufferPointer<Float>, count: Int) {
            guard count > 0, let o = out.baseAddress else { return }
            precondition(out.count >= (count + 7) & ~7, "Oscillator.run: \(count) frames into \(out.count)")
            table.withUnsafeBufferPointer { tab in
                noise.withUnsafeBufferPointer { nz in
                    let t = tab.baseAddress!
                    switch (twoReeds, noisy) {
                    case (false, false): blocks(o, count, t, nil, twoReeds: false)
                    case (false, true): blocks(o, count, t, nz.baseAddress!, twoReeds: false)
                    case (true, false): blocks(o, count, t, nil, twoReeds: true)
                    case (true, true): blocks(o, count, t, nz.baseAddress!, twoReeds: true)
                    }
                }
            }
        }

        /// Eight interpolated table values from `phase`, stepping by `step`; returns the phase after.
        @inline(__always)
        private static func lookup(_ t: UnsafePointer<Float>, _ phase: UInt32, _ step: UInt32) -> (SIMD8<Float>, UInt32) {
            var value = SIMD8<Float>(), slope = SIMD8<Float>(), frac = SIMD8<Int32>()
            var p = phase
            for k in 0..<8 {
                let i = Int(p >> 21) &* 2
                value[k] = t[i]
                slope[k] = t[i &+ 1]
                frac[k] = Int32(truncatingIfNeeded: p & 0x1F_FFFF)
                p &+= step
            }
            return (value + SIMD8<Float>(frac) * (1 / Float(1 << 21)) * slope, p)
        }

        @inline(__always)
        private mutating func blocks(_ out: UnsafeMutablePointer<Float>, _ count: Int, _ t: UnsafePointer<Float>,
                                     _ nz: UnsafePointer<Float>?, twoReeds: Bool) {
            var phase = self.phase, phase2 = self.phase2, burst = self.burst, noiseAt = self.noiseAt
            var vc = self.vc, vs = self.vs, depth = self.depth, frame = self.frame
            let level = self.level, floor = self.noiseFloor, lanes = self.burstLanes, decay8 = self.burstBlock
            let vibrato = vibratoDepth > 0
            var i = 0
            while i < count {
                var step = inc, step2 = inc2
                if vibrato && frame >= vibStart {
                    depth = min(vibratoDepth, depth + vibStep)
                    let mod = 1 + depth * vs
                    step = UInt32(Double(inc) * mod + 0.5)   // mod ≤ 1.02: below 2^32
                    step2 = UInt32(Double(inc2) * mod + 0.5)
                    // Rotate the phasor one block on, and pull it back to the unit circle.
                    let c = vc * vibCos - vs * vibSin, s = vs * vibCos + vc * vibSin
                    let g = 1.5 - 0.5 * (c * c + s * s)
                    vc = c * g; vs = s * g
                }
                var (s, next) = Self.lookup(t, phase, step)
                phase = next
                if twoReeds {
                    let (s2, next2) = Self.lookup(t, phase2, step2)
                    phase2 = next2
                    s = 0.5 * (s + s2)
                }
                if let nz {
                    s += (floor + burst * lanes) * load8(nz + noiseAt)
                    burst *= decay8
                    noiseAt = (noiseAt + 8) & (NoiseTable.length - 1)
                }
                store8(s * level, out + i)
                i += 8
                frame += 8
            }
            self.phase = phase; self.phase2 = phase2; self.burst = burst; self.noiseAt = noiseAt
            self.vc = vc; self.vs = vs; self.depth = depth; self.frame = frame
        }
    }
}

/// A fixed stretch of low-passed noise per colour (the one-pole low-pass of the breath and bow
/// noise, `lp += colour · (white − lp)`), generated once per process from a fixed seed and read
/// circularly: the note's seeded offset is the random choice. 2^17 frames (about 3 s at 44.1 kHz),
/// plus eight guard frames repeating the start so a block never wraps inside; filtered twice
/// around so its end flows into its start.
enum NoiseTable {
    static let length = 1 << 17

    private static let tables: [Float: [Float]] = {
        var out: [Float: [Float]] = [:]
        for colour in Set([Instrument.bowed, .flute, .whistle, .accordion].map { NoteRenderer.voicing($0).noiseColour }) {
            var rng = SplitMix64(seed: 0x6E6F_6973_6500 ^ UInt64(colour.bitPattern))
            let white = (0..<length).map { _ in rng.nextSigned() }
            var t = [Float](repeating: 0, count: length + 8)
            var lp: Float = 0
            for pass in 0..<2 {
                for i in 0..<length {
                    lp += colour * (white[i] - lp)
                    if pass == 1 { t[i] = lp }
                }
            }
            for k in 0..<8 { t[length + k] = t[k] }
            out[colour] = t
        }
        return out
    }()

    /// The table for a voice's noise colour (one of the instruments').
    static func shared(colour: Float) -> [Float] {
        guard let t = tables[colour] else { preconditionFailure("NoiseTable: no table for colour \(colour)") }
        return t
    }
}
