// A Subsonic / OpenSubsonic API subset under /rest/, so existing music apps (DSub, Symfonium, Feishin, …) can
// browse, search, stream and build playlists from an Audiorium library. Registered by server.cpp; it shares the
// server's library lock and its audio streaming code (HTTP Range) through Hooks.
//
// Endpoints (each as /rest/NAME and /rest/NAME.view, GET query or POST application/x-www-form-urlencoded):
//   ping getLicense getMusicFolders getArtists getArtist getAlbum getSong search3 stream download getCoverArt
//   getRandomSongs getSimilarSongs getSimilarSongs2 getPlaylists getPlaylist createPlaylist updatePlaylist
//   deletePlaylist scrobble getOpenSubsonicExtensions, and the OpenSubsonic "sonicSimilarity" extension:
//   getSonicSimilarTracks (id, count) and findSonicPath (startSongId, endSongId, count).
//
// Responses: XML by default, JSON with f=json; both carry status, version 1.16.1, type "audiorium",
// serverVersion and openSubsonic=true. Failures are Subsonic errors (HTTP 200, as real servers answer) with the
// codes 0 generic, 10 missing parameter, 40 wrong username or password, 41 token auth impossible (see
// below), 42 API keys unsupported, 70 not found. A Range that cannot be
// satisfied on stream keeps its HTTP 416.
//
// Authentication: every endpoint but getOpenSubsonicExtensions (which the OpenSubsonic spec makes public) needs
// u plus either p (clear, or "enc:" + hex) or t and s, where t = md5(password + s) in lowercase hex, checked by
// server/auth.h. Token auth needs the clear password, which is kept in memory only (given on the command line or
// in the environment); when serve runs from the stored hash alone, t/s get error 41 and p still works. Without
// a configured user every authenticated endpoint answers error 40 saying how to set one.
//
// Ids: a song id is the catalog track id ("42"); playlists are catalog playlist ids. Artists and albums come from
// the tags: artist = artist tag, else "Unknown artist"; album = album tag, else the name of the file's folder;
// an album belongs to its album artist (album-artist tag, else the artist). Their ids are derived from the names,
// not from a position, so they stay the same across rescans: "ar-" / "al-" followed by the first 12 hex digits of
// md5("artist\n" + name) or md5("album\n" + album artist + "\n" + album name).
//
// Not supported (answered without error or ignored): transcoding (maxBitRate, format: the file is sent as is),
// music folder filters (there is one folder, id 1), playlist comment/public, stars and ratings.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace audiorium::library {
class Library;
}

namespace audiorium::server::auth {
class Authenticator;
}

namespace audiorium::server::subsonic {

inline constexpr const char* kApiVersion = "1.16.1";

// MD5 of `text` as 32 lowercase hex digits (OpenSSL EVP).
std::string md5_hex(std::string_view text);
// The Subsonic token for a password and salt: md5_hex(password + salt).
std::string token(std::string_view password, std::string_view salt);

struct Hooks {
  // Runs f with the library, under the server's lock.
  std::function<void(const std::function<void(library::Library&)>&)> with_library;
  // Streams a catalogued track's file into res (200, or 206 for a Range). Throws ApiError (404 unknown track or
  // unreadable file, 416 bad Range with the Content-Range header already set).
  std::function<void(int64_t id, const httplib::Request& req, httplib::Response& res)> stream;
};

// Registers GET and POST routes for /rest/NAME and /rest/NAME.view.
void install(httplib::Server& http, std::shared_ptr<const auth::Authenticator> account, Hooks hooks);

}  // namespace audiorium::server::subsonic
