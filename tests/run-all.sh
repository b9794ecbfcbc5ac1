#!/usr/bin/env bash
# tests/run-all.sh - build and run the whole test suite in every configuration:
#   build/        hardened RelWithDebInfo build: ctest (unit + integration)
#   build-asan/   ASan+UBSan build: ctest (unit + integration)
#   build-fuzz/   clang + libFuzzer: the corpus replay (ctest -L fuzz; the
#                 unit and integration tests already ran twice above), then
#                 every target fuzzed for FUZZ_SECONDS (default 40) each
# Needs the Debian packages that .ci/run installs. Exit status: 0 all passed.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-2}
fuzz_seconds=${FUZZ_SECONDS:-40}

# configure_and_test DIR [CMAKE_ARGS...] - build DIR and run its ctest;
# CTEST_LABEL, when set, runs only the tests of that label
configure_and_test() {
  local dir=$1; shift
  echo "==== $dir: configure and build"
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "==== $dir: ctest ${CTEST_LABEL:+-L $CTEST_LABEL}"
  (cd "$dir" && ctest --output-on-failure --no-tests=error -j"$jobs" ${CTEST_LABEL:+-L "$CTEST_LABEL"})
}

configure_and_test build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  configure_and_test build-asan -DCMAKE_BUILD_TYPE=Debug -DDANE_SANITIZE=ON
CTEST_LABEL=fuzz configure_and_test build-fuzz -DCMAKE_BUILD_TYPE=Debug -DDANE_FUZZ=ON -DCMAKE_C_COMPILER=clang
echo "==== fuzz: ${fuzz_seconds}s per target"
bash fuzz/run.sh build-fuzz "$fuzz_seconds"
echo "==== all tests passed"
