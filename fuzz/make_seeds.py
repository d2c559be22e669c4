#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seed corpora for the fuzz targets in fuzz/, and the files some targets read at start.

    fuzz/make_seeds.py BUILD_DIR

writes BUILD_DIR/fuzz-seeds/<target>/ (a few small inputs per target) and BUILD_DIR/fuzz-data/ (the small BPE
vocabularies fuzz_tokenize loads, trained by tools/packs/bpe_reference.py). Nothing binary is committed: audio
and images are made here with the ffmpeg command (tiny, a fraction of a second or a few pixels), the rest is text.
Inputs of targets whose first byte selects something (see each fuzz_*.cpp) get that byte prepended. Re-running
replaces the seeds; the corpora the fuzzers grow live elsewhere (fuzz/run.sh).
"""

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent


def write(folder: Path, name: str, data) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def ffmpeg(*args: str) -> bool:
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args]
    return subprocess.run(cmd, stdin=subprocess.DEVNULL).returncode == 0


QUERIES = [
    "slow dark piano", "not sad, very fast, no drums", "like 'Battle Theme' but calmer", "128 bpm",
    "120-130 bpm techno", "around 90 bpm", "tempo 100", "a little bit up-tempo hip hop", "like calm piano",
    'something "Night Drive" but faster', "very very slightly", "no", "Sehr ruhige Klaviermusik, café, naïve",
    "\u201cquoted\u201d \u2018twice\u2019 like", "120 to 130 bpm, minor key; without vocals!", "~ 80bpm?",
    "laid back jazz and bright synth but not loud", "",
]


def query_seeds(out: Path) -> None:
    for i, q in enumerate(QUERIES):
        write(out / "query", f"q{i:02d}", q)
    write(out / "query", "long", "very slow " * 300)


def vocabulary_seeds(out: Path) -> None:
    write(out / "vocabulary", "builtin.json", (SOURCE / "data" / "vocabulary.json").read_bytes())
    small = {
        "version": 1,
        "negations": ["no", "not"], "intensifiers": {"very": 1.5, "slightly": 0.5}, "stopwords": ["a", "the"],
        "clause_words": ["and", "but"], "reference_words": ["like"],
        "terms": [
            {"phrases": ["slow", "laid-back"], "reason": "slow", "tags": ["chill"],
             "targets": [{"descriptor": "tempo_bpm", "scale": "percentile", "value": 0.2, "width": 0.2}]},
            {"phrases": ["calmer"], "reason": "calmer", "comparative": True,
             "targets": [{"descriptor": "energy_db", "scale": "percentile", "value": 0.3, "width": 0.2,
                          "weight": 0.5}]},
        ],
    }
    write(out / "vocabulary", "small.json", json.dumps(small))
    write(out / "vocabulary", "bad-version.json", '{"version": 2, "terms": []}')
    write(out / "vocabulary", "truncated.json", json.dumps(small)[:60])


TOKENIZER_TEXTS = [
    "a slow dark piano piece", "Hello, world! It's 2024 and we're here.", "  spaces   and\ttabs\n",
    "caf\u00e9 na\u00efve \u00dcber \u03a3\u03bf\u03c6\u03af\u03b1", "&amp; &lt;b&gt; &#233; &#x263a; &nbsp;",
    "emoji \U0001f3b9\U0001f3b6 and CJK \u97f3\u697d", "<s> <mask> <|startoftext|> <|endoftext|>",
    "one two three four five six seven eight nine ten eleven twelve",
]


def tokenize_data_and_seeds(out: Path, data: Path) -> None:
    corpus = TOKENIZER_TEXTS * 3 + QUERIES + ["the quick brown fox jumps over the lazy dog"] * 5
    with tempfile.TemporaryDirectory() as tmp:
        corpus_file = Path(tmp) / "corpus.json"
        corpus_file.write_text(json.dumps(corpus), encoding="utf-8")
        for flavour in ("roberta", "clip"):
            folder = data / "tokenize" / flavour
            folder.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, str(SOURCE / "tools" / "packs" / "bpe_reference.py"), "train",
                            "--flavour", flavour, "--merges", "200", "--corpus", str(corpus_file),
                            "--out", str(folder)], check=True, stdout=subprocess.DEVNULL)
    # First byte: 0 roberta/77, 1 roberta/8, 2 clip/77, 3 clip/8 (fuzz_tokenize.cpp).
    for i, text in enumerate(TOKENIZER_TEXTS):
        write(out / "tokenize", f"t{i:02d}", bytes([i % 4]) + text.encode("utf-8"))
    write(out / "tokenize", "not-utf8", b"\x00ab\xff\xfe cd \xc3")
    # fuzz_tokenizer_files: first byte bit 0 clip, bit 1 max_length 77; vocab.json, "\n----\n", merges.txt.
    for selector, flavour in ((2, "roberta"), (3, "clip"), (1, "clip")):
        folder = data / "tokenize" / flavour
        write(out / "tokenizer_files", f"{flavour}-{selector}",
              bytes([selector]) + (folder / "vocab.json").read_bytes() + b"\n----\n" +
              (folder / "merges.txt").read_bytes())
    write(out / "tokenizer_files", "small",
          b"\x00" + json.dumps({"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "h": 4, "e": 5, "he": 6}).encode() +
          b"\n----\n#version: 0.2\nh e\n")


def labels_seeds(out: Path) -> None:
    write(out / "labels_csv", "tracks.csv",
          "track,label,class,style,popularity\n/music/a/one.flac,Sony Music,major,Rock,12.5\n"
          "two.mp3,\"Tiny, Records\",indie,\"Folk \"\"live\"\"\",3\nOne,,,Jazz,\n")
    write(out / "labels_csv", "keys.csv",
          "Artist,Album,Label,Class\nArtist,Album,Warner,yes\nArtist,,Indie Co,no\n,,Tiny Records,independent\n")
    write(out / "labels_csv", "problems.csv",
          "track,class,popularity\nx,weird,1\ny,major,-3\n\"unterminated,major,1\n")
    write(out / "labels_csv", "crlf.csv", "genre,label,class\r\nRock,Universal,1\r\n\"multi\r\nline\",x,0\r\n")
    write(out / "labels_csv", "no-columns.csv", "foo,bar\n1,2\n")


def manifest_seeds(out: Path) -> None:
    # fuzz_manifest.cpp writes each pack file with its own name and a newline as content.
    sha = {n: hashlib.sha256((n + "\n").encode()).hexdigest()
           for n in ("audio.pt", "text.pt", "image.pt", "vocab.json", "merges.txt", "references.json")}
    clap = {
        "format_version": 1, "name": "clap-fuzz", "kind": "clap", "version": "1", "embedding_dim": 512,
        "audio": {"tower": "audio.pt", "sample_rate": 48000, "window_s": 10.0, "hop_s": 5.0, "pooling": "mean-l2",
                  "max_windows": 32},
        "text": {"tower": "text.pt", "tokenizer": {"type": "roberta-bpe", "vocab": "vocab.json",
                                                   "merges": "merges.txt", "max_length": 77, "pad_id": 1}},
        "files": {n: sha[n] for n in ("audio.pt", "text.pt", "vocab.json", "merges.txt", "references.json")},
        "references": "references.json",
    }
    clip = {
        "format_version": 1, "name": "clip-fuzz", "kind": "clip", "version": "2", "embedding_dim": 64,
        "image": {"tower": "image.pt", "size": 224, "resize": "shorter-side", "crop": "center",
                  "mean": [0.48, 0.46, 0.41], "std": [0.27, 0.26, 0.28]},
        "text": {"tower": "text.pt", "tokenizer": {"type": "clip-bpe", "vocab": "vocab.json",
                                                   "merges": "merges.txt", "max_length": 8}},
        "files": {n: sha[n] for n in ("image.pt", "text.pt", "vocab.json", "merges.txt")},
    }
    write(out / "manifest", "clap.json", json.dumps(clap, indent=1))
    write(out / "manifest", "clip.json", json.dumps(clip, indent=1))
    bad = dict(clap, files=dict(clap["files"], **{"audio.pt": "0" * 64}))
    write(out / "manifest", "mismatch.json", json.dumps(bad))
    write(out / "manifest", "outside.json", json.dumps(dict(clip, image=dict(clip["image"], tower="../x.pt"))))
    write(out / "manifest", "newer.json", '{"format_version": 99}')


def params_seeds(out: Path) -> None:
    # First byte % 5: 0 integer, 1 number, 2 seed, 3 id, 4 range (8 size bytes, then the header); / 5 the bounds.
    size = (1000).to_bytes(8, "little")
    seeds = [(0, b"50"), (5, b"-12"), (10, b"007"), (15, b"9223372036854775807"), (1, b"0.5"), (6, b"1e-2"),
             (11, b"-1.5E+3"), (2, b"18446744073709551615"), (3, b"42"), (3, b"0"),
             (4, size + b"bytes=0-99"), (4, size + b"bytes=-10"), (4, size + b"bytes=990-"),
             (4, size + b" bytes = 5 - 2 "), (4, size + b"bytes=0-1,5-6"), (4, size + b"items=1-2")]
    for i, (selector, text) in enumerate(seeds):
        write(out / "params", f"p{i:02d}", bytes([selector]) + text)


def http_seeds(out: Path, png: bytes) -> None:
    salt = "c19b2d"
    token = hashlib.md5(("sesame" + salt).encode()).hexdigest()
    auth = "u=fuzz&p=sesame&v=1.16.1&c=fuzz"
    basic = "Authorization: Basic ZnV6ejpzZXNhbWU=\r\n"  # fuzz:sesame

    def get(path, headers=""):
        return f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n".encode()

    def body(method, path, content_type, data: bytes, headers=""):
        return (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(data)}\r\n{headers}\r\n").encode() + data

    boundary = "fuzzboundary"
    multipart = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
                 f"Content-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{boundary}--\r\n".encode()
    requests = [
        get("/api/status"), get("/api/tracks?offset=0&limit=5"), get("/api/tracks/1"),
        get("/api/search?q=slow%20dark%20piano&k=3&seed=7&lambda=0.5&temperature=0.1&pool_factor=2"),
        get("/api/searches?limit=3"), get("/api/similar/2?k=3&seed=1"), get("/api/queue/1?length=4&drift=0.2"),
        get("/api/map"), get("/api/journey?from=1&to=3&steps=4"), get("/api/stream/1", "Range: bytes=0-99\r\n"),
        get("/api/stream/2", "Range: bytes=-10\r\n"), get("/api/history?limit=2"), get("/api/likes"),
        get("/api/playlists"), get("/api/playlists/1.m3u"), get("/"), get("/css/app.css"),
        get("/../secret.txt"), get("/%2e%2e/secret.txt"), get("/api/nope"),
        body("POST", "/api/history", "application/json", b'{"track_id": 1, "source": "fuzz"}'),
        body("PUT", "/api/likes/1", "application/json", b""), body("DELETE", "/api/likes/1", "application/json", b""),
        body("POST", "/api/playlists", "application/json", b'{"name": "fuzz", "track_ids": [1, 2]}'),
        body("PUT", "/api/playlists/1", "application/json", b'{"name": "renamed", "add": [3]}'),
        body("POST", "/api/search/image", f"multipart/form-data; boundary={boundary}", multipart),
        body("POST", "/api/search/image", "image/png", png),
        body("POST", "/api/index", "application/json", b""),
        get(f"/rest/ping.view?{auth}&f=json"), get(f"/rest/getArtists?{auth}"),
        get(f"/rest/getAlbum?{auth}&id=al-000000000000"), get(f"/rest/getSong?{auth}&id=1&f=json"),
        get(f"/rest/search3?{auth}&query=drone&songCount=2"), get(f"/rest/stream?{auth}&id=1", "Range: bytes=0-9\r\n"),
        get(f"/rest/getCoverArt?{auth}&id=1"), get(f"/rest/getRandomSongs?{auth}&size=2&f=json"),
        get(f"/rest/getSimilarSongs2?{auth}&id=1&count=2"), get(f"/rest/getPlaylists?u=fuzz&t={token}&s={salt}"),
        get(f"/rest/createPlaylist?{auth}&name=p&songId=1&songId=2"),
        get(f"/rest/updatePlaylist?{auth}&playlistId=1&songIdToAdd=3&songIndexToRemove=0"),
        get(f"/rest/scrobble?{auth}&id=1&submission=true"), get("/rest/getOpenSubsonicExtensions?f=json"),
        get(f"/rest/getSonicSimilarTracks?{auth}&id=1&count=2"),
        get(f"/rest/findSonicPath?{auth}&startSongId=1&endSongId=2&count=3&f=json"),
        get("/rest/getArtists?u=fuzz&p=enc:736573616d65"), get("/rest/ping?u=fuzz&p=wrong"),
        body("POST", "/rest/search3.view", "application/x-www-form-urlencoded", f"{auth}&query=beat".encode()),
        get("/api/tracks?limit=2\r\nConnection: keep-alive") + get("/api/status"),
        b"POST /api/history HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n"
        b"\r\n5\r\n{\"tra\r\n0\r\n\r\n",
        b"GARBAGE\r\n\r\n",
    ]
    for i, r in enumerate(requests):
        write(out / "http", f"r{i:02d}", b"\x00" + r)  # loopback
    write(out / "http", "remote-basic", b"\x01" + get("/api/status", basic))
    write(out / "http", "remote-none", b"\x01" + get("/api/tracks"))


AUDIO_EXTENSIONS = [".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav", ".aiff", ".wv", ".ape", ".mpc", ".wma",
                    ".spx"]  # the order of kExtensions in fuzz_audio.cpp


def audio_seeds(out: Path, tmp: Path, png_path: Path) -> None:
    source = ["-f", "lavfi", "-i", "sine=frequency=440:duration=0.3:sample_rate=22050"]
    tags = ["-metadata", "title=Fuzz T\u00eete", "-metadata", "artist=Artist", "-metadata", "album=Album",
            "-metadata", "genre=Drone", "-metadata", "date=2020", "-metadata", "track=3"]
    made = []
    for ext, codec in [(".mp3", ["-c:a", "libmp3lame", "-b:a", "32k"]), (".flac", []), (".ogg", ["-c:a", "libvorbis"]),
                       (".opus", ["-c:a", "libopus", "-b:a", "16k"]), (".m4a", ["-c:a", "aac", "-b:a", "32k"]),
                       (".wav", []), (".aiff", []), (".wv", []), (".wma", [])]:
        f = tmp / ("a" + ext)
        if ffmpeg(*source, *codec, *tags, str(f)):
            made.append((ext, f))
    f = tmp / "float.wav"
    if ffmpeg(*source, "-c:a", "pcm_f32le", "-ac", "2", str(f)):
        made.append((".wav", f))
    f = tmp / "cover.mp3"
    if ffmpeg(*source, "-i", str(png_path), "-map", "0", "-map", "1", "-c:a", "libmp3lame", "-b:a", "32k",
              "-c:v", "png", "-id3v2_version", "3", "-metadata:s:v", "comment=Cover (front)", *tags, str(f)):
        made.append((".mp3", f))
    for i, (ext, f) in enumerate(made):
        write(out / "audio", f"a{i:02d}{ext}", bytes([AUDIO_EXTENSIONS.index(ext)]) + f.read_bytes())


def image_seeds(out: Path, tmp: Path) -> bytes:
    source = ["-f", "lavfi", "-i", "testsrc=size=24x16:rate=1", "-frames:v", "1"]
    made = {}
    for name, args in [("rgb.png", []), ("rgba.png", ["-pix_fmt", "rgba"]), ("grey16.png", ["-pix_fmt", "gray16be"]),
                       ("a.jpg", ["-q:v", "5"]), ("a.bmp", []), ("a.tiff", []), ("a.webp", ["-c:v", "libwebp"])]:
        f = tmp / name
        if ffmpeg(*source, *args, str(f)):
            made[name] = f.read_bytes()
            write(out / "image", name, made[name])
    # Only the first bytes of a HEIF (an ISO-BMFF ftyp box with the heic brand): reaches libheif's parser.
    write(out / "image", "heic-head", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
    return made.get("rgb.png", b"")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    build = Path(sys.argv[1])
    out, data = build / "fuzz-seeds", build / "fuzz-data"
    for folder in (out, data):
        shutil.rmtree(folder, ignore_errors=True)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        png = image_seeds(out, tmp)
        (tmp / "cover.png").write_bytes(png)
        audio_seeds(out, tmp, tmp / "cover.png")
        http_seeds(out, png)
    query_seeds(out)
    vocabulary_seeds(out)
    tokenize_data_and_seeds(out, data)
    labels_seeds(out)
    manifest_seeds(out)
    params_seeds(out)
    for folder in sorted(out.iterdir()):
        files = list(folder.iterdir())
        print(f"{folder.name}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
