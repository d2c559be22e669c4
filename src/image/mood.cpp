#include "image/mood.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <numbers>
#include <system_error>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "image/decode.h"

namespace audiorium::image {
namespace {

double ramp(double x, double a, double b) { return std::clamp((x - a) / (b - a), 0.0, 1.0); }

// ---- measurements on the analysis-size picture (CV_32FC3 BGR, 0..1); see mood.h for the definitions.
void measure(const cv::Mat& bgr, ImageMood& m) {
  CV_Assert(bgr.type() == CV_32FC3);
  const double cos30 = std::cos(std::numbers::pi / 6);
  double sum_y = 0, sum_yy = 0;
  double sum_s = 0;                   // saturation × value ramp
  double sum_ws = 0, sum_warm = 0;    // hue balance, weighted by saturation × value ramp
  double sum_rg = 0, sum_rg2 = 0, sum_yb = 0, sum_yb2 = 0;
  cv::Mat luma8(bgr.rows, bgr.cols, CV_8UC1);
  for (int r = 0; r < bgr.rows; ++r) {
    const auto* px = bgr.ptr<cv::Vec3f>(r);
    auto* lrow = luma8.ptr<unsigned char>(r);
    for (int c = 0; c < bgr.cols; ++c) {
      const double B = px[c][0], G = px[c][1], R = px[c][2];
      const double y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
      sum_y += y;
      sum_yy += y * y;
      lrow[c] = cv::saturate_cast<unsigned char>(y * 255.0);

      const double mx = std::max({R, G, B}), mn = std::min({R, G, B});
      const double vw = ramp(mx, 0.10, 0.35);
      const double s = mx > 0 ? (mx - mn) / mx : 0.0;
      sum_s += vw * s;
      if (mx > mn && vw > 0) {
        const double d = mx - mn;
        double hue;  // HSV hue in degrees
        if (mx == R) hue = 60.0 * std::fmod((G - B) / d + 6.0, 6.0);
        else if (mx == G) hue = 60.0 * ((B - R) / d + 2.0);
        else hue = 60.0 * ((R - G) / d + 4.0);
        const double warm = std::clamp(std::cos((hue - 30.0) * std::numbers::pi / 180.0) / cos30, -1.0, 1.0);
        sum_ws += vw * s;
        sum_warm += vw * s * warm;
      }
      const double rg = 255.0 * (R - G), yb = 255.0 * (0.5 * (R + G) - B);
      sum_rg += rg;
      sum_rg2 += rg * rg;
      sum_yb += yb;
      sum_yb2 += yb * yb;
    }
  }
  const double n = static_cast<double>(bgr.total());
  if (n <= 0) return;
  const double mean_y = sum_y / n;
  m.brightness = std::clamp(mean_y, 0.0, 1.0);
  m.contrast = std::clamp(2.0 * std::sqrt(std::max(0.0, sum_yy / n - mean_y * mean_y)), 0.0, 1.0);
  m.saturation = std::clamp(sum_s / n, 0.0, 1.0);  // near-black pixels count as colourless
  m.warmth = sum_ws > 1e-9 ? std::clamp(sum_warm / sum_ws * std::min(1.0, m.saturation / 0.30), -1.0, 1.0) : 0.0;
  const double mrg = sum_rg / n, myb = sum_yb / n;
  const double vrg = std::max(0.0, sum_rg2 / n - mrg * mrg), vyb = std::max(0.0, sum_yb2 / n - myb * myb);
  m.colourfulness_m = std::sqrt(vrg + vyb) + 0.3 * std::sqrt(mrg * mrg + myb * myb);
  m.colourfulness = std::clamp(m.colourfulness_m / 110.0, 0.0, 1.0);

  cv::Mat blurred, edges;
  cv::GaussianBlur(luma8, blurred, cv::Size(3, 3), 0);
  cv::Canny(blurred, edges, 50, 150);
  m.edge_density = static_cast<double>(cv::countNonZero(edges)) / n;
}

ImageMood analyse(std::span<const unsigned char> bytes, const ImageLimits& limits, std::string_view name) {
  const detail::Decoded d = detail::decode_for_analysis(bytes, limits, name);
  ImageMood m;
  m.format = format_name(d.format);
  m.width = d.width;
  m.height = d.height;
  m.analysis_width = d.bgr.cols;
  m.analysis_height = d.bgr.rows;
  measure(d.bgr, m);
  return m;
}

// ---- rules (the table in mood.h).
enum Factor { kDark, kLight, kMuted, kVivid, kCool, kWarm, kBusy, kFlat, kFactors };
enum Desc { kEnergy, kBrightnessHz, kTempo, kOnsetRate, kPercussiveness, kTonalness, kDynamicRange, kMode, kDescs };

constexpr std::array<const char*, kDescs> kDescNames = {"energy_db", "brightness_hz", "tempo_bpm", "onset_rate",
                                                       "percussiveness", "tonalness", "dynamic_range_db", "mode"};

// kCoef[factor][descriptor]
constexpr double kCoef[kFactors][kDescs] = {
    //  energy brightHz tempo  onsets  perc   tonal  dynR   mode
    {-0.6, -0.6, -0.4, 0.0, -0.3, 0.0, 0.0, -0.6},   // dark
    {+0.3, +0.6, +0.2, 0.0, 0.0, 0.0, 0.0, +0.4},    // light
    {-0.2, -0.1, -0.1, 0.0, 0.0, +0.1, 0.0, -0.1},   // muted
    {+0.5, +0.2, +0.2, 0.0, +0.1, 0.0, 0.0, +0.3},   // vivid
    {-0.3, -0.5, -0.2, 0.0, 0.0, +0.2, 0.0, -0.2},   // cool
    {+0.3, +0.1, +0.1, 0.0, 0.0, 0.0, 0.0, +0.4},    // warm
    {+0.3, +0.2, +0.3, +0.7, +0.6, -0.3, +0.3, 0.0}, // busy
    {-0.1, 0.0, -0.2, -0.3, -0.2, +0.2, -0.2, 0.0},  // flat
};

constexpr double kMinPush = 0.25;

std::array<double, kFactors> factor_array(const MoodFactors& f) {
  return {f.dark, f.light, f.muted, f.vivid, f.cool, f.warm, f.busy, f.flat};
}

std::string busy_label(const ImageMood& m) {
  const double edges = ramp(m.edge_density, 0.06, 0.20), contrast = ramp(m.contrast, 0.55, 0.85);
  if (edges >= 0.5 && contrast >= 0.5) return "busy, high contrast";
  return edges >= contrast ? "busy" : "high contrast";
}

std::string factor_label(int f, const ImageMood& m) {
  switch (f) {
    case kDark: return "dark";
    case kLight: return "bright";
    case kMuted: return "muted colours";
    case kVivid: return "vivid colours";
    case kCool: return "cool colours";
    case kWarm: return "warm colours";
    case kBusy: return busy_label(m);
    default: return "smooth";
  }
}

std::array<double, kDescs> pushes(const std::array<double, kFactors>& f) {
  std::array<double, kDescs> p{};
  for (int d = 0; d < kDescs; ++d) {
    double s = 0;
    for (int k = 0; k < kFactors; ++k) s += kCoef[k][d] * f[static_cast<std::size_t>(k)];
    p[static_cast<std::size_t>(d)] = std::clamp(s, -1.0, 1.0);
  }
  return p;
}

}  // namespace

ImageMood analyse_image_bytes(std::span<const unsigned char> bytes, const ImageLimits& limits, std::string_view name) {
  return analyse(bytes, limits, name);
}

ImageMood analyse_image_file(const std::filesystem::path& file, const ImageLimits& limits) {
  const std::string name = file.string();
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (ec || !std::filesystem::exists(status)) throw Error(name + ": image file not found");
  if (!std::filesystem::is_regular_file(status)) throw Error(name + ": not a regular file");
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) throw Error(name + ": cannot read image file (" + ec.message() + ")");
  if (size == 0) throw Error(name + ": empty file (0 bytes)");
  if (size > limits.max_bytes)
    throw Error(name + ": image too big: " + std::to_string(size) + " bytes (limit " + std::to_string(limits.max_bytes) +
                ")");
  std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(name + ": cannot open image file (" + std::strerror(errno) + ")");
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));  // the file may have shrunk meanwhile
  return analyse(bytes, limits, name);
}

MoodFactors mood_factors(const ImageMood& m) {
  MoodFactors f;
  f.dark = ramp(m.brightness, 0.45, 0.15);
  f.light = ramp(m.brightness, 0.60, 0.85);
  f.muted = ramp(m.saturation, 0.18, 0.05);
  f.vivid = std::max(ramp(m.saturation, 0.35, 0.75), ramp(m.colourfulness, 0.40, 0.80));
  f.cool = ramp(m.warmth, -0.10, -0.60);
  f.warm = ramp(m.warmth, 0.10, 0.60);
  f.busy = std::max(ramp(m.edge_density, 0.06, 0.20), ramp(m.contrast, 0.55, 0.85));
  f.flat = std::min(ramp(m.edge_density, 0.03, 0.005), ramp(m.contrast, 0.30, 0.10));
  return f;
}

std::vector<query::DescriptorTarget> mood_targets(const ImageMood& mood) {
  const auto f = factor_array(mood_factors(mood));
  const auto p = pushes(f);
  std::vector<query::DescriptorTarget> out;
  for (int d = 0; d < kDescs; ++d) {
    const double push = p[static_cast<std::size_t>(d)];
    if (std::abs(push) < kMinPush) continue;
    query::DescriptorTarget t;
    t.descriptor = kDescNames[static_cast<std::size_t>(d)];
    if (d == kMode) {
      t.scale = query::DescriptorTarget::Scale::Absolute;
      t.value = push > 0 ? 1.0 : 0.0;
      t.width = 0.5;
    } else {
      t.scale = query::DescriptorTarget::Scale::Percentile;
      t.value = 0.5 + 0.4 * push;
      t.width = 0.25;
    }
    t.weight = std::abs(push);
    // Reason: the factors pushing the winning way with at least a quarter of that side's total, top two.
    std::vector<std::pair<double, int>> contrib;
    double total = 0;
    for (int k = 0; k < kFactors; ++k) {
      const double c = kCoef[k][d] * f[static_cast<std::size_t>(k)] * (push > 0 ? 1.0 : -1.0);
      if (c > 0) {
        contrib.emplace_back(c, k);
        total += c;
      }
    }
    std::stable_sort(contrib.begin(), contrib.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string reason = "image: ";
    int used = 0;
    for (const auto& [c, k] : contrib) {
      if (used == 2 || c < 0.25 * total) break;
      reason += (used ? ", " : "") + factor_label(k, mood);
      ++used;
    }
    t.reason = std::move(reason);
    out.push_back(std::move(t));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.weight > b.weight; });
  return out;
}

std::vector<std::string> mood_words(const ImageMood& mood) {
  const MoodFactors mf = mood_factors(mood);
  const auto f = factor_array(mf);
  const auto p = pushes(f);
  std::vector<std::pair<double, std::string>> words;
  const double energy = p[kEnergy];
  if (energy <= -0.4) words.emplace_back(-energy, "calm");
  if (energy >= 0.4) words.emplace_back(energy, "energetic");
  const double edges = ramp(mood.edge_density, 0.06, 0.20), contrast = ramp(mood.contrast, 0.55, 0.85);
  const std::array<std::pair<double, const char*>, 9> parts = {{{mf.dark, "dark"},
                                                                {mf.light, "bright"},
                                                                {mf.muted, "muted"},
                                                                {mf.vivid, "vivid"},
                                                                {mf.warm, "warm colours"},
                                                                {mf.cool, "cool colours"},
                                                                {edges, "busy"},
                                                                {contrast, "high contrast"},
                                                                {mf.flat, "soft"}}};
  for (const auto& [strength, word] : parts)
    if (strength >= 0.5) words.emplace_back(strength, word);
  std::stable_sort(words.begin(), words.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (auto& [s, w] : words) out.push_back(std::move(w));
  return out;
}

}  // namespace audiorium::image
