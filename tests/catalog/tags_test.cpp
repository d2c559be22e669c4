#include "catalog/tags.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <fstream>

namespace audiorium::catalog {
namespace {

namespace fs = std::filesystem;
using namespace audiorium::testing;

// A second of tone in `ext`, tagged through ffmpeg's -metadata options.
fs::path tagged_file(const TempDir& dir, const std::string& ext, const std::string& metadata) {
  const fs::path wav = dir / "tone.wav";
  if (!fs::exists(wav)) write_wav(wav, sine(440, 1.0, 44100), 44100);
  const fs::path out = dir / ("tagged." + ext);
  fs::remove(out);
  if (!convert_with_ffmpeg(wav, out, metadata)) return {};
  return out;
}

bool valid_utf8(const std::string& s) { return sanitize_utf8(s) == s; }

class TagFormats : public ::testing::TestWithParam<std::string> {};

TEST_P(TagFormats, ReadsCommonTags) {
  TempDir dir;
  const auto file = tagged_file(dir, GetParam(),
                                "-metadata title=Foo -metadata artist=Bar -metadata album=Baz -metadata genre=Jazz "
                                "-metadata date=1999 -metadata publisher=Label -metadata track=3/12 "
                                "-metadata album_artist=Various -metadata comment=Hello");
  ASSERT_FALSE(file.empty()) << "ffmpeg could not write " << GetParam();
  const Tags t = read_tags(file);
  EXPECT_EQ(t.title, "Foo");
  EXPECT_EQ(t.artist, "Bar");
  EXPECT_EQ(t.album, "Baz");
  EXPECT_EQ(t.genre, "Jazz");
  EXPECT_EQ(t.year, 1999);
  if (GetParam() != "m4a") {  // ffmpeg's MP4 muxer does not write a publisher
    EXPECT_EQ(t.label, "Label");
  }
  EXPECT_EQ(t.track_number, 3);
  EXPECT_EQ(t.album_artist, "Various");
  EXPECT_EQ(t.comment, "Hello");
}

TEST_P(TagFormats, MissingTagsAreEmpty) {
  TempDir dir;
  const auto file = tagged_file(dir, GetParam(), "-map_metadata -1 -metadata title=Only");
  ASSERT_FALSE(file.empty());
  const Tags t = read_tags(file);
  EXPECT_EQ(t.title, "Only");
  EXPECT_EQ(t.artist, "");
  EXPECT_EQ(t.label, "");
  EXPECT_EQ(t.year, 0);
  EXPECT_EQ(t.track_number, 0);
}

TEST_P(TagFormats, LongTitleIsClamped) {
  TempDir dir;
  // Multi-byte characters, so the cut must also respect character boundaries.
  std::string title;
  for (int i = 0; i < 5000; ++i) title += "a\xC3\xA9";  // "aé", 3 bytes each: 15000 bytes, 10000 characters
  const auto file = tagged_file(dir, GetParam(), "-metadata 'title=" + title + "'");
  ASSERT_FALSE(file.empty());
  const Tags t = read_tags(file);
  EXPECT_LE(t.title.size(), kMaxTagBytes);
  EXPECT_GE(t.title.size(), kMaxTagBytes - 3);
  EXPECT_TRUE(valid_utf8(t.title));
  EXPECT_EQ(t.title.substr(0, 6), "a\xC3\xA9" "a\xC3\xA9");
}

TEST_P(TagFormats, InvalidUtf8IsSanitised) {
  TempDir dir;
  // Raw bytes that are not UTF-8 (a Latin-1 é, a stray continuation byte, an overlong slash).
  const auto file = tagged_file(dir, GetParam(), "-metadata 'title=Caf\xE9 \x80 \xC0\xAF end' -metadata artist=Ok");
  ASSERT_FALSE(file.empty());
  const Tags t = read_tags(file);
  EXPECT_TRUE(valid_utf8(t.title)) << t.title;
  EXPECT_TRUE(valid_utf8(t.artist));
  EXPECT_EQ(t.artist, "Ok");
}

INSTANTIATE_TEST_SUITE_P(Catalog, TagFormats, ::testing::Values("mp3", "flac", "ogg", "opus", "m4a"),
                         [](const auto& p) { return p.param; });

TEST(Tags, NonAudioGivesEmptyTags) {
  TempDir dir;
  const fs::path text = dir / "notes.txt";
  std::ofstream(text) << "just some text\n";
  EXPECT_TRUE(read_tags(text).empty());
  // Text dressed as audio, an empty file, a directory and a missing file: still no throw, no tags.
  const fs::path fake = dir / "fake.mp3";
  std::ofstream(fake) << std::string(10000, 'z');
  EXPECT_TRUE(read_tags(fake).title.empty());
  std::ofstream(dir / "empty.flac");
  EXPECT_TRUE(read_tags(dir / "empty.flac").empty());
  EXPECT_TRUE(read_tags(dir.path()).empty());
  EXPECT_TRUE(read_tags(dir / "missing.ogg").empty());
  EXPECT_FALSE(read_cover(text));
  EXPECT_FALSE(has_embedded_cover(dir / "missing.ogg"));
}

TEST(Tags, TruncatedFileDoesNotCrash) {
  TempDir dir;
  const auto file = tagged_file(dir, "flac", "-metadata title=Foo");
  ASSERT_FALSE(file.empty());
  fs::resize_file(file, 200);
  (void)read_tags(file);  // whatever it finds, it must return
}

TEST(Tags, EmbeddedCover) {
  TempDir dir;
  // A tiny PNG as the cover, attached by ffmpeg as an ID3v2 APIC frame and as a FLAC picture block.
  const fs::path png = dir / "cover.png";
  ASSERT_EQ(std::system(("ffmpeg -nostdin -loglevel error -y -f lavfi -i color=c=red:s=8x8 -frames:v 1 '" +
                         png.string() + "'").c_str()),
            0);
  const fs::path wav = dir / "tone.wav";
  write_wav(wav, sine(440, 1.0, 44100), 44100);
  for (const std::string ext : {"mp3", "flac"}) {
    const fs::path out = dir / ("covered." + ext);
    const std::string cmd = "ffmpeg -nostdin -loglevel error -y -i '" + wav.string() + "' -i '" + png.string() +
                            "' -map 0:a -map 1:v -c:v copy -disposition:v attached_pic -metadata:s:v "
                            "comment='Cover (front)' '" + out.string() + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << ext;
    const auto cover = read_cover(out);
    ASSERT_TRUE(cover) << ext;
    EXPECT_EQ(cover->mime_type, "image/png") << ext;
    EXPECT_EQ(cover->data.size(), fs::file_size(png)) << ext;
    EXPECT_TRUE(has_embedded_cover(out));
  }
  EXPECT_FALSE(read_cover(tagged_file(dir, "mp3", "-metadata title=NoCover")));
}

TEST(Text, SanitizeUtf8) {
  EXPECT_EQ(sanitize_utf8("plain"), "plain");
  EXPECT_EQ(sanitize_utf8("caf\xC3\xA9 \xF0\x9F\x8E\xB5"), "caf\xC3\xA9 \xF0\x9F\x8E\xB5");  // é and a note emoji
  EXPECT_EQ(sanitize_utf8("caf\xE9"), "caf\xEF\xBF\xBD");
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  EXPECT_EQ(sanitize_utf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated
  EXPECT_EQ(sanitize_utf8(std::string("a\0b", 3)), "ab");
}

TEST(Text, ClampAndFold) {
  EXPECT_EQ(clamp_utf8("abc", 10), "abc");
  EXPECT_EQ(clamp_utf8("ab\xC3\xA9", 3), "ab");  // does not split é
  EXPECT_EQ(clamp_utf8("ab\xC3\xA9", 4), "ab\xC3\xA9");
  EXPECT_EQ(fold_case("Hello WORLD"), "hello world");
  EXPECT_EQ(fold_case("\xC3\x89T\xC3\x89"), "\xC3\xA9t\xC3\xA9");  // ÉTÉ -> été
  EXPECT_EQ(fold_case("\xD0\x9C\xD0\xB8\xD1\x80"), "\xD0\xBC\xD0\xB8\xD1\x80");  // Мир -> мир
}

}  // namespace
}  // namespace audiorium::catalog
