// httplib::Server with deadlines on whole requests, not only on each read. httplib 0.11's read timeout restarts
// with every byte, so a client sending its headers one byte a second ("slow loris") holds a worker for ever, and
// 64 such clients hold all of them. This server reads each connection through its own stream:
// - the request line and headers must be complete within header_timeout of their first byte;
// - the body must arrive at body_min_bytes_per_s on average, after a grace of header_timeout;
// - each read still waits at most the read timeout, each write the write timeout, an idle keep-alive connection
//   the keep-alive timeout, and a connection serves at most the keep-alive count (httplib's settings, as set);
// - past a deadline the connection is closed (a request cut short gets no answer).
// Everything else (parsing, routing, writing responses) is httplib's.
#pragma once

#include <chrono>
#include <cstddef>

#include <httplib.h>

namespace audiorium::server {

class GuardedHttpServer : public httplib::Server {
 public:
  struct Limits {
    std::chrono::milliseconds header_timeout{10'000};
    std::size_t body_min_bytes_per_s = 16 * 1024;
  };

  GuardedHttpServer() = default;
  void set_limits(const Limits& limits) { limits_ = limits; }
  const Limits& limits() const { return limits_; }

 private:
  bool process_and_close_socket(socket_t sock) override;
  Limits limits_;
};

}  // namespace audiorium::server
