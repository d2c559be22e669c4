// Raw HTTP bytes into the real server (src/server/server.h): httplib's request parsing, the login gate, the JSON
// API, the Subsonic API (/rest) and static files, through Server::answer_in_process — the code a connection
// runs, without sockets or threads. The library is small and real: six generated tracks scanned at start (WAV
// and Ogg, made as the server tests make theirs). The user is "fuzz" with password "sesame" (seeds use it, so
// Subsonic's authenticated endpoints are reached). The first byte picks who asks: loopback or another machine.
// Promises: every request gets an answer that starts with an HTTP status line; no handler fails with an
// unexpected exception ("internal error", a 500 from an exception that is not ours); a JSON answer parses; the
// file beside the web root is never served.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "fuzz_support.h"
#include "library/library.h"
#include "server/server.h"
#include "support/generated_library.h"

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSecret = "AUDIORIUM-FUZZ-SECRET-6f1c";

std::unique_ptr<audiorium::library::Library> the_library;
std::unique_ptr<audiorium::server::Server> the_server;

// A broken promise about this answer: show its start, then stop.
void check(bool ok, const char* what, const std::string& out) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_http: answer begins:\n%.*s\n", static_cast<int>(std::min<std::size_t>(out.size(), 800)),
               out.data());
  audiorium::fuzz::broken(what);
}
#define HTTP_CHECK(cond) check((cond), #cond, out)

// The first response of the answer: its status and, for JSON without a transfer coding, whether the body parses.
void check_answer(const std::string& out, bool head_request) {
  HTTP_CHECK(out.rfind("HTTP/1.1 ", 0) == 0 && out.size() >= 12);
  const int status = std::stoi(out.substr(9, 3));
  HTTP_CHECK(status >= 100 && status <= 599);
  const auto end = out.find("\r\n\r\n");
  HTTP_CHECK(end != std::string::npos);
  std::string head = out.substr(0, end);
  for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto body = std::string_view(out).substr(end + 4);
  // The file beside the web root is compared by hash only: a plain comparison would teach libFuzzer its text, which
  // then comes back legitimately (a 404 naming the path, the search history).
  static const std::size_t secret_hash = std::hash<std::string_view>{}(kSecret);
  HTTP_CHECK(std::hash<std::string_view>{}(body) != secret_hash);
  HTTP_CHECK(!(status == 500 && body.find("internal error") != std::string_view::npos));
  const auto length_at = head.find("\r\ncontent-length: ");
  if (head_request || length_at == std::string::npos || head.find("\r\ncontent-encoding:") != std::string::npos ||
      head.find("\r\ncontent-type: application/json") == std::string::npos)
    return;
  const std::size_t length = std::stoul(head.substr(length_at + 18));
  HTTP_CHECK(body.size() >= length);
  const auto j = nlohmann::json::parse(body.substr(0, length), nullptr, false);
  HTTP_CHECK(!j.is_discarded());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace audiorium;
  spdlog::set_level(spdlog::level::err);
  const auto& dir = fuzz::scratch_dir();
  testing::make_style_library(dir / "music", 2, 3.0, ".ogg");
  the_library = std::make_unique<library::Library>(library::Library::open(dir / "data"));
  library::ScanOptions scan;
  scan.jobs = 1;
  the_library->scan(dir / "music", scan);
  fs::create_directories(dir / "web" / "css");
  std::ofstream(dir / "web" / "index.html") << "<!doctype html><title>Audiorium fuzz page</title>";
  std::ofstream(dir / "web" / "css" / "app.css") << "body { color: black }";
  std::ofstream(dir / "secret.txt") << kSecret;
  server::ServerOptions options;
  options.web_root = dir / "web";
  options.user = "fuzz";
  options.password = "sesame";
  options.max_upload_bytes = 1 << 20;
  the_server = std::make_unique<server::Server>(*the_library, options);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string remote = data[0] & 1 ? "192.0.2.7" : "127.0.0.1";
  const std::string_view request(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string out = the_server->answer_in_process(request, remote);
  if (!out.empty()) check_answer(out, request.rfind("HEAD ", 0) == 0);
  return 0;
}
