#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "query/parser.h"

namespace audiorium::query {
namespace {

namespace fs = std::filesystem;

fs::path source_vocabulary() {
  // tests/query/<this file> -> <repo>/data/vocabulary.json
  return fs::path(__FILE__).parent_path().parent_path().parent_path() / "data" / "vocabulary.json";
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A minimal valid vocabulary with `term` as its only term.
std::string with_term(const std::string& term) {
  return R"({"version": 1, "descriptor_ranges": {"tempo_bpm": {"min": 30, "max": 250, "neutral": 110}},
             "terms": [)" + term + "]}";
}

std::string error_of(const std::string& json) {
  try {
    Vocabulary::parse(json);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Vocabulary, BuiltinLoads) {
  const auto& v = Vocabulary::builtin();
  EXPECT_EQ(v.version(), 1);
  EXPECT_GT(v.term_count(), 50u);
  for (const auto& term : v.terms()) {
    EXPECT_FALSE(term.phrases.empty());
    EXPECT_FALSE(term.reason.empty());
    EXPECT_TRUE(!term.targets.empty() || !term.tags.empty()) << term.reason;
    for (const auto& t : term.targets) {
      EXPECT_GT(t.width, 0) << term.reason;
      EXPECT_GT(t.weight, 0) << term.reason;
      EXPECT_EQ(t.reason, term.reason);
      EXPECT_FALSE(t.negated);
    }
  }
}

TEST(Vocabulary, EmbeddedCopyEqualsTheSourceFile) {
  const auto path = source_vocabulary();
  ASSERT_TRUE(fs::exists(path)) << path;
  EXPECT_EQ(Vocabulary::builtin_text(), read(path));
  const auto from_file = Vocabulary::load(path);
  EXPECT_EQ(from_file.version(), Vocabulary::builtin().version());
  EXPECT_EQ(from_file.term_count(), Vocabulary::builtin().term_count());
}

TEST(Vocabulary, Lookups) {
  const auto& v = Vocabulary::builtin();
  ASSERT_NE(v.find_term("Up-Tempo"), nullptr);
  EXPECT_EQ(v.find_term("up tempo"), v.find_term("fast"));
  EXPECT_EQ(v.find_term("laid-back"), v.find_term("laid back"));
  ASSERT_NE(v.find_term("electronic"), nullptr);
  const auto& tags = v.find_term("electronic")->tags;
  for (const auto* t : {"electronic", "electro", "edm", "synth"})
    EXPECT_NE(std::find(tags.begin(), tags.end(), t), tags.end()) << t;
  EXPECT_EQ(v.find_term("rain"), nullptr);
  EXPECT_TRUE(v.is_stopword("the"));
  EXPECT_TRUE(v.is_stopword("Songs"));
  EXPECT_FALSE(v.is_stopword("slow"));
  EXPECT_TRUE(v.is_negation("without"));
  EXPECT_TRUE(v.is_negation("don't"));
  EXPECT_EQ(v.intensifier("very"), 1.5);
  EXPECT_EQ(v.intensifier("extremely"), 2.0);
  EXPECT_EQ(v.intensifier("A bit"), 0.6);
  EXPECT_EQ(v.intensifier("slightly"), 0.5);
  EXPECT_FALSE(v.intensifier("slow").has_value());
}

TEST(Vocabulary, CustomVocabularyDrivesTheParser) {
  const auto v = Vocabulary::parse(with_term(
      R"({"phrases": ["zoomy"], "reason": "zoomy",
          "targets": [{"descriptor": "tempo_bpm", "scale": "absolute", "value": 200, "width": 10}]})"));
  EXPECT_EQ(v.term_count(), 1u);
  const auto q = parse_query("zoomy fast", v);
  ASSERT_EQ(q.targets.size(), 1u);
  EXPECT_EQ(q.targets[0].value, 200);
  EXPECT_EQ(q.unknown, (std::vector<std::string>{"fast"}));  // not in this vocabulary
}

TEST(VocabularyValidation, RejectsInvalidJson) {
  EXPECT_NE(error_of("{\"version\": 1,").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("[1, 2]").find("must be a JSON object"), std::string::npos);
}

TEST(VocabularyValidation, Version) {
  EXPECT_NE(error_of(R"({"terms": []})").find("missing \"version\""), std::string::npos);
  EXPECT_NE(error_of(R"({"version": "1", "terms": []})").find("\"version\" must be an integer"), std::string::npos);
  const auto newer = error_of(R"({"version": 2, "terms": []})");
  EXPECT_NE(newer.find("version 2 is newer than this build supports (1)"), std::string::npos) << newer;
  EXPECT_NO_THROW(Vocabulary::parse(R"({"version": 1, "terms": []})"));
  EXPECT_NE(error_of(R"({"version": 1})").find("missing \"terms\""), std::string::npos);
}

TEST(VocabularyValidation, UnknownDescriptor) {
  const auto e = error_of(with_term(R"({"phrases": ["x1"], "targets": [{"descriptor": "tempo", "scale": "absolute",
                                       "value": 100, "width": 5}]})"));
  EXPECT_NE(e.find("terms[0] ('x1')"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown descriptor \"tempo\""), std::string::npos) << e;
  EXPECT_NE(e.find("tempo_bpm"), std::string::npos) << e;  // lists the known names
}

TEST(VocabularyValidation, WidthMustBePositive) {
  for (const char* w : {"0", "-0.1"}) {
    const auto e = error_of(with_term(std::string(R"({"phrases": ["x1"], "targets": [{"descriptor": "energy_db",
        "scale": "percentile", "value": 0.5, "width": )") + w + "}]}"));
    EXPECT_NE(e.find("width must be > 0"), std::string::npos) << e;
  }
  const auto e = error_of(with_term(R"({"phrases": ["x1"], "targets": [{"descriptor": "energy_db",
        "scale": "percentile", "value": 0.5}]})"));
  EXPECT_NE(e.find("missing \"width\""), std::string::npos) << e;
}

TEST(VocabularyValidation, ScalesAndValues) {
  auto target = [](const std::string& body) {
    return error_of(with_term(R"({"phrases": ["x1"], "targets": [)" + body + "]}"));
  };
  EXPECT_NE(target(R"({"descriptor": "energy_db", "scale": "relative", "value": 0.5, "width": 0.2})")
                .find("scale must be \"percentile\" or \"absolute\""),
            std::string::npos);
  EXPECT_NE(target(R"({"descriptor": "energy_db", "scale": "percentile", "value": 1.5, "width": 0.2})")
                .find("percentile value must be in [0, 1]"),
            std::string::npos);
  EXPECT_NE(target(R"({"descriptor": "energy_db", "scale": "absolute", "value": -10, "width": 3})")
                .find("needs an entry in descriptor_ranges"),
            std::string::npos);
  EXPECT_NE(target(R"({"descriptor": "tempo_bpm", "scale": "absolute", "value": 900, "width": 3})")
                .find("outside descriptor_ranges"),
            std::string::npos);
  EXPECT_NE(target(R"({"descriptor": "energy_db", "scale": "percentile", "value": 0.5, "width": 0.2, "weight": 0})")
                .find("weight must be > 0"),
            std::string::npos);
  EXPECT_NE(target(R"({"descriptor": "energy_db", "scale": "percentile", "value": 0.5, "widht": 0.2})")
                .find("unknown field \"widht\""),
            std::string::npos);
}

TEST(VocabularyValidation, PhrasesAndTerms) {
  const std::string ok_target = R"("targets": [{"descriptor": "energy_db", "scale": "percentile", "value": 0.5,
                                   "width": 0.2}])";
  auto e = error_of(with_term(R"({"phrases": ["calm"], )" + ok_target + R"(}, {"phrases": ["Calm"], )" + ok_target +
                              "}"));
  EXPECT_NE(e.find("phrase \"Calm\" is already defined in term 'calm'"), std::string::npos) << e;

  e = error_of(R"({"version": 1, "stopwords": ["the"], "terms": [{"phrases": ["the"], )" + ok_target + "}]}");
  EXPECT_NE(e.find("already defined in stopwords"), std::string::npos) << e;

  e = error_of(with_term(R"({"phrases": ["x1"]})"));
  EXPECT_NE(e.find("needs at least one target or tag"), std::string::npos) << e;

  e = error_of(with_term(R"({"phrases": [], )" + ok_target + "}"));
  EXPECT_NE(e.find("\"phrases\" must not be empty"), std::string::npos) << e;

  e = error_of(with_term(R"({"phrases": ["a, b"], )" + ok_target + "}"));
  EXPECT_NE(e.find("contains punctuation"), std::string::npos) << e;

  e = error_of(R"({"version": 1, "intensifiers": {"very": 0}, "terms": []})");
  EXPECT_NE(e.find("factor must be a number > 0"), std::string::npos) << e;

  // Tags-only terms are fine.
  EXPECT_NO_THROW(Vocabulary::parse(with_term(R"({"phrases": ["x1"], "tags": ["Hip-Hop"]})")));
  EXPECT_EQ(Vocabulary::parse(with_term(R"({"phrases": ["x1"], "tags": ["Hip-Hop"]})")).terms()[0].tags,
            (std::vector<std::string>{"hip", "hop"}));
}

TEST(VocabularyValidation, LoadNamesTheFile) {
  const auto missing = fs::temp_directory_path() / "audiorium-no-such-vocabulary.json";
  try {
    Vocabulary::load(missing);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read vocabulary file"), std::string::npos) << e.what();
  }
  const auto bad = fs::temp_directory_path() / ("audiorium-bad-vocabulary-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".json");
  {
    std::ofstream(bad) << R"({"version": 3, "terms": []})";
  }
  try {
    Vocabulary::load(bad);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(bad.string(), 0), 0u) << msg;
    EXPECT_NE(msg.find("newer than this build supports"), std::string::npos) << msg;
  }
  fs::remove(bad);
}

}  // namespace
}  // namespace audiorium::query
