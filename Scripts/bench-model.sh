#!/usr/bin/env bash
# bench-model.sh: training and sampling speed of the char LSTM beside PyTorch, in one window.
# For bench/common.py's configurations (release build, `tunegen bench model --json`), REPEATS
# rounds; each round runs, per configuration, tunegen at each weight precision and then (when
# TORCH_PYTHON points to a Python with torch) ../shared/bench/torch_lstm.py, so every ratio is
# between runs of the same round. Prints the host (CPU model, caches, load), every run, then per
# configuration the spread (min–max over rounds) and the paired ratios against PyTorch.
# Each run is its own process, so peak RSS is per run. Sampling with one stream reads every
# weight once per character: its speed depends on whether they stay in caches the machine's other
# tenants share, so it is the figure that drifts most between windows.
# Usage: Scripts/bench-model.sh [configs, default ref,a,b] [timed iterations, default 20]
# Environment: REPEATS (default 2), PRECISIONS (default fp32,bf16), KERNEL_THREADS (1 or 2),
# TORCH_PYTHON, TORCH_THREADS (default 2), REFERENCE_BENCH (default ../shared/bench).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
configs="${1:-ref,a,b}"
iterations="${2:-20}"
repeats="${REPEATS:-2}"
precisions="${PRECISIONS:-fp32,bf16}"
extra=()
if [[ -n "${KERNEL_THREADS:-}" ]]; then extra+=(--recurrent-threads "$KERNEL_THREADS"); fi

swift build -c release --product tunegen >&2
bin="$(swift build -c release --show-bin-path)/tunegen"
bench_dir="${REFERENCE_BENCH:-$root/../shared/bench}"
results="$(mktemp)"
trap 'rm -f "$results"' EXIT

echo "# tunegen bench model, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "host: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) processors; L2 $(lscpu | sed -n 's/^L2 cache: *//p'), L3 $(lscpu | sed -n 's/^L3 cache: *//p'); load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

for round in $(seq "$repeats"); do
    for c in ${configs//,/ }; do
        for p in ${precisions//,/ }; do
            "$bin" bench model --configs "$c" --iterations "$iterations" --precision "$p" --json "${extra[@]}" \
                | sed "s/^/TUNEGEN $round $p /" >> "$results"
        done
        if [[ -n "${TORCH_PYTHON:-}" && -f "$bench_dir/torch_lstm.py" ]]; then
            (cd "$bench_dir" && "$TORCH_PYTHON" torch_lstm.py --config "$c" --iters "$iterations" --threads "${TORCH_THREADS:-2}" 2>/dev/null) \
                | grep '^RESULT ' | tail -1 | sed "s/^RESULT /TORCH $round - /" >> "$results" || true
        fi
    done
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

python3 - "$results" <<'PY'
import json, sys
runs = []
for line in open(sys.argv[1]):
    who, rnd, prec, doc = line.split(" ", 3)
    r = json.loads(doc)
    if who == "TUNEGEN":
        runs.append(dict(who="tunegen " + prec, round=int(rnd), config=r["config"]["name"], ms=r["msPerIteration"],
                         train=r["trainCharactersPerSecond"], s1=r["sample1CharactersPerSecond"], s32=r["sampleBatchedCharactersPerSecond"],
                         rss=r["peakResidentMiB"], mib=r["bytesPerSampledCharacter"] / 1048576, gbs=r["sample1GigabytesPerSecond"],
                         phases=r["phaseMilliseconds"], other=r["unaccountedMilliseconds"]))
    else:
        runs.append(dict(who="PyTorch " + r.get("framework_version", ""), round=int(rnd), config=r["config"], ms=1000 * r["s_per_iter_median"],
                         train=r["train_chars_per_s"], s1=r["sample1_chars_per_s"], s32=r["sampleB_chars_per_s"], rss=r["max_rss_mib"],
                         mib=None, gbs=None, phases=None, other=None))
print("| round | run | config | ms/iter | train chars/s | sample 1 chars/s | MiB read/char, GB/s | sample 32 chars/s | peak RSS MiB |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in runs:
    bw = "%.1f, %.1f" % (r["mib"], r["gbs"]) if r["mib"] is not None else "—"
    print("| %d | %s | %s | %.1f | %d | %d | %s | %d | %.0f |" % (r["round"], r["who"], r["config"], r["ms"], r["train"], r["s1"], bw, r["s32"], r["rss"]))
print()
def span(xs, fmt="%d"):
    return (fmt % min(xs)) + ("" if len(xs) == 1 or fmt % min(xs) == fmt % max(xs) else "–" + fmt % max(xs))
print("Spread over rounds, and ratios to PyTorch paired within each round:")
print()
print("| config | run | train chars/s | ×PyTorch | sample 1 chars/s | ×PyTorch | peak RSS MiB | vs PyTorch |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
configs = list(dict.fromkeys(r["config"] for r in runs))
for c in configs:
    torch = {r["round"]: r for r in runs if r["config"] == c and r["who"].startswith("PyTorch")}
    for who in dict.fromkeys(r["who"] for r in runs if r["config"] == c):
        rs = [r for r in runs if r["config"] == c and r["who"] == who]
        paired = [r for r in rs if r["round"] in torch]
        tr = span([r["train"] / torch[r["round"]]["train"] for r in paired], "%.2f") + "×" if paired and not who.startswith("PyTorch") else "—"
        s1 = span([r["s1"] / torch[r["round"]]["s1"] for r in paired], "%.1f") + "×" if paired and not who.startswith("PyTorch") else "—"
        rss = span([r["rss"] for r in rs], "%.0f")
        vs = span([torch[r["round"]]["rss"] for r in paired], "%.0f") if paired and not who.startswith("PyTorch") else "—"
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (c, who, span([r["train"] for r in rs]), tr, span([r["s1"] for r in rs]), s1, rss, vs))
print()
names = ["input projection", "recurrent fwd", "cell fwd", "output layer", "cell bwd", "recurrent bwd", "weight/input grads", "clip+Adam", "input table", "other"]
print("Where a tunegen training iteration goes (mean ms per iteration, last round):")
print()
print("| config | run | " + " | ".join(names) + " |")
print("| --- | --- | " + " | ".join("---" for _ in names) + " |")
last = max(r["round"] for r in runs)
for r in runs:
    if r["phases"] is None or r["round"] != last: continue
    print("| %s | %s | " % (r["config"], r["who"]) + " | ".join("%.1f" % x for x in r["phases"] + [r["other"]]) + " |")
PY
