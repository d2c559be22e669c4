// Indexing while serving: scans music folders on a thread of its own, through a Library (and so a SQLite
// connection) of its own, while the server keeps answering from its Library. Every analysed track is committed
// at once (see scanner.h), so a server's Library picks new tracks up as the catalog generation moves, and a stop
// in the middle loses nothing: the next scan continues where this one ended.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "library/scanner.h"

namespace audiorium::library {

struct BackgroundScanStatus {
  enum class State { idle, running, done, failed, cancelled };
  State state = State::idle;
  std::string phase;                 // while running: "scanning", or what the after-scan step last said
  std::string after_scan;            // what the after-scan step last said (kept once finished)
  std::vector<std::filesystem::path> roots;
  std::size_t root_index = 0;        // which root is being scanned (0-based)
  ScanProgress progress;             // of the current root
  std::optional<ScanReport> report;  // summed over the roots, once finished
  std::string error;                 // when failed
  int64_t started_at = 0, finished_at = 0;  // unix seconds; 0 = not yet
  int runs = 0;                      // scans started since construction
};

const char* to_string(BackgroundScanStatus::State state);

// A step run after the roots are scanned, on the scan's thread and catalog connection: the server's model pack
// embeds the tracks that have no vector of it yet (src/packembed). `say` reports progress in a line ("embedding
// with clap.x.1: 12/145"); `cancel` turns true when the scan is asked to stop. An exception fails the run.
using AfterScan = std::function<void(catalog::Catalog& catalog, const std::atomic<bool>& cancel,
                                     const std::function<void(const std::string&)>& say)>;

class BackgroundScan {
 public:
  // `data_dir` is the library's folder; the roots are scanned one after the other, each with `options`
  // (options.on_progress is replaced by the status bookkeeping), then after_scan runs (when set and not cancelled).
  BackgroundScan(std::filesystem::path data_dir, std::vector<std::filesystem::path> roots, ScanOptions options,
                 AfterScan after_scan = {});
  ~BackgroundScan();  // cancels a running scan and waits for it (at most the tracks in flight)
  BackgroundScan(const BackgroundScan&) = delete;
  BackgroundScan& operator=(const BackgroundScan&) = delete;

  // Starts a scan; false (and nothing happens) while one is running.
  bool start();
  // Asks a running scan to stop after the tracks in flight; returns at once.
  void cancel();
  // Blocks until no scan is running.
  void wait();
  BackgroundScanStatus status() const;
  const std::vector<std::filesystem::path>& roots() const { return roots_; }

 private:
  void run();

  std::filesystem::path data_dir_;
  std::vector<std::filesystem::path> roots_;
  ScanOptions options_;
  AfterScan after_scan_;
  mutable std::mutex mutex_;
  BackgroundScanStatus status_;
  std::atomic<bool> cancel_{false};
  std::thread thread_;
};

}  // namespace audiorium::library
