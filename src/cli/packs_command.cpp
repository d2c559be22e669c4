#include "cli/packs_command.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/data_dir.h"
#include "packembed/pack.h"
#include "packembed/runtime.h"
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
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
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

// The reference embeddings of references.json recomputed through the libtorch plugin (when it can be loaded)
// and compared with the exporter's: passes when every difference is within `tolerance` and the C++ tokenizer gives
// the exporter's token ids.
json verify_references_json(const packs::PackManifest& m, double tolerance) {
  if (!m.references) return {{"checked", false}, {"reason", "the pack has no references.json"}};
  std::string why;
  if (!packembed::runtime_available(&why)) return {{"checked", false}, {"reason", why}};
  const auto pack = packembed::Pack::open(m.dir);
  const auto report = packembed::verify_references(*pack);
  json items = json::array();
  for (const auto& it : report.items)
    items.push_back({{"what", it.what}, {"max_abs_diff", it.max_abs_diff}, {"tokens_match", it.tokens_match}});
  const bool ok = !report.items.empty() && report.max_abs_diff <= tolerance && report.tokens_match;
  return {{"checked", true},   {"runtime", packembed::runtime().torch_version},
          {"items", items},    {"max_abs_diff", report.max_abs_diff},
          {"tolerance", tolerance}, {"tokens_match", report.tokens_match}, {"ok", ok}};
}

int run_verify(const std::string& data_option, bool as_json, const std::string& name, double tolerance) {
  const auto dir = packs::find_pack(name, search_path(data_option));
  try {
    const auto m = packs::read_pack(dir, true);
    const auto refs = verify_references_json(m, tolerance);
    const bool ok = !refs["checked"].get<bool>() || refs["ok"].get<bool>();
    if (as_json) {
      std::cout << json{{"name", m.name}, {"dir", dir.string()}, {"valid", ok}, {"files", m.files.size()},
                        {"checksums", "ok"}, {"references", refs}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                << "\n";
    } else {
      std::cout << m.name << " (" << dir.string() << "): " << m.kind << ", " << m.embedding_dim << " dims, towers "
                << join(m.towers(), "+") << "; " << m.files.size() << " files, checksums ok\n";
      if (!refs["checked"].get<bool>()) {
        std::cout << "reference embeddings not checked: " << refs["reason"].get<std::string>() << "\n";
      } else {
        for (const auto& it : refs["items"]) {
          char line[64];
          std::snprintf(line, sizeof line, "  %-4s max |diff| %.2e%s  ",
                        it["max_abs_diff"].get<double>() <= tolerance && it["tokens_match"].get<bool>() ? "ok" : "FAIL",
                        it["max_abs_diff"].get<double>(), it["tokens_match"].get<bool>() ? "" : " TOKENS DIFFER");
          std::cout << line << it["what"].get<std::string>() << "\n";
        }
        char line[160];
        std::snprintf(line, sizeof line, "reference embeddings %s: %zu inputs through libtorch %s, max |diff| %.2e (tolerance %.0e)%s\n",
                      ok ? "ok" : "MISMATCH", refs["items"].size(), refs["runtime"].get<std::string>().c_str(),
                      refs["max_abs_diff"].get<double>(), tolerance,
                      refs["tokens_match"].get<bool>() ? "" : ", tokenizer ids differ from the exporter's");
        std::cout << line;
      }
    }
    if (!ok) std::cerr << "audiorium: pack '" << m.name << "' does not reproduce its reference embeddings\n";
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    if (as_json) std::cout << json{{"name", name}, {"dir", dir.string()}, {"valid", false}, {"error", e.what()}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
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
  auto* verify = packs_cmd->add_subcommand(
      "verify", "Check one pack's manifest and every file's SHA-256, and recompute its reference embeddings");
  auto name = std::make_shared<std::string>();
  verify->add_option("name", *name, "Pack name (manifest name or folder name)")->required();
  auto tolerance = std::make_shared<double>(1e-4);
  verify->add_option("--tolerance", *tolerance, "Largest accepted |difference| from references.json")
      ->capture_default_str();

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
  verify->callback([&data_option, &json_option, name, tolerance, guard] {
    guard([&] { return run_verify(data_option, json_option, *name, *tolerance); });
  });
}

}  // namespace audiorium::cli
