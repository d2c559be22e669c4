#include "cli/serve_command.h"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>

#include "core/data_dir.h"
#include "library/library.h"
#include "server/server.h"

namespace audiorium::cli {

void add_serve_command(CLI::App& app, const std::string& data_option) {
  auto* serve = app.add_subcommand("serve", "Serve the web app and its JSON API (with audio streaming) over HTTP");
  auto options = std::make_shared<server::ServerOptions>();
  auto web = std::make_shared<std::string>();
  serve->add_option("--host", options->host,
                    "Address to listen on (default 127.0.0.1; there is no authentication yet, so think twice "
                    "before listening on other interfaces)");
  serve->add_option("--port", options->port, "Port (0 = any free port)")->check(CLI::Range(0, 65535));
  serve->add_option("--web", *web, "Folder of the web app (default: the source tree's web/)");
  serve->add_option("--threads", options->threads, "Worker threads")->check(CLI::Range(1, 256));
  serve->add_option("--user", options->user, "User of the Subsonic API under /rest/ (or $AUDIORIUM_USER)");
  serve->add_option("--password", options->password,
                    "Its password (or $AUDIORIUM_PASSWORD); kept in memory only, as Subsonic token auth needs it");
  serve->callback([options, web, &data_option] {
    try {
      auto opts = *options;
      if (const char* u = std::getenv("AUDIORIUM_USER"); u && opts.user.empty()) opts.user = u;
      if (const char* p = std::getenv("AUDIORIUM_PASSWORD"); p && opts.password.empty()) opts.password = p;
      opts.web_root = web->empty() ? server::default_web_root() : std::filesystem::path(*web);
      const auto dir = resolve_data_dir(data_option.empty() ? std::nullopt
                                                            : std::optional<std::filesystem::path>(data_option));
      auto library = library::Library::open(dir);
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
