// SoundOptions: the sound flags `render` and `generate --wav` share, as one option group so
// both commands spell them the same way.
import ArgumentParser
import Composer
import Synth

extension Instrument: ExpressibleByArgument {}

/// How to sound a tune: instrument, tempo override, sample rate, channels, room, lift,
/// humanize, accompaniment.
struct SoundOptions: ParsableArguments {
    @Option(help: "Instrument: \(Instrument.allCases.map(\.rawValue).joined(separator: ", ")).")
    var instrument: Instrument = .plucked

    @Option(parsing: .unconditional, help: "Tempo in quarter notes a minute, overriding the tune's Q: field (without Q:, a tune plays at its dance's session tempo, from R: or the meter).")
    var tempo: Double?

    @Option(parsing: .unconditional, help: "Sample rate in Hz (8000…192000).")
    var rate: Int = 44_100

    @Option(parsing: .unconditional, help: "Most megabytes of audio to write in all (checked before rendering each tune).")
    var maxOutputMb: Int = SoundSettings.defaultMaxOutputMB

    @Flag(help: "Write one channel instead of two.")
    var mono = false

    @Flag(help: "Accompany the tune (guitar/bouzouki, vamp or oom-pah-pah by meter): its chord symbols, or chords inferred from the melody and key when it has none. Says which chords it played.")
    var chords = false

    @Flag(help: "The plain sound: no stereo placement, no room reverb.")
    var dry = false

    @Flag(help: "Play every note as written: no beat accents, no hornpipe swing.")
    var noLift = false

    @Option(help: "Render through FluidSynth with this SoundFont (.sf2) instead of the built-in instruments, using the General MIDI program of --instrument; 'default' finds one installed by Debian (timgm6mb-soundfont, fluid-soundfont-gm).")
    var soundfont: String?

    @Option(help: "Vary timing (up to ±10 ms) and loudness (up to ±8%) like a player, from this seed. Off by default: the same tune gives the same samples.")
    var humanize: UInt64?

    @Flag(help: "Play decorations (rolls, trills) plainly.")
    var plainOrnaments = false

    func validate() throws {
        if let tempo, !(tempo.isFinite && tempo >= 10 && tempo <= 1000) {
            throw ValidationError("--tempo must be between 10 and 1000 quarter notes a minute (got \(tempo))")
        }
        if !(1 ... 1_000_000).contains(maxOutputMb) { throw ValidationError("--max-output-mb must be between 1 and 1000000 (got \(maxOutputMb))") }
        if !RenderOptions.sampleRateRange.contains(rate) {
            throw ValidationError("--rate must be between \(RenderOptions.sampleRateRange.lowerBound) and \(RenderOptions.sampleRateRange.upperBound) Hz (got \(rate))")
        }
        if let soundfont {
            do { _ = try SoundFontRenderer.resolve(soundfont) } catch { throw ValidationError("--soundfont: \(error)") }
        }
    }

    var settings: SoundSettings {
        var options = RenderOptions()
        options.instrument = instrument
        options.sampleRate = rate
        options.channels = mono ? 1 : 2
        options.ornaments = !plainOrnaments
        options.room = !dry
        return SoundSettings(render: options, tempo: tempo,
                             performance: PerformanceOptions(lift: !noLift, humanize: humanize, chords: chords),
                             soundFont: soundfont, maxOutputBytes: maxOutputMb * 1_000_000)
    }
}

