#!/usr/bin/env bash
# Soak: mixed API traffic against `audiorium serve` for a bounded time, over real music plus a synthetic catalog,
# with the server's memory sampled every second. Prints, per kind of request, req/s, p50/p99 latency and errors
# (non-2xx answers and socket errors), then the RSS curve (start, max, end, slope). Exits 1 on any error.
#
# Usage: soak.sh BUILD_DIR MUSIC_DIR WORK_DIR
#   SOAK_SECONDS     how long the traffic runs (default 120; e.g. 3600 for an hour)
#   SOAK_CONNECTIONS connections in all, split over the kinds below (default 64)
#   SOAK_TRACKS      synthetic tracks added beside the music (default 100000; 0: none)
#   AUDIORIUM_THREADS server workers (default 80: httplib keeps a worker per keep-alive connection)
# WORK_DIR/catalog is made once (the music indexed, then the synthetic tracks added; delete it to start over);
# WORK_DIR/rss.csv holds the memory samples (seconds, kB) and WORK_DIR/wrk-*.txt wrk's reports.
#
# The kinds, each its own wrk with its share of the connections (wrk's latency is per process, so this is how
# each kind gets its own percentiles): similar (30%), search (20%), queue (15%), stream with Range (20%, real
# tracks only: synthetic ones have no file), playlist writes (15%: create, append, read, delete).
set -euo pipefail
build=${1:?usage: soak.sh BUILD_DIR MUSIC_DIR WORK_DIR}; music=${2:?music folder}; work=${3:?work folder}
secs=${SOAK_SECONDS:-120}; conns=${SOAK_CONNECTIONS:-64}; synthetic=${SOAK_TRACKS:-100000}
bin="$build/audiorium"; gen="$build/bench/bench_make_synthetic_catalog"
command -v wrk >/dev/null || { echo "soak: wrk is missing (make deps installs it)" >&2; exit 1; }
for b in "$bin" "$gen"; do [ -x "$b" ] || { echo "soak: $b is not built" >&2; exit 1; }; done
export OMP_WAIT_POLICY=PASSIVE
data="$work/catalog"
mkdir -p "$work"

if [ ! -f "$data/.soak-ready" ]; then
  rm -rf "$data"
  echo "== indexing $music"
  "$bin" --data "$data" index "$music" --jobs "$(nproc)" 2>&1 | tr '\r' '\n' | grep -E '^Indexed|^Index:' || true
  if [ "$synthetic" -gt 0 ]; then
    echo "== adding $synthetic synthetic tracks"
    "$gen" --data "$data" --tracks "$synthetic" --seed 1 | tr '\r' '\n' | grep -vE '^[0-9]+ / ' || true
  fi
  touch "$data/.soak-ready"
fi

log="$work/serve.log"
"$bin" --data "$data" serve --port 0 --threads "${AUDIORIUM_THREADS:-80}" > "$log" 2>&1 &
server=$!
sampler=""
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null
  kill "$server" 2>/dev/null
  wait "$server" 2>/dev/null || true
}
trap cleanup EXIT
port=""
for _ in $(seq 600); do
  port=$(sed -n 's|.*listening on http://[^:]*:\([0-9]*\)/.*|\1|p' "$log" | head -1)
  [ -n "$port" ] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
[ -n "$port" ] || { echo "soak: the server did not start:" >&2; cat "$log" >&2; exit 1; }
base="http://127.0.0.1:$port"

# Ids: real tracks (the music, indexed first) for streaming; a spread over the whole catalog for the rest.
total=$(curl -fsS "$base/api/status" | python3 -c "import json,sys; print(json.load(sys.stdin)['tracks'])")
real_ids=$(python3 - "$data/catalog.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
print(",".join(str(r[0]) for r in db.execute("SELECT id FROM tracks WHERE path NOT LIKE '/synthetic/%' ORDER BY id")))
PY
)
all_ids=$(python3 - "$data/catalog.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
ids = [r[0] for r in db.execute("SELECT id FROM tracks ORDER BY id")]
step = max(1, len(ids) // 3000)
print(",".join(str(i) for i in ids[::step]))
PY
)
[ -n "$real_ids" ] || { echo "soak: no real tracks in $data" >&2; exit 1; }
echo "== server $base: $total tracks ($(echo "$real_ids" | tr ',' '\n' | wc -l) real), $conns connections, ${secs} s, $(nproc) cores shared with wrk"
# Warm the index, the search engine and the map once, so the soak measures steady traffic.
warm_start=$(date +%s.%N)
curl -fsS -m 600 "$base/api/similar/${real_ids%%,*}?k=10" > /dev/null
curl -fsS -m 600 "$base/api/search?q=calm" > /dev/null
curl -fsS -m 600 "$base/api/queue/${real_ids%%,*}?length=5" > /dev/null
python3 -c "print(f'   warm-up (index load, search engine build): {$(date +%s.%N) - $warm_start:.1f} s')"

# Every script counts the answers by status, so that non-2xx answers are named at the end ("statuses: 404=3").
cat > "$work/count.lua" <<'LUA'
local threads_seen = {}
statuses = {}
count_status = function(status) statuses[status] = (statuses[status] or 0) + 1 end
setup = function(thread) table.insert(threads_seen, thread); thread:set("tid", #threads_seen) end
done = function(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads_seen) do
    for status, n in pairs(t:get("statuses")) do all[status] = (all[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(all) do
    if status < 200 or status > 299 then table.insert(parts, status .. "=" .. n) end
  end
  io.write("statuses: " .. (#parts > 0 and table.concat(parts, " ") or "none other than 2xx") .. "\n")
end
response = function(status, headers, body) count_status(status) end
LUA
cat > "$work/similar.lua" <<LUA
local ids = { $all_ids }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/similar/" .. ids[math.random(#ids)] .. "?k=10&seed=" .. i)
end
LUA
cat > "$work/search.lua" <<'LUA'
local prompts = { "slow%20dark%20piano", "fast%20energetic%20drums", "calm%20ambient", "happy%20major",
                  "orchestral", "bright%20fast", "sad%20minor%20strings", "epic%20battle%20music",
                  "like%20'Night%20River'%20but%20calmer", "jazz%20from%20the%201970s" }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/search?q=" .. prompts[math.random(#prompts)] .. "&k=10&seed=" .. i)
end
LUA
cat > "$work/queue.lua" <<LUA
local ids = { $all_ids }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/queue/" .. ids[math.random(#ids)] .. "?length=20&seed=" .. i)
end
LUA
cat > "$work/stream.lua" <<LUA
local ids = { $real_ids }
local ranges = { "bytes=0-65535", "bytes=-65536", "bytes=4096-69631", "bytes=0-" }
request = function()
  return wrk.format("GET", "/api/stream/" .. ids[math.random(#ids)], { Range = ranges[math.random(#ranges)] })
end
LUA
# Playlists: create with three tracks, append one, read it, delete it. A playlist gets its next request only
# once the answer to its last one is in (connections run concurrently), so every answer should be a 2xx.
cat > "$work/playlist.lua" <<LUA
local ids = { $all_ids }
local run = "$(date +%s)"  -- names stay unique across runs over the same catalog (left-over playlists)
local n, ready, stage = 0, {}, {}
local json = { ["Content-Type"] = "application/json" }
local function some() return ids[math.random(#ids)] end
request = function()
  n = n + 1
  if #ready > 0 and n % 4 ~= 0 then
    local id = table.remove(ready, 1)
    if stage[id] == 1 then
      return wrk.format("PUT", "/api/playlists/" .. id, json, '{"add": [' .. some() .. ']}')
    elseif stage[id] == 2 then
      return wrk.format("GET", "/api/playlists/" .. id)
    end
    return wrk.format("DELETE", "/api/playlists/" .. id)
  end
  return wrk.format("POST", "/api/playlists", json,
    '{"name": "soak ' .. run .. '-' .. tostring(tid) .. '-' .. n .. '", "track_ids": [' .. some() .. ',' .. some() .. ',' .. some() .. ']}')
end
response = function(status, headers, body)
  count_status(status)
  -- JSON keys come sorted: the first "id" of a playlist answer is the playlist's ("created_at" < "id" < "tracks").
  local id = body:match('"id":(%d+)')
  if status >= 200 and status < 300 and id then
    stage[id] = (stage[id] or 0) + 1
    if stage[id] <= 3 then table.insert(ready, id) else stage[id] = nil end
  end
end
LUA

# Memory, every second, while the traffic runs.
rss_csv="$work/rss.csv"
echo "seconds,rss_kb" > "$rss_csv"
(
  t0=$(date +%s.%N)
  while kill -0 "$server" 2>/dev/null; do
    kb=$(awk '/VmRSS/ {print $2}' "/proc/$server/status" 2>/dev/null) || break
    python3 -c "print(f'{$(date +%s.%N) - $t0:.1f},$kb')" >> "$rss_csv"
    sleep 1
  done
) &
sampler=$!

share() { python3 -c "print(max(1, round($conns * $1)))"; }
declare -A kinds=([similar]=$(share 0.30) [search]=$(share 0.20) [queue]=$(share 0.15) [stream]=$(share 0.20)
                  [playlist]=$(share 0.15))
pids=()
for kind in similar search queue stream playlist; do
  cat "$work/count.lua" "$work/$kind.lua" > "$work/run-$kind.lua"
  wrk -t1 -c"${kinds[$kind]}" -d"${secs}s" --timeout 10s --latency -s "$work/run-$kind.lua" "$base" \
    > "$work/wrk-$kind.txt" 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; sampler=""

python3 - "$work" "$secs" "${kinds[similar]}" "${kinds[search]}" "${kinds[queue]}" "${kinds[stream]}" "${kinds[playlist]}" <<'PY'
import csv, re, sys
work, secs = sys.argv[1], float(sys.argv[2])
conns = dict(zip(["similar", "search", "queue", "stream", "playlist"], sys.argv[3:8]))
def ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)", text)
    if not m: return float("nan")
    return float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3, "m": 6e4}[m.group(2)]
errors_total, requests_total, notes = 0, 0, []
print(f"{'kind':10} {'conns':>5} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'non-2xx':>8} {'socket errors':>14}")
for kind in conns:
    out = open(f"{work}/wrk-{kind}.txt").read()
    req = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    mx = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out)
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    sock_n = sum(int(x) for x in sock.groups()) if sock else 0
    sock_txt = "/".join(sock.groups()) if sock else "0"
    if non2xx and (st := re.search(r"^statuses: (.*)$", out, re.M)):
        notes.append(f"   {kind}: non-2xx answers by status: {st.group(1)}")
    errors_total += non2xx + sock_n
    requests_total += req
    print(f"{kind:10} {conns[kind]:>5} {req:>9} {rps:>8.1f} {ms(lat.get('50','nan')):>8.1f} {ms(lat.get('99','nan')):>8.1f} "
          f"{ms(mx.group(1)) if mx else float('nan'):>8.1f} {non2xx:>8} {sock_txt:>14}")
for note in notes: print(note)
print(f"all: {requests_total} requests in {secs:.0f} s = {requests_total / secs:.1f} req/s; errors: {errors_total} "
      "(socket errors: connect/read/write/timeout)")
rows = [(float(r["seconds"]), int(r["rss_kb"])) for r in csv.DictReader(open(f"{work}/rss.csv")) if r["rss_kb"]]
if len(rows) >= 2:
    xs, ys = zip(*rows)
    half = [(x, y) for x, y in rows if x >= xs[-1] / 2] or rows
    hx, hy = zip(*half)
    mx_, my_ = sum(hx) / len(hx), sum(hy) / len(hy)
    den = sum((x - mx_) ** 2 for x in hx) or 1
    slope = sum((x - mx_) * (y - my_) for x, y in half) / den * 60 / 1024  # MB per minute
    print(f"RSS: start {ys[0]/1024:.0f} MB, max {max(ys)/1024:.0f} MB, end {ys[-1]/1024:.0f} MB; "
          f"slope over the second half {slope:+.2f} MB/min ({len(rows)} samples in {work}/rss.csv)")
open(f"{work}/errors", "w").write(str(errors_total))
PY
if grep -qiE 'error|exception' "$log"; then
  echo "server log lines with errors:"; grep -iE 'error|exception' "$log" | sort | uniq -c | sort -rn | head -10
fi
[ "$(cat "$work/errors")" = "0" ] || { echo "soak: errors (see $work/wrk-*.txt)"; exit 1; }
echo "soak: no errors"
