// A small music library made at test time: three "styles" whose members share their sound, so a
// working embedding must rank same-style tracks first.
//   drone-*  : slow sustained minor chords with a little noise
//   beat-*   : fast click tracks over a bright high tone
//   noise-*  : filtered noise washes
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace audiorium::testing {

struct GeneratedTrack {
  std::filesystem::path path;
  std::string style;
};

// Writes `per_style` tracks per style of `seconds` each into dir (WAV, plus every third converted to
// the given extension with the ffmpeg command, so the decoder path is exercised). Returns them sorted.
std::vector<GeneratedTrack> make_style_library(const std::filesystem::path& dir, int per_style = 4,
                                               double seconds = 8.0, const std::string& other_ext = ".ogg");

}  // namespace audiorium::testing
