// Who may use the server. One account (user + password) guards the Subsonic API and every request that does not
// come from this machine; requests from loopback (the person at the keyboard) need no login.
//
// The password is written to the catalog only as a PBKDF2-HMAC-SHA256 hash ("pbkdf2-sha256$ITER$SALT$HASH", hex),
// so a later `audiorium serve` can check logins without being given the password again. Subsonic token auth
// (t = md5(password + salt)) cannot be checked against a hash: it works only while the clear password is known
// to this process (given on the command line or in the environment), and is refused with a message otherwise.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace audiorium::catalog {
class Catalog;
}

namespace audiorium::server::auth {

// PBKDF2 with a fresh random 16-byte salt. 100k iterations: ~40 ms here, paid once per distinct login thanks to
// Authenticator's cache of verified credentials.
std::string hash_password(std::string_view password, int iterations = 100'000);
// False for a wrong password; throws audiorium::Error when `encoded` is not a hash this code wrote.
bool verify_password(std::string_view password, std::string_view encoded);

// Constant-time comparison (the time does not reveal where two secrets differ).
bool equal_secret(std::string_view a, std::string_view b);

// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.x.y.z).
bool is_loopback(std::string_view remote_addr);

struct Account {
  std::string user;
  std::string password;       // clear text, in memory only; empty when only the hash is known
  std::string password_hash;  // as hash_password writes it
  bool configured() const { return !user.empty() && (!password.empty() || !password_hash.empty()); }
};

// The account a server should use: given `user`/`password` (from flags or the environment), stores them hashed
// in the catalog (meta keys auth.user, auth.password_hash) unless the stored hash already matches; given neither,
// loads what was stored earlier (without the clear password). A user without a password is an error.
Account resolve_account(catalog::Catalog& catalog, const std::string& user, const std::string& password);

// Thread-safe checks against one account, remembering the credentials it has already verified (as SHA-256
// digests, never in clear) so PBKDF2 is not paid on every request.
class Authenticator {
 public:
  explicit Authenticator(Account account);

  const Account& account() const { return account_; }
  bool configured() const { return account_.configured(); }
  bool can_check_tokens() const { return !account_.password.empty(); }

  bool check_password(std::string_view user, std::string_view password) const;
  // Subsonic token: t == md5(password + salt), compared in lowercase hex. False when !can_check_tokens().
  bool check_token(std::string_view user, std::string_view token, std::string_view salt) const;
  // An HTTP "Authorization: Basic base64(user:password)" header value.
  bool check_basic(std::string_view authorization) const;

 private:
  Account account_;
  mutable std::mutex mutex_;
  mutable std::unordered_set<std::string> verified_;  // sha256(user \0 password) of successful logins
};

// What the server does with a request before routing it.
enum class Gate { allow, login_required, no_account };
// Loopback requests and the Subsonic API (/rest/, which authenticates itself) pass; anything else needs a valid
// Basic login, or is refused outright when no account exists.
Gate gate_request(const Authenticator& auth, std::string_view remote_addr, std::string_view path,
                  std::string_view authorization);

}  // namespace audiorium::server::auth
