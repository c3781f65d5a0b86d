// The CLI bridge and pass-through with the real agent and client (docs/platform.md): the agent keeps
// $HOME/.fluxloop/auth.json showing the default profile's access token (never its refresh token),
// takes over logins the platform CLI writes there, logs out when that CLI deletes it, removes it when
// locked or turned off, and `fluxloop <platform command>` runs the platform CLI.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/integration/bridge_common.hpp"

namespace {

using namespace std::chrono_literals;
using namespace bridgetest;
using nlohmann::json;
using testsupport::AgentFixture;
using testsupport::eventually;

}  // namespace

TEST_CASE("bridge: an imported platform CLI login shows in auth.json without its refresh token, 0600 in a 0700 directory") {
  AgentFixture f;
  f.start();
  const std::string seed = f.dir() + "/seed.json";
  testsupport::write_file(seed, platform_login(kAccess, kRefresh, 3600));
  auto imported = f.client({"auth", "import", seed});
  REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  const std::string path = bridge_path(f);
  REQUIRE(eventually([&] { return shows(path, kAccess); }, 2s));
  const json file = json::parse(testsupport::read_file(path));
  CHECK(file.at("refresh_token") == "");
  CHECK(file.at("user_email") == "user@example.com");
  CHECK(file.at("expires_at").get<std::string>().back() == 'Z');
  CHECK(file.at("user_id") == "user-1");
  CHECK(testsupport::read_file(path).find(kRefresh) == std::string::npos);
  CHECK(mode_of(path) == 0600);
  CHECK(mode_of(f.dir() + "/.fluxloop") == 0700);
  // The agent holds the refresh token (auth status shows it masked).
  auto status = testsupport::profile_status(f, "production");
  CHECK(status.value("refresh_token", "") != "");
  CHECK(f.log().find(kAccess) == std::string::npos);
  CHECK(f.log().find(kRefresh) == std::string::npos);
}

TEST_CASE("bridge: agent lock removes auth.json, unlock restores it, cli_bridge off removes it and on restores it") {
  AgentFixture f;
  f.start();
  import_login(f, kAccess, kRefresh);
  const std::string path = bridge_path(f);
  REQUIRE(eventually([&] { return shows(path, kAccess); }, 2s));

  auto locked = f.client({"agent", "lock", "--passphrase-fd", "0"}, "pass phrase\n");
  REQUIRE_MESSAGE(locked.exit_code == 0, locked.err);
  CHECK(eventually([&] { return !std::filesystem::exists(path); }, 2s));
  auto unlocked = f.client({"agent", "unlock", "--passphrase-fd", "0"}, "pass phrase\n");
  REQUIRE_MESSAGE(unlocked.exit_code == 0, unlocked.err);
  CHECK(eventually([&] { return shows(path, kAccess); }, 2s));

  auto off = f.client({"config", "set", "cli_bridge", "off"});
  REQUIRE_MESSAGE(off.exit_code == 0, off.err);
  CHECK(eventually([&] { return !std::filesystem::exists(path); }, 2s));
  CHECK(testsupport::read_file(f.home() + "/config.json").find("\"cli_bridge\": false") != std::string::npos);
  // Off means hands off: a platform CLI login written now is neither taken nor removed.
  testsupport::write_file(path, platform_login(kAccess2, kRefresh2, 3600), 0644);
  CHECK(looked(f).state == proto::BridgeState::off);  // the agent has looked at the file since it was written
  CHECK(testsupport::read_file(path).find(kRefresh2) != std::string::npos);
  std::filesystem::remove(path);

  auto on = f.client({"config", "set", "cli_bridge", "on"});
  REQUIRE_MESSAGE(on.exit_code == 0, on.err);
  CHECK(eventually([&] { return shows(path, kAccess); }, 2s));
  auto bad = f.client({"config", "set", "cli_bridge", "maybe"});
  CHECK(bad.exit_code == 2);
}

TEST_CASE("bridge: deleting auth.json (the platform CLI's `auth logout`) logs the default profile out") {
  AgentFixture f;
  f.start();
  import_login(f, kAccess, kRefresh);
  const std::string path = bridge_path(f);
  REQUIRE(eventually([&] { return shows(path, kAccess); }, 2s));
  std::filesystem::remove(path);
  CHECK(eventually([&] { return f.client({"auth", "token"}).exit_code == 3; }, 2s));
  CHECK(testsupport::read_file(f.home() + "/credentials.json").find(kRefresh) == std::string::npos);
  // Logged out, the agent writes nothing back.
  CHECK(looked(f).state == proto::BridgeState::no_login);
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("bridge: a login the platform CLI writes is taken over within 2 s, and the file keeps no refresh token") {
  AgentFixture f;
  f.start();
  const std::string path = bridge_path(f);
  std::filesystem::create_directories(f.dir() + "/.fluxloop");
  // As the platform CLI saves it: written in place (umask mode), chmod 600 afterwards.
  testsupport::write_file(path, platform_login(kAccess, kRefresh, 3600), 0644);
  ::chmod(path.c_str(), 0600);
  REQUIRE(eventually([&] { return shows(path, kAccess) && testsupport::read_file(path).find(kRefresh) == std::string::npos; }, 2s));
  CHECK(json::parse(testsupport::read_file(path)).at("refresh_token") == "");
  CHECK(testsupport::read_file(f.home() + "/credentials.json").find(kRefresh) != std::string::npos);
  auto token = f.client({"auth", "token"});
  REQUIRE_MESSAGE(token.exit_code == 0, token.err);
  CHECK(token.out == std::string(kAccess) + "\n");

  // A second login (`fluxloop auth login --force` of the platform CLI) replaces the first.
  testsupport::write_file(path, platform_login(kAccess2, kRefresh2, 3600), 0600);
  REQUIRE(eventually([&] { return shows(path, kAccess2) && testsupport::read_file(path).find(kRefresh2) == std::string::npos; }, 2s));
  const std::string stored = testsupport::read_file(f.home() + "/credentials.json");
  CHECK(stored.find(kRefresh2) != std::string::npos);
  CHECK(stored.find(kRefresh) == std::string::npos);
  CHECK(f.log().find(kRefresh2) == std::string::npos);
  CHECK(f.log().find(kAccess2) == std::string::npos);
}

TEST_CASE("bridge: a login written while the agent was down is taken over at start") {
  AgentFixture f;
  const std::string path = bridge_path(f);
  std::filesystem::create_directories(f.dir() + "/.fluxloop");
  testsupport::write_file(path, platform_login(kAccess, kRefresh, 3600), 0600);
  f.start();
  REQUIRE(eventually([&] { return shows(path, kAccess) && testsupport::read_file(path).find(kRefresh) == std::string::npos; }, 2s));
  CHECK(testsupport::read_file(f.home() + "/credentials.json").find(kRefresh) != std::string::npos);
}

TEST_CASE("pass-through: a platform command runs the platform CLI with the same arguments, streams and exit status") {
  AgentFixture f;
  f.start();
  import_login(f, kAccess, kRefresh);
  const std::string standin_dir = make_standin(f);
  auto run = f.client({"projects", "list", "--format", "two words"}, "from stdin\n",
                      {{"PATH", standin_dir + ":/usr/bin:/bin"}, {"STANDIN_DIR", standin_dir}});
  CHECK(run.exit_code == 7);
  CHECK(run.out == "arg:projects\narg:list\narg:--format\narg:two words\nfrom stdin\n");
  CHECK(run.err == "to-stderr\n");
  // The file was fresh when the platform CLI read it, and its environment carries no secret.
  const std::string seen = testsupport::read_file(standin_dir + "/auth.txt");
  CHECK(seen.find(kAccess) != std::string::npos);
  CHECK(seen.find(kRefresh) == std::string::npos);
  const std::string environment = testsupport::read_file(standin_dir + "/env.txt");
  CHECK(environment.find(kAccess) == std::string::npos);
  CHECK(environment.find(kRefresh) == std::string::npos);
  CHECK(environment.find("FLUXLOOP_TOKEN") == std::string::npos);

  // FLUXLOOP_PLATFORM_CLI names it directly; `config show` is theirs though `config` is a group of ours.
  auto named = f.client({"config", "show"}, {}, {{"FLUXLOOP_PLATFORM_CLI", standin_dir + "/fluxloop"}, {"STANDIN_DIR", standin_dir}});
  CHECK(named.exit_code == 7);
  CHECK(named.out == "arg:config\narg:show\n");
}

TEST_CASE("pass-through: without a platform CLI, exit 2 naming the command and how to install it") {
  AgentFixture f;
  auto run = f.client({"projects", "list"}, {}, {{"PATH", f.dir() + ":/usr/bin:/bin"}});
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("fluxloop projects") != std::string::npos);
  CHECK(run.err.find("pip install fluxloop-cli") != std::string::npos);
  CHECK(run.out.empty());
  // Our own client on PATH is not the platform CLI.
  std::filesystem::create_directories(f.dir() + "/bin");
  std::filesystem::create_symlink(testsupport::kClient, f.dir() + "/bin/fluxloop");
  auto self = f.client({"sync", "pull"}, {}, {{"PATH", f.dir() + "/bin:/usr/bin:/bin"}});
  CHECK(self.exit_code == 2);
  CHECK(self.err.find("pip install fluxloop-cli") != std::string::npos);
  auto named = f.client({"sync", "pull"}, {}, {{"FLUXLOOP_PLATFORM_CLI", f.dir() + "/missing"}});
  CHECK(named.exit_code == 2);
  CHECK(named.err.find("FLUXLOOP_PLATFORM_CLI") != std::string::npos);
}
