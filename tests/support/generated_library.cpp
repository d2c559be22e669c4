#include "support/generated_library.h"

#include <algorithm>
#include <cmath>

#include "support/test_support.h"

namespace audiorium::testing {

namespace fs = std::filesystem;

std::vector<GeneratedTrack> make_style_library(const fs::path& dir, int per_style, double seconds,
                                               const std::string& other_ext) {
  constexpr int sr = 22050;
  fs::create_directories(dir);
  std::vector<GeneratedTrack> out;
  for (int i = 0; i < per_style; ++i) {
    // Variations inside a style: transposition, tempo and level change, so members are similar, not equal.
    auto drone = chord({45 + i, 48 + i, 52 + i}, seconds, sr, 0.2);
    const auto hiss = white_noise(seconds, sr, 0.01, 100u + static_cast<unsigned>(i));
    for (std::size_t j = 0; j < drone.size(); ++j) drone[j] += hiss[j];

    auto beat = click_track(150.0 + 6.0 * i, seconds, sr, 0.7);
    const auto tone = sine(3000.0 + 150.0 * i, seconds, sr, 0.05);
    for (std::size_t j = 0; j < beat.size(); ++j) beat[j] += tone[j];

    auto wash = white_noise(seconds, sr, 0.3, 200u + static_cast<unsigned>(i));
    // One-pole low-pass with a slowly moving cutoff: a breathing noise texture.
    float y = 0;
    for (std::size_t j = 0; j < wash.size(); ++j) {
      const double t = static_cast<double>(j) / sr;
      const float a = static_cast<float>(0.05 + 0.04 * std::sin(2 * 3.14159 * (0.2 + 0.05 * i) * t));
      y += a * (wash[j] - y);
      wash[j] = y * 3.0f;
    }

    const std::pair<const char*, const std::vector<float>*> styles[] = {{"drone", &drone}, {"beat", &beat}, {"noise", &wash}};
    for (const auto& [style, signal] : styles) {
      const fs::path wav = dir / (std::string(style) + "-" + std::to_string(i) + ".wav");
      write_wav(wav, *signal, sr, 2);
      fs::path final_path = wav;
      if (i % 3 == 1) {
        final_path = wav;
        final_path.replace_extension(other_ext);
        if (convert_with_ffmpeg(wav, final_path)) fs::remove(wav);
        else final_path = wav;
      }
      out.push_back({final_path, style});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

}  // namespace audiorium::testing
