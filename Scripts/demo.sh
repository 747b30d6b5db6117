#!/usr/bin/env bash
# The main job: build tunegen and show it at work on the bundled corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
swift build -c release --product tunegen
.build/release/tunegen --help
