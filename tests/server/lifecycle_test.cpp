// Starting, port conflicts and graceful stop.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/error.h"
#include "library/library.h"
#include "server/server.h"
#include "support/test_support.h"

namespace audiorium::server {
namespace {

TEST(ServerLifecycle, PortZeroPicksAFreePortAndATakenPortThrows) {
  audiorium::testing::TempDir tmp;
  auto lib = library::Library::open(tmp / "data");
  ServerOptions o;
  o.port = 0;
  Server a(lib, o);
  EXPECT_EQ(a.port(), 0);
  a.start();
  EXPECT_GT(a.port(), 0);
  EXPECT_TRUE(a.running());
  EXPECT_THROW(a.start(), Error);

  ServerOptions same = o;
  same.port = a.port();
  Server b(lib, same);
  try {
    b.start();
    ADD_FAILURE() << "binding a taken port must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(a.port())), std::string::npos) << e.what();
  }
  a.stop();
  a.stop();  // twice is fine
  EXPECT_FALSE(a.running());
}

TEST(ServerLifecycle, StopWhileRequestsAreInFlightIsGraceful) {
  audiorium::testing::TempDir tmp;
  auto lib = library::Library::open(tmp / "data");
  ServerOptions o;
  o.port = 0;
  o.threads = 4;
  auto server = std::make_unique<Server>(lib, o);
  server->start();
  const int port = server->port();

  std::atomic<bool> waited{false};
  std::thread waiter([&] {
    server->wait();
    waited = true;
  });
  std::atomic<int> ok{0};
  std::thread client([&] {
    httplib::Client c("127.0.0.1", port);
    for (int i = 0; i < 20; ++i) {
      auto r = c.Get("/api/status");
      if (!r) break;  // the server went away between requests: fine
      if (r->status == 200) ++ok;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto t0 = std::chrono::steady_clock::now();
  server->stop();
  const auto took = std::chrono::steady_clock::now() - t0;
  client.join();
  waiter.join();
  EXPECT_TRUE(waited.load());
  EXPECT_GT(ok.load(), 0);
  EXPECT_LT(took, std::chrono::seconds(8)) << "stop must not hang on idle keep-alive connections";
  EXPECT_FALSE(server->running());
  // Nothing listens any more.
  httplib::Client after("127.0.0.1", port);
  after.set_connection_timeout(1);
  EXPECT_FALSE(after.Get("/api/status"));
  server.reset();
}

TEST(ServerLifecycle, BadOptionsThrow) {
  audiorium::testing::TempDir tmp;
  auto lib = library::Library::open(tmp / "data");
  ServerOptions o;
  o.port = 70000;
  EXPECT_THROW(Server(lib, o), Error);
  o.port = 0;
  o.threads = 0;
  EXPECT_THROW(Server(lib, o), Error);
}

}  // namespace
}  // namespace audiorium::server
