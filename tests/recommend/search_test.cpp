#include <algorithm>
#include <random>
#include <cmath>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "core/error.h"
#include "query/parser.h"
#include "recommend/search.h"

using namespace audiorium::recommend;
using audiorium::query::parse_query;

namespace {

// 40 tracks in four groups whose descriptors and vectors differ in known ways:
//   g0: slow (70 BPM), minor, dark, tagged genre "jazz" on the first 5 only (the rest untagged)
//   g1: fast (150 BPM), major, bright, genre "techno"
//   g2: slow, major, bright
//   g3: fast, minor, dark
std::vector<TrackFacts> library() {
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::vector<TrackFacts> out;
  for (int g = 0; g < 4; ++g)
    for (int i = 0; i < 10; ++i) {
      TrackFacts t;
      t.id = 100 * (g + 1) + i;
      t.embedding.assign(8, 0.0f);
      t.embedding[static_cast<std::size_t>(g)] = 1.0f;
      for (float& x : t.embedding) x += noise(rng);
      float n2 = 0;
      for (float x : t.embedding) n2 += x * x;
      for (float& x : t.embedding) x /= std::sqrt(n2);
      const bool slow = g == 0 || g == 2, minor = g == 0 || g == 3;
      t.descriptors = {{"tempo_bpm", (slow ? 70.0 : 150.0) + i},
                       {"mode", minor ? 0.0 : 1.0},
                       {"brightness_hz", (minor ? 800.0 : 3000.0) + 10 * i},
                       {"energy_db", (slow ? -30.0 : -12.0) + 0.1 * i},
                       {"percussiveness", slow ? 0.1 : 0.6},
                       {"onset_rate", slow ? 1.0 : 5.0},
                       {"tonalness", 0.5}};
      t.title = "Track " + std::to_string(t.id);
      t.artist = "Artist " + std::to_string(g) + (i % 2 ? "a" : "b");
      t.album = "Album " + std::to_string(g);
      if (g == 0 && i < 5) t.genre = "Jazz";
      if (g == 1) t.genre = "Techno";
      out.push_back(t);
    }
  return out;
}

SearchOptions strict(int k) {
  SearchOptions o;
  o.k = k;
  o.temperature = 0;
  o.lambda = 1.0;
  o.max_per_artist = 0;
  o.max_per_album = 0;
  return o;
}

int group_of(int64_t id) { return static_cast<int>(id / 100) - 1; }

}  // namespace

TEST(Search, DescriptorWordsFindTheMatchingGroup) {
  SearchEngine engine(library());
  const auto r = engine.search({parse_query("slow sad"), {}, std::nullopt, std::nullopt}, strict(8));
  ASSERT_EQ(r.results.size(), 8u);
  for (const auto& x : r.results) EXPECT_EQ(group_of(x.id), 0) << x.id << " " << x.summary;
  for (const auto& x : r.results) {
    EXPECT_GE(x.score, 0.0);
    EXPECT_LE(x.score, 1.0);
    ASSERT_FALSE(x.reasons.empty());
    EXPECT_TRUE(x.descriptor_part.has_value());
    EXPECT_FALSE(x.tag_part.has_value()) << "no tag word was asked for";
  }
  EXPECT_NE(r.results.front().summary.find("BPM"), std::string::npos) << r.results.front().summary;
}

TEST(Search, ExplicitTempoAndNegation) {
  SearchEngine engine(library());
  const auto r = engine.search({parse_query("150 bpm, not sad"), {}, std::nullopt, std::nullopt}, strict(5));
  for (const auto& x : r.results) EXPECT_EQ(group_of(x.id), 1) << x.summary;
}

TEST(Search, TagWordFindsTaggedAndLearnedTracks) {
  SearchEngine engine(library(), {.min_tracks = 3});
  ASSERT_TRUE(engine.tag_model().knows("jazz"));
  const auto r = engine.search({parse_query("jazz"), {}, std::nullopt, std::nullopt}, strict(10));
  ASSERT_EQ(r.results.size(), 10u);
  int tagged = 0, learned = 0;
  for (const auto& x : r.results) {
    EXPECT_EQ(group_of(x.id), 0) << "untagged tracks that sound like the jazz ones come before others";
    const bool has_tag_reason = std::any_of(x.reasons.begin(), x.reasons.end(), [](const Reason& re) { return re.kind == "tag"; });
    const bool has_learned = std::any_of(x.reasons.begin(), x.reasons.end(), [](const Reason& re) { return re.kind == "learned_tag"; });
    tagged += has_tag_reason;
    learned += has_learned;
  }
  EXPECT_EQ(tagged, 5);
  EXPECT_GE(learned, 4);
  // The five literally tagged ones rank first.
  for (int i = 0; i < 5; ++i) EXPECT_LT(r.results[static_cast<std::size_t>(i)].id % 100, 5);
}

TEST(Search, UnknownWordsAreReportedNotDropped) {
  SearchEngine engine(library());
  const auto r = engine.search({parse_query("slow rain"), {}, std::nullopt, std::nullopt}, strict(3));
  EXPECT_NE(std::find(r.ignored.begin(), r.ignored.end(), "rain"), r.ignored.end());
  EXPECT_EQ(r.results.size(), 3u) << "the understood part still searches";
  const auto none = engine.search({parse_query("zxqv blorp"), {}, std::nullopt, std::nullopt}, strict(3));
  EXPECT_TRUE(none.results.empty());
  EXPECT_FALSE(none.notes.empty());
}

TEST(Search, ReferenceTrackWithComparativeStaysNearButShifts) {
  SearchEngine engine(library());
  // Reference: a fast, minor, dark track (group 3). "slower" should keep timbre (vector) but favour slow.
  auto req = SearchRequest{parse_query("like 'Track 405' but slower"), {}, 405, std::nullopt};
  const auto r = engine.search(req, strict(5));
  ASSERT_EQ(r.results.size(), 5u);
  for (const auto& x : r.results) {
    EXPECT_NE(x.id, 405) << "the reference itself is never a result";
    ASSERT_FALSE(x.reasons.empty());
  }
  // Without the modifier the nearest are the reference's own (fast) group; "slower" pulls the tempo down.
  const auto plain = engine.search({{}, {}, 405, std::nullopt}, strict(5));
  for (const auto& x : plain.results) EXPECT_EQ(group_of(x.id), 3);
  auto mean_tempo = [&](const SearchResponse& resp) {
    double sum = 0;
    for (const auto& x : resp.results) sum += engine.facts(x.id)->descriptors.at("tempo_bpm");
    return sum / static_cast<double>(resp.results.size());
  };
  // The library is bimodal in tempo, so a percentile shift moves within the fast group: lower, not slow.
  EXPECT_LT(mean_tempo(r), mean_tempo(plain));
  EXPECT_NE(r.results.front().summary.find("slower than"), std::string::npos) << r.results.front().summary;
  const bool has_reference_reason = std::any_of(r.results.front().reasons.begin(), r.results.front().reasons.end(),
                                                [](const Reason& re) { return re.kind == "reference"; });
  EXPECT_TRUE(has_reference_reason);
}

TEST(Search, SeededOrderingIsReproducibleAndStaysInThePool) {
  SearchEngine engine(library());
  SearchOptions o;
  o.k = 5;
  o.pool_factor = 3.0;
  o.temperature = 0.2;
  o.lambda = 0.8;
  o.seed = 9;
  const auto q = SearchRequest{parse_query("fast bright"), {}, std::nullopt, std::nullopt};
  const auto a = engine.search(q, o), b = engine.search(q, o);
  ASSERT_EQ(a.results.size(), b.results.size());
  for (std::size_t i = 0; i < a.results.size(); ++i) EXPECT_EQ(a.results[i].id, b.results[i].id);

  // Every result of every seed lies in the deterministic top k × pool_factor.
  auto top = engine.search(q, strict(15));
  std::set<int64_t> pool;
  for (const auto& x : top.results) pool.insert(x.id);
  std::set<std::vector<int64_t>> distinct;
  for (std::uint64_t seed = 0; seed < 15; ++seed) {
    o.seed = seed;
    std::vector<int64_t> ids;
    for (const auto& x : engine.search(q, o).results) {
      EXPECT_TRUE(pool.count(x.id)) << x.id;
      ids.push_back(x.id);
    }
    distinct.insert(ids);
  }
  EXPECT_GE(distinct.size(), 2u);
}

TEST(Search, CapsLimitArtistsAndImageTargetsExplain) {
  SearchEngine engine(library());
  SearchOptions o = strict(6);
  o.max_per_artist = 2;
  const auto r = engine.search({parse_query("fast major"), {}, std::nullopt, std::nullopt}, o);
  std::map<std::string, int> per;
  for (const auto& x : r.results) ++per[engine.facts(x.id)->artist];
  for (const auto& [artist, n] : per) EXPECT_LE(n, 2) << artist;

  audiorium::query::DescriptorTarget dark{"brightness_hz", audiorium::query::DescriptorTarget::Scale::Percentile, 0.1, 0.2, 1.0,
                                          false, "image: dark"};
  const auto img = engine.search({{}, {dark}, std::nullopt, std::nullopt}, strict(4));
  ASSERT_EQ(img.results.size(), 4u);
  for (const auto& x : img.results) {
    EXPECT_TRUE(group_of(x.id) == 0 || group_of(x.id) == 3);
    EXPECT_EQ(x.reasons.front().kind, "image");
    EXPECT_NE(x.summary.find("image: dark"), std::string::npos);
  }
}

TEST(Search, BadOptionsAreErrors) {
  SearchEngine engine(library());
  EXPECT_THROW(engine.search({parse_query("slow"), {}, std::nullopt, std::nullopt}, strict(0)), audiorium::Error);
  EXPECT_THROW(engine.search({{}, {}, 999999, std::nullopt}, strict(3)), audiorium::Error);
}

// Untagged tracks are capped by their folder: without it MMR's caps exempted them and lists drifted towards
// untagged music (found by `audiorium eval` on the demo library).
TEST(Search, AlbumCapsGroupUntaggedTracksByFolder) {
  auto tracks = library();
  for (auto& t : tracks) {
    if (group_of(t.id) != 1) continue;  // the fast major bright group loses its album tag
    t.album.clear();
    t.artist.clear();
    t.folder = "untagged-release";
  }
  SearchEngine engine(std::move(tracks));
  SearchOptions o = strict(6);
  o.max_per_album = 2;
  o.pool_factor = 10;  // the whole library, so three releases can fill the six places within their caps
  const auto r = engine.search({parse_query("fast major bright"), {}, std::nullopt, std::nullopt}, o);
  ASSERT_EQ(r.results.size(), 6u);
  int from_folder = 0;
  for (const auto& x : r.results) from_folder += group_of(x.id) == 1;
  EXPECT_EQ(from_folder, 2) << "the untagged folder is one release, capped like an album";
}

// A model pack's query vector (a CLAP text embedding) joins the vector part: alone it finds the tracks nearest to
// it; with descriptor words it is fused with them; a tower that read the prompt leaves no word "ignored".
TEST(Search, ModelQueryVectorFindsItsNeighboursAndIsFusedWithWords) {
  SearchEngine engine(library());
  std::vector<float> towards_g2(8, 0.0f);
  towards_g2[2] = 1.0f;
  SearchRequest alone{parse_query("zzxq"), {}, std::nullopt, ModelQuery{towards_g2, "CLAP text", true}};
  const auto r = engine.search(alone, strict(10));
  ASSERT_EQ(r.results.size(), 10u);
  for (const auto& x : r.results) {
    EXPECT_EQ(group_of(x.id), 2) << x.id;
    ASSERT_TRUE(x.vector_part.has_value());
    EXPECT_FALSE(x.descriptor_part.has_value());
    ASSERT_FALSE(x.reasons.empty());
    EXPECT_EQ(x.reasons.front().kind, "model");
    EXPECT_NE(x.reasons.front().text.find("CLAP text match"), std::string::npos) << x.reasons.front().text;
  }
  EXPECT_TRUE(r.ignored.empty()) << "the text tower read the whole prompt";
  EXPECT_NE(std::find(r.understood.begin(), r.understood.end(), "the whole prompt (CLAP text)"), r.understood.end());

  // Without reads_prompt (a photo's bridged vector) unknown words are still reported.
  SearchRequest photo{parse_query("zzxq"), {}, std::nullopt, ModelQuery{towards_g2, "photo", false}};
  EXPECT_EQ(engine.search(photo, strict(3)).ignored, std::vector<std::string>{"zzxq"});

  // "fast" pulls towards g1/g3 and the vector towards g2: fused, g2's tracks no longer fill the top ten, and every
  // result carries both parts.
  SearchRequest fused{parse_query("fast"), {}, std::nullopt, ModelQuery{towards_g2, "CLAP text", true}};
  const auto f = engine.search(fused, strict(10));
  ASSERT_EQ(f.results.size(), 10u);
  int in_g2 = 0;
  for (const auto& x : f.results) {
    in_g2 += group_of(x.id) == 2;
    EXPECT_TRUE(x.vector_part.has_value());
    EXPECT_TRUE(x.descriptor_part.has_value());
  }
  EXPECT_LT(in_g2, 10);

  // A vector of another dimension (a pack that disagrees with the index) is an error, not a silent mix.
  SearchRequest wrong{{}, {}, std::nullopt, ModelQuery{std::vector<float>(16, 0.25f), "CLAP text", true}};
  EXPECT_THROW(engine.search(wrong, strict(3)), audiorium::Error);
}
