#!/usr/bin/env bash
# Benchmark the ABC library: builds tunegen in release and runs `tunegen bench abc` on
# corpus/irish.abc (or the file given). Prints parse, score and format throughput in MB/s.
# Usage: Scripts/bench-abc.sh [file.abc] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product tunegen >&2
"$(swift build -c release --show-bin-path)/tunegen" bench abc "${1:-corpus/irish.abc}" --rounds "${2:-10}"
