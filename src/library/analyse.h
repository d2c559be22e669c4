// One file in, everything the catalog keeps about it out: stream info, tags, the analysed window's
// descriptors, its chromaprint fingerprint and the embedder's raw vector. Pure function of the file,
// safe to call from several threads at once.
#pragma once

#include <cstdint>
#include <filesystem>

#include "audio/decoder.h"
#include "catalog/catalog.h"
#include "embed/embedder.h"

namespace audiorium::library {

// The file's modification time in nanoseconds since the epoch, 0 if it cannot be read: with the size, what
// tells the scanner a file has changed since it was catalogued.
int64_t file_mtime_ns(const std::filesystem::path& file);

// Throws audiorium::Error (with the reason a user should read) when the file cannot be analysed.
catalog::TrackAnalysis analyse_file(const std::filesystem::path& file, const embed::Embedder& embedder,
                                    const audio::AnalysisWindow& window);

}  // namespace audiorium::library
