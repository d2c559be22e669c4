#include "packembed/serving.h"

#include <algorithm>

#include "core/error.h"
#include "packs/manifest.h"

namespace audiorium::packembed {

namespace fs = std::filesystem;

namespace {

int64_t vectors_of(const catalog::LibraryStats& stats, const std::string& embedder) {
  for (const auto& [name, n] : stats.vectors_per_embedder)
    if (name == embedder) return n;
  return 0;
}

bool has_towers(const packs::PackInfo& info, std::initializer_list<const char*> towers) {
  return std::all_of(towers.begin(), towers.end(), [&](const char* t) {
    return std::find(info.towers.begin(), info.towers.end(), t) != info.towers.end();
  });
}

std::string quoted(const PackSpec& spec) { return "'" + spec.name + "'"; }

}  // namespace

std::vector<float> ServingPacks::text_query(std::string_view prompt) const {
  if (!clap || !clap->has_text()) throw Error("no CLAP text tower to embed the prompt with");
  return clap->embed_text(prompt);
}

BridgeResult ServingPacks::image_query(std::span<const unsigned char> bytes, std::string_view name) const {
  if (!clap || !clip) throw Error("photo search through CLIP needs a CLIP pack and a CLAP pack");
  return bridge_image_embedding(clip->embed_image_bytes(bytes, name), *clip, *clap);
}

ServingPacks choose_serving_packs(const std::string& requested, const fs::path& data_dir, catalog::Catalog& catalog,
                                  bool indexes_music, int threads) {
  ServingPacks out;
  out.requested = requested;
  if (requested == "dsp-v1") {
    out.notes.push_back("model packs not used (--embedder dsp-v1)");
    return out;
  }
  const bool automatic = requested == "auto";
  const auto search_path = packs::pack_search_path(data_dir);
  fs::path clap_dir;
  if (automatic) {
    try {
      clap_dir = find_pack("clap", search_path);
    } catch (const Error& e) {
      out.notes.push_back(e.what());  // no CLAP pack, and where it looked
      return out;
    }
  } else {
    clap_dir = find_pack(requested, search_path);
  }

  // Coverage first, from the manifest alone: a pack not worth using must not cost libtorch's start-up.
  const auto spec = packs::read_pack(clap_dir, /*verify_checksums=*/false);
  if (spec.kind != "clap") throw Error("--embedder for the server names a CLAP pack; " + quoted(spec) + " is " + spec.kind);
  const auto stats = catalog.stats();
  const int64_t have = vectors_of(stats, embedder_id_for(spec));
  const int64_t dsp = vectors_of(stats, "dsp-v1");
  const std::string how_to = "run `audiorium index DIR --embedder clap:" + spec.name + "`, or serve with --music";
  if (automatic && !indexes_music && (have == 0 || 2 * have < dsp)) {
    out.notes.push_back("CLAP pack " + quoted(spec) + " has vectors for " + std::to_string(have) + " of the " +
                        std::to_string(dsp) + " analysed tracks, so the server searches with dsp-v1: " + how_to);
    return out;
  }
  if (have > 0) {
    if (const int stored = catalog.vector_dim(embedder_id_for(spec)); stored != spec.embedding_dim) {
      const std::string why = "CLAP pack " + quoted(spec) + " makes " + std::to_string(spec.embedding_dim) +
                              "-dimensional embeddings but the catalog's " + embedder_id_for(spec) + " vectors have " +
                              std::to_string(stored) + ": re-index with this pack under another name or version";
      if (!automatic) throw Error(why);
      out.notes.push_back(why + "; the server searches with dsp-v1");
      return out;
    }
  }
  try {
    set_threads(threads);
    out.clap = Pack::open(clap_dir);
    if (!out.clap->has_audio()) throw Error("it has no audio tower");
  } catch (const std::exception& e) {
    out.clap.reset();
    if (!automatic) throw;
    out.notes.push_back("cannot use CLAP pack " + quoted(spec) + " (" + e.what() + "), so the server searches with dsp-v1");
    return out;
  }
  out.notes.push_back("searching with CLAP pack " + quoted(spec) + " (" + out.clap->embedder_id() + "): " +
                      std::to_string(have) + " of " + std::to_string(stats.tracks) + " tracks have its vectors" +
                      (have < stats.tracks ? (indexes_music ? "; the background scan embeds the rest" : "; " + how_to)
                                           : std::string()));
  if (!out.clap->has_text()) {
    out.notes.push_back("CLAP pack " + quoted(spec) + " has no text tower: prompts use the vocabulary and tags only");
    return out;  // the photo bridge ends in CLAP's text space
  }

  std::string clip_problem;
  for (const auto& dir : search_path) {
    for (const auto& info : packs::list_packs(dir, /*verify_checksums=*/false)) {
      if (!info.valid() || info.kind != "clip" || !has_towers(info, {"image", "text"})) continue;
      try {
        out.clip = Pack::open(info.dir);
      } catch (const std::exception& e) {
        clip_problem = "CLIP pack '" + info.name + "' cannot be loaded (" + e.what() + ")";
        continue;
      }
      break;
    }
    if (out.clip) break;
  }
  if (out.clip)
    out.notes.push_back("photos go through CLIP pack " + quoted(out.clip->spec()) + " into CLAP's text space");
  else
    out.notes.push_back((clip_problem.empty() ? std::string("no CLIP pack with image and text towers") : clip_problem) +
                        ": photos are matched by their colour and texture mood");
  return out;
}

}  // namespace audiorium::packembed
