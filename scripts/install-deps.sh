#!/usr/bin/env bash
# Installs the Debian packages Audiorium needs to build and test. Idempotent and non-interactive:
# packages already present are skipped, so a second run costs a dpkg query, not a download.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config ninja-build python3
  libavformat-dev libavcodec-dev libswresample-dev libavutil-dev ffmpeg
  libfftw3-dev libebur128-dev libchromaprint-dev libtag1-dev
  libfaiss-dev libopenblas-dev libomp-dev
  libsqlite3-dev sqlite3
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libopencv-dev libheif-dev
  libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev
  wrk curl
  libicu-dev python3-regex
  clang libclang-rt-14-dev  # fuzzing: clang and its libFuzzer/ASan/UBSan runtimes (make fuzz-smoke)
)
# Neural model packs (optional at build time; ~0.8 GB): libtorch for the runtime plugin, python3-torch (the same
# 1.13.1) for the tests' generated packs, OpenBLAS's OpenMP build so BLAS shares torch's thread pool.
# AUDIORIUM_NO_TORCH=1 skips them; the project then builds and tests without the neural path.
if [ "${AUDIORIUM_NO_TORCH:-0}" != "1" ]; then
  PACKAGES+=(libtorch-dev python3-torch libopenblas0-openmp)
fi

# The browser and Subsonic client tests (tests/node): Debian's Chromium, and Node.js with npm unless a node and an
# npm are already on the PATH (NodeSource's nodejs, for one, brings its own npm and conflicts with Debian's).
PACKAGES+=(chromium chromium-driver)
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
else
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The npm packages of tests/node (exact versions in its package-lock.json) go to tests/node/node_modules, which git
# ignores. `npm ci` runs only when the lock changed since the last install (a stamp in node_modules records its hash).
NODE_TESTS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/node"
for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-deps: '$tool' is still missing after installing Debian's nodejs and npm; tests/node needs it" >&2
    exit 1
  fi
done
lock_hash="$(sha256sum "$NODE_TESTS/package-lock.json" | cut -d' ' -f1)"
stamp="$NODE_TESTS/node_modules/.audiorium-lock-sha256"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
  echo "install-deps: tests/node packages match package-lock.json"
else
  echo "install-deps: npm ci in tests/node (node $(node --version), npm $(npm --version))"
  (cd "$NODE_TESTS" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" > "$stamp"
fi
