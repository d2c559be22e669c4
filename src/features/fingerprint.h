// Acoustic fingerprint (Chromaprint) for duplicate detection: the same recording in another encoding or at
// another gain gives nearly the same fingerprint.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace audiorium::features {

struct Fingerprint {
  std::string compressed;     // Chromaprint's base64 form (as AcoustID uses); empty for very short input
  std::vector<uint32_t> raw;  // one 32-bit item per ~0.124 s
};

// CHROMAPRINT_ALGORITHM_DEFAULT over the given mono signal. Throws audiorium::Error on failure.
Fingerprint fingerprint(std::span<const float> mono, int sample_rate);

// 0..1: 1 - 2 * bit error rate at the best alignment within ±80 raw items (about ±10 s), clamped at 0, so
// identical → 1 and unrelated audio (bit error rate ≈ 0.5) → ≈ 0. Empty fingerprints → 0.
double fingerprint_similarity(const Fingerprint& a, const Fingerprint& b);

}  // namespace audiorium::features
