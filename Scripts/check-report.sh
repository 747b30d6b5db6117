#!/usr/bin/env bash
# Checks `tunegen evaluate --report` in a real browser: writes a report (the first 200 corpus tunes
# against the whole corpus), screenshots it with headless Chromium (Debian's `chromium`, a check-time
# tool only: tunegen never needs it), and counts the plots' bar colours in the PNG, so a page that
# does not load or whose SVG does not render fails. Usage:
#   Scripts/check-report.sh [TUNEGEN] [OUTDIR]      (defaults: .build/debug/tunegen, /tmp/tunegen-report-check)
# Prints "report renders: …" and exits 0 on success; the screenshot is OUTDIR/screenshot.png.
set -euo pipefail
cd "$(dirname "$0")/.."
TUNEGEN="${1:-.build/debug/tunegen}"
OUT="${2:-/tmp/tunegen-report-check}"
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$CHROMIUM" ]; then echo "check-report: chromium not found (apt-get install chromium)" >&2; exit 77; fi
mkdir -p "$OUT"
# TUNES: the first 200 tunes of the corpus (a tune ends at a blank line).
awk 'BEGIN{RS=""; ORS="\n\n"} NR<=200' corpus/irish.abc > "$OUT/first200.abc"
"$TUNEGEN" evaluate "$OUT/first200.abc" --reference corpus/irish.abc --report "$OUT/report" > "$OUT/table.txt"
rm -f "$OUT/screenshot.png"
# --no-sandbox: root in a container; a fresh profile so no other Chromium state is touched.
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$OUT/profile" \
  --window-size=1400,2600 --screenshot="$OUT/screenshot.png" "file://$(realpath "$OUT/report/index.html")" \
  > "$OUT/chromium.log" 2>&1 || { cat "$OUT/chromium.log" >&2; exit 1; }
[ -s "$OUT/screenshot.png" ] || { echo "check-report: no screenshot" >&2; cat "$OUT/chromium.log" >&2; exit 1; }
python3 - "$OUT/screenshot.png" <<'PY'
# Decodes the PNG with zlib alone and counts pixels of the two series colours.
import sys, zlib, struct
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width, height, ctype = 8, b"", 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b"IHDR": width, height, depth, ctype = struct.unpack(">IIBB", body[:10]); assert depth == 8
    elif kind == b"IDAT": idat += body
bpp = {2: 3, 6: 4}[ctype]
raw, stride = zlib.decompress(idat), width * bpp
rows, prev, i = [], bytearray(stride), 0
for _ in range(height):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line)); prev = line
counts = {"TUNES #d0563b": 0, "reference #3b6fd0": 0}
for row in rows:
    for x in range(0, stride, bpp):
        px = row[x:x + 3]
        if px == b"\xd0\x56\x3b": counts["TUNES #d0563b"] += 1
        elif px == b"\x3b\x6f\xd0": counts["reference #3b6fd0"] += 1
print(f"screenshot {width}x{height}: " + ", ".join(f"{k} {v} px" for k, v in counts.items()))
if min(counts.values()) < 2000:
    sys.exit("check-report: the plots did not render (too few bar pixels)")
PY
echo "report renders: $OUT/report/index.html, screenshot $OUT/screenshot.png"
