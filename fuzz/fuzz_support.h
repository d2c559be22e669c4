// Small helpers shared by the fuzz targets: a private scratch folder per process, the folder of files made by
// fuzz/make_seeds.py, and the one way a target reports a broken promise (abort, which libFuzzer records as a crash).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace audiorium::fuzz {

// A promise of the code under test was broken: libFuzzer saves the input that did it.
[[noreturn]] inline void broken(const char* what) {
  std::fprintf(stderr, "fuzz target: broken promise: %s\n", what);
  std::abort();
}
#define AUDIORIUM_FUZZ_CHECK(cond) \
  do {                             \
    if (!(cond)) ::audiorium::fuzz::broken(#cond); \
  } while (0)

// <tmp>/audiorium-fuzz-<pid>, created on first use and removed when the process exits normally.
inline const std::filesystem::path& scratch_dir() {
  struct Dir {
    std::filesystem::path path;
    Dir() {
      path = std::filesystem::temp_directory_path() / ("audiorium-fuzz-" + std::to_string(::getpid()));
      std::filesystem::create_directories(path);
    }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

// Where fuzz/make_seeds.py put the files targets need at start: $AUDIORIUM_FUZZ_DATA, else <build>/fuzz-data.
inline std::filesystem::path data_dir() {
  if (const char* env = std::getenv("AUDIORIUM_FUZZ_DATA"); env && *env) return env;
  return AUDIORIUM_FUZZ_DATA_DIR;
}

inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) broken("cannot write a scratch file");
}

}  // namespace audiorium::fuzz
