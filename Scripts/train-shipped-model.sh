#!/usr/bin/env bash
# Retrains the shipped model (Sources/tunegen/Resources/irish.safetensors) exactly as it was
# made: the cpu preset on corpus/irish.abc with seed 1, then keeps the best-by-validation
# weights without the optimizer state (a third of the size).
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
swift build -c release --product tunegen
out=runs/shipped
.build/release/tunegen train corpus --preset cpu --seed 1 --out "$out" --log "$out/log.jsonl" "$@"
.build/release/tunegen export "$out/best.safetensors" -o Sources/tunegen/Resources/irish.safetensors
