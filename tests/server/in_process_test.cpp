// Server::answer_in_process, the fuzz target's way in: the same parsing, gate, routes and error bodies as a real
// connection, without a socket.
#include "server/server_fixture.h"

namespace audiorium::server::test {
namespace {

TEST_F(ServerTest, InProcessAnswersLikeAConnection) {
  const std::string status = server_->answer_in_process("GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(status.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << status.substr(0, 200);
  const auto body = parse_json(status.substr(status.find("\r\n\r\n") + 4));
  EXPECT_EQ(body["tracks"], tracks_.size());

  // Beyond loopback, this server (no user) refuses, as it does over TCP.
  const std::string remote = server_->answer_in_process("GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n", "192.0.2.7");
  EXPECT_EQ(remote.rfind("HTTP/1.1 403", 0), 0u) << remote.substr(0, 200);

  // A bad parameter gets our JSON error; a request line httplib cannot parse gets 400.
  const std::string bad = server_->answer_in_process("GET /api/tracks?limit=x HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(bad.rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_NE(bad.find("\"limit must be a whole number"), std::string::npos) << bad;
  EXPECT_EQ(server_->answer_in_process("NONSENSE\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);

  // Pipelined requests are answered in turn; nothing at all gets no answer.
  const std::string two = server_->answer_in_process(
      "GET /api/nope HTTP/1.1\r\nHost: x\r\n\r\nGET /api/tracks?limit=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(two.rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_NE(two.find("HTTP/1.1 200", 1), std::string::npos);
  EXPECT_EQ(server_->answer_in_process(""), "");
}

// Found by fuzz_http: httplib 0.11 cut every routed body to the request's Range, whatever the status, so a PUT
// with "Range: bytes=-10" got a 400 whose JSON error was its last 10 bytes. Only streams answer ranges.
TEST_F(ServerTest, RangeHeaderDoesNotCutApiAnswers) {
  auto c = client();
  const httplib::Headers range{{"Range", "bytes=-10"}};
  for (const std::string path : {"/api/status", "/api/tracks/999999", "/api/tracks?limit=x", "/rest/ping"}) {
    const auto r = c.Get(path, range);
    ASSERT_TRUE(r) << path;
    EXPECT_NE(r->status, 206) << path;
    EXPECT_FALSE(r->has_header("Content-Range")) << path;
    EXPECT_GT(r->body.size(), 10u) << path;
    if (path.rfind("/api/", 0) == 0) {
      EXPECT_FALSE(parse_json(r->body).is_null()) << path << ": " << r->body;
    }
  }
  const auto put = c.Put("/api/playlists/999999", range, "{\"name\": 1}", "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status / 100, 4);
  EXPECT_TRUE(parse_json(put->body).contains("error")) << put->body;
  // Streams still answer the range.
  const auto stream = c.Get("/api/stream/" + std::to_string(first_id()), range);
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->status, 206);
  EXPECT_EQ(stream->body.size(), 10u);
  // A refusal from beyond loopback is not cut either (answered in process: the fixture listens on loopback only).
  const std::string refused =
      server_->answer_in_process("GET /api/status HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\n\r\n", "192.0.2.7");
  EXPECT_EQ(refused.rfind("HTTP/1.1 403", 0), 0u);
  EXPECT_EQ(refused.find("Content-Range"), std::string::npos) << refused;
}

}  // namespace
}  // namespace audiorium::server::test
