// The BPE tokenizers of model packs (src/tokenize/bpe_tokenizer.h) on any text: RoBERTa's and CLIP's flavour,
// each at the usual context length (77) and a short one (8) so truncation is reached. The first byte picks the
// tokenizer, the rest is the text. The vocabularies are small ones trained by tools/packs/bpe_reference.py
// (fuzz/make_seeds.py writes them to <fuzz data>/tokenize/{roberta,clip}/).
// Promises: invalid UTF-8 throws audiorium::Error, nothing else throws; ids and mask are max_length long, the mask
// is ones then zeros, the end token closes the real tokens, and the ids are the text's own ids (encode_words) cut
// to fit; pretokenize's pieces are never empty.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "fuzz_support.h"
#include "tokenize/bpe_tokenizer.h"

namespace {

using audiorium::tokenize::Tokenizer;

struct Loaded {
  std::string type;
  std::unique_ptr<Tokenizer> tokenizer;
};
std::vector<Loaded> tokenizers;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  for (const std::string flavour : {"roberta", "clip"}) {
    const auto dir = audiorium::fuzz::data_dir() / "tokenize" / flavour;
    for (const std::size_t max_length : {77, 8}) {
      audiorium::tokenize::TokenizerSpec spec;
      spec.type = flavour + "-bpe";
      spec.vocab = dir / "vocab.json";
      spec.merges = dir / "merges.txt";
      spec.max_length = max_length;
      try {
        tokenizers.push_back({spec.type, audiorium::tokenize::load_tokenizer(spec)});
      } catch (const audiorium::Error& e) {
        std::fprintf(stderr, "fuzz_tokenize: %s (run fuzz/make_seeds.py first)\n", e.what());
        std::exit(2);
      }
    }
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Loaded& t = tokenizers[data[0] % tokenizers.size()];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    const auto words = t.tokenizer->encode_words(text);
    const auto encoded = t.tokenizer->encode(text);
    const std::size_t max_length = t.tokenizer->max_length();
    AUDIORIUM_FUZZ_CHECK(encoded.ids.size() == max_length && encoded.attention_mask.size() == max_length);
    std::size_t real = 0;
    while (real < max_length && encoded.attention_mask[real] == 1) ++real;
    for (std::size_t i = real; i < max_length; ++i) AUDIORIUM_FUZZ_CHECK(encoded.attention_mask[i] == 0);
    AUDIORIUM_FUZZ_CHECK(real >= 2);  // start and end tokens at least
    const auto empty = t.tokenizer->encode("");
    AUDIORIUM_FUZZ_CHECK(encoded.ids[0] == empty.ids[0] && encoded.ids[real - 1] == empty.ids[1]);
    const std::size_t kept = real - 2;
    AUDIORIUM_FUZZ_CHECK(kept == std::min(words.size(), max_length - 2));
    for (std::size_t i = 0; i < kept; ++i) AUDIORIUM_FUZZ_CHECK(encoded.ids[i + 1] == words[i]);
    for (const auto& piece : audiorium::tokenize::pretokenize(t.type, text)) AUDIORIUM_FUZZ_CHECK(!piece.empty());
  } catch (const audiorium::Error&) {
    // Not UTF-8: the documented refusal.
  }
  return 0;
}
