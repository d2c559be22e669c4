// `audiorium serve`: the HTTP server (JSON API, streaming, the web app) over one library.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace audiorium::cli {

// Registers the `serve` sub-command on `app`. It runs from its own CLI11 callback once parsing is done, so main()
// needs no other change; `data_option` is the global --data value (read when the command runs). On failure it
// prints "audiorium: <message>" and makes the parse return exit code 1.
void add_serve_command(CLI::App& app, const std::string& data_option);

}  // namespace audiorium::cli
