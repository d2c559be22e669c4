// The HTTP server: a JSON API under /api for the web page, audio streaming with HTTP Range, and the static
// files of the web app (web_root). Built on Debian's cpp-httplib, which stays out of this header.
//
// API (every /api response is JSON; errors are {"error": {"code": N, "message": "..."}}):
//   GET    /api/status                          tracks, hours, embedder (the one searched with), model packs and
//                                               why they are or are not used, index, scan errors, version
//   GET    /api/tracks?offset=&limit=           paged track list (limit 1..500, default 50)
//   GET    /api/tracks/{id}                     track, tags, stream facts, descriptors, liked
//   GET    /api/search?q=&k=&seed=&lambda=&temperature=&pool_factor=   text search (as `audiorium --json search`)
//   POST   /api/search/image                    multipart field "image" or a raw image/* body (as `--json image`)
//   GET    /api/searches?limit=                 search history, newest first
//   GET    /api/similar/{id}?k=&seed=&temperature=&pool_factor=         (as `audiorium --json similar`)
//   GET    /api/queue/{id}?length=&seed=&drift=&temperature=&artist_cooldown=   (as `audiorium --json queue`)
//   GET    /api/map                             every analysed track projected to 3D and 2D (PCA, coordinates in
//                                               [-1, 1]) with colour fields, in columns (library/map_json.h)
//   GET    /api/journey?from=&to=&steps=        a path of `steps` tracks (2..100, default 10, both ends included)
//                                               whose sound moves from one track to the other (recommend/journey.h);
//                                               unknown id → 404, bad or missing parameter → 400, no vector → 422
//   GET    /api/stream/{id}                     the file itself; Range: bytes=a-b | a- | -n → 206, bad → 416
//   GET    /api/history?limit=  POST /api/history {"track_id": N, "source": "..."}
//   GET    /api/likes           PUT|DELETE /api/likes/{id}
//   GET    /api/playlists       POST /api/playlists {"name": "...", "track_ids": [...]}
//   GET|PUT|DELETE /api/playlists/{id}   PUT {"name"?, "track_ids"? (replace/reorder), "add"? (append)}
//   GET    /api/playlists/{id}.m3u              extended M3U with #EXTINF lines and absolute paths
//   POST   /api/index                           rescan the music folders given to serve (--music): 202, or 409
//                                                when a scan is running, 400 when no folder was given
//   (/api/status carries "indexing": state idle|running|done|failed|cancelled, progress, the last report)
//   anything else: files under web_root (index.html for folders; no way above it).
//
// Security (server/auth.h): requests from this machine (loopback) need no login. Any other request needs the
// configured user's password by HTTP Basic auth (401 otherwise; 403 when no user exists), and the server refuses
// to listen beyond loopback without a user. The Subsonic API (/rest) always requires the user. File paths come
// only from the catalog (stream, M3U) or the command line (--music), never from a request.
#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace audiorium::library {
class Library;
}
namespace audiorium::packembed {
struct ServingPacks;
}

namespace audiorium::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                   // 0: pick a free port (see Server::port())
  std::filesystem::path web_root;    // empty or missing: "/" says the web app is not installed
  // httplib gives each connection a worker for its keep-alive life, so this is also the most connections served
  // at once (64 clients with 8 workers: 56 wait, up to the keep-alive timeout). Library work stays serialised.
  int threads = 64;
  std::size_t max_upload_bytes = 16 << 20;  // request bodies above this get 413
  // The one user (server/auth.h): required by the Subsonic API and by every request from beyond loopback. The
  // clear password stays in memory (Subsonic token auth needs it); password_hash (auth::hash_password) alone
  // is enough for everything else. All empty: Subsonic refuses every request, loopback only.
  std::string user, password, password_hash;
  // Music folders a background scan indexes at start (when index_on_start) and on POST /api/index.
  std::vector<std::filesystem::path> music_roots;
  bool index_on_start = true;
  int index_jobs = 0;  // 0: all cores
  // The model packs chosen at start (packembed/serving.h); null or without a CLAP pack: dsp-v1 only. With a CLAP
  // pack the library must have been opened with its embedder: similar, queue, map, journeys and Subsonic then
  // use its vectors, /api/search adds its text tower's match, photos go through CLIP when there is one, and the
  // background scan embeds new tracks with it.
  std::shared_ptr<const packembed::ServingPacks> packs;
};

// The folder the build was configured with (<source>/web), the default web root of `audiorium serve`.
std::filesystem::path default_web_root();

class Server {
 public:
  // The library is borrowed and must outlive the server.
  Server(library::Library& library, ServerOptions options);
  ~Server();  // stops (gracefully) if running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving on background threads. Throws audiorium::Error if the address cannot be bound
  // (port taken, bad host) or when already started.
  void start();
  // The bound port (the one chosen when options.port was 0); 0 before start().
  int port() const;
  const ServerOptions& options() const;
  bool running() const;
  // Stops accepting, lets requests in flight finish, joins the threads. Safe to call twice, or before start().
  void stop();
  // Blocks until the server has stopped (by stop() from another thread).
  void wait();

  // Answers raw HTTP/1.1 request bytes as a connection from `remote_ip` would be answered — httplib's request
  // parsing, the login gate, the routes and the error bodies — in the calling thread, with no socket and no
  // start() needed. Pipelined requests are answered in turn (at most kMaxInProcessRequests). Returns the raw
  // response bytes. The entry point of the HTTP fuzz target (fuzz/fuzz_http.cpp).
  static constexpr int kMaxInProcessRequests = 8;
  std::string answer_in_process(std::string_view request, const std::string& remote_ip = "127.0.0.1");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// For `audiorium serve`: starts a server, prints where it listens to `log`, and serves until SIGINT or SIGTERM,
// then stops gracefully. Returns the process exit code (0 after a signal). Throws like Server::start().
int run_server(library::Library& library, const ServerOptions& options, std::ostream& log);

}  // namespace audiorium::server
