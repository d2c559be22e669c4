#include "server/guarded_http.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <limits>
#include <atomic>
#include <cstring>
#include <string>

namespace audiorium::server {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How often a wait looks up from poll(): the server's stop is noticed within this.
constexpr milliseconds kSlice{100};

milliseconds from_timeval(time_t sec, time_t usec) { return milliseconds(sec * 1000 + usec / 1000); }

void address_of(socket_t sock, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const int rc = peer ? ::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len)
                      : ::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  if (addr.ss_family == AF_INET) port = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  else if (addr.ss_family == AF_INET6) port = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  std::array<char, NI_MAXHOST> host{};
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host.data(), static_cast<socklen_t>(host.size()), nullptr,
                    0, NI_NUMERICHOST) == 0)
    ip = host.data();  // the same text httplib gives (the login gate compares it with loopback addresses)
}

// One connection, read through a small buffer (httplib reads request lines a byte at a time), with the deadline
// of the phase the request is in.
class DeadlineStream final : public httplib::Stream {
 public:
  struct Settings {
    milliseconds read_timeout, write_timeout, keep_alive_timeout;
    GuardedHttpServer::Limits limits;
    std::size_t payload_max;
  };
  DeadlineStream(socket_t sock, const std::atomic<socket_t>& listener, Settings s)
      : sock_(sock), listener_(listener), s_(s) {}

  // Waits for the first byte of the next request, at most the keep-alive timeout; false: close the connection.
  bool next_request() {
    phase_ = Phase::idle;
    const auto until = Clock::now() + s_.keep_alive_timeout;
    if (!wait(POLLIN, until, /*stop_on_shutdown=*/true)) return false;
    phase_ = Phase::headers;
    deadline_ = Clock::now() + s_.limits.header_timeout;
    return true;
  }
  // The headers are in: the body gets the grace plus its length at the minimum rate. httplib 0.11 limits only a
  // body announced by Content-Length (and reads the whole of one that is too large, to skip it); a chunked body,
  // or one without a length, it would take whole. Here every body is held to the payload limit.
  void headers_done(const httplib::Request& req) {
    path_ = req.path;
    counted_ = 0;
    std::size_t expected = 0;
    limit_ = std::numeric_limits<std::size_t>::max();
    if (req.has_header("Content-Length")) {
      const auto v = req.get_header_value("Content-Length");
      char* end = nullptr;
      errno = 0;
      const auto n = std::strtoull(v.c_str(), &end, 10);
      const bool number = !v.empty() && std::isdigit(static_cast<unsigned char>(v[0])) && end && *end == '\0';
      // Too large, beyond 64 bits, negative or not a number: refused at once (httplib answers 413, after reading
      // a body it cannot use to skip it; here its reads fail at once).
      if (!number || errno == ERANGE || n > s_.payload_max) too_large_ = true;
      expected = too_large_ ? 0 : static_cast<std::size_t>(n);
    } else if (body_expected(req)) {
      // Chunked or until the close: counted as it arrives, raw, with room for the chunk framing (a few bytes per
      // chunk; the handlers still check the decoded size where it matters).
      expected = s_.payload_max;
      limit_ = s_.payload_max + s_.payload_max / 64 + 4096;
    }
    const auto rate = std::max<std::size_t>(1, s_.limits.body_min_bytes_per_s);
    const auto seconds = static_cast<double>(expected) / static_cast<double>(rate);
    phase_ = Phase::body;
    deadline_ = Clock::now() + s_.limits.header_timeout +
                std::chrono::duration_cast<milliseconds>(std::chrono::duration<double>(std::min(seconds, 1e6)));
  }
  // A body was refused (too large): the connection must close, since the rest of it is still on its way.
  bool refused() const { return too_large_; }
  // A read ran past its timeout or its phase's deadline: whatever the client sends next is not a new request.
  bool timed_out() const { return timed_out_; }

  bool is_readable() const override {
    return buffered() > 0 || wait(POLLIN, read_until(), phase_ == Phase::headers);
  }
  bool is_writable() const override { return wait(POLLOUT, Clock::now() + s_.write_timeout, false); }

  ssize_t read(char* ptr, size_t size) override {
    if (size == 0) return 0;
    if (phase_ == Phase::body && too_large_) return -1;
    if (buffered() == 0) {
      if (!is_readable()) {
        timed_out_ = true;
        return -1;
      }
      const ssize_t n = recv_some(buf_.data(), buf_.size());
      if (n <= 0) return n;
      begin_ = 0;
      end_ = static_cast<std::size_t>(n);
    }
    const std::size_t n = std::min(size, buffered());
    if (phase_ == Phase::body && (counted_ += n) > limit_) {
      too_large_ = true;
      answer_too_large();
      return -1;
    }
    std::memcpy(ptr, buf_.data() + begin_, n);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (answered_) return static_cast<ssize_t>(size);  // the 413 went out; httplib's own answer is dropped
    if (!is_writable()) return -1;
    ssize_t n;
    do n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { address_of(sock_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address_of(sock_, false, ip, port); }
  socket_t socket() const override { return sock_; }

 private:
  enum class Phase { idle, headers, body };

  std::size_t buffered() const { return end_ - begin_; }
  static bool body_expected(const httplib::Request& req) {
    if (req.has_header("Transfer-Encoding")) return true;
    return req.method == "POST" || req.method == "PUT" || req.method == "PATCH" || req.method == "PRI";
  }
  // httplib would answer a body that fails to arrive with 400; one over the limit is a 413, in the server's
  // error shape (JSON under /api, as server.cpp's error handler writes it).
  void answer_too_large() {
    const bool api = path_.rfind("/api/", 0) == 0 || path_ == "/api";
    const std::string body = api ? R"({"error":{"code":413,"message":"the request body is too large"}})"
                                 : "413 the request body is too large\n";
    const std::string head = "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Type: " +
                             std::string(api ? "application/json; charset=utf-8" : "text/plain; charset=utf-8") +
                             "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    const std::string all = head + body;
    for (std::size_t sent = 0; sent < all.size();) {
      const ssize_t n = write(all.data() + sent, all.size() - sent);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    answered_ = true;
  }
  // One read waits at most the read timeout, and never past the phase's deadline.
  Clock::time_point read_until() const {
    const auto until = Clock::now() + s_.read_timeout;
    return phase_ == Phase::idle ? until : std::min(until, deadline_);
  }
  ssize_t recv_some(char* into, std::size_t size) const {
    ssize_t n;
    do n = ::recv(sock_, into, size, 0);
    while (n < 0 && errno == EINTR);
    return n;
  }
  // Polls in slices until the socket is ready, the time is up, or (when asked) the server stops.
  bool wait(short events, Clock::time_point until, bool stop_on_shutdown) const {
    for (;;) {
      if (stop_on_shutdown && listener_.load() == INVALID_SOCKET) return false;
      const auto now = Clock::now();
      if (now >= until) return false;
      const auto left = std::chrono::duration_cast<milliseconds>(until - now) + milliseconds(1);
      pollfd p{sock_, events, 0};
      const int rc = ::poll(&p, 1, static_cast<int>(std::min(left, kSlice).count()));
      if (rc < 0 && errno != EINTR) return false;
      if (rc > 0) return true;  // ready, or hung up / in error: the read or write says which
    }
  }

  socket_t sock_;
  const std::atomic<socket_t>& listener_;
  Settings s_;
  Phase phase_ = Phase::idle;
  Clock::time_point deadline_{};
  std::string path_;
  std::size_t counted_ = 0, limit_ = std::numeric_limits<std::size_t>::max();
  bool too_large_ = false, answered_ = false, timed_out_ = false;
  std::array<char, 4096> buf_{};
  std::size_t begin_ = 0, end_ = 0;
};

}  // namespace

bool GuardedHttpServer::process_and_close_socket(socket_t sock) {
  DeadlineStream strm(sock, svr_sock_,
                      {from_timeval(read_timeout_sec_, read_timeout_usec_),
                       from_timeval(write_timeout_sec_, write_timeout_usec_), milliseconds(keep_alive_timeout_sec_ * 1000),
                       limits_, payload_max_length_});
  bool ok = true;
  // The keep-alive loop of httplib's own process_server_socket, with this stream kept across requests (so bytes
  // a client pipelined are not lost).
  for (std::size_t left = std::max<std::size_t>(1, keep_alive_max_count_); left > 0; --left) {
    if (svr_sock_ == INVALID_SOCKET || !strm.next_request()) break;
    bool connection_closed = false;
    ok = process_request(strm, /*close_connection=*/left == 1, connection_closed,
                         [&strm](httplib::Request& req) { strm.headers_done(req); });
    if (!ok || connection_closed || strm.refused() || strm.timed_out()) break;
  }
  if (strm.refused()) {
    // The client may still be sending the body: closing with unread bytes would reset the connection and could
    // destroy the 413 before the client reads it. Stop writing, drain for a moment, then close.
    ::shutdown(sock, SHUT_WR);
    char sink[16384];
    const auto until = Clock::now() + std::chrono::milliseconds(500);
    std::size_t drained = 0;
    for (pollfd p{sock, POLLIN, 0}; Clock::now() < until && drained < (8u << 20) && ::poll(&p, 1, 50) >= 0;) {
      if (!(p.revents & POLLIN)) continue;
      const auto n = ::recv(sock, sink, sizeof sink, 0);
      if (n <= 0) break;
      drained += static_cast<std::size_t>(n);
    }
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace audiorium::server
