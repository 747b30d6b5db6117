#!/usr/bin/env bash
# Times `tunegen evaluate` on two big sets built from the corpus: 13 copies of corpus/irish.abc,
# each with its K: changed to another tonic (same mode), so every copy has different pitches but
# the same music text. TUNES and the reference use the same 13 tonics: every TUNES tune is a
# verbatim copy of one reference tune and shares its characters with 12 more, the novelty
# search's worst case. About 10,450 tunes each. Usage:
#   Scripts/bench-evaluate.sh [TUNEGEN] [COPIES]      (defaults: .build/release/tunegen, 13)
set -euo pipefail
cd "$(dirname "$0")/.."
TUNEGEN="${1:-.build/release/tunegen}"
COPIES="${2:-13}"
DIR="$(mktemp -d /tmp/tunegen-bench-evaluate.XXXXXX)"
trap 'rm -rf "$DIR"' EXIT
make_set() {
  local out="$1"; : > "$out"
  local tonics=(C D E F G A B Bb Eb F# Ab Db C#)
  for c in $(seq 0 $((COPIES - 1))); do
    awk -v t="${tonics[$((c % 13))]}" '/^K:/ { n = split(substr($0, 3), w, " "); m = (n > 1) ? w[2] : ""; \
      if (match(w[1], /^[A-G][#b]?/)) { rest = substr(w[1], RLENGTH + 1); print "K:" t rest (m != "" ? " " m : ""); next } } { print }' \
      corpus/irish.abc >> "$out"
    printf '\n' >> "$out"
  done
}
make_set "$DIR/tunes.abc"
make_set "$DIR/reference.abc"
echo "bench evaluate: $(grep -c '^X:' "$DIR/tunes.abc") tunes against $(grep -c '^X:' "$DIR/reference.abc") (training = reference); $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
TUNEGEN_EVALUATE_PHASES=1 /usr/bin/time -f "wall %e s, user %U s, sys %S s, peak RSS %M KiB" "$TUNEGEN" evaluate "$DIR/tunes.abc" --reference "$DIR/reference.abc" > "$DIR/table.txt"
grep -E "tunes \(files\)|likely copies|found verbatim" "$DIR/table.txt"
