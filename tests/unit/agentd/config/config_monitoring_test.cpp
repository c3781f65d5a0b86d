// The "monitoring" thresholds in config.json: defaults, round trip, refusal of nonsense.
#include <doctest/doctest.h>

#include "agentd/config/config.hpp"
#include "tests/support/process.hpp"

TEST_CASE("monitoring config: defaults when absent, only changed thresholds written, round trip") {
  testsupport::TempDir dir;
  const auto path = dir.path() + "/config.json";
  testsupport::write_file(path, R"({"profiles": {}})");
  auto loaded = agentd::config::load(path);
  REQUIRE(loaded.ok());
  CHECK(loaded->monitoring == agentd::config::Monitoring{});
  CHECK(loaded->monitoring.request_rate_per_minute == 600);
  CHECK(loaded->monitoring.rejected_peers == 3);
  CHECK(loaded->monitoring.refresh_failures == 3);

  REQUIRE(agentd::config::save(path, *loaded).ok());
  CHECK(testsupport::read_file(path).find("monitoring") == std::string::npos);

  loaded->monitoring.request_rate_per_minute = 0;  // 0: check off
  loaded->monitoring.refresh_failures = 10;
  REQUIRE(agentd::config::save(path, *loaded).ok());
  const std::string text = testsupport::read_file(path);
  CHECK(text.find("\"request_rate_per_minute\": 0") != std::string::npos);
  CHECK(text.find("rejected_peers") == std::string::npos);
  auto again = agentd::config::load(path);
  REQUIRE(again.ok());
  CHECK(*again == *loaded);
}

TEST_CASE("monitoring config: wrong types and negative thresholds are a corrupt configuration") {
  testsupport::TempDir dir;
  const auto path = dir.path() + "/config.json";
  for (const char* bad : {R"({"monitoring": 5})", R"({"monitoring": {"rejected_peers": "3"}})",
                          R"({"monitoring": {"refresh_failures": -1}})"}) {
    testsupport::write_file(path, bad);
    auto loaded = agentd::config::load(path);
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().code == proto::ErrorCode::store_error);
    CHECK(loaded.error().message.find("monitoring") != std::string::npos);
  }
}
