#!/usr/bin/env bash
# Every benchmark figure the issues ask for, on the demo library and on generated data.
# Usage: bench.sh BUILD_DIR MUSIC_DIR SCRATCH_DIR
set -euo pipefail
build=${1:?build dir}; music=${2:?music}; scratch=${3:?scratch}
bin="$build/audiorium"
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$scratch"

echo "== Decode and feature extraction (demo library files)"
"$build/bench/bench_decode_features" $(find "$music" -type f \( -name '*.ogg' -o -name '*.opus' -o -name '*.mp3' \) | sort | head -40)
echo
echo "== Whole-library indexing throughput"
for jobs in 1 2; do
  rm -rf "$scratch/jobs$jobs"
  start=$(date +%s.%N)
  "$bin" --data "$scratch/jobs$jobs" --json index "$music" --jobs "$jobs" > "$scratch/jobs$jobs.json"
  end=$(date +%s.%N)
  n=$(python3 -c "import json;print(json.load(open('$scratch/jobs$jobs.json'))['added'])")
  python3 -c "print(f'--jobs $jobs: $n tracks in {($end-$start):.1f} s = {$n/($end-$start):.2f} tracks/s')"
done
echo
echo "== Vector index search (synthetic vectors)"
"$build/bench/bench_index_search" 146   # dsp-v1's dimension
echo
echo "== Same-soundtrack retrieval quality (demo library, dsp-v1)"
"$build/bench/bench_retrieval_quality" --data "$scratch/jobs2" --root "$music" --k 5
echo
echo "== HTTP load (wrk, 64 connections, demo library)"
bash scripts/load-bench.sh "$bin" "$scratch/jobs2" 15 64
if [ -f "$build/libaudiorium_torch.so" ] && /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo
  echo "== Model packs (libtorch plugin; random-weight packs from tools/packs/make_test_pack.py)"
  for size in tiny realistic; do
    for kind in clap clip; do
      [ -f "$scratch/packs-$size/$kind/manifest.json" ] ||
        /usr/bin/python3 tools/packs/make_test_pack.py "$scratch/packs-$size/$kind" --kind "$kind" --size "$size" 2>/dev/null
    done
    echo "-- $size"
    GLIBC_TUNABLES=glibc.malloc.mmap_max=0 OMP_WAIT_POLICY=PASSIVE "$build/bench/bench_neural_pack" \
      --clap "$scratch/packs-$size/clap" --clip "$scratch/packs-$size/clip" --threads 2 --seconds 60
  done
fi
