#!/usr/bin/env bash
# Retrains the shipped model (Sources/Composer/Resources/irish.safetensors) exactly as it was
# made: the cpu preset on corpus/ with seed 1, validating every 250 iterations, then keeps the
# best-by-validation weights without the optimizer state (a third of the size). Deterministic:
# the same code gives the same weights; about two minutes on a quiet 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
swift build -c release --product tunegen
tunegen="$(swift build -c release --show-bin-path)/tunegen"
out=runs/shipped
rm -rf "$out"
"$tunegen" train corpus --preset cpu --precision fp32 --seed 1 --eval-every 250 --out "$out" --log "$out/log.jsonl" "$@"
"$tunegen" export "$out/best.safetensors" -o Sources/Composer/Resources/irish.safetensors
