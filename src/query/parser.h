// Query understanding: a prompt such as "not sad, very fast, no drums" or "like 'Battle Theme' but calmer"
// becomes descriptor targets, free words for BM25 over tags, an optional track reference, and a report of
// what was understood and what was not.
//
// The words are data: data/vocabulary.json (embedded in the binary at build time; Vocabulary::load() reads
// another file). Grammar, in order of precedence at each position of a clause:
//   - tempo numbers: "128 bpm", "128bpm", "120-130 bpm", "120 to 130 bpm", "around 90 bpm", "tempo 100"
//     -> absolute tempo_bpm target, value = number or range centre, width = max(min width, half the range)
//     (a wider minimum after "around"/"about"/"~"). A number with neither unit nor "tempo" is a free word.
//   - phrases, longest first ("hip hop", "a little bit", "laid back"; "up-tempo" == "up tempo"):
//     terms (-> targets and tag words), negations ("no", "not", "without", ...: apply to the next term or
//     free word only), intensifiers ("very" 1.5 ... "slightly" 0.5: multiply the next term's weight and
//     push its value away from neutral), clause words ("and", "but": end the scope of a pending negation
//     or intensifier, as do , ; . ! ?), stopwords (dropped), reference words ("like", "similar to").
//   - anything else is a free word: looked up in tags by BM25 and reported in `unknown`.
// A track reference comes from the first 'single' or "double" (or curly) quoted span of two or more
// characters; without quotes, from "like <words>" up to a clause end ("but", ",", ";", a comparative such
// as "calmer") when at least one of those words is not in the vocabulary ("like calm piano" stays a
// description, "like battle theme but calmer" is a reference).
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "query/bm25.h"
#include "query/targets.h"

namespace audiorium::query {

namespace detail {
struct VocabularyData;
}

// One entry of the vocabulary: phrases that mean the same thing.
struct VocabularyTerm {
  std::vector<std::string> phrases;        // normalised (lower-case, accents folded, '-' -> ' ')
  std::vector<DescriptorTarget> targets;   // reason = the term's reason, weight from the file (default 1)
  std::vector<std::string> tags;           // normalised tag tokens searched with BM25
  std::string reason;
  bool comparative = false;                // "calmer", "faster": also a shift of a referenced track
};

class Vocabulary {
 public:
  static constexpr int kSupportedVersion = 1;

  // The vocabulary compiled into the binary (data/vocabulary.json at build time); parsed once.
  static const Vocabulary& builtin();
  // The embedded JSON text, byte for byte.
  static std::string_view builtin_text();
  // Throw audiorium::Error with a message naming the file (load) and the offending entry.
  static Vocabulary load(const std::filesystem::path& path);
  static Vocabulary parse(const std::string& json_text);

  int version() const;
  std::size_t term_count() const;
  const std::vector<VocabularyTerm>& terms() const;
  // Lookups take any spelling; it is normalised like a query ("Up-Tempo" finds "up tempo").
  const VocabularyTerm* find_term(std::string_view phrase) const;
  bool is_stopword(std::string_view word) const;
  bool is_negation(std::string_view word) const;
  std::optional<double> intensifier(std::string_view phrase) const;

  const detail::VocabularyData& data() const { return *data_; }

 private:
  explicit Vocabulary(std::shared_ptr<const detail::VocabularyData> data) : data_(std::move(data)) {}
  std::shared_ptr<const detail::VocabularyData> data_;  // immutable, shared by copies
};

// A comparative applied to a track reference: move the anchor by `delta` in percentile units of the
// descriptor ("calmer": energy_db -0.2). Only percentile targets of non-negated comparatives produce one.
struct Modifier {
  std::string descriptor;
  double delta = 0;
  double weight = 1;
  std::string reason;
};

struct ParsedQuery {
  static constexpr std::size_t kMaxInputBytes = 2000;

  std::string text;                             // the query as parsed: valid UTF-8, controls removed, capped
  std::vector<DescriptorTarget> targets;        // one per term target, in query order; repeated or
                                                // conflicting terms stay separate (fusion averages them)
  std::vector<std::string> words;               // free words + tag synonyms of terms, for BM25 (deduplicated)
  std::vector<std::string> negated_words;       // free words and tags under negation ("no vocals" -> vocals)
  std::optional<std::string> track_reference;   // as typed (case kept)
  std::vector<Modifier> modifiers;              // comparatives, for shifting a referenced track
  std::vector<std::string> understood;          // recognised phrases in order: "very slow", "128 bpm"
  std::vector<std::string> unknown;             // free words not in the vocabulary (deduplicated)
  bool truncated = false;                       // the cleaned input was longer than kMaxInputBytes, so cut
  std::vector<std::string> notes;               // human-readable remarks: truncation, dangling "very", ...
};

// Never throws for any text (only a bad vocabulary throws, when it is loaded).
ParsedQuery parse_query(const std::string& text, const Vocabulary& vocab = Vocabulary::builtin());

}  // namespace audiorium::query
