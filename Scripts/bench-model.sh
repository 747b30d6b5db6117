#!/usr/bin/env bash
# bench-model.sh: training and sampling speed of the char LSTM for bench/common.py's configurations
# (release build, `tunegen bench model`), printed as one Markdown table:
#   1. with the environment as it is (OPENBLAS_CORETYPE as set, if set: a user's value wins);
#   2. with OpenBLAS's own CPU detection (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset);
#   3. optionally, the PyTorch reference script in the same window, when TORCH_PYTHON points to a
#      Python with torch and REFERENCE_BENCH (default: ../shared/bench beside the checkout's parent)
#      holds torch_lstm.py.
# Each configuration runs in its own process, so peak RSS is per configuration. The machines are
# shared: compare figures within one run, and repeat (REPEATS=n runs every row n times).
# Usage: Scripts/bench-model.sh [configs, default ref,a,b] [timed iterations, default 20]
# Environment: REPEATS (default 1), KERNEL_THREADS (1 or 2; default: the library's), TORCH_PYTHON,
# TORCH_THREADS (default 2), REFERENCE_BENCH.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
configs="${1:-ref,a,b}"
iterations="${2:-20}"
repeats="${REPEATS:-1}"
extra=()
if [[ -n "${KERNEL_THREADS:-}" ]]; then extra+=(--recurrent-threads "$KERNEL_THREADS"); fi

swift build -c release --product tunegen >&2
bin="$(swift build -c release --show-bin-path)/tunegen"
if ! "$bin" bench --help >/dev/null 2>&1; then
    echo "bench-model.sh: this tunegen has no 'bench' subcommand (register Bench.self in Sources/tunegen/Tunegen.swift)" >&2
    exit 1
fi

echo "# tunegen bench model — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) processors, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '| run | config | ms/iter (min–max) | train chars/s | GFLOP/s | sample 1 chars/s | sample 32 chars/s | peak RSS MiB | BLAS core, threads | per-step kernel |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'

tunegen_rows() { # label, then the command prefix (env ...)
    local label="$1"; shift
    for c in ${configs//,/ }; do
        for _ in $(seq "$repeats"); do
            "$@" "$bin" bench model --configs "$c" --iterations "$iterations" "${extra[@]}" \
                | grep "^| $c |" | sed "s/^/| $label /"
        done
    done
}

tunegen_rows "tunegen (env core)" env
tunegen_rows "tunegen (detected core)" env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE

bench_dir="${REFERENCE_BENCH:-$root/../shared/bench}"
if [[ -n "${TORCH_PYTHON:-}" && -f "$bench_dir/torch_lstm.py" ]]; then
    for c in ${configs//,/ }; do
        for _ in $(seq "$repeats"); do
            # torch_lstm.py prints a "RESULT {json}" line; turn it into a row of the same table.
            (cd "$bench_dir" && "$TORCH_PYTHON" torch_lstm.py --config "$c" --iters "$iterations" --threads "${TORCH_THREADS:-2}" 2>/dev/null) \
                | grep '^RESULT ' | tail -1 | cut -c8- | "$TORCH_PYTHON" -c '
import json, sys
r = json.loads(sys.stdin.read())
print("| PyTorch %s | %s | %.1f (%.1f–%.1f) | %d | %.1f | %d | %d | %.0f | threads arg %s | — |" % (
    r.get("framework_version", ""), r["config"], 1000 * r["s_per_iter_median"], 1000 * r["s_per_iter_min"],
    1000 * r["s_per_iter_max"], r["train_chars_per_s"], r["train_gflops_per_s"], r["sample1_chars_per_s"],
    r["sampleB_chars_per_s"], r["max_rss_mib"], r["threads_arg"]))
' || echo "| PyTorch | $c | (failed) |"
        done
    done
fi
