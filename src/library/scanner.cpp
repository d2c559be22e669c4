#include "library/scanner.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/ascii.h"
#include "core/error.h"
#include "library/analyse.h"

namespace audiorium::library {

namespace fs = std::filesystem;

const std::vector<std::string>& audio_extensions() {
  static const std::vector<std::string> exts{".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac",
                                             ".wav", ".aif", ".aiff", ".wma", ".ape", ".wv", ".mka", ".webm"};
  return exts;
}

namespace {

bool has_audio_extension(const fs::path& p) {
  const std::string ext = ascii_lower(p.extension().string());
  const auto& exts = audio_extensions();
  return std::find(exts.begin(), exts.end(), ext) != exts.end();
}

// A bounded hand-off from the analysing threads to the single writer, so memory stays flat
// however far the analysers run ahead of SQLite.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}
  void push(T item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_; });
    items_.push_back(std::move(item));
    not_empty_.notify_one();
  }
  T pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty(); });
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }

 private:
  std::size_t capacity_;
  std::deque<T> items_;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
};

// Errors from the decoder name the file, which the scan-error record already holds: drop the repeat.
std::string without_path(std::string message, const std::string& path) {
  for (const std::string& needle : {" '" + path + "'", " \"" + path + "\"", " " + path}) {
    for (auto at = message.find(needle); at != std::string::npos; at = message.find(needle)) message.erase(at, needle.size());
  }
  return message;
}

struct Outcome {
  std::size_t index = 0;
  std::optional<catalog::TrackAnalysis> analysis;
  std::string error;
  bool skipped = false;  // cancelled before it started
};

}  // namespace

Listing list_audio_files(const fs::path& root) {
  Listing out;
  std::set<std::pair<dev_t, ino_t>> visited;
  std::vector<fs::path> stack{fs::absolute(root).lexically_normal()};
  while (!stack.empty()) {
    const fs::path dir = stack.back();
    stack.pop_back();
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
      out.problems.push_back({dir.string(), "cannot open folder"});
      continue;
    }
    if (!visited.insert({st.st_dev, st.st_ino}).second) continue;  // a link back into a visited folder
    std::error_code ec;
    fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
      out.problems.push_back({dir.string(), "cannot list folder: " + ec.message()});
      continue;
    }
    for (const auto& entry : it) {
      const fs::path p = entry.path();
      std::error_code sec;
      const auto status = fs::status(p, sec);  // follows links
      if (sec || !fs::exists(status)) {
        if (entry.is_symlink(sec) && has_audio_extension(p)) out.problems.push_back({p.string(), "broken symbolic link"});
        else ++out.ignored;
        continue;
      }
      if (fs::is_directory(status)) {
        stack.push_back(p);
      } else if (fs::is_regular_file(status) && has_audio_extension(p)) {
        out.audio_files.push_back(p);
      } else {
        ++out.ignored;  // not audio by name, or a FIFO/socket/device that must never be opened
      }
    }
  }
  std::sort(out.audio_files.begin(), out.audio_files.end());
  return out;
}

ScanReport scan_library(catalog::Catalog& catalog, const embed::Embedder& embedder, const fs::path& root,
                        const ScanOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!fs::exists(root, ec)) throw Error("no such folder: " + root.string());
  if (!fs::is_directory(root, ec)) throw Error("not a folder: " + root.string());

  ScanReport report;
  Listing listing = list_audio_files(root);
  report.files_found = listing.audio_files.size();
  report.ignored = listing.ignored;
  for (const auto& p : listing.problems) {
    catalog.record_scan_error(p.path, p.reason);
    report.problems.push_back(p);
  }
  report.failed = listing.problems.size();

  // What the catalog already knows, and which of its files have disappeared.
  std::unordered_map<std::string, catalog::FileState> known;
  for (auto& fs_state : catalog.file_states()) known.emplace(fs_state.path, fs_state);
  const std::unordered_set<std::string> on_disk = [&] {
    std::unordered_set<std::string> s;
    for (const auto& p : listing.audio_files) s.insert(p.string());
    return s;
  }();
  std::unordered_map<std::string, std::vector<int64_t>> missing_by_fingerprint;
  std::vector<int64_t> missing;
  for (const auto& [path, state] : known) {
    if (on_disk.count(path) || fs::exists(path, ec)) continue;
    missing.push_back(state.id);
    if (auto t = catalog.track(state.id); t && !t->fingerprint.empty())
      missing_by_fingerprint[t->fingerprint].push_back(state.id);
  }

  std::vector<fs::path> work;
  for (const auto& p : listing.audio_files) {
    const auto it = known.find(p.string());
    std::error_code sec;
    const auto size = static_cast<int64_t>(fs::file_size(p, sec));
    if (it != known.end() && !sec && it->second.size_bytes == size && it->second.mtime_ns == file_mtime_ns(p)) {
      ++report.unchanged;
      continue;
    }
    work.push_back(p);
  }

  const int jobs = std::max(1, options.jobs > 0 ? options.jobs : static_cast<int>(std::thread::hardware_concurrency()));
  BoundedQueue<Outcome> outcomes(static_cast<std::size_t>(jobs) * 2);
  std::atomic<std::size_t> next{0};
  std::vector<std::jthread> workers;
  for (int j = 0; j < jobs && j < static_cast<int>(work.size()); ++j) {
    workers.emplace_back([&] {
      for (std::size_t i = next++; i < work.size(); i = next++) {
        Outcome o;
        o.index = i;
        o.skipped = options.cancel && options.cancel->load();
        if (!o.skipped) {
          // A file that changed under the reads is read once more: a rename over it (a tag editor, a download
          // finishing) is over by then. One that keeps changing is left for the next scan.
          for (int attempt = 1;; ++attempt) {
            try {
              o.analysis = analyse_file(work[i], embedder, options.window, options.after_reads);
            } catch (const FileChangedWhileReading& e) {
              if (attempt < 2) continue;
              o.error = std::string(e.what()) + ", twice in a row; the next scan reads it again";
            } catch (const std::exception& e) {
              o.error = without_path(e.what(), work[i].string());
            }
            break;
          }
        }
        outcomes.push(std::move(o));
      }
    });
  }

  std::set<int64_t> claimed;
  ScanProgress progress;
  progress.to_analyse = work.size();
  for (std::size_t done = 0; done < work.size(); ++done) {
    Outcome o = outcomes.pop();
    if (o.skipped) {
      ++report.skipped;
      continue;
    }
    const std::string path = work[o.index].string();
    if (o.analysis) {
      auto& analysis = *o.analysis;
      const bool is_new = !known.count(path);
      if (is_new) {
        // A file with the audio of a track whose file vanished is that track, moved or renamed.
        if (auto mit = missing_by_fingerprint.find(analysis.track.fingerprint); mit != missing_by_fingerprint.end()) {
          for (int64_t id : mit->second)
            if (!claimed.count(id)) {
              analysis.track.id = id;
              claimed.insert(id);
              break;
            }
        }
      }
      try {
        catalog.commit_analysis(analysis);
        if (analysis.track.id != 0) ++report.moved;
        else if (is_new) ++report.added;
        else ++report.updated;
      } catch (const std::exception& e) {
        o.error = std::string("catalog write failed: ") + e.what();
      }
    }
    if (!o.error.empty()) {
      catalog.record_scan_error(path, o.error);
      report.problems.push_back({path, o.error});
      ++report.failed;
      ++progress.failed;
    }
    progress.analysed = done + 1;
    progress.current = path;
    progress.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    progress.tracks_per_s = progress.elapsed_s > 0 ? static_cast<double>(progress.analysed) / progress.elapsed_s : 0;
    progress.eta_s = progress.tracks_per_s > 0
                         ? static_cast<double>(progress.to_analyse - progress.analysed) / progress.tracks_per_s
                         : 0;
    if (options.on_progress) options.on_progress(progress);
  }
  workers.clear();  // joins

  report.cancelled = report.skipped > 0;
  for (int64_t id : report.cancelled ? std::vector<int64_t>{} : missing)
    if (!claimed.count(id)) {
      catalog.remove_track(id);
      ++report.removed;
    }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace audiorium::library
