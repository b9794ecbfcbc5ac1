#!/usr/bin/env bash
# tests/run-all.sh - build and run the whole test suite in every configuration:
#   build/        hardened RelWithDebInfo build: ctest (unit + integration)
#   build-asan/   ASan+UBSan build: ctest (unit + integration)
#   build-fuzz/   clang + libFuzzer: corpus replay under ctest, then every
#                 target fuzzed for FUZZ_SECONDS (default 60) each
# Needs the Debian packages that .ci/run installs. Exit status: 0 all passed.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-2}
fuzz_seconds=${FUZZ_SECONDS:-60}

configure_and_test() {
  local dir=$1; shift
  echo "==== $dir: configure and build"
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "==== $dir: ctest"
  (cd "$dir" && ctest --output-on-failure --no-tests=error -j"$jobs")
}

configure_and_test build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  configure_and_test build-asan -DCMAKE_BUILD_TYPE=Debug -DDANE_SANITIZE=ON
configure_and_test build-fuzz -DCMAKE_BUILD_TYPE=Debug -DDANE_FUZZ=ON -DCMAKE_C_COMPILER=clang
echo "==== fuzz: ${fuzz_seconds}s per target"
bash fuzz/run.sh build-fuzz "$fuzz_seconds"
echo "==== all tests passed"
