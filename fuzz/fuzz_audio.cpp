// An audio file through the project's own paths (src/audio/decoder.h, src/catalog/tags.h), as a scan reads it:
// tags and cover (TagLib), then probe and decode (FFmpeg) of the analysis window to mono 22.05 kHz. The first
// byte picks the file's extension (TagLib chooses its reader by extension; FFmpeg probes the content); the rest
// is the file. Promises: tag reading never throws and returns valid UTF-8 of at most kMaxTagBytes per tag;
// probe and decode fail only with audiorium::Error; decoded samples are finite, in [-1, 1], at the asked rate.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "audio/decoder.h"
#include "catalog/tags.h"
#include "core/error.h"
#include "core/utf8.h"
#include "fuzz_support.h"

namespace {

constexpr const char* kExtensions[] = {".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav",
                                       ".aiff", ".wv", ".ape", ".mpc", ".wma", ".spx"};

bool valid_tag(const std::string& s) {
  if (s.size() > audiorium::catalog::kMaxTagBytes) return false;
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t n = audiorium::utf8::decode(s, i, cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace audiorium;
  if (size == 0) return 0;
  const auto file = fuzz::scratch_dir() / (std::string("input") + kExtensions[data[0] % std::size(kExtensions)]);
  fuzz::write_file(file, std::string(reinterpret_cast<const char*>(data) + 1, size - 1));

  const catalog::Tags tags = catalog::read_tags(file);
  for (const auto* s : {&tags.title, &tags.artist, &tags.album, &tags.album_artist, &tags.genre, &tags.label,
                        &tags.comment})
    AUDIORIUM_FUZZ_CHECK(valid_tag(*s));
  (void)catalog::read_cover(file);  // never throws

  try {
    (void)audio::probe(file);
  } catch (const Error&) {
  }
  try {
    constexpr int kRate = 22050;
    const audio::DecodedAudio decoded = audio::decode(file, kRate);
    AUDIORIUM_FUZZ_CHECK(decoded.sample_rate == kRate && !decoded.samples.empty());
    for (const float s : decoded.samples) AUDIORIUM_FUZZ_CHECK(std::isfinite(s) && s >= -1.0f && s <= 1.0f);
    AUDIORIUM_FUZZ_CHECK(std::isfinite(decoded.offset_s) && decoded.offset_s >= 0);
  } catch (const Error&) {
  }
  return 0;
}
