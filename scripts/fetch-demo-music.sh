#!/usr/bin/env bash
# Builds the demo music library from Debian's freely licensed game soundtracks (scripts/demo-packages.tsv).
# Packages are downloaded and unpacked with dpkg-deb, not installed, so no game lands on the system.
# Usage: fetch-demo-music.sh DEST_DIR      (idempotent: packages already unpacked are skipped)
set -euo pipefail
dest=${1:?usage: fetch-demo-music.sh DEST_DIR}
here=$(cd "$(dirname "$0")" && pwd)
cache="$dest/../debs"
mkdir -p "$dest" "$cache"

updated=0
while IFS=$'\t' read -r pkg soundtrack style folder; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  out="$dest/$pkg"
  if [ -f "$out/.complete" ]; then continue; fi
  if ! ls "$cache/${pkg}"_*.deb >/dev/null 2>&1; then
    if [ $updated -eq 0 ]; then apt-get update -qq >/dev/null 2>&1 || true; updated=1; fi
    (cd "$cache" && apt-get download -qq "$pkg")
  fi
  tmp=$(mktemp -d)
  dpkg-deb -x "$cache/${pkg}"_*.deb "$tmp"
  rm -rf "$out" && mkdir -p "$out"
  # Flatten each package's audio into one folder per soundtrack; sub-folder names become part of the file name.
  (cd "$tmp/$folder" && find . -type f \( -iname '*.ogg' -o -iname '*.opus' -o -iname '*.mp3' -o -iname '*.flac' \) -print0) |
    while IFS= read -r -d '' f; do
      rel=${f#./}
      name=$(basename "$rel")
      parent=$(basename "$(dirname "$rel")")
      [ -e "$out/$name" ] && name="${parent}_$name"
      cp "$tmp/$folder/$rel" "$out/$name"
    done
  cp "$tmp/usr/share/doc/$pkg/copyright" "$out/COPYRIGHT.txt" 2>/dev/null || true
  printf '%s\t%s\n' "$soundtrack" "$style" > "$out/.complete"
  rm -rf "$tmp"
  echo "demo music: $pkg → $(ls "$out" | grep -vc COPYRIGHT) files ($soundtrack, $style)"
done < "$here/demo-packages.tsv"
echo "demo music ready in $dest ($(find "$dest" -type f \( -iname '*.ogg' -o -iname '*.opus' -o -iname '*.mp3' \) | wc -l) tracks)"
