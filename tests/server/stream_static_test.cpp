// Streaming with HTTP Range, the static web root, and attempts to read files outside it.
#include "server/server_fixture.h"

namespace audiorium::server::test {
namespace {

namespace fs = std::filesystem;

class StreamTest : public ServerTest {
 protected:
  // The largest track, so ranges have room.
  static std::pair<int64_t, fs::path> track() {
    const auto all = library_->catalog().tracks();
    const auto it = std::max_element(all.begin(), all.end(),
                                     [](const auto& a, const auto& b) { return a.size_bytes < b.size_bytes; });
    return {it->id, it->path};
  }
};

TEST_F(StreamTest, FullFileWithTypeAndAcceptRanges) {
  const auto [id, path] = track();
  const std::string bytes = read_file(path);
  ASSERT_GT(bytes.size(), 1000u);
  auto c = client();
  auto r = c.Get("/api/stream/" + std::to_string(id));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body == bytes) << "the body differs from the file (" << r->body.size() << " vs " << bytes.size() << ")";
  EXPECT_EQ(r->get_header_value("Accept-Ranges"), "bytes");
  EXPECT_EQ(r->get_header_value("Content-Length"), std::to_string(bytes.size()));
  const std::string ext = path.extension().string();
  const std::string type = r->get_header_value("Content-Type");
  EXPECT_EQ(type, ext == ".wav" ? "audio/wav" : "audio/ogg");

  // Every track streams with a type that matches its extension.
  for (const auto& t : library_->catalog().tracks()) {
    auto rr = c.Get("/api/stream/" + std::to_string(t.id));
    ASSERT_TRUE(rr);
    EXPECT_EQ(rr->status, 200);
    EXPECT_EQ(rr->body.size(), fs::file_size(t.path));
    EXPECT_EQ(rr->get_header_value("Content-Type"),
              fs::path(t.path).extension() == ".wav" ? "audio/wav" : "audio/ogg") << t.path;
  }
}

TEST_F(StreamTest, RangesGive206WithExactBytes) {
  const auto [id, path] = track();
  const std::string bytes = read_file(path);
  const auto size = std::to_string(bytes.size());
  const std::string url = "/api/stream/" + std::to_string(id);
  auto c = client();

  auto r = c.Get(url, {{"Range", "bytes=10-99"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->body, bytes.substr(10, 90));
  EXPECT_EQ(r->get_header_value("Content-Range"), "bytes 10-99/" + size);
  EXPECT_EQ(r->get_header_value("Content-Length"), "90");

  r = c.Get(url, {{"Range", "bytes=-100"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->body, bytes.substr(bytes.size() - 100));
  EXPECT_EQ(r->get_header_value("Content-Range"),
            "bytes " + std::to_string(bytes.size() - 100) + "-" + std::to_string(bytes.size() - 1) + "/" + size);

  r = c.Get(url, {{"Range", "bytes=1000-"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->body, bytes.substr(1000));

  // An end past the file is clipped to it.
  r = c.Get(url, {{"Range", "bytes=" + std::to_string(bytes.size() - 5) + "-99999999999"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->body, bytes.substr(bytes.size() - 5));

  // Unsatisfiable or malformed ranges.
  for (const std::string& bad : std::vector<std::string>{"bytes=" + size + "-", "bytes=99999999-100000000", "bytes=50-10", "bytes=-0",
                                "bytes=abc-def", "bytes=5"}) {
    r = c.Get(url, {{"Range", bad}});
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 416) << bad;
    EXPECT_NE(r->body, bytes) << bad;
  }
  r = c.Get(url, {{"Range", "bytes=" + size + "-"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Range"), "bytes */" + size);
}

TEST_F(StreamTest, UnknownAndInvalidIds) {
  auto c = client();
  expect_error(c.Get("/api/stream/999999"), 404);
  expect_error(c.Get("/api/stream/abc"), 400);
  expect_error(c.Get("/api/stream/-1"), 400);
  // An error answered to a ranged request keeps its whole JSON body (the range applies to audio only).
  const auto r = c.Get("/api/stream/999999", {{"Range", "bytes=0-0"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_GT(r->body.size(), 10u) << r->body;
  EXPECT_NE(r->body.find("\"error\""), std::string::npos) << r->body;
}

TEST_F(StreamTest, StaticFilesAndIndex) {
  auto c = client();
  auto r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("Audiorium test page"), std::string::npos);
  r = c.Get("/css/app.css");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "body { color: black }");
  EXPECT_NE(r->get_header_value("Content-Type").find("text/css"), std::string::npos);
  r = c.Get("/missing.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(StreamTest, TraversalNeverLeavesTheWebRoot) {
  const std::string secret = "TOP-SECRET-CONTENT";
  const std::vector<std::string> paths = {
      "/../secret.txt",
      "/../../../../etc/passwd",
      "/%2e%2e/secret.txt",
      "/%2E%2E/%2e%2e/etc/passwd",
      "/css/../../secret.txt",
      "/css/%2e%2e/%2e%2e/secret.txt",
      "/..%2fsecret.txt",
      "/%2e%2e%2fsecret.txt",
      "/api/stream/../../secret.txt",
      "/api/stream/../../etc/passwd",
      "/api/stream/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "/api/stream/1/../../../secret.txt",
      "//etc/passwd",
      "/./../secret.txt",
      "/..\\secret.txt",
  };
  for (const auto& p : paths) {
    const auto r = raw_request(port(), "GET " + p + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(r.body.find(secret), std::string::npos) << p;
    EXPECT_EQ(r.body.find("root:x:0:0"), std::string::npos) << p;
    EXPECT_NE(r.status, 200) << p << " → " << r.head;
  }
}

TEST(ServerStatic, MissingWebRootSaysNotInstalled) {
  audiorium::testing::TempDir tmp;
  auto lib = library::Library::open(tmp / "data");
  ServerOptions o;
  o.port = 0;
  o.web_root = tmp / "no-such-folder";
  Server s(lib, o);
  s.start();
  httplib::Client c("127.0.0.1", s.port());
  auto r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(r->body.find("not installed"), std::string::npos);
  r = c.Get("/api/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(parse_json(r->body)["tracks"], 0);
  s.stop();
}

}  // namespace
}  // namespace audiorium::server::test
