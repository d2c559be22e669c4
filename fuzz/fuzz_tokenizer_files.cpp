// A model pack's tokenizer files (src/tokenize/bpe_tokenizer.h load_tokenizer): vocab.json and merges.txt come
// from a pack folder, so they are input too. The first byte picks the flavour (RoBERTa or CLIP) and the context
// length; the rest is vocab.json, then a line "----" and merges.txt. A tokenizer that loads then encodes a fixed
// text. Promises: a bad file throws audiorium::Error naming what is wrong, nothing else throws; a loaded
// tokenizer's output is max_length long.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "fuzz_support.h"
#include "tokenize/bpe_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace audiorium;
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr std::string_view kSeparator = "\n----\n";
  const auto cut = rest.find(kSeparator);
  const auto& dir = fuzz::scratch_dir();
  fuzz::write_file(dir / "vocab.json", rest.substr(0, cut));
  fuzz::write_file(dir / "merges.txt", cut == std::string_view::npos ? "" : rest.substr(cut + kSeparator.size()));
  tokenize::TokenizerSpec spec;
  spec.type = data[0] & 1 ? "clip-bpe" : "roberta-bpe";
  spec.vocab = dir / "vocab.json";
  spec.merges = dir / "merges.txt";
  spec.max_length = data[0] & 2 ? 77 : 6;
  try {
    const auto tokenizer = tokenize::load_tokenizer(spec);
    for (const std::string_view text : {"Hello, world! it's a test", "caf\xc3\xa9 \xe2\x99\xab 123", ""}) {
      const auto t = tokenizer->encode(text);
      AUDIORIUM_FUZZ_CHECK(t.ids.size() == spec.max_length && t.attention_mask.size() == spec.max_length);
      (void)tokenizer->encode_words(text);
    }
  } catch (const Error& e) {
    AUDIORIUM_FUZZ_CHECK(std::string_view(e.what()).size() > 0);
  }
  return 0;
}
