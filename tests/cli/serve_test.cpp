// `audiorium serve` as a user runs it: it prints where it listens, answers HTTP, stops cleanly on SIGTERM/SIGINT,
// and fails with a message (exit 1) when the port is taken. Only 127.0.0.1 is used.
#include <signal.h>

#include <chrono>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "support/child_process.h"
#include "support/test_support.h"

namespace {

using audiorium::testing::Child;
using audiorium::testing::http_get;
using audiorium::testing::port_of;
using audiorium::testing::TempDir;

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
