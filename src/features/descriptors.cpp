#include "features/descriptors.h"

#include <ebur128.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <numeric>

#include "core/error.h"

namespace audiorium::features {

namespace {

struct EbuDestroy {
  void operator()(ebur128_state* s) const { ebur128_destroy(&s); }
};
using EbuPtr = std::unique_ptr<ebur128_state, EbuDestroy>;

constexpr double kSilentRms = 1e-4;  // -80 dBFS: frames below this are treated as silence

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto i = static_cast<std::size_t>(pos);
  const double frac = pos - static_cast<double>(i);
  return i + 1 < v.size() ? v[i] * (1 - frac) + v[i + 1] * frac : v[i];
}

double median_of(std::vector<float>& buf) {
  const auto mid = buf.begin() + static_cast<long>(buf.size() / 2);
  std::nth_element(buf.begin(), mid, buf.end());
  return *mid;
}

// Median of x[i-half .. i+half] (clipped to the ends) for every i, x and out strided: a sorted window updated by
// one removal and one insertion per step instead of a fresh selection each time.
void sliding_median(const float* x, std::size_t stride, int n, int half, float* out, std::vector<float>& win) {
  win.clear();
  auto at = [&](int i) { return x[static_cast<std::size_t>(i) * stride]; };
  for (int i = 0; i < std::min(n, half); ++i) win.insert(std::upper_bound(win.begin(), win.end(), at(i)), at(i));
  for (int i = 0; i < n; ++i) {
    const int add = i + half, drop = i - half - 1;
    if (add < n) win.insert(std::upper_bound(win.begin(), win.end(), at(add)), at(add));
    if (drop >= 0) win.erase(std::lower_bound(win.begin(), win.end(), at(drop)));
    out[static_cast<std::size_t>(i) * stride] = win[win.size() / 2];
  }
}

void loudness(std::span<const float> mono, int sample_rate, Descriptors& d) {
  d.loudness_lufs = -70.0;
  d.loudness_range_lu = 0.0;
  if (mono.empty()) return;
  EbuPtr st(ebur128_init(1, static_cast<unsigned long>(sample_rate), EBUR128_MODE_I | EBUR128_MODE_LRA));
  if (!st) throw Error("cannot set up EBU R128 loudness measurement at " + std::to_string(sample_rate) + " Hz");
  if (ebur128_add_frames_float(st.get(), mono.data(), mono.size()) != EBUR128_SUCCESS)
    throw Error("EBU R128 loudness measurement failed");
  double v = 0;
  if (ebur128_loudness_global(st.get(), &v) == EBUR128_SUCCESS && std::isfinite(v)) d.loudness_lufs = std::max(v, -70.0);
  if (ebur128_loudness_range(st.get(), &v) == EBUR128_SUCCESS && std::isfinite(v)) d.loudness_range_lu = v;
}

// Median-filter harmonic/percussive separation (Fitzgerald) on the mel spectrogram: sustained partials are
// smooth along time, transients along frequency. Cheaper than on the linear spectrogram, same verdict.
double percussive_share(const FrameFeatures& f) {
  const int T = f.n_frames, M = f.mel_db.cols;
  if (T == 0 || M == 0) return 0;
  // Magnitudes rather than power: with power a sustained pad drowns drums that are plainly audible.
  std::vector<float> mag(static_cast<std::size_t>(T) * M);
  for (std::size_t i = 0; i < mag.size(); ++i) mag[i] = std::pow(10.0f, f.mel_db.data[i] / 20.0f);
  // Half-widths ±15 frames (~0.7 s) and ±M/8 bands: wide enough in frequency that a close-voiced chord (a few
  // adjacent low mel bands plus leakage) stays below the median.
  const int kt = 15, kf = std::max(1, M / 8);
  std::vector<float> harm(mag.size()), perc(mag.size()), window;
  for (int m = 0; m < M; ++m)
    sliding_median(mag.data() + m, M, T, kt, harm.data() + m, window);
  for (int t = 0; t < T; ++t)
    sliding_median(mag.data() + static_cast<std::size_t>(t) * M, 1, M, kf, perc.data() + static_cast<std::size_t>(t) * M,
                   window);
  double total = 0, percussive = 0;
  for (std::size_t i = 0; i < mag.size(); ++i) {
    const double h2 = double(harm[i]) * harm[i], p2 = double(perc[i]) * perc[i];
    total += mag[i];
    if (h2 + p2 > 0) percussive += mag[i] * p2 / (h2 + p2);  // soft (Wiener) mask
  }
  return total > 0 ? percussive / total : 0;
}

// Tempo from onset autocorrelation: librosa's prior picks the octave, then the peak is refined at multiples of
// the period (2, 4, 8 … periods away a frame of error is a fraction of a frame per period).
void tempo(const FrameFeatures& f, Descriptors& d) {
  const double fr = static_cast<double>(f.params.sample_rate) / f.params.hop;
  const int T = f.n_frames;
  const int lmin = std::max(1, static_cast<int>(std::ceil(fr * 60.0 / 220.0)));
  const int lmax = static_cast<int>(std::floor(fr * 60.0 / 40.0));
  if (T < 2 * lmin + 2) return;
  const int max_lag = std::min(T - 1, static_cast<int>(fr * 12.0));
  const auto ac = onset_autocorrelation(f.onset_strength, max_lag);
  if (ac[0] <= 0) return;
  int best = -1;
  double best_score = -1e300;
  for (int l = lmin; l <= std::min(lmax, max_lag); ++l) {
    const double bpm = 60.0 * fr / l;
    const double prior = -0.5 * std::pow(std::log2(bpm / 120.0), 2.0);
    const double score = std::log1p(1e6 * std::max(0.0f, ac[static_cast<std::size_t>(l)])) + prior;
    if (score > best_score) {
      best_score = score;
      best = l;
    }
  }
  if (best < 0) return;
  auto acv = [&](int l) { return static_cast<double>(ac[static_cast<std::size_t>(l)]); };
  // Climb to the local maximum (the prior may have nudged the choice off the peak).
  while (best + 1 <= max_lag && acv(best + 1) > acv(best)) ++best;
  while (best - 1 >= 1 && acv(best - 1) > acv(best)) --best;
  const double peak = acv(best);
  if (peak < 0.1) return;  // no periodicity distinguishable from noise: no pulse
  auto interpolate = [&](int l) {  // parabolic vertex around a local maximum
    if (l <= 0 || l >= max_lag) return static_cast<double>(l);
    const double a = acv(l - 1), b = acv(l), c = acv(l + 1), den = a - 2 * b + c;
    return den < 0 ? l + 0.5 * (a - c) / den : static_cast<double>(l);
  };
  double period = interpolate(best);
  for (int m = 2; m * period + 3 < max_lag; m *= 2) {
    const int centre = static_cast<int>(std::lround(m * period));
    int j = centre;
    for (int k = centre - 2; k <= centre + 2; ++k)
      if (acv(k) > acv(j)) j = k;
    if (acv(j) < 0.3 * peak || j == centre - 2 || j == centre + 2) break;  // peak faded or not found
    period = interpolate(j) / m;
  }
  const double bpm = 60.0 * fr / period;
  if (bpm < 40.0 - 1e-9 || bpm > 220.0 + 1e-9) return;
  d.tempo_bpm = bpm;
  d.tempo_confidence = std::clamp(peak, 0.0, 1.0);
}

void key(const FrameFeatures& f, Descriptors& d) {
  // Krumhansl–Kessler probe-tone profiles, index 0 = tonic.
  static constexpr std::array<double, 12> kMajor = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
  static constexpr std::array<double, 12> kMinor = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17};
  std::array<double, 12> mean{};
  for (int t = 0; t < f.chroma.rows; ++t)
    for (int c = 0; c < 12; ++c) mean[static_cast<std::size_t>(c)] += f.chroma.at(t, c);
  const double mu = std::accumulate(mean.begin(), mean.end(), 0.0) / 12.0;
  double var = 0;
  for (double v : mean) var += (v - mu) * (v - mu);
  if (var <= 1e-12) return;  // silence or a flat chroma: no key
  d.key_strength = -2;
  for (int mode = 0; mode < 2; ++mode) {
    const auto& prof = mode == 0 ? kMajor : kMinor;
    const double pm = std::accumulate(prof.begin(), prof.end(), 0.0) / 12.0;
    for (int k = 0; k < 12; ++k) {
      double num = 0, pv = 0;
      for (int c = 0; c < 12; ++c) {
        const double p = prof[static_cast<std::size_t>((c - k + 12) % 12)] - pm;
        num += (mean[static_cast<std::size_t>(c)] - mu) * p;
        pv += p * p;
      }
      const double r = num / std::sqrt(var * pv);
      if (r > d.key_strength) {
        d.key_strength = r;
        d.key = k;
        d.major = mode == 0;
      }
    }
  }
}

double onsets_per_second(const FrameFeatures& f) {
  const int T = f.n_frames;
  if (T < 3) return 0;
  const auto& o = f.onset_strength;
  const float mx = *std::max_element(o.begin(), o.end());
  if (!(mx > 0)) return 0;
  const double fr = static_cast<double>(f.params.sample_rate) / f.params.hop;
  const int w_max = std::max(1, static_cast<int>(std::lround(0.07 * fr)));
  const int w_avg = std::max(1, static_cast<int>(std::lround(0.2 * fr)));
  const int wait = w_max;
  int count = 0, last = -1000000;
  for (int t = 0; t < T; ++t) {
    const float v = o[static_cast<std::size_t>(t)] / mx;
    bool is_max = true;
    for (int k = std::max(0, t - w_max); k <= std::min(T - 1, t + w_max) && is_max; ++k)
      if (o[static_cast<std::size_t>(k)] / mx > v) is_max = false;
    if (!is_max) continue;
    double avg = 0;
    const int a = std::max(0, t - w_avg), b = std::min(T - 1, t + w_avg);
    for (int k = a; k <= b; ++k) avg += o[static_cast<std::size_t>(k)] / mx;
    avg /= (b - a + 1);
    if (v >= avg + 0.07 && t - last > wait) {
      ++count;
      last = t;
    }
  }
  const double seconds = static_cast<double>(T) / fr;
  return count / seconds;
}

}  // namespace

std::vector<float> onset_autocorrelation(std::span<const float> onset, int max_lag) {
  std::vector<float> ac(static_cast<std::size_t>(std::max(0, max_lag) + 1), 0.0f);
  const std::size_t n = onset.size();
  if (n == 0) return ac;
  double mean = 0;
  for (float v : onset) mean += v;
  mean /= static_cast<double>(n);
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = onset[i] - mean;
  double e = 0;
  for (double v : x) e += v * v;
  if (e <= 1e-20) return ac;
  for (std::size_t l = 0; l < ac.size() && l < n; ++l) {
    double s = 0;
    for (std::size_t t = 0; t + l < n; ++t) s += x[t] * x[t + l];
    ac[l] = static_cast<float>(s / e);
  }
  return ac;
}

Descriptors compute_descriptors(std::span<const float> mono, int sample_rate, const FrameFeatures& f) {
  if (sample_rate < 1000) throw Error("invalid sample rate " + std::to_string(sample_rate) + " for descriptors");
  Descriptors d;
  loudness(mono, sample_rate, d);
  d.energy = -120.0;
  if (f.n_frames == 0) return d;

  double rms_sum = 0;
  std::vector<double> rms_db;
  std::vector<float> centroids;
  double tonal = 0;
  int voiced = 0;
  for (int t = 0; t < f.n_frames; ++t) {
    const auto ts = static_cast<std::size_t>(t);
    const double r = f.rms[ts];
    rms_sum += r;
    rms_db.push_back(20.0 * std::log10(std::max(r, kSilentRms)));
    if (r > kSilentRms) {
      ++voiced;
      centroids.push_back(f.centroid_hz[ts]);
      const double sfm_db = 10.0 * std::log10(std::max(static_cast<double>(f.flatness[ts]), 1e-30));
      tonal += std::min(1.0, sfm_db / -60.0);
    }
  }
  const double mean_rms = rms_sum / f.n_frames;
  d.energy = 20.0 * std::log10(std::max(mean_rms, 1e-6));
  d.dynamic_range_db = percentile(rms_db, 0.95) - percentile(rms_db, 0.10);
  if (voiced == 0) return d;  // silence: the rest stays at its neutral default

  d.brightness_hz = median_of(centroids);
  d.tonalness = std::clamp(tonal / voiced, 0.0, 1.0);
  d.percussiveness = std::clamp(percussive_share(f), 0.0, 1.0);
  tempo(f, d);
  key(f, d);
  d.onset_rate = onsets_per_second(f);
  return d;
}

std::vector<std::pair<std::string, double>> to_named(const Descriptors& d) {
  return {{"tempo_bpm", d.tempo_bpm},
          {"tempo_confidence", d.tempo_confidence},
          {"key", static_cast<double>(d.key)},
          {"mode", d.major ? 1.0 : 0.0},
          {"key_strength", d.key_strength},
          {"loudness_lufs", d.loudness_lufs},
          {"loudness_range_lu", d.loudness_range_lu},
          {"energy_db", d.energy},
          {"brightness_hz", d.brightness_hz},
          {"percussiveness", d.percussiveness},
          {"tonalness", d.tonalness},
          {"dynamic_range_db", d.dynamic_range_db},
          {"onset_rate", d.onset_rate}};
}

Descriptors from_named(const std::map<std::string, double>& m) {
  Descriptors d;
  auto get = [&](const char* name, double& out) {
    if (auto it = m.find(name); it != m.end()) out = it->second;
  };
  get("tempo_bpm", d.tempo_bpm);
  get("tempo_confidence", d.tempo_confidence);
  double k = d.key, mode = d.major ? 1 : 0;
  get("key", k);
  get("mode", mode);
  d.key = ((static_cast<int>(std::lround(k)) % 12) + 12) % 12;
  d.major = mode >= 0.5;
  get("key_strength", d.key_strength);
  get("loudness_lufs", d.loudness_lufs);
  get("loudness_range_lu", d.loudness_range_lu);
  get("energy_db", d.energy);
  get("brightness_hz", d.brightness_hz);
  get("percussiveness", d.percussiveness);
  get("tonalness", d.tonalness);
  get("dynamic_range_db", d.dynamic_range_db);
  get("onset_rate", d.onset_rate);
  return d;
}

std::string key_name(int key, bool major) {
  static constexpr std::array<const char*, 12> kNames = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
  return std::string(kNames[static_cast<std::size_t>(((key % 12) + 12) % 12)]) + (major ? " major" : " minor");
}

}  // namespace audiorium::features
