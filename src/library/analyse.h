// One file in, everything the catalog keeps about it out: stream info, tags, the analysed window's
// descriptors, its chromaprint fingerprint and the embedder's raw vector. Pure function of the file,
// safe to call from several threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>

#include "audio/decoder.h"
#include "catalog/catalog.h"
#include "core/error.h"
#include "embed/embedder.h"

namespace audiorium::library {

// The file's modification time in nanoseconds since the epoch, 0 if it cannot be read: with the size, what
// tells the scanner a file has changed since it was catalogued.
int64_t file_mtime_ns(const std::filesystem::path& file);

// The file changed (another inode renamed over it, a rewrite, a truncation) between the first and the last
// read of one analysis: what was read may mix two contents, so none of it is kept.
class FileChangedWhileReading : public Error {
 public:
  using Error::Error;
};

// Throws audiorium::Error (with the reason a user should read) when the file cannot be analysed, and
// FileChangedWhileReading when its identity (inode, size, mtime, ctime) differs after the reads from before
// them. The size and mtime recorded are those from before the reads, so a change the check cannot see (within
// the clock's resolution) still leaves the catalog looking older than the file, and the next scan reads it again.
// `after_reads`, when set, is called between the last read and the check (a seam for tests that replace the
// file at exactly that moment).
catalog::TrackAnalysis analyse_file(const std::filesystem::path& file, const embed::Embedder& embedder,
                                    const audio::AnalysisWindow& window,
                                    const std::function<void(const std::filesystem::path&)>& after_reads = {});

}  // namespace audiorium::library
