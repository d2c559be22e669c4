// Internal: the parsed, validated vocabulary as the parser reads it.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "query/parser.h"

namespace audiorium::query::detail {

enum class PhraseKind { Term, Negation, Intensifier, Stopword, Clause, Reference };

struct PhraseEntry {
  PhraseKind kind = PhraseKind::Stopword;
  std::size_t term = 0;  // PhraseKind::Term
  double factor = 1.0;   // PhraseKind::Intensifier
};

struct DescriptorRange {
  double min = 0;
  double max = 0;
  double neutral = 0;
};

struct VocabularyData {
  int version = 0;
  std::vector<VocabularyTerm> terms;
  std::unordered_map<std::string, PhraseEntry> phrases;  // key: normalised phrase
  std::size_t max_phrase_tokens = 1;
  std::map<std::string, DescriptorRange, std::less<>> ranges;  // absolute-scale descriptors
  std::unordered_set<std::string> reference_end;
  std::unordered_set<std::string> reference_not_after;  // "i like", "would like": a verb
  double value_shift = 0.5;  // intensifier f: value += (value - neutral) * (f - 1) * value_shift

  std::unordered_set<std::string> tempo_units;  // normalised, possibly several tokens
  std::size_t max_unit_tokens = 1;
  std::string unit_display = "bpm";
  std::unordered_set<std::string> tempo_lead, tempo_approx, tempo_filler, tempo_range;
  double min_width = 4, approx_width = 8, min_bpm = 20, max_bpm = 400;
};

// A phrase as the parser sees it: parse-mode tokens joined by single spaces; empty when it has no words or
// contains clause punctuation.
std::string normalise_phrase(std::string_view phrase);

}  // namespace audiorium::query::detail
