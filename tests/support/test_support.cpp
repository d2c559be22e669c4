#include "support/test_support.h"

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numbers>
#include <random>
#include <stdexcept>

namespace audiorium::testing {

namespace fs = std::filesystem;

std::vector<float> sine(double freq_hz, double seconds, int sample_rate, double amplitude) {
  const auto n = static_cast<std::size_t>(seconds * sample_rate);
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<float>(amplitude * std::sin(2.0 * std::numbers::pi * freq_hz * static_cast<double>(i) / sample_rate));
  return out;
}

std::vector<float> white_noise(double seconds, int sample_rate, double amplitude, std::uint32_t seed) {
  const auto n = static_cast<std::size_t>(seconds * sample_rate);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> out(n);
  for (auto& s : out) s = static_cast<float>(amplitude) * dist(rng);
  return out;
}

std::vector<float> click_track(double bpm, double seconds, int sample_rate, double amplitude) {
  const auto n = static_cast<std::size_t>(seconds * sample_rate);
  std::vector<float> out(n, 0.0f);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const double period = 60.0 / bpm * sample_rate;
  const auto burst = static_cast<std::size_t>(0.02 * sample_rate);
  for (double t = 0; t < static_cast<double>(n); t += period) {
    const auto start = static_cast<std::size_t>(t);
    for (std::size_t j = 0; j < burst && start + j < n; ++j) {
      const double env = std::exp(-static_cast<double>(j) / (0.004 * sample_rate));
      out[start + j] = static_cast<float>(amplitude * env) * dist(rng);
    }
  }
  return out;
}

std::vector<float> chord(const std::vector<int>& midi_notes, double seconds, int sample_rate, double amplitude) {
  const auto n = static_cast<std::size_t>(seconds * sample_rate);
  std::vector<float> out(n, 0.0f);
  for (int note : midi_notes) {
    const double f = 440.0 * std::pow(2.0, (note - 69) / 12.0);
    for (std::size_t i = 0; i < n; ++i)
      out[i] += static_cast<float>(amplitude * std::sin(2.0 * std::numbers::pi * f * static_cast<double>(i) / sample_rate));
  }
  return out;
}

namespace {
void put_u32(std::ofstream& f, std::uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); }
void put_u16(std::ofstream& f, std::uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); }
}  // namespace

void write_wav(const fs::path& path, const std::vector<float>& mono, int sample_rate, int channels) {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot write " + path.string());
  const auto frames = static_cast<std::uint32_t>(mono.size());
  const std::uint32_t data_bytes = frames * static_cast<std::uint32_t>(channels) * 2u;
  f.write("RIFF", 4);
  put_u32(f, 36 + data_bytes);
  f.write("WAVEfmt ", 8);
  put_u32(f, 16);
  put_u16(f, 1);
  put_u16(f, static_cast<std::uint16_t>(channels));
  put_u32(f, static_cast<std::uint32_t>(sample_rate));
  put_u32(f, static_cast<std::uint32_t>(sample_rate * channels * 2));
  put_u16(f, static_cast<std::uint16_t>(channels * 2));
  put_u16(f, 16);
  f.write("data", 4);
  put_u32(f, data_bytes);
  for (float s : mono) {
    const float c = std::max(-1.0f, std::min(1.0f, s));
    const auto v = static_cast<std::int16_t>(std::lround(c * 32767.0f));
    for (int ch = 0; ch < channels; ++ch) f.write(reinterpret_cast<const char*>(&v), 2);
  }
}

bool convert_with_ffmpeg(const fs::path& wav, const fs::path& out, const std::string& extra_args) {
  const std::string cmd = "ffmpeg -nostdin -loglevel error -y -i '" + wav.string() + "' " + extra_args + " '" +
                          out.string() + "'";
  return std::system(cmd.c_str()) == 0 && fs::exists(out);
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "audiorium-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

CommandResult run_command(const std::string& command_line, bool with_stderr) {
  const std::string cmd = command_line + (with_stderr ? " 2>&1" : " 2>/dev/null");
  CommandResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  while (fgets(buf, sizeof buf, p)) r.out += buf;
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

CommandResult run_audiorium(const std::string& args, bool with_stderr) {
  const char* bin = std::getenv("AUDIORIUM_BIN");
  if (!bin) throw std::runtime_error("AUDIORIUM_BIN is not set (ctest sets it)");
  return run_command(std::string(bin) + " " + args, with_stderr);
}

}  // namespace audiorium::testing
