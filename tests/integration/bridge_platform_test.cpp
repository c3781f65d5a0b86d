// The CLI bridge against the platform emulator's CLI connect, with the stand-in platform CLI
// (tests/support/platform-cli-standin.py): the file stays fresh under short lifetimes, the platform CLI
// never refreshes by itself, its own login is taken over, no refresh token is ever reused.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/bridge_common.hpp"
#include "tests/support/platform_cli.hpp"

namespace {

using namespace std::chrono_literals;
using namespace bridgetest;
using nlohmann::json;
using testsupport::AgentFixture;
using testsupport::eventually;
using testsupport::PlatformFixture;

// An agent whose zero-configuration login goes to the emulator.
testsupport::Env agent_env(PlatformFixture& p) {
  auto env = p.agent_env();
  env["FLUXLOOP_API_ENDPOINT"] = p.issuer();
  return env;
}

// `fluxloop auth login --no-browser` with no profile configured: a CLI-connect login of `production`,
// approved by the emulator on its own.
void login(AgentFixture& f) {
  auto result = f.client({"auth", "login", "--no-browser"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
}

// The stand-in platform CLI with the agent's HOME.
testsupport::RunResult standin(AgentFixture& f, PlatformFixture& p, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/python3", testsupport::kPlatformCliStandin};
  argv.insert(argv.end(), args.begin(), args.end());
  return testsupport::run(argv, testsupport::base_env(f.dir(), testsupport::platform_cli_env(p)));
}

std::string access_in(const std::string& path) {
  auto document = json::parse(testsupport::read_file(path), nullptr, false);
  return document.is_object() ? document.value("access_token", "") : "";
}

}  // namespace

TEST_CASE("bridge platform: after a CLI-connect login auth.json shows the token and the user, and is rewritten within 1 s of every refresh") {
  PlatformFixture p({"--token-lifetime", "4", "--quiet"});
  AgentFixture f(agent_env(p));
  f.start();
  login(f);
  const std::string path = bridge_path(f);
  REQUIRE(eventually([&] { return std::filesystem::exists(path); }, 2s));
  const json file = json::parse(testsupport::read_file(path));
  CHECK(file.at("refresh_token") == "");
  CHECK_FALSE(file.at("user_id").get<std::string>().empty());
  CHECK_FALSE(file.at("user_email").get<std::string>().empty());
  CHECK(mode_of(path) == 0600);

  // Each token the agent holds shows in the file within a second; watch several refreshes go by.
  std::string last;
  int changes = 0;
  const auto until = std::chrono::steady_clock::now() + 12s;
  while (changes < 3 && std::chrono::steady_clock::now() < until) {
    auto token = f.client({"auth", "token"});
    REQUIRE_MESSAGE(token.exit_code == 0, token.err);
    const std::string now = token.out.substr(0, token.out.size() - 1);
    if (now != last) {
      CHECK(eventually([&] { return access_in(path) == now; }, 1s));
      last = now;
      ++changes;
    }
    std::this_thread::sleep_for(50ms);
  }
  CHECK(changes >= 3);
  CHECK(testsupport::read_file(path).find("flx_refresh") == std::string::npos);
  CHECK(testsupport::counter(p, "refresh_token_reuse") == 0);
  const std::string log = f.log();
  CHECK(log.find(last) == std::string::npos);
}

TEST_CASE("bridge platform: tokens living over 5 min 30 s are refreshed while more than that remains, so the platform CLI never refreshes") {
  // 340 s tokens: without the bridge's lead the agent would refresh after about 220 s (two thirds);
  // with it, at 10 s, and the file always shows more than 5 minutes left.
  PlatformFixture p({"--token-lifetime", "340", "--quiet"});
  AgentFixture f(agent_env(p));
  f.start();
  login(f);
  const std::string path = bridge_path(f);
  REQUIRE(eventually([&] { return std::filesystem::exists(path); }, 2s));
  const std::string first = access_in(path);
  CHECK(eventually([&] { return access_in(path) != first && !access_in(path).empty(); }, 25s));
  const auto expires = testsupport::parse_rfc3339(json::parse(testsupport::read_file(path)).at("expires_at"));
  CHECK(expires - std::chrono::system_clock::now() > 5min);

  auto projects = standin(f, p, {"projects", "list"});
  CHECK_MESSAGE(projects.exit_code == 0, projects.err);
  CHECK(projects.err.find("standin: refreshed") == std::string::npos);
  CHECK(projects.out.find("Demo project") != std::string::npos);
  CHECK(testsupport::counter(p, "refresh_token_reuse") == 0);
}

TEST_CASE("bridge platform: the platform CLI's own login is taken over within 2 s and refreshed by the agent from then on") {
  PlatformFixture p({"--token-lifetime", "3", "--quiet"});
  AgentFixture f(agent_env(p));
  f.start();
  const std::string path = bridge_path(f);
  auto logged_in = standin(f, p, {"auth", "login", "--force"});
  REQUIRE_MESSAGE(logged_in.exit_code == 0, logged_in.err);
  CHECK(eventually([&] {
    const std::string text = std::filesystem::exists(path) ? testsupport::read_file(path) : "";
    return !text.empty() && text.find("flx_refresh") == std::string::npos;
  }, 2s));
  CHECK(testsupport::read_file(f.home() + "/credentials.json").find("flx_refresh") != std::string::npos);
  // The agent refreshes it (3 s tokens): the file's token changes, nobody reuses a refresh token.
  const std::string adopted = access_in(path);
  CHECK(eventually([&] { const auto now = access_in(path); return !now.empty() && now != adopted; }, 10s));
  // (No stand-in request here: with 3 s tokens the platform CLI would want to refresh by itself, as it
  // does under 5 minutes; the 5 min 30 s lead is the previous test's.)
  CHECK(testsupport::counter(p, "refresh_token_reuse") == 0);

  // The platform CLI's `auth logout` deletes the file: the agent logs out too.
  auto logout = standin(f, p, {"auth", "logout"});
  CHECK(logout.exit_code == 0);
  CHECK(eventually([&] { return f.client({"auth", "token"}).exit_code == 3; }, 2s));
  CHECK(looked(f).state == proto::BridgeState::no_login);
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("bridge platform: pass-through freshens the file, then the platform CLI's request succeeds without refreshing by itself") {
  PlatformFixture p({"--token-lifetime", "600", "--quiet"});
  AgentFixture f(agent_env(p));
  f.start();
  login(f);
  const std::string bin = f.dir() + "/platform-bin";
  std::filesystem::create_directories(bin);
  std::filesystem::create_symlink(testsupport::kPlatformCliStandin, bin + "/fluxloop");
  testsupport::Env env = testsupport::platform_cli_env(p);
  env["PATH"] = bin + ":/usr/bin:/bin";
  auto projects = f.client({"projects", "list"}, {}, env);
  CHECK_MESSAGE(projects.exit_code == 0, projects.err);
  CHECK(projects.out.find("Demo project") != std::string::npos);
  CHECK(projects.err.find("standin: refreshed") == std::string::npos);
  CHECK(projects.err.find(R"(["projects", "list"])") != std::string::npos);
  auto status = f.client({"exit", "5"}, {}, env);
  CHECK(status.exit_code == 5);
  CHECK(testsupport::counter(p, "expired_token_used") == 0);
}
