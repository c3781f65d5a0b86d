// Issue 10 item 3: credentials are bound to the server they arrived from. Two emulators on one test
// CA: "good" minted the tokens, "evil" is where a re-pointed profile would send them. Every case
// checks at evil's own counters that no token request (refresh or revocation) ever reached it.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "agentd/tokens/refresher.hpp"
#include "tests/support/agent_fixture.hpp"
#include "tests/support/platform_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using testsupport::AgentFixture;
using testsupport::PlatformFixture;
using testsupport::PlatformOptions;
using nlohmann::json;

constexpr const char* kClientId = "fluxloop-cli";
constexpr const char* kProfile = "prod";
constexpr const char* kPassphrase = "binding passphrase";

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// Everything the evil emulator received that could carry a token: token grants and revocations.
std::uint64_t token_traffic(PlatformFixture& evil) {
  auto stats = evil.stats();
  std::uint64_t n = stats["revocations"].get<std::uint64_t>();
  for (const auto& [grant_type, count] : stats["token_requests"].items()) n += count.get<std::uint64_t>();
  return n;
}

// Writes a credentials file of the first shape (no issuer, no token endpoint) with tokens minted
// at `good`, and imports it as kProfile.
void import_plain(PlatformFixture& good, AgentFixture& f) {
  auto tokens = good.mint_tokens(kClientId);
  const std::string file = f.dir() + "/plain.json";
  testsupport::write_file(file, json{{"access_token", tokens["access_token"]},
                                     {"refresh_token", tokens["refresh_token"]},
                                     {"expires_at", testsupport::rfc3339_from_now(3600s)}}
                                    .dump());
  auto imported = f.client({"auth", "import", file, "--profile", kProfile});
  REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
}

PlatformOptions same_ca(const PlatformFixture& first) {
  PlatformOptions options;
  options.args = {"--quiet"};
  options.pki_dir = first.pki_dir();
  return options;
}

proto::ConfigSet config_set_profile(const std::string& name) {
  proto::ConfigSet request;
  request.key = proto::ConfigKey::profile;
  request.value = name;
  return request;
}

struct TwoServers {
  PlatformFixture good{std::vector<std::string>{"--quiet"}};
  PlatformFixture evil{same_ca(good)};
  AgentFixture agent{good.agent_env()};
};

}  // namespace

TEST_CASE("binding: profile add --issuer over imported credentials is refused and nothing reaches the new issuer") {
  TwoServers s;
  s.agent.start();
  import_plain(s.good, s.agent);

  auto added = s.agent.client({"profile", "add", kProfile, "--issuer", s.evil.issuer(), "--client-id", kClientId});
  CHECK(added.exit_code == 1);
  CHECK(contains(added.err, "holds credentials"));
  CHECK(contains(added.err, "fluxloop auth logout --profile prod"));

  // (No `auth refresh` here: on credentials bound to nothing it crashes the agent, also before this
  // change; reported separately.)
  auto logout = testsupport::auth_logout(s.agent, kProfile);
  CHECK(logout.exit_code == 0);
  CHECK(token_traffic(s.evil) == 0);
}

TEST_CASE("binding: credentials carrying a token endpoint are never revoked at a newly configured issuer") {
  TwoServers s;
  s.agent.start();
  auto tokens = s.good.mint_tokens(kClientId);
  const std::string file = s.agent.dir() + "/endpoint.json";
  testsupport::write_file(file, json{{"profiles",
                                      {{kProfile,
                                        {{"access_token", tokens["access_token"]},
                                         {"refresh_token", tokens["refresh_token"]},
                                         {"expires_at", testsupport::rfc3339_from_now(3600s)},
                                         {"token_endpoint", s.good.issuer() + "/oauth/token"},
                                         {"client_id", kClientId}}}}}}
                                    .dump());
  REQUIRE(s.agent.client({"auth", "import", file, "--profile", kProfile}).exit_code == 0);
  CHECK(s.agent.client({"profile", "add", kProfile, "--issuer", s.evil.issuer(), "--client-id", kClientId}).exit_code == 1);

  auto refreshed = testsupport::auth_refresh(s.agent, kProfile);
  CHECK_MESSAGE(refreshed.exit_code == 0, refreshed.err);
  CHECK(s.good.stats()["refreshes_succeeded"] == 1);
  CHECK(testsupport::auth_logout(s.agent, kProfile).exit_code == 0);
  CHECK(token_traffic(s.evil) == 0);
}

TEST_CASE("binding: a profile configured first binds the credentials imported into it, re-adding the same issuer is fine") {
  TwoServers s;
  s.agent.start();
  // Imported credentials with their own issuer: adding the profile with that issuer is allowed...
  testsupport::import_seeded(s.good, s.agent, "seeded", kClientId);
  auto same = s.agent.client({"profile", "add", "seeded", "--issuer", s.good.issuer(), "--client-id", kClientId,
                              "--api-endpoint", s.good.issuer()});
  CHECK_MESSAGE(same.exit_code == 0, same.err);
  // ...but another API endpoint is not: the access token would follow it.
  CHECK(s.agent.client({"profile", "remove", "seeded"}).exit_code == 0);
  testsupport::import_seeded(s.good, s.agent, "seeded", kClientId);
  auto moved = s.agent.client({"profile", "add", "seeded", "--issuer", s.good.issuer(), "--client-id", kClientId,
                               "--api-endpoint", s.evil.issuer()});
  CHECK(moved.exit_code == 1);
  CHECK(contains(moved.err, "API endpoint"));

  // Configured first, then a plain file imported: it refreshes at the configured issuer.
  REQUIRE(s.agent.client({"profile", "add", kProfile, "--issuer", s.good.issuer(), "--client-id", kClientId}).exit_code == 0);
  import_plain(s.good, s.agent);
  auto refreshed = testsupport::auth_refresh(s.agent, kProfile);
  CHECK_MESSAGE(refreshed.exit_code == 0, refreshed.err);
  CHECK(s.good.stats()["refreshes_succeeded"] == 1);

  // A file naming another issuer than the configured profile is refused as a whole.
  auto foreign = s.evil.mint_tokens(kClientId);
  const std::string file = s.agent.dir() + "/foreign.json";
  testsupport::write_file(file, json{{"profiles",
                                      {{kProfile,
                                        {{"access_token", foreign["access_token"]},
                                         {"refresh_token", foreign["refresh_token"]},
                                         {"issuer", s.evil.issuer()}}}}}}
                                    .dump());
  auto refused = s.agent.client({"auth", "import", file, "--profile", kProfile});
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.err, "issuer"));
  // Past the window in which a forced refresh adopts the one that just landed (issue 13).
  std::this_thread::sleep_for(agentd::tokens::kForcedRefreshWindow + std::chrono::milliseconds(100));
  CHECK(testsupport::auth_refresh(s.agent, kProfile).exit_code == 0);
  CHECK(s.good.stats()["refreshes_succeeded"] == 2);
  CHECK(s.evil.stats()["token_requests"].value("refresh_token", 0) == 0);
}

TEST_CASE("binding: while locked no configuration changes (exit 5) and nothing reaches another issuer") {
  TwoServers s;
  s.agent.start();
  import_plain(s.good, s.agent);
  REQUIRE(s.agent.client({"agent", "lock", "--passphrase-fd", "0"}, std::string(kPassphrase) + "\n").exit_code == 0);

  auto added = s.agent.client({"profile", "add", kProfile, "--issuer", s.evil.issuer(), "--client-id", kClientId});
  CHECK(added.exit_code == 5);
  CHECK(contains(added.err, "locked"));
  auto other = s.agent.client({"profile", "add", "other", "--issuer", s.evil.issuer(), "--client-id", kClientId});
  CHECK(other.exit_code == 5);
  CHECK(s.agent.client({"config", "set", "profile", "other"}).exit_code == 5);
  CHECK(s.agent.client({"profile", "remove", kProfile}).exit_code == 5);
  // The raw ops too: no client-side check hides an agent that would change.
  auto raw = testsupport::agent_request(s.agent.socket(), config_set_profile("other"));
  REQUIRE_FALSE(raw.ok());
  CHECK(raw.error().code == proto::ErrorCode::permission_denied);

  auto listed = s.agent.client({"profile", "list", "--json"});
  CHECK_FALSE(contains(listed.out, s.evil.issuer()));
  CHECK(token_traffic(s.evil) == 0);

  REQUIRE(s.agent.client({"agent", "unlock", "--passphrase-fd", "0"}, std::string(kPassphrase) + "\n").exit_code == 0);
  CHECK(s.agent.client({"config", "set", "profile", "other"}).exit_code == 0);
}
