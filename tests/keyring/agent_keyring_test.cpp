// The real agent choosing and using the real Secret Service (runs under tests/support/with-keyring.sh).
#include <doctest/doctest.h>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/support/agent_fixture.hpp"

using namespace testsupport;

namespace {
const std::string kAccess = "flx_at_KEYRINGAGENT_0123456789abcdef";
const std::string kRefresh = "flx_refresh_KEYRINGAGENT_0123456789abcd";
}  // namespace

TEST_CASE("with a Secret Service the agent keeps credentials in the keyring across restarts") {
  REQUIRE(std::getenv("DBUS_SESSION_BUS_ADDRESS") != nullptr);
  AgentFixture f({{"FLUXLOOP_STORE", ""}});  // let the agent choose
  f.start();
  auto status = f.client({"agent", "status", "--json"});
  REQUIRE(status.exit_code == 0);
  CHECK(nlohmann::json::parse(status.out)["store"] == "keyring");

  const std::string seed = f.dir() + "/seed.json";
  write_file(seed, R"({"access_token": ")" + kAccess + R"(", "refresh_token": ")" + kRefresh +
                       R"(", "expires_at": "2099-01-01T00:00:00Z", "user_email": "k@example.com"})");
  REQUIRE(f.client({"auth", "import", seed, "--profile", "production"}).exit_code == 0);
  // Nothing secret lands in FLUXLOOP_HOME: the keyring holds it.
  CHECK(::access((f.home() + "/credentials.json").c_str(), F_OK) != 0);
  CHECK(read_file(f.home() + "/config.json").find(kAccess) == std::string::npos);

  // The keyring calls ran in fluxloop-keyring-helper: the agent maps neither libsecret nor GLib.
  const std::string maps = read_file("/proc/" + std::to_string(f.agent().pid()) + "/maps");
  for (const char* library : {"/libsecret", "/libglib", "/libgio", "/libgobject", "/libssl"}) {
    CHECK_MESSAGE(maps.find(library) == std::string::npos, library);
  }

  REQUIRE(f.stop() == 0);
  f.start();
  auto token = f.client({"auth", "token"});
  CHECK(token.exit_code == 0);
  CHECK(token.out == kAccess + "\n");
  // Loaded from the keyring at start-up: still nothing of libsecret in the agent.
  const std::string loaded_maps = read_file("/proc/" + std::to_string(f.agent().pid()) + "/maps");
  CHECK(loaded_maps.find("/libsecret") == std::string::npos);
  CHECK(loaded_maps.find("/libglib") == std::string::npos);
  auto listed = f.client({"auth", "status", "--json"});
  CHECK(listed.out.find(kAccess) == std::string::npos);
  CHECK(listed.out.find(kRefresh) == std::string::npos);

  // The recorded choice holds: a later run without the bus does not silently switch to a file.
  f.stop();
  Process agent({kAgentd, "--foreground", "--socket", f.socket()},
                [&] {
                  auto env = f.env();
                  env.erase("DBUS_SESSION_BUS_ADDRESS");
                  env["XDG_RUNTIME_DIR"] = f.dir();  // no bus socket there either
                  return env;
                }(),
                f.dir() + "/nobus.log");
  CHECK(agent.wait(std::chrono::seconds(30)) == 1);
  CHECK(read_file(f.dir() + "/nobus.log").find("FLUXLOOP_STORE=file") != std::string::npos);
  CHECK(::access((f.home() + "/credentials.json").c_str(), F_OK) != 0);
}
