#!/usr/bin/env bash
# HTTP load on `audiorium serve` with wrk: requests/s, latency percentiles, errors and the server's memory, for
# the similar, search and stream endpoints. Client and server share this machine's cores, so the figures are a
# floor for what the server alone could do.
# Usage: load-bench.sh AUDIORIUM_BIN DATA_DIR [SECONDS] [CONNECTIONS]
set -euo pipefail
bin=${1:?audiorium binary}; data=${2:?indexed data dir}; secs=${3:-15}; conns=${4:-64}
command -v wrk >/dev/null || { echo "load-bench: wrk is missing (make deps installs it)" >&2; exit 1; }
work=$(mktemp -d)
log="$work/serve.log"
"$bin" --data "$data" serve --port 0 --threads "${AUDIORIUM_THREADS:-64}" > "$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
port=""
for _ in $(seq 100); do
  port=$(sed -n 's|.*listening on http://[^:]*:\([0-9]*\)/.*|\1|p' "$log" | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "load-bench: the server did not start:" >&2; cat "$log" >&2; exit 1; }
base="http://127.0.0.1:$port"
ids=$(curl -fsS "$base/api/tracks?limit=500" | python3 -c "import json,sys; print(','.join(str(t['id']) for t in json.load(sys.stdin)['tracks']))")
[ -n "$ids" ] || { echo "load-bench: the library is empty" >&2; exit 1; }
# Warm the index and the search engine, so the first requests do not measure their one-time build.
curl -fsS "$base/api/similar/${ids%%,*}?k=10" > /dev/null
curl -fsS "$base/api/search?q=calm" > /dev/null

rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }

# One Lua script per endpoint: each request picks the next id (or prompt) round-robin per thread.
cat > "$work/similar.lua" <<LUA
local ids = { $ids }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/similar/" .. ids[(i % #ids) + 1] .. "?k=10&seed=" .. i)
end
LUA
cat > "$work/search.lua" <<'LUA'
local prompts = { "slow%20dark%20piano", "fast%20energetic%20drums", "calm%20ambient", "happy%20major",
                  "orchestral", "bright%20fast", "sad%20minor%20strings", "epic%20battle%20music" }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/search?q=" .. prompts[(i % #prompts) + 1] .. "&k=10&seed=" .. i)
end
LUA
cat > "$work/stream.lua" <<LUA
local ids = { $ids }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/stream/" .. ids[(i % #ids) + 1], { Range = "bytes=0-65535" })
end
LUA

echo "server: $base over $(echo "$ids" | tr ',' '\n' | wc -l) tracks, $conns connections, $secs s per endpoint, $(nproc) cores shared with wrk"
echo "server RSS before: $(rss) kB"
for endpoint in similar search stream; do
  echo "-- $endpoint"
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/$endpoint.lua" "$base")
  echo "$out" | grep -E 'Requests/sec|Transfer/sec|Socket errors|Non-2xx' || true
  echo "$out" | awk '/Latency Distribution/ {on=1; next} on && /%/ {printf "   p%s %s\n", $1, $2} /requests in/ {on=0}'
  echo "$out" | grep -E 'requests in' | sed 's/^ */   /'
  echo "   server RSS after: $(rss) kB"
done
