#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs the fuzz targets one after the other, each for a bounded time, and prints per target: executions,
# executions per second, coverage (libFuzzer's cov = edges, ft = features), corpus size and the result.
#
#   fuzz/run.sh BUILD_DIR SECONDS [TARGET...]     (TARGET: query, http, ...; default all)
#
# Each target starts from its seeds (BUILD_DIR/fuzz-seeds/<target>, fuzz/make_seeds.py) plus the corpus kept in
# $FUZZ_CORPUS/<target> (default BUILD_DIR/fuzz-corpus), where new inputs are added, so a later run continues.
# A crash, leak, sanitizer report, timeout (> $FUZZ_TIMEOUT s for one input, default 25) or out-of-memory
# (> 2 GB) stops that target and writes the input to BUILD_DIR/fuzz-artifacts/<target>/; the script then exits
# 1 after running the others. Logs: BUILD_DIR/fuzz-logs/<target>.log. Reproduce a finding with
#   BUILD_DIR/fuzz/fuzz_<target> BUILD_DIR/fuzz-artifacts/<target>/crash-...
set -u -o pipefail

build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(query vocabulary tokenize tokenizer_files labels_csv manifest params http audio image)
fi
corpus_root=${FUZZ_CORPUS:-$build/fuzz-corpus}
timeout=${FUZZ_TIMEOUT:-25}
mkdir -p "$build/fuzz-logs"

# Sanitizer settings: abort on the first report, and no leak check at exit of the fuzzer process itself
# (libFuzzer checks for leaks per input with -detect_leaks).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1

failed=0
summary=()
for t in "${targets[@]}"; do
  bin="$build/fuzz/fuzz_$t"
  seeds="$build/fuzz-seeds/$t"
  if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
    echo "fuzz/run.sh: $bin or $seeds missing (build fuzz_all and run fuzz/make_seeds.py first)" >&2
    exit 2
  fi
  corpus="$corpus_root/$t"
  artifacts="$build/fuzz-artifacts/$t/"
  log="$build/fuzz-logs/$t.log"
  mkdir -p "$corpus" "$artifacts"
  echo "== fuzz_$t for ${seconds}s (log: $log)"
  "$bin" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$corpus" "$seeds" >"$log" 2>&1
  rc=$?
  execs=$(grep -a 'stat::number_of_executed_units' "$log" | tail -1 | awk '{print $2}')
  rate=$(grep -a 'stat::average_exec_per_sec' "$log" | tail -1 | awk '{print $2}')
  line=$(grep -aE '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$line")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$line")
  files=$(find "$corpus" -type f | wc -l)
  if [ $rc -eq 0 ]; then
    result=ok
  else
    result="FAILED (exit $rc; $(ls -t "$artifacts" | head -1))"
    failed=1
    grep -aE 'ERROR: |runtime error|broken promise|SUMMARY' "$log" | head -5 >&2
  fi
  summary+=("$(printf '%-11s %9s %8s %6s %6s %7s  %s' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
    "$files" "$result")")
done

printf '\n%-11s %9s %8s %6s %6s %7s  %s\n' target execs exec/s cov ft corpus result
printf '%s\n' "${summary[@]}"
exit $failed
