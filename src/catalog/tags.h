// Tag reading through TagLib. Every string that leaves here is valid UTF-8 and at most kMaxTagBytes long, so
// later stages (JSON output, SQLite, the web page) can pass tags on without checking them again.
#pragma once

#include "catalog/text.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace audiorium::catalog {

struct Tags {
  std::string title, artist, album, album_artist, genre, label, comment;
  int year = 0;
  int track_number = 0;

  bool empty() const;  // no string set and no numbers
  bool operator==(const Tags&) const = default;
};

// A tag longer than this is cut (on a UTF-8 character boundary); nobody needs a 1 MB title.
inline constexpr std::size_t kMaxTagBytes = 1024;

// Reads title, artist, album, album artist, genre, label (LABEL, else ORGANIZATION, else PUBLISHER), comment,
// year and track number. A missing tag is an empty string or 0. A file TagLib cannot read (not audio,
// unreadable, truncated) gives empty Tags: never throws. A tag stored as UTF-8 that is not valid UTF-8 reads
// as empty (TagLib 1.13 drops it whole); other text is sanitised, so every string returned is valid UTF-8.
Tags read_tags(const std::filesystem::path& file) noexcept;

// An embedded cover picture (ID3v2 APIC, FLAC picture block, Xiph METADATA_BLOCK_PICTURE, MP4 covr), the
// front cover when there are several. nullopt when there is none or the file cannot be read; never throws.
struct Cover {
  std::string mime_type;  // may be empty when the file does not say
  std::vector<unsigned char> data;
};
std::optional<Cover> read_cover(const std::filesystem::path& file) noexcept;
bool has_embedded_cover(const std::filesystem::path& file) noexcept;

}  // namespace audiorium::catalog
