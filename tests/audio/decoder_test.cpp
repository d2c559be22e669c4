#include "audio/decoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
namespace ts = audiorium::testing;
namespace audio = audiorium::audio;
using audiorium::Error;
using audio::AnalysisWindow;

namespace {

// Frequency of a clean tone from its zero crossings over [a, b) seconds.
double tone_hz(const std::vector<float>& x, int sr, double a = 0, double b = 1e9) {
  const auto i0 = static_cast<std::size_t>(a * sr);
  const auto i1 = std::min(x.size(), static_cast<std::size_t>(b * sr));
  int crossings = 0;
  for (std::size_t i = i0 + 1; i < i1; ++i)
    if ((x[i - 1] < 0) != (x[i] < 0)) ++crossings;
  return crossings / 2.0 / (static_cast<double>(i1 - i0) / sr);
}

double rms(const std::vector<float>& x, std::size_t from, std::size_t to) {
  double s = 0;
  for (std::size_t i = from; i < to; ++i) s += double(x[i]) * x[i];
  return std::sqrt(s / static_cast<double>(to - from));
}

void write_stereo_wav(const fs::path& path, const std::vector<float>& left, const std::vector<float>& right, int sr) {
  std::ofstream f(path, std::ios::binary);
  auto u32 = [&](uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
  const auto bytes = static_cast<uint32_t>(left.size() * 4);
  f.write("RIFF", 4);
  u32(36 + bytes);
  f.write("WAVEfmt ", 8);
  u32(16);
  u16(1);
  u16(2);
  u32(static_cast<uint32_t>(sr));
  u32(static_cast<uint32_t>(sr * 4));
  u16(4);
  u16(16);
  f.write("data", 4);
  u32(bytes);
  for (std::size_t i = 0; i < left.size(); ++i) {
    u16(static_cast<uint16_t>(static_cast<int16_t>(std::lround(left[i] * 32767.0f))));
    u16(static_cast<uint16_t>(static_cast<int16_t>(std::lround(right[i] * 32767.0f))));
  }
}

// 440 Hz for the first half of the file, 880 Hz for the second.
std::vector<float> two_tone(double seconds, int sr) {
  auto a = ts::sine(440, seconds / 2, sr, 0.5);
  auto b = ts::sine(880, seconds / 2, sr, 0.5);
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

void expect_error_naming(const fs::path& file, const std::string& fragment) {
  try {
    audio::decode(file, 22050);
    FAIL() << "no error for " << file;
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file.filename().string()), std::string::npos) << msg;
    if (!fragment.empty()) {
      EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
    }
  }
}

}  // namespace

class FormatTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FormatTest, DecodesToneAtRequestedRate) {
  ts::TempDir dir;
  const auto wav = dir / "tone.wav";
  ts::write_wav(wav, ts::sine(440, 4.0, 44100, 0.5), 44100, 2);
  fs::path file = wav;
  if (GetParam() != "wav") {
    file = dir / ("tone." + GetParam());
    ASSERT_TRUE(ts::convert_with_ffmpeg(wav, file)) << GetParam();
  }
  const auto info = audio::probe(file);
  EXPECT_NEAR(info.duration_s, 4.0, 0.1);
  EXPECT_EQ(info.channels, 2);
  EXPECT_FALSE(info.codec.empty());
  EXPECT_GT(info.source_sample_rate, 0);

  const auto d = audio::decode(file, 22050, AnalysisWindow::full());
  EXPECT_EQ(d.sample_rate, 22050);
  EXPECT_NEAR(d.samples.size() / 22050.0, 4.0, 0.1) << GetParam();
  EXPECT_NEAR(d.offset_s, 0.0, 0.05);
  EXPECT_NEAR(tone_hz(d.samples, 22050, 0.5, 3.5), 440.0, 3.0) << GetParam();
  // Stereo copies average back to the original amplitude (0.5 peak → 0.354 RMS).
  EXPECT_NEAR(rms(d.samples, 11025, 3 * 22050), 0.5 / std::sqrt(2.0), 0.03) << GetParam();
  for (float s : d.samples) ASSERT_TRUE(std::isfinite(s) && std::abs(s) <= 1.01f);
}

INSTANTIATE_TEST_SUITE_P(Formats, FormatTest, ::testing::Values("wav", "mp3", "flac", "ogg", "opus", "m4a"));

TEST(Decoder, StereoIsAveragedToMono) {
  ts::TempDir dir;
  const auto left = ts::sine(1000, 2.0, 22050, 0.8);
  const std::vector<float> right(left.size(), 0.0f);
  write_stereo_wav(dir / "lr.wav", left, right, 22050);
  const auto d = audio::decode(dir / "lr.wav", 22050, AnalysisWindow::full());
  ASSERT_EQ(d.samples.size(), left.size());
  EXPECT_NEAR(rms(d.samples, 0, d.samples.size()), 0.4 / std::sqrt(2.0), 0.005);
  EXPECT_EQ(d.info.channels, 2);
}

// Found by fuzz_audio: a float WAV carries any value (over-unity masters are common, NaN and infinities are a
// bit flip away) and swresample passed them on, breaking the [-1, 1] promise the descriptors rely on.
TEST(Decoder, FloatWavOutOfRangeIsClippedAndNonFiniteZeroed) {
  ts::TempDir dir;
  std::vector<float> x = ts::sine(440, 0.5, 22050, 0.5);
  const std::size_t n = x.size();
  x[1000] = 3.0f;
  x[2000] = -9.1e7f;
  x[3000] = std::numeric_limits<float>::infinity();
  x[4000] = std::numeric_limits<float>::quiet_NaN();
  {
    std::ofstream f(dir / "float.wav", std::ios::binary);
    auto u32 = [&](uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
    auto u16 = [&](uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
    const auto bytes = static_cast<uint32_t>(n * 4);
    f.write("RIFF", 4);
    u32(36 + bytes);
    f.write("WAVEfmt ", 8);
    u32(16);
    u16(3);  // IEEE float
    u16(1);
    u32(22050);
    u32(22050 * 4);
    u16(4);
    u16(32);
    f.write("data", 4);
    u32(bytes);
    f.write(reinterpret_cast<const char*>(x.data()), static_cast<std::streamsize>(bytes));
  }
  const auto d = audio::decode(dir / "float.wav", 22050, AnalysisWindow::full());
  ASSERT_EQ(d.samples.size(), n);
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(std::isfinite(d.samples[i])) << "sample " << i;
    ASSERT_LE(std::abs(d.samples[i]), 1.0f) << "sample " << i;
  }
  EXPECT_EQ(d.samples[1000], 1.0f);
  EXPECT_EQ(d.samples[2000], -1.0f);
  EXPECT_EQ(d.samples[3000], 0.0f);  // not finite: silence, like NaN
  EXPECT_EQ(d.samples[4000], 0.0f);
  EXPECT_NEAR(d.samples[500], x[500], 1e-6);  // in-range samples untouched
  // Resampled, the out-of-range values still end up inside [-1, 1] and finite.
  const auto r = audio::decode(dir / "float.wav", 16000, AnalysisWindow::full());
  for (const float s : r.samples) ASSERT_TRUE(std::isfinite(s) && std::abs(s) <= 1.0f);
}

TEST(Decoder, ResamplingKeepsTone) {
  ts::TempDir dir;
  ts::write_wav(dir / "k.wav", ts::sine(1000, 3.0, 44100, 0.5), 44100);
  const auto d = audio::decode(dir / "k.wav", 22050, AnalysisWindow::full());
  EXPECT_EQ(d.info.source_sample_rate, 44100);
  EXPECT_NEAR(d.samples.size(), 3 * 22050.0, 30);
  EXPECT_NEAR(tone_hz(d.samples, 22050, 0.2, 2.8), 1000.0, 2.0);
  EXPECT_NEAR(rms(d.samples, 4410, 2 * 22050), 0.5 / std::sqrt(2.0), 0.01);
}

class MiddleWindowTest : public ::testing::TestWithParam<std::string> {};

TEST_P(MiddleWindowTest, CentredWindowOnLongTrack) {
  ts::TempDir dir;
  const auto wav = dir / "long.wav";
  ts::write_wav(wav, two_tone(120.0, 22050), 22050);
  fs::path file = wav;
  if (GetParam() != "wav") {
    file = dir / ("long." + GetParam());
    ASSERT_TRUE(ts::convert_with_ffmpeg(wav, file));
  }
  const auto d = audio::decode(file, 22050, AnalysisWindow::middle(30));
  EXPECT_NEAR(d.offset_s, 45.0, 0.05);
  EXPECT_NEAR(d.samples.size() / 22050.0, 30.0, 0.01);
  // The switch from 440 to 880 Hz at 60 s in the track lies 15 s into the window.
  EXPECT_NEAR(tone_hz(d.samples, 22050, 0.0, 14.8), 440.0, 2.0);
  EXPECT_NEAR(tone_hz(d.samples, 22050, 15.2, 30.0), 880.0, 2.0);
  EXPECT_NEAR(tone_hz(d.samples, 22050, 14.85, 14.95), 440.0, 25.0);
  EXPECT_NEAR(tone_hz(d.samples, 22050, 15.05, 15.15), 880.0, 25.0);
}

INSTANTIATE_TEST_SUITE_P(Formats, MiddleWindowTest, ::testing::Values("wav", "mp3", "flac", "ogg", "opus", "m4a"));

TEST(Decoder, ShortTrackIsDecodedWhole) {
  ts::TempDir dir;
  ts::write_wav(dir / "short.wav", ts::sine(440, 10.0, 22050), 22050);
  ASSERT_TRUE(ts::convert_with_ffmpeg(dir / "short.wav", dir / "short.mp3"));
  for (const auto* name : {"short.wav", "short.mp3"}) {
    const auto d = audio::decode(dir / name, 16000, AnalysisWindow::middle(30));
    EXPECT_EQ(d.sample_rate, 16000);
    EXPECT_NEAR(d.offset_s, 0.0, 0.01) << name;
    EXPECT_NEAR(d.samples.size() / 16000.0, 10.0, 0.1) << name;
  }
}

TEST(Decoder, StreamingMatchesDecodeAndCanStop) {
  ts::TempDir dir;
  ts::write_wav(dir / "s.wav", two_tone(40.0, 22050), 22050);
  const auto whole = audio::decode(dir / "s.wav", 22050, AnalysisWindow::middle(20));
  std::vector<float> streamed;
  std::size_t blocks = 0;
  double offset = -1;
  audio::decode_stream(
      dir / "s.wav", 22050, AnalysisWindow::middle(20),
      [&](std::span<const float> b) {
        ++blocks;
        EXPECT_LE(b.size(), 4096u);
        streamed.insert(streamed.end(), b.begin(), b.end());
        return true;
      },
      4096, &offset);
  EXPECT_EQ(streamed, whole.samples);
  EXPECT_GT(blocks, 100u);
  EXPECT_NEAR(offset, 10.0, 0.01);

  std::size_t got = 0;
  audio::decode_stream(dir / "s.wav", 22050, AnalysisWindow::full(), [&](std::span<const float> b) {
    got += b.size();
    return false;
  }, 1000);
  EXPECT_EQ(got, 1000u);
}

TEST(DecoderErrors, MissingFile) { expect_error_naming("/nonexistent/dir/missing-song.mp3", "not found"); }

TEST(DecoderErrors, EmptyFile) {
  ts::TempDir dir;
  std::ofstream(dir / "empty.mp3").close();
  expect_error_naming(dir / "empty.mp3", "empty");
  EXPECT_THROW(audio::probe(dir / "empty.mp3"), Error);
}

TEST(DecoderErrors, TextRenamedMp3) {
  ts::TempDir dir;
  {
    std::ofstream f(dir / "notes.mp3");
    for (int i = 0; i < 200; ++i) f << "This is a shopping list, not a song. Line " << i << "\n";
  }
  expect_error_naming(dir / "notes.mp3", "");
}

TEST(DecoderErrors, ImageHasNoAudio) {
  ts::TempDir dir;
  const std::string cmd = "ffmpeg -nostdin -loglevel error -y -f lavfi -i color=c=red:s=32x32 -frames:v 1 '" +
                          (dir / "cover.png").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  expect_error_naming(dir / "cover.png", "");
}

TEST(DecoderErrors, VideoOnlyFileHasNoAudioStream) {
  ts::TempDir dir;
  const std::string cmd = "ffmpeg -nostdin -loglevel error -y -f lavfi -i color=c=blue:s=32x32:d=1 -c:v ffv1 '" +
                          (dir / "clip.mkv").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  expect_error_naming(dir / "clip.mkv", "no audio stream");
}

TEST(DecoderErrors, TruncatedMp3DecodesWhatIsThere) {
  ts::TempDir dir;
  ts::write_wav(dir / "t.wav", ts::sine(440, 20.0, 22050), 22050);
  ASSERT_TRUE(ts::convert_with_ffmpeg(dir / "t.wav", dir / "t.mp3", "-b:a 128k"));
  const auto size = fs::file_size(dir / "t.mp3");
  fs::resize_file(dir / "t.mp3", size / 10);
  const auto d = audio::decode(dir / "t.mp3", 22050, AnalysisWindow::full());
  EXPECT_GT(d.samples.size() / 22050.0, 1.0);
  EXPECT_LT(d.samples.size() / 22050.0, 4.0);
  EXPECT_NEAR(tone_hz(d.samples, 22050, 0.2, 1.0), 440.0, 3.0);

  // A few hundred bytes hold no complete frame: a clear error, not a crash or an empty result.
  fs::resize_file(dir / "t.mp3", 300);
  try {
    const auto tiny = audio::decode(dir / "t.mp3", 22050);
    EXPECT_FALSE(tiny.samples.empty());
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t.mp3"), std::string::npos);
  }
}

TEST(DecoderErrors, CorruptPacketsAreSkipped) {
  ts::TempDir dir;
  ts::write_wav(dir / "c.wav", ts::sine(440, 10.0, 22050), 22050);
  ASSERT_TRUE(ts::convert_with_ffmpeg(dir / "c.wav", dir / "c.mp3", "-b:a 128k"));
  {
    std::fstream f(dir / "c.mp3", std::ios::in | std::ios::out | std::ios::binary);
    const auto size = static_cast<long>(fs::file_size(dir / "c.mp3"));
    uint32_t state = 12345;
    for (long pos = size / 3; pos < size / 3 + 2000; ++pos) {  // scribble over ~2 kB in the middle
      state = state * 1664525u + 1013904223u;
      f.seekp(pos);
      f.put(static_cast<char>(state >> 24));
    }
  }
  const auto d = audio::decode(dir / "c.mp3", 22050, AnalysisWindow::full());
  EXPECT_GT(d.samples.size() / 22050.0, 8.0);
  EXPECT_NEAR(tone_hz(d.samples, 22050, 0.5, 3.0), 440.0, 3.0);
}

TEST(DecoderErrors, InvalidRate) {
  ts::TempDir dir;
  ts::write_wav(dir / "r.wav", ts::sine(440, 1.0, 22050), 22050);
  EXPECT_THROW(audio::decode(dir / "r.wav", 0), Error);
}

TEST(Decoder, MiddleWindowWhenDurationIsUnknown) {
  // Matroska written to a pipe carries no duration: the middle is found by decoding all and cropping.
  ts::TempDir dir;
  ts::write_wav(dir / "u.wav", two_tone(60.0, 22050), 22050);
  const std::string cmd = "ffmpeg -nostdin -loglevel error -y -i '" + (dir / "u.wav").string() +
                          "' -c:a flac -f matroska - > '" + (dir / "u.mka").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(audio::probe(dir / "u.mka").duration_s, 0.0);
  const auto d = audio::decode(dir / "u.mka", 22050, AnalysisWindow::middle(20));
  EXPECT_NEAR(d.offset_s, 20.0, 0.05);
  EXPECT_NEAR(d.samples.size() / 22050.0, 20.0, 0.01);
  EXPECT_NEAR(tone_hz(d.samples, 22050, 0.0, 9.9), 440.0, 2.0);
  EXPECT_NEAR(tone_hz(d.samples, 22050, 10.1, 20.0), 880.0, 2.0);
}
