// Logins: the stored password hash, Basic auth, the loopback rule, and a server listening beyond loopback.
#include <gtest/gtest.h>
#include <httplib.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <optional>
#include <string>

#include "catalog/catalog.h"
#include "core/error.h"
#include "library/library.h"
#include "server/auth.h"
#include "server/server.h"
#include "server/subsonic.h"
#include "support/test_support.h"

namespace audiorium::server::auth {
namespace {

// "Basic " + base64(user:password), computed independently of the code under test.
std::string basic(const std::string& user_colon_password) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  const auto& s = user_colon_password;
  for (; i + 2 < s.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(s[i]) << 16) | (static_cast<unsigned char>(s[i + 1]) << 8) |
                       static_cast<unsigned char>(s[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += alphabet[(v >> k) & 63];
  }
  if (s.size() - i == 1) {
    const unsigned v = static_cast<unsigned char>(s[i]) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += "==";
  } else if (s.size() - i == 2) {
    const unsigned v = (static_cast<unsigned char>(s[i]) << 16) | (static_cast<unsigned char>(s[i + 1]) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += '=';
  }
  return "Basic " + out;
}

TEST(PasswordHash, VerifiesTheRightPasswordOnly) {
  const auto h = hash_password("sesame", 1000);
  EXPECT_EQ(h.rfind("pbkdf2-sha256$1000$", 0), 0u) << h;
  EXPECT_TRUE(verify_password("sesame", h));
  EXPECT_FALSE(verify_password("Sesame", h));
  EXPECT_FALSE(verify_password("", h));
  EXPECT_EQ(h.find("sesame"), std::string::npos);
}

TEST(PasswordHash, EachHashHasItsOwnSalt) {
  EXPECT_NE(hash_password("sesame", 1000), hash_password("sesame", 1000));
}

TEST(PasswordHash, KnownVectorFromRfc7914) {
  // PBKDF2-HMAC-SHA256("passwd", "salt", 1) from RFC 7914 §11 (first 32 bytes).
  const std::string h = "pbkdf2-sha256$1$73616c74$55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc";
  EXPECT_TRUE(verify_password("passwd", h));
  EXPECT_FALSE(verify_password("passwe", h));
}

TEST(PasswordHash, MalformedHashesAreErrorsNotFalse) {
  for (const char* bad : {"", "sesame", "md5$1$00$00", "pbkdf2-sha256$x$00$00", "pbkdf2-sha256$0$0011$" ,
                          "pbkdf2-sha256$10$zz$0011", "pbkdf2-sha256$10$0011$0011"})
    EXPECT_THROW(verify_password("sesame", bad), Error) << bad;
}

TEST(Loopback, OnlyThisMachine) {
  for (const char* a : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"}) EXPECT_TRUE(is_loopback(a)) << a;
  for (const char* a : {"10.0.0.1", "192.168.1.127", "::ffff:10.0.0.1", "0.0.0.0", "", "1127.0.0.1", "fe80::1"})
    EXPECT_FALSE(is_loopback(a)) << a;
}

TEST(Authenticator, BasicAuthWithClearPassword) {
  Authenticator a(Account{"ann", "s3cret:x", ""});
  EXPECT_TRUE(a.check_basic(basic("ann:s3cret:x")));  // the password may contain ':'
  EXPECT_TRUE(a.check_basic("basic " + basic("ann:s3cret:x").substr(6)));  // the scheme is case-insensitive
  EXPECT_FALSE(a.check_basic(basic("ann:s3cret")));
  EXPECT_FALSE(a.check_basic(basic("bob:s3cret:x")));
  EXPECT_FALSE(a.check_basic(""));
  EXPECT_FALSE(a.check_basic("Basic"));
  EXPECT_FALSE(a.check_basic("Basic !!!!"));
  EXPECT_FALSE(a.check_basic("Bearer abc"));
  EXPECT_FALSE(a.check_basic("Basic YW5u"));  // "ann" without a colon
}

TEST(Authenticator, HashOnlyAccountChecksPasswordsButNotTokens) {
  Authenticator a(Account{"ann", "", hash_password("sesame", 1000)});
  EXPECT_TRUE(a.configured());
  EXPECT_FALSE(a.can_check_tokens());
  EXPECT_TRUE(a.check_password("ann", "sesame"));
  EXPECT_TRUE(a.check_password("ann", "sesame"));  // again, from the cache
  EXPECT_FALSE(a.check_password("ann", "sesam"));
  EXPECT_FALSE(a.check_password("bob", "sesame"));
  EXPECT_FALSE(a.check_token("ann", subsonic::token("sesame", "c19b2d"), "c19b2d"));
}

TEST(Authenticator, TokensWithClearPassword) {
  Authenticator a(Account{"ann", "sesame", ""});
  EXPECT_TRUE(a.check_token("ann", "26719a1196d2a940705a59634eb18eab", "c19b2d"));
  EXPECT_TRUE(a.check_token("ann", "26719A1196D2A940705A59634EB18EAB", "c19b2d"));
  EXPECT_FALSE(a.check_token("ann", "26719a1196d2a940705a59634eb18eab", "c19b2e"));
  EXPECT_FALSE(a.check_token("bob", "26719a1196d2a940705a59634eb18eab", "c19b2d"));
}

TEST(Gate, LoopbackAndSubsonicPassOthersMustLogIn) {
  Authenticator none(Account{});
  Authenticator ann(Account{"ann", "pw", ""});
  EXPECT_EQ(gate_request(none, "127.0.0.1", "/api/status", ""), Gate::allow);
  EXPECT_EQ(gate_request(none, "10.1.2.3", "/api/status", ""), Gate::no_account);
  EXPECT_EQ(gate_request(none, "10.1.2.3", "/", ""), Gate::no_account);
  EXPECT_EQ(gate_request(none, "10.1.2.3", "/rest/ping.view", ""), Gate::allow);  // Subsonic answers error 40
  EXPECT_EQ(gate_request(ann, "10.1.2.3", "/api/stream/1", ""), Gate::login_required);
  EXPECT_EQ(gate_request(ann, "10.1.2.3", "/index.html", basic("ann:nope")), Gate::login_required);
  EXPECT_EQ(gate_request(ann, "10.1.2.3", "/api/stream/1", basic("ann:pw")), Gate::allow);
}

TEST(ResolveAccount, StoresOnlyAHashAndReloadsIt) {
  audiorium::testing::TempDir tmp;
  auto cat = catalog::Catalog::open(tmp.path() / "catalog.db");
  EXPECT_FALSE(resolve_account(cat, "", "").configured());
  EXPECT_THROW(resolve_account(cat, "ann", ""), Error);
  EXPECT_THROW(resolve_account(cat, "", "pw"), Error);

  const auto first = resolve_account(cat, "ann", "sesame");
  EXPECT_EQ(first.password, "sesame");
  EXPECT_EQ(cat.meta("auth.user").value_or(""), "ann");
  const auto stored = cat.meta("auth.password_hash").value_or("");
  EXPECT_TRUE(verify_password("sesame", stored));

  const auto again = resolve_account(cat, "ann", "sesame");  // same password: the hash is kept
  EXPECT_EQ(cat.meta("auth.password_hash").value_or(""), stored);
  EXPECT_EQ(again.password_hash, stored);

  const auto later = resolve_account(cat, "", "");  // a later start without flags
  EXPECT_EQ(later.user, "ann");
  EXPECT_TRUE(later.password.empty());
  EXPECT_EQ(later.password_hash, stored);

  resolve_account(cat, "ann", "new password");
  EXPECT_FALSE(verify_password("sesame", cat.meta("auth.password_hash").value_or("")));
  EXPECT_TRUE(verify_password("new password", cat.meta("auth.password_hash").value_or("")));
}

// An IPv4 address of this machine other than loopback, if it has one (CI containers usually do).
std::optional<std::string> non_loopback_ipv4() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (auto* i = list; i && !found; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    if (!is_loopback(text)) found = text;
  }
  freeifaddrs(list);
  return found;
}

TEST(ServerBeyondLoopback, RefusesToListenWithoutAUser) {
  audiorium::testing::TempDir tmp;
  auto lib = library::Library::open(tmp.path() / "data");
  ServerOptions o;
  o.host = "0.0.0.0";
  o.port = 0;
  Server server(lib, o);
  try {
    server.start();
    FAIL() << "started on 0.0.0.0 without a user";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--user"), std::string::npos) << e.what();
  }
}

TEST(ServerBeyondLoopback, OthersMustLogInLoopbackNeedNot) {
  const auto address = non_loopback_ipv4();
  if (!address) GTEST_SKIP() << "this machine has no non-loopback IPv4 address to connect from";
  audiorium::testing::TempDir tmp;
  auto lib = library::Library::open(tmp.path() / "data");
  ServerOptions o;
  o.host = "0.0.0.0";
  o.port = 0;
  o.user = "ann";
  o.password_hash = hash_password("sesame", 1000);
  Server server(lib, o);
  server.start();

  httplib::Client local("127.0.0.1", server.port());
  auto r = local.Get("/api/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);

  httplib::Client remote(*address, server.port());
  r = remote.Get("/api/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->get_header_value("WWW-Authenticate").find("Basic"), std::string::npos);
  EXPECT_NE(r->body.find("log in"), std::string::npos);
  r = remote.Get("/");  // the page too, not only the API
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);

  remote.set_basic_auth("ann", "wrong");
  r = remote.Get("/api/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);

  remote.set_basic_auth("ann", "sesame");
  r = remote.Get("/api/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;

  // Subsonic from the stored hash alone: p works, token auth is refused with error 41.
  httplib::Client sub(*address, server.port());
  r = sub.Get("/rest/ping.view?f=json&u=ann&p=sesame&c=test&v=1.16.1");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("\"ok\""), std::string::npos) << r->body;
  r = sub.Get("/rest/ping.view?f=json&u=ann&t=" + subsonic::token("sesame", "abc") + "&s=abc&c=test&v=1.16.1");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("\"code\":41"), std::string::npos) << r->body;
  server.stop();
}

}  // namespace
}  // namespace audiorium::server::auth
