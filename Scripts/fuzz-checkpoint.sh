#!/usr/bin/env bash
# Long-run fuzzing of the checkpoint reader and the resume path with libFuzzer + AddressSanitizer:
# any bytes → Checkpoint(parsing:) → ModelFile → a scoring pass → ResumePoint.check → a Trainer
# restored from the file taking one step (Scripts/Fuzz/Sources/CheckpointFuzz).
# Usage: Scripts/fuzz-checkpoint.sh [seconds]   (default 300)
# Seeds are small real checkpoints (with and without training state, one and two layers) written
# by tunegen itself; findings land in Scripts/Fuzz/.build/findings-checkpoint.
# Prints libFuzzer's final "Done N runs in S second(s)" line: N is the number of inputs tried.
set -euo pipefail
seconds="${1:-300}"
root="$(cd "$(dirname "$0")/.." && pwd)"
export SWIFT_BACKTRACE=enable=no   # otherwise swift-backtrace can hold the output pipe for minutes
seeds="$root/Scripts/Fuzz/.build/seeds-checkpoint"; work="$root/Scripts/Fuzz/.build/corpus-checkpoint"
findings="$root/Scripts/Fuzz/.build/findings-checkpoint"
mkdir -p "$seeds" "$work" "$findings"
if [ -z "$(ls -A "$seeds")" ]; then
    (cd "$root" && swift build --product tunegen >&2)
    tunegen="$(cd "$root" && swift build --show-bin-path)/tunegen"
    tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
    awk '/^X:/ { n++ } n <= 40 { print }' "$root/corpus/irish.abc" > "$tmp/small.abc"
    common=(--preset tiny --iterations 3 --eval-every 2 --seq-length 8 --batch 2 --quiet)
    "$tunegen" train "$tmp/small.abc" "${common[@]}" --embedding 3 --hidden 4 --out "$tmp/a" >&2
    "$tunegen" train "$tmp/small.abc" "${common[@]}" --embedding 2 --hidden 3 --layers 2 --dropout 0.2 --out "$tmp/b" >&2
    "$tunegen" export "$tmp/a/latest.safetensors" -o "$tmp/export.safetensors" >&2
    cp "$tmp/a/latest.safetensors" "$seeds/latest-l1.safetensors"
    cp "$tmp/a/best.safetensors" "$seeds/best-l1.safetensors"
    cp "$tmp/b/latest.safetensors" "$seeds/latest-l2.safetensors"
    cp "$tmp/export.safetensors" "$seeds/exported.safetensors"
fi
cd "$root/Scripts/Fuzz"
swift build -c release --sanitize=fuzzer --sanitize=address >&2   # a failed build stops here (set -e)
binary="$(swift build -c release --sanitize=fuzzer --sanitize=address --show-bin-path)/CheckpointFuzz"
"$binary" "$work" "$seeds" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$findings/" -print_final_stats=1 2>&1 | tee .build/fuzz-checkpoint.log | grep -E "^#[0-9]+ *(INITED|DONE)|Done|ERROR|SUMMARY|stat::number_of_executed_units" || true
