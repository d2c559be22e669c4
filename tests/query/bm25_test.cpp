#include "query/bm25.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace audiorium::query {
namespace {

using Fields = std::vector<std::pair<std::string, double>>;

std::vector<int64_t> ids(const std::vector<std::pair<int64_t, double>>& hits) {
  std::vector<int64_t> out;
  for (const auto& h : hits) out.push_back(h.first);
  return out;
}

TEST(Tokenize, LowerCasesFoldsAccentsAndDropsSingleLetters) {
  EXPECT_EQ(tokenize("Hello, World! Beyoncé's Café-Bar a 7 x"),
            (std::vector<std::string>{"hello", "world", "beyonces", "cafe", "bar", "7"}));
  EXPECT_EQ(tokenize("ÆTHER Straße Łódź Œuvre"), (std::vector<std::string>{"aether", "strasse", "lodz", "oeuvre"}));
  EXPECT_EQ(tokenize("Hip-Hop/R&B_2024"), (std::vector<std::string>{"hip", "hop", "2024"}));
  EXPECT_EQ(tokenize("Кино ГРУППА"), (std::vector<std::string>{"кино", "группа"}));
  EXPECT_EQ(tokenize("🔥🔥 fire \x01\xff\xfe emoji"), (std::vector<std::string>{"fire", "emoji"}));
  EXPECT_TRUE(tokenize("").empty());
  EXPECT_TRUE(tokenize("  -- !! ").empty());
}

TEST(Bm25, RarerTermScoresHigher) {
  Bm25Index idx;
  idx.add(1, {{"jazz night", 1.0}});
  idx.add(2, {{"jazz club", 1.0}});
  idx.add(3, {{"jazz trio", 1.0}});
  idx.add(4, {{"rock night", 1.0}});
  idx.finalize();
  const auto hits = idx.score({"jazz", "rock"});
  ASSERT_EQ(hits.size(), 4u);
  EXPECT_EQ(hits.front().first, 4);  // "rock" is in one document, "jazz" in three
  EXPECT_GT(hits[0].second, hits[1].second);
  // The three jazz documents have equal scores: ties are ordered by id.
  EXPECT_EQ(ids(hits), (std::vector<int64_t>{4, 1, 2, 3}));
}

TEST(Bm25, FieldWeightMatters) {
  Bm25Index idx;
  idx.add(10, {{"ambient", 1.0}, {"other", 2.0}});   // word in the title
  idx.add(20, {{"other", 1.0}, {"ambient", 2.0}});   // word in the genre, weighted 2
  idx.add(30, {{"nothing", 1.0}, {"else", 2.0}});
  const auto hits = idx.score({"ambient"});
  EXPECT_EQ(ids(hits), (std::vector<int64_t>{20, 10}));
  EXPECT_GT(hits[0].second, hits[1].second);
}

TEST(Bm25, LongerDocumentsScoreLowerForTheSameMatch) {
  Bm25Index idx;
  idx.add(1, {{"jazz standards collection volume one two three four", 1.0}});
  idx.add(2, {{"jazz", 1.0}});
  idx.add(3, {{"rock", 1.0}});
  const auto hits = idx.score({"jazz"});
  EXPECT_EQ(ids(hits), (std::vector<int64_t>{2, 1}));
}

TEST(Bm25, MatchesTheFormulaOnATinyCorpus) {
  Bm25Index idx;
  idx.add(1, {{"a b", 1.0}, {"jazz jazz piano", 1.0}});  // single letters are not tokens: length 3
  idx.add(2, {{"piano solo", 1.0}});                     // length 2
  // N = 2, avgdl = 2.5; "jazz": df 1, tf 2 in doc 1.
  const double idf = std::log(1.0 + (2 - 1 + 0.5) / (1 + 0.5));
  const double expected = idf * 2 * (1.2 + 1) / (2 + 1.2 * (1 - 0.75 + 0.75 * 3 / 2.5));
  const auto hits = idx.score({"JAZZ"});
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].first, 1);
  EXPECT_NEAR(hits[0].second, expected, 1e-12);
}

TEST(Bm25, OnlyPositiveScoresAndRepeatedTermsCountOnce) {
  Bm25Index idx;
  idx.add(1, {{"calm piano", 1.0}});
  idx.add(2, {{"loud guitar", 1.0}});
  EXPECT_TRUE(idx.score({}).empty());
  EXPECT_TRUE(idx.score({"violin"}).empty());
  EXPECT_EQ(ids(idx.score({"piano"})), (std::vector<int64_t>{1}));
  EXPECT_DOUBLE_EQ(idx.score({"piano", "piano", "Piano"})[0].second, idx.score({"piano"})[0].second);
  EXPECT_TRUE(Bm25Index().score({"x"}).empty());
}

TEST(Bm25, AccentsAndCaseAreFoldedBothWays) {
  Bm25Index idx;
  idx.add(7, {{"Beyoncé — Café Tacvba", 1.0}});
  EXPECT_EQ(ids(idx.score({"beyonce"})), (std::vector<int64_t>{7}));
  EXPECT_EQ(ids(idx.score({"CAFÉ"})), (std::vector<int64_t>{7}));
}

TEST(Bm25, TermStatistics) {
  Bm25Index idx;
  idx.add(1, {{"Jazz Piano", 1.0}, {"jazz", 2.0}});
  idx.add(2, {{"Jazz Guitar", 1.0}});
  idx.add(3, {{"Rock Guitar", 1.0}, {"ignored field", 0.0}});
  EXPECT_TRUE(idx.has_term("jazz"));
  EXPECT_FALSE(idx.has_term("Jazz"));  // terms are stored normalised
  EXPECT_FALSE(idx.has_term("ignored"));
  EXPECT_EQ(idx.doc_freq("jazz"), 2u);
  EXPECT_EQ(idx.doc_freq("guitar"), 2u);
  EXPECT_EQ(idx.doc_freq("piano"), 1u);
  EXPECT_EQ(idx.doc_freq("violin"), 0u);
  EXPECT_EQ(idx.vocabulary(2), (std::vector<std::string>{"guitar", "jazz"}));
  EXPECT_EQ(idx.vocabulary(1).size(), 4u);
  EXPECT_EQ(idx.size(), 3u);
}

TEST(Bm25, AddingAnIdTwiceThrows) {
  Bm25Index idx;
  idx.add(1, {{"x y", 1.0}});
  EXPECT_THROW(idx.add(1, {{"other", 1.0}}), Error);
}

}  // namespace
}  // namespace audiorium::query
