// Crash-safe replacement of a file: write a temporary in the same directory (rename is atomic only
// within one file system), fsync it, rename it over the target, fsync the directory.
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string_view>

namespace audiorium::index {

// Calls write(stream) on a fresh temporary file, then publishes it as `target`. If write throws or
// any step fails, the temporary is removed, `target` is left as it was, and Error is thrown.
void write_file_atomically(const std::filesystem::path& target, const std::function<void(std::FILE*)>& write);

// Convenience for text such as a JSON manifest.
void write_text_atomically(const std::filesystem::path& target, std::string_view text);

}  // namespace audiorium::index
