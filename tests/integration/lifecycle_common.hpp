// Shared by the lifecycle tests: seeding a refreshable profile from the platform emulator, reading
// tokens through the real client, and comparing them without printing them.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/agent_fixture.hpp"
#include "tests/support/platform_fixture.hpp"

namespace lifecycle {

using namespace std::chrono_literals;
using testsupport::AgentFixture;
using testsupport::PlatformFixture;
using testsupport::RunResult;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

inline constexpr const char* kClientId = "fluxloop-cli";
inline constexpr const char* kProfile = "lifecycle";

inline bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// Compares tokens without letting doctest print them when a check fails.
inline bool same_secret(const std::string& a, const std::string& b) { return a == b; }

inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Seeds a refreshable profile from the emulator and imports it; returns the minted token response.
inline json import_profile(PlatformFixture& p, AgentFixture& f) { return testsupport::import_seeded(p, f, kProfile, kClientId); }

inline std::string token_of(AgentFixture& f, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"auth", "token", "--profile", kProfile};
  args.insert(args.end(), extra.begin(), extra.end());
  auto result = f.client(args);
  INFO("auth token exit " << result.exit_code << ": " << result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(result.out.size() > 1);
  return result.out.substr(0, result.out.size() - 1);
}

// True when the emulator accepts `token` at GET /v1/me.
inline bool token_works(PlatformFixture& p, const std::string& token) { return p.api_get("/v1/me", token).status == 200; }

inline json credentials_file(AgentFixture& f) {
  return json::parse(testsupport::read_file(f.home() + "/credentials.json"), nullptr, false);
}

}  // namespace lifecycle
