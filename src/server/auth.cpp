#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <optional>
#include <vector>

#include "catalog/catalog.h"
#include "core/ascii.h"
#include "core/error.h"
#include "server/subsonic.h"

namespace audiorium::server::auth {

namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr int kHashBytes = 32;

std::string pbkdf2(std::string_view password, std::string_view salt, int iterations) {
  std::string out(kHashBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                        EVP_sha256(), kHashBytes, reinterpret_cast<unsigned char*>(out.data())) != 1)
    throw Error("PBKDF2-HMAC-SHA256 is not available from OpenSSL");
  return out;
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw Error("SHA-256 is not available from OpenSSL");
  return to_hex({reinterpret_cast<const char*>(digest), length});
}

// RFC 4648 base64 (what Basic auth uses); nullopt on anything else.
std::optional<std::string> decode_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 || text.size() > 4096) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t size = static_cast<std::size_t>(n);
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) --size;
  out.resize(size);
  return out;
}

}  // namespace

std::string hash_password(std::string_view password, int iterations) {
  if (iterations < 1) throw Error("hash_password: iterations must be positive");
  std::string salt(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1)
    throw Error("no random bytes from OpenSSL");
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + to_hex(salt) + "$" +
         to_hex(pbkdf2(password, salt, iterations));
}

bool verify_password(std::string_view password, std::string_view encoded) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto end = encoded.find('$', start);
    parts.push_back(encoded.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  int iterations = 0;
  const auto bad = [] { return Error("the stored password hash is not one Audiorium wrote (pbkdf2-sha256$ITER$SALT$HASH)"); };
  if (parts.size() != 4 || parts[0] != kScheme) throw bad();
  const auto [end, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), iterations);
  if (ec != std::errc() || end != parts[1].data() + parts[1].size() || iterations < 1 || iterations > 10'000'000)
    throw bad();
  const auto salt = from_hex(parts[2]);
  const auto expected = from_hex(parts[3]);
  if (!salt || !expected || salt->empty() || expected->size() != kHashBytes) throw bad();
  const auto actual = pbkdf2(password, *salt, iterations);
  return CRYPTO_memcmp(actual.data(), expected->data(), kHashBytes) == 0;
}

bool equal_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool is_loopback(std::string_view addr) {
  if (addr == "::1") return true;
  if (addr.rfind("::ffff:", 0) == 0) addr.remove_prefix(7);
  return addr.rfind("127.", 0) == 0;
}

Account resolve_account(catalog::Catalog& catalog, const std::string& user, const std::string& password) {
  if (!user.empty() && password.empty())
    throw Error("a user needs a password: give --password (or AUDIORIUM_PASSWORD) with --user");
  if (user.empty() && !password.empty())
    throw Error("a password needs a user: give --user (or AUDIORIUM_USER) with --password");
  Account account;
  if (user.empty()) {
    account.user = catalog.meta("auth.user").value_or("");
    account.password_hash = catalog.meta("auth.password_hash").value_or("");
    if (account.password_hash.empty()) account.user.clear();
    return account;
  }
  account.user = user;
  account.password = password;
  const auto stored_user = catalog.meta("auth.user");
  const auto stored_hash = catalog.meta("auth.password_hash");
  bool same = false;
  if (stored_user && *stored_user == user && stored_hash) {
    try {
      same = verify_password(password, *stored_hash);
    } catch (const Error&) {
      same = false;  // a damaged hash is simply replaced
    }
  }
  account.password_hash = same ? *stored_hash : hash_password(password);
  if (!same) {
    catalog.set_meta("auth.user", user);
    catalog.set_meta("auth.password_hash", account.password_hash);
  }
  return account;
}

Authenticator::Authenticator(Account account) : account_(std::move(account)) {}

bool Authenticator::check_password(std::string_view user, std::string_view password) const {
  if (!configured() || !equal_secret(user, account_.user)) return false;
  if (!account_.password.empty()) return equal_secret(password, account_.password);
  std::string key(user);
  key += '\0';
  key += password;
  const std::string digest = sha256_hex(key);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (verified_.count(digest)) return true;
  }
  if (!verify_password(password, account_.password_hash)) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  if (verified_.size() > 64) verified_.clear();  // bounded: only a handful of right passwords exist anyway
  verified_.insert(digest);
  return true;
}

bool Authenticator::check_token(std::string_view user, std::string_view token, std::string_view salt) const {
  if (!configured() || !can_check_tokens() || !equal_secret(user, account_.user)) return false;
  return equal_secret(ascii_lower(std::string(token)), subsonic::token(account_.password, salt));
}

bool Authenticator::check_basic(std::string_view authorization) const {
  constexpr std::string_view prefix = "basic ";  // the scheme is case-insensitive (RFC 7235)
  if (authorization.size() <= prefix.size()) return false;
  if (ascii_lower(std::string(authorization.substr(0, prefix.size()))) != prefix) return false;
  auto encoded = authorization.substr(prefix.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  const auto decoded = decode_base64(encoded);
  if (!decoded) return false;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  return check_password(std::string_view(*decoded).substr(0, colon), std::string_view(*decoded).substr(colon + 1));
}

Gate gate_request(const Authenticator& auth, std::string_view remote_addr, std::string_view path,
                  std::string_view authorization) {
  if (is_loopback(remote_addr) || path.rfind("/rest/", 0) == 0) return Gate::allow;
  if (!auth.configured()) return Gate::no_account;
  return auth.check_basic(authorization) ? Gate::allow : Gate::login_required;
}

}  // namespace audiorium::server::auth
