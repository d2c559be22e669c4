#include "server/server_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace audiorium::server::test {

namespace fs = std::filesystem;

audiorium::testing::TempDir* ServerTest::tmp_ = nullptr;
std::vector<audiorium::testing::GeneratedTrack> ServerTest::tracks_;
std::unique_ptr<library::Library> ServerTest::library_;
std::unique_ptr<Server> ServerTest::server_;

RawResponse raw_request(int port, const std::string& request) {
  RawResponse out;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return out;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return out;
  }
  std::size_t sent = 0;
  while (sent < request.size()) {
    const auto n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string all;
  char buf[8192];
  // Until the server closes, or the body announced by Content-Length is complete (a server may keep the
  // connection open after an early error answer, waiting for the rest of a body we never send).
  auto complete = [&all] {
    const auto end = all.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    std::string head = all.substr(0, end);
    for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const auto at = head.find("\r\ncontent-length:");
    if (at == std::string::npos) return false;
    const auto length = std::stoul(head.substr(at + 17));
    return all.size() >= end + 4 + length;
  };
  while (!complete()) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    all.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto split = all.find("\r\n\r\n");
  out.head = all.substr(0, split);
  out.body = split == std::string::npos ? "" : all.substr(split + 4);
  if (all.rfind("HTTP/1.", 0) == 0 && all.size() > 12) out.status = std::stoi(all.substr(9, 3));
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json parse_json(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    ADD_FAILURE() << "not JSON: " << body.substr(0, 300);
    return nullptr;
  }
  return j;
}

void ServerTest::SetUpTestSuite() {
  tmp_ = new audiorium::testing::TempDir();
  tracks_ = audiorium::testing::make_style_library(tmp_->path() / "music", 3, 6.0);
  library_ = std::make_unique<library::Library>(library::Library::open(tmp_->path() / "data"));
  library::ScanOptions o;
  o.jobs = 2;
  library_->scan(tmp_->path() / "music", o);
  // The web root, and a secret next to it that must never be served.
  fs::create_directories(tmp_->path() / "web" / "css");
  std::ofstream(tmp_->path() / "web" / "index.html") << "<!doctype html><title>Audiorium test page</title>";
  std::ofstream(tmp_->path() / "web" / "css" / "app.css") << "body { color: black }";
  std::ofstream(tmp_->path() / "secret.txt") << "TOP-SECRET-CONTENT";
  ServerOptions so;
  so.port = 0;
  so.web_root = tmp_->path() / "web";
  so.max_upload_bytes = kMaxUpload;
  server_ = std::make_unique<Server>(*library_, so);
  server_->start();
}

void ServerTest::TearDownTestSuite() {
  if (server_) server_->stop();
  server_.reset();
  library_.reset();
  delete tmp_;
  tmp_ = nullptr;
}

httplib::Client ServerTest::client() const {
  httplib::Client c("127.0.0.1", port());
  c.set_read_timeout(30);
  c.set_connection_timeout(5);
  return c;
}

int64_t ServerTest::first_id() { return library_->catalog().tracks().front().id; }

std::vector<int64_t> ServerTest::all_ids() {
  std::vector<int64_t> ids;
  for (const auto& t : library_->catalog().tracks()) ids.push_back(t.id);
  return ids;
}

nlohmann::json ServerTest::get_json(const std::string& path, int expect_status) const {
  auto c = client();
  auto r = c.Get(path);
  if (!r) {
    ADD_FAILURE() << "GET " << path << " failed: " << httplib::to_string(r.error());
    return nullptr;
  }
  EXPECT_EQ(r->status, expect_status) << path << ": " << r->body.substr(0, 300);
  EXPECT_NE(r->get_header_value("Content-Type").find("application/json"), std::string::npos) << path;
  return parse_json(r->body);
}

std::string ServerTest::expect_error(const httplib::Result& r, int status) const {
  if (!r) {
    ADD_FAILURE() << "request failed: " << httplib::to_string(r.error());
    return "";
  }
  EXPECT_EQ(r->status, status) << r->body.substr(0, 300);
  const auto j = parse_json(r->body);
  if (!j.is_object() || !j.contains("error")) {
    ADD_FAILURE() << "no error object: " << r->body.substr(0, 300);
    return "";
  }
  EXPECT_EQ(j["error"]["code"], status);
  EXPECT_TRUE(j["error"]["message"].is_string());
  EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  return j["error"]["message"].get<std::string>();
}

}  // namespace audiorium::server::test
