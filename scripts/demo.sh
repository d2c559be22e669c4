#!/usr/bin/env bash
# The demo: index the Debian soundtrack library, then show what Audiorium finds.
# Usage: demo.sh AUDIORIUM_BIN MUSIC_DIR DATA_DIR
set -euo pipefail
bin=${1:?bin}; music=${2:?music}; data=${3:?data}
export OMP_WAIT_POLICY=PASSIVE

echo "== Indexing $music (incremental: a second run only looks at what changed)"
"$bin" --data "$data" index "$music"
echo
"$bin" --data "$data" info
echo
# One seed from three different soundtracks; fixed random seeds so the demo is reproducible.
for ref in "battle" "track17" "Aberrations"; do
  "$bin" --data "$data" similar "$ref" -k 8 --seed 7 || true
  echo
done
"$bin" --data "$data" queue "Aberrations" --length 12 --seed 7 || true
echo
echo "== Search by meaning (no model weights)"
for prompt in "slow dark piano" "upbeat 128 bpm electronic, bright" "like 'Battle Epic' but calmer" "orchestral" "calm ambient rain"; do
  "$bin" --data "$data" search "$prompt" -k 5 --seed 3 || true
  echo
done
echo "== Search by photo (two generated mood pictures)"
images=$(dirname "$data")/images
mkdir -p "$images"
python3 "$(dirname "$0")/make-demo-images.py" "$images"
for img in dusk sunset; do
  "$bin" --data "$data" image "$images/$img.png" -k 5 --seed 3 || true
  echo
done
echo "Try it yourself (in another terminal while the server runs):"
echo "  $bin --data $data similar \"<title fragment>\" -k 10"
echo "  $bin --data $data queue \"<title fragment>\" --length 20 --seed 3"
echo "  $bin --data $data search \"slow dark piano\" -k 10"
echo "  $bin --data $data image photo.jpg -k 10"
echo "  $bin --data $data info --json"
echo
port=${AUDIORIUM_PORT:-8080}
echo "== Serving the web app: open http://127.0.0.1:$port  (Ctrl-C stops it)"
exec "$bin" --data "$data" serve --port "$port"
