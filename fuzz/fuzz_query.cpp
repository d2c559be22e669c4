// parse_query (src/query/parser.h) on any bytes, with the built-in vocabulary. Its promises: it never throws, and
// everything it returns is valid UTF-8 (it goes straight into JSON answers), the text is capped, and every
// descriptor target is finite with a positive width; "truncated" says exactly when the text was cut.
#include <cmath>
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "fuzz_support.h"
#include "query/parser.h"
#include "query/text.h"

namespace {

bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t n = audiorium::utf8::decode(s, i, cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void check_strings(const std::vector<std::string>& list) {
  for (const auto& s : list) AUDIORIUM_FUZZ_CHECK(valid_utf8(s));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace audiorium::query;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const ParsedQuery q = parse_query(text);  // an exception escaping here is a finding
  AUDIORIUM_FUZZ_CHECK(q.text.size() <= ParsedQuery::kMaxInputBytes);
  AUDIORIUM_FUZZ_CHECK(valid_utf8(q.text));
  // Not truncated: nothing was cut (control characters and bad bytes shrink to one space, so an input a little
  // over the cap may fit). The parser's defensive catch must never have been needed.
  AUDIORIUM_FUZZ_CHECK(q.truncated || q.text == detail::sanitize(text, text.size() + 1, nullptr));
  for (const auto& note : q.notes) {
    if (note.rfind("query parser error: ", 0) != 0) continue;  // not a title that merely quotes it
    std::fprintf(stderr, "fuzz_query: %s\n", note.c_str());
    audiorium::fuzz::broken("the parser failed inside (its defensive catch answered)");
  }
  check_strings(q.words);
  check_strings(q.negated_words);
  check_strings(q.understood);
  check_strings(q.unknown);
  check_strings(q.notes);
  if (q.track_reference) AUDIORIUM_FUZZ_CHECK(valid_utf8(*q.track_reference));
  for (const auto& t : q.targets) {
    AUDIORIUM_FUZZ_CHECK(std::isfinite(t.value) && std::isfinite(t.weight));
    AUDIORIUM_FUZZ_CHECK(std::isfinite(t.width) && t.width > 0);
  }
  for (const auto& m : q.modifiers) AUDIORIUM_FUZZ_CHECK(std::isfinite(m.delta) && std::isfinite(m.weight));
  // What the server does with it: strict JSON (throws on bytes that are not UTF-8).
  nlohmann::json j = {{"text", q.text}, {"understood", q.understood}, {"unknown", q.unknown}, {"words", q.words}};
  (void)j.dump();
  return 0;
}
