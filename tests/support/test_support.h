// Helpers shared by the test suites: generated signals, WAV writing, format conversion through the
// ffmpeg command, running the audiorium binary, and a temporary directory that cleans itself up. Tests make all their audio here;
// nothing binary is committed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace audiorium::testing {

std::vector<float> sine(double freq_hz, double seconds, int sample_rate, double amplitude = 0.5);
std::vector<float> white_noise(double seconds, int sample_rate, double amplitude, std::uint32_t seed);
// Short decaying noise bursts at a steady tempo.
std::vector<float> click_track(double bpm, double seconds, int sample_rate, double amplitude = 0.8);
// A sum of sines at the given MIDI notes (a chord), equal amplitude.
std::vector<float> chord(const std::vector<int>& midi_notes, double seconds, int sample_rate, double amplitude = 0.3);

// 16-bit PCM WAV, `channels` interleaved copies of the mono signal.
void write_wav(const std::filesystem::path& path, const std::vector<float>& mono, int sample_rate, int channels = 1);
// Converts a WAV to another format with the ffmpeg command (extension picks the codec). Returns false on failure.
bool convert_with_ffmpeg(const std::filesystem::path& wav, const std::filesystem::path& out,
                         const std::string& extra_args = "");

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int code = -1;    // exit status; -1 when it could not run or was killed
  std::string out;  // stdout (and stderr when asked)
};
// Runs a shell command line and collects its output.
CommandResult run_command(const std::string& command_line, bool with_stderr = true);
// Runs the audiorium binary ctest names in $AUDIORIUM_BIN with `args` (a shell fragment); without stderr the
// output is stdout alone (for --json). Throws if AUDIORIUM_BIN is unset.
CommandResult run_audiorium(const std::string& args, bool with_stderr = true);

}  // namespace audiorium::testing
