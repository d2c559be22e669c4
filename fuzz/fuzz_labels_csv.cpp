// The evaluation's labels CSV (src/eval/labels.h) on any bytes: read_labels_csv, then resolve_labels over a few
// tracks whose paths, titles and tags the rows can name. Promises: a file whose header names no column throws
// audiorium::Error, nothing else throws; every row and problem has a line number within the file; a track's
// facts come from the CSV or its tags.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "eval/labels.h"
#include "fuzz_support.h"

namespace {

std::vector<audiorium::catalog::Track> sample_tracks() {
  std::vector<audiorium::catalog::Track> tracks(4);
  const char* paths[] = {"/music/a/one.flac", "/music/a/two.mp3", "/music/b/three.ogg", "/music/four.wav"};
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    tracks[i].id = static_cast<int64_t>(i + 1);
    tracks[i].path = paths[i];
  }
  tracks[0].tags.title = "One";
  tracks[0].tags.artist = "Artist";
  tracks[0].tags.album = "Album";
  tracks[0].tags.label = "Sony Music";
  tracks[1].tags.artist = "Artist";
  tracks[1].tags.genre = "Rock";
  tracks[2].tags.label = "Tiny Records";
  return tracks;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace audiorium::eval;
  static const auto tracks = sample_tracks();
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::size_t lines = static_cast<std::size_t>(std::count(bytes.begin(), bytes.end(), '\n')) + 1;
  std::istringstream in(bytes);
  LabelsFile file;
  try {
    file = read_labels_csv(in);
  } catch (const audiorium::Error&) {
    return 0;  // unreadable header: the documented refusal
  }
  AUDIORIUM_FUZZ_CHECK(!file.columns.empty());
  for (const auto& row : file.rows) AUDIORIUM_FUZZ_CHECK(row.line >= 1 && row.line <= lines);
  for (const auto& p : file.problems) AUDIORIUM_FUZZ_CHECK(p.line >= 1 && p.line <= lines && !p.message.empty());
  for (const auto& row : file.rows)
    if (row.popularity) AUDIORIUM_FUZZ_CHECK(*row.popularity >= 0);
  const auto resolved = resolve_labels(tracks, &file);
  AUDIORIUM_FUZZ_CHECK(resolved.size() == tracks.size());
  for (const auto& [id, label] : resolved)
    AUDIORIUM_FUZZ_CHECK(label.source.empty() || label.source == "csv" || label.source == "tags");
  return 0;
}
