// `audiorium packs list` and `audiorium packs verify NAME`: what model packs are installed and whether their
// files are intact. Reads manifests and checksums only (src/packs), so it never loads libtorch.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace audiorium::cli {

// Registers the `packs` sub-command on `app`; `data_option` and `json_option` are the global --data and --json
// values (read when the command runs). Exit code 1 when a verified pack is invalid or a pack is not found.
void add_packs_command(CLI::App& app, const std::string& data_option, const bool& json_option);

}  // namespace audiorium::cli
