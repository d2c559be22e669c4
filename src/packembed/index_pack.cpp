#include "packembed/index_pack.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "core/error.h"

namespace audiorium::packembed {

PackIndexReport embed_missing(catalog::Catalog& catalog, const PackEmbedder& embedder, const PackIndexOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  PackIndexReport report;
  const auto id = embedder.id();
  const auto have = catalog.vectors(id);
  std::vector<catalog::Track> work;
  for (auto& t : catalog.tracks()) {
    ++report.tracks;
    if (std::binary_search(have.ids.begin(), have.ids.end(), t.id)) ++report.already;
    else work.push_back(std::move(t));
  }
  const int jobs = std::max(1, options.jobs > 0 ? options.jobs : static_cast<int>(std::thread::hardware_concurrency()));
  set_threads(jobs);
  std::mutex mutex;  // guards the catalog, the report and the progress
  PackIndexProgress progress;
  progress.to_embed = work.size();
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < work.size(); i = next++) {
      if (options.cancel && options.cancel->load()) return;
      const auto& t = work[i];
      std::string error;
      std::vector<float> v;
      double secs = 0;
      try {
        const auto decoded = audio::decode(t.path, embedder.sample_rate(), options.window);
        secs = static_cast<double>(decoded.samples.size()) / decoded.sample_rate;
        v = embedder.pack().embed_audio(decoded.samples);
      } catch (const std::exception& e) {
        error = e.what();
      }
      std::lock_guard lock(mutex);
      if (error.empty()) {
        try {
          catalog.put_vector(t.id, id, v);
          ++report.embedded;
          report.audio_seconds += secs;
        } catch (const std::exception& e) {
          error = e.what();
        }
      }
      if (!error.empty()) {
        ++report.failed;
        ++progress.failed;
        report.problems.emplace_back(t.path, error);
      }
      progress.embedded = report.embedded + report.failed;
      progress.current = t.path;
      progress.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      if (options.on_progress) options.on_progress(progress);
    }
  };
  {
    std::vector<std::jthread> threads;
    for (int j = 0; j < jobs && j < static_cast<int>(work.size()); ++j) threads.emplace_back(worker);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace audiorium::packembed
