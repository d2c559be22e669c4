// The CLI's model-pack paths (issue 6): `index --embedder clap`, `search --embedder clap`,
// `image --embedder clip+clap`. libtorch is loaded (dlopen) only inside these functions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "audio/decoder.h"

namespace audiorium::cli {

struct PackQuery {
  std::filesystem::path data_dir;
  std::string embedder;  // "clap", "clap:<name>", "clip+clap", "clip:<a>+clap:<b>", a pack folder
  int k = 10;
  double pool_factor = 3.0, temperature = 0.05;
  std::uint64_t seed = 0;
  int jobs = 0;
  bool json = false;
};

// After the dsp-v1 scan: embeds the tracks that have no vector of the pack yet and refreshes the pack's index.
// Returns a JSON summary (also printed unless q.json).
nlohmann::json index_with_pack(const PackQuery& q, const audio::AnalysisWindow& window);
int search_with_pack(const PackQuery& q, const std::string& prompt);
int image_with_pack(const PackQuery& q, const std::filesystem::path& image);

}  // namespace audiorium::cli
