// The Subsonic / OpenSubsonic API under /rest/ over a real generated library: auth, JSON and XML shapes, browsing,
// search, streaming, similarity, the sonicSimilarity extension, playlists, scrobbling and cover art.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "library/library.h"
#include "server/server.h"
#include "server/subsonic.h"
#include "support/generated_library.h"
#include "support/test_support.h"

namespace audiorium::server::test {
namespace {

using nlohmann::json;

constexpr const char* kUser = "alice";
constexpr const char* kPassword = "sesame";

class SubsonicTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new audiorium::testing::TempDir();
    tracks_ = audiorium::testing::make_style_library(tmp_->path() / "music", 3, 6.0);
    library_ = std::make_unique<library::Library>(library::Library::open(tmp_->path() / "data"));
    library::ScanOptions o;
    o.jobs = 2;
    library_->scan(tmp_->path() / "music", o);
    ServerOptions so;
    so.port = 0;
    so.user = kUser;
    so.password = kPassword;
    server_ = std::make_unique<Server>(*library_, so);
    server_->start();
  }
  static void TearDownTestSuite() {
    if (server_) server_->stop();
    server_.reset();
    library_.reset();
    delete tmp_;
    tmp_ = nullptr;
  }

  static httplib::Client client(int port = 0) {
    httplib::Client c("127.0.0.1", port ? port : server_->port());
    c.set_read_timeout(30);
    c.set_connection_timeout(5);
    return c;
  }
  // Token auth as clients do it, JSON format.
  static std::string auth(const std::string& format = "json") {
    const std::string salt = "a1b2c3";
    return std::string("u=") + kUser + "&t=" + subsonic::token(kPassword, salt) + "&s=" + salt +
           "&v=1.16.1&c=test&f=" + format;
  }
  // GET /rest/<endpoint>?<auth>&<query>, returns the "subsonic-response" object.
  static json call(const std::string& endpoint, const std::string& query = "", const std::string& credentials = auth()) {
    auto c = client();
    auto r = c.Get("/rest/" + endpoint + "?" + credentials + (query.empty() ? "" : "&" + query));
    if (!r) {
      ADD_FAILURE() << endpoint << ": " << httplib::to_string(r.error());
      return nullptr;
    }
    EXPECT_EQ(r->status, 200) << r->body.substr(0, 300);
    EXPECT_NE(r->get_header_value("Content-Type").find("application/json"), std::string::npos);
    auto j = json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.contains("subsonic-response")) {
      ADD_FAILURE() << endpoint << ": not a Subsonic JSON response: " << r->body.substr(0, 300);
      return nullptr;
    }
    return j["subsonic-response"];
  }
  static json ok(const std::string& endpoint, const std::string& query = "") {
    auto j = call(endpoint, query);
    EXPECT_EQ(j["status"], "ok") << endpoint << " " << query << ": " << j.dump();
    return j;
  }
  static int error_code(const json& j) {
    EXPECT_EQ(j["status"], "failed") << j.dump();
    EXPECT_TRUE(j["error"]["message"].is_string());
    return j["error"]["code"].is_number() ? j["error"]["code"].get<int>() : -1;
  }
  static std::vector<std::string> ids_of(const json& list) {
    std::vector<std::string> out;
    if (list.is_array())
      for (const auto& e : list) out.push_back(e["id"].get<std::string>());
    return out;
  }
  static std::string first_song() { return std::to_string(library_->catalog().tracks().front().id); }
  static std::string last_song() { return std::to_string(library_->catalog().tracks().back().id); }

  static audiorium::testing::TempDir* tmp_;
  static std::vector<audiorium::testing::GeneratedTrack> tracks_;
  static std::unique_ptr<library::Library> library_;
  static std::unique_ptr<Server> server_;
};

audiorium::testing::TempDir* SubsonicTest::tmp_ = nullptr;
std::vector<audiorium::testing::GeneratedTrack> SubsonicTest::tracks_;
std::unique_ptr<library::Library> SubsonicTest::library_;
std::unique_ptr<Server> SubsonicTest::server_;

TEST(SubsonicToken, Md5MatchesTheSubsonicTestVector) {
  EXPECT_EQ(subsonic::md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(subsonic::token("sesame", "c19b2d"), "26719a1196d2a940705a59634eb18eab");
}

TEST_F(SubsonicTest, PingAnswersJsonAndXml) {
  const auto j = ok("ping");
  EXPECT_EQ(j["version"], "1.16.1");
  EXPECT_EQ(j["type"], "audiorium");
  EXPECT_TRUE(j["serverVersion"].is_string());
  EXPECT_EQ(j["openSubsonic"], true);
  EXPECT_EQ(ok("ping.view")["status"], "ok");

  auto c = client();
  for (const std::string format : {"xml", ""}) {
    auto r = c.Get("/rest/ping.view?" + auth(format));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->get_header_value("Content-Type").find("xml"), std::string::npos);
    EXPECT_EQ(r->body.rfind("<?xml", 0), 0u) << r->body;
    EXPECT_NE(r->body.find("<subsonic-response "), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("status=\"ok\""), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("version=\"1.16.1\""), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("xmlns=\"http://subsonic.org/restapi\""), std::string::npos) << r->body;
  }
  // An XML error: status="failed" and an <error> element with its code.
  auto r = c.Get(std::string("/rest/ping?u=") + kUser + "&p=wrong");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("status=\"failed\""), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("<error code=\"40\""), std::string::npos) << r->body;
  // Nested lists become repeated elements.
  r = c.Get("/rest/getMusicFolders?" + auth("xml"));
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("<musicFolders><musicFolder id=\"1\" name=\"Music\"/></musicFolders>"), std::string::npos)
      << r->body;
}

TEST_F(SubsonicTest, AuthenticationChecksPasswordTokenAndUser) {
  const std::string u = std::string("u=") + kUser + "&f=json";
  EXPECT_EQ(call("ping", "", u + "&p=sesame")["status"], "ok");
  EXPECT_EQ(call("ping", "", u + "&p=enc:736573616d65")["status"], "ok");  // hex of "sesame"
  EXPECT_EQ(call("ping", "", u + "&t=26719a1196d2a940705a59634eb18eab&s=c19b2d")["status"], "ok");
  EXPECT_EQ(error_code(call("ping", "", u + "&p=sesam")), 40);
  EXPECT_EQ(error_code(call("ping", "", u + "&p=enc:zz")), 40);
  EXPECT_EQ(error_code(call("ping", "", u + "&t=26719a1196d2a940705a59634eb18eab&s=c19b2e")), 40);
  EXPECT_EQ(error_code(call("ping", "", "u=bob&f=json&p=sesame")), 40);
  EXPECT_EQ(error_code(call("ping", "", "f=json&p=sesame")), 10);
  EXPECT_EQ(error_code(call("ping", "", u)), 10);
  EXPECT_EQ(error_code(call("ping", "", u + "&t=26719a1196d2a940705a59634eb18eab")), 10);
  EXPECT_EQ(error_code(call("getSong", "id=" + first_song(), u + "&p=nope")), 40);

  // The OpenSubsonic extensions list is public, and advertises sonicSimilarity.
  const auto ext = call("getOpenSubsonicExtensions", "", "f=json");
  EXPECT_EQ(ext["status"], "ok");
  std::set<std::string> names;
  for (const auto& e : ext["openSubsonicExtensions"]) names.insert(e["name"].get<std::string>());
  EXPECT_TRUE(names.count("sonicSimilarity")) << ext.dump();

  // A server without a configured user refuses with error 40 and says how to set one.
  ServerOptions so;
  so.port = 0;
  Server bare(*library_, so);
  bare.start();
  auto c = client(bare.port());
  auto r = c.Get("/rest/ping?u=alice&p=sesame&f=json");
  ASSERT_TRUE(r);
  const auto j = json::parse(r->body)["subsonic-response"];
  EXPECT_EQ(error_code(j), 40);
  EXPECT_NE(j["error"]["message"].get<std::string>().find("--user"), std::string::npos) << j.dump();
  bare.stop();
}

TEST_F(SubsonicTest, FormPostParametersWork) {
  auto c = client();
  const std::string body = std::string("u=") + kUser + "&p=sesame&f=json&id=" + first_song();
  auto r = c.Post("/rest/getSong.view", body, "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  const auto j = json::parse(r->body)["subsonic-response"];
  EXPECT_EQ(j["status"], "ok") << r->body;
  EXPECT_EQ(j["song"]["id"], first_song());
}

TEST_F(SubsonicTest, MissingParametersAndUnknownIds) {
  EXPECT_EQ(error_code(call("getSong")), 10);
  EXPECT_EQ(error_code(call("getAlbum")), 10);
  EXPECT_EQ(error_code(call("getSong", "id=999999")), 70);
  EXPECT_EQ(error_code(call("getSong", "id=abc")), 70);
  EXPECT_EQ(error_code(call("getAlbum", "id=al-000000000000")), 70);
  EXPECT_EQ(error_code(call("getArtist", "id=ar-000000000000")), 70);
  EXPECT_EQ(error_code(call("getPlaylist", "id=999999")), 70);
  EXPECT_EQ(error_code(call("stream", "id=999999")), 70);
  EXPECT_EQ(error_code(call("getCoverArt", "id=al-000000000000")), 70);
  EXPECT_EQ(error_code(call("getRandomSongs", "size=abc")), 0);
  auto c = client();
  auto r = c.Get("/rest/noSuchEndpoint.view?" + auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(error_code(json::parse(r->body)["subsonic-response"]), 0);
}

TEST_F(SubsonicTest, ArtistsAlbumsAndSongsAreConsistent) {
  const auto artists = ok("getArtists")["artists"];
  ASSERT_TRUE(artists["index"].is_array()) << artists.dump();
  std::vector<json> all_artists;
  for (const auto& idx : artists["index"])
    for (const auto& a : idx["artist"]) all_artists.push_back(a);
  ASSERT_EQ(all_artists.size(), 1u) << artists.dump();  // the generated files have no tags
  EXPECT_EQ(all_artists[0]["name"], "Unknown artist");
  EXPECT_EQ(all_artists[0]["id"].get<std::string>().rfind("ar-", 0), 0u);

  const auto artist = ok("getArtist", "id=" + all_artists[0]["id"].get<std::string>())["artist"];
  ASSERT_EQ(artist["album"].size(), 1u) << artist.dump();
  EXPECT_EQ(artist["albumCount"], 1);
  const auto album_id = artist["album"][0]["id"].get<std::string>();
  EXPECT_EQ(album_id.rfind("al-", 0), 0u);
  EXPECT_EQ(artist["album"][0]["name"], "music");  // the folder's name, for want of an album tag

  const auto album = ok("getAlbum", "id=" + album_id)["album"];
  EXPECT_EQ(album["id"], album_id);
  EXPECT_EQ(album["artistId"], all_artists[0]["id"]);
  ASSERT_EQ(album["song"].size(), tracks_.size());
  EXPECT_EQ(album["songCount"], tracks_.size());
  std::set<std::string> song_ids;
  for (const auto& s : album["song"]) {
    song_ids.insert(s["id"].get<std::string>());
    EXPECT_EQ(s["albumId"], album_id);
    EXPECT_EQ(s["isDir"], false);
    const auto one = ok("getSong", "id=" + s["id"].get<std::string>())["song"];
    EXPECT_EQ(one, s);
    EXPECT_EQ(one["path"].get<std::string>().find(tmp_->path().string()), std::string::npos) << "no absolute paths";
  }
  std::set<std::string> catalog_ids;
  for (const auto& t : library_->catalog().tracks()) catalog_ids.insert(std::to_string(t.id));
  EXPECT_EQ(song_ids, catalog_ids);

  // Ids are derived from names: the same on every call.
  EXPECT_EQ(ok("getArtists")["artists"], artists);
  const auto folders = ok("getMusicFolders")["musicFolders"]["musicFolder"];
  ASSERT_EQ(folders.size(), 1u);
  EXPECT_EQ(ok("getLicense")["license"]["valid"], true);
}

TEST_F(SubsonicTest, Search3FindsSongsAndListsEverythingForAnEmptyQuery) {
  const auto everything = ok("search3", "query=")["searchResult3"];
  EXPECT_EQ(everything["song"].size(), tracks_.size());
  EXPECT_EQ(everything["album"].size(), 1u);
  EXPECT_EQ(everything["artist"].size(), 1u);
  const auto quoted = ok("search3", "query=%22%22&songCount=4&songOffset=2")["searchResult3"];
  EXPECT_EQ(quoted["song"].size(), 4u);
  const auto all_ids = ids_of(everything["song"]);
  EXPECT_EQ(ids_of(quoted["song"]), std::vector<std::string>(all_ids.begin() + 2, all_ids.begin() + 6));

  const auto drone = ok("search3", "query=DRONE")["searchResult3"];
  ASSERT_EQ(drone["song"].size(), 3u) << drone.dump();
  for (const auto& s : drone["song"]) EXPECT_NE(s["title"].get<std::string>().find("drone"), std::string::npos);
  EXPECT_TRUE(drone["album"].empty());
  const auto none = ok("search3", "query=nothing+like+this")["searchResult3"];
  EXPECT_TRUE(none["song"].empty());
}

TEST_F(SubsonicTest, StreamHonoursRange) {
  const auto id = first_song();
  const auto size = library_->catalog().tracks().front().size_bytes;
  auto c = client();
  auto r = c.Get("/rest/stream.view?" + auth() + "&id=" + id, {{"Range", "bytes=0-99"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->body.size(), 100u);
  EXPECT_EQ(r->get_header_value("Content-Range"), "bytes 0-99/" + std::to_string(size));
  EXPECT_EQ(r->get_header_value("Content-Type").rfind("audio/", 0), 0u) << r->get_header_value("Content-Type");
  r = c.Get("/rest/stream?" + auth() + "&id=" + id);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(static_cast<int64_t>(r->body.size()), size);
  r = c.Get("/rest/download?" + auth() + "&id=" + id, {{"Range", "bytes=" + std::to_string(size + 10) + "-"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 416);
}

TEST_F(SubsonicTest, SimilarSongsComeFromTheRecommender) {
  const auto seed = first_song();
  for (const std::string endpoint : {"getSimilarSongs", "getSimilarSongs2"}) {
    const auto j = ok(endpoint, "id=" + seed + "&count=4");
    const auto& list = j[endpoint == "getSimilarSongs" ? "similarSongs" : "similarSongs2"]["song"];
    ASSERT_EQ(list.size(), 4u) << j.dump();
    EXPECT_EQ(j[endpoint == "getSimilarSongs" ? "similarSongs" : "similarSongs2"]["embedder"], "dsp-v1");
    const auto ids = ids_of(list);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), seed), 0) << "the seed is left out";
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  }
  // An artist seed (Subsonic's usual getSimilarSongs2 id) gives songs too.
  const auto artist = ok("getArtists")["artists"]["index"][0]["artist"][0]["id"].get<std::string>();
  EXPECT_EQ(ok("getSimilarSongs2", "id=" + artist + "&count=3")["similarSongs2"]["song"].size(), 3u);
  EXPECT_EQ(error_code(call("getSimilarSongs2", "id=ar-000000000000")), 70);
  EXPECT_EQ(error_code(call("getSimilarSongs2")), 10);

  const auto random = ok("getRandomSongs", "size=5")["randomSongs"]["song"];
  ASSERT_EQ(random.size(), 5u);
  const auto rids = ids_of(random);
  EXPECT_EQ(std::set<std::string>(rids.begin(), rids.end()).size(), 5u);
}

TEST_F(SubsonicTest, SonicSimilarTracksHaveSortedNormalisedDistances) {
  const auto seed = first_song();
  const auto j = ok("getSonicSimilarTracks", "id=" + seed + "&count=5");
  const auto& matches = j["sonicSimilarTracks"]["sonicMatch"];
  ASSERT_EQ(matches.size(), 5u) << j.dump();
  EXPECT_EQ(j["sonicSimilarTracks"]["embedder"], "dsp-v1");
  double previous = -1;
  for (const auto& m : matches) {
    EXPECT_NE(m["entry"]["id"], seed);
    const double d = m["distance"].get<double>();
    EXPECT_GE(d, 0.0);
    EXPECT_LE(d, 1.0);
    EXPECT_GE(d, previous);
    EXPECT_NEAR(m["similarity"].get<double>(), 1.0 - d, 1e-9);
    previous = d;
  }
  EXPECT_EQ(error_code(call("getSonicSimilarTracks", "id=999999")), 70);
}

TEST_F(SubsonicTest, SonicPathGoesFromOneSongToTheOtherWithoutRepeats) {
  const auto from = first_song(), to = last_song();
  const auto j = ok("findSonicPath", "startSongId=" + from + "&endSongId=" + to + "&count=5");
  const auto& path = j["sonicPath"]["sonicMatch"];
  ASSERT_EQ(path.size(), 5u) << j.dump();
  std::vector<std::string> ids;
  for (const auto& m : path) {
    ids.push_back(m["entry"]["id"].get<std::string>());
    EXPECT_GE(m["distance"].get<double>(), 0.0);
    EXPECT_LE(m["distance"].get<double>(), 1.0);
  }
  EXPECT_EQ(ids.front(), from);
  EXPECT_EQ(ids.back(), to);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  // Longer than the library: every song at most once, still ending at `to`.
  const auto all = ok("findSonicPath", "startSongId=" + from + "&endSongId=" + to + "&count=50")["sonicPath"]["sonicMatch"];
  EXPECT_EQ(all.size(), tracks_.size());
  EXPECT_EQ(all.back()["entry"]["id"], to);
  EXPECT_EQ(error_code(call("findSonicPath", "startSongId=" + from)), 10);
}

TEST_F(SubsonicTest, PlaylistsCanBeCreatedReadUpdatedAndDeleted) {
  const auto songs = ids_of(ok("search3", "query=")["searchResult3"]["song"]);
  ASSERT_GE(songs.size(), 3u);
  const auto created = ok("createPlaylist", "name=Road%20trip&songId=" + songs[0] + "&songId=" + songs[1])["playlist"];
  EXPECT_EQ(created["name"], "Road trip");
  EXPECT_EQ(created["owner"], kUser);
  EXPECT_EQ(ids_of(created["entry"]), (std::vector<std::string>{songs[0], songs[1]}));
  const auto id = created["id"].get<std::string>();

  const auto lists = ok("getPlaylists")["playlists"]["playlist"];
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists[0]["id"], id);
  EXPECT_EQ(lists[0]["songCount"], 2);

  // As a form POST, where '+' is a space.
  auto c = client();
  auto r = c.Post("/rest/updatePlaylist.view",
                  auth() + "&playlistId=" + id + "&name=Night+drive&songIdToAdd=" + songs[2] + "&songIndexToRemove=0",
                  "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body)["subsonic-response"]["status"], "ok") << r->body;
  auto pl = ok("getPlaylist", "id=" + id)["playlist"];
  EXPECT_EQ(pl["name"], "Night drive");
  EXPECT_EQ(ids_of(pl["entry"]), (std::vector<std::string>{songs[1], songs[2]}));

  // createPlaylist with playlistId replaces the songs.
  pl = ok("createPlaylist", "playlistId=" + id + "&songId=" + songs[2])["playlist"];
  EXPECT_EQ(ids_of(pl["entry"]), (std::vector<std::string>{songs[2]}));

  EXPECT_EQ(error_code(call("createPlaylist", "name=Bad&songId=999999")), 70);
  EXPECT_EQ(error_code(call("createPlaylist")), 10);
  EXPECT_EQ(error_code(call("updatePlaylist", "playlistId=" + id + "&songIndexToRemove=7")), 0);
  EXPECT_EQ(error_code(call("createPlaylist", "name=Night%20drive")), 0);  // the name is taken

  ok("deletePlaylist", "id=" + id);
  EXPECT_EQ(error_code(call("getPlaylist", "id=" + id)), 70);
  EXPECT_EQ(error_code(call("deletePlaylist", "id=" + id)), 70);
  EXPECT_TRUE(ok("getPlaylists")["playlists"]["playlist"].empty());
}

TEST_F(SubsonicTest, ScrobbleFeedsTheHistory) {
  const auto before = library_->catalog().history(1000).size();
  ok("scrobble", "id=" + first_song());
  auto history = library_->catalog().history(1000);
  ASSERT_EQ(history.size(), before + 1);
  EXPECT_EQ(std::to_string(history.front().track_id), first_song());
  EXPECT_EQ(history.front().source, "subsonic");
  ok("scrobble", "id=" + last_song() + "&submission=false");  // "now playing": not a play yet
  EXPECT_EQ(library_->catalog().history(1000).size(), before + 1);
  ok("scrobble", "id=" + first_song() + "&id=" + last_song());
  EXPECT_EQ(library_->catalog().history(1000).size(), before + 3);
  EXPECT_EQ(error_code(call("scrobble", "id=999999")), 70);
  EXPECT_EQ(error_code(call("scrobble")), 10);
}

TEST_F(SubsonicTest, CoverArtIsAnImage) {
  const auto album = ok("getAlbum", "id=" + ok("search3", "query=")["searchResult3"]["album"][0]["id"].get<std::string>());
  auto c = client();
  for (const auto& id : {first_song(), album["album"]["id"].get<std::string>()}) {
    auto r = c.Get("/rest/getCoverArt.view?" + auth() + "&id=" + id + "&size=64");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->get_header_value("Content-Type").rfind("image/", 0), 0u) << r->get_header_value("Content-Type");
    EXPECT_GT(r->body.size(), 8u);
    EXPECT_EQ(r->body.substr(1, 3), "PNG");  // the generated files have no art: the placeholder
  }
}

}  // namespace
}  // namespace audiorium::server::test
