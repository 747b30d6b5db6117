#!/usr/bin/env bash
# bench-mpi.sh: data-parallel training throughput on this machine. Trains the same run with 1
# process (no mpirun) and with `mpirun --oversubscribe -np N` for each N given, and prints one
# Markdown row per N: the median step time (after 5 warm-up steps), training characters per
# second (B·T per step) and the scaling efficiency against 1 process (throughput / (N × one's)).
#   strong scaling (default): the same global batch B shared by N ranks (B/N streams each), the
#                             run whose losses equal one process's;
#   weak scaling (WEAK=1):    B × N, each rank keeping B streams (a different run: N× the data per step).
# Ranks on one machine share its cores (each gets processors/N threads), so on a 2-core machine
# anything past 2 ranks is oversubscribed: this measures overhead, not a cluster.
# Usage: Scripts/bench-mpi.sh [preset: cpu|mit|tiny, default cpu] [iterations, default 40] [ranks, default "2 4"]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
preset="${1:-cpu}"
iterations="${2:-40}"
ranks="${3:-2 4}"
Scripts/setup.sh
swift build -c release --product tunegen >&2
bin="$(swift build -c release --show-bin-path)/tunegen"
command -v mpirun >/dev/null || { echo "bench-mpi.sh: mpirun not found (Scripts/setup.sh installs openmpi-bin)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# The preset's batch B and window T, as train prints them ("B 16, T 100,").
header="$("$bin" train corpus --preset "$preset" --iterations 1 --eval-every 1 --out "$work/probe" 2>&1 | grep ' B [0-9]*, T ' | head -1)"
base_batch="$(sed 's/.* B \([0-9]*\), T.*/\1/' <<<"$header")"
window="$(sed 's/.* T \([0-9]*\),.*/\1/' <<<"$header")"

# Median of a log field ($2) over the steps after the first 5 ("-" when absent).
median() {
    { grep -o "\"$2\":[0-9.e+-]*" "$1" || true; } | cut -d: -f2 | tail -n +6 | sort -g \
        | awk '{ v[n++] = $1 } END { if (n == 0) { print "-"; exit } print (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2 }'
}

echo "# tunegen data-parallel training, preset $preset (T $window), $iterations iterations, $([[ "${WEAK:-0}" == 1 ]] && echo weak || echo strong) scaling — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) processors, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| processes | batch B (streams per rank) | ms/step (median) | of which exchange | chars/s | speed-up | efficiency |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
one=""
for n in 1 $ranks; do
    batch="$base_batch"
    [[ "${WEAK:-0}" == 1 ]] && batch=$((base_batch * n))
    log="$work/log-$n.jsonl"
    flags=(train corpus --preset "$preset" --batch "$batch" --iterations "$iterations" --eval-every 100000
           --checkpoint-every 100000 --out "$work/run-$n" --log "$log" --quiet)
    if [[ "$n" == 1 ]]; then
        "$bin" "${flags[@]}" >/dev/null 2>&1
    else
        mpirun --oversubscribe --bind-to none -np "$n" "$bin" "${flags[@]}" >/dev/null 2>&1
    fi
    cps="$(median "$log" chars_per_s)"
    exchange="$(median "$log" exchange_ms)"
    [[ -z "$one" ]] && one="$cps"
    awk -v n="$n" -v b="$batch" -v t="$window" -v cps="$cps" -v one="$one" -v x="$exchange" 'BEGIN {
        lo = int(b / n); hi = int((b + n - 1) / n); share = (lo == hi) ? lo : lo "–" hi
        printf "| %d | %d (%s) | %.1f | %s | %.0f | %.2f× | %.0f%% |\n", n, b, share, 1000 * b * t / cps,
               (x == "-") ? "–" : sprintf("%.1f ms", x), cps, cps / one, 100 * cps / one / n }'
done
