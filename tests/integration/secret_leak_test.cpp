// No secret in logs, argv, the environment, status output or error messages.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/support/agent_fixture.hpp"

using namespace testsupport;

namespace {

const std::string kAccess = "flx_at_LEAKCHECK_0123456789abcdefABCDEF";
const std::string kRefresh = "flx_refresh_LEAKCHECK_fedcba9876543210ZYXW";
const std::string kStagingAccess = "flx_at_LEAKCHECK_staging_0123456789abcd";

void require_no_secret(const std::string& where, const std::string& text) {
  INFO("in " << where << ":\n" << text);
  for (const auto* secret : {&kAccess, &kRefresh, &kStagingAccess}) {
    CHECK(text.find(*secret) == std::string::npos);
    // Also no long fragment of one (a secret cut in half is still a leak).
    CHECK(text.find(secret->substr(6, 20)) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("imported secrets never appear in logs, status, errors, argv or environment") {
  AgentFixture f(Env{{"FLUXLOOP_TEST_MARKER", "1"}});
  f.start();
  const std::string seed = f.dir() + "/creds.json";
  write_file(seed, R"({"default_profile": "production", "profiles": {
      "production": {"access_token": ")" + kAccess + R"(", "refresh_token": ")" + kRefresh +
                       R"(", "expires_at": "2099-01-01T00:00:00Z", "api_endpoint": "https://api.example"},
      "staging": {"access_token": ")" + kStagingAccess + R"(", "expires_at": "2000-01-01T00:00:00Z"}}})");

  std::vector<std::pair<std::string, RunResult>> runs;
  auto run = [&](std::vector<std::string> args) {
    auto r = f.client(args);
    std::string name;
    for (const auto& a : args) name += a + " ";
    runs.emplace_back(name, r);
    return r;
  };
  REQUIRE(run({"auth", "import", seed}).exit_code == 0);
  auto token = f.client({"auth", "token"});
  REQUIRE(token.exit_code == 0);
  CHECK(token.out == kAccess + "\n");  // the one place a secret is meant to appear
  require_no_secret("auth token stderr", token.err);

  run({"auth", "status"});
  run({"auth", "status", "--json"});
  run({"auth", "status", "--profile", "staging"});
  run({"auth", "token", "--profile", "staging"});         // expired, no refresh token: an error
  run({"auth", "token", "--min-valid", "999999999"});     // cannot satisfy: an error
  run({"profile", "list"});
  run({"profile", "list", "--json"});
  run({"agent", "status", "--json"});
  run({"auth", "import", f.dir() + "/missing.json"});
  write_file(f.dir() + "/bad.json", "{\"access_token\": \"" + kAccess + "\", \"expires_at\": 5}");
  run({"auth", "import", f.dir() + "/bad.json", "--profile", "x"});  // error must not quote the file

  // The agent's argv and environment.
  const std::string proc = "/proc/" + std::to_string(f.agent().pid());
  require_no_secret("agent cmdline", read_file(proc + "/cmdline"));
  require_no_secret("agent environ", read_file(proc + "/environ"));

  f.stop();
  for (const auto& [name, r] : runs) {
    require_no_secret(name + " stdout", r.out);
    require_no_secret(name + " stderr", r.err);
  }
  const auto log = f.log();
  CHECK_FALSE(log.empty());
  require_no_secret("agent log", log);
}
