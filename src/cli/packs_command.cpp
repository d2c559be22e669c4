#include "cli/packs_command.h"

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/data_dir.h"
#include "packs/manifest.h"

namespace audiorium::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* checksum_word(packs::ChecksumStatus s) {
  switch (s) {
    case packs::ChecksumStatus::ok: return "ok";
    case packs::ChecksumStatus::mismatch: return "MISMATCH";
    case packs::ChecksumStatus::not_checked: break;
  }
  return "not checked";
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

json info_json(const packs::PackInfo& p) {
  json j = {{"name", p.name},     {"dir", p.dir.string()},         {"kind", p.kind},
            {"version", p.version}, {"embedding_dim", p.embedding_dim}, {"towers", p.towers},
            {"checksums", checksum_word(p.checksums)}, {"valid", p.valid()}};
  if (!p.valid()) j["error"] = p.error;
  return j;
}

std::vector<fs::path> search_path(const std::string& data_option) {
  return packs::pack_search_path(
      resolve_data_dir(data_option.empty() ? std::nullopt : std::optional<fs::path>(data_option)));
}

int run_list(const std::string& data_option, bool as_json, bool quick) {
  const auto roots = search_path(data_option);
  std::vector<packs::PackInfo> all;
  for (const auto& root : roots) {
    auto found = packs::list_packs(root, !quick);
    all.insert(all.end(), found.begin(), found.end());
  }
  if (as_json) {
    json j = {{"search_path", json::array()}, {"packs", json::array()}};
    for (const auto& r : roots) j["search_path"].push_back(r.string());
    for (const auto& p : all) j["packs"].push_back(info_json(p));
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  if (all.empty()) {
    std::cout << "no model packs in " << join([&] {
      std::vector<std::string> r;
      for (const auto& p : roots) r.push_back(p.string());
      return r;
    }(), ", ") << "\n(make one with tools/export_pack.py; $AUDIORIUM_PACKS adds folders)\n";
    return 0;
  }
  std::size_t w = 4;
  for (const auto& p : all) w = std::max(w, p.name.size());
  auto pad = [](std::string s, std::size_t n) {
    s.resize(std::max(s.size(), n), ' ');
    return s;
  };
  std::cout << pad("NAME", w) << "  KIND  DIM   " << pad("TOWERS", 17) << pad("CHECKSUMS", 12) << "STATUS\n";
  for (const auto& p : all) {
    std::cout << pad(p.name, w) << "  " << pad(p.kind.empty() ? "?" : p.kind, 4) << "  "
              << pad(p.embedding_dim > 0 ? std::to_string(p.embedding_dim) : "?", 4) << "  "
              << pad(p.towers.empty() ? "-" : join(p.towers, "+"), 17) << pad(checksum_word(p.checksums), 12)
              << (p.valid() ? "ok" : "invalid") << "\n";
  }
  for (const auto& p : all)
    if (!p.valid()) std::cout << "\n" << p.name << ": " << p.error << "\n";
  return 0;
}

int run_verify(const std::string& data_option, bool as_json, const std::string& name) {
  const auto dir = packs::find_pack(name, search_path(data_option));
  try {
    const auto m = packs::read_pack(dir, true);
    if (as_json) {
      std::cout << json{{"name", m.name}, {"dir", dir.string()}, {"valid", true}, {"files", m.files.size()},
                        {"checksums", "ok"}}.dump(2)
                << "\n";
    } else {
      std::cout << m.name << " (" << dir.string() << "): " << m.kind << ", " << m.embedding_dim << " dims, towers "
                << join(m.towers(), "+") << "; " << m.files.size() << " files, checksums ok\n"
                << "(reference embeddings are not checked yet: that needs the neural runtime)\n";
    }
    return 0;
  } catch (const std::exception& e) {
    if (as_json) std::cout << json{{"name", name}, {"dir", dir.string()}, {"valid", false}, {"error", e.what()}}.dump(2) << "\n";
    std::cerr << "audiorium: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

void add_packs_command(CLI::App& app, const std::string& data_option, const bool& json_option) {
  auto* packs_cmd = app.add_subcommand("packs", "Neural model packs (CLAP, CLIP): list them, verify their files");
  packs_cmd->require_subcommand(1);
  auto* list = packs_cmd->add_subcommand("list", "Installed packs: name, kind, dimension, towers, checksums");
  auto quick = std::make_shared<bool>(false);
  list->add_flag("--quick", *quick, "Skip the SHA-256 checks (only read the manifests)");
  auto* verify = packs_cmd->add_subcommand("verify", "Check one pack's manifest and every file's SHA-256");
  auto name = std::make_shared<std::string>();
  verify->add_option("name", *name, "Pack name (manifest name or folder name)")->required();

  auto guard = [](auto&& body) {
    int rc = 0;
    try {
      rc = body();
    } catch (const std::exception& e) {
      std::cerr << "audiorium: " << e.what() << "\n";
      rc = 1;
    }
    if (rc != 0) throw CLI::RuntimeError(rc);
  };
  list->callback([&data_option, &json_option, quick, guard] {
    guard([&] { return run_list(data_option, json_option, *quick); });
  });
  verify->callback([&data_option, &json_option, name, guard] {
    guard([&] { return run_verify(data_option, json_option, *name); });
  });
}

}  // namespace audiorium::cli
