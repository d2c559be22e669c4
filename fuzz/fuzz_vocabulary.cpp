// Vocabulary::parse (src/query/parser.h) on any JSON text: a vocabulary file is user data (Vocabulary::load).
// Its promise: bad input throws audiorium::Error, nothing else; a vocabulary it accepts can parse a query.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "fuzz_support.h"
#include "query/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace audiorium::query;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const Vocabulary vocab = Vocabulary::parse(text);
    AUDIORIUM_FUZZ_CHECK(vocab.version() == Vocabulary::kSupportedVersion);
    for (const auto& term : vocab.terms()) {
      AUDIORIUM_FUZZ_CHECK(!term.phrases.empty());
      AUDIORIUM_FUZZ_CHECK(vocab.find_term(term.phrases.front()) != nullptr);
    }
    (void)parse_query("very slow dark piano, not sad but faster 120 bpm like 'x'", vocab);
    if (!vocab.terms().empty()) (void)parse_query("no " + vocab.terms().front().phrases.front(), vocab);
  } catch (const audiorium::Error&) {
    // The documented failure.
  }
  return 0;
}
