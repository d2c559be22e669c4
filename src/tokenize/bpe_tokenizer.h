// Text → token ids for the text towers of neural model packs: byte-level BPE as GPT-2/RoBERTa use it (CLAP's
// text tower) and OpenAI CLIP's BPE (CLIP's text tower), read from the usual vocab.json + merges.txt files.
//
// The ids must be exactly those the model was trained with, so both flavours follow the reference algorithms
// step by step (tools/packs/bpe_reference.py is the Python side the tests compare against):
//
// - "roberta-bpe" (Hugging Face RobertaTokenizer, add_prefix_space=False): GPT-2's pre-tokenisation regex
//   `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, each piece's UTF-8 bytes mapped
//   through GPT-2's bytes-to-unicode table, merges applied by rank, `<s>` … `</s>`, padded with `<pad>`.
//   A symbol missing from the vocabulary becomes `<unk>`. Differences from HF: literal special-token strings in
//   the text ("<s>", "<mask>") are encoded as ordinary text (HF would recognise them as special tokens).
// - "clip-bpe" (open_clip's simple_tokenizer): HTML unescaping (twice), whitespace runs → one space, strip,
//   lower-case, CLIP's regex `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|
//   [^\s\p{L}\p{N}]+` (whitespace between matches is dropped), `</w>` marks the end of each word in the merges,
//   `<|startoftext|>` … `<|endoftext|>`, padded with 0 as open_clip does (HF's CLIPTokenizer pads with the end
//   token: set TokenizerSpec::pad_id for that). Differences from open_clip: ftfy.fix_text is not run (ftfy is not
//   packaged in Debian; it only changes mojibake such as "cafÃ©"), and only the common HTML entities are decoded
//   (numeric references, &amp; &lt; &gt; &quot; &apos; &nbsp;) — other named entities stay as written.
//
// Unicode categories (\p{L}, \p{N}) and white space (\s = the White_Space property, as Python's `regex` module and
// HF's Rust tokenizers read it) come from ICU; lower-casing is ICU's full case mapping (like Python's str.lower,
// final sigma included).
//
// Input must be valid UTF-8: anything else throws audiorium::Error naming the byte offset (the text reached us
// from a prompt or a file, and guessing an encoding would silently change the tokens).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace audiorium::tokenize {

// Both vectors are max_length long: ids padded with the pad id, mask 1 for real tokens (specials included) and
// 0 for padding.
struct TokenizedText {
  std::vector<int64_t> ids;
  std::vector<int64_t> attention_mask;
};

struct TokenizerSpec {
  std::string type;  // "roberta-bpe" | "clip-bpe"
  std::filesystem::path vocab, merges;
  std::size_t max_length = 77;  // context length, special tokens included (≥ 2)
  // Padding id. When unset: roberta-bpe pads with the vocabulary's "<pad>", clip-bpe with 0 (open_clip).
  std::optional<int64_t> pad_id;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Truncates to max_length, always keeping the end token (`</s>` / `<|endoftext|>`) last.
  virtual TokenizedText encode(std::string_view utf8_text) const = 0;
  virtual std::size_t max_length() const = 0;
  // The ids of the text alone: no start/end tokens, no truncation, no padding.
  virtual std::vector<int64_t> encode_words(std::string_view utf8_text) const = 0;
};

// Reads and checks the vocabulary and merges (throws audiorium::Error naming the file and what is wrong).
std::unique_ptr<Tokenizer> load_tokenizer(const TokenizerSpec& spec);

// The pieces a flavour's pre-tokenisation regex cuts the text into (after clip-bpe's cleaning and lower-casing),
// before BPE. Exposed so the splitting can be tested on its own.
std::vector<std::string> pretokenize(std::string_view type, std::string_view utf8_text);

}  // namespace audiorium::tokenize
