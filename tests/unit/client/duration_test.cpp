#include <doctest/doctest.h>

#include "client/duration.hpp"

TEST_CASE("parse_seconds: plain seconds and DURATION units") {
  CHECK(client::parse_seconds("0") == 0);
  CHECK(client::parse_seconds("300") == 300);
  CHECK(client::parse_seconds("90s") == 90);
  CHECK(client::parse_seconds("5m") == 300);
  CHECK(client::parse_seconds("8h") == 8 * 3600);
  CHECK(client::parse_seconds("7d") == 7 * 86400);
  CHECK(client::parse_seconds("366d") == client::kMaxDurationSeconds);
}

TEST_CASE("parse_seconds: rejects everything else") {
  for (const char* bad : {"", "s", "-5", "+5", " 5", "5 ", "5x", "5ms", "1.5h", "abc", "367d", "99999999999999999999",
                          "9223372036854775807"}) {
    CAPTURE(bad);
    CHECK_FALSE(client::parse_seconds(bad).has_value());
  }
}

TEST_CASE("format_duration: the two largest units") {
  CHECK(client::format_duration(0) == "0s");
  CHECK(client::format_duration(59) == "59s");
  CHECK(client::format_duration(60) == "1m");
  CHECK(client::format_duration(3725) == "1h 2m");
  CHECK(client::format_duration(90061) == "1d 1h");
  CHECK(client::format_duration(-120) == "2m");
}
