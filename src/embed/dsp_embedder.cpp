#include "embed/dsp_embedder.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/vector_math.h"

namespace audiorium::embed {

namespace {

using features::FrameMatrix;

struct Moments {
  float mean = 0;
  float std = 0;
};

Moments moments(std::span<const float> v) {
  if (v.empty()) return {};
  double sum = 0, sq = 0;
  for (float x : v) {
    sum += x;
    sq += static_cast<double>(x) * x;
  }
  const double n = static_cast<double>(v.size());
  const double mean = sum / n;
  return {static_cast<float>(mean), static_cast<float>(std::sqrt(std::max(0.0, sq / n - mean * mean)))};
}

std::vector<float> column(const FrameMatrix& m, int c) {
  std::vector<float> out(static_cast<std::size_t>(m.rows));
  for (int r = 0; r < m.rows; ++r) out[static_cast<std::size_t>(r)] = m.at(r, c);
  return out;
}

float percentile(std::vector<float> v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(std::clamp(p, 0.0, 1.0) * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// Appends mean and std of each column of m.
void push_column_moments(std::vector<float>& out, const FrameMatrix& m, int cols, bool with_mean) {
  std::vector<Moments> ms;
  for (int c = 0; c < cols; ++c) ms.push_back(c < m.cols ? moments(column(m, c)) : Moments{});
  if (with_mean)
    for (const auto& x : ms) out.push_back(x.mean);
  for (const auto& x : ms) out.push_back(x.std);
}

std::vector<float> log_of(std::span<const float> v, float floor) {
  std::vector<float> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = std::log(std::max(v[i], floor));
  return out;
}

void push_moments(std::vector<float>& out, std::span<const float> v) {
  const auto m = moments(v);
  out.push_back(m.mean);
  out.push_back(m.std);
}

void timbre_block(std::vector<float>& out, const features::FrameFeatures& f) {
  push_column_moments(out, f.mfcc, 20, true);
  const auto d = features::deltas(f.mfcc);
  push_column_moments(out, d, 20, false);
  push_column_moments(out, f.contrast, 7, true);
  push_moments(out, log_of(f.centroid_hz, 1.0f));
  push_moments(out, log_of(f.bandwidth_hz, 1.0f));
  push_moments(out, log_of(f.rolloff_hz, 1.0f));
  std::vector<float> flat_log(f.flatness.size());
  std::transform(f.flatness.begin(), f.flatness.end(), flat_log.begin(),
                 [](float x) { return std::log10(std::max(x, 1e-6f)); });
  push_moments(out, flat_log);
  push_moments(out, f.zcr);
}

void harmony_block(std::vector<float>& out, const features::FrameFeatures& f, const features::Descriptors& d) {
  std::array<float, 12> mean{}, sd{};
  for (int c = 0; c < 12 && c < f.chroma.cols; ++c) {
    const auto m = moments(column(f.chroma, c));
    mean[static_cast<std::size_t>(c)] = m.mean;
    sd[static_cast<std::size_t>(c)] = m.std;
  }
  const int tonic = ((d.key % 12) + 12) % 12;
  for (int i = 0; i < 12; ++i) out.push_back(mean[static_cast<std::size_t>((i + tonic) % 12)]);
  for (int i = 0; i < 12; ++i) out.push_back(sd[static_cast<std::size_t>((i + tonic) % 12)]);
  // Entropy of each frame's chroma distribution: low for clear chords, high for noise or dense clusters.
  double entropy = 0;
  int counted = 0;
  for (int r = 0; r < f.chroma.rows; ++r) {
    const auto row = f.chroma.row(r);
    const double sum = std::accumulate(row.begin(), row.end(), 0.0);
    if (sum <= 1e-9) continue;
    double h = 0;
    for (float x : row)
      if (x > 0) h -= (x / sum) * std::log(x / sum);
    entropy += h;
    ++counted;
  }
  out.push_back(static_cast<float>(d.key_strength));
  out.push_back(d.major ? 1.0f : 0.0f);
  out.push_back(static_cast<float>(d.tonalness));
  out.push_back(counted ? static_cast<float>(entropy / counted) : 0.0f);
}

void rhythm_block(std::vector<float>& out, const features::FrameFeatures& f, const features::Descriptors& d) {
  const double frame_s = static_cast<double>(f.params.hop) / f.params.sample_rate;
  constexpr int kLags = 20;
  const double lo = 0.1, hi = 2.5;
  const int max_lag = static_cast<int>(std::ceil(hi / frame_s)) + 1;
  const auto ac = features::onset_autocorrelation(f.onset_strength, max_lag);
  for (int i = 0; i < kLags; ++i) {
    const double seconds = lo * std::pow(hi / lo, static_cast<double>(i) / (kLags - 1));
    const double lag = seconds / frame_s;
    const auto l0 = static_cast<std::size_t>(lag);
    const double frac = lag - static_cast<double>(l0);
    float v = 0;
    if (l0 + 1 < ac.size()) v = static_cast<float>((1 - frac) * ac[l0] + frac * ac[l0 + 1]);
    out.push_back(v);
  }
  const auto m = moments(f.onset_strength);
  out.push_back(m.mean);
  out.push_back(m.mean > 1e-9f ? m.std / m.mean : 0.0f);
  out.push_back(d.tempo_bpm > 0 ? static_cast<float>(std::log2(d.tempo_bpm)) : 0.0f);
  out.push_back(static_cast<float>(d.tempo_confidence));
  out.push_back(static_cast<float>(d.percussiveness));
  out.push_back(static_cast<float>(d.onset_rate));
}

void dynamics_block(std::vector<float>& out, const features::FrameFeatures& f, const features::Descriptors& d) {
  std::vector<float> db(f.rms.size());
  std::transform(f.rms.begin(), f.rms.end(), db.begin(),
                 [](float x) { return 20.0f * std::log10(std::max(x, 1e-5f)); });
  push_moments(out, db);
  out.push_back(percentile(db, 0.10));
  out.push_back(percentile(db, 0.50));
  out.push_back(percentile(db, 0.90));
  // LUFS is -inf-like for silence; clamp so standardisation stays finite.
  out.push_back(static_cast<float>(std::clamp(d.loudness_lufs, -70.0, 0.0)));
  out.push_back(static_cast<float>(std::clamp(d.loudness_range_lu, 0.0, 60.0)));
  out.push_back(static_cast<float>(std::clamp(d.dynamic_range_db, 0.0, 100.0)));
}

class StandardisingFinisher final : public Finisher {
 public:
  StandardisingFinisher(std::vector<float> mean, std::vector<float> scale, BlockWeights weights)
      : mean_(std::move(mean)), scale_(std::move(scale)), weights_(weights) {}

  std::vector<float> apply(std::span<const float> raw) const override {
    if (raw.size() != mean_.size())
      throw Error("dsp-v1: raw vector has " + std::to_string(raw.size()) + " values, expected " +
                  std::to_string(mean_.size()));
    std::vector<float> out(raw.size());
    for (std::size_t b = 0; b < kDspBlocks.size(); ++b) {
      const auto& block = kDspBlocks[b];
      const float w = weights_.weight[b] / std::sqrt(static_cast<float>(block.size));
      for (int i = block.offset; i < block.offset + block.size; ++i) {
        const auto u = static_cast<std::size_t>(i);
        const float z = std::isfinite(raw[u]) ? (raw[u] - mean_[u]) * scale_[u] : 0.0f;
        out[u] = w * std::clamp(z, -4.0f, 4.0f);
      }
    }
    l2_normalise(out);
    // A track equal to the library mean in every dimension (or the only track) has nothing left after
    // standardisation; give it the uniform unit vector so it stays searchable rather than breaking the index.
    if (std::all_of(out.begin(), out.end(), [](float x) { return x == 0.0f; }))
      std::fill(out.begin(), out.end(), 1.0f / std::sqrt(static_cast<float>(out.size())));
    return out;
  }

  nlohmann::json to_json() const override {
    return {{"embedder", "dsp-v1"}, {"mean", mean_}, {"scale", scale_}, {"weights", weights_.weight}};
  }

 private:
  std::vector<float> mean_, scale_;  // scale = 1/std (0 for constant dimensions)
  BlockWeights weights_;
};

}  // namespace

DspEmbedder::DspEmbedder(BlockWeights weights) : weights_(weights) {}

std::vector<float> DspEmbedder::embed(const AnalysedAudio& input) const {
  std::vector<float> out;
  out.reserve(kDspRawDim);
  timbre_block(out, input.frames);
  harmony_block(out, input.frames, input.descriptors);
  rhythm_block(out, input.frames, input.descriptors);
  dynamics_block(out, input.frames, input.descriptors);
  if (out.size() != static_cast<std::size_t>(kDspRawDim))
    throw Error("dsp-v1: layout produced " + std::to_string(out.size()) + " values");
  for (float& x : out)
    if (!std::isfinite(x)) x = 0.0f;
  return out;
}

std::unique_ptr<Finisher> DspEmbedder::fit(std::span<const float> raw_rows, std::size_t rows) const {
  const auto dim = static_cast<std::size_t>(kDspRawDim);
  if (raw_rows.size() != rows * dim) throw Error("dsp-v1: fit got a matrix of the wrong size");
  std::vector<double> sum(dim, 0.0), sq(dim, 0.0);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t i = 0; i < dim; ++i) {
      const double x = raw_rows[r * dim + i];
      sum[i] += x;
      sq[i] += x * x;
    }
  std::vector<float> mean(dim, 0.0f), scale(dim, 0.0f);
  for (std::size_t i = 0; i < dim; ++i) {
    if (rows == 0) break;
    const double m = sum[i] / static_cast<double>(rows);
    const double var = std::max(0.0, sq[i] / static_cast<double>(rows) - m * m);
    mean[i] = static_cast<float>(m);
    // A dimension constant across the library carries no information here: zero it rather than divide by ~0.
    scale[i] = var > 1e-12 ? static_cast<float>(1.0 / std::sqrt(var)) : 0.0f;
  }
  return std::make_unique<StandardisingFinisher>(std::move(mean), std::move(scale), weights_);
}

std::unique_ptr<Finisher> DspEmbedder::load_finisher(const nlohmann::json& state) const {
  if (state.value("embedder", "") != "dsp-v1") throw Error("dsp-v1: stored statistics belong to another embedder");
  auto mean = state.at("mean").get<std::vector<float>>();
  auto scale = state.at("scale").get<std::vector<float>>();
  if (mean.size() != static_cast<std::size_t>(kDspRawDim) || scale.size() != mean.size())
    throw Error("dsp-v1: stored statistics have the wrong size; re-index to refit them");
  BlockWeights w = weights_;
  if (state.contains("weights")) w.weight = state.at("weights").get<std::array<float, 4>>();
  return std::make_unique<StandardisingFinisher>(std::move(mean), std::move(scale), w);
}

std::unique_ptr<Embedder> make_embedder(const std::string& id) {
  if (id == "dsp-v1") return std::make_unique<DspEmbedder>();
  throw Error("unknown embedder '" + id + "' (known: dsp-v1)");
}

}  // namespace audiorium::embed
