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
)
# Neural model packs (optional at build time; ~0.8 GB): libtorch for the runtime plugin, python3-torch (the same
# 1.13.1) for the tests' generated packs, OpenBLAS's OpenMP build so BLAS shares torch's thread pool.
# AUDIORIUM_NO_TORCH=1 skips them; the project then builds and tests without the neural path.
if [ "${AUDIORIUM_NO_TORCH:-0}" != "1" ]; then
  PACKAGES+=(libtorch-dev python3-torch libopenblas0-openmp)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
