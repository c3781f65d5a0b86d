// Flood control for log lines: echoed text cut and escaped, repeated events counted per key.
#include <doctest/doctest.h>

#include <string>

#include "agentd/util/log_throttle.hpp"

using namespace std::chrono_literals;
using agentd::util::log_excerpt;
using Throttle = agentd::util::Throttle<std::string>;

TEST_CASE("log excerpt: printable text kept, other bytes escaped, long text cut") {
  CHECK(log_excerpt("plain text") == "plain text");
  CHECK(log_excerpt("a\nb\x1b[31m\\") == "a\\x0ab\\x1b[31m\\x5c");
  const std::string cut = log_excerpt(std::string(1000, 'x'));
  CHECK(cut == std::string(64, 'x') + "\xE2\x80\xA6(936 more bytes)");
  CHECK(log_excerpt(std::string(10, 'y'), 4) == "yyyy\xE2\x80\xA6(6 more bytes)");
}

TEST_CASE("throttle: a burst per key and window passes, the rest is counted and summarised") {
  Throttle throttle(3, 10s);
  const auto t0 = Throttle::Clock::time_point{} + 1h;
  int passed = 0;
  for (int i = 0; i < 100; ++i) passed += throttle.admit("pid 1", "one", t0 + 1ms * i).pass;
  CHECK(passed == 3);
  CHECK(throttle.admit("pid 2", "two", t0).pass);  // another key has its own share
  CHECK(throttle.pending());
  CHECK(throttle.expire(t0 + 5s).empty());  // window not over yet

  // The next event after the window reports what the window suppressed, and passes.
  auto next = throttle.admit("pid 1", "one", t0 + 11s);
  CHECK(next.pass);
  CHECK(next.suppressed == 97);
  CHECK_FALSE(throttle.pending());

  for (int i = 0; i < 10; ++i) throttle.admit("pid 1", "one again", t0 + 12s);
  auto ended = throttle.expire(t0 + 30s);
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].note == "one again");
  CHECK(ended[0].suppressed == 8);
  CHECK_FALSE(throttle.pending());
}

TEST_CASE("throttle: the number of keys is bounded") {
  Throttle throttle(1, 10s, 4);
  const auto t0 = Throttle::Clock::time_point{} + 1h;
  for (int i = 0; i < 4; ++i) CHECK(throttle.admit("pid " + std::to_string(i), "n", t0).pass);
  CHECK_FALSE(throttle.admit("pid 99", "n", t0).pass);  // no room: refused and counted
  CHECK(throttle.take_overflow() == 1);
  CHECK(throttle.take_overflow() == 0);
  // Quiet keys whose window ended make room again.
  CHECK(throttle.admit("pid 100", "n", t0 + 11s).pass);
}
