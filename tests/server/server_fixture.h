// A running Server over a small generated library, for the server tests, and a raw HTTP helper for requests a
// well-behaved client would never send (traversal paths, huge Content-Length). Only 127.0.0.1 is ever used.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "library/library.h"
#include "server/server.h"
#include "support/generated_library.h"
#include "support/test_support.h"

namespace audiorium::server::test {

struct RawResponse {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

// Sends `request` as is (it should say "Connection: close") and reads until the server closes.
RawResponse raw_request(int port, const std::string& request);

std::string read_file(const std::filesystem::path& p);
nlohmann::json parse_json(const std::string& body);  // ADD_FAILURE and null on bad JSON

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

  httplib::Client client() const;
  static int port() { return server_->port(); }
  // The first catalogued track's id and path.
  static int64_t first_id();
  static std::vector<int64_t> all_ids();

  // A GET with a JSON body; fails the test when the body is not JSON.
  nlohmann::json get_json(const std::string& path, int expect_status = 200) const;
  // Checks status and the {"error": {"code", "message"}} shape; returns the message.
  std::string expect_error(const httplib::Result& r, int status) const;

  static audiorium::testing::TempDir* tmp_;
  static std::vector<audiorium::testing::GeneratedTrack> tracks_;
  static std::unique_ptr<library::Library> library_;
  static std::unique_ptr<Server> server_;
  static constexpr std::size_t kMaxUpload = 1 << 20;
};

}  // namespace audiorium::server::test
