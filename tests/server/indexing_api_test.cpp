// serve --music: indexing in the background, its progress in /api/status, rescans by POST /api/index, and
// requests answered correctly while the scan writes the catalog.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

#include "library/library.h"
#include "server/server.h"
#include "support/generated_library.h"
#include "support/test_support.h"

namespace audiorium::server {
namespace {

using nlohmann::json;

json get(httplib::Client& c, const std::string& path, int expect = 200) {
  auto r = c.Get(path);
  if (!r) {
    ADD_FAILURE() << "no answer to " << path;
    return nullptr;
  }
  EXPECT_EQ(r->status, expect) << path << ": " << r->body;
  return json::parse(r->body, nullptr, false);
}

TEST(IndexingApi, WithoutMusicFoldersThereIsNothingToIndex) {
  audiorium::testing::TempDir tmp;
  auto lib = library::Library::open(tmp / "data");
  ServerOptions o;
  o.port = 0;
  Server server(lib, o);
  server.start();
  httplib::Client c("127.0.0.1", server.port());
  EXPECT_EQ(get(c, "/api/status")["indexing"]["available"], false);
  auto r = c.Post("/api/index", "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("--music"), std::string::npos) << r->body;
  server.stop();
}

TEST(IndexingApi, IndexesInTheBackgroundWhileAnswering) {
  audiorium::testing::TempDir tmp;
  const auto tracks = audiorium::testing::make_style_library(tmp / "music", 3, 5.0);
  auto lib = library::Library::open(tmp / "data");
  ServerOptions o;
  o.port = 0;
  o.music_roots = {tmp / "music"};
  o.index_jobs = 1;
  Server server(lib, o);
  server.start();  // starts the scan
  httplib::Client c("127.0.0.1", server.port());

  auto r = c.Post("/api/index", "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << "the scan started with the server should still be running: " << r->body;

  // Poll as a page would, using the API meanwhile; every answer must be well-formed.
  json st;
  bool saw_running = false;
  for (int i = 0; i < 3000; ++i) {
    st = get(c, "/api/status");
    const std::string state = st["indexing"]["state"];
    if (state == "running") {
      saw_running = true;
      EXPECT_TRUE(st["indexing"].contains("progress"));
      const auto page = get(c, "/api/tracks?limit=500");
      EXPECT_LE(page["total"].get<std::size_t>(), tracks.size());
      for (const auto& t : page["tracks"]) get(c, "/api/similar/" + std::to_string(t["id"].get<int64_t>()) + "?k=3");
    } else {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(saw_running);
  EXPECT_EQ(st["indexing"]["state"], "done") << st.dump();
  EXPECT_EQ(st["indexing"]["report"]["added"], tracks.size());
  EXPECT_EQ(st["tracks"], tracks.size());
  EXPECT_EQ(st["index"]["size"], tracks.size());

  r = c.Post("/api/index", "", "application/json");  // a rescan
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202) << r->body;
  for (int i = 0; i < 3000 && get(c, "/api/status")["indexing"]["state"] == "running"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  st = get(c, "/api/status");
  EXPECT_EQ(st["indexing"]["runs"], 2);
  EXPECT_EQ(st["indexing"]["report"]["unchanged"], tracks.size());
  server.stop();
}

}  // namespace
}  // namespace audiorium::server
