// Track-level descriptors a person understands, computed from the mono signal and its frame features.
// Every field has a unit and a meaning; `to_named` gives them stable names for storage and queries.
#pragma once

#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "features/frames.h"

namespace audiorium::features {

struct Descriptors {
  // Beats per minute in 40–220, 0 when there is no pulse. Autocorrelation of onset_strength weighted by a
  // log-normal prior around 120 BPM (as librosa's beat_track), refined to sub-frame precision.
  double tempo_bpm = 0;
  // 0..1: height of the chosen autocorrelation peak (1 = perfectly periodic onsets).
  double tempo_confidence = 0;
  // Pitch class of the tonic, 0=C … 11=B, and its mode; from mean chroma against Krumhansl–Kessler profiles.
  int key = 0;
  bool major = true;
  // -1..1: Pearson correlation of the mean chroma with the best key profile (0 for silence).
  double key_strength = 0;
  // LUFS: EBU R128 integrated loudness of the mono signal (a full-scale 1 kHz sine reads -3.01). -70 when
  // nothing passes the absolute gate (silence, or shorter than one 400 ms block).
  double loudness_lufs = 0;
  // LU: EBU R128 loudness range (spread of short-term loudness, 10th to 95th percentile).
  double loudness_range_lu = 0;
  // dBFS: 20*log10 of the mean frame RMS (floor -120); higher = louder; +6 dB gain reads +6.
  double energy = 0;
  // Hz: median spectral centroid; higher = brighter.
  double brightness_hz = 0;
  // 0..1: share of the spectrogram that is percussive: median-filter HPSS (Fitzgerald) on the mel magnitude
  // spectrogram, sum P / sum (H + P) with soft masks.
  // Click tracks and drums high, sustained tones low.
  double percussiveness = 0;
  // 0..1: tonality coefficient min(1, SFM_dB / -60) averaged over non-silent frames (SFM = spectral
  // flatness). Sines and chords near 1, white noise near 0; 0 for silence.
  double tonalness = 0;
  // dB: 95th minus 10th percentile of frame RMS in dB (frames floored at -80 dBFS).
  double dynamic_range_db = 0;
  // Onsets per second (peak-picked onset strength).
  double onset_rate = 0;
};

// `sample_rate` is the rate of `mono` (for loudness); `frames` must come from the same signal.
Descriptors compute_descriptors(std::span<const float> mono, int sample_rate, const FrameFeatures& frames);

// Stable names: "tempo_bpm","tempo_confidence","key","mode" (1 major, 0 minor),"key_strength","loudness_lufs",
// "loudness_range_lu","energy_db","brightness_hz","percussiveness","tonalness","dynamic_range_db","onset_rate".
std::vector<std::pair<std::string, double>> to_named(const Descriptors&);
// Inverse of to_named; missing names keep their defaults.
Descriptors from_named(const std::map<std::string, double>&);

// "A minor", "C# major".
std::string key_name(int key, bool major);

// Autocorrelation of the mean-removed onset strength for lags 0..max_lag, normalised so lag 0 = 1 (negative
// values kept). All zeros when the envelope is constant (silence). Used for tempo and by the embedder for rhythm.
std::vector<float> onset_autocorrelation(std::span<const float> onset_strength, int max_lag);

}  // namespace audiorium::features
