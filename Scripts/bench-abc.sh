#!/usr/bin/env bash
# Benchmark the ABC library: builds tunegen in release and runs the hidden `bench-abc`
# subcommand on corpus/irish.abc (or the file given). Prints parse and score throughput in MB/s.
# Usage: Scripts/bench-abc.sh [file.abc] [rounds]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
swift build -c release --product tunegen 2>&1 | grep -E "error|warning: unre" || true
"$(swift build -c release --show-bin-path)/tunegen" bench-abc "${1:-corpus/irish.abc}" --rounds "${2:-10}"   # also: tunegen bench abc
