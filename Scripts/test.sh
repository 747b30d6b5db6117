#!/usr/bin/env bash
# Installs what is missing, then runs every test. Usage: Scripts/test.sh [--fast] [swift test args]
# --fast skips the slow suites and tests (training runs, the shipped model at scale, fuzzing,
# hostile inputs and faults, whole-corpus passes, mpirun, Chromium) and the compile of the fuzz
# harnesses: the rest runs in about 20 s after a build on these 2-core machines, for the
# edit-build-test loop.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
skip=()
fast=0
if [ "${1:-}" = "--fast" ]; then
  shift
  fast=1
  for slow in ShippedModelTests TrainGenerateTests FuzzTests \
              'RobustnessTests.testHundredThousand' 'CheckpointTests.testRandomBitFlips' \
              'GradientTests.testFiniteDifferences' 'CheckpointInteropTests' DataParallelCLITests \
              'EngraverTests.testEveryCorpusTuneEngraves' 'EngraverTests.testAHugeSingleLineIsSplitIntoSystems' \
              'EvaluateCommandTests.testReportRendersInHeadlessChromium' \
              'TransposeTests.testEveryCorpusTune' HostileInputTests FaultTests InstrumentTests \
              TransposeAugmentationTests 'TuneReaderTests.testRandomWalks' 'TuneReaderTests.testCorpus' \
              'TuneReaderTests.testFreeFormWalks' 'TuneReaderTests.testEveryWalk' 'TuneReaderTests.testLongPickups' \
              SheetMusicCommandTests PerformanceTests CorpusTests RenderCommandTests TransposeCommandTests \
              'RobustnessTests.testMegabyteLine' 'LossCurveSVGTests.testHugeSeries' 'SynthesizerTests.testA440' \
              'ElementwiseTests.testAgreeWithLibm' 'EventsCommandTests.testCorpusTuneEvents' \
              'CheckCommandTests.testCorpusSummary' 'RoomTests.testRoomMatchesThePlainFrameByFrameTwin' \
              'SynthesizerTests.testSameInputGivesIdenticalSamples' 'BlockKernelTests.testStreamedMixIsTheWholeBufferRender'; do
    skip+=(--skip "$slow")
  done
fi
swift build --build-tests
if [ "$fast" = 0 ]; then
  # The libFuzzer harnesses (Scripts/Fuzz) are a package of their own that no test imports: compile
  # both (debug, no sanitizers; linking needs libFuzzer's main) so an API change that breaks them
  # fails here and not in the next fuzz run. Scripts/fuzz-abc.sh and fuzz-checkpoint.sh run them.
  for harness in ABCFuzz CheckpointFuzz; do
    swift build --package-path Scripts/Fuzz --target "$harness"
  done
fi
# XCTest only: the suites are XCTest, and a closing "0 tests" line from Swift Testing would mislead.
swift test --skip-build --disable-swift-testing ${skip[@]+"${skip[@]}"} "$@"
