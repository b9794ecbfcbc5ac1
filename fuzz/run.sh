#!/usr/bin/env bash
# fuzz/run.sh BUILD_DIR [SECONDS] - fuzz every target for a bounded time.
# The committed corpus is read, never written: new inputs go to a scratch
# directory, removed at the end. An input that crashes, leaks or times out is
# kept in BUILD_DIR/fuzz-artifacts/ (FUZZ_ARTIFACTS names another directory),
# and its path is printed: replay it with "BUILD_DIR/fuzz/fuzz_NAME PATH".
# Fails on any crash, leak or sanitizer report (libFuzzer exits non-zero).
set -euo pipefail
build=${1:?usage: fuzz/run.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
artifacts=${FUZZ_ARTIFACTS:-$build/fuzz-artifacts}
mkdir -p "$artifacts"
artifacts=$(cd "$artifacts" && pwd)
status=0
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin"); corpus=${name#fuzz_}
  mkdir -p "$scratch/$corpus"
  dict=()
  [ -f "$here/dict/$corpus.dict" ] && dict=(-dict="$here/dict/$corpus.dict")
  echo "== fuzz $name for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$artifacts/$name-" -print_final_stats=1 "${dict[@]}" \
       "$scratch/$corpus" "$here/corpus/$corpus" 2>"$scratch/$name.log"; then
    tail -n 60 "$scratch/$name.log"
    echo "FAIL: $name; inputs kept: $(ls -d "$artifacts/$name"-* 2>/dev/null | tr '\n' ' ')"
    status=1
  else
    grep -E '^stat::(number_of_executed_units|new_units_added)|cov: ' "$scratch/$name.log" | tail -n 3
  fi
done
exit $status
