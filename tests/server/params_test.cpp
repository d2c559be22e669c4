// Strict parameter and Range parsing.
#include <gtest/gtest.h>

#include "server/params.h"

namespace audiorium::server {
namespace {

int status_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e.status();
  }
  return 0;
}

TEST(Params, IntegersAreStrict) {
  EXPECT_EQ(parse_integer("k", "10", 1, 100), 10);
  EXPECT_EQ(parse_integer("k", "-3", -5, 5), -3);
  for (const char* bad : {"", "abc", "1.5", " 5", "5 ", "+5", "0x10", "1e2", "-", "10a", "0", "101",
                          "99999999999999999999999"})
    EXPECT_EQ(status_of([&] { parse_integer("k", bad, 1, 100); }), 400) << bad;
}

TEST(Params, SeedsNumbersAndIds) {
  EXPECT_EQ(parse_seed("seed", "0"), 0u);
  EXPECT_EQ(parse_seed("seed", "18446744073709551615"), 18446744073709551615ull);
  for (const char* bad : {"-1", "", "x", "18446744073709551616", "1.0"})
    EXPECT_EQ(status_of([&] { parse_seed("seed", bad); }), 400) << bad;
  EXPECT_DOUBLE_EQ(parse_number("lambda", "0.25", 0, 1), 0.25);
  EXPECT_DOUBLE_EQ(parse_number("lambda", "1", 0, 1), 1.0);
  EXPECT_DOUBLE_EQ(parse_number("t", "1e-2", 0, 1), 0.01);
  for (const char* bad : {"", "nan", "inf", "1.5", "-0.1", "0x1", " 0.5", "0.5x", "1e999"})
    EXPECT_EQ(status_of([&] { parse_number("lambda", bad, 0, 1); }), 400) << bad;
  EXPECT_EQ(parse_id("track", "42"), 42);
  for (const char* bad : {"0", "-1", "abc", "", "1.0", "1234567890123456789012"})
    EXPECT_EQ(status_of([&] { parse_id("track", bad); }), 400) << bad;
}

TEST(Params, Ranges) {
  const auto r = parse_range("bytes=10-99", 1000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 10u);
  EXPECT_EQ(r->last, 99u);
  EXPECT_EQ(r->length(), 90u);
  EXPECT_EQ(parse_range("bytes=-100", 1000)->first, 900u);
  EXPECT_EQ(parse_range("bytes=-5000", 1000)->first, 0u);
  EXPECT_EQ(parse_range("bytes=990-", 1000)->last, 999u);
  EXPECT_EQ(parse_range("bytes=990-5000", 1000)->last, 999u);
  EXPECT_FALSE(parse_range("", 1000));
  EXPECT_FALSE(parse_range("items=1-2", 1000));
  EXPECT_FALSE(parse_range("bytes=0-1,5-6", 1000));
  for (const char* bad : {"bytes=1000-", "bytes=5-1", "bytes=-0", "bytes=a-b", "bytes=5", "bytes=--1", "bytes=1-2-3"})
    EXPECT_EQ(status_of([&] { parse_range(bad, 1000); }), 416) << bad;
  EXPECT_EQ(status_of([] { parse_range("bytes=0-", 0); }), 416);
}

}  // namespace
}  // namespace audiorium::server
