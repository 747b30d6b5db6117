#!/usr/bin/env bash
# Renders one phrase on each built-in instrument (dry, mono, 22.05 kHz: the instrument alone) and
# draws its spectrogram into docs/sound/INSTRUMENT.png with Scripts/spectrogram.py (numpy).
# Usage: Scripts/sound-pictures.sh [path/to/tunegen]   (default: .build/debug/tunegen)
set -euo pipefail
cd "$(dirname "$0")/.."
tunegen="${1:-.build/debug/tunegen}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p docs/sound
# A run of eighth notes (attacks, noise bursts), then a held A5 for 2 s (the vibrato growing).
cat > "$work/phrase.abc" <<'EOF'
X:1
T:Spectrogram phrase
M:4/4
L:1/8
Q:1/4=100
K:D
DEFG ABcd|a8-|a4 z4|]
EOF
for instrument in plucked bowed flute whistle accordion; do
  "$tunegen" render "$work/phrase.abc" -o "$work/$instrument.wav" --instrument "$instrument" --rate 22050 --mono --dry > /dev/null
  python3 Scripts/spectrogram.py "$work/$instrument.wav" "docs/sound/$instrument.png"
  echo "docs/sound/$instrument.png"
done
