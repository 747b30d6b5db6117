#!/usr/bin/env bash
# Long-run fuzzing of the ABC parser with libFuzzer + AddressSanitizer.
# Usage: Scripts/fuzz-abc.sh [seconds]   (default 300)
# Seeds are the tunes of corpus/irish.abc, one file each; findings land in Scripts/Fuzz/.build/findings.
# Prints libFuzzer's final "Done N runs in S second(s)" line: N is the number of inputs tried.
set -euo pipefail
seconds="${1:-300}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/Scripts/Fuzz"
export SWIFT_BACKTRACE=enable=no   # otherwise swift-backtrace can hold the output pipe for minutes
swift build -c release --sanitize=fuzzer --sanitize=address >&2   # a failed build stops here (set -e)
binary="$(swift build -c release --sanitize=fuzzer --sanitize=address --show-bin-path)/ABCFuzz"
seeds=".build/seeds"; work=".build/corpus"; findings=".build/findings"
mkdir -p "$seeds" "$work" "$findings"
if [ -z "$(ls -A "$seeds")" ]; then
    awk -v dir="$seeds" '/^X:/ { n++; file = sprintf("%s/tune-%04d.abc", dir, n) } n { print > file }' "$root/corpus/irish.abc"
fi
"$binary" "$work" "$seeds" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$findings/" -print_final_stats=1 2>&1 | tee .build/fuzz.log | grep -E "^#[0-9]+ *(INITED|DONE)|Done|ERROR|SUMMARY|stat::number_of_executed_units" || true
