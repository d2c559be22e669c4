#include "library/analyse.h"

#include <chrono>
#include <system_error>

#include "catalog/tags.h"
#include "core/error.h"
#include "features/descriptors.h"
#include "features/fingerprint.h"
#include "features/frames.h"

namespace audiorium::library {

namespace fs = std::filesystem;

int64_t file_mtime_ns(const fs::path& file) {
  std::error_code ec;
  const auto t = fs::last_write_time(file, ec);
  if (ec) return 0;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

catalog::TrackAnalysis analyse_file(const fs::path& file, const embed::Embedder& embedder,
                                    const audio::AnalysisWindow& window) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) throw Error("cannot read " + file.string() + ": " + ec.message());
  if (size == 0) throw Error("empty file (0 bytes)");

  const auto decoded = audio::decode(file, embedder.sample_rate(), window);
  if (decoded.samples.size() < static_cast<std::size_t>(decoded.sample_rate) / 4)
    throw Error("less than 0.25 s of decodable audio");

  features::FrameParams params;
  params.sample_rate = decoded.sample_rate;
  const auto frames = features::compute_frame_features(decoded.samples, params);
  const auto descriptors = features::compute_descriptors(decoded.samples, decoded.sample_rate, frames);
  const auto fp = features::fingerprint(decoded.samples, decoded.sample_rate);

  catalog::TrackAnalysis out;
  out.track.path = file.string();
  out.track.size_bytes = static_cast<int64_t>(size);
  out.track.mtime_ns = file_mtime_ns(file);
  out.track.duration_s = decoded.info.duration_s;
  out.track.codec = decoded.info.codec;
  out.track.sample_rate = decoded.info.source_sample_rate;
  out.track.channels = decoded.info.channels;
  out.track.bit_rate = decoded.info.bit_rate;
  out.track.tags = catalog::read_tags(file);
  out.track.fingerprint = fp.compressed;
  out.fingerprint_raw = fp.raw;
  out.descriptors = features::to_named(descriptors);
  out.descriptors.emplace_back("analysed_s", static_cast<double>(decoded.samples.size()) / decoded.sample_rate);
  out.embedder = embedder.id();
  out.vector = embedder.embed({decoded, frames, descriptors});
  return out;
}

}  // namespace audiorium::library
