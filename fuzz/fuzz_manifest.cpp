// A model pack's manifest.json (src/packs/manifest.h) on any bytes: read_pack with checksums, and list_packs over
// the folder holding it. The pack folder also holds small model and tokenizer files under the usual names
// (audio.pt, text.pt, image.pt, vocab.json, merges.txt, references.json; each file's content is its own name and
// a newline, so fuzz/make_seeds.py can write seeds with the right SHA-256s).
// Promises: a bad manifest throws audiorium::Error and lists as invalid, nothing else throws; an accepted pack
// has at least one tower, a sane embedding_dim, and names only files inside its folder.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "fuzz_support.h"
#include "packs/manifest.h"

namespace fs = std::filesystem;

namespace {

fs::path packs_dir, pack_dir;

bool inside_pack(const fs::path& p) {
  const auto rel = p.lexically_normal().lexically_relative(pack_dir.lexically_normal());
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  packs_dir = audiorium::fuzz::scratch_dir() / "packs";
  pack_dir = packs_dir / "pack";
  fs::create_directories(pack_dir);
  for (const char* name : {"audio.pt", "text.pt", "image.pt", "vocab.json", "merges.txt", "references.json"})
    audiorium::fuzz::write_file(pack_dir / name, std::string(name) + "\n");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace audiorium::packs;
  audiorium::fuzz::write_file(pack_dir / "manifest.json", std::string(reinterpret_cast<const char*>(data), size));
  bool valid = false;
  try {
    const PackManifest m = read_pack(pack_dir, true);
    valid = true;
    AUDIORIUM_FUZZ_CHECK(!m.towers().empty());
    AUDIORIUM_FUZZ_CHECK(m.embedding_dim >= 1 && m.embedding_dim <= 65536);
    AUDIORIUM_FUZZ_CHECK(m.kind == "clap" || m.kind == "clip");
    if (m.audio) AUDIORIUM_FUZZ_CHECK(inside_pack(m.audio->tower) && m.audio->hop_s <= m.audio->window_s);
    if (m.image) AUDIORIUM_FUZZ_CHECK(inside_pack(m.image->tower) && m.image->size > 0);
    if (m.text) {
      AUDIORIUM_FUZZ_CHECK(inside_pack(m.text->tower));
      AUDIORIUM_FUZZ_CHECK(inside_pack(m.text->tokenizer.vocab) && inside_pack(m.text->tokenizer.merges));
      AUDIORIUM_FUZZ_CHECK(m.text->tokenizer.max_length >= 2);
    }
    if (m.references) AUDIORIUM_FUZZ_CHECK(inside_pack(*m.references));
  } catch (const audiorium::Error&) {
  }
  const auto listed = list_packs(packs_dir, true);
  AUDIORIUM_FUZZ_CHECK(listed.size() == 1 && listed[0].valid() == valid);
  return 0;
}
