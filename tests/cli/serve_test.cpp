// `audiorium serve` as a user runs it: it prints where it listens, answers HTTP, stops cleanly on SIGTERM/SIGINT,
// and fails with a message (exit 1) when the port is taken. Only 127.0.0.1 is used.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace {

using audiorium::testing::TempDir;

// The binary running in the background, its stdout+stderr read through a pipe.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    const char* bin = std::getenv("AUDIORIUM_BIN");
    if (!bin) throw std::runtime_error("AUDIORIUM_BIN is not set (ctest sets it)");
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      dup2(fds[1], 2);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(bin));
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(bin, argv.data());
      _exit(127);
    }
    close(fds[1]);
    fd_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }
  // Reads output until `re` matches it or the time runs out; returns what was read.
  std::string read_until(const std::regex& re, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!std::regex_search(out_, re) && std::chrono::steady_clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) > 0) {
        char buf[4096];
        const auto n = read(fd_, buf, sizeof buf);
        if (n <= 0) break;
        out_.append(buf, static_cast<std::size_t>(n));
      }
    }
    return out_;
  }
  // Reads what is left after the exit (until EOF: every writer has gone).
  void drain() {
    char buf[4096];
    for (ssize_t n; (n = read(fd_, buf, sizeof buf)) > 0;) out_.append(buf, static_cast<std::size_t>(n));
  }
  // Waits for the exit; returns the exit code, or -1 (killed after the limit, or by a signal).
  int wait(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (std::chrono::steady_clock::now() < end) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        drain();
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  pid_t pid() const { return pid_; }
  const std::string& output() const { return out_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool reaped_ = false;
  std::string out_;
};

std::string http_get(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string all;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) all.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return all;
}

int port_of(const std::string& output) {
  std::smatch m;
  return std::regex_search(output, m, std::regex(R"(listening on http://127\.0\.0\.1:(\d+)/)")) ? std::stoi(m[1]) : 0;
}

TEST(CliServe, ServesAndStopsGracefullyOnSignals) {
  TempDir tmp;
  for (const int sig : {SIGTERM, SIGINT}) {
    Child c({"--data", (tmp / "data").string(), "serve", "--port", "0", "--web", (tmp / "no-web").string()});
    const auto out = c.read_until(std::regex(R"(Ctrl-C)"), std::chrono::seconds(30));
    const int port = port_of(out);
    ASSERT_GT(port, 0) << out;
    const auto status = http_get(port, "/api/status");
    EXPECT_NE(status.find("200 OK"), std::string::npos) << status;
    EXPECT_NE(status.find("\"tracks\":0"), std::string::npos) << status;
    EXPECT_NE(http_get(port, "/").find("not installed"), std::string::npos);
    kill(c.pid(), sig);
    EXPECT_EQ(c.wait(std::chrono::seconds(10)), 0) << c.output();
    EXPECT_NE(c.output().find("Stopped."), std::string::npos) << c.output();
    EXPECT_TRUE(http_get(port, "/api/status").empty()) << "still listening after the stop";
  }
}

TEST(CliServe, TakenPortFailsWithAMessage) {
  TempDir tmp;
  Child first({"--data", (tmp / "data").string(), "serve", "--port", "0"});
  const int port = port_of(first.read_until(std::regex("Ctrl-C"), std::chrono::seconds(30)));
  ASSERT_GT(port, 0) << first.output();
  Child second({"--data", (tmp / "data").string(), "serve", "--port", std::to_string(port)});
  EXPECT_EQ(second.wait(std::chrono::seconds(30)), 1) << second.output();
  EXPECT_NE(second.output().find("audiorium: cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << second.output();
  kill(first.pid(), SIGTERM);
  EXPECT_EQ(first.wait(std::chrono::seconds(10)), 0);
}

}  // namespace
