#!/usr/bin/env bash
# Seconds of audio tunegen renders per second of CPU, on the first N corpus tunes (default 40),
# for each instrument (release build). To listen: tunegen render corpus/irish.abc --all -o DIR.
# Usage: Scripts/bench-synth.sh [tunes]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product tunegen >&2
"$(swift build -c release --show-bin-path)/tunegen" bench synth --tunes "${1:-40}"
