// The audiorium binary ($AUDIORIUM_BIN) running in the background for tests that drive it as a user does
// (`audiorium serve`), with its stdout and stderr read through a pipe, and a minimal HTTP/1.1 client for it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

namespace audiorium::testing {

class Child {
 public:
  // Starts $AUDIORIUM_BIN with `args`; `env` entries ("NAME=value") are added to its environment.
  explicit Child(const std::vector<std::string>& args, const std::vector<std::string>& env = {});
  ~Child();  // SIGKILLs it unless it was waited for
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Reads output until `re` matches it or the time runs out; returns what was read.
  std::string read_until(const std::regex& re, std::chrono::milliseconds limit);
  // Waits for the exit; returns the exit code, or -1 (still running after the limit, or killed by a signal).
  int wait(std::chrono::milliseconds limit);
  pid_t pid() const { return pid_; }
  const std::string& output() const { return out_; }

 private:
  void drain();
  pid_t pid_ = -1;
  int fd_ = -1;
  bool reaped_ = false;
  std::string out_;
};

// One request on a fresh connection to 127.0.0.1:port (Connection: close); the whole raw answer, headers
// included, or "" when nothing answered within 10 s.
std::string http_request(int port, const std::string& method, const std::string& path, const std::string& body = "",
                         const std::string& content_type = "");
inline std::string http_get(int port, const std::string& path) { return http_request(port, "GET", path); }
// The body of a raw answer (after the blank line).
std::string http_body(const std::string& answer);

// The port `audiorium serve` printed ("listening on http://127.0.0.1:N/"), 0 if none yet.
int port_of(const std::string& output);

}  // namespace audiorium::testing
