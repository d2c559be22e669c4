// `audiorium index DIR --embedder clap`: after the usual dsp-v1 scan, every catalogued track without a vector of
// the pack's embedder is decoded at the pack's rate and embedded (tracks that have one are skipped, so it is
// incremental; a track whose audio changed lost its pack vector in the scan and is embedded again).
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "audio/decoder.h"
#include "catalog/catalog.h"
#include "packembed/pack.h"

namespace audiorium::packembed {

struct PackIndexProgress {
  std::size_t to_embed = 0, embedded = 0, failed = 0;
  double elapsed_s = 0;
  std::string current;
};

struct PackIndexOptions {
  int jobs = 0;  // decoding threads and libtorch's intra-op threads; 0 = cores
  audio::AnalysisWindow window = audio::AnalysisWindow::middle(30.0);
  std::function<void(const PackIndexProgress&)> on_progress;  // called with the catalog lock held
  // When set and true, no further track is started (those in flight finish and are stored); the rest wait for
  // the next run, which continues where this one stopped.
  const std::atomic<bool>* cancel = nullptr;
};

struct PackIndexReport {
  std::size_t tracks = 0, already = 0, embedded = 0, failed = 0;
  double seconds = 0, audio_seconds = 0;  // wall time, and seconds of audio embedded
  std::vector<std::pair<std::string, std::string>> problems;  // path, reason
};

PackIndexReport embed_missing(catalog::Catalog& catalog, const PackEmbedder& embedder, const PackIndexOptions& options);

}  // namespace audiorium::packembed
