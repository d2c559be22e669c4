// What a query asks of a track's descriptors: the common currency of text prompts and image moods.
//
// A target is either absolute ("128 bpm": tempo_bpm near 128, in the descriptor's own unit) or relative to
// the library ("slow", "bright": a percentile of that descriptor among the library's tracks), because words
// like "bright" mean "brighter than most of *this* library", not a fixed number of hertz.
//
// A track matches a target by a Gaussian of its distance to the target value in units of `width`:
//   match = exp(-0.5 * ((x - value) / width)^2),    and 1 - match when negated ("not sad", "no drums").
// Descriptor names are those of features::to_named(): tempo_bpm, mode (1 major, 0 minor), energy_db,
// brightness_hz, percussiveness, tonalness, loudness_lufs, loudness_range_lu, dynamic_range_db, onset_rate,
// key, key_strength, tempo_confidence.
#pragma once

#include <string>
#include <vector>

namespace audiorium::query {

struct DescriptorTarget {
  enum class Scale { Absolute, Percentile };
  std::string descriptor;         // e.g. "tempo_bpm"
  Scale scale = Scale::Percentile;
  double value = 0.5;             // descriptor units (Absolute) or 0..1 (Percentile)
  double width = 0.2;             // same units as value; > 0
  double weight = 1.0;            // strength; intensifiers scale it ("very slow" 1.5, "slightly" 0.5)
  bool negated = false;
  std::string reason;             // short human phrase for explanations: "slow", "minor key", "image: dark"
};

}  // namespace audiorium::query
