#include "features/fingerprint.h"

#include <chromaprint.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <memory>

#include "core/error.h"

namespace audiorium::features {

namespace {
struct ChromaprintFree {
  void operator()(ChromaprintContext* c) const { chromaprint_free(c); }
};
struct ChromaprintDealloc {
  void operator()(void* p) const { chromaprint_dealloc(p); }
};
}  // namespace

Fingerprint fingerprint(std::span<const float> mono, int sample_rate) {
  if (sample_rate < 1000) throw Error("invalid sample rate " + std::to_string(sample_rate) + " for a fingerprint");
  std::unique_ptr<ChromaprintContext, ChromaprintFree> ctx(chromaprint_new(CHROMAPRINT_ALGORITHM_DEFAULT));
  if (!ctx || !chromaprint_start(ctx.get(), sample_rate, 1)) throw Error("cannot start Chromaprint");
  std::vector<int16_t> pcm(8192);
  for (std::size_t i = 0; i < mono.size(); i += pcm.size()) {
    const std::size_t n = std::min(pcm.size(), mono.size() - i);
    for (std::size_t j = 0; j < n; ++j)
      pcm[j] = static_cast<int16_t>(std::lround(std::clamp(mono[i + j], -1.0f, 1.0f) * 32767.0f));
    if (!chromaprint_feed(ctx.get(), pcm.data(), static_cast<int>(n))) throw Error("Chromaprint rejected the audio");
  }
  if (!chromaprint_finish(ctx.get())) throw Error("Chromaprint could not finish the fingerprint");
  Fingerprint fp;
  uint32_t* raw = nullptr;
  int size = 0;
  if (chromaprint_get_raw_fingerprint(ctx.get(), &raw, &size)) {
    std::unique_ptr<void, ChromaprintDealloc> owner(raw);
    fp.raw.assign(raw, raw + std::max(size, 0));
  }
  char* text = nullptr;
  if (!fp.raw.empty() && chromaprint_get_fingerprint(ctx.get(), &text)) {
    std::unique_ptr<void, ChromaprintDealloc> owner(text);
    fp.compressed = text;
  }
  return fp;
}

double fingerprint_similarity(const Fingerprint& a, const Fingerprint& b) {
  const auto na = static_cast<long>(a.raw.size()), nb = static_cast<long>(b.raw.size());
  if (na == 0 || nb == 0) return 0.0;
  // Offsets whose overlap is too short would let a few lucky items decide.
  const long min_overlap = std::max(1L, std::min(na, nb) / 2);
  double best_ber = 1.0;
  for (long off = -80; off <= 80; ++off) {  // b shifted by `off` items relative to a
    const long start = std::max(0L, off), end = std::min(na, nb + off);
    const long overlap = end - start;
    if (overlap < min_overlap) continue;
    long errors = 0;
    for (long i = start; i < end; ++i)
      errors += std::popcount(a.raw[static_cast<std::size_t>(i)] ^ b.raw[static_cast<std::size_t>(i - off)]);
    best_ber = std::min(best_ber, static_cast<double>(errors) / (32.0 * static_cast<double>(overlap)));
  }
  return std::clamp(1.0 - 2.0 * best_ber, 0.0, 1.0);
}

}  // namespace audiorium::features
