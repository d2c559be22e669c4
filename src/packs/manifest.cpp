#include "packs/manifest.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/ascii.h"
#include "core/error.h"

namespace audiorium::packs {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Every message starts with the pack it is about, so a list of several packs stays readable.
class Checker {
 public:
  explicit Checker(fs::path dir) : dir_(std::move(dir)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw Error("pack " + (name_.empty() ? "" : "'" + name_ + "' ") + "(" + dir_.string() + "): " + what);
  }
  void set_name(std::string n) { name_ = std::move(n); }

  const json& member(const json& obj, const std::string& key, const std::string& where) const {
    const auto it = obj.find(key);
    if (it == obj.end()) fail("manifest.json has no \"" + where + "\"");
    return *it;
  }
  std::string string(const json& obj, const std::string& key, const std::string& where) const {
    const auto& v = member(obj, key, where);
    if (!v.is_string() || v.get<std::string>().empty()) fail("\"" + where + "\" must be a non-empty string");
    return v.get<std::string>();
  }
  long long integer(const json& obj, const std::string& key, const std::string& where) const {
    const auto& v = member(obj, key, where);
    if (!v.is_number_integer()) fail("\"" + where + "\" must be an integer, got " + v.dump());
    return v.get<long long>();
  }
  int positive_int(const json& obj, const std::string& key, const std::string& where) const {
    const auto v = integer(obj, key, where);
    if (v <= 0 || v > 1'000'000'000) fail("\"" + where + "\" must be a positive integer, got " + std::to_string(v));
    return static_cast<int>(v);
  }
  double positive_number(const json& obj, const std::string& key, const std::string& where) const {
    const auto& v = member(obj, key, where);
    if (!v.is_number() || !(v.get<double>() > 0)) fail("\"" + where + "\" must be a positive number, got " + v.dump());
    return v.get<double>();
  }
  const json& object(const json& obj, const std::string& key, const std::string& where) const {
    const auto& v = member(obj, key, where);
    if (!v.is_object()) fail("\"" + where + "\" must be an object");
    return v;
  }
  std::string one_of(const json& obj, const std::string& key, const std::string& where,
                     const std::vector<std::string>& allowed) const {
    auto v = string(obj, key, where);
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      fail("\"" + where + "\" is '" + v + "'; this Audiorium knows: " + list);
    }
    return v;
  }
  // A file name inside the pack: relative and staying inside the folder (a manifest must not point elsewhere).
  std::string file_name(const json& obj, const std::string& key, const std::string& where) const {
    auto v = string(obj, key, where);
    inside(v, where);
    return v;
  }
  void inside(const std::string& v, const std::string& where) const {
    const fs::path p(v);
    if (v.empty() || p.is_absolute() ||
        std::any_of(p.begin(), p.end(), [](const fs::path& part) { return part == ".."; }))
      fail("\"" + where + "\" must name a file inside the pack folder, got '" + v + "'");
  }
  std::array<double, 3> rgb(const json& obj, const std::string& key, const std::string& where, bool positive) const {
    const auto& v = member(obj, key, where);
    if (!v.is_array() || v.size() != 3)
      fail("\"" + where + "\" must be a list of 3 numbers (R, G, B), got " + v.dump());
    std::array<double, 3> out{};
    for (std::size_t i = 0; i < 3; ++i) {
      if (!v[i].is_number()) fail("\"" + where + "\" must be a list of 3 numbers (R, G, B), got " + v.dump());
      out[i] = v[i].get<double>();
      if (positive && !(out[i] > 0)) fail("\"" + where + "\" values must be positive, got " + v.dump());
    }
    return out;
  }

 private:
  fs::path dir_;
  std::string name_;
};

std::string line_column(const std::string& text, std::size_t byte) {
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

bool is_sha256_hex(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

PackManifest parse(const fs::path& dir, bool verify_checksums) {
  Checker check(dir);
  const fs::path manifest_path = dir / "manifest.json";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) check.fail("not a folder");
  std::ifstream in(manifest_path, std::ios::binary);
  if (!in)
    check.fail("no manifest.json (a pack folder holds manifest.json and its model files; make one with "
               "tools/export_pack.py)");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    check.fail("manifest.json is not valid JSON at " + line_column(text, e.byte) + " (byte " +
               std::to_string(e.byte) + ")");
  } catch (const json::exception& e) {
    // Well-formed but unrepresentable, e.g. a number beyond double ("1e999": out_of_range 406; found by
    // fuzz_manifest). Escaping as a json exception broke read_pack's promise of an audiorium::Error.
    check.fail(std::string("manifest.json cannot be read: ") + e.what());
  }
  if (!j.is_object()) check.fail("manifest.json must hold a JSON object");

  PackManifest m;
  m.dir = dir;
  const auto version = check.integer(j, "format_version", "format_version");
  if (version > kFormatVersion)
    check.fail("format_version " + std::to_string(version) + " was made by a newer Audiorium (this one reads up to " +
               std::to_string(kFormatVersion) + "); upgrade Audiorium to use this pack");
  if (version < 1) check.fail("format_version must be 1 or more, got " + std::to_string(version));
  m.format_version = static_cast<int>(version);
  m.name = check.string(j, "name", "name");
  check.set_name(m.name);
  m.kind = check.one_of(j, "kind", "kind", {"clap", "clip"});
  m.version = check.string(j, "version", "version");
  const auto dim = check.integer(j, "embedding_dim", "embedding_dim");
  if (dim <= 0 || dim > 65536) check.fail("\"embedding_dim\" must be between 1 and 65536, got " + std::to_string(dim));
  m.embedding_dim = static_cast<int>(dim);

  const json& files = check.object(j, "files", "files");
  for (auto it = files.begin(); it != files.end(); ++it) {
    if (!it.value().is_string() || !is_sha256_hex(it.value().get<std::string>()))
      check.fail("\"files\".\"" + it.key() + "\" must be a SHA-256 in hex (64 characters), got " + it.value().dump());
    check.inside(it.key(), "files");
    m.files[it.key()] = lower(it.value().get<std::string>());
  }

  std::vector<std::string> named;  // every file a tower or tokenizer uses
  auto tower_file = [&](const json& section, const std::string& where) {
    auto f = check.file_name(section, "tower", where + ".tower");
    named.push_back(f);
    return dir / f;
  };
  const bool clap = m.kind == "clap";
  if (j.contains("audio")) {
    if (!clap) check.fail("a clip pack has no audio tower (found \"audio\"); audio towers belong to clap packs");
    const json& a = check.object(j, "audio", "audio");
    AudioTower t;
    t.tower = tower_file(a, "audio");
    t.sample_rate = check.positive_int(a, "sample_rate", "audio.sample_rate");
    t.window_s = check.positive_number(a, "window_s", "audio.window_s");
    t.hop_s = check.positive_number(a, "hop_s", "audio.hop_s");
    if (t.hop_s > t.window_s) check.fail("\"audio.hop_s\" must not exceed \"audio.window_s\" (windows would leave gaps)");
    t.pooling = check.one_of(a, "pooling", "audio.pooling", {"mean-l2"});
    t.max_windows = check.positive_int(a, "max_windows", "audio.max_windows");
    m.audio = t;
  }
  if (j.contains("text")) {
    const json& tx = check.object(j, "text", "text");
    TextTower t;
    t.tower = tower_file(tx, "text");
    const json& tk = check.object(tx, "tokenizer", "text.tokenizer");
    t.tokenizer.type = check.one_of(tk, "type", "text.tokenizer.type", {"roberta-bpe", "clip-bpe"});
    for (const auto& [key, path] : {std::pair<std::string, fs::path*>{"vocab", &t.tokenizer.vocab},
                                    std::pair<std::string, fs::path*>{"merges", &t.tokenizer.merges}}) {
      const auto f = check.file_name(tk, key, "text.tokenizer." + key);
      named.push_back(f);
      *path = dir / f;
    }
    if (tk.contains("max_length")) {
      const auto n = check.integer(tk, "max_length", "text.tokenizer.max_length");
      if (n < 2 || n > 65536) check.fail("\"text.tokenizer.max_length\" must be between 2 and 65536, got " + std::to_string(n));
      t.tokenizer.max_length = static_cast<std::size_t>(n);
    }
    if (tk.contains("pad_id")) {
      const auto n = check.integer(tk, "pad_id", "text.tokenizer.pad_id");
      if (n < 0) check.fail("\"text.tokenizer.pad_id\" must not be negative, got " + std::to_string(n));
      t.tokenizer.pad_id = n;
    }
    m.text = t;
  }
  if (j.contains("image")) {
    if (clap) check.fail("a clap pack has no image tower (found \"image\"); image towers belong to clip packs");
    const json& im = check.object(j, "image", "image");
    ImageTower t;
    t.tower = tower_file(im, "image");
    t.size = check.positive_int(im, "size", "image.size");
    t.resize = check.one_of(im, "resize", "image.resize", {"shorter-side"});
    t.crop = check.one_of(im, "crop", "image.crop", {"center"});
    t.mean = check.rgb(im, "mean", "image.mean", false);
    t.std = check.rgb(im, "std", "image.std", true);
    m.image = t;
  }
  if (!m.audio && !m.text && !m.image)
    check.fail(clap ? "a clap pack needs an \"audio\" or a \"text\" tower; it has neither"
                    : "a clip pack needs an \"image\" or a \"text\" tower; it has neither");
  if (j.contains("references")) {
    const auto f = check.file_name(j, "references", "references");
    named.push_back(f);
    m.references = dir / f;
  }

  for (const auto& f : named)
    if (!m.files.count(f)) check.fail("\"files\" has no SHA-256 for '" + f + "' (every file the manifest names is listed there)");
  for (const auto& [f, expected] : m.files) {
    const fs::path p = dir / f;
    if (!fs::is_regular_file(p, ec))
      check.fail("file '" + f + "' is missing (the pack is incomplete; copy or export it again)");
    if (!verify_checksums) continue;
    const auto actual = sha256_file(p);
    if (actual != expected)
      check.fail("checksum mismatch for '" + f + "': expected " + expected + ", actual " + actual +
                 " (the file is damaged or was changed; copy or export the pack again)");
  }
  return m;
}

}  // namespace

std::vector<std::string> PackManifest::towers() const {
  std::vector<std::string> out;
  if (audio) out.emplace_back("audio");
  if (text) out.emplace_back("text");
  if (image) out.emplace_back("image");
  return out;
}

PackManifest read_pack(const fs::path& dir, bool verify_checksums) { return parse(dir, verify_checksums); }

std::vector<PackInfo> list_packs(const fs::path& packs_dir, bool verify_checksums) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (fs::directory_iterator it(packs_dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec)) dirs.push_back(it->path());
  std::sort(dirs.begin(), dirs.end());
  std::vector<PackInfo> out;
  for (const auto& d : dirs) {
    PackInfo info;
    info.dir = d;
    info.name = d.filename().string();
    try {
      const auto m = read_pack(d, verify_checksums);
      info.name = m.name;
      info.kind = m.kind;
      info.version = m.version;
      info.embedding_dim = m.embedding_dim;
      info.towers = m.towers();
      info.checksums = verify_checksums ? ChecksumStatus::ok : ChecksumStatus::not_checked;
    } catch (const std::exception& e) {
      info.error = e.what();
      if (info.error.find("checksum mismatch") != std::string::npos) info.checksums = ChecksumStatus::mismatch;
      // Still show what the manifest says when only a file is wrong: read it again without checking files.
      try {
        std::ifstream in(d / "manifest.json");
        const auto j = json::parse(in);
        info.name = j.value("name", info.name);
        info.kind = j.value("kind", "");
        info.version = j.value("version", "");
        info.embedding_dim = j.value("embedding_dim", 0);
        for (const char* t : {"audio", "text", "image"})
          if (j.contains(t)) info.towers.emplace_back(t);
      } catch (const std::exception&) {
      }
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<fs::path> pack_search_path(const fs::path& data_dir) {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("AUDIORIUM_PACKS"); env && *env) {
    std::stringstream ss(env);
    for (std::string part; std::getline(ss, part, ':');)
      if (!part.empty()) out.emplace_back(part);
  }
  out.push_back(data_dir / "packs");
  return out;
}

fs::path find_pack(const std::string& name, const std::vector<fs::path>& search_path) {
  std::error_code ec;
  for (const auto& root : search_path) {
    if (!name.empty() && name.find('/') == std::string::npos && name != ".." && name != "." &&
        fs::is_directory(root / name, ec))
      return root / name;
    for (const auto& info : list_packs(root, false))
      if (info.name == name) return info.dir;
  }
  std::string where;
  for (const auto& r : search_path) where += (where.empty() ? "" : ", ") + r.string();
  throw Error("no pack named '" + name + "' in " + where + " (see `audiorium packs list`; $AUDIORIUM_PACKS adds folders)");
}

std::string sha256_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path.string() + " to checksum it");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) throw Error("OpenSSL SHA-256 unavailable");
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = in.gcount();
    if (n > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(n));
  }
  if (in.bad()) throw Error("read error while checksumming " + path.string());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  return to_hex({reinterpret_cast<const char*>(digest), len});
}

}  // namespace audiorium::packs
