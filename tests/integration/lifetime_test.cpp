// Credential lifetimes with the real agent, client and emulator: a profile's --lifetime and the
// agent's --lifetime make the agent forget credentials (cache and store), the deadline is persisted
// so a restart neither extends nor forgets it, and what is overdue at start is never served.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/agent_fixture.hpp"
#include "tests/support/platform_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using testsupport::AgentFixture;
using testsupport::PlatformFixture;
using nlohmann::json;

constexpr const char* kClientId = "fluxloop-cli";
constexpr const char* kProfile = "shortlived";

void import_profile(PlatformFixture& p, AgentFixture& f) { testsupport::import_seeded(p, f, kProfile, kClientId); }

void add_profile(PlatformFixture& p, AgentFixture& f, const std::string& lifetime) {
  auto added = f.client({"profile", "add", kProfile, "--issuer", p.issuer(), "--client-id", kClientId, "--lifetime", lifetime});
  REQUIRE_MESSAGE(added.exit_code == 0, added.err);
}

// The profile's entry in the file store (null when absent).
json stored_profile(AgentFixture& f) {
  const std::string path = f.home() + "/credentials.json";
  if (!std::filesystem::exists(path)) return nullptr;
  json file = json::parse(testsupport::read_file(path), nullptr, false);
  if (!file.is_object() || !file.contains("profiles") || !file["profiles"].contains(kProfile)) return nullptr;
  return file["profiles"][kProfile];
}

int token_exit(AgentFixture& f) { return f.client({"auth", "token", "--profile", kProfile}).exit_code; }

}  // namespace

TEST_CASE("lifetime: a profile's 2 s lifetime forgets its credentials in the agent and the store") {
  PlatformFixture p({"--quiet"});
  AgentFixture f(p.agent_env());
  f.start();
  add_profile(p, f, "2s");
  auto listed = f.client({"profile", "list", "--json"});
  REQUIRE(listed.exit_code == 0);
  CHECK(json::parse(listed.out)["profiles"][0].value("lifetime_seconds", 0) == 2);
  import_profile(p, f);
  const auto imported = std::chrono::steady_clock::now();

  REQUIRE(token_exit(f) == 0);
  const json status = testsupport::profile_status(f, kProfile);
  const std::string forget_at = status.value("forget_at", "");
  REQUIRE_FALSE(forget_at.empty());
  const auto left = testsupport::parse_rfc3339(forget_at) - std::chrono::system_clock::now();
  CHECK(left <= 2s);
  CHECK(left > -1s);
  REQUIRE(stored_profile(f).is_object());
  CHECK(stored_profile(f).value("forget_at", "") == forget_at);

  CHECK(testsupport::eventually([&] { return token_exit(f) == 3; }, 4s));
  // Not forgotten at once (forget_at has whole seconds, so the deadline is 1-2 s after the import).
  CHECK(std::chrono::steady_clock::now() - imported >= 800ms);
  CHECK(stored_profile(f).is_null());
  auto again = f.client({"auth", "token", "--profile", kProfile});
  CHECK(again.exit_code == 3);
  CHECK(again.out.empty());
  CHECK(f.agent().running());
}

TEST_CASE("lifetime: the deadline survives a restart and what is overdue at start is never served") {
  PlatformFixture p({"--quiet"});
  AgentFixture f(p.agent_env());
  f.start();
  add_profile(p, f, "10s");  // whole-second deadline 9-10 s away: room for a stop and a start under ASan and load
  import_profile(p, f);
  REQUIRE(token_exit(f) == 0);
  REQUIRE(f.stop() == 0);
  const std::string forget_at = stored_profile(f).value("forget_at", "");
  REQUIRE_FALSE(forget_at.empty());

  // Restart before the deadline: served, same deadline (a restart does not extend it).
  f.start();
  CHECK(token_exit(f) == 0);
  CHECK(testsupport::profile_status(f, kProfile).value("forget_at", "") == forget_at);
  REQUIRE(f.stop() == 0);

  // Restart after the deadline: forgotten before the first request is served.
  const auto deadline = testsupport::parse_rfc3339(forget_at);
  while (std::chrono::system_clock::now() <= deadline + 100ms) std::this_thread::sleep_for(50ms);
  REQUIRE(stored_profile(f).is_object());  // the store still held it while no agent ran
  f.start();
  CHECK(token_exit(f) == 3);
  CHECK(stored_profile(f).is_null());
}

TEST_CASE("lifetime: fluxloop-agentd --lifetime applies to every profile and shows in agent status") {
  PlatformFixture p({"--quiet"});
  AgentFixture f(p.agent_env());
  f.start({"--lifetime", "2s"});
  auto status = f.client({"agent", "status", "--json"});
  REQUIRE(status.exit_code == 0);
  CHECK(json::parse(status.out).value("lifetime_seconds", 0) == 2);

  import_profile(p, f);  // no profile lifetime configured: the agent's applies
  REQUIRE(token_exit(f) == 0);
  CHECK_FALSE(testsupport::profile_status(f, kProfile).value("forget_at", "").empty());
  CHECK(testsupport::eventually([&] { return token_exit(f) == 3; }, 4s));
  CHECK(stored_profile(f).is_null());

  auto bad = testsupport::run({testsupport::kAgentd, "--foreground", "--lifetime", "8x"}, f.env(), {}, 5s);
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("DURATION") != std::string::npos);
}
