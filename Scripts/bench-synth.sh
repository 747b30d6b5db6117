#!/usr/bin/env bash
# bench-synth.sh: seconds of audio the Synth module renders per second of CPU (release build).
# Builds a throwaway package beside the build directory that depends on this one by path, so only
# Synth and ABCNotation are compiled in release. With an output directory, also writes the
# 66-second test reel once per instrument (reel-<instrument>.wav/.flac/.ogg and reel.mid) to listen to.
# Usage: Scripts/bench-synth.sh [sampleRate] [outputDirectory]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rate="${1:-44100}"
out="${2:-}"
work="${TMPDIR:-/tmp}/tunegen-bench-synth-$(id -u)"
mkdir -p "$work/Sources/bench-synth"
cat > "$work/Package.swift" <<SWIFT
// swift-tools-version: 6.1
import PackageDescription
let package = Package(
    name: "bench-synth",
    dependencies: [.package(path: "$root")],
    targets: [.executableTarget(name: "bench-synth", dependencies: [.product(name: "Synth", package: "$(basename "$root")")])]
)
SWIFT
cat > "$work/Sources/bench-synth/main.swift" <<'SWIFT'
import Foundation
import Synth
let args = CommandLine.arguments
let rate = args.count > 1 ? Int(args[1]) ?? 44_100 : 44_100
for instrument in Instrument.allCases {
    print(try SynthBenchmark.run(instrument: instrument, sampleRate: rate))
}
print(try SynthBenchmark.run(instrument: .plucked, sampleRate: rate, chords: true), "(with chord pad)")
if args.count > 2, !args[2].isEmpty {
    let dir = URL(fileURLWithPath: args[2])
    let score = SynthBenchmark.tune()
    for (instrument, ext) in zip(Instrument.allCases, ["wav", "flac", "ogg"]) {
        let r = try Synthesizer(options: RenderOptions(instrument: instrument, sampleRate: rate, chords: instrument == .plucked)).render(score)
        let url = dir.appendingPathComponent("reel-\(instrument.rawValue).\(ext)")
        try AudioFile.write(r.buffer, to: url)
        print("wrote", url.path)
    }
    try MIDIFile.write(score, to: dir.appendingPathComponent("reel.mid"))
    print("wrote", dir.appendingPathComponent("reel.mid").path)
}
SWIFT
cd "$work"
swift build -c release 2>&1 | grep -E "error|warning: unre" || true
"$(swift build -c release --show-bin-path)/bench-synth" "$rate" "$out"
