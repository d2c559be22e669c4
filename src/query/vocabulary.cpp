#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "query/bm25.h"
#include "query/parser.h"
#include "query/text.h"
#include "query/vocabulary_data.h"

// Generated at build time from data/vocabulary.json (cmake/EmbedFile.cmake).
namespace audiorium::embedded {
extern const unsigned char vocabulary_json[];
extern const std::size_t vocabulary_json_size;
}  // namespace audiorium::embedded

namespace audiorium::query {

namespace detail {

std::string normalise_phrase(std::string_view phrase) {
  std::string out;
  for (const auto& t : scan(phrase, true)) {
    if (t.kind == TokenKind::Sep || t.kind == TokenKind::Approx) return {};
    if (!out.empty()) out += ' ';
    out += t.text;
  }
  return out;
}

}  // namespace detail

namespace {

using nlohmann::json;
using detail::PhraseKind;

// The descriptors features::to_named() produces for every track.
constexpr std::array<std::string_view, 13> kDescriptors = {
    "tempo_bpm", "mode", "energy_db", "brightness_hz", "percussiveness", "tonalness", "loudness_lufs",
    "loudness_range_lu", "dynamic_range_db", "onset_rate", "key", "key_strength", "tempo_confidence"};

std::string known_descriptors() {
  std::string s;
  for (const auto d : kDescriptors) s += (s.empty() ? "" : ", ") + std::string(d);
  return s;
}

[[noreturn]] void fail(const std::string& what) { throw Error("vocabulary: " + what); }

const char* kind_name(PhraseKind k) {
  switch (k) {
    case PhraseKind::Term: return "a term";
    case PhraseKind::Negation: return "negations";
    case PhraseKind::Intensifier: return "intensifiers";
    case PhraseKind::Stopword: return "stopwords";
    case PhraseKind::Clause: return "clause_words";
    case PhraseKind::Reference: return "reference_words";
  }
  return "?";
}

void check_keys(const json& obj, std::initializer_list<std::string_view> allowed, const std::string& where) {
  for (const auto& [key, value] : obj.items()) {
    if (!key.empty() && key[0] == '_') continue;  // comments
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      fail(where + ": unknown field \"" + key + "\"");
  }
}

double number(const json& obj, const char* key, const std::string& where) {
  if (!obj.contains(key)) fail(where + ": missing \"" + key + "\"");
  const auto& v = obj.at(key);
  if (!v.is_number()) fail(where + ": \"" + key + "\" must be a number");
  const double d = v.get<double>();
  if (!std::isfinite(d)) fail(where + ": \"" + key + "\" must be finite");
  return d;
}

std::vector<std::string> strings(const json& obj, const char* key, const std::string& where, bool required) {
  std::vector<std::string> out;
  if (!obj.contains(key)) {
    if (required) fail(where + ": missing \"" + key + "\"");
    return out;
  }
  const auto& v = obj.at(key);
  if (!v.is_array()) fail(where + ": \"" + key + "\" must be an array of strings");
  for (const auto& s : v) {
    if (!s.is_string()) fail(where + ": \"" + key + "\" must be an array of strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

std::string phrase_key(const std::string& phrase, const std::string& where) {
  auto key = detail::normalise_phrase(phrase);
  if (key.empty()) fail(where + ": phrase \"" + phrase + "\" has no words or contains punctuation");
  return key;
}

class Builder {
 public:
  explicit Builder(detail::VocabularyData& d) : d_(d) {}

  void add_phrase(const std::string& phrase, detail::PhraseEntry entry, const std::string& where,
                  const std::string& owner) {
    const auto key = phrase_key(phrase, where);
    const auto [it, inserted] = d_.phrases.emplace(key, entry);
    if (!inserted) {
      const auto& old = it->second;
      const bool same = old.kind == entry.kind && (old.kind != PhraseKind::Term || old.term == entry.term);
      if (same) return;  // "laid back" and "laid-back" in one list: the same phrase
      fail(where + ": phrase \"" + phrase + "\" is already defined in " +
           (old.kind == PhraseKind::Term ? "term '" + owners_.at(key) + "'" : std::string(kind_name(old.kind))));
    }
    owners_[key] = owner;
    d_.max_phrase_tokens =
        std::max(d_.max_phrase_tokens, static_cast<std::size_t>(std::count(key.begin(), key.end(), ' ') + 1));
  }

 private:
  detail::VocabularyData& d_;
  std::unordered_map<std::string, std::string> owners_;
};

DescriptorTarget parse_target(const json& t, const std::string& where, const detail::VocabularyData& d) {
  if (!t.is_object()) fail(where + ": must be an object");
  check_keys(t, {"descriptor", "scale", "value", "width", "weight"}, where);
  DescriptorTarget out;
  if (!t.contains("descriptor") || !t.at("descriptor").is_string()) fail(where + ": missing \"descriptor\"");
  out.descriptor = t.at("descriptor").get<std::string>();
  if (std::find(kDescriptors.begin(), kDescriptors.end(), out.descriptor) == kDescriptors.end())
    fail(where + ": unknown descriptor \"" + out.descriptor + "\" (known: " + known_descriptors() + ")");
  if (!t.contains("scale") || !t.at("scale").is_string()) fail(where + ": missing \"scale\"");
  const auto scale = t.at("scale").get<std::string>();
  if (scale == "percentile")
    out.scale = DescriptorTarget::Scale::Percentile;
  else if (scale == "absolute")
    out.scale = DescriptorTarget::Scale::Absolute;
  else
    fail(where + ": scale must be \"percentile\" or \"absolute\", not \"" + scale + "\"");
  out.value = number(t, "value", where);
  out.width = number(t, "width", where);
  if (!(out.width > 0)) fail(where + ": width must be > 0 (got " + t.at("width").dump() + ")");
  out.weight = t.contains("weight") ? number(t, "weight", where) : 1.0;
  if (!(out.weight > 0)) fail(where + ": weight must be > 0 (got " + t.at("weight").dump() + ")");
  if (out.scale == DescriptorTarget::Scale::Percentile && (out.value < 0 || out.value > 1))
    fail(where + ": a percentile value must be in [0, 1] (got " + t.at("value").dump() + ")");
  if (out.scale == DescriptorTarget::Scale::Absolute) {
    const auto r = d.ranges.find(out.descriptor);
    if (r == d.ranges.end())
      fail(where + ": absolute scale on \"" + out.descriptor + "\" needs an entry in descriptor_ranges");
    if (out.value < r->second.min || out.value > r->second.max)
      fail(where + ": value " + t.at("value").dump() + " is outside descriptor_ranges of " + out.descriptor);
  }
  return out;
}

std::shared_ptr<detail::VocabularyData> build(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail(std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) fail("the top level must be a JSON object");
  check_keys(j,
             {"version", "descriptor_ranges", "numbers", "intensifier_value_shift", "intensifiers", "negations",
              "clause_words", "reference_words", "reference_not_after", "reference_end_words", "stopwords", "terms"},
             "top level");

  auto d = std::make_shared<detail::VocabularyData>();
  if (!j.contains("version")) fail("missing \"version\"");
  if (!j.at("version").is_number_integer()) fail("\"version\" must be an integer");
  d->version = j.at("version").get<int>();
  if (d->version < 1) fail("\"version\" must be >= 1");
  if (d->version > Vocabulary::kSupportedVersion)
    fail("version " + std::to_string(d->version) + " is newer than this build supports (" +
         std::to_string(Vocabulary::kSupportedVersion) + "); update audiorium or use an older vocabulary");

  if (j.contains("descriptor_ranges")) {
    const auto& r = j.at("descriptor_ranges");
    if (!r.is_object()) fail("\"descriptor_ranges\" must be an object");
    for (const auto& [name, v] : r.items()) {
      if (!name.empty() && name[0] == '_') continue;
      const std::string where = "descriptor_ranges." + name;
      if (std::find(kDescriptors.begin(), kDescriptors.end(), name) == kDescriptors.end())
        fail(where + ": unknown descriptor \"" + name + "\" (known: " + known_descriptors() + ")");
      if (!v.is_object()) fail(where + ": must be an object");
      check_keys(v, {"min", "max", "neutral"}, where);
      detail::DescriptorRange range{number(v, "min", where), number(v, "max", where), number(v, "neutral", where)};
      if (!(range.min < range.max) || range.neutral < range.min || range.neutral > range.max)
        fail(where + ": needs min < max and min <= neutral <= max");
      d->ranges[name] = range;
    }
  }

  if (j.contains("numbers")) {
    const auto& n = j.at("numbers");
    const std::string where = "numbers";
    if (!n.is_object()) fail("\"numbers\" must be an object");
    check_keys(n,
               {"tempo_units", "lead_words", "approx_words", "filler_words", "range_words", "min_width",
                "approx_width", "min_bpm", "max_bpm"},
               where);
    const auto units = strings(n, "tempo_units", where, true);
    if (units.empty()) fail("numbers.tempo_units must not be empty");
    for (const auto& u : units) {
      const auto key = phrase_key(u, "numbers.tempo_units");
      d->tempo_units.insert(key);
      d->max_unit_tokens =
          std::max(d->max_unit_tokens, static_cast<std::size_t>(std::count(key.begin(), key.end(), ' ') + 1));
    }
    d->unit_display = phrase_key(units.front(), "numbers.tempo_units");
    auto words = [&](const char* key, std::unordered_set<std::string>& into) {
      for (const auto& w : strings(n, key, where, false)) into.insert(phrase_key(w, where + "." + key));
    };
    words("lead_words", d->tempo_lead);
    words("approx_words", d->tempo_approx);
    words("filler_words", d->tempo_filler);
    words("range_words", d->tempo_range);
    auto opt = [&](const char* key, double& into) {
      if (n.contains(key)) into = number(n, key, where);
    };
    opt("min_width", d->min_width);
    opt("approx_width", d->approx_width);
    opt("min_bpm", d->min_bpm);
    opt("max_bpm", d->max_bpm);
    if (!(d->min_width > 0) || !(d->approx_width > 0)) fail("numbers: min_width and approx_width must be > 0");
    if (!(d->min_bpm > 0) || !(d->min_bpm < d->max_bpm)) fail("numbers: needs 0 < min_bpm < max_bpm");
  } else {
    d->tempo_units.insert("bpm");
  }

  if (j.contains("intensifier_value_shift")) {
    d->value_shift = number(j, "intensifier_value_shift", "top level");
    if (d->value_shift < 0 || d->value_shift > 1) fail("intensifier_value_shift must be in [0, 1]");
  }

  Builder builder(*d);
  if (j.contains("intensifiers")) {
    const auto& in = j.at("intensifiers");
    if (!in.is_object()) fail("\"intensifiers\" must be an object of phrase: factor");
    for (const auto& [phrase, f] : in.items()) {
      if (!phrase.empty() && phrase[0] == '_') continue;
      const std::string where = "intensifiers.\"" + phrase + "\"";
      if (!f.is_number() || !(f.get<double>() > 0) || !std::isfinite(f.get<double>()))
        fail(where + ": factor must be a number > 0");
      builder.add_phrase(phrase, {PhraseKind::Intensifier, 0, f.get<double>()}, where, phrase);
    }
  }
  auto list = [&](const char* key, PhraseKind kind) {
    for (const auto& p : strings(j, key, "top level", false)) builder.add_phrase(p, {kind, 0, 1.0}, key, key);
  };
  list("negations", PhraseKind::Negation);
  list("clause_words", PhraseKind::Clause);
  list("reference_words", PhraseKind::Reference);
  list("stopwords", PhraseKind::Stopword);
  for (const auto& w : strings(j, "reference_end_words", "top level", false))
    d->reference_end.insert(phrase_key(w, "reference_end_words"));
  for (const auto& w : strings(j, "reference_not_after", "top level", false))
    d->reference_not_after.insert(phrase_key(w, "reference_not_after"));

  if (!j.contains("terms")) fail("missing \"terms\"");
  const auto& terms = j.at("terms");
  if (!terms.is_array()) fail("\"terms\" must be an array");
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const auto& t = terms[i];
    std::string where = "terms[" + std::to_string(i) + "]";
    if (!t.is_object()) fail(where + ": must be an object");
    const auto phrases = strings(t, "phrases", where, true);
    if (phrases.empty()) fail(where + ": \"phrases\" must not be empty");
    where += " ('" + phrases.front() + "')";
    check_keys(t, {"phrases", "targets", "tags", "reason", "comparative"}, where);

    VocabularyTerm term;
    if (t.contains("reason")) {
      if (!t.at("reason").is_string() || t.at("reason").get<std::string>().empty())
        fail(where + ": \"reason\" must be a non-empty string");
      term.reason = t.at("reason").get<std::string>();
    } else {
      term.reason = phrases.front();
    }
    if (t.contains("comparative")) {
      if (!t.at("comparative").is_boolean()) fail(where + ": \"comparative\" must be true or false");
      term.comparative = t.at("comparative").get<bool>();
    }
    if (t.contains("targets")) {
      const auto& targets = t.at("targets");
      if (!targets.is_array()) fail(where + ": \"targets\" must be an array");
      for (std::size_t k = 0; k < targets.size(); ++k) {
        auto target = parse_target(targets[k], where + ".targets[" + std::to_string(k) + "]", *d);
        target.reason = term.reason;
        term.targets.push_back(std::move(target));
      }
    }
    for (const auto& tag : strings(t, "tags", where, false)) {
      const auto tokens = tokenize(tag);
      if (tokens.empty()) fail(where + ": tag \"" + tag + "\" has no searchable word");
      for (const auto& tok : tokens)
        if (std::find(term.tags.begin(), term.tags.end(), tok) == term.tags.end()) term.tags.push_back(tok);
    }
    if (term.targets.empty() && term.tags.empty()) fail(where + ": needs at least one target or tag");
    for (const auto& p : phrases) {
      builder.add_phrase(p, {PhraseKind::Term, d->terms.size(), 1.0}, where, phrases.front());
      const auto key = detail::normalise_phrase(p);
      if (std::find(term.phrases.begin(), term.phrases.end(), key) == term.phrases.end())
        term.phrases.push_back(key);
    }
    d->terms.push_back(std::move(term));
  }
  return d;
}

}  // namespace

Vocabulary Vocabulary::parse(const std::string& json_text) { return Vocabulary(build(json_text)); }

Vocabulary Vocabulary::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read vocabulary file '" + path.string() + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error("cannot read vocabulary file '" + path.string() + "'");
  try {
    return parse(ss.str());
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  }
}

std::string_view Vocabulary::builtin_text() {
  return {reinterpret_cast<const char*>(embedded::vocabulary_json), embedded::vocabulary_json_size};
}

const Vocabulary& Vocabulary::builtin() {
  static const Vocabulary v = parse(std::string(builtin_text()));
  return v;
}

int Vocabulary::version() const { return data_->version; }
std::size_t Vocabulary::term_count() const { return data_->terms.size(); }
const std::vector<VocabularyTerm>& Vocabulary::terms() const { return data_->terms; }

const VocabularyTerm* Vocabulary::find_term(std::string_view phrase) const {
  const auto it = data_->phrases.find(detail::normalise_phrase(phrase));
  if (it == data_->phrases.end() || it->second.kind != PhraseKind::Term) return nullptr;
  return &data_->terms[it->second.term];
}

bool Vocabulary::is_stopword(std::string_view word) const {
  const auto it = data_->phrases.find(detail::normalise_phrase(word));
  return it != data_->phrases.end() && it->second.kind == PhraseKind::Stopword;
}

bool Vocabulary::is_negation(std::string_view word) const {
  const auto it = data_->phrases.find(detail::normalise_phrase(word));
  return it != data_->phrases.end() && it->second.kind == PhraseKind::Negation;
}

std::optional<double> Vocabulary::intensifier(std::string_view phrase) const {
  const auto it = data_->phrases.find(detail::normalise_phrase(phrase));
  if (it == data_->phrases.end() || it->second.kind != PhraseKind::Intensifier) return std::nullopt;
  return it->second.factor;
}

}  // namespace audiorium::query
