#!/usr/bin/env bash
# The main job, end to end on a fresh machine: install what is missing, build, generate tunes
# and their audio with the shipped model, check them, then train on the bundled corpus for a
# short while and generate from the model it made. Everything lands in out/.
# DEMO_ITERATIONS (default 300) sets the length of the training run.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
swift build -c release --product tunegen
tunegen="$(swift build -c release --show-bin-path)/tunegen"
mkdir -p out

echo "== tunegen generate: three jigs in D with the shipped model, rendered to WAV and sheet music"
$tunegen generate --count 3 --key D --meter 6/8 --seed 7 --out out/tunes --wav --svg
echo
echo "== tunegen check out/tunes/*.abc"
$tunegen check out/tunes/*.abc || true
echo
echo "== tunegen train: the cpu preset on corpus/irish.abc, ${DEMO_ITERATIONS:-300} iterations"
$tunegen train corpus --preset cpu --iterations "${DEMO_ITERATIONS:-300}" --eval-every 100 --out out/train
echo
echo "== tunegen generate from the model just trained"
$tunegen generate --model out/train/best.safetensors --count 1 --seed 7
