// The rules of mood.h: which descriptor targets an image implies, graded by how extreme it is.
#include <gtest/gtest.h>

#include <optional>

#include "image/test_images.h"

namespace audiorium::image {
namespace {

using namespace test;
using query::DescriptorTarget;

std::optional<DescriptorTarget> find(const std::vector<DescriptorTarget>& ts, const std::string& name) {
  for (const auto& t : ts)
    if (t.descriptor == name) return t;
  return std::nullopt;
}

double total_weight(const std::vector<DescriptorTarget>& ts) {
  double s = 0;
  for (const auto& t : ts) s += t.weight;
  return s;
}

bool has_word(const std::vector<std::string>& words, const std::string& w) {
  return std::find(words.begin(), words.end(), w) != words.end();
}

void expect_well_formed(const std::vector<DescriptorTarget>& ts) {
  for (const auto& t : ts) {
    SCOPED_TRACE(t.descriptor);
    EXPECT_EQ(t.reason.rfind("image: ", 0), 0u) << t.reason;
    EXPECT_GT(t.reason.size(), 7u);
    EXPECT_GT(t.width, 0.0);
    EXPECT_GT(t.weight, 0.0);
    EXPECT_LE(t.weight, 1.0);
    EXPECT_FALSE(t.negated);
    if (t.descriptor == "mode") {
      EXPECT_EQ(t.scale, DescriptorTarget::Scale::Absolute);
      EXPECT_TRUE(t.value == 0.0 || t.value == 1.0);
    } else {
      EXPECT_EQ(t.scale, DescriptorTarget::Scale::Percentile);
      EXPECT_GE(t.value, 0.0);
      EXPECT_LE(t.value, 1.0);
    }
  }
  for (std::size_t i = 1; i < ts.size(); ++i) EXPECT_GE(ts[i - 1].weight, ts[i].weight);  // strongest first
}

// Dark, desaturated, with a little sensor noise: a night photo.
ImageMood dark_photo() { return analyse(encode(noisy(320, 240, cv::Scalar(28, 30, 32), 6), ".jpg")); }
// Bright, saturated, warm: a sunset.
ImageMood sunset_photo() { return analyse(encode(noisy(320, 240, cv::Scalar(40, 170, 250), 6), ".jpg")); }

TEST(ImageTargets, DarkDesaturatedIsCalmMinorAndDark) {
  const ImageMood m = dark_photo();
  const auto ts = mood_targets(m);
  expect_well_formed(ts);
  const auto energy = find(ts, "energy_db");
  const auto timbre = find(ts, "brightness_hz");
  const auto mode = find(ts, "mode");
  const auto tempo = find(ts, "tempo_bpm");
  const auto perc = find(ts, "percussiveness");
  ASSERT_TRUE(energy && timbre && mode && tempo && perc);
  EXPECT_LT(energy->value, 0.2);
  EXPECT_LT(timbre->value, 0.3);
  EXPECT_LT(tempo->value, 0.4);
  EXPECT_LT(perc->value, 0.4);
  EXPECT_EQ(mode->value, 0.0);
  EXPECT_EQ(mode->scale, DescriptorTarget::Scale::Absolute);
  EXPECT_NEAR(mode->width, 0.5, 1e-12);
  EXPECT_NE(energy->reason.find("dark"), std::string::npos) << energy->reason;
  EXPECT_EQ(mode->reason.rfind("image: dark", 0), 0u) << mode->reason;
  EXPECT_FALSE(find(ts, "onset_rate") && find(ts, "onset_rate")->value > 0.5);
  const auto words = mood_words(m);
  ASSERT_FALSE(words.empty());
  EXPECT_TRUE(has_word(words, "dark"));
  EXPECT_TRUE(has_word(words, "calm"));
  EXPECT_TRUE(has_word(words, "muted"));
  EXPECT_FALSE(has_word(words, "energetic"));
}

TEST(ImageTargets, BrightWarmSaturatedIsMajorAndEnergetic) {
  const ImageMood m = sunset_photo();
  EXPECT_GT(m.warmth, 0.5);
  EXPECT_GT(m.saturation, 0.6);
  const auto ts = mood_targets(m);
  expect_well_formed(ts);
  const auto energy = find(ts, "energy_db");
  const auto timbre = find(ts, "brightness_hz");
  const auto mode = find(ts, "mode");
  ASSERT_TRUE(energy && timbre && mode);
  EXPECT_EQ(mode->value, 1.0);
  EXPECT_GT(mode->weight, 0.5);
  EXPECT_GT(energy->value, 0.8);
  EXPECT_GT(timbre->value, 0.6);
  EXPECT_NE(energy->reason.find("vivid colours"), std::string::npos) << energy->reason;
  const auto words = mood_words(m);
  EXPECT_TRUE(has_word(words, "energetic"));
  EXPECT_TRUE(has_word(words, "vivid"));
  EXPECT_TRUE(has_word(words, "warm colours"));
  EXPECT_FALSE(has_word(words, "calm"));
}

TEST(ImageTargets, MidGreyAsksForLessThanTheExtremes) {
  const ImageMood grey = analyse(encode(noisy(320, 240, cv::Scalar(128, 128, 128), 3), ".png"));
  const auto g = mood_targets(grey);
  expect_well_formed(g);
  const auto d = mood_targets(dark_photo());
  const auto s = mood_targets(sunset_photo());
  EXPECT_LT(g.size(), d.size());
  EXPECT_LT(total_weight(g), 0.6 * total_weight(d));
  EXPECT_LT(total_weight(g), 0.6 * total_weight(s));
  // No colour, no light → no major/minor call.
  EXPECT_FALSE(find(g, "mode").has_value());
  EXPECT_FALSE(has_word(mood_words(grey), "dark"));
  EXPECT_FALSE(has_word(mood_words(grey), "bright"));
}

TEST(ImageTargets, NeutralPhotoAsksForNothing) {
  // Mid brightness, moderate colour, ordinary detail and contrast: measured directly so the test pins the rules.
  ImageMood m;
  m.brightness = 0.5;
  m.saturation = 0.28;
  m.warmth = 0.05;
  m.contrast = 0.45;
  m.colourfulness = 0.3;
  m.edge_density = 0.045;
  EXPECT_TRUE(mood_targets(m).empty());
  EXPECT_TRUE(mood_words(m).empty());
  const MoodFactors f = mood_factors(m);
  EXPECT_EQ(f.dark + f.light + f.muted + f.vivid + f.cool + f.warm + f.busy + f.flat, 0.0);
}

TEST(ImageTargets, StrengthGrowsWithDarkness) {
  double previous = 0;
  for (const double b : {0.42, 0.35, 0.25, 0.15}) {
    ImageMood m;
    m.brightness = b;
    m.saturation = 0.28;
    m.contrast = 0.45;
    m.edge_density = 0.045;
    const auto e = find(mood_targets(m), "energy_db");
    const double w = e ? e->weight : 0.0;
    EXPECT_GE(w, previous) << "brightness " << b;
    if (e) {
      EXPECT_LT(e->value, 0.5);
      EXPECT_EQ(e->reason, "image: dark");
    }
    previous = w;
  }
  EXPECT_GT(previous, 0.5);
}

TEST(ImageTargets, BusyHighContrastMeansMoreOnsetsAndPercussion) {
  const ImageMood m = analyse(encode(checkerboard(320, 320, 6), ".png"));
  const auto ts = mood_targets(m);
  expect_well_formed(ts);
  const auto onsets = find(ts, "onset_rate");
  const auto perc = find(ts, "percussiveness");
  ASSERT_TRUE(onsets && perc);
  EXPECT_GT(onsets->value, 0.75);
  EXPECT_GT(perc->value, 0.7);
  EXPECT_EQ(onsets->reason, "image: busy, high contrast");
  EXPECT_TRUE(has_word(mood_words(m), "busy"));
  EXPECT_TRUE(has_word(mood_words(m), "high contrast"));
  // A smooth, flat image asks for the opposite.
  const auto flat = mood_targets(analyse(encode(solid(320, 320, cv::Scalar(128, 128, 128)), ".png")));
  const auto flat_onsets = find(flat, "onset_rate");
  ASSERT_TRUE(flat_onsets);
  EXPECT_LT(flat_onsets->value, 0.5);
  EXPECT_EQ(flat_onsets->reason, "image: smooth");
}

TEST(ImageTargets, CoolColoursAreCalmerAndDarkerThanWarm) {
  // Same lightness and saturation, opposite hues.
  const ImageMood cool = analyse(encode(noisy(200, 200, cv::Scalar(230, 150, 60), 5), ".png"));
  const ImageMood warm = analyse(encode(noisy(200, 200, cv::Scalar(60, 150, 230), 5), ".png"));
  EXPECT_LT(cool.warmth, -0.5);
  EXPECT_GT(warm.warmth, 0.5);
  EXPECT_TRUE(has_word(mood_words(cool), "cool colours"));
  EXPECT_TRUE(has_word(mood_words(warm), "warm colours"));
  auto value = [](const std::vector<DescriptorTarget>& ts, const std::string& d) {
    const auto t = find(ts, d);
    return t ? t->value : 0.5;
  };
  const auto c = mood_targets(cool), w = mood_targets(warm);
  EXPECT_LT(value(c, "energy_db"), value(w, "energy_db"));
  EXPECT_LT(value(c, "brightness_hz"), value(w, "brightness_hz"));
  const auto timbre = find(c, "brightness_hz");
  ASSERT_TRUE(timbre);
  EXPECT_LT(timbre->value, 0.45);
  EXPECT_EQ(timbre->reason, "image: cool colours");
}

}  // namespace
}  // namespace audiorium::image
