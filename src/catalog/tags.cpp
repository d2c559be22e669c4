#include "catalog/tags.h"

#include <taglib/attachedpictureframe.h>
#include <taglib/fileref.h>
#include <taglib/flacfile.h>
#include <taglib/flacpicture.h>
#include <taglib/id3v2tag.h>
#include <taglib/mp4file.h>
#include <taglib/mp4tag.h>
#include <taglib/mpegfile.h>
#include <taglib/opusfile.h>
#include <taglib/tpropertymap.h>
#include <taglib/vorbisfile.h>
#include <taglib/wavfile.h>
#include <taglib/aifffile.h>
#include <taglib/xiphcomment.h>

#include <cctype>
#include <charconv>

namespace audiorium::catalog {

namespace {

std::string clean(const TagLib::String& s) {
  if (s.isEmpty()) return {};
  // to8Bit(true) gives UTF-8, but an unpaired UTF-16 surrogate in a tag still comes out as bytes no strict
  // decoder accepts, so sanitise once more.
  return clamp_utf8(sanitize_utf8(s.to8Bit(true)), kMaxTagBytes);
}

std::string first_of(const TagLib::PropertyMap& props, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    const auto it = props.find(key);
    if (it == props.end()) continue;
    for (const auto& value : it->second)
      if (!value.isEmpty()) return clean(value);
  }
  return {};
}

// Leading integer of strings like "1999-04-01" or "3/12"; 0 when there is none.
int leading_int(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  int value = 0;
  const auto [ptr, ec] = std::from_chars(s.data() + i, s.data() + s.size(), value);
  (void)ptr;
  return ec == std::errc() && value > 0 ? value : 0;
}

std::vector<unsigned char> to_bytes(const TagLib::ByteVector& v) {
  return {reinterpret_cast<const unsigned char*>(v.data()), reinterpret_cast<const unsigned char*>(v.data()) + v.size()};
}

// Front cover first, then any other picture.
std::optional<Cover> from_id3v2(TagLib::ID3v2::Tag* tag) {
  if (!tag) return std::nullopt;
  std::optional<Cover> any;
  for (auto* frame : tag->frameListMap()["APIC"]) {
    auto* pic = dynamic_cast<TagLib::ID3v2::AttachedPictureFrame*>(frame);
    if (!pic || pic->picture().isEmpty()) continue;
    Cover c{pic->mimeType().to8Bit(true), to_bytes(pic->picture())};
    if (pic->type() == TagLib::ID3v2::AttachedPictureFrame::FrontCover) return c;
    if (!any) any = std::move(c);
  }
  return any;
}

std::optional<Cover> from_flac_pictures(const TagLib::List<TagLib::FLAC::Picture*>& pictures) {
  std::optional<Cover> any;
  for (auto* pic : pictures) {
    if (!pic || pic->data().isEmpty()) continue;
    Cover c{pic->mimeType().to8Bit(true), to_bytes(pic->data())};
    if (pic->type() == TagLib::FLAC::Picture::FrontCover) return c;
    if (!any) any = std::move(c);
  }
  return any;
}

std::optional<Cover> from_mp4(TagLib::MP4::Tag* tag) {
  if (!tag || !tag->contains("covr")) return std::nullopt;
  for (const auto& art : tag->item("covr").toCoverArtList()) {
    if (art.data().isEmpty()) continue;
    std::string mime;
    switch (art.format()) {
      case TagLib::MP4::CoverArt::JPEG: mime = "image/jpeg"; break;
      case TagLib::MP4::CoverArt::PNG: mime = "image/png"; break;
      case TagLib::MP4::CoverArt::GIF: mime = "image/gif"; break;
      case TagLib::MP4::CoverArt::BMP: mime = "image/bmp"; break;
      default: break;
    }
    return Cover{mime, to_bytes(art.data())};
  }
  return std::nullopt;
}

}  // namespace

bool Tags::empty() const {
  return title.empty() && artist.empty() && album.empty() && album_artist.empty() && genre.empty() &&
         label.empty() && comment.empty() && year == 0 && track_number == 0;
}

Tags read_tags(const std::filesystem::path& file) noexcept {
  Tags t;
  try {
    // No audio properties: tags are all we want here, and reading them costs a scan on some formats.
    TagLib::FileRef ref(file.c_str(), false);
    if (ref.isNull() || !ref.file() || !ref.file()->isValid()) return {};
    const TagLib::PropertyMap props = ref.file()->properties();
    t.title = first_of(props, {"TITLE"});
    t.artist = first_of(props, {"ARTIST"});
    t.album = first_of(props, {"ALBUM"});
    t.album_artist = first_of(props, {"ALBUMARTIST", "ALBUM ARTIST"});
    t.genre = first_of(props, {"GENRE"});
    t.label = first_of(props, {"LABEL", "ORGANIZATION", "PUBLISHER"});
    t.comment = first_of(props, {"COMMENT", "DESCRIPTION"});
    t.year = leading_int(first_of(props, {"DATE", "ORIGINALDATE", "YEAR"}));
    t.track_number = leading_int(first_of(props, {"TRACKNUMBER"}));
    // The generic Tag interface knows a few fields the property map leaves out on some formats (ID3v1).
    if (const TagLib::Tag* tag = ref.tag()) {
      if (t.title.empty()) t.title = clean(tag->title());
      if (t.artist.empty()) t.artist = clean(tag->artist());
      if (t.album.empty()) t.album = clean(tag->album());
      if (t.genre.empty()) t.genre = clean(tag->genre());
      if (t.comment.empty()) t.comment = clean(tag->comment());
      if (t.year == 0) t.year = static_cast<int>(tag->year());
      if (t.track_number == 0) t.track_number = static_cast<int>(tag->track());
    }
    if (t.year < 0 || t.year > 9999) t.year = 0;
    if (t.track_number < 0 || t.track_number > 99999) t.track_number = 0;
    return t;
  } catch (...) {
    // A damaged file is not a reason to stop a scan; the decoder will report it if it is not audio either.
    return {};
  }
}

std::optional<Cover> read_cover(const std::filesystem::path& file) noexcept {
  try {
    TagLib::FileRef ref(file.c_str(), false);
    if (ref.isNull() || !ref.file()->isValid()) return std::nullopt;
    TagLib::File* f = ref.file();
    if (auto* mp3 = dynamic_cast<TagLib::MPEG::File*>(f)) return from_id3v2(mp3->ID3v2Tag());
    if (auto* flac = dynamic_cast<TagLib::FLAC::File*>(f)) {
      if (auto c = from_flac_pictures(flac->pictureList())) return c;
      return from_id3v2(flac->ID3v2Tag());
    }
    if (auto* vorbis = dynamic_cast<TagLib::Ogg::Vorbis::File*>(f))
      return vorbis->tag() ? from_flac_pictures(vorbis->tag()->pictureList()) : std::nullopt;
    if (auto* opus = dynamic_cast<TagLib::Ogg::Opus::File*>(f))
      return opus->tag() ? from_flac_pictures(opus->tag()->pictureList()) : std::nullopt;
    if (auto* mp4 = dynamic_cast<TagLib::MP4::File*>(f)) return from_mp4(mp4->tag());
    if (auto* wav = dynamic_cast<TagLib::RIFF::WAV::File*>(f)) return from_id3v2(wav->ID3v2Tag());
    if (auto* aiff = dynamic_cast<TagLib::RIFF::AIFF::File*>(f)) return from_id3v2(aiff->tag());
    return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
}

bool has_embedded_cover(const std::filesystem::path& file) noexcept { return read_cover(file).has_value(); }

}  // namespace audiorium::catalog
