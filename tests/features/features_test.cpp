#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <thread>
#include <random>

#include "audio/decoder.h"
#include "core/error.h"
#include "features/descriptors.h"
#include "features/fingerprint.h"
#include "features/frames.h"
#include "support/test_support.h"

namespace ts = audiorium::testing;
namespace ft = audiorium::features;
using audiorium::Error;

namespace {

constexpr int kSr = 22050;

struct Analysis {
  ft::FrameFeatures frames;
  ft::Descriptors desc;
};

Analysis analyse(const std::vector<float>& x, int sr = kSr) {
  ft::FrameParams p;
  p.sample_rate = sr;
  Analysis a;
  a.frames = ft::compute_frame_features(x, p);
  a.desc = ft::compute_descriptors(x, sr, a.frames);
  return a;
}

int argmax_mean_chroma(const ft::FrameFeatures& f) {
  std::vector<double> m(12, 0.0);
  for (int t = 0; t < f.chroma.rows; ++t)
    for (int c = 0; c < 12; ++c) m[static_cast<std::size_t>(c)] += f.chroma.at(t, c);
  return static_cast<int>(std::max_element(m.begin(), m.end()) - m.begin());
}

double mean(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

std::vector<float> scaled(std::vector<float> x, double gain) {
  for (auto& s : x) s = static_cast<float>(s * gain);
  return x;
}

std::vector<float> mix(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> out(std::max(a.size(), b.size()), 0.0f);
  for (std::size_t i = 0; i < a.size(); ++i) out[i] += a[i];
  for (std::size_t i = 0; i < b.size(); ++i) out[i] += b[i];
  return out;
}

// A little "song": a chord progression over a click track, so fingerprints and loudness have structure.
std::vector<float> song(double seconds_per_chord = 2.0) {
  std::vector<float> x;
  for (const auto& notes : std::vector<std::vector<int>>{{60, 64, 67}, {57, 60, 64}, {65, 69, 72}, {67, 71, 74},
                                                         {60, 64, 67}, {62, 65, 69}, {64, 67, 71}, {55, 59, 62}}) {
    auto c = ts::chord(notes, seconds_per_chord, kSr, 0.15);
    x.insert(x.end(), c.begin(), c.end());
  }
  return mix(x, ts::click_track(100, static_cast<double>(x.size()) / kSr, kSr, 0.3));
}

// Two random notes at a time, 0.3 s each: tonal but unrelated between seeds.
std::vector<float> random_notes(unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> note(48, 84);
  std::vector<float> x;
  for (int i = 0; i < 40; ++i) {
    const auto c = ts::chord({note(rng), note(rng)}, 0.3, kSr, 0.3);
    x.insert(x.end(), c.begin(), c.end());
  }
  return x;
}

void expect_all_finite(const ft::FrameMatrix& m, const char* what) {
  for (float v : m.data) ASSERT_TRUE(std::isfinite(v)) << what;
}
void expect_all_finite(const std::vector<float>& v, const char* what) {
  for (float x : v) ASSERT_TRUE(std::isfinite(x)) << what;
}

}  // namespace

TEST(Frames, ShapesAndFiniteValues) {
  const auto x = ts::sine(440, 3.0, kSr);
  const auto f = ft::compute_frame_features(x);
  const int T = 1 + static_cast<int>(x.size()) / 512;
  EXPECT_EQ(f.n_frames, T);
  EXPECT_EQ(f.mel_db.rows, T);
  EXPECT_EQ(f.mel_db.cols, 64);
  EXPECT_EQ(f.mfcc.rows, T);
  EXPECT_EQ(f.mfcc.cols, 20);
  EXPECT_EQ(f.chroma.cols, 12);
  EXPECT_EQ(f.contrast.cols, 7);
  for (const auto* v : {&f.centroid_hz, &f.bandwidth_hz, &f.rolloff_hz, &f.flatness, &f.zcr, &f.rms, &f.onset_strength})
    EXPECT_EQ(v->size(), static_cast<std::size_t>(T));
  expect_all_finite(f.mel_db, "mel");
  expect_all_finite(f.mfcc, "mfcc");
  expect_all_finite(f.contrast, "contrast");
  // c0 of the orthonormal DCT is sqrt(n_mels) times the mean log-mel.
  double mean_db = 0;
  for (int m = 0; m < 64; ++m) mean_db += f.mel_db.at(T / 2, m);
  EXPECT_NEAR(f.mfcc.at(T / 2, 0), mean_db / 64 * 8.0, 1e-2);
  // A 0.5-amplitude sine: RMS 0.354, two zero crossings per period.
  EXPECT_NEAR(f.rms[static_cast<std::size_t>(T / 2)], 0.5 / std::sqrt(2.0), 0.01);
  EXPECT_NEAR(f.zcr[static_cast<std::size_t>(T / 2)], 2 * 440.0 / kSr, 0.002);
  // A tone has a clear peak above its neighbourhood: large contrast in its band (400–800 Hz).
  EXPECT_GT(f.contrast.at(T / 2, 2), 30.0f);
}

TEST(Frames, EmptyAndTinyInputs) {
  const auto e = ft::compute_frame_features(std::vector<float>{});
  EXPECT_EQ(e.n_frames, 0);
  const std::vector<float> tiny = {0.1f, -0.2f, 0.3f};
  const auto t = ft::compute_frame_features(tiny);
  EXPECT_EQ(t.n_frames, 1);
  expect_all_finite(t.mel_db, "mel");
  ft::FrameParams bad;
  bad.n_fft = 1001;
  EXPECT_THROW(ft::compute_frame_features(tiny, bad), Error);
}

TEST(Frames, ChromaOfA440IsA) {
  const auto f = ft::compute_frame_features(ts::sine(440, 3.0, kSr));
  EXPECT_EQ(argmax_mean_chroma(f), 9);
  for (int t = 0; t < f.n_frames; ++t) EXPECT_FLOAT_EQ(*std::max_element(f.chroma.row(t).begin(), f.chroma.row(t).end()), 1.0f);
  const auto c = ft::compute_frame_features(ts::sine(261.63, 3.0, kSr));
  EXPECT_EQ(argmax_mean_chroma(c), 0);
}

TEST(Frames, CentroidFollowsFrequency) {
  const auto lo = ft::compute_frame_features(ts::sine(1000, 2.0, kSr));
  const auto hi = ft::compute_frame_features(ts::sine(3000, 2.0, kSr));
  const auto mid = static_cast<std::size_t>(lo.n_frames / 2);
  EXPECT_NEAR(lo.centroid_hz[mid], 1000, 50);
  EXPECT_NEAR(hi.centroid_hz[mid], 3000, 150);
  EXPECT_GT(hi.centroid_hz[mid], lo.centroid_hz[mid]);
  EXPECT_NEAR(hi.rolloff_hz[mid], 3000, 50);
  EXPECT_LT(hi.bandwidth_hz[mid], 300);
}

TEST(Frames, NoiseIsFlatterThanSine) {
  const auto n = ft::compute_frame_features(ts::white_noise(3.0, kSr, 0.3, 1));
  const auto s = ft::compute_frame_features(ts::sine(1000, 3.0, kSr));
  EXPECT_GT(mean(n.flatness), 0.3);
  EXPECT_LT(mean(s.flatness), 0.01);
  EXPECT_GT(mean(n.zcr), mean(s.zcr));
}

TEST(Frames, OnsetStrengthPeaksAtClicks) {
  const auto f = ft::compute_frame_features(ts::click_track(120, 4.0, kSr));
  // 120 BPM at 43 frames/s: strong onsets every ~21.5 frames, quiet in between.
  EXPECT_GT(*std::max_element(f.onset_strength.begin(), f.onset_strength.end()), 10 * mean(f.onset_strength) / 4);
  const auto ac = ft::onset_autocorrelation(f.onset_strength, 60);
  ASSERT_EQ(ac.size(), 61u);
  EXPECT_FLOAT_EQ(ac[0], 1.0f);
  EXPECT_GT(std::max(ac[21], ac[22]), 0.5f);
  EXPECT_LT(ac[11], 0.2f);
}

TEST(Frames, DeltasOfARamp) {
  ft::FrameMatrix m{30, 2, {}};
  for (int r = 0; r < 30; ++r) {
    m.data.push_back(static_cast<float>(2 * r));
    m.data.push_back(5.0f);
  }
  const auto d = ft::deltas(m);
  ASSERT_EQ(d.rows, 30);
  for (int r = 0; r < 30; ++r) {
    EXPECT_NEAR(d.at(r, 0), 2.0f, 1e-4);
    EXPECT_NEAR(d.at(r, 1), 0.0f, 1e-4);
  }
  EXPECT_THROW(ft::deltas(m, 4), Error);
  const auto short_d = ft::deltas(ft::FrameMatrix{3, 1, {1, 2, 3}});
  EXPECT_NEAR(short_d.at(1, 0), 1.0f, 1e-5);
}

class TempoTest : public ::testing::TestWithParam<double> {};

TEST_P(TempoTest, ClickTrackTempo) {
  const double bpm = GetParam();
  const auto a = analyse(ts::click_track(bpm, 30.0, kSr));
  EXPECT_NEAR(a.desc.tempo_bpm, bpm, 2.0);
  EXPECT_GT(a.desc.tempo_confidence, 0.3);
  EXPECT_NEAR(a.desc.onset_rate, bpm / 60.0, 0.15);
}

INSTANTIATE_TEST_SUITE_P(Bpm, TempoTest, ::testing::Values(90.0, 120.0, 150.0, 72.0, 175.0));

TEST(Descriptors, KeyOfChords) {
  const auto c = analyse(ts::chord({60, 64, 67}, 5.0, kSr));
  EXPECT_EQ(ft::key_name(c.desc.key, c.desc.major), "C major");
  EXPECT_GT(c.desc.key_strength, 0.5);
  const auto a = analyse(ts::chord({57, 60, 64}, 5.0, kSr));
  EXPECT_EQ(ft::key_name(a.desc.key, a.desc.major), "A minor");
  // A minor triad over the A minor scale, scale tones quieter.
  auto scale = ts::chord({57, 59, 60, 62, 64, 65, 67}, 5.0, kSr, 0.05);
  const auto as = analyse(mix(scale, ts::chord({57, 60, 64}, 5.0, kSr, 0.2)));
  EXPECT_EQ(ft::key_name(as.desc.key, as.desc.major), "A minor");
}

TEST(Descriptors, LoudnessOfReferenceTone) {
  // EBU R128 / ITU-R BS.1770: a full-scale 1 kHz sine in one channel reads -3.01 LUFS, so amplitude 0.1
  // (-20 dB) reads -23.01 LUFS. Checked at 48 kHz (the reference rate) and at the analysis rate.
  for (int sr : {48000, kSr}) {
    const auto x = ts::sine(1000, 10.0, sr, 0.1);
    const auto a = analyse(x, sr);
    EXPECT_NEAR(a.desc.loudness_lufs, -23.0, 0.5) << sr;
    EXPECT_NEAR(a.desc.loudness_range_lu, 0.0, 0.5) << sr;
  }
}

TEST(Descriptors, LouderCopy) {
  const auto x = song();
  const auto a = analyse(x);
  const auto b = analyse(scaled(x, 2.0));  // +6.02 dB
  EXPECT_NEAR(b.desc.energy - a.desc.energy, 6.02, 0.5);
  EXPECT_NEAR(b.desc.loudness_lufs - a.desc.loudness_lufs, 6.02, 0.5);
  EXPECT_NEAR(b.desc.brightness_hz, a.desc.brightness_hz, 1.0);
  EXPECT_NEAR(b.desc.tempo_bpm, a.desc.tempo_bpm, 0.5);
}

TEST(Descriptors, TonalnessAndPercussiveness) {
  const auto noise = analyse(ts::white_noise(10.0, kSr, 0.3, 2));
  const auto sine = analyse(ts::sine(440, 10.0, kSr));
  const auto chord = analyse(ts::chord({60, 64, 67}, 10.0, kSr));
  const auto clicks = analyse(ts::click_track(120, 10.0, kSr));
  EXPECT_LT(noise.desc.tonalness, 0.2);
  EXPECT_GT(sine.desc.tonalness, 0.8);
  EXPECT_GT(chord.desc.tonalness, 0.8);
  EXPECT_GT(clicks.desc.percussiveness, 0.6);
  EXPECT_LT(chord.desc.percussiveness, 0.2);
  EXPECT_GT(clicks.desc.percussiveness, chord.desc.percussiveness + 0.4);
  EXPECT_EQ(sine.desc.tempo_bpm, 0.0);  // a steady tone has no pulse
  EXPECT_NEAR(sine.desc.dynamic_range_db, 0.0, 1.0);
  EXPECT_GT(clicks.desc.dynamic_range_db, 20.0);
  EXPECT_NEAR(sine.desc.brightness_hz, 440, 30);
}

TEST(Descriptors, SilenceIsFinite) {
  const std::vector<float> silence(static_cast<std::size_t>(5 * kSr), 0.0f);
  const auto a = analyse(silence);
  expect_all_finite(a.frames.mel_db, "mel");
  expect_all_finite(a.frames.mfcc, "mfcc");
  expect_all_finite(a.frames.chroma, "chroma");
  expect_all_finite(a.frames.contrast, "contrast");
  for (const auto* v : {&a.frames.centroid_hz, &a.frames.bandwidth_hz, &a.frames.rolloff_hz, &a.frames.flatness,
                        &a.frames.zcr, &a.frames.rms, &a.frames.onset_strength})
    expect_all_finite(*v, "frame vector");
  for (const auto& [name, value] : ft::to_named(a.desc)) EXPECT_TRUE(std::isfinite(value)) << name;
  EXPECT_EQ(a.desc.tempo_bpm, 0.0);
  EXPECT_EQ(a.desc.onset_rate, 0.0);
  EXPECT_LE(a.desc.energy, -100.0);
  EXPECT_EQ(a.desc.loudness_lufs, -70.0);
  // Empty input too.
  const auto e = analyse({});
  for (const auto& [name, value] : ft::to_named(e.desc)) EXPECT_TRUE(std::isfinite(value)) << name;
}

TEST(Descriptors, NamedRoundTrip) {
  const auto a = analyse(song());
  const auto named = ft::to_named(a.desc);
  ASSERT_EQ(named.size(), 13u);
  EXPECT_EQ(named[0].first, "tempo_bpm");
  EXPECT_EQ(named[3].first, "mode");
  std::map<std::string, double> m(named.begin(), named.end());
  const auto back = ft::from_named(m);
  EXPECT_EQ(ft::to_named(back), named);
  EXPECT_EQ(ft::key_name(9, false), "A minor");
  EXPECT_EQ(ft::key_name(1, true), "C# major");
}

TEST(Fingerprint, SimilarityBehaves) {
  const auto x = song(1.5);
  const auto fa = ft::fingerprint(x, kSr);
  ASSERT_FALSE(fa.raw.empty());
  EXPECT_FALSE(fa.compressed.empty());
  EXPECT_DOUBLE_EQ(ft::fingerprint_similarity(fa, fa), 1.0);
  EXPECT_DOUBLE_EQ(ft::fingerprint_similarity(fa, ft::fingerprint(x, kSr)), 1.0);
  EXPECT_GE(ft::fingerprint_similarity(fa, ft::fingerprint(scaled(x, 0.7), kSr)), 0.9);
  // Same audio starting 1 s later: found at another alignment.
  const std::vector<float> later(x.begin() + kSr, x.end());
  EXPECT_GE(ft::fingerprint_similarity(fa, ft::fingerprint(later, kSr)), 0.8);

  // Unrelated audio. (Two white noises are not a fair pair: Chromaprint sees both as the same featureless
  // flat chroma and gives them nearly equal fingerprints, so different random note sequences stand in.)
  const auto m1 = ft::fingerprint(random_notes(1), kSr), m2 = ft::fingerprint(random_notes(2), kSr);
  EXPECT_LT(ft::fingerprint_similarity(m1, m2), 0.3);
  EXPECT_LT(ft::fingerprint_similarity(fa, m1), 0.3);
  const auto n1 = ft::fingerprint(ts::white_noise(12.0, kSr, 0.3, 11), kSr);
  EXPECT_LT(ft::fingerprint_similarity(fa, n1), 0.25);
  EXPECT_EQ(ft::fingerprint_similarity(ft::Fingerprint{}, fa), 0.0);
}

TEST(Pipeline, DecodedMp3GivesSameDescriptorsAsSource) {
  ts::TempDir dir;
  auto x = mix(ts::click_track(128, 40.0, 44100, 0.5), ts::chord({57, 60, 64}, 40.0, 44100, 0.1));
  ts::write_wav(dir / "song.wav", x, 44100, 2);
  ASSERT_TRUE(ts::convert_with_ffmpeg(dir / "song.wav", dir / "song.mp3", "-b:a 192k"));
  const auto d = audiorium::audio::decode(dir / "song.mp3", kSr);  // 30 s from the middle
  ASSERT_NEAR(d.samples.size() / double(kSr), 30.0, 0.01);
  const auto a = analyse(d.samples);
  EXPECT_NEAR(a.desc.tempo_bpm, 128.0, 2.0);
  EXPECT_EQ(ft::key_name(a.desc.key, a.desc.major), "A minor");
  // The clicks make it more percussive than the chord alone.
  const auto chord_only = analyse(ts::chord({57, 60, 64}, 30.0, kSr, 0.1));
  EXPECT_GT(a.desc.percussiveness, chord_only.desc.percussiveness + 0.05);
  // Same recording, WAV vs MP3 → fingerprints agree.
  const auto w = audiorium::audio::decode(dir / "song.wav", kSr);
  EXPECT_GE(ft::fingerprint_similarity(ft::fingerprint(w.samples, kSr), ft::fingerprint(d.samples, kSr)), 0.9);
}

TEST(Frames, ThreadsGiveIdenticalResults) {
  const auto x = song();
  const auto ref = ft::compute_frame_features(x);
  std::vector<ft::FrameFeatures> out(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      ft::FrameParams p;
      p.n_fft = i % 2 ? 1024 : 2048;  // two sizes, so plans are created concurrently
      out[static_cast<std::size_t>(i)] = ft::compute_frame_features(x, p);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(out[0].mel_db.data, ref.mel_db.data);
  EXPECT_EQ(out[2].mfcc.data, ref.mfcc.data);
  EXPECT_EQ(out[1].n_frames, ref.n_frames);
  EXPECT_EQ(out[1].mel_db.data, out[3].mel_db.data);
}
