#!/usr/bin/env bash
# Conditioning that holds in the music (issue 11, item 3): for `generate --key Bb` and
# `--key E --mode minor --meter 9/8`, the share of tunes whose notes are in the asked key and
# whose bars have the asked meter's length, measured on raw samples (--no-steer: before any
# constraint acts). Usage: Scripts/measure-conditioning.sh [--model FILE] [--count N] [--seed S]
#
# Key: Krumhansl–Kessler. Each tune's pitch-class histogram (weighted by note duration, repeats
# played) is correlated with the 24 major and minor key profiles; the tune is "in the key" when
# the best-correlated key is the asked one (Bb major; E minor). "Ends on the tonic": the last
# note played (the lowest, if a chord) is the asked tonic.
# Meter: "bars" is the share of bars whose length is the meter's (the parser's bar check: a
# pickup and the bar completing it may be short); "all bars" the share of tunes where every bar
# is (validity tier 3, with the M: the template forced).
set -euo pipefail
cd "$(dirname "$0")/.."
model=() count=50 seed=11
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model=(--model "$2"); shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    *) echo "usage: $0 [--model FILE] [--count N] [--seed S]" >&2; exit 2 ;;
  esac
done
bin=${TUNEGEN:-.build/release/tunegen}
[ -x "$bin" ] || { swift build -c release --product tunegen >/dev/null; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

measure() { # label, expected tonic pitch class, expected mode (major|minor), generate flags...
  local label="$1" tonic="$2" mode="$3"; shift 3
  "$bin" generate ${model[@]+"${model[@]}"} --count "$count" --seed "$seed" --no-steer --json "$@" > "$work/gen.json"
  python3 - "$work" "$bin" "$label" "$tonic" "$mode" <<'PY'
import json, os, subprocess, sys
work, binary, label, tonic, mode = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
major = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
minor = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]
def corr(a, b):
    ma, mb = sum(a) / 12, sum(b) / 12
    num = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    den = (sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b)) ** 0.5
    return num / den if den else 0
names = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
tunes = json.load(open(os.path.join(work, "gen.json")))["tunes"]
in_key = ends = all_bars = 0
bars = bad_bars = 0
estimates = {}
for k, t in enumerate(tunes):
    path = os.path.join(work, f"t{k}.abc")
    open(path, "w").write(t["text"])
    bars += t["bars"]
    bad_bars += sum(1 for d in t["diagnostics"] if "warning: bar is too" in d)
    all_bars += 1 if t["tiers"]["3_bars_match_meter"] else 0
    out = subprocess.run([binary, "events", path, "--json"], capture_output=True, text=True)
    hist = [0.0] * 12
    last = None
    if out.returncode == 0:
        doc = json.loads(out.stdout)
        for n in doc["notes"]:
            hist[n["pitch"] % 12] += n["duration"]
            if last is None or (n["onset"], -n["pitch"]) > (last["onset"], -last["pitch"]):
                last = n
    if sum(hist) == 0:
        estimates["none"] = estimates.get("none", 0) + 1
        continue
    best = max(((corr(hist, (major if m == "major" else minor)[-r:] + (major if m == "major" else minor)[:-r] if r else (major if m == "major" else minor)), r, m)
                for r in range(12) for m in ("major", "minor")))
    name = names[best[1]] + ("m" if best[2] == "minor" else "")
    estimates[name] = estimates.get(name, 0) + 1
    in_key += 1 if (best[1], best[2]) == (tonic, mode) else 0
    ends += 1 if last is not None and last["pitch"] % 12 == tonic else 0
n = len(tunes)
top = ", ".join(f"{k} {v}" for k, v in sorted(estimates.items(), key=lambda kv: -kv[1])[:5])
print(f"{label}: {n} tunes; in the asked key (Krumhansl-Kessler) {in_key}/{n} = {100 * in_key / n:.0f}%; "
      f"ends on the tonic {ends}/{n} = {100 * ends / n:.0f}%; bars of the meter's length {bars - bad_bars}/{bars} = "
      f"{100 * (bars - bad_bars) / max(bars, 1):.0f}%; every bar right {all_bars}/{n} = {100 * all_bars / n:.0f}%; estimated keys: {top}")
PY
}

measure "--key Bb" 10 major --key Bb
measure "--key E --mode minor --meter 9/8" 4 minor --key E --mode minor --meter 9/8
