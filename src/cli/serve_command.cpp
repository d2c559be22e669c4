#include "cli/serve_command.h"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>

#include "core/data_dir.h"
#include "library/library.h"
#include "packembed/serving.h"
#include "server/auth.h"
#include "server/server.h"

namespace audiorium::cli {

void add_serve_command(CLI::App& app, const std::string& data_option) {
  auto* serve = app.add_subcommand("serve", "Serve the web app and its JSON API (with audio streaming) over HTTP");
  auto options = std::make_shared<server::ServerOptions>();
  auto web = std::make_shared<std::string>();
  auto embedder = std::make_shared<std::string>("auto");
  serve->add_option("--host", options->host,
                    "Address to listen on (default 127.0.0.1, this machine only; any other address needs "
                    "--user/--password, and others must log in)");
  serve->add_option("--port", options->port, "Port (0 = any free port)")->check(CLI::Range(0, 65535));
  serve->add_option("--web", *web, "Folder of the web app (default: the source tree's web/)");
  serve->add_option("--threads", options->threads, "Worker threads")->check(CLI::Range(1, 256));
  serve->add_option("--user", options->user,
                    "The user others log in as, and the Subsonic API's (or $AUDIORIUM_USER); stored in the catalog "
                    "with a hash of the password, so later starts may omit both");
  serve->add_option("--password", options->password,
                    "Its password (or $AUDIORIUM_PASSWORD); only its PBKDF2 hash is written to disk");
  serve->add_option("--music", options->music_roots,
                    "Music folder to index in the background while serving (repeatable; rescan: POST /api/index)")
      ->check(CLI::ExistingDirectory);
  serve->add_flag("!--no-index-on-start", options->index_on_start,
                  "With --music: do not scan at start, only when asked (POST /api/index or the page's button)");
  serve->add_option("--jobs", options->index_jobs,
                    "Analysis threads of the background scan, and libtorch's threads with a pack (0 = all cores)")
      ->check(CLI::Range(0, 256));
  serve->add_option("--embedder", *embedder,
                    "What to search with: auto (a CLAP model pack when its vectors cover the library, else dsp-v1), "
                    "dsp-v1, clap, clap:<pack> or a pack folder");
  serve->callback([options, web, embedder, &data_option] {
    try {
      auto opts = *options;
      if (const char* u = std::getenv("AUDIORIUM_USER"); u && opts.user.empty()) opts.user = u;
      if (const char* p = std::getenv("AUDIORIUM_PASSWORD"); p && opts.password.empty()) opts.password = p;
      opts.web_root = web->empty() ? server::default_web_root() : std::filesystem::path(*web);
      const auto dir = resolve_data_dir(data_option.empty() ? std::nullopt
                                                            : std::optional<std::filesystem::path>(data_option));
      auto library = library::Library::open(dir);
      // The best embedder present (packembed/serving.h); with a CLAP pack the library serves its vectors.
      auto packs = std::make_shared<packembed::ServingPacks>(packembed::choose_serving_packs(
          *embedder, dir, library.catalog(), !opts.music_roots.empty(), opts.index_jobs));
      for (const auto& note : packs->notes) std::cout << "model packs: " << note << "\n";
      if (packs->uses_pack())
        library = library::Library::open(dir, std::make_unique<packembed::PackEmbedder>(packs->clap));
      opts.packs = packs;
      const auto account = server::auth::resolve_account(library.catalog(), opts.user, opts.password);
      opts.user = account.user;
      opts.password = account.password;
      opts.password_hash = account.password_hash;
      for (auto& root : opts.music_roots) root = std::filesystem::absolute(root);
      const int rc = server::run_server(library, opts, std::cout);
      if (rc != 0) throw CLI::RuntimeError(rc);
    } catch (const CLI::Error&) {
      throw;
    } catch (const std::exception& e) {
      std::cerr << "audiorium: " << e.what() << "\n";
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace audiorium::cli
