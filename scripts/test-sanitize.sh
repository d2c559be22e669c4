#!/usr/bin/env bash
# `make test-sanitize`: builds everything with ASan + UBSan (AUDIORIUM_SANITIZE=address,undefined, RelWithDebInfo)
# in BUILD_DIR and runs the whole ctest suite under it — the GoogleTest binaries, the Node suites and test_neural,
# and every `audiorium` those tests start (the same build's binary, through AUDIORIUM_BIN; the options travel in
# the environment). Reports are written to BUILD_DIR/sanitizer-logs/ rather than stderr, so a finding in a child
# whose output or exit status a test ignores is still seen: any report there fails the run.
#   usage: scripts/test-sanitize.sh [BUILD_DIR] [JOBS] [extra ctest arguments, e.g. -R Scanner]
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$(realpath -m "${1:-$ROOT/build-asan}")"
JOBS="${2:-$(nproc)}"
shift $(($# < 2 ? $# : 2))
LOGS="$BUILD_DIR/sanitizer-logs"
SUPP="$ROOT/tools/sanitizers"

# detect_leaks: LeakSanitizer at every exit (suppressions only for Debian libraries, see lsan.supp).
# check_initialization_order/strict_init_order: static-initialisation order bugs across translation units.
# detect_stack_use_after_return: pointers to a returned function's locals.
# intercept_tls_get_addr=0: GCC 12's runtime misreads dynamic TLS blocks on glibc >= 2.25 (google/sanitizers#1322)
# and LeakSanitizer's tracer then segfaults at exit of any process that loaded libtorch (libaudiorium_torch.so):
# "Tracer caught signal 11", a fatal error that reports no leak. The price: dlopen()ed libraries' thread-locals
# are not scanned as roots, which could only add false leak reports (none seen), never hide one.
export ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1:strict_string_checks=1:intercept_tls_get_addr=0:log_path=$LOGS/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$LOGS/ubsan"
export LSAN_OPTIONS="suppressions=$SUPP/lsan.supp:print_suppressions=0"
export OMP_WAIT_POLICY=PASSIVE

elapsed() { echo "$(( $(date +%s) - $1 ))"; }
print_reports() {
  local reports
  reports=$(find "$LOGS" -type f | sort)
  [ -z "$reports" ] && return 1
  echo "test-sanitize: $(echo "$reports" | wc -l) sanitizer report(s) in $LOGS:"
  for r in $reports; do echo "==== $r"; cat "$r"; done
}

t0=$(date +%s)
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DAUDIORIUM_SANITIZE=address,undefined -DAUDIORIUM_BUILD_BENCH=OFF || exit 1
rm -rf "$LOGS" && mkdir -p "$LOGS"
# The build runs each test binary (gtest_discover_tests lists its tests), so it needs the options too.
cmake --build "$BUILD_DIR" -j "$JOBS" || { print_reports; exit 1; }
build_s=$(elapsed "$t0")

t1=$(date +%s)
# Sanitized code runs 2-5x slower: a longer per-test limit than `make test`'s 300 s (the Node suites get theirs
# from node_suite_timeout in tests/CMakeLists.txt).
(cd "$BUILD_DIR" && ctest --output-on-failure --timeout 900 -j "$JOBS" "$@")
ctest_rc=$?
test_s=$(elapsed "$t1")

echo "test-sanitize: configure+build ${build_s}s, tests ${test_s}s"
print_reports && exit 1
[ "$ctest_rc" -eq 0 ] || { echo "test-sanitize: ctest failed (no sanitizer report)"; exit "$ctest_rc"; }
echo "test-sanitize: no sanitizer findings"
