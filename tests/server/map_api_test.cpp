// GET /api/map (the Explore view's data) and GET /api/journey over the generated library.
#include "server/server_fixture.h"

#include <set>

namespace audiorium::server::test {
namespace {

using nlohmann::json;

TEST_F(ServerTest, MapHasEveryAnalysedTrackInColumns) {
  const auto j = get_json("/api/map");
  const std::size_t n = tracks_.size();
  ASSERT_EQ(j["count"], n) << j.dump().substr(0, 300);
  EXPECT_TRUE(j["generation"].is_number_integer());
  EXPECT_EQ(j["projection"]["method"], "pca");
  const auto& t = j["tracks"];
  ASSERT_EQ(t["id"].size(), n);
  ASSERT_EQ(t["title"].size(), n);
  ASSERT_EQ(t["xyz"].size(), 3 * n);
  ASSERT_EQ(t["xy"].size(), 2 * n);
  const auto ids = all_ids();
  EXPECT_EQ(std::set<int64_t>(t["id"].begin(), t["id"].end()), std::set<int64_t>(ids.begin(), ids.end()));
  for (const auto& v : t["xyz"]) {
    ASSERT_TRUE(v.is_number());
    EXPECT_GE(v.get<double>(), -1.0);
    EXPECT_LE(v.get<double>(), 1.0);
  }
  // Every colour field has a column of n rows; categories are coded within their list.
  std::set<std::string> names;
  for (const auto& f : j["colour_fields"]) {
    const std::string name = f["name"];
    names.insert(name);
    ASSERT_TRUE(t.contains(name)) << name;
    ASSERT_EQ(t[name].size(), n) << name;
    if (f["kind"] == "category") {
      for (const auto& code : t[name]) {
        if (!code.is_null()) {
          EXPECT_LT(code.get<std::size_t>(), f["categories"].size()) << name;
        }
      }
    } else {
      EXPECT_EQ(f["kind"], "number");
      EXPECT_LE(f["min"].get<double>(), f["max"].get<double>()) << name;
    }
  }
  for (const char* expected : {"tempo_bpm", "energy_db", "loudness_lufs", "brightness_hz", "key", "mode", "genre",
                               "artist", "album"})
    EXPECT_TRUE(names.count(expected)) << expected;
  // The artist column decodes to the catalog's artist of each track.
  const auto& artists = std::find_if(j["colour_fields"].begin(), j["colour_fields"].end(),
                                     [](const json& f) { return f["name"] == "artist"; })->at("categories");
  for (std::size_t i = 0; i < n; ++i) {
    const auto detail = get_json("/api/tracks/" + std::to_string(t["id"][i].get<int64_t>()));
    EXPECT_EQ(artists[t["artist"][i].get<std::size_t>()], detail["artist"]);
    EXPECT_EQ(t["title"][i], detail["title"]);
  }
  // A repeat is served from the cache: the same bytes.
  auto c = client();
  const auto r1 = c.Get("/api/map"), r2 = c.Get("/api/map");
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(r1->body, r2->body);
}

TEST_F(ServerTest, JourneyGoesFromOneTrackToAnother) {
  const auto ids = all_ids();
  const int64_t from = ids.front(), to = ids.back();
  const auto j = get_json("/api/journey?from=" + std::to_string(from) + "&to=" + std::to_string(to) + "&steps=5");
  EXPECT_EQ(j["from"], from);
  EXPECT_EQ(j["to"], to);
  const auto& path = j["tracks"];
  ASSERT_EQ(path.size(), 5u) << j.dump();
  EXPECT_EQ(path.front()["id"], from);
  EXPECT_EQ(path.back()["id"], to);
  std::set<int64_t> seen;
  for (std::size_t i = 0; i < path.size(); ++i) {
    EXPECT_TRUE(seen.insert(path[i]["id"].get<int64_t>()).second);
    EXPECT_EQ(path[i]["step"], i);
    EXPECT_TRUE(path[i]["title"].is_string());
    EXPECT_TRUE(path[i]["similarity_to_previous"].is_number());
  }
  EXPECT_EQ(get_json("/api/journey?from=" + std::to_string(from) + "&to=" + std::to_string(to) + "&steps=100")["tracks"].size(),
            ids.size());
  EXPECT_EQ(get_json("/api/journey?from=" + std::to_string(from) + "&to=" + std::to_string(to))["steps"], 10);
}

TEST_F(ServerTest, JourneyValidatesItsParameters) {
  auto c = client();
  const std::string a = std::to_string(all_ids().front()), b = std::to_string(all_ids().back());
  EXPECT_NE(expect_error(c.Get("/api/journey?from=" + a + "&to=999999"), 404).find("999999"), std::string::npos);
  expect_error(c.Get("/api/journey?from=999998&to=" + b), 404);
  expect_error(c.Get("/api/journey?from=" + a), 400);
  expect_error(c.Get("/api/journey?to=" + b), 400);
  expect_error(c.Get("/api/journey?from=abc&to=" + b), 400);
  expect_error(c.Get("/api/journey?from=" + a + "&to=" + b + "&steps=1"), 400);
  expect_error(c.Get("/api/journey?from=" + a + "&to=" + b + "&steps=101"), 400);
  expect_error(c.Get("/api/journey?from=" + a + "&to=" + b + "&steps=x"), 400);
  expect_error(c.Post("/api/map", "", "application/json"), 405);
}

}  // namespace
}  // namespace audiorium::server::test
