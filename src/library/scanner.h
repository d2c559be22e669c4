// Walks a music folder and brings the catalog up to date with it:
// - incremental: a file whose path, size and mtime match the catalog is not touched;
// - parallel: `jobs` threads decode and analyse, one thread writes to SQLite;
// - resumable: every track is committed in its own transaction as soon as it is analysed, so a killed
//   scan loses at most the tracks in flight and a re-run continues where it stopped;
// - moves: a new file whose fingerprint equals that of a track whose file has disappeared takes over
//   that track's id (and with it history, likes and playlists);
// - deletions: tracks whose files no longer exist leave the catalog at the end of the scan;
// - bad files: anything that fails to decode is recorded in scan_errors with the reason, and the scan goes on;
// - files replaced or rewritten while they are read are read once more; one that changes again is recorded as a
//   scan error, and nothing of it is stored, so the next scan reads it (analyse_file's FileChangedWhileReading).
// Files are chosen by extension (audio_extensions()); other files are counted as ignored, not as errors.
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "audio/decoder.h"
#include "catalog/catalog.h"
#include "embed/embedder.h"

namespace audiorium::library {

struct ScanProgress {
  std::size_t to_analyse = 0;
  std::size_t analysed = 0;  // finished, including failures
  std::size_t failed = 0;
  double elapsed_s = 0;
  double tracks_per_s = 0;
  double eta_s = 0;
  std::string current;
};

struct ScanOptions {
  int jobs = 0;  // 0 = number of cores
  audio::AnalysisWindow window = audio::AnalysisWindow::middle(30.0);
  std::function<void(const ScanProgress&)> on_progress;  // called from the writer thread
  // When set and it becomes true, no new file is started; the tracks in flight are still committed, and the
  // end-of-scan removal of vanished files is skipped (it needs a complete pass).
  const std::atomic<bool>* cancel = nullptr;
  // A test seam (see analyse_file): called in the analysing thread after each read of a file, before the check
  // that it did not change meanwhile.
  std::function<void(const std::filesystem::path&)> after_reads;
};

struct ScanProblem {
  std::string path;
  std::string reason;
};

struct ScanReport {
  std::size_t files_found = 0;
  std::size_t unchanged = 0;
  std::size_t added = 0;
  std::size_t updated = 0;
  std::size_t moved = 0;
  std::size_t removed = 0;
  std::size_t failed = 0;
  std::size_t ignored = 0;  // files that are not audio by extension, and special files
  std::size_t skipped = 0;  // not analysed because the scan was cancelled
  bool cancelled = false;
  double seconds = 0;
  std::vector<ScanProblem> problems;  // this scan's failures
};

const std::vector<std::string>& audio_extensions();

struct Listing {
  std::vector<std::filesystem::path> audio_files;  // absolute, lexically normal, sorted
  std::vector<ScanProblem> problems;               // unreadable folders, broken links
  std::size_t ignored = 0;
};

// Recursive, follows symbolic links but visits each real folder once (loops cannot hang it).
Listing list_audio_files(const std::filesystem::path& root);

// Throws audiorium::Error if root does not exist or is not a folder.
ScanReport scan_library(catalog::Catalog& catalog, const embed::Embedder& embedder,
                        const std::filesystem::path& root, const ScanOptions& options);

}  // namespace audiorium::library
