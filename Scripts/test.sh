#!/usr/bin/env bash
# Installs what is missing, then runs every test. Usage: Scripts/test.sh [swift test args]
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
swift build --build-tests
# XCTest only: the suites are XCTest, and a closing "0 tests" line from Swift Testing would mislead.
swift test --skip-build --disable-swift-testing "$@"
