// The stand-in platform CLI (tests/support/platform-cli-standin.py) against the emulator's /api surface,
// no agent involved: proves the stand-in behaves as the contract says the real platform CLI does (so
// agent tests can rely on it) and the PlatformFixture helpers for CLI connect work.
#include <sys/stat.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <regex>

#include "tests/support/platform_cli.hpp"

using namespace testsupport;
using json = nlohmann::json;

namespace {
const std::string kPython = "/usr/bin/python3";
const std::regex kUuid4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

struct Home {
  TempDir dir;
  std::string auth() const { return dir.path() + "/.fluxloop/auth.json"; }
  // Writes auth.json as the platform CLI would find it (0600 in a 0700 ~/.fluxloop).
  void write_login(const json& login) const {
    std::filesystem::create_directories(dir.path() + "/.fluxloop");
    write_file(auth(), login.dump(), 0600);
  }
};

RunResult standin(PlatformFixture& platform, const Home& home, const std::vector<std::string>& args) {
  std::vector<std::string> argv{kPython, kPlatformCliStandin};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, base_env(home.dir.path(), platform_cli_env(platform)));
}

// A login as the platform CLI writes it, from a minted credential, expiring `from_now` from now.
json login_from(const json& credential, std::chrono::seconds from_now, bool with_refresh_token) {
  return {{"access_token", credential.at("access_token")},
          {"refresh_token", with_refresh_token ? credential.at("refresh_token").get<std::string>() : ""},
          {"expires_at", rfc3339_from_now(from_now)},
          {"user_id", credential.at("user_id")},
          {"user_email", credential.at("user_email")}};
}
}  // namespace

TEST_CASE("platform stand-in: auth login by CLI connect writes a full auth.json that projects list and whoami use") {
  PlatformFixture platform({"--quiet"});
  Home home;
  auto login = standin(platform, home, {"auth", "login"});
  REQUIRE_MESSAGE(login.exit_code == 0, login.err);
  CHECK(contains(login.out, "LOGIN_SUCCESS: user@example.com"));
  const json saved = json::parse(read_file(home.auth()));
  CHECK(saved.at("refresh_token").get<std::string>().rfind("flx_refresh_", 0) == 0);
  CHECK(std::regex_match(saved.at("user_id").get<std::string>(), kUuid4));
  struct stat st{};
  REQUIRE(::stat(home.auth().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(counter(platform, "too_fast_polls") == 0);  // it sleeps `interval` between polls

  auto projects = standin(platform, home, {"projects", "list"});
  REQUIRE_MESSAGE(projects.exit_code == 0, projects.err);
  CHECK(json::parse(projects.out).at(0).at("name") == "Demo project");
  CHECK(contains(projects.err, R"(standin: argv ["projects", "list"])"));
  CHECK_FALSE(contains(projects.err, "standin: refreshed"));
  auto whoami = standin(platform, home, {"whoami"});
  REQUIRE_MESSAGE(whoami.exit_code == 0, whoami.err);
  CHECK(json::parse(whoami.out).at("user_id") == saved.at("user_id"));
  CHECK(json::parse(whoami.out).at("credential") == "cli_connect");

  auto again = standin(platform, home, {"auth", "login"});
  CHECK(again.exit_code == 0);
  CHECK(contains(again.out, "Already logged in"));
  CHECK(standin(platform, home, {"auth", "logout"}).exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(home.auth()));
  auto logged_out = standin(platform, home, {"projects", "list"});
  CHECK(logged_out.exit_code == 1);
  CHECK(contains(logged_out.err, "Not logged in"));
}

TEST_CASE("platform stand-in: under 5 minutes left it refreshes by itself with a refresh token, and exits 3 without one") {
  PlatformFixture platform({"--quiet"});
  Home home;
  const json credential = mint_cli_credential(platform);
  home.write_login(login_from(credential, std::chrono::seconds(60), true));
  auto refreshed = standin(platform, home, {"projects", "list"});
  REQUIRE_MESSAGE(refreshed.exit_code == 0, refreshed.err);
  CHECK(contains(refreshed.err, "standin: refreshed"));
  CHECK(json::parse(read_file(home.auth())).at("refresh_token") != credential.at("refresh_token"));
  CHECK(counter(platform, "cli_connect_refreshes_succeeded") == 1);

  home.write_login(login_from(mint_cli_credential(platform), std::chrono::seconds(60), false));
  auto stuck = standin(platform, home, {"projects", "list"});
  CHECK(stuck.exit_code == 3);
  CHECK(contains(stuck.err, "refresh needed, no refresh token"));

  // What the agent's bridge file looks like: a fresh token, no refresh token. No refresh happens.
  home.write_login(login_from(mint_cli_credential(platform), std::chrono::seconds(3600), false));
  auto bridged = standin(platform, home, {"whoami"});
  CHECK_MESSAGE(bridged.exit_code == 0, bridged.err);
  CHECK_FALSE(contains(bridged.err, "standin: refreshed"));
  CHECK(counter(platform, "cli_connect_refreshes") == 1);
}

TEST_CASE("platform stand-in: two copies refreshing one login race, and the reuse revokes the whole login") {
  PlatformFixture platform({"--quiet"});
  Home first, second;
  const json login = login_from(mint_cli_credential(platform), std::chrono::seconds(60), true);
  first.write_login(login);
  second.write_login(login);  // e.g. two processes that read the file before either rewrote it
  REQUIRE(standin(platform, first, {"whoami"}).exit_code == 0);
  auto loser = standin(platform, second, {"whoami"});
  CHECK(loser.exit_code == 3);
  CHECK(contains(loser.err, "already used"));
  CHECK(counter(platform, "refresh_token_reuse") == 1);
  CHECK(counter(platform, "cli_connect_refresh_token_reuse") == 1);
  auto winner = standin(platform, first, {"whoami"});  // its fresh token died with the login
  CHECK(winner.exit_code == 3);
}
