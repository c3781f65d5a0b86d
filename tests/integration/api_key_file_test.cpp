// The `api_key_file` setting end to end: the agent refuses a file others can read, the client uses
// the key in a 0600 file (with no agent running), re-checks the mode on every use, and the contract's
// earlier sources (FLUXLOOP_API_KEY, --profile, FLUXLOOP_PROFILE) win over it.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <random>
#include <string>

#include "tests/support/agent_fixture.hpp"

namespace {

using testsupport::AgentFixture;

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

std::string random_key(const std::string& prefix) {
  std::mt19937_64 rng{std::random_device{}()};
  std::string key = prefix;
  for (int i = 0; i < 24; ++i) key += "0123456789abcdef"[rng() % 16];
  return key;
}

}  // namespace

TEST_CASE("api_key_file: refused when others can read it, used when 0600, and beaten by earlier sources") {
  AgentFixture f;
  f.start();
  const std::string key = random_key("flx_api_");
  const std::string path = f.dir() + "/ci.key";
  testsupport::write_file(path, key + "\n", 0644);

  auto refused = f.client({"config", "set", "api_key_file", path});
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.err, "chmod 600"));
  CHECK_FALSE(contains(refused.err, key));

  ::chmod(path.c_str(), 0600);
  auto set = f.client({"config", "set", "api_key_file", path});
  REQUIRE_MESSAGE(set.exit_code == 0, set.err);
  CHECK_FALSE(contains(set.err, key));

  // Seed a profile so --profile and FLUXLOOP_PROFILE have something to serve.
  const std::string profile_token = random_key("flx_at_");
  const std::string seed = f.dir() + "/seed.json";
  testsupport::write_file(seed, R"({"access_token": ")" + profile_token + R"(", "expires_at": "2099-01-01T00:00:00Z"})");
  REQUIRE(f.client({"auth", "import", seed, "--profile", "prof"}).exit_code == 0);

  auto from_file = f.client({"auth", "token"});
  REQUIRE_MESSAGE(from_file.exit_code == 0, from_file.err);
  CHECK(from_file.out == key + "\n");
  CHECK_FALSE(contains(from_file.err, key));

  const std::string env_key = random_key("flx_sa_");
  auto env_wins = f.client({"auth", "token"}, {}, {{"FLUXLOOP_API_KEY", env_key}});
  CHECK(env_wins.out == env_key + "\n");
  auto flag_wins = f.client({"auth", "token", "--profile", "prof"}, {}, {{"FLUXLOOP_API_KEY", env_key}});
  CHECK(flag_wins.out == profile_token + "\n");
  auto env_profile_wins = f.client({"auth", "token"}, {}, {{"FLUXLOOP_PROFILE", "prof"}});
  CHECK(env_profile_wins.out == profile_token + "\n");

  // No agent needed for the file (CI): stop it, the key is still printed.
  REQUIRE(f.stop() == 0);
  auto no_agent = f.client({"auth", "token"});
  CHECK(no_agent.exit_code == 0);
  CHECK(no_agent.out == key + "\n");

  // Made readable after it was set: refused on use, naming the file and the fix, never the key.
  ::chmod(path.c_str(), 0644);
  auto loose = f.client({"auth", "token"});
  CHECK(loose.exit_code == 1);
  CHECK(loose.out.empty());
  CHECK(contains(loose.err, path));
  CHECK(contains(loose.err, "chmod 600"));
  CHECK_FALSE(contains(loose.err, key));

  // Unset: back to the agent's default profile.
  ::chmod(path.c_str(), 0600);
  f.start();
  REQUIRE(f.client({"config", "set", "api_key_file", ""}).exit_code == 0);
  auto unset = f.client({"auth", "token"});
  CHECK(unset.exit_code == 3);  // no `production` profile
  CHECK(unset.out.empty());
  CHECK_FALSE(contains(f.log(), key));
}
