// The file store under stress: a crash of the agent mid-write leaves a readable store, a corrupt
// store is reported and never overwritten, and the store choice is recorded.
#include <doctest/doctest.h>

#include <signal.h>

#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "agentd/store/credentials.hpp"
#include "tests/support/agent_fixture.hpp"

using namespace testsupport;

namespace {

std::string credentials_json(int i) {
  return R"({"access_token": "flx_at_)" + std::to_string(1000000 + i) + R"(_aaaaaaaaaaaaaaaa", "refresh_token": "flx_refresh_)" +
         std::to_string(i) + R"(_bbbbbbbbbbbbbbbb", "expires_at": "2099-01-01T00:00:00Z", "user_email": "u@example.com"})";
}

}  // namespace

TEST_CASE("kill -9 during a storm of writes leaves the file store readable") {
  AgentFixture f;
  const std::string store = f.home() + "/credentials.json";
  const std::string seed = f.dir() + "/seed.json";
  std::mt19937 rng(12345);
  for (int round = 0; round < 6; ++round) {
    f.start();
    // Writers hammer the store (each import rewrites the whole file) while we kill the agent.
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      for (int i = 0; !stop; ++i) {
        write_file(seed + std::to_string(i % 4), credentials_json(round * 1000 + i));
        f.client({"auth", "import", seed + std::to_string(i % 4), "--profile", "p" + std::to_string(i % 8)});
      }
    });
    // The first round kills only once a write has landed (a slow, sanitized agent may take longer than
    // the random wait below to finish its first import); the later rounds start with a store already.
    REQUIRE(eventually([&] { return !read_file(store).empty(); }, std::chrono::seconds(30)));
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 300));
    f.agent().signal(SIGKILL);
    f.agent().wait();
    stop = true;
    writer.join();

    auto text = read_file(store);
    REQUIRE_FALSE(text.empty());
    auto parsed = agentd::store::parse_credentials(text, "production");
    INFO("round " << round);
    REQUIRE(parsed.ok());
    CHECK_FALSE(parsed->profiles.empty());
  }
  // And the agent starts on it and serves every profile it holds.
  f.start();
  auto token = f.client({"auth", "token", "--profile", "p0"});
  CHECK(token.exit_code == 0);
  CHECK(token.out.rfind("flx_at_", 0) == 0);
}

TEST_CASE("a corrupt credentials file is reported and never overwritten") {
  AgentFixture f;
  const std::string store = f.home() + "/credentials.json";
  const std::string garbage = "{\"profiles\": {\"production\": {\"access_token\": ";  // truncated
  write_file(store, garbage);
  f.start();
  auto token = f.client({"auth", "token"});
  CHECK(token.exit_code == 1);
  CHECK(token.err.find("credentials.json") != std::string::npos);

  const std::string seed = f.dir() + "/seed.json";
  write_file(seed, credentials_json(1));
  auto import = f.client({"auth", "import", seed, "--profile", "production"});
  CHECK(import.exit_code != 0);
  CHECK(read_file(store) == garbage);

  auto status = f.client({"auth", "status"});
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("credentials.json") != std::string::npos);
}

TEST_CASE("without a Secret Service the agent chooses the file store and records the choice") {
  AgentFixture f(Env{{"FLUXLOOP_STORE", ""}, {"DBUS_SESSION_BUS_ADDRESS", ""}});
  f.start();
  auto status = f.client({"agent", "status", "--json"});
  REQUIRE(status.exit_code == 0);
  auto json = nlohmann::json::parse(status.out);
  CHECK(json["store"] == "file");
  CHECK(read_file(f.home() + "/config.json").find("\"store\": \"file\"") != std::string::npos);
  CHECK(f.log().find("file") != std::string::npos);
}

TEST_CASE("an unknown FLUXLOOP_STORE is a start-up error naming the valid values") {
  AgentFixture f(Env{{"FLUXLOOP_STORE", "vault"}});
  Process agent({kAgentd, "--foreground", "--socket", f.socket()}, f.env(), f.dir() + "/bad.log");
  CHECK(agent.wait(std::chrono::seconds(20)) == 1);
  auto log = read_file(f.dir() + "/bad.log");
  CHECK(log.find("keyring") != std::string::npos);
  CHECK(log.find("file") != std::string::npos);
}
