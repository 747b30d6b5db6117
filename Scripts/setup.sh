#!/usr/bin/env bash
# Installs the Debian packages tunegen builds against, only when they are missing.
set -euo pipefail
need=()
# openmpi-bin: mpirun and libmpi.so.40, loaded at run time by `mpirun … tunegen train` and used by
# the data-parallel test; nothing links against it, so no libopenmpi-dev.
# libfluidsynth-dev: the optional `--soundfont` path (Synth's CFluidSynth) links against it.
# abcmidi (abc2midi) is a test-time tool only: a test reads generated tunes with it; tunegen never runs it.
for pkg in libopenblas-dev libsndfile1-dev libfluidsynth-dev pkg-config openmpi-bin abcmidi; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${need[@]}"
fi
