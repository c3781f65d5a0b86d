#include <doctest/doctest.h>

#include "agentd/tokens/clock.hpp"
#include "agentd/tokens/token_cache.hpp"

using namespace std::chrono;
using agentd::tokens::format_rfc3339;
using agentd::tokens::parse_rfc3339;

TEST_CASE("RFC 3339 timestamps parse and format in UTC") {
  auto t = parse_rfc3339("2024-11-02T10:00:00Z");
  REQUIRE(t);
  CHECK(format_rfc3339(*t) == "2024-11-02T10:00:00Z");
  CHECK(duration_cast<seconds>(t->time_since_epoch()).count() == 1730541600);
  auto offset = parse_rfc3339("2024-11-02T12:30:00.123+02:30");
  REQUIRE(offset);
  CHECK(format_rfc3339(*offset) == "2024-11-02T10:00:00Z");
  CHECK_FALSE(parse_rfc3339("2024-11-02 10:00"));
  CHECK_FALSE(parse_rfc3339("2024-13-02T10:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2024-02-30T10:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2024-11-02T10:00:00"));
  CHECK_FALSE(parse_rfc3339("2024-11-02T10:00:00Zjunk"));
  CHECK_FALSE(parse_rfc3339(""));
}

TEST_CASE("token validity is judged on the boot clock with a minimum remaining lifetime") {
  agentd::tokens::TokenCache cache;
  agentd::store::Credentials c;
  c.access_token = "flx_at_0123456789abcdef";
  c.expires_at = format_rfc3339(system_clock::now() + seconds(120));
  auto& entry = cache.put("p", c);
  REQUIRE(entry.expires);
  CHECK(entry.valid_for(seconds(0)));
  CHECK(entry.valid_for(seconds(60)));
  CHECK_FALSE(entry.valid_for(seconds(600)));

  c.expires_at = "2020-01-01T00:00:00Z";
  CHECK_FALSE(cache.put("old", c).valid_for(seconds(0)));
  c.access_token.clear();
  c.expires_at.clear();
  CHECK_FALSE(cache.put("none", c).valid_for(seconds(0)));
  CHECK(cache.find("missing") == nullptr);
}

TEST_CASE("clock: a loop waiting for a wall-clock deadline sleeps until it, never past the recheck") {
  using namespace std::chrono_literals;
  using agentd::tokens::kWallClockRecheck;
  using agentd::tokens::sleep_before;
  const auto now = std::chrono::system_clock::now();
  CHECK(sleep_before(std::nullopt) == kWallClockRecheck);
  CHECK(sleep_before(now - 5s) == std::chrono::steady_clock::duration::zero());
  CHECK(sleep_before(now + 1h) == kWallClockRecheck);
  const auto soon = sleep_before(now + 3s);
  CHECK(soon <= 3s);
  CHECK(soon > 2s);
}

TEST_CASE("RFC 3339 times outside 1970..2199 are refused, not overflowed (found by fuzz/duration)") {
  // system_clock counts nanoseconds in 64 bits: these used to overflow (UBSan: signed integer overflow).
  CHECK_FALSE(parse_rfc3339("9999-12-31T23:59:60Z"));
  CHECK_FALSE(parse_rfc3339("2262-04-12T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("0001-01-01T00:00:00Z"));  // Go's zero time
  CHECK_FALSE(parse_rfc3339("1969-12-31T23:59:59Z"));
  CHECK_FALSE(parse_rfc3339("2024-11-02T10:00:00+24:00"));
  CHECK_FALSE(parse_rfc3339("2024-11-02T10:00:00-00:60"));
  auto last = parse_rfc3339("2199-12-31T23:59:59Z");
  REQUIRE(last);
  CHECK(format_rfc3339(*last) == "2199-12-31T23:59:59Z");
  auto first = parse_rfc3339("1970-01-01T01:00:00+01:00");
  REQUIRE(first);
  CHECK(first->time_since_epoch().count() == 0);
}
