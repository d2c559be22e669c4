#include "server/server.h"

#include <pthread.h>
#include <sys/socket.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <ostream>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/ascii.h"
#include "core/error.h"
#include "image/mood.h"
#include "library/background_scan.h"
#include "library/json_views.h"
#include "library/library.h"
#include "library/map_json.h"
#include "packembed/index_pack.h"
#include "packembed/serving.h"
#include "query/parser.h"
#include "recommend/journey.h"
#include "recommend/ordering.h"
#include "recommend/recommender.h"
#include "recommend/search.h"
#include "server/auth.h"
#include "server/guarded_http.h"
#include "server/params.h"
#include "server/subsonic.h"

#ifndef AUDIORIUM_WEB_DIR
#define AUDIORIUM_WEB_DIR "web"
#endif
#ifndef AUDIORIUM_VERSION
#define AUDIORIUM_VERSION "0.0.0"
#endif

namespace audiorium::server {

namespace fs = std::filesystem;
using nlohmann::json;
using catalog::Track;

std::filesystem::path default_web_root() { return fs::path(AUDIORIUM_WEB_DIR); }

namespace {

// --- The library behind one lock ---------------------------------------------------------------------------------

// The Library and its Catalog are single-threaded, while httplib serves requests on a pool of threads. For this
// first increment every use of the library goes through one mutex: handlers copy what they need out under the
// lock and parse parameters, build JSON and move file bytes outside it, so the critical sections stay short.
// Good enough for a personal library and a handful of clients; a later increment can give each worker its own
// read-only Catalog connection (WAL allows concurrent readers) if contention shows up.
class LibraryService {
 public:
  explicit LibraryService(library::Library& library) : library_(library) {}

  template <class F>
  auto with(F&& f) -> decltype(f(std::declval<library::Library&>())) {
    std::lock_guard<std::mutex> lock(mutex_);
    return f(library_);
  }

 private:
  library::Library& library_;
  std::mutex mutex_;
};

// --- JSON shapes (the same as `audiorium --json ...`) -----------------------------------------------------------

using library::track_json;

json track_detail_json(const Track& t) {
  json j = track_json(t);
  j["album_artist"] = t.tags.album_artist;
  j["label"] = t.tags.label;
  j["comment"] = t.tags.comment;
  j["year"] = t.tags.year;
  j["track_number"] = t.tags.track_number;
  j["size_bytes"] = t.size_bytes;
  j["codec"] = t.codec;
  j["sample_rate"] = t.sample_rate;
  j["channels"] = t.channels;
  j["bit_rate"] = t.bit_rate;
  j["stream_url"] = "/api/stream/" + std::to_string(t.id);
  return j;
}

json error_json(int status, const std::string& message) {
  return {{"error", {{"code", status}, {"message", message}}}};
}

void send_json(httplib::Response& res, const json& body, int status = 200) {
  res.status = status;
  // Replace invalid UTF-8 (a tag or path that is not) instead of throwing in the middle of a response.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, error_json(status, message), status);
}

std::uint64_t random_seed() {
  static std::mutex m;
  static std::mt19937_64 engine{std::random_device{}()};
  std::lock_guard<std::mutex> lock(m);
  return engine() % 100000;  // small, so it is easy to retype for a reproduction (as the CLI does)
}

// --- Request helpers ---------------------------------------------------------------------------------------------

std::optional<std::string> param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  return req.get_param_value(name);
}

int64_t int_param(const httplib::Request& req, const char* name, int64_t fallback, int64_t min, int64_t max) {
  const auto v = param(req, name);
  return v ? parse_integer(name, *v, min, max) : fallback;
}

double number_param(const httplib::Request& req, const char* name, double fallback, double min, double max) {
  const auto v = param(req, name);
  return v ? parse_number(name, *v, min, max) : fallback;
}

std::uint64_t seed_param(const httplib::Request& req) {
  const auto v = param(req, "seed");
  return v ? parse_seed("seed", *v) : random_seed();
}

json body_json(const httplib::Request& req) {
  if (req.body.empty()) throw ApiError(400, "this request needs a JSON body");
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded()) throw ApiError(400, "the request body is not valid JSON");
  if (!j.is_object()) throw ApiError(400, "the request body must be a JSON object");
  return j;
}

int64_t json_id(const json& v, const std::string& what) {
  if (v.is_number_integer()) {  // unsigned too; one beyond int64 wraps negative and is refused
    const auto id = v.get<int64_t>();
    if (id > 0) return id;
  }
  throw ApiError(400, what + " must be a positive whole number");
}

std::vector<int64_t> json_ids(const json& body, const char* key) {
  const json& v = body.at(key);
  if (!v.is_array()) throw ApiError(400, std::string(key) + " must be an array of track ids");
  if (v.size() > 10000) throw ApiError(400, std::string(key) + " may hold at most 10000 track ids");
  std::vector<int64_t> out;
  out.reserve(v.size());
  for (const auto& e : v) out.push_back(json_id(e, std::string("each of ") + key));
  return out;
}

std::string json_string(const json& body, const char* key) {
  const json& v = body.at(key);
  if (!v.is_string()) throw ApiError(400, std::string(key) + " must be a string");
  return v.get<std::string>();
}

// The capture group `i` of the route's pattern.
std::string match(const httplib::Request& req, std::size_t i) {
  return i < req.matches.size() ? req.matches[i].str() : std::string();
}

Track require_track(library::Library& lib, int64_t id) {
  auto t = lib.catalog().track(id);
  if (!t) throw ApiError(404, "there is no track with id " + std::to_string(id));
  return *t;
}

// A catalogued track without a vector (not analysed yet, or its audio changed and a scan is redoing it) cannot seed
// a recommendation: 422, not the recommender's internal error.
void require_vector(const recommend::Recommender& rec, int64_t id) {
  if (!rec.vector_of(id)) throw ApiError(422, "track " + std::to_string(id) + " has not been analysed (no embedding)");
}

// --- Content types ----------------------------------------------------------------------------------------------

std::string audio_content_type(const fs::path& path) {
  const std::string ext = ascii_lower(path.extension().string());
  static const std::map<std::string, std::string> types = {
      {".mp3", "audio/mpeg"},   {".mp2", "audio/mpeg"},       {".flac", "audio/flac"},  {".ogg", "audio/ogg"},
      {".oga", "audio/ogg"},    {".opus", "audio/ogg"},       {".spx", "audio/ogg"},    {".m4a", "audio/mp4"},
      {".m4b", "audio/mp4"},    {".mp4", "audio/mp4"},        {".aac", "audio/aac"},    {".wav", "audio/wav"},
      {".aif", "audio/aiff"},   {".aiff", "audio/aiff"},      {".wma", "audio/x-ms-wma"}, {".webm", "audio/webm"},
      {".mka", "audio/x-matroska"}, {".ape", "audio/x-ape"},  {".wv", "audio/x-wavpack"}, {".mpc", "audio/x-musepack"},
  };
  const auto it = types.find(ext);
  return it != types.end() ? it->second : "application/octet-stream";
}

// The server's httplib::Server: deadlines on whole requests (slow clients) and bodies held to the limit
// (GuardedHttpServer), with the per-connection entry point opened up for Server::answer_in_process().
class HttpServer : public GuardedHttpServer {
 public:
  using httplib::Server::process_request;
};

// A connection held in memory: httplib reads the request bytes from `in` and writes its answer to `out`.
class MemoryStream final : public httplib::Stream {
 public:
  MemoryStream(std::string_view in, std::string remote_ip) : in_(in), remote_ip_(std::move(remote_ip)) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const std::size_t n = std::min(size, in_.size() - read_);
    std::copy_n(in_.data() + read_, n, ptr);
    read_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = remote_ip_;
    port = 50000;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 8080;
  }
  socket_t socket() const override { return INVALID_SOCKET; }

  bool exhausted() const { return read_ >= in_.size(); }
  std::string& output() { return out_; }

 private:
  std::string_view in_;
  std::size_t read_ = 0;
  std::string remote_ip_;
  std::string out_;
};

const char* kNotInstalledPage = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Audiorium</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Audiorium</h1>
<p>The server is running, but the web app is not installed: its folder was not found.
Start the server with <code>audiorium serve --web DIR</code> pointing at the <code>web/</code> folder of the
source tree. The JSON API is available under <a href="/api/status"><code>/api/</code></a>.</p>
</body></html>
)html";

}  // namespace

// --- The server ---------------------------------------------------------------------------------------------------

struct Server::Impl {
  Impl(library::Library& library, ServerOptions opts)
      : service(library),
        embedder_id(library.embedder().id()),
        options(std::move(opts)),
        authenticator(std::make_shared<auth::Authenticator>(
            auth::Account{options.user, options.password, options.password_hash})) {
    if (!options.music_roots.empty()) {
      library::ScanOptions scan;
      scan.jobs = options.index_jobs;
      indexer = std::make_unique<library::BackgroundScan>(library.data_dir(), options.music_roots, scan,
                                                          pack_after_scan());
    }
  }

  bool uses_pack() const { return options.packs && options.packs->uses_pack(); }
  // With a CLAP pack, the background scan embeds the tracks that have no vector of it yet (incremental).
  library::AfterScan pack_after_scan() const {
    if (!uses_pack()) return {};
    return [packs = options.packs, jobs = options.index_jobs](catalog::Catalog& catalog, const std::atomic<bool>& cancel,
                                                               const std::function<void(const std::string&)>& say) {
      const packembed::PackEmbedder embedder(packs->clap);
      packembed::PackIndexOptions o;
      o.jobs = jobs;
      o.cancel = &cancel;
      o.on_progress = [&](const packembed::PackIndexProgress& p) {
        say("embedding with " + embedder.id() + ": " + std::to_string(p.embedded) + "/" + std::to_string(p.to_embed));
      };
      const auto r = packembed::embed_missing(catalog, embedder, o);
      say(embedder.id() + ": " + std::to_string(r.embedded) + " embedded, " + std::to_string(r.already) +
          " already had a vector, " + std::to_string(r.failed) + " failed");
    };
  }

  LibraryService service;
  // Whose vectors answer (dsp-v1 or a model pack's): the library's embedder is fixed for the server's life, so it is
  // read once here, not under the library lock on every request.
  const std::string embedder_id;
  ServerOptions options;
  std::shared_ptr<const auth::Authenticator> authenticator;
  std::unique_ptr<library::BackgroundScan> indexer;  // null without music folders
  HttpServer http;
  std::thread thread;
  std::atomic<int> bound_port{0};
  std::atomic<bool> started{false};
  std::mutex state_mutex;
  std::condition_variable stopped_cv;
  bool stopped = false;

  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  // Runs a handler, turning exceptions into JSON errors.
  static void guarded(const Handler& h, const httplib::Request& req, httplib::Response& res) {
    try {
      h(req, res);
    } catch (const ApiError& e) {
      if (e.status() == 416) res.set_header("Content-Range", "bytes */*");
      send_error(res, e.status(), e.what());
    } catch (const json::exception& e) {
      send_error(res, 400, std::string("bad JSON body: ") + e.what());
    } catch (const Error& e) {
      send_error(res, 500, e.what());
    } catch (const std::exception& e) {
      spdlog::error("{} {}: {}", req.method, req.path, e.what());
      send_error(res, 500, std::string("internal error: ") + e.what());
    }
  }

  void route(const std::string& method, const std::string& pattern, Handler h) {
    auto wrapped = [h = std::move(h)](const httplib::Request& req, httplib::Response& res) { guarded(h, req, res); };
    if (method == "GET") http.Get(pattern, wrapped);
    else if (method == "POST") http.Post(pattern, wrapped);
    else if (method == "PUT") http.Put(pattern, wrapped);
    else if (method == "DELETE") http.Delete(pattern, wrapped);
    routes[pattern].insert(method);
    pattern_order.push_back(pattern);
  }
  std::map<std::string, std::set<std::string>> routes;  // pattern → methods, for 405 answers
  std::vector<std::string> pattern_order;

  void install_routes();
  void install_method_not_allowed();
  void install_static();

  // Handlers.
  void status(const httplib::Request&, httplib::Response&);
  json packs_json() const;
  void index_post(const httplib::Request&, httplib::Response&);
  json indexing_json() const;
  void install_gate();
  void tracks(const httplib::Request&, httplib::Response&);
  void track(const httplib::Request&, httplib::Response&);
  void search(const httplib::Request&, httplib::Response&);
  void search_image(const httplib::Request&, httplib::Response&);
  void searches(const httplib::Request&, httplib::Response&);
  void similar(const httplib::Request&, httplib::Response&);
  void queue(const httplib::Request&, httplib::Response&);
  void map(const httplib::Request&, httplib::Response&);
  void journey(const httplib::Request&, httplib::Response&);
  void stream(const httplib::Request&, httplib::Response&);
  void stream_track(int64_t id, const httplib::Request&, httplib::Response&);
  void history_get(const httplib::Request&, httplib::Response&);
  void history_post(const httplib::Request&, httplib::Response&);
  void likes_get(const httplib::Request&, httplib::Response&);
  void like_set(const httplib::Request&, httplib::Response&, bool on);
  void playlists_get(const httplib::Request&, httplib::Response&);
  void playlists_post(const httplib::Request&, httplib::Response&);
  void playlist_get(const httplib::Request&, httplib::Response&);
  void playlist_put(const httplib::Request&, httplib::Response&);
  void playlist_delete(const httplib::Request&, httplib::Response&);
  void playlist_m3u(const httplib::Request&, httplib::Response&);

  json playlist_json(library::Library& lib, int64_t id);

  // The last /api/map body and the map it was made from: repeated requests send the same bytes.
  std::mutex map_cache_mutex;
  std::shared_ptr<const library::LibraryMap> map_cache_for;
  std::shared_ptr<const std::string> map_cache_body;
  json search_response_json(const recommend::SearchResponse& response, std::uint64_t seed, json extra);
  json results_json(int64_t seed_id, const std::vector<recommend::Candidate>& results, std::uint64_t seed,
                    const json& options_json);
};

void Server::Impl::install_routes() {
  using R = const httplib::Request&;
  using W = httplib::Response&;
  route("GET", "/api/status", [this](R q, W s) { status(q, s); });
  route("POST", "/api/index", [this](R q, W s) { index_post(q, s); });
  route("GET", "/api/tracks", [this](R q, W s) { tracks(q, s); });
  route("GET", "/api/tracks/([^/]+)", [this](R q, W s) { track(q, s); });
  route("GET", "/api/search", [this](R q, W s) { search(q, s); });
  route("POST", "/api/search/image", [this](R q, W s) { search_image(q, s); });
  route("GET", "/api/searches", [this](R q, W s) { searches(q, s); });
  route("GET", "/api/similar/([^/]+)", [this](R q, W s) { similar(q, s); });
  route("GET", "/api/queue/([^/]+)", [this](R q, W s) { queue(q, s); });
  route("GET", "/api/map", [this](R q, W s) { map(q, s); });
  route("GET", "/api/journey", [this](R q, W s) { journey(q, s); });
  route("GET", "/api/stream/([^/]+)", [this](R q, W s) { stream(q, s); });
  route("GET", "/api/history", [this](R q, W s) { history_get(q, s); });
  route("POST", "/api/history", [this](R q, W s) { history_post(q, s); });
  route("GET", "/api/likes", [this](R q, W s) { likes_get(q, s); });
  route("PUT", "/api/likes/([^/]+)", [this](R q, W s) { like_set(q, s, true); });
  route("DELETE", "/api/likes/([^/]+)", [this](R q, W s) { like_set(q, s, false); });
  route("GET", "/api/playlists", [this](R q, W s) { playlists_get(q, s); });
  route("POST", "/api/playlists", [this](R q, W s) { playlists_post(q, s); });
  route("GET", R"(/api/playlists/([^/.]+)\.m3u8?)", [this](R q, W s) { playlist_m3u(q, s); });
  route("GET", "/api/playlists/([^/.]+)", [this](R q, W s) { playlist_get(q, s); });
  route("PUT", "/api/playlists/([^/.]+)", [this](R q, W s) { playlist_put(q, s); });
  route("DELETE", "/api/playlists/([^/.]+)", [this](R q, W s) { playlist_delete(q, s); });
  install_method_not_allowed();
  subsonic::install(http, authenticator,
                    {[this](const std::function<void(library::Library&)>& f) { service.with(f); },
                     [this](int64_t id, R q, W s) { stream_track(id, q, s); }});
}

// A known path with the wrong method gets 405 and an Allow header; an unknown /api path gets a JSON 404.
void Server::Impl::install_method_not_allowed() {
  static const char* const kMethods[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};
  std::set<std::string> done;
  for (const auto& pattern : pattern_order) {
    if (!done.insert(pattern).second) continue;
    const auto& allowed = routes[pattern];
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    auto handler = [allow](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", allow);
      send_error(res, 405, req.method + " is not allowed on " + req.path + " (allowed: " + allow + ")");
    };
    for (const char* m : kMethods) {
      if (allowed.count(m)) continue;
      const std::string method = m;
      if (method == "GET") http.Get(pattern, handler);
      else if (method == "POST") http.Post(pattern, handler);
      else if (method == "PUT") http.Put(pattern, handler);
      else if (method == "DELETE") http.Delete(pattern, handler);
      else http.Patch(pattern, handler);
    }
  }
  auto not_found = [](const httplib::Request& req, httplib::Response& res) {
    send_error(res, 404, "no API endpoint " + req.method + " " + req.path);
  };
  const std::string any_api = "/api(/.*)?";
  http.Get(any_api, not_found);
  http.Post(any_api, not_found);
  http.Put(any_api, not_found);
  http.Delete(any_api, not_found);
  http.Patch(any_api, not_found);
}

void Server::Impl::install_static() {
  std::error_code ec;
  const bool have_web = !options.web_root.empty() && fs::is_directory(options.web_root, ec);
  // httplib's mount point serves files below the folder only: it rejects paths that climb above it (after
  // percent-decoding), and answers folders with their index.html. Files are looked up before the API routes,
  // so a web folder must not contain an "api" folder.
  if (have_web && !http.set_mount_point("/", options.web_root.string()))
    throw Error("cannot serve the web app from " + options.web_root.string());
  // Reached only when no file answered "/": no web folder, or one without index.html.
  http.Get("/", [have_web, root = options.web_root](const httplib::Request&, httplib::Response& res) {
    if (have_web) spdlog::warn("the web folder {} has no index.html", root.string());
    res.status = 200;
    res.set_content(kNotInstalledPage, "text/html; charset=utf-8");
  });
}

// --- Handlers ----------------------------------------------------------------------------------------------------

void Server::Impl::status(const httplib::Request&, httplib::Response& res) {
  struct Facts {
    catalog::LibraryStats stats;
    library::IndexInfo index;
    std::string embedder;
    std::string data_dir;
  };
  const auto f = service.with([](library::Library& lib) {
    return Facts{lib.catalog().stats(), lib.index_info(), lib.embedder().id(), lib.data_dir().string()};
  });
  json embedders = json::object();
  for (const auto& [name, n] : f.stats.vectors_per_embedder) embedders[name] = n;
  // Every embedder with vectors in the catalog (dsp-v1, and e.g. clap.<pack>.<version> after `audiorium index
  // --embedder clap`) and whether the server uses it: the one its library was opened with (packembed/serving.h).
  json available = json::array();
  for (const auto& [name, n] : f.stats.vectors_per_embedder)
    available.push_back({{"id", name}, {"vectors", n}, {"used_for_search", name == f.embedder}});
  send_json(res, {{"version", AUDIORIUM_VERSION},
                  {"tracks", f.stats.tracks},
                  {"hours", f.stats.total_duration_s / 3600.0},
                  {"embedder", f.embedder},
                  {"search_embedder", f.embedder},
                  {"embedders", embedders},
                  {"embedders_available", available},
                  {"model_packs_in_server", uses_pack()},
                  {"model_packs", packs_json()},
                  {"index", {{"embedder", f.index.embedder}, {"type", f.index.factory}, {"size", f.index.vectors},
                             {"dim", f.index.dim}}},
                  {"scan_errors", f.stats.scan_errors},
                  {"indexing", indexing_json()},
                  {"data_dir", f.data_dir}});
}

json Server::Impl::packs_json() const {
  auto describe = [](const std::shared_ptr<packembed::Pack>& p) -> json {
    if (!p) return nullptr;
    const auto& s = p->spec();
    return {{"name", s.name}, {"kind", s.kind}, {"version", s.version}, {"dim", s.embedding_dim},
            {"embedder", p->embedder_id()}, {"towers", s.towers()}, {"dir", s.dir.string()}};
  };
  const auto* packs = options.packs.get();
  const bool clap_text = packs && packs->clap && packs->clap->has_text();
  return {{"requested", packs ? packs->requested : std::string("dsp-v1")},
          {"clap", describe(packs ? packs->clap : nullptr)},
          {"clip", describe(packs ? packs->clip : nullptr)},
          {"text_search", clap_text ? "CLAP text tower, vocabulary and tags" : "vocabulary and tags"},
          {"image_search", packs && packs->clip ? "CLIP mood prompts into CLAP, and colour/texture mood"
                                                : "colour and texture mood"},
          {"notes", packs ? packs->notes : std::vector<std::string>{"no model packs looked for"}}};
}

json Server::Impl::indexing_json() const {
  if (!indexer) return {{"state", "idle"}, {"available", false}};
  const auto st = indexer->status();
  json roots = json::array();
  for (const auto& r : st.roots) roots.push_back(r.string());
  json j{{"available", true},
         {"state", library::to_string(st.state)},
         {"phase", st.phase},
         {"roots", roots},
         {"root_index", st.root_index},
         {"runs", st.runs},
         {"started_at", st.started_at},
         {"finished_at", st.finished_at}};
  if (st.state == library::BackgroundScanStatus::State::running) {
    const auto& p = st.progress;
    j["progress"] = {{"to_analyse", p.to_analyse}, {"analysed", p.analysed}, {"failed", p.failed},
                     {"tracks_per_s", p.tracks_per_s}, {"eta_s", p.eta_s},
                     {"current", fs::path(p.current).filename().string()}};
  }
  if (st.report) {
    const auto& r = *st.report;
    j["report"] = {{"files_found", r.files_found}, {"unchanged", r.unchanged}, {"added", r.added},
                   {"updated", r.updated}, {"moved", r.moved}, {"removed", r.removed}, {"failed", r.failed},
                   {"skipped", r.skipped}, {"seconds", r.seconds}};
  }
  if (!st.after_scan.empty()) j["after_scan"] = st.after_scan;
  if (!st.error.empty()) j["error"] = st.error;
  return j;
}

void Server::Impl::index_post(const httplib::Request&, httplib::Response& res) {
  if (!indexer)
    throw ApiError(400, "no music folder to index: start the server with `audiorium serve --music DIR`");
  if (!indexer->start()) throw ApiError(409, "a scan is already running; see /api/status");
  send_json(res, {{"indexing", indexing_json()}}, 202);
}

// Before any routing (static files included): requests from beyond loopback must log in.
void Server::Impl::install_gate() {
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    using HR = httplib::Server::HandlerResponse;
    // httplib 0.11 cuts every routed answer's body to a Range header, whatever the status: a JSON error came out
    // as 10 bytes of broken JSON (found by fuzz_http). Only static files keep httplib's ranges; our answers are
    // never partial, except streams, which answer ranges themselves (stream_track). The Request object is not
    // const in httplib; only the handler's view is.
    const auto under = [&](std::string_view root) {
      return req.path == root || req.path.rfind(std::string(root) + "/", 0) == 0;
    };
    if (under("/api") || under("/rest")) const_cast<httplib::Request&>(req).ranges.clear();
    // A NUL in the decoded path cuts a file name short: "/index.html%00.png" was served as index.html, typed PNG.
    if (req.path.find('\0') != std::string::npos) {
      const_cast<httplib::Request&>(req).ranges.clear();
      send_error(res, 400, "the request path contains a NUL byte (%00)");
      return HR::Handled;
    }
    switch (auth::gate_request(*authenticator, req.remote_addr, req.path, req.get_header_value("Authorization"))) {
      case auth::Gate::allow:
        return HR::Unhandled;
      case auth::Gate::login_required:
        const_cast<httplib::Request&>(req).ranges.clear();  // a refusal is never partial
        res.set_header("WWW-Authenticate", "Basic realm=\"Audiorium\", charset=\"UTF-8\"");
        send_error(res, 401, "log in with the server's user and password (only requests from this machine need none)");
        return HR::Handled;
      case auth::Gate::no_account:
        const_cast<httplib::Request&>(req).ranges.clear();
        send_error(res, 403, "this server has no user, so it answers only requests from this machine; start it "
                             "with --user and --password to let others in");
        return HR::Handled;
    }
    return HR::Unhandled;
  });
}

void Server::Impl::tracks(const httplib::Request& req, httplib::Response& res) {
  const int64_t offset = int_param(req, "offset", 0, 0, std::numeric_limits<int32_t>::max());
  const int64_t limit = int_param(req, "limit", 50, 1, 500);
  std::vector<Track> page;
  std::size_t total = 0;
  service.with([&](library::Library& lib) {
    // The whole list is read for now; a paged catalog query is an easy later step if libraries get huge.
    auto all = lib.catalog().tracks();
    total = all.size();
    const auto first = std::min<std::size_t>(total, static_cast<std::size_t>(offset));
    const auto last = std::min<std::size_t>(total, first + static_cast<std::size_t>(limit));
    page.assign(std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(first)),
                std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(last)));
  });
  json items = json::array();
  for (const auto& t : page) items.push_back(track_json(t));
  send_json(res, {{"offset", offset}, {"limit", limit}, {"total", total}, {"tracks", items}});
}

void Server::Impl::track(const httplib::Request& req, httplib::Response& res) {
  const int64_t id = parse_id("track", match(req, 1));
  Track t;
  std::vector<std::pair<std::string, double>> descriptors;
  bool liked = false;
  service.with([&](library::Library& lib) {
    t = require_track(lib, id);
    descriptors = lib.catalog().descriptors(id);
    const auto likes = lib.catalog().liked();
    liked = std::binary_search(likes.begin(), likes.end(), id);
  });
  json j = track_detail_json(t);
  json d = json::object();
  for (const auto& [name, value] : descriptors) d[name] = value;
  j["descriptors"] = d;
  j["liked"] = liked;
  send_json(res, j);
}

recommend::SearchOptions search_options(const httplib::Request& req, std::uint64_t seed) {
  recommend::SearchOptions o;
  o.k = static_cast<int>(int_param(req, "k", 10, 1, 100));
  o.pool_factor = number_param(req, "pool_factor", o.pool_factor, 1.0, 100.0);
  o.temperature = number_param(req, "temperature", o.temperature, 0.0, 10.0);
  o.lambda = number_param(req, "lambda", o.lambda, 0.0, 1.0);
  o.max_per_artist = static_cast<int>(int_param(req, "max_per_artist", o.max_per_artist, 0, 1000));
  o.max_per_album = static_cast<int>(int_param(req, "max_per_album", o.max_per_album, 0, 1000));
  o.seed = seed;
  return o;
}

json Server::Impl::search_response_json(const recommend::SearchResponse& response, std::uint64_t seed, json out) {
  // Tracks copied out under the lock; the JSON is built outside it.
  std::map<int64_t, Track> tracks;
  service.with([&](library::Library& lib) {
    for (const auto& r : response.results)
      if (auto t = lib.catalog().track(r.id)) tracks.emplace(r.id, std::move(*t));
  });
  return library::search_response_json(response, tracks, seed, std::move(out));
}

void Server::Impl::search(const httplib::Request& req, httplib::Response& res) {
  const auto q = param(req, "q");
  if (!q || q->find_first_not_of(" \t\r\n") == std::string::npos)
    throw ApiError(400, "q (what you want to hear) is required, e.g. /api/search?q=slow+dark+piano");
  if (q->size() > query::ParsedQuery::kMaxInputBytes)
    throw ApiError(400, "q is too long (at most " + std::to_string(query::ParsedQuery::kMaxInputBytes) + " bytes)");
  const auto seed = seed_param(req);
  const auto opts = search_options(req, seed);
  recommend::SearchRequest request;
  request.parsed = query::parse_query(*q);  // pure: outside the lock
  if (uses_pack() && options.packs->clap->has_text())  // the tower serialises its own calls: outside the lock too
    request.model_query = recommend::ModelQuery{options.packs->text_query(*q), "CLAP text", true};
  std::vector<std::string> notes;
  auto response = service.with([&](library::Library& lib) {
    if (request.parsed.track_reference) {
      const auto ids = lib.catalog().find_tracks(*request.parsed.track_reference, 1);
      if (ids.empty()) notes.push_back("no track matches '" + *request.parsed.track_reference + "'");
      else request.anchor_track = ids.front();
    }
    auto r = lib.search_engine().search(request, opts);
    lib.catalog().add_search(*q, "text");
    return r;
  });
  response.notes.insert(response.notes.begin(), notes.begin(), notes.end());
  json extra{{"query", *q}, {"embedder", embedder_id}};
  if (request.anchor_track) extra["reference_track_id"] = *request.anchor_track;
  send_json(res, search_response_json(response, seed, std::move(extra)));
}

void Server::Impl::search_image(const httplib::Request& req, httplib::Response& res) {
  const std::string* bytes = nullptr;
  std::string name = "upload";
  if (req.is_multipart_form_data()) {
    if (!req.has_file("image"))
      throw ApiError(400, "the multipart upload needs a field named \"image\" holding the picture");
    const auto& file = req.files.find("image")->second;
    const auto& type = file.content_type;
    if (!type.empty() && type.rfind("image/", 0) != 0 && type != "application/octet-stream")
      throw ApiError(415, "the \"image\" field has Content-Type " + type + "; upload a JPEG, PNG, WebP or HEIC image");
    bytes = &file.content;
    if (!file.filename.empty()) name = file.filename;
  } else {
    const std::string type = req.get_header_value("Content-Type");
    if (type.rfind("image/", 0) != 0)
      throw ApiError(415, "upload an image: a multipart form with a field \"image\", or a raw body with an image/* "
                          "Content-Type (got " + (type.empty() ? std::string("none") : type) + ")");
    bytes = &req.body;
  }
  if (bytes->empty()) throw ApiError(400, "the uploaded image is empty");
  if (bytes->size() > options.max_upload_bytes)
    throw ApiError(413, "the image is larger than " + std::to_string(options.max_upload_bytes) + " bytes");
  const auto seed = seed_param(req);
  const auto opts = search_options(req, seed);

  image::ImageMood mood;
  try {
    image::ImageLimits limits;
    limits.max_bytes = options.max_upload_bytes;
    mood = image::analyse_image_bytes(
        std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size()), limits,
        name);
  } catch (const Error& e) {
    throw ApiError(400, e.what());  // the decoder's message: not an image, truncated, too many pixels, ...
  }
  recommend::SearchRequest request;
  request.extra_targets = image::mood_targets(mood);
  json moods = json::array();
  if (uses_pack() && options.packs->clip) {
    packembed::BridgeResult bridge;
    try {
      bridge = options.packs->image_query(
          std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size()), name);
    } catch (const Error& e) {
      throw ApiError(400, e.what());
    }
    request.model_query = recommend::ModelQuery{bridge.query, "photo via CLIP → CLAP", false};
    for (const auto& c : bridge.chosen) {
      const auto& p = packembed::mood_prompts()[c.prompt];
      moods.push_back({{"image_prompt", p.image_prompt}, {"music_prompt", p.music_prompt}, {"weight", c.probability}});
    }
  }
  auto response = service.with([&](library::Library& lib) {
    auto r = lib.search_engine().search(request, opts);
    lib.catalog().add_search(name, "image");
    return r;
  });
  const auto words = image::mood_words(mood);
  json extra{{"image", name},
             {"embedder", embedder_id},
             {"moods", moods},
             {"mood", {{"words", words}, {"format", mood.format}, {"brightness", mood.brightness},
                       {"saturation", mood.saturation}, {"warmth", mood.warmth}, {"contrast", mood.contrast},
                       {"colourfulness", mood.colourfulness}, {"edge_density", mood.edge_density},
                       {"width", mood.width}, {"height", mood.height}}}};
  send_json(res, search_response_json(response, seed, std::move(extra)));
}

void Server::Impl::searches(const httplib::Request& req, httplib::Response& res) {
  const int limit = static_cast<int>(int_param(req, "limit", 100, 1, 1000));
  const auto entries = service.with([&](library::Library& lib) { return lib.catalog().searches(limit); });
  json items = json::array();
  for (const auto& e : entries) items.push_back({{"id", e.id}, {"query", e.query}, {"kind", e.kind}, {"at", e.at_unix}});
  send_json(res, {{"searches", items}});
}

json Server::Impl::results_json(int64_t seed_id, const std::vector<recommend::Candidate>& results,
                                 std::uint64_t seed, const json& options_json) {
  std::optional<Track> seed_track;
  std::map<int64_t, Track> tracks;
  service.with([&](library::Library& lib) {
    seed_track = lib.catalog().track(seed_id);
    for (const auto& r : results)
      if (auto t = lib.catalog().track(r.id)) tracks.emplace(r.id, std::move(*t));
  });
  auto out = library::candidates_json(seed_track, results, tracks, seed, options_json);
  out["embedder"] = embedder_id;
  return out;
}

void Server::Impl::similar(const httplib::Request& req, httplib::Response& res) {
  const int64_t id = parse_id("track", match(req, 1));
  const int k = static_cast<int>(int_param(req, "k", 10, 1, 100));
  const double pool_factor = number_param(req, "pool_factor", 3.0, 1.0, 100.0);
  const double temperature = number_param(req, "temperature", 0.05, 0.0, 10.0);
  const auto seed = seed_param(req);
  const recommend::OrderingOptions o{k, pool_factor, temperature, seed};
  const auto results = service.with([&](library::Library& lib) {
    require_track(lib, id);
    const auto rec = lib.recommender();
    require_vector(rec, id);
    return rec.similar(id, o);
  });
  send_json(res, results_json(id, results, seed, {{"k", k}, {"pool_factor", pool_factor}, {"temperature", temperature}}));
}

void Server::Impl::queue(const httplib::Request& req, httplib::Response& res) {
  const int64_t id = parse_id("track", match(req, 1));
  const int length = static_cast<int>(int_param(req, "length", 20, 1, 500));
  const double drift = number_param(req, "drift", 0.3, 0.0, 1.0);
  const double temperature = number_param(req, "temperature", 0.05, 0.0, 10.0);
  const int cooldown = static_cast<int>(int_param(req, "artist_cooldown", 2, 0, 100));
  const auto seed = seed_param(req);
  recommend::QueueOptions q;
  q.ordering.temperature = temperature;
  q.ordering.seed = seed;
  q.drift = drift;
  q.artist_cooldown = cooldown;
  const auto results = service.with([&](library::Library& lib) {
    require_track(lib, id);
    auto rec = lib.recommender();
    require_vector(rec, id);
    recommend::QueueSession session(rec, lib.track_source(), id, q);
    return session.take(length);
  });
  send_json(res, results_json(id, results, seed,
                              {{"length", length}, {"drift", drift}, {"temperature", temperature},
                               {"artist_cooldown", cooldown}}));
}

void Server::Impl::map(const httplib::Request&, httplib::Response& res) {
  // The projection is cached per catalog generation by the Library; the JSON per map here, built outside the lock.
  const auto m = service.with([](library::Library& lib) { return lib.map(); });
  std::shared_ptr<const std::string> body;
  {
    std::lock_guard<std::mutex> lock(map_cache_mutex);
    if (map_cache_for == m) body = map_cache_body;
  }
  if (!body) {
    body = std::make_shared<const std::string>(
        library::map_json(*m).dump(-1, ' ', false, json::error_handler_t::replace));
    std::lock_guard<std::mutex> lock(map_cache_mutex);
    map_cache_for = m;
    map_cache_body = body;
  }
  res.status = 200;
  res.set_content(*body, "application/json; charset=utf-8");
}

void Server::Impl::journey(const httplib::Request& req, httplib::Response& res) {
  const auto from_text = param(req, "from"), to_text = param(req, "to");
  if (!from_text || !to_text) throw ApiError(400, "from and to (track ids) are required, e.g. /api/journey?from=1&to=2");
  const int64_t from = parse_id("from", *from_text);
  const int64_t to = parse_id("to", *to_text);
  const int steps = static_cast<int>(int_param(req, "steps", 10, 2, 100));
  std::vector<recommend::JourneyStep> path;
  std::map<int64_t, Track> tracks;
  service.with([&](library::Library& lib) {
    require_track(lib, from);
    require_track(lib, to);
    auto rec = lib.recommender();
    for (const int64_t id : {from, to}) require_vector(rec, id);
    path = recommend::journey(rec, from, to, steps);
    for (const auto& s : path)
      if (auto t = lib.catalog().track(s.id)) tracks.emplace(s.id, std::move(*t));
  });
  json items = json::array();
  for (const auto& s : path) {
    const auto it = tracks.find(s.id);
    if (it == tracks.end()) continue;
    auto j = library::track_json(it->second);
    j["step"] = items.size();
    j["similarity_to_previous"] = s.cosine_to_previous;
    j["similarity_to_end"] = s.cosine_to_end;
    items.push_back(std::move(j));
  }
  send_json(res, {{"from", from}, {"to", to}, {"steps", steps}, {"tracks", std::move(items)}});
}

void Server::Impl::stream(const httplib::Request& req, httplib::Response& res) {
  stream_track(parse_id("track", match(req, 1)), req, res);
}

void Server::Impl::stream_track(int64_t id, const httplib::Request& req, httplib::Response& res) {
  // The path comes from the catalog only; nothing the client sends reaches the file system.
  // We answer ranges ourselves (httplib 0.11 does not check them against the size, and would slice again —
  // error bodies included, so this comes before anything can fail): the ranges it parsed are dropped.
  // The Request object is not const in httplib; only the handler's view is.
  const_cast<httplib::Request&>(req).ranges.clear();
  const fs::path path = service.with([&](library::Library& lib) { return fs::path(require_track(lib, id).path); });
  auto file = std::make_shared<std::ifstream>(path, std::ios::binary);
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (!*file || ec) throw ApiError(404, "the file of track " + std::to_string(id) + " cannot be read: " + path.string());

  std::optional<ByteRange> range;
  try {
    range = parse_range(req.get_header_value("Range"), size);
  } catch (const ApiError&) {
    res.set_header("Content-Range", "bytes */" + std::to_string(size));
    throw;
  }
  const std::uint64_t first = range ? range->first : 0;
  const std::uint64_t length = range ? range->length() : size;
  res.set_header("Accept-Ranges", "bytes");
  res.set_header("Cache-Control", "no-cache");
  if (range) {
    res.status = 206;
    res.set_header("Content-Range", "bytes " + std::to_string(range->first) + "-" + std::to_string(range->last) + "/" +
                                        std::to_string(size));
  } else {
    res.status = 200;
  }
  // Streamed in blocks as the client reads: a large file is never held in memory.
  res.set_content_provider(
      static_cast<std::size_t>(length), audio_content_type(path),
      [file, first, length](std::size_t offset, std::size_t want, httplib::DataSink& sink) {
        if (offset >= length) return true;
        char buf[64 * 1024];
        const std::size_t n = std::min<std::size_t>({want, sizeof buf, static_cast<std::size_t>(length - offset)});
        file->clear();
        file->seekg(static_cast<std::streamoff>(first + offset));
        file->read(buf, static_cast<std::streamsize>(n));
        const auto got = file->gcount();
        if (got <= 0) return false;  // the file shrank under us: abort the response
        return sink.write(buf, static_cast<std::size_t>(got));
      });
}

void Server::Impl::history_get(const httplib::Request& req, httplib::Response& res) {
  const int limit = static_cast<int>(int_param(req, "limit", 100, 1, 1000));
  std::vector<catalog::HistoryEntry> entries;
  std::map<int64_t, Track> tracks;
  service.with([&](library::Library& lib) {
    entries = lib.catalog().history(limit);
    for (const auto& e : entries)
      if (!tracks.count(e.track_id))
        if (auto t = lib.catalog().track(e.track_id)) tracks.emplace(e.track_id, std::move(*t));
  });
  json items = json::array();
  for (const auto& e : entries) {
    json j{{"id", e.id}, {"track_id", e.track_id}, {"played_at", e.played_at_unix}, {"source", e.source}};
    const auto it = tracks.find(e.track_id);
    j["track"] = it != tracks.end() ? track_json(it->second) : json();
    items.push_back(j);
  }
  send_json(res, {{"history", items}});
}

void Server::Impl::history_post(const httplib::Request& req, httplib::Response& res) {
  const json body = body_json(req);
  if (!body.contains("track_id")) throw ApiError(400, "the body needs \"track_id\"");
  const int64_t id = json_id(body["track_id"], "track_id");
  const std::string source = body.contains("source") ? json_string(body, "source") : "web";
  if (source.size() > 100) throw ApiError(400, "source is too long (at most 100 bytes)");
  service.with([&](library::Library& lib) {
    require_track(lib, id);
    lib.catalog().add_history(id, source);
  });
  send_json(res, {{"track_id", id}, {"source", source}, {"recorded", true}}, 201);
}

void Server::Impl::likes_get(const httplib::Request&, httplib::Response& res) {
  std::vector<Track> tracks;
  service.with([&](library::Library& lib) {
    for (const auto id : lib.catalog().liked())
      if (auto t = lib.catalog().track(id)) tracks.push_back(std::move(*t));
  });
  json items = json::array();
  for (const auto& t : tracks) items.push_back(track_json(t));
  send_json(res, {{"likes", items}});
}

void Server::Impl::like_set(const httplib::Request& req, httplib::Response& res, bool on) {
  const int64_t id = parse_id("track", match(req, 1));
  service.with([&](library::Library& lib) {
    require_track(lib, id);
    lib.catalog().like(id, on);
  });
  send_json(res, {{"track_id", id}, {"liked", on}});
}

json Server::Impl::playlist_json(library::Library& lib, int64_t id) {
  const auto p = lib.catalog().playlist(id);
  if (!p) throw ApiError(404, "there is no playlist with id " + std::to_string(id));
  json items = json::array();
  for (const auto tid : lib.catalog().playlist_tracks(id))
    if (auto t = lib.catalog().track(tid)) items.push_back(track_json(*t));
  return {{"id", p->id}, {"name", p->name}, {"created_at", p->created_at_unix}, {"track_count", p->track_count},
          {"tracks", items}};
}

void Server::Impl::playlists_get(const httplib::Request&, httplib::Response& res) {
  const auto lists = service.with([](library::Library& lib) { return lib.catalog().playlists(); });
  json items = json::array();
  for (const auto& p : lists)
    items.push_back({{"id", p.id}, {"name", p.name}, {"created_at", p.created_at_unix}, {"track_count", p.track_count}});
  send_json(res, {{"playlists", items}});
}

namespace {

std::string checked_name(const json& body) {
  std::string name = json_string(body, "name");
  if (name.find_first_not_of(" \t\r\n") == std::string::npos) throw ApiError(400, "a playlist needs a name");
  if (name.size() > 200) throw ApiError(400, "the playlist name is too long (at most 200 bytes)");
  return name;
}

void require_tracks(library::Library& lib, const std::vector<int64_t>& ids) {
  for (const auto id : ids) require_track(lib, id);
}

void require_free_name(library::Library& lib, const std::string& name, int64_t self) {
  if (const auto other = lib.catalog().playlist_by_name(name); other && *other != self)
    throw ApiError(409, "there is already a playlist named \"" + name + "\"");
}

}  // namespace

void Server::Impl::playlists_post(const httplib::Request& req, httplib::Response& res) {
  const json body = body_json(req);
  if (!body.contains("name")) throw ApiError(400, "the body needs \"name\"");
  const std::string name = checked_name(body);
  const auto ids = body.contains("track_ids") ? json_ids(body, "track_ids") : std::vector<int64_t>{};
  const json out = service.with([&](library::Library& lib) {
    require_tracks(lib, ids);
    require_free_name(lib, name, 0);
    catalog::Catalog::Transaction tx(lib.catalog());
    const int64_t id = lib.catalog().create_playlist(name);
    if (!ids.empty()) lib.catalog().set_playlist_tracks(id, ids);
    tx.commit();
    return playlist_json(lib, id);
  });
  res.set_header("Location", "/api/playlists/" + std::to_string(out["id"].get<int64_t>()));
  send_json(res, out, 201);
}

void Server::Impl::playlist_get(const httplib::Request& req, httplib::Response& res) {
  const int64_t id = parse_id("playlist", match(req, 1));
  send_json(res, service.with([&](library::Library& lib) { return playlist_json(lib, id); }));
}

void Server::Impl::playlist_put(const httplib::Request& req, httplib::Response& res) {
  const int64_t id = parse_id("playlist", match(req, 1));
  const json body = body_json(req);
  if (!body.contains("name") && !body.contains("track_ids") && !body.contains("add"))
    throw ApiError(400, "the body needs at least one of \"name\", \"track_ids\" (replace or reorder) or \"add\"");
  const std::optional<std::string> name = body.contains("name") ? std::optional(checked_name(body)) : std::nullopt;
  const auto replace = body.contains("track_ids") ? std::optional(json_ids(body, "track_ids")) : std::nullopt;
  const auto add = body.contains("add") ? json_ids(body, "add") : std::vector<int64_t>{};
  send_json(res, service.with([&](library::Library& lib) {
    if (!lib.catalog().playlist(id)) throw ApiError(404, "there is no playlist with id " + std::to_string(id));
    if (replace) require_tracks(lib, *replace);
    require_tracks(lib, add);
    if (name) require_free_name(lib, *name, id);
    catalog::Catalog::Transaction tx(lib.catalog());
    if (name) lib.catalog().rename_playlist(id, *name);
    if (replace) lib.catalog().set_playlist_tracks(id, *replace);
    if (!add.empty()) lib.catalog().add_to_playlist(id, add);
    tx.commit();
    return playlist_json(lib, id);
  }));
}

void Server::Impl::playlist_delete(const httplib::Request& req, httplib::Response& res) {
  const int64_t id = parse_id("playlist", match(req, 1));
  const bool removed = service.with([&](library::Library& lib) { return lib.catalog().delete_playlist(id); });
  if (!removed) throw ApiError(404, "there is no playlist with id " + std::to_string(id));
  send_json(res, {{"id", id}, {"deleted", true}});
}

void Server::Impl::playlist_m3u(const httplib::Request& req, httplib::Response& res) {
  const int64_t id = parse_id("playlist", match(req, 1));
  std::string name;
  std::vector<Track> tracks;
  service.with([&](library::Library& lib) {
    const auto p = lib.catalog().playlist(id);
    if (!p) throw ApiError(404, "there is no playlist with id " + std::to_string(id));
    name = p->name;
    for (const auto tid : lib.catalog().playlist_tracks(id))
      if (auto t = lib.catalog().track(tid)) tracks.push_back(std::move(*t));
  });
  // Extended M3U, UTF-8. Line breaks inside tags would start a new entry: they become spaces.
  auto one_line = [](std::string s) {
    std::replace_if(s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return s;
  };
  std::string out = "#EXTM3U\n#PLAYLIST:" + one_line(name) + "\n";
  for (const auto& t : tracks) {
    const std::string who = t.tags.artist.empty() ? "" : t.tags.artist + " - ";
    out += "#EXTINF:" + std::to_string(static_cast<long>(std::lround(t.duration_s))) + "," +
           one_line(who + t.display_title()) + "\n" + one_line(t.path) + "\n";
  }
  std::string file_name;
  for (const char c : name) file_name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  res.set_header("Content-Disposition", "attachment; filename=\"" + file_name + ".m3u8\"");
  res.status = 200;
  res.set_content(out, "audio/x-mpegurl; charset=utf-8");
}

// --- Lifecycle ---------------------------------------------------------------------------------------------------

Server::Server(library::Library& library, ServerOptions options)
    : impl_(std::make_unique<Impl>(library, std::move(options))) {
  auto& o = impl_->options;
  if (o.port < 0 || o.port > 65535) throw Error("port must be between 0 and 65535, not " + std::to_string(o.port));
  if (o.threads < 1 || o.threads > 256) throw Error("threads must be between 1 and 256");
  auto& http = impl_->http;
  const auto threads = static_cast<std::size_t>(o.threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // httplib's default sets SO_REUSEPORT, which lets a second server bind a port already in use (and share its
  // connections) instead of failing. SO_REUSEADDR alone still allows a quick restart over TIME_WAIT sockets.
  http.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  http.set_payload_max_length(o.max_upload_bytes);
  http.set_keep_alive_timeout(5);
  http.set_read_timeout(10);
  http.set_write_timeout(30);
  // Errors httplib answers by itself (no route, 413 too large, 416 malformed Range, 400 bad request) get the
  // same JSON shape as ours; a response that already has a body (ours) is left alone.
  http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message;
    switch (res.status) {
      case 404: message = "not found: " + req.path; break;
      case 413: message = "the request body is too large"; break;
      case 416: message = "malformed Range header"; break;
      case 400: message = "bad request"; break;
      case 405: message = "method not allowed"; break;
      default: message = "HTTP error " + std::to_string(res.status); break;
    }
    if (req.path.rfind("/api/", 0) == 0 || req.path == "/api") {
      // The path is the client's: it may not be UTF-8.
      res.set_content(error_json(res.status, message).dump(-1, ' ', false, json::error_handler_t::replace),
                      "application/json; charset=utf-8");
    } else {
      res.set_content(std::to_string(res.status) + " " + message + "\n", "text/plain; charset=utf-8");
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string message = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      message += std::string(": ") + e.what();
    } catch (...) {
    }
    send_error(res, 500, message);
  });
  http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    spdlog::debug("{} {} → {}", req.method, req.path, res.status);
  });
  impl_->install_gate();
  impl_->install_static();
  impl_->install_routes();
}

Server::~Server() { stop(); }

void Server::start() {
  auto& im = *impl_;
  const auto& o = im.options;
  if (o.host != "localhost" && !auth::is_loopback(o.host) && !im.authenticator->configured())
    throw Error("listening on " + o.host + " lets other machines in, so it needs a user: give --user and --password "
                "(or AUDIORIUM_USER and AUDIORIUM_PASSWORD), or listen on 127.0.0.1");
  if (im.started.exchange(true)) throw Error("the server was already started");
  int port = o.port;
  if (port == 0) {
    port = im.http.bind_to_any_port(o.host);
    if (port <= 0) {
      im.started = false;
      throw Error("cannot listen on " + o.host + ": no free port could be bound");
    }
  } else if (!im.http.bind_to_port(o.host, port)) {
    im.started = false;
    throw Error("cannot listen on " + o.host + ":" + std::to_string(port) +
                " (is the port taken by another program, or the host name wrong?)");
  }
  im.bound_port = port;
  if (im.indexer && o.index_on_start) im.indexer->start();
  {
    std::lock_guard<std::mutex> lock(im.state_mutex);
    im.stopped = false;
  }
  im.thread = std::thread([&im] {
    im.http.listen_after_bind();  // returns after stop(), once the workers finished their requests
    std::lock_guard<std::mutex> lock(im.state_mutex);
    im.stopped = true;
    im.stopped_cv.notify_all();
  });
  // httplib 0.11's stop() does nothing until the listening thread has marked itself running, so a stop()
  // right after start() would leave that thread in accept() for ever. Return only once it is running (or gone).
  for (;;) {
    if (im.http.is_running()) break;
    {
      std::lock_guard<std::mutex> lock(im.state_mutex);
      if (im.stopped) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

int Server::port() const { return impl_->bound_port; }
const ServerOptions& Server::options() const { return impl_->options; }
bool Server::running() const {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  return impl_->started && !impl_->stopped;
}

void Server::stop() {
  auto& im = *impl_;
  if (!im.started) return;
  if (im.indexer) {
    im.indexer->cancel();  // finished tracks are committed; the next scan continues
    im.indexer->wait();
  }
  im.http.stop();
  if (im.thread.joinable()) im.thread.join();
}

void Server::wait() {
  auto& im = *impl_;
  if (!im.started) return;
  std::unique_lock<std::mutex> lock(im.state_mutex);
  im.stopped_cv.wait(lock, [&] { return im.stopped; });
}

std::string Server::answer_in_process(std::string_view request, const std::string& remote_ip) {
  MemoryStream connection(request, remote_ip);
  bool closed = false;
  for (int i = 0; i < kMaxInProcessRequests && !closed && !connection.exhausted(); ++i) {
    const bool last = i + 1 == kMaxInProcessRequests;
    if (!impl_->http.process_request(connection, last, closed, nullptr)) break;
  }
  return std::move(connection.output());
}

int run_server(library::Library& library, const ServerOptions& options, std::ostream& log) {
  // Block the signals in this thread before the server's threads start (they inherit the mask), then wait for
  // them here synchronously: no async-signal-safety concerns, and the stop runs on an ordinary thread.
  sigset_t signals, previous;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, &previous);
  struct Restore {
    sigset_t mask;
    ~Restore() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{previous};

  Server server(library, options);
  server.start();
  std::error_code ec;
  const bool have_web = !options.web_root.empty() && fs::is_directory(options.web_root, ec);
  log << "Audiorium " << AUDIORIUM_VERSION << " listening on http://" << options.host << ":" << server.port() << "/\n"
      << "  web app: " << (have_web ? options.web_root.string() : "not installed (" + options.web_root.string() + ")")
      << "\n  API:     http://" << options.host << ":" << server.port() << "/api/status\n"
      << "Press Ctrl-C to stop.\n"
      << std::flush;
  if (options.host != "localhost" && !auth::is_loopback(options.host))
    log << "  others: must log in as \"" << options.user << "\" (HTTP Basic on the page, u/p or t/s on /rest)\n"
        << std::flush;
  if (!options.music_roots.empty()) {
    log << "  music:  ";
    for (const auto& r : options.music_roots) log << r.string() << " ";
    log << (options.index_on_start ? "(indexing in the background; progress in /api/status)\n" : "\n") << std::flush;
  }

  int signal_number = 0;
  while (server.running()) {
    timespec timeout{0, 200'000'000};
    const int s = sigtimedwait(&signals, nullptr, &timeout);
    if (s > 0) {
      signal_number = s;
      break;
    }
  }
  log << (signal_number ? "Stopping (signal " + std::to_string(signal_number) + ")…\n" : std::string("Stopping…\n"))
      << std::flush;
  server.stop();
  log << "Stopped.\n" << std::flush;
  return 0;
}

}  // namespace audiorium::server
