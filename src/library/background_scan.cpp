#include "library/background_scan.h"

#include <chrono>
#include <exception>

#include "library/library.h"

namespace audiorium::library {

namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void add_report(ScanReport& sum, const ScanReport& r) {
  sum.files_found += r.files_found;
  sum.unchanged += r.unchanged;
  sum.added += r.added;
  sum.updated += r.updated;
  sum.moved += r.moved;
  sum.removed += r.removed;
  sum.failed += r.failed;
  sum.ignored += r.ignored;
  sum.skipped += r.skipped;
  sum.cancelled = sum.cancelled || r.cancelled;
  sum.seconds += r.seconds;
  sum.problems.insert(sum.problems.end(), r.problems.begin(), r.problems.end());
}

}  // namespace

const char* to_string(BackgroundScanStatus::State state) {
  switch (state) {
    case BackgroundScanStatus::State::idle: return "idle";
    case BackgroundScanStatus::State::running: return "running";
    case BackgroundScanStatus::State::done: return "done";
    case BackgroundScanStatus::State::failed: return "failed";
    case BackgroundScanStatus::State::cancelled: return "cancelled";
  }
  return "unknown";
}

BackgroundScan::BackgroundScan(std::filesystem::path data_dir, std::vector<std::filesystem::path> roots,
                               ScanOptions options, AfterScan after_scan)
    : data_dir_(std::move(data_dir)),
      roots_(std::move(roots)),
      options_(std::move(options)),
      after_scan_(std::move(after_scan)) {
  status_.roots = roots_;
}

BackgroundScan::~BackgroundScan() {
  cancel();
  wait();
}

bool BackgroundScan::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (status_.state == BackgroundScanStatus::State::running) return false;
  if (thread_.joinable()) thread_.join();  // the previous run has finished; reap its thread
  cancel_ = false;
  status_.state = BackgroundScanStatus::State::running;
  status_.phase = "scanning";
  status_.after_scan.clear();
  status_.root_index = 0;
  status_.progress = {};
  status_.report.reset();
  status_.error.clear();
  status_.started_at = unix_now();
  status_.finished_at = 0;
  ++status_.runs;
  thread_ = std::thread([this] { run(); });
  return true;
}

void BackgroundScan::cancel() { cancel_ = true; }

void BackgroundScan::wait() {
  std::thread finished;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    finished = std::move(thread_);
  }
  if (finished.joinable()) finished.join();
}

BackgroundScanStatus BackgroundScan::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

void BackgroundScan::run() {
  ScanReport sum;
  std::string error;
  try {
    auto library = Library::open(data_dir_);
    for (std::size_t i = 0; i < roots_.size() && !cancel_; ++i) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        status_.root_index = i;
        status_.progress = {};
      }
      ScanOptions options = options_;
      options.cancel = &cancel_;
      options.on_progress = [this](const ScanProgress& p) {
        std::lock_guard<std::mutex> lock(mutex_);
        status_.progress = p;
      };
      add_report(sum, library.scan(roots_[i], options));
    }
    if (after_scan_ && !cancel_ && !sum.cancelled)
      after_scan_(library.catalog(), cancel_, [this](const std::string& line) {
        std::lock_guard<std::mutex> lock(mutex_);
        status_.phase = line;
        status_.after_scan = line;
      });
  } catch (const std::exception& e) {
    error = e.what();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  status_.report = std::move(sum);
  status_.error = error;
  status_.finished_at = unix_now();
  status_.phase.clear();
  status_.state = !error.empty()                        ? BackgroundScanStatus::State::failed
                  : (cancel_ || status_.report->cancelled) ? BackgroundScanStatus::State::cancelled
                                                           : BackgroundScanStatus::State::done;
}

}  // namespace audiorium::library
