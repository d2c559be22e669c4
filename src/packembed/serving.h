// The model packs a long-running process (`audiorium serve`) searches with: "the best embedder present", chosen
// once at start and reported by the server (/api/status, the page, Subsonic's similarity answers).
//
// requested = "auto" (the default):
//   - a CLAP pack (the first valid one in packs::pack_search_path) is used when its vectors cover at least half
//     of the tracks analysed with dsp-v1, or when the server indexes a music folder itself (its background scan
//     embeds what is missing); otherwise dsp-v1, with the reason in `notes` (no pack, no vectors yet, …);
//   - a pack that cannot be loaded (a build without libtorch, no plugin, a corrupt tower) falls back to dsp-v1
//     with the error in `notes`: auto never stops the server. Without any pack libtorch is never loaded.
// requested = "dsp-v1": no pack, libtorch not loaded.
// requested = "clap", "clap:<name>" or a pack folder: that pack, or an Error saying why not.
//
// With a CLAP pack chosen, photos go through the first CLIP pack with image and text towers (bridge.h: zero-shot
// over mood prompts into CLAP's text space); without one, photos use their colour and texture mood alone.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "packembed/bridge.h"
#include "packembed/pack.h"

namespace audiorium::packembed {

struct ServingPacks {
  std::string requested = "auto";
  std::shared_ptr<Pack> clap;  // null: the server searches with dsp-v1
  std::shared_ptr<Pack> clip;  // null: photos by mood alone
  std::vector<std::string> notes;  // why this choice, in sentences a user can act on

  bool uses_pack() const { return clap != nullptr; }
  // The CLAP text tower's embedding of a prompt (L2-normalised); the pack must have a text tower.
  std::vector<float> text_query(std::string_view prompt) const;
  // A photo through CLIP → mood prompts → CLAP text space; needs `clip`.
  BridgeResult image_query(std::span<const unsigned char> bytes, std::string_view name) const;
};

// `threads`: libtorch's intra-op threads when a pack is loaded (0 = cores). `indexes_music`: the server scans a
// music folder itself (serve --music), so a pack without vectors yet is still worth choosing.
ServingPacks choose_serving_packs(const std::string& requested, const std::filesystem::path& data_dir,
                                  catalog::Catalog& catalog, bool indexes_music, int threads);

}  // namespace audiorium::packembed
