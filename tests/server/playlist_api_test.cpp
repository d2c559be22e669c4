// Playlists over HTTP: create, rename, add, reorder, delete, and the M3U export.
#include "server/server_fixture.h"

namespace audiorium::server::test {
namespace {

using nlohmann::json;

TEST_F(ServerTest, PlaylistLifecycleAndM3u) {
  const auto ids = all_ids();
  auto c = client();
  auto r = c.Post("/api/playlists", json{{"name", "Road trip"}, {"track_ids", {ids[0], ids[1]}}}.dump(),
                  "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const auto created = parse_json(r->body);
  const int64_t pid = created["id"];
  const std::string url = "/api/playlists/" + std::to_string(pid);
  EXPECT_EQ(r->get_header_value("Location"), url);
  EXPECT_EQ(created["name"], "Road trip");
  ASSERT_EQ(created["tracks"].size(), 2u);

  // Same name again: conflict.
  expect_error(c.Post("/api/playlists", json{{"name", "Road trip"}}.dump(), "application/json"), 409);

  // Rename, append, then reorder.
  r = c.Put(url, json{{"name", "Night drive"}, {"add", {ids[2]}}}.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto p = get_json(url);
  EXPECT_EQ(p["name"], "Night drive");
  ASSERT_EQ(p["tracks"].size(), 3u);
  EXPECT_EQ(p["tracks"][2]["id"], ids[2]);
  r = c.Put(url, json{{"track_ids", {ids[2], ids[0], ids[1]}}}.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  p = get_json(url);
  EXPECT_EQ(p["tracks"][0]["id"], ids[2]);
  EXPECT_EQ(p["tracks"][1]["id"], ids[0]);
  EXPECT_EQ(p["track_count"], 3);

  const auto list = get_json("/api/playlists");
  ASSERT_EQ(list["playlists"].size(), 1u);
  EXPECT_EQ(list["playlists"][0]["name"], "Night drive");

  // M3U: header, one #EXTINF per track, absolute paths in order.
  r = c.Get(url + ".m3u");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("mpegurl"), std::string::npos);
  const std::string& m3u = r->body;
  EXPECT_EQ(m3u.rfind("#EXTM3U\n", 0), 0u);
  std::size_t extinf = 0;
  for (std::size_t at = m3u.find("#EXTINF:"); at != std::string::npos; at = m3u.find("#EXTINF:", at + 1)) ++extinf;
  EXPECT_EQ(extinf, 3u);
  std::size_t last = 0;
  for (const auto id : {ids[2], ids[0], ids[1]}) {
    const auto path = library_->catalog().track(id)->path;
    const auto at = m3u.find("\n" + path + "\n");
    ASSERT_NE(at, std::string::npos) << path << " not in\n" << m3u;
    EXPECT_GT(at, last) << "out of order";
    last = at;
  }

  // Validation.
  expect_error(c.Put(url, json{{"track_ids", {ids[0], 999999}}}.dump(), "application/json"), 404);
  EXPECT_EQ(get_json(url)["track_count"], 3) << "a failed update changes nothing";
  expect_error(c.Put(url, json{{"track_ids", "nope"}}.dump(), "application/json"), 400);
  expect_error(c.Put(url, json{{"name", ""}}.dump(), "application/json"), 400);
  expect_error(c.Put(url, "{}", "application/json"), 400);
  expect_error(c.Put(url, "{bad", "application/json"), 400);
  expect_error(c.Post("/api/playlists", json{{"name", 5}}.dump(), "application/json"), 400);
  expect_error(c.Get("/api/playlists/999999"), 404);
  expect_error(c.Get("/api/playlists/abc"), 400);
  expect_error(c.Get("/api/playlists/999999.m3u"), 404);

  // Delete.
  r = c.Delete(url);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  expect_error(c.Get(url), 404);
  expect_error(c.Delete(url), 404);
  EXPECT_TRUE(get_json("/api/playlists")["playlists"].empty());
}

}  // namespace
}  // namespace audiorium::server::test
