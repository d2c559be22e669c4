#include "server/subsonic.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <tuple>
#include <unordered_set>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include "core/ascii.h"
#include "catalog/tags.h"
#include "core/error.h"
#include "library/library.h"
#include "recommend/journey.h"
#include "recommend/recommender.h"
#include "server/auth.h"
#include "server/params.h"

#ifndef AUDIORIUM_VERSION
#define AUDIORIUM_VERSION "0.0.0"
#endif

namespace audiorium::server::subsonic {

namespace fs = std::filesystem;
using nlohmann::json;
using catalog::Track;

std::string md5_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr) != 1)
    throw Error("MD5 is not available from OpenSSL");
  return to_hex({reinterpret_cast<const char*>(digest), length});
}

std::string token(std::string_view password, std::string_view salt) {
  std::string s(password);
  s += salt;
  return md5_hex(s);
}

namespace {

// --- Errors and parameters ---------------------------------------------------------------------------------------

struct Failure {
  int code;
  std::string message;
};

[[noreturn]] void fail(int code, const std::string& message) { throw Failure{code, message}; }

// The parameters of a request: the query string and, for a form POST, the body (OpenSubsonic "formPost").
// Parsed here from the raw target so that a form body is read exactly once whatever httplib does with it.
class Params {
 public:
  explicit Params(const httplib::Request& req) {
    const auto q = req.target.find('?');
    if (q != std::string::npos) parse(req.target.substr(q + 1));
    const auto type = req.get_header_value("Content-Type");
    if (req.method == "POST" && type.rfind("application/x-www-form-urlencoded", 0) == 0 && !req.body.empty())
      parse(req.body);
  }
  std::optional<std::string> get(const std::string& name) const {
    const auto it = params_.find(name);
    if (it == params_.end()) return std::nullopt;
    return it->second;
  }
  std::string required(const std::string& name) const {
    auto v = get(name);
    if (!v || v->empty()) fail(10, "required parameter is missing: " + name);
    return *v;
  }
  std::vector<std::string> all(const std::string& name) const {
    std::vector<std::string> out;
    const auto range = params_.equal_range(name);
    for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
    return out;
  }
  int64_t integer(const std::string& name, int64_t fallback, int64_t min, int64_t max) const {
    const auto v = get(name);
    if (!v || v->empty()) return fallback;
    try {
      return parse_integer(name, *v, min, max);
    } catch (const ApiError& e) {
      fail(0, e.what());
    }
  }
  bool flag(const std::string& name, bool fallback) const {
    const auto v = get(name);
    if (!v || v->empty()) return fallback;
    if (*v == "true" || *v == "1") return true;
    if (*v == "false" || *v == "0") return false;
    fail(0, "parameter " + name + " must be true or false, not '" + *v + "'");
  }

 private:
  // Form encoding: '+' is a space (httplib 0.11 leaves it as is); a literal plus arrives as %2B.
  void parse(std::string text) {
    std::string spaced;
    for (const char c : text) spaced += c == '+' ? std::string("%20") : std::string(1, c);
    httplib::detail::parse_query_text(spaced, params_);
  }

  httplib::Params params_;
};


void authenticate(const Params& p, const auth::Authenticator& account) {
  if (!account.configured())
    fail(40, "no user is configured on this server: start it with `audiorium serve --user NAME --password SECRET` "
             "(or AUDIORIUM_USER and AUDIORIUM_PASSWORD) to use the Subsonic API");
  const auto u = p.get("u");
  if (!u || u->empty()) fail(10, "required parameter is missing: u");
  bool ok = false;
  if (const auto pass = p.get("p")) {
    std::string clear = *pass;
    if (clear.rfind("enc:", 0) == 0) {
      const auto decoded = from_hex(std::string_view(clear).substr(4));
      if (!decoded) fail(40, "wrong username or password");
      clear = *decoded;
    }
    ok = account.check_password(*u, clear);
  } else if (const auto t = p.get("t")) {
    const auto s = p.get("s");
    if (!s || s->empty()) fail(10, "required parameter is missing: s (the salt of token t)");
    if (!account.can_check_tokens())
      fail(41, "token authentication is not possible: this server was started without the password and keeps only "
               "its hash; send p=enc:HEX instead, or restart `audiorium serve` with --password");
    ok = account.check_token(*u, *t, *s);
  } else if (p.get("apiKey")) {
    fail(42, "API key authentication is not supported: use u with t and s (or p)");
  } else {
    fail(10, "required parameter is missing: p, or t and s");
  }
  if (!ok) fail(40, "wrong username or password");
}

// --- Responses: one JSON tree, written as JSON or as XML -------------------------------------------------------

json envelope(const std::string& status) {
  return {{"status", status}, {"version", kApiVersion}, {"type", "audiorium"}, {"serverVersion", AUDIORIUM_VERSION},
          {"openSubsonic", true}};
}

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += "&#9;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += ' ';  // not allowed in XML 1.0
        else out += c;
    }
  }
  return out;
}

std::string scalar_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

// Subsonic's mapping: scalar members are attributes, objects are child elements, arrays repeat the element.
void write_xml(std::string& out, const std::string& name, const json& node) {
  out += "<" + name;
  if (!node.is_object()) {
    out += ">" + xml_escape(scalar_text(node)) + "</" + name + ">";
    return;
  }
  bool children = false;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it.value().is_object() || it.value().is_array()) {
      children = true;
    } else if (!it.value().is_null()) {
      out += " " + it.key() + "=\"" + xml_escape(scalar_text(it.value())) + "\"";
    }
  }
  if (name == "subsonic-response") out += " xmlns=\"http://subsonic.org/restapi\"";
  if (!children) {
    out += "/>";
    return;
  }
  out += ">";
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it.value().is_object()) write_xml(out, it.key(), it.value());
    else if (it.value().is_array())
      for (const auto& e : it.value()) write_xml(out, it.key(), e);
  }
  out += "</" + name + ">";
}

void send(const Params& p, httplib::Response& res, json body) {
  // Invalid UTF-8 (a file name that is not) is replaced once here, for both formats.
  body = json::parse(body.dump(-1, ' ', false, json::error_handler_t::replace));
  res.status = 200;
  const auto f = p.get("f").value_or("xml");
  if (f == "json") {
    res.set_content(json{{"subsonic-response", body}}.dump(), "application/json; charset=utf-8");
  } else {
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    write_xml(out, "subsonic-response", body);
    res.set_content(out, "text/xml; charset=utf-8");
  }
}

void send_ok(const Params& p, httplib::Response& res, const std::string& key = "", json payload = nullptr) {
  json body = envelope("ok");
  if (!key.empty()) body[key] = std::move(payload);
  send(p, res, std::move(body));
}

void send_failure(const Params& p, httplib::Response& res, const Failure& f) {
  json body = envelope("failed");
  body["error"] = {{"code", f.code}, {"message", f.message}};
  send(p, res, std::move(body));
}

// --- The library seen as artists, albums and songs ---------------------------------------------------------------

const std::string kUnknownArtist = "Unknown artist";

std::string short_hash(const std::string& s) { return md5_hex(s).substr(0, 12); }
std::string artist_id(const std::string& name) { return "ar-" + short_hash("artist\n" + name); }
std::string album_id(const std::string& artist, const std::string& album) {
  return "al-" + short_hash("album\n" + artist + "\n" + album);
}

struct Song {
  Track track;
  std::string artist, album, album_artist;
  std::string artist_id, album_id;
};

struct Album {
  std::string id, name, artist, artist_id;
  std::vector<std::size_t> songs;  // into Model::songs, in track order
  int year = 0;
  std::string genre;
  double duration = 0;
  int64_t created_ns = std::numeric_limits<int64_t>::min();  // its newest song's mtime_ns (may be negative)
};

struct Artist {
  std::string id, name;
  std::vector<std::string> albums;  // album ids, by year then name
};

struct Model {
  std::vector<Song> songs;  // by track id
  std::map<int64_t, std::size_t> by_id;
  std::map<std::string, Album> albums;
  std::map<std::string, Artist> artists;

  const Song* song(int64_t id) const {
    const auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : &songs[it->second];
  }
  const Song& require_song(const std::string& id) const {
    try {
      if (const Song* s = song(parse_id("song", id))) return *s;
    } catch (const ApiError&) {
    }
    fail(70, "song not found: " + id);
  }
  const Album& require_album(const std::string& id) const {
    const auto it = albums.find(id);
    if (it == albums.end()) fail(70, "album not found: " + id);
    return it->second;
  }
  const Artist& require_artist(const std::string& id) const {
    const auto it = artists.find(id);
    if (it == artists.end()) fail(70, "artist not found: " + id);
    return it->second;
  }
};

// Built per request from the catalog (a personal library: thousands of tracks, a few milliseconds).
Model build_model(std::vector<Track> tracks) {
  Model m;
  m.songs.reserve(tracks.size());
  for (auto& t : tracks) {
    Song s;
    s.artist = t.tags.artist.empty() ? kUnknownArtist : t.tags.artist;
    s.album = t.album_or_folder();
    if (s.album.empty()) s.album = "Unknown album";
    s.album_artist = t.tags.album_artist.empty() ? s.artist : t.tags.album_artist;
    s.artist_id = artist_id(s.artist);
    s.album_id = album_id(s.album_artist, s.album);
    s.track = std::move(t);
    m.by_id[s.track.id] = m.songs.size();
    m.songs.push_back(std::move(s));
  }
  for (std::size_t i = 0; i < m.songs.size(); ++i) {
    const Song& s = m.songs[i];
    Album& a = m.albums[s.album_id];
    if (a.id.empty()) {
      a.id = s.album_id;
      a.name = s.album;
      a.artist = s.album_artist;
      a.artist_id = artist_id(s.album_artist);
    }
    a.songs.push_back(i);
    a.duration += s.track.duration_s;
    if (!a.year) a.year = s.track.tags.year;
    if (a.genre.empty()) a.genre = s.track.tags.genre;
    a.created_ns = std::max(a.created_ns, s.track.mtime_ns);
    for (const auto* who : {&s.artist, &s.album_artist}) {
      Artist& ar = m.artists[artist_id(*who)];
      ar.id = artist_id(*who);
      ar.name = *who;
    }
  }
  for (auto& [id, a] : m.albums) {
    std::sort(a.songs.begin(), a.songs.end(), [&m](std::size_t x, std::size_t y) {
      const auto& tx = m.songs[x].track;
      const auto& ty = m.songs[y].track;
      if (tx.tags.track_number != ty.tags.track_number) return tx.tags.track_number < ty.tags.track_number;
      return tx.display_title() < ty.display_title();
    });
    m.artists[a.artist_id].albums.push_back(id);
  }
  for (auto& [id, ar] : m.artists)
    std::sort(ar.albums.begin(), ar.albums.end(), [&m](const std::string& x, const std::string& y) {
      const auto& ax = m.albums.at(x);
      const auto& ay = m.albums.at(y);
      return std::tie(ax.year, ax.name) < std::tie(ay.year, ay.name);
    });
  return m;
}

// A catalog mtime_ns counts from std::filesystem's file_clock epoch (library::file_mtime_ns), which is not the
// Unix epoch (libstdc++'s is in 2174): convert it before showing it as a date.
int64_t mtime_unix_seconds(int64_t mtime_ns) {
  using namespace std::chrono;
  const file_clock::time_point t{duration_cast<file_clock::duration>(nanoseconds(mtime_ns))};
  return duration_cast<seconds>(file_clock::to_sys(t).time_since_epoch()).count();
}

std::string iso_time(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

std::string content_type_of(const fs::path& path) {
  const std::string ext = ascii_lower(path.extension().string());
  static const std::map<std::string, std::string> types = {
      {".mp3", "audio/mpeg"}, {".flac", "audio/flac"}, {".ogg", "audio/ogg"}, {".oga", "audio/ogg"},
      {".opus", "audio/ogg"}, {".m4a", "audio/mp4"},   {".mp4", "audio/mp4"}, {".aac", "audio/aac"},
      {".wav", "audio/wav"},  {".aif", "audio/aiff"},  {".aiff", "audio/aiff"}, {".wma", "audio/x-ms-wma"},
      {".webm", "audio/webm"}, {".mka", "audio/x-matroska"}, {".ape", "audio/x-ape"}, {".wv", "audio/x-wavpack"}};
  const auto it = types.find(ext);
  return it != types.end() ? it->second : "application/octet-stream";
}

json song_json(const Song& s) {
  const Track& t = s.track;
  const fs::path path(t.path);
  std::string suffix = ascii_lower(path.extension().string());
  if (!suffix.empty()) suffix.erase(0, 1);
  json j{{"id", std::to_string(t.id)},
         {"parent", s.album_id},
         {"isDir", false},
         {"title", t.display_title()},
         {"album", s.album},
         {"artist", s.artist},
         {"size", t.size_bytes},
         {"contentType", content_type_of(path)},
         {"suffix", suffix},
         {"duration", static_cast<int64_t>(std::lround(t.duration_s))},
         {"bitRate", t.bit_rate / 1000},
         {"samplingRate", t.sample_rate},
         {"channelCount", t.channels},
         // Relative, as Subsonic clients expect; the absolute path is never shown.
         {"path", s.album_artist + "/" + s.album + "/" + path.filename().string()},
         {"albumId", s.album_id},
         {"artistId", s.artist_id},
         {"coverArt", std::to_string(t.id)},
         {"type", "music"},
         {"mediaType", "song"},
         {"created", iso_time(mtime_unix_seconds(t.mtime_ns))}};
  if (t.tags.track_number) j["track"] = t.tags.track_number;
  if (t.tags.year) j["year"] = t.tags.year;
  if (!t.tags.genre.empty()) j["genre"] = t.tags.genre;
  return j;
}

json album_json(const Model& m, const Album& a, bool with_songs) {
  json j{{"id", a.id},
         {"name", a.name},
         {"artist", a.artist},
         {"artistId", a.artist_id},
         {"songCount", a.songs.size()},
         {"duration", static_cast<int64_t>(std::lround(a.duration))},
         {"coverArt", a.id},
         {"created", iso_time(mtime_unix_seconds(a.created_ns))}};
  if (a.year) j["year"] = a.year;
  if (!a.genre.empty()) j["genre"] = a.genre;
  if (with_songs) {
    j["song"] = json::array();
    for (const auto i : a.songs) j["song"].push_back(song_json(m.songs[i]));
  }
  return j;
}

json artist_json(const Artist& ar) {
  return {{"id", ar.id}, {"name", ar.name}, {"albumCount", ar.albums.size()}, {"coverArt", ar.id}};
}

std::string index_letter(const std::string& name) {
  const unsigned char c = name.empty() ? '#' : static_cast<unsigned char>(name[0]);
  return std::isalpha(c) ? std::string(1, static_cast<char>(std::toupper(c))) : "#";
}

// --- Cover art ---------------------------------------------------------------------------------------------------

std::string sniff_image_type(const std::vector<unsigned char>& d, const std::string& declared) {
  if (d.size() >= 8 && d[0] == 0x89 && d[1] == 'P' && d[2] == 'N' && d[3] == 'G') return "image/png";
  if (d.size() >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return "image/jpeg";
  if (d.size() >= 12 && d[0] == 'R' && d[1] == 'I' && d[2] == 'F' && d[3] == 'F' && d[8] == 'W' && d[9] == 'E')
    return "image/webp";
  if (d.size() >= 6 && d[0] == 'G' && d[1] == 'I' && d[2] == 'F') return "image/gif";
  return declared.rfind("image/", 0) == 0 ? declared : "image/jpeg";
}

// A generated square PNG for items without embedded art: a diagonal gradient between two colours chosen from
// the id's hash, with a record drawn on it, so each album gets its own recognisable tile.
std::string placeholder_png(const std::string& key, int size) {
  const std::string h = md5_hex(key);
  auto byte = [&h](std::size_t i) { return static_cast<double>(std::stoi(h.substr(i * 2, 2), nullptr, 16)); };
  const cv::Vec3d a(byte(0), byte(1), byte(2)), b(byte(3), byte(4), byte(5));
  cv::Mat img(size, size, CV_8UC3);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const double t = (x + y) / (2.0 * std::max(1, size - 1));
      const cv::Vec3d c = a * (1 - t) * 0.8 + b * t * 0.8;
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<uchar>(c[0]), cv::saturate_cast<uchar>(c[1]),
                                          cv::saturate_cast<uchar>(c[2]));
    }
  const cv::Point centre(size / 2, size / 2);
  cv::circle(img, centre, size * 3 / 10, cv::Scalar(20, 20, 20), cv::FILLED, cv::LINE_AA);
  cv::circle(img, centre, size / 12, cv::Scalar(a[0], a[1], a[2]), cv::FILLED, cv::LINE_AA);
  cv::circle(img, centre, std::max(1, size / 60), cv::Scalar(230, 230, 230), cv::FILLED, cv::LINE_AA);
  std::vector<unsigned char> png;
  cv::imencode(".png", img, png);
  return std::string(png.begin(), png.end());
}

// --- The endpoints ---------------------------------------------------------------------------------------------

class Api {
 public:
  Api(std::shared_ptr<const auth::Authenticator> account, Hooks hooks)
      : account_(std::move(account)), hooks_(std::move(hooks)) {}

  void handle(const std::string& name, const httplib::Request& req, httplib::Response& res) {
    const Params p(req);
    try {
      using Method = void (Api::*)(const Params&, const httplib::Request&, httplib::Response&);
      static const std::map<std::string, Method> methods = {
          {"ping", &Api::ping},
          {"getLicense", &Api::get_license},
          {"getMusicFolders", &Api::get_music_folders},
          {"getArtists", &Api::get_artists},
          {"getArtist", &Api::get_artist},
          {"getAlbum", &Api::get_album},
          {"getSong", &Api::get_song},
          {"search3", &Api::search3},
          {"stream", &Api::stream},
          {"download", &Api::stream},
          {"getCoverArt", &Api::get_cover_art},
          {"getRandomSongs", &Api::get_random_songs},
          {"getSimilarSongs", &Api::get_similar_songs},
          {"getSimilarSongs2", &Api::get_similar_songs2},
          {"getPlaylists", &Api::get_playlists},
          {"getPlaylist", &Api::get_playlist},
          {"createPlaylist", &Api::create_playlist},
          {"updatePlaylist", &Api::update_playlist},
          {"deletePlaylist", &Api::delete_playlist},
          {"scrobble", &Api::scrobble},
          {"getSonicSimilarTracks", &Api::get_sonic_similar_tracks},
          {"findSonicPath", &Api::find_sonic_path},
      };
      if (name == "getOpenSubsonicExtensions") return get_extensions(p, req, res);  // public, per OpenSubsonic
      const auto it = methods.find(name);
      if (it == methods.end()) {
        send_failure(p, res, Failure{0, "unknown Subsonic endpoint: " + name});
        res.status = 404;
        return;
      }
      authenticate(p, *account_);
      (this->*(it->second))(p, req, res);
    } catch (const Failure& f) {
      send_failure(p, res, f);
    } catch (const ApiError& e) {
      if (e.status() == 416) {  // the stream code path already set Content-Range
        res.status = 416;
        res.set_content(std::string(e.what()) + "\n", "text/plain; charset=utf-8");
        return;
      }
      send_failure(p, res, Failure{e.status() == 404 ? 70 : 0, e.what()});
    } catch (const std::exception& e) {
      spdlog::error("{} {}: {}", req.method, req.path, e.what());
      send_failure(p, res, Failure{0, std::string("internal error: ") + e.what()});
    }
  }

 private:
  template <class F>
  void with(F&& f) {
    hooks_.with_library([&f](library::Library& lib) { f(lib); });
  }

  // Which embedder's vectors answered (an Audiorium attribute beside the standard ones: dsp-v1 or a model pack's).
  std::string embedder() {
    std::string id;
    with([&](library::Library& lib) { id = lib.embedder().id(); });
    return id;
  }

  Model model() {
    std::vector<Track> tracks;
    with([&](library::Library& lib) { tracks = lib.catalog().tracks(); });
    return build_model(std::move(tracks));
  }

  void ping(const Params& p, const httplib::Request&, httplib::Response& res) { send_ok(p, res); }

  void get_license(const Params& p, const httplib::Request&, httplib::Response& res) {
    send_ok(p, res, "license", {{"valid", true}});
  }

  void get_music_folders(const Params& p, const httplib::Request&, httplib::Response& res) {
    send_ok(p, res, "musicFolders", {{"musicFolder", json::array({{{"id", 1}, {"name", "Music"}}})}});
  }

  void get_extensions(const Params& p, const httplib::Request&, httplib::Response& res) {
    send_ok(p, res, "openSubsonicExtensions",
            json::array({{{"name", "formPost"}, {"versions", {1}}}, {{"name", "sonicSimilarity"}, {"versions", {1}}}}));
  }

  void get_artists(const Params& p, const httplib::Request&, httplib::Response& res) {
    const Model m = model();
    std::map<std::string, std::vector<const Artist*>> by_letter;
    for (const auto& [id, ar] : m.artists) by_letter[index_letter(ar.name)].push_back(&ar);
    json index = json::array();
    for (auto& [letter, list] : by_letter) {
      std::sort(list.begin(), list.end(), [](const Artist* x, const Artist* y) { return ascii_lower(x->name) < ascii_lower(y->name); });
      json artists = json::array();
      for (const auto* ar : list) artists.push_back(artist_json(*ar));
      index.push_back({{"name", letter}, {"artist", artists}});
    }
    send_ok(p, res, "artists", {{"ignoredArticles", ""}, {"index", index}});
  }

  void get_artist(const Params& p, const httplib::Request&, httplib::Response& res) {
    const auto id = p.required("id");
    const Model m = model();
    const Artist& ar = m.require_artist(id);
    json j = artist_json(ar);
    j["album"] = json::array();
    for (const auto& al : ar.albums) j["album"].push_back(album_json(m, m.albums.at(al), false));
    send_ok(p, res, "artist", j);
  }

  void get_album(const Params& p, const httplib::Request&, httplib::Response& res) {
    const auto id = p.required("id");
    const Model m = model();
    send_ok(p, res, "album", album_json(m, m.require_album(id), true));
  }

  void get_song(const Params& p, const httplib::Request&, httplib::Response& res) {
    const auto id = p.required("id");
    const Model m = model();
    send_ok(p, res, "song", song_json(m.require_song(id)));
  }

  void search3(const Params& p, const httplib::Request&, httplib::Response& res) {
    std::string query = p.get("query").value_or("");
    // Clients send "" (quoted) or nothing to list the whole library.
    query.erase(std::remove(query.begin(), query.end(), '"'), query.end());
    std::vector<std::string> words;
    {
      std::string w;
      for (const char c : ascii_lower(query) + " ") {
        if (std::isspace(static_cast<unsigned char>(c)) || c == '*') {
          if (!w.empty()) words.push_back(w);
          w.clear();
        } else {
          w += c;
        }
      }
    }
    auto matches = [&words](const std::string& text) {
      const std::string l = ascii_lower(text);
      return std::all_of(words.begin(), words.end(), [&l](const std::string& w) { return l.find(w) != std::string::npos; });
    };
    auto page = [&p](const std::string& what, std::size_t total) {
      const auto count = static_cast<std::size_t>(p.integer(what + "Count", 20, 0, 10000));
      const auto offset = std::min<std::size_t>(total, static_cast<std::size_t>(p.integer(what + "Offset", 0, 0, 1 << 30)));
      return std::pair(offset, std::min(total, offset + count));
    };
    const Model m = model();
    json out = {{"artist", json::array()}, {"album", json::array()}, {"song", json::array()}};
    std::vector<const Artist*> artists;
    for (const auto& [id, ar] : m.artists)
      if (matches(ar.name)) artists.push_back(&ar);
    std::vector<const Album*> albums;
    for (const auto& [id, al] : m.albums)
      if (matches(al.name + " " + al.artist)) albums.push_back(&al);
    std::vector<const Song*> songs;
    for (const auto& s : m.songs)
      if (matches(s.track.display_title() + " " + s.artist + " " + s.album)) songs.push_back(&s);
    auto [a0, a1] = page("artist", artists.size());
    for (auto i = a0; i < a1; ++i) out["artist"].push_back(artist_json(*artists[i]));
    auto [b0, b1] = page("album", albums.size());
    for (auto i = b0; i < b1; ++i) out["album"].push_back(album_json(m, *albums[i], false));
    auto [c0, c1] = page("song", songs.size());
    for (auto i = c0; i < c1; ++i) out["song"].push_back(song_json(*songs[i]));
    send_ok(p, res, "searchResult3", out);
  }

  void stream(const Params& p, const httplib::Request& req, httplib::Response& res) {
    const auto id = p.required("id");
    int64_t track = 0;
    try {
      track = parse_id("song", id);
    } catch (const ApiError&) {
      fail(70, "song not found: " + id);
    }
    hooks_.stream(track, req, res);  // the server's code path: Range, 206, content type, streamed in blocks
  }

  void get_cover_art(const Params& p, const httplib::Request&, httplib::Response& res) {
    const auto id = p.required("id");
    const int size = static_cast<int>(p.integer("size", 300, 16, 1200));
    const Model m = model();
    std::vector<std::string> paths;
    if (id.rfind("al-", 0) == 0) {
      for (const auto i : m.require_album(id).songs) paths.push_back(m.songs[i].track.path);
    } else if (id.rfind("ar-", 0) == 0) {
      for (const auto& al : m.require_artist(id).albums)
        for (const auto i : m.albums.at(al).songs) paths.push_back(m.songs[i].track.path);
    } else {
      paths.push_back(m.require_song(id).track.path);
    }
    if (paths.size() > 20) paths.resize(20);  // enough to find an album's art without reading every file
    for (const auto& path : paths) {
      if (auto cover = catalog::read_cover(path); cover && !cover->data.empty()) {
        res.status = 200;
        res.set_header("Cache-Control", "max-age=3600");
        res.set_content(std::string(cover->data.begin(), cover->data.end()), sniff_image_type(cover->data, cover->mime_type));
        return;
      }
    }
    res.status = 200;
    res.set_header("Cache-Control", "max-age=3600");
    res.set_content(placeholder_png(id, size), "image/png");
  }

  void get_random_songs(const Params& p, const httplib::Request&, httplib::Response& res) {
    const auto size = static_cast<std::size_t>(p.integer("size", 10, 1, 500));
    const auto genre = p.get("genre");
    const auto from_year = p.integer("fromYear", 0, 0, 100000);
    const auto to_year = p.integer("toYear", 0, 0, 100000);
    const Model m = model();
    std::vector<const Song*> pool;
    for (const auto& s : m.songs) {
      const auto& tags = s.track.tags;
      if (genre && !genre->empty() && ascii_lower(tags.genre) != ascii_lower(*genre)) continue;
      if (from_year && tags.year < from_year) continue;
      if (to_year && tags.year > to_year) continue;
      pool.push_back(&s);
    }
    std::mt19937_64 rng{std::random_device{}()};
    std::shuffle(pool.begin(), pool.end(), rng);
    if (pool.size() > size) pool.resize(size);
    json songs = json::array();
    for (const auto* s : pool) songs.push_back(song_json(*s));
    send_ok(p, res, "randomSongs", {{"song", songs}});
  }

  // The songs an id stands for: a song, an album's songs or an artist's songs.
  static std::vector<int64_t> seed_songs(const Model& m, const std::string& id) {
    std::vector<int64_t> out;
    if (id.rfind("al-", 0) == 0) {
      for (const auto i : m.require_album(id).songs) out.push_back(m.songs[i].track.id);
    } else if (id.rfind("ar-", 0) == 0) {
      const Artist& ar = m.require_artist(id);
      for (const auto& s : m.songs)
        if (s.artist_id == ar.id || artist_id(s.album_artist) == ar.id) out.push_back(s.track.id);
    } else {
      out.push_back(m.require_song(id).track.id);
    }
    return out;
  }

  // Songs like the seed songs, by sound: one song uses the recommender's ordering rule (a small random draw from
  // a wider pool); several use the nearest tracks to their mean vector. The seeds themselves are left out, except
  // that an artist's own songs fill in after every other artist's when the library has nothing else.
  json similar_songs(const Model& m, const std::string& id, int count, bool artist_fill) {
    const auto seeds = seed_songs(m, id);
    std::vector<int64_t> result;
    with([&](library::Library& lib) {
      auto rec = lib.recommender();
      if (seeds.size() == 1) {
        require_vector(lib, seeds.front());  // error 70, not an internal error, for a song not analysed yet
        recommend::OrderingOptions o{count, 3.0, 0.05, std::random_device{}()};
        for (const auto& c : rec.similar(seeds.front(), o)) result.push_back(c.id);
        return;
      }
      std::vector<float> mean;
      for (const auto s : seeds) {
        const auto v = lib.embedding(s);
        if (!v) continue;
        if (mean.empty()) mean.assign(v->size(), 0.0f);
        for (std::size_t i = 0; i < v->size(); ++i) mean[i] += (*v)[i];
      }
      if (mean.empty()) return;
      double norm = 0;
      for (const float x : mean) norm += double(x) * x;
      if (norm <= 0) return;
      for (auto& x : mean) x = static_cast<float>(x / std::sqrt(norm));
      const std::unordered_set<int64_t> exclude(seeds.begin(), seeds.end());
      for (const auto& c : rec.nearest(mean, count, exclude)) result.push_back(c.id);
      if (artist_fill && static_cast<int>(result.size()) < count)
        for (const auto& c : rec.nearest(mean, count - static_cast<int>(result.size()), {}))
          if (std::find(result.begin(), result.end(), c.id) == result.end()) result.push_back(c.id);
    });
    json songs = json::array();
    for (const auto rid : result)
      if (const Song* s = m.song(rid)) songs.push_back(song_json(*s));
    return songs;
  }

  void get_similar_songs(const Params& p, const httplib::Request&, httplib::Response& res) {
    const auto id = p.required("id");
    const int count = static_cast<int>(p.integer("count", 50, 1, 500));
    const Model m = model();
    send_ok(p, res, "similarSongs", {{"song", similar_songs(m, id, count, id.rfind("ar-", 0) == 0)}, {"embedder", embedder()}});
  }

  void get_similar_songs2(const Params& p, const httplib::Request&, httplib::Response& res) {
    const auto id = p.required("id");
    const int count = static_cast<int>(p.integer("count", 50, 1, 500));
    const Model m = model();
    send_ok(p, res, "similarSongs2", {{"song", similar_songs(m, id, count, id.rfind("ar-", 0) == 0)}, {"embedder", embedder()}});
  }

  // --- sonicSimilarity: cosine similarity c of the finished (L2-normalised) vectors, shown as a distance
  // (1 - c) / 2 in [0, 1] (0 = the same sound) and a similarity 1 - distance.
  static json sonic_match(const Song& s, double cosine) {
    const double distance = std::clamp((1.0 - cosine) / 2.0, 0.0, 1.0);
    return {{"entry", song_json(s)}, {"similarity", 1.0 - distance}, {"distance", distance}};
  }

  std::vector<float> require_vector(library::Library& lib, int64_t id) {
    auto v = lib.embedding(id);
    if (!v) fail(70, "song " + std::to_string(id) + " has not been analysed (no embedding)");
    return std::move(*v);
  }

  void get_sonic_similar_tracks(const Params& p, const httplib::Request&, httplib::Response& res) {
    const auto id = p.required("id");
    const int count = static_cast<int>(p.integer("count", 10, 1, 500));
    const Model m = model();
    const int64_t seed = m.require_song(id).track.id;
    std::vector<recommend::Candidate> found;
    with([&](library::Library& lib) {
      const auto v = require_vector(lib, seed);
      found = lib.recommender().nearest(v, count, {seed});
    });
    json matches = json::array();
    for (const auto& c : found)  // best first: distances ascending
      if (const Song* s = m.song(c.id)) matches.push_back(sonic_match(*s, c.score));
    send_ok(p, res, "sonicSimilarTracks", {{"sonicMatch", matches}, {"embedder", embedder()}});
  }

  // A path of `count` songs (both ends included) from one song to another: recommend::journey (journey.h).
  void find_sonic_path(const Params& p, const httplib::Request&, httplib::Response& res) {
    auto from_id = p.get("startSongId");
    if (!from_id) from_id = p.get("from");
    auto to_id = p.get("endSongId");
    if (!to_id) to_id = p.get("to");
    if (!from_id || from_id->empty()) fail(10, "required parameter is missing: startSongId");
    if (!to_id || to_id->empty()) fail(10, "required parameter is missing: endSongId");
    const int count = static_cast<int>(p.integer("count", 10, 2, 200));
    const Model m = model();
    const int64_t from = m.require_song(*from_id).track.id;
    const int64_t to = m.require_song(*to_id).track.id;
    std::vector<recommend::JourneyStep> path;
    with([&](library::Library& lib) {
      require_vector(lib, from);  // Subsonic's own error (70) for a song that was not analysed
      require_vector(lib, to);
      path = recommend::journey(lib.recommender(), from, to, count);
    });
    json matches = json::array();
    for (const auto& step : path)
      if (const Song* s = m.song(step.id)) matches.push_back(sonic_match(*s, step.cosine_to_previous));
    send_ok(p, res, "sonicPath", {{"sonicMatch", matches}, {"embedder", embedder()}});
  }

  // --- Playlists --------------------------------------------------------------------------------------------------

  static int64_t playlist_id(const std::string& id) {
    try {
      return parse_id("playlist", id);
    } catch (const ApiError&) {
      fail(70, "playlist not found: " + id);
    }
  }

  json playlist_json(const Model& m, const catalog::Playlist& pl, const std::vector<int64_t>& ids, bool entries) {
    double duration = 0;
    json list = json::array();
    for (const auto id : ids)
      if (const Song* s = m.song(id)) {
        duration += s->track.duration_s;
        if (entries) list.push_back(song_json(*s));
      }
    json j{{"id", std::to_string(pl.id)},
           {"name", pl.name},
           {"owner", account_->account().user},
           {"public", false},
           {"songCount", ids.size()},
           {"duration", static_cast<int64_t>(std::lround(duration))},
           {"created", iso_time(pl.created_at_unix)},
           {"changed", iso_time(pl.created_at_unix)}};
    if (entries) j["entry"] = list;
    return j;
  }

  void get_playlists(const Params& p, const httplib::Request&, httplib::Response& res) {
    const Model m = model();
    std::vector<std::pair<catalog::Playlist, std::vector<int64_t>>> lists;
    with([&](library::Library& lib) {
      for (auto& pl : lib.catalog().playlists()) lists.emplace_back(pl, lib.catalog().playlist_tracks(pl.id));
    });
    json out = json::array();
    for (const auto& [pl, ids] : lists) out.push_back(playlist_json(m, pl, ids, false));
    send_ok(p, res, "playlists", {{"playlist", out}});
  }

  json load_playlist(const Model& m, int64_t id) {
    std::optional<catalog::Playlist> pl;
    std::vector<int64_t> ids;
    with([&](library::Library& lib) {
      pl = lib.catalog().playlist(id);
      if (pl) ids = lib.catalog().playlist_tracks(id);
    });
    if (!pl) fail(70, "playlist not found: " + std::to_string(id));
    return playlist_json(m, *pl, ids, true);
  }

  void get_playlist(const Params& p, const httplib::Request&, httplib::Response& res) {
    const int64_t id = playlist_id(p.required("id"));
    const Model m = model();
    send_ok(p, res, "playlist", load_playlist(m, id));
  }

  static std::vector<int64_t> song_ids(const Model& m, const std::vector<std::string>& ids) {
    std::vector<int64_t> out;
    for (const auto& id : ids) out.push_back(m.require_song(id).track.id);
    return out;
  }

  static std::string checked_name(const std::string& name) {
    if (name.find_first_not_of(" \t\r\n") == std::string::npos) fail(10, "required parameter is missing: name");
    if (name.size() > 200) fail(0, "the playlist name is too long (at most 200 bytes)");
    return name;
  }

  static void require_free_name(library::Library& lib, const std::string& name, int64_t self) {
    if (const auto other = lib.catalog().playlist_by_name(name); other && *other != self)
      fail(0, "there is already a playlist named \"" + name + "\"");
  }

  // createPlaylist: a new playlist (name), or, with playlistId, that playlist's songs replaced.
  void create_playlist(const Params& p, const httplib::Request&, httplib::Response& res) {
    const auto existing = p.get("playlistId");
    const auto name = p.get("name");
    if ((!existing || existing->empty()) && (!name || name->empty()))
      fail(10, "required parameter is missing: name (or playlistId)");
    const Model m = model();
    const auto ids = song_ids(m, p.all("songId"));
    int64_t id = existing && !existing->empty() ? playlist_id(*existing) : 0;
    const std::optional<std::string> new_name = name && !name->empty() ? std::optional(checked_name(*name)) : std::nullopt;
    with([&](library::Library& lib) {
      if (id && !lib.catalog().playlist(id)) fail(70, "playlist not found: " + std::to_string(id));
      if (new_name) require_free_name(lib, *new_name, id);
      catalog::Catalog::Transaction tx(lib.catalog());
      if (!id) id = lib.catalog().create_playlist(*new_name);
      else if (new_name) lib.catalog().rename_playlist(id, *new_name);
      lib.catalog().set_playlist_tracks(id, ids);
      tx.commit();
    });
    send_ok(p, res, "playlist", load_playlist(m, id));
  }

  void update_playlist(const Params& p, const httplib::Request&, httplib::Response& res) {
    const int64_t id = playlist_id(p.required("playlistId"));
    const auto name = p.get("name");
    const std::optional<std::string> new_name = name ? std::optional(checked_name(*name)) : std::nullopt;
    const Model m = model();
    const auto add = song_ids(m, p.all("songIdToAdd"));
    std::set<int64_t> remove;
    for (const auto& s : p.all("songIndexToRemove")) {
      try {
        remove.insert(parse_integer("songIndexToRemove", s, 0, 1'000'000));
      } catch (const ApiError& e) {
        fail(0, e.what());
      }
    }
    with([&](library::Library& lib) {
      if (!lib.catalog().playlist(id)) fail(70, "playlist not found: " + std::to_string(id));
      if (new_name) require_free_name(lib, *new_name, id);
      const auto current = lib.catalog().playlist_tracks(id);
      if (!remove.empty() && *remove.rbegin() >= static_cast<int64_t>(current.size()))
        fail(0, "songIndexToRemove " + std::to_string(*remove.rbegin()) + " is beyond the playlist's " +
                    std::to_string(current.size()) + " songs");
      std::vector<int64_t> next;
      for (std::size_t i = 0; i < current.size(); ++i)
        if (!remove.count(static_cast<int64_t>(i))) next.push_back(current[i]);
      next.insert(next.end(), add.begin(), add.end());
      catalog::Catalog::Transaction tx(lib.catalog());
      if (new_name) lib.catalog().rename_playlist(id, *new_name);
      if (!remove.empty() || !add.empty()) lib.catalog().set_playlist_tracks(id, next);
      tx.commit();
    });
    send_ok(p, res);
  }

  void delete_playlist(const Params& p, const httplib::Request&, httplib::Response& res) {
    const int64_t id = playlist_id(p.required("id"));
    bool removed = false;
    with([&](library::Library& lib) { removed = lib.catalog().delete_playlist(id); });
    if (!removed) fail(70, "playlist not found: " + std::to_string(id));
    send_ok(p, res);
  }

  // scrobble: submission=true (the default) records a play in the history; false ("now playing") records nothing.
  void scrobble(const Params& p, const httplib::Request&, httplib::Response& res) {
    const auto ids = p.all("id");
    if (ids.empty() || ids.front().empty()) fail(10, "required parameter is missing: id");
    const bool submission = p.flag("submission", true);
    const Model m = model();
    const auto tracks = song_ids(m, ids);
    if (submission)
      with([&](library::Library& lib) {
        for (const auto id : tracks) lib.catalog().add_history(id, "subsonic");
      });
    send_ok(p, res);
  }

  std::shared_ptr<const auth::Authenticator> account_;
  Hooks hooks_;
};

}  // namespace

void install(httplib::Server& http, std::shared_ptr<const auth::Authenticator> account, Hooks hooks) {
  auto api = std::make_shared<Api>(std::move(account), std::move(hooks));
  auto handler = [api](const httplib::Request& req, httplib::Response& res) {
    api->handle(req.matches.size() > 1 ? req.matches[1].str() : std::string(), req, res);
  };
  const std::string pattern = R"(/rest/([A-Za-z0-9]+)(?:\.view)?)";
  http.Get(pattern, handler);
  http.Post(pattern, handler);
}

}  // namespace audiorium::server::subsonic
