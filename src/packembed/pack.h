// Model packs at run time: a pack folder (manifest.json + TorchScript towers + tokenizer files, see
// shared/DESIGN.md "Model packs" and tools/packs/packlib.py) loaded through the libtorch plugin (runtime.h).
//
// What the C++ side does around the towers (the towers themselves hold the model, the audio tower its mel
// front-end):
// - audio: decode mono at the manifest's sample_rate; windows of window_s every hop_s (window_starts() below),
//   in batches; each window's output L2-normalised, the mean of the windows re-normalised ("mean-l2");
// - text: the pack's tokenizer (src/tokenize) → ids + attention mask of max_length → text tower → L2 norm.
//   Text longer than the context is truncated (the end token kept). The empty string is a valid input: it is
//   the start and end tokens alone, so it yields the tower's embedding of "nothing" (documented, not an error);
// - image: decoded by src/image (JPEG, PNG, WebP, HEIC, …), shorter side resized to `size` (INTER_AREA when
//   shrinking, bicubic when enlarging), centre crop S×S, RGB, (x/255 − mean)/std per channel → image tower → L2.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "embed/embedder.h"
#include "packs/manifest.h"
#include "packembed/runtime.h"

namespace audiorium::packembed {

using PackSpec = packs::PackManifest;

// The embedder id a pack's audio vectors are stored under: "<kind>.<name>.<version>" reduced to
// [A-Za-z0-9._-] (it names the index file).
std::string embedder_id_for(const PackSpec& spec);

// Where windows start in an n-sample track (see tools/packs/packlib.py window_starts, the same rule).
std::vector<std::size_t> window_starts(std::size_t n, std::size_t win, std::size_t hop, int max_windows);

class Pack {
 public:
  // Reads the manifest and loads the towers it has (through the plugin: this is where libtorch starts).
  static std::shared_ptr<Pack> open(const std::filesystem::path& dir);
  ~Pack();

  const PackSpec& spec() const { return spec_; }
  int dim() const { return spec_.embedding_dim; }
  std::string embedder_id() const { return embedder_id_for(spec_); }
  bool has_audio() const { return audio_ != nullptr; }
  bool has_text() const { return text_ != nullptr; }
  bool has_image() const { return image_ != nullptr; }
  void set_batch(int batch) { batch_ = batch < 1 ? 1 : batch; }
  int batch() const { return batch_; }

  // Audio at spec().audio->sample_rate. Each clip must be exactly one window long; one normalised row each.
  std::vector<std::vector<float>> embed_clips(const std::vector<std::span<const float>>& clips) const;
  // Per-window normalised embeddings of a whole track (short tracks repeat-padded to one window).
  std::vector<std::vector<float>> window_embeddings(std::span<const float> wave) const;
  // The track's embedding: mean of window_embeddings, re-normalised.
  std::vector<float> embed_audio(std::span<const float> wave) const;

  std::vector<float> embed_text(std::string_view text) const;
  std::vector<std::vector<float>> embed_texts(const std::vector<std::string>& texts) const;
  const tokenize::Tokenizer& tokenizer() const;

  std::vector<float> embed_image_file(const std::filesystem::path& file) const;
  // An encoded image (JPEG, PNG, WebP, HEIC, …) in memory, checked like src/image's decoding; `name` prefixes errors.
  std::vector<float> embed_image_bytes(std::span<const unsigned char> bytes, std::string_view name) const;
  // RGB bytes, row-major, any size: resize + centre crop as above.
  std::vector<float> embed_image_rgb(std::span<const uint8_t> rgb, int width, int height) const;
  // RGB bytes already size × size: normalisation only (what references.json images are).
  std::vector<float> embed_image_exact(std::span<const uint8_t> rgb) const;

 private:
  Pack() = default;
  PackSpec spec_;
  std::unique_ptr<Tower> audio_, text_, image_;
  std::unique_ptr<tokenize::Tokenizer> tokenizer_;
  int batch_ = 8;
};

// What --embedder names: "clap" / "clip" (the first valid pack of that kind in the search path, see
// packs::pack_search_path), "clap:<name>" / "clip:<name>" (that pack, which must be of that kind), or a pack
// folder. Throws Error saying what was looked for and where.
std::filesystem::path find_pack(const std::string& which, const std::vector<std::filesystem::path>& search_path);

// The project's Embedder over a pack's audio tower: raw vectors are already L2-normalised, the finisher is the
// L2 norm only (nothing to fit).
class PackEmbedder final : public embed::Embedder {
 public:
  explicit PackEmbedder(std::shared_ptr<Pack> pack);  // Error if the pack has no audio tower
  std::string id() const override { return pack_->embedder_id(); }
  int raw_dim() const override { return pack_->dim(); }
  int sample_rate() const override { return pack_->spec().audio->sample_rate; }
  std::vector<float> embed(const embed::AnalysedAudio& input) const override;
  std::unique_ptr<embed::Finisher> fit(std::span<const float> raw_rows, std::size_t rows) const override;
  std::unique_ptr<embed::Finisher> load_finisher(const nlohmann::json& state) const override;
  const Pack& pack() const { return *pack_; }

 private:
  std::shared_ptr<Pack> pack_;
};

// Recomputes references.json through this runtime and compares.
struct VerifyItem {
  std::string what;  // "audio sines 220+330 Hz", "text 'a calm piano melody'", …
  double max_abs_diff = 0;
  bool tokens_match = true;  // text only: the C++ tokenizer's ids equal the exporter's
};
struct VerifyReport {
  std::vector<VerifyItem> items;
  double max_abs_diff = 0;
  bool tokens_match = true;
};
VerifyReport verify_references(const Pack& pack);
// The generated inputs of references.json (tools/packs/packlib.py), rebuilt bit for bit.
std::vector<float> reference_sines(const nlohmann::json& spec, int sample_rate, double window_s);
std::vector<uint8_t> reference_image(const nlohmann::json& spec, int size);

}  // namespace audiorium::packembed
