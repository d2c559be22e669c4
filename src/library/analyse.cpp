#include "library/analyse.h"

#include <sys/stat.h>

#include <chrono>
#include <optional>
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

namespace {

// What tells one content of a path from another without reading it. mtime_ns is file_mtime_ns's clock (the one
// the catalog stores); the stat fields catch a rename over the path, a rewrite and a touch back to an old mtime.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t stat_mtime_ns = 0, stat_ctime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

FileIdentity identify(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    const std::error_code ec(errno, std::generic_category());
    throw Error("cannot read " + file.string() + ": " + ec.message());
  }
  auto ns = [](const timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
  return {st.st_dev, st.st_ino, static_cast<int64_t>(st.st_size), file_mtime_ns(file), ns(st.st_mtim), ns(st.st_ctim)};
}

}  // namespace

catalog::TrackAnalysis analyse_file(const fs::path& file, const embed::Embedder& embedder,
                                    const audio::AnalysisWindow& window,
                                    const std::function<void(const fs::path&)>& after_reads) {
  const FileIdentity before = identify(file);
  if (before.size == 0) throw Error("empty file (0 bytes)");

  // Throws when the file is not the one `before` describes any more (or is gone).
  auto check_unchanged = [&] {
    std::optional<FileIdentity> after;
    try {
      after = identify(file);
    } catch (const Error&) {  // removed, or renamed away
    }
    if (!after) throw FileChangedWhileReading("the file disappeared while it was being read");
    if (*after != before) throw FileChangedWhileReading("the file changed while it was being read");
  };

  catalog::TrackAnalysis out;
  audio::DecodedAudio decoded;
  try {
    decoded = audio::decode(file, embedder.sample_rate(), window);
    out.track.tags = catalog::read_tags(file);  // the last read of the file
  } catch (const Error&) {
    check_unchanged();  // a file cut or replaced under the decoder is a change, not a bad file
    throw;
  }
  if (after_reads) after_reads(file);
  check_unchanged();

  if (decoded.samples.size() < static_cast<std::size_t>(decoded.sample_rate) / 4)
    throw Error("less than 0.25 s of decodable audio");
  features::FrameParams params;
  params.sample_rate = decoded.sample_rate;
  const auto frames = features::compute_frame_features(decoded.samples, params);
  const auto descriptors = features::compute_descriptors(decoded.samples, decoded.sample_rate, frames);
  const auto fp = features::fingerprint(decoded.samples, decoded.sample_rate);

  out.track.path = file.string();
  out.track.size_bytes = before.size;
  out.track.mtime_ns = before.mtime_ns;
  out.track.duration_s = decoded.info.duration_s;
  out.track.codec = decoded.info.codec;
  out.track.sample_rate = decoded.info.source_sample_rate;
  out.track.channels = decoded.info.channels;
  out.track.bit_rate = decoded.info.bit_rate;
  out.track.fingerprint = fp.compressed;
  out.fingerprint_raw = fp.raw;
  out.descriptors = features::to_named(descriptors);
  out.descriptors.emplace_back("analysed_s", static_cast<double>(decoded.samples.size()) / decoded.sample_rate);
  out.embedder = embedder.id();
  out.vector = embedder.embed({decoded, frames, descriptors});
  return out;
}

}  // namespace audiorium::library
