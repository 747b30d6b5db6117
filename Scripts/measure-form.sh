#!/usr/bin/env bash
# Measures what steering gives, as the README's Steering table reports it: for default flags
# (200 tunes) and each meter (50 tunes), with and without --no-steer: tiers, form, tonic ending,
# masked mass (tunegen's own summary) and abc2midi's errors and bar-length warnings (abc2midi is
# a test-time tool: Scripts/setup.sh installs the abcmidi package). Usage: measure-form.sh [TUNEGEN]
set -euo pipefail
bin=${1:-.build/release/tunegen}
command -v abc2midi >/dev/null || { echo "abc2midi is not installed (apt-get install abcmidi)" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
row() {  # label count args...
  local label=$1 count=$2; shift 2
  local dir="$work/$(echo "$label" | tr -c 'A-Za-z0-9' '_')"
  mkdir -p "$dir"
  local summary; summary=$("$bin" generate --count "$count" --seed 1 --out "$dir" "$@" 2>&1 >/dev/null | tail -1)
  local err=0 warn=0
  for f in "$dir"/*.abc; do
    out=$(timeout 10 abc2midi "$f" -o "$dir/x.mid" 2>&1 || true)
    echo "$out" | grep -q "Error" && err=$((err+1))
    echo "$out" | grep -q "time units" && warn=$((warn+1))
  done
  echo "$label | $summary | abc2midi errors $err, bar warnings $warn"
}
row "default" 200
row "default --no-steer" 200 --no-steer
for m in 'C|' C 6/8 9/8 2/4 3/4; do
  row "--meter $m" 50 --meter "$m"
  row "--meter $m --no-steer" 50 --meter "$m" --no-steer
done
