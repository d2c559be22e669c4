// Where a library's catalog and indexes live: --data DIR, else $AUDIORIUM_DATA, else
// $XDG_DATA_HOME/audiorium, else ~/.local/share/audiorium.
#pragma once

#include <filesystem>
#include <optional>

namespace audiorium {

std::filesystem::path resolve_data_dir(const std::optional<std::filesystem::path>& explicit_dir);

}  // namespace audiorium
