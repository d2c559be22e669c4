// `audiorium eval` (the evaluation protocol and its HTML report) and `audiorium study export|import` (the
// listening study), over one library.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace audiorium::cli {

// Registers both sub-commands on `app`. Like `serve`, they run from their own CLI11 callbacks once parsing is done;
// `data_option` and `json_option` are the global --data and --json values (read when a command runs). On failure a
// command prints "audiorium: <message>" and makes the parse return exit code 1.
void add_eval_commands(CLI::App& app, const std::string& data_option, const bool& json_option);

}  // namespace audiorium::cli
