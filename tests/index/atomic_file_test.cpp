#include "index/atomic_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "support/test_support.h"

namespace audiorium::index {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t entries(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(AtomicFile, ReplacesAndLeavesNoTemporary) {
  audiorium::testing::TempDir tmp;
  write_text_atomically(tmp / "m.json", "one");
  write_text_atomically(tmp / "m.json", "two");
  EXPECT_EQ(read_all(tmp / "m.json"), "two");
  EXPECT_EQ(entries(tmp.path()), 1u);
}

// A writer that dies half-way (a crash, a full disk) must leave the old file intact and no debris.
TEST(AtomicFile, InterruptedWriteKeepsOldFile) {
  audiorium::testing::TempDir tmp;
  write_text_atomically(tmp / "m.json", "old");
  EXPECT_THROW(write_file_atomically(tmp / "m.json",
                                     [](std::FILE* f) {
                                       std::fputs("half of the n", f);
                                       throw std::runtime_error("disk full");
                                     }),
               Error);
  EXPECT_EQ(read_all(tmp / "m.json"), "old");
  EXPECT_EQ(entries(tmp.path()), 1u);
}

}  // namespace
}  // namespace audiorium::index
