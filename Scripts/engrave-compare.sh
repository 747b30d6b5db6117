#!/usr/bin/env bash
# engrave-compare.sh: tunegen's sheet music beside abcm2ps's, as PNGs for a reviewer, and a check
# of the tunebook page in headless Chromium.
#
#   Scripts/engrave-compare.sh [N] [ABC-FILE] [OUT-DIR]      (defaults: 6 corpus/irish.abc out/engrave-compare)
#
# 1. Picks N tunes spread over ABC-FILE, engraves each with `tunegen render -o X.svg` and with
#    `abcm2ps -g`, and screenshots both side by side with headless Chromium: OUT-DIR/NNN.png
#    (tunegen left, abcm2ps right).
# 2. Writes a tunebook (`tunegen render --all --format svg,wav` of those tunes), loads its
#    index.html in headless Chromium, checks that every image decoded and that every file the page
#    references exists, and screenshots the page: OUT-DIR/book/index.png.
# abcm2ps and chromium are Debian packages installed here only when missing; tunegen needs neither.
# TUNEGEN=path/to/tunegen uses that binary instead of building a release one.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-6}"
ABC="${2:-corpus/irish.abc}"
OUT="${3:-out/engrave-compare}"

missing=()
command -v abcm2ps >/dev/null || missing+=(abcm2ps)
command -v chromium >/dev/null || missing+=(chromium)
if ((${#missing[@]})); then
    echo "== installing ${missing[*]} (apt-get, only for this comparison)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ -z "${TUNEGEN:-}" ]; then   # TUNEGEN=path/to/tunegen skips the build
    echo "== building tunegen"
    swift build -c release --product tunegen >/dev/null
    TUNEGEN="$(swift build -c release --show-bin-path)/tunegen"
fi

CHROME=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --allow-file-access-from-files)
mkdir -p "$OUT"
OUT_ABS="$(cd "$OUT" && pwd)"
rm -f "$OUT_ABS"/*.png "$OUT_ABS"/*.svg "$OUT_ABS"/*.html "$OUT_ABS"/*.abc

# Tune k of the file (1-based, by position): from its X: line to the next blank line.
extract() {
    awk -v want="$1" '/^X:/ { n++ } n == want { print } n == want && /^[[:space:]]*$/ { exit }' "$ABC"
}

total=$(grep -c '^X:' "$ABC")
[ "$total" -gt 0 ] || { echo "no tunes in $ABC" >&2; exit 1; }
step=$(( total / N )); [ "$step" -ge 1 ] || step=1
picked=()
for ((k = 1; k <= total && ${#picked[@]} < N; k += step)); do picked+=("$k"); done

echo "== engraving ${#picked[@]} of $total tunes of $ABC with tunegen and abcm2ps"
: > "$OUT_ABS/picked.abc"
for k in "${picked[@]}"; do
    name=$(printf '%03d' "$k")
    extract "$k" > "$OUT_ABS/$name.abc"
    { cat "$OUT_ABS/$name.abc"; echo; } >> "$OUT_ABS/picked.abc"
    "$TUNEGEN" render "$OUT_ABS/$name.abc" -o "$OUT_ABS/$name-tunegen.svg" >/dev/null
    abcm2ps -q -g "$OUT_ABS/$name.abc" -O "$OUT_ABS/$name-abcm2ps.svg" >/dev/null 2>&1 || true
    ref=$(ls "$OUT_ABS/$name"-abcm2ps*.svg 2>/dev/null | head -1 || true)
    cat > "$OUT_ABS/$name.html" <<EOF
<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body { margin: 0; display: flex; gap: 12px; background: #fff; font-family: sans-serif; }
figure { margin: 0; width: 820px; } figcaption { background: #eee; padding: 4px; }
img { width: 820px; }
</style></head><body>
<figure><figcaption>tunegen</figcaption><img src="$name-tunegen.svg"></figure>
<figure><figcaption>abcm2ps -g</figcaption>$( [ -n "$ref" ] && echo "<img src=\"$(basename "$ref")\">" || echo "(abcm2ps wrote nothing)" )</figure>
</body></html>
EOF
    timeout 120 "${CHROME[@]}" --window-size=1660,1400 --screenshot="$OUT_ABS/$name.png" "file://$OUT_ABS/$name.html" >/dev/null 2>&1
    echo "$OUT/$name.png"
done

echo "== tunebook page"
BOOK="$OUT_ABS/book"
rm -rf "$BOOK"
"$TUNEGEN" render "$OUT_ABS/picked.abc" --all --format svg,wav -o "$BOOK" >/dev/null
# Every file the page references exists.
status=0
refs=$(grep -o -E '(src|href)="[^"#][^"]*"' "$BOOK/index.html" | sed -E 's/^(src|href)="//; s/"$//' | sort -u)
count=0
for ref in $refs; do
    file=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1]))' "$ref")
    count=$((count + 1))
    if [ ! -s "$BOOK/$file" ]; then echo "missing: $BOOK/$file" >&2; status=1; fi
done
echo "$count files referenced by index.html, all present: $([ $status -eq 0 ] && echo yes || echo NO)"
# The page renders: a probe copy reports, from inside the page, how many images decoded.
sed 's#</body>#<script>addEventListener("load", () => { const i = [...document.images]; document.title = "loaded " + i.filter(x => x.complete \&\& x.naturalWidth > 0).length + " of " + i.length; });</script></body>#' \
    "$BOOK/index.html" > "$BOOK/probe.html"
title=$(timeout 120 "${CHROME[@]}" --virtual-time-budget=5000 --dump-dom "file://$BOOK/probe.html" 2>/dev/null | grep -o '<title>[^<]*</title>' | head -1)
rm -f "$BOOK/probe.html"
echo "headless Chromium: $title"
images=$(grep -c '<img ' "$BOOK/index.html" || true)
[ "$title" = "<title>loaded $images of $images</title>" ] || { echo "not every image of the page loaded" >&2; status=1; }
timeout 120 "${CHROME[@]}" --window-size=1000,1600 --screenshot="$BOOK/index.png" "file://$BOOK/index.html" >/dev/null 2>&1
echo "$OUT/book/index.png"
exit $status
