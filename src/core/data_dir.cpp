#include "core/data_dir.h"

#include <cstdlib>

namespace audiorium {

std::filesystem::path resolve_data_dir(const std::optional<std::filesystem::path>& explicit_dir) {
  if (explicit_dir && !explicit_dir->empty()) return *explicit_dir;
  if (const char* env = std::getenv("AUDIORIUM_DATA"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "audiorium";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".local" / "share" / "audiorium";
  return std::filesystem::current_path() / ".audiorium";
}

}  // namespace audiorium
