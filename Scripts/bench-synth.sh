#!/usr/bin/env bash
# bench-synth.sh: seconds of audio the Synth module renders per second of CPU (release build).
# Builds a throwaway package beside the build directory that depends on this one by path, so only
# Synth and ABCNotation are compiled in release. Usage: Scripts/bench-synth.sh [sampleRate]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rate="${1:-44100}"
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
import Synth
let rate = Int(CommandLine.arguments.dropFirst().first ?? "44100") ?? 44_100
for instrument in Instrument.allCases {
    print(try SynthBenchmark.run(instrument: instrument, sampleRate: rate))
}
print(try SynthBenchmark.run(instrument: .plucked, sampleRate: rate, chords: true), "(with chord pad)")
SWIFT
cd "$work"
swift build -c release 2>&1 | grep -E "error|warning: unre" || true
"$(swift build -c release --show-bin-path)/bench-synth" "$rate"
