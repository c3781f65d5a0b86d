// The real `fluxloop` against the real `fluxloop-agentd`: autostart, concurrency, profiles, exit
// codes, usage errors and help. Split from client_test.cpp.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/client_common.hpp"

using namespace clienttest;  // NOLINT(google-build-using-namespace): the helpers of this suite

TEST_CASE("client: no agent and FLUXLOOP_NO_AUTOSTART=1 -> exit 4 naming the socket") {
  AgentFixture f;
  for (const auto& args : std::vector<std::vector<std::string>>{{"auth", "token"}, {"auth", "status"}, {"agent", "status"},
                                                                 {"profile", "list"}}) {
    auto r = f.client(args);
    CHECK(r.exit_code == 4);
    CHECK(r.out.empty());
    CHECK(contains(r.err, "fluxloop: "));
    CHECK(contains(r.err, f.socket()));
    CHECK(contains(r.err, "fluxloop-agentd --daemon"));
    CHECK(contains(r.err, "FLUXLOOP_NO_AUTOSTART"));
  }
  CHECK_FALSE(testsupport::socket_accepts(f.socket()));  // nothing was started
  auto stop = f.client({"agent", "stop"});
  CHECK(stop.exit_code == 0);  // nothing to stop is not an error
}

TEST_CASE("client: autostart starts an agent without the client's secrets in its environment") {
  const std::string token = "tok_" + random_hex(24);
  const std::string key = "flx_api_" + random_hex(24);
  AgentFixture f({{"FLUXLOOP_NO_AUTOSTART", ""}});  // empty value: removed
  // The client lives in client/, the agent in agentd/: the client finds it on PATH.
  const Env client_env{{"PATH", dirname_of(testsupport::kAgentd) + ":/usr/local/bin:/usr/bin:/bin"},
                       {"FLUXLOOP_TOKEN", token},
                       {"FLUXLOOP_API_KEY", key}};
  REQUIRE_FALSE(testsupport::socket_accepts(f.socket()));

  auto status = f.client({"agent", "status", "--json"}, {}, client_env);
  REQUIRE_MESSAGE(status.exit_code == 0, status.err);
  nlohmann::json doc;
  REQUIRE_NOTHROW(doc = nlohmann::json::parse(status.out));  // the agent's export lines did not leak into stdout
  AgentReaper reaper{doc["pid"].get<pid_t>()};
  CHECK(doc["socket"] == f.socket());
  CHECK(testsupport::socket_accepts(f.socket()));

  const std::string environ = testsupport::read_file("/proc/" + std::to_string(reaper.pid) + "/environ");
  if (environ.empty() && ::geteuid() != 0) {
    MESSAGE("cannot read the non-dumpable agent's /proc/PID/environ without root; environment check skipped");
  } else {
    REQUIRE(contains(environ, "FLUXLOOP_HOME=" + f.home()));  // we are reading the right process
    CHECK_FALSE(contains(environ, "FLUXLOOP_TOKEN="));
    CHECK_FALSE(contains(environ, "FLUXLOOP_API_KEY="));
    check_no_secret(environ, token, "the agent's environment");
    check_no_secret(environ, key, "the agent's environment");
  }

  // A second command reuses the running agent (same pid).
  auto again = f.client({"agent", "status", "--json"}, {}, client_env);
  REQUIRE(again.exit_code == 0);
  CHECK(nlohmann::json::parse(again.out)["pid"] == reaper.pid);

  auto stop = f.client({"agent", "stop"}, {}, client_env);
  CHECK_MESSAGE(stop.exit_code == 0, stop.err);
  CHECK_FALSE(testsupport::socket_accepts(f.socket()));
  CHECK(testsupport::eventually([&] { return process_gone(reaper.pid); }, std::chrono::seconds(10)));
  check_no_secret(testsupport::read_file(f.home() + "/agent.log"), token, "the agent log");
}

TEST_CASE("client: clients racing to autostart all reach one agent") {
  AgentFixture f({{"FLUXLOOP_NO_AUTOSTART", ""}});
  const Env client_env{{"PATH", dirname_of(testsupport::kAgentd) + ":/usr/local/bin:/usr/bin:/bin"}};
  constexpr int kClients = 6;
  std::vector<RunResult> results(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] { results[i] = f.client({"agent", "status", "--json"}, {}, client_env); });
  }
  for (auto& t : threads) t.join();
  std::vector<pid_t> pids;
  for (const auto& r : results) {
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    if (r.exit_code == 0) pids.push_back(nlohmann::json::parse(r.out)["pid"].get<pid_t>());
  }
  REQUIRE_FALSE(pids.empty());
  AgentReaper reaper{pids.front()};
  for (pid_t pid : pids) CHECK(pid == pids.front());
  CHECK(f.client({"agent", "stop"}, {}, client_env).exit_code == 0);
  CHECK(testsupport::eventually([&] { return process_gone(reaper.pid); }, std::chrono::seconds(10)));
}

TEST_CASE("client: concurrent clients all get the token") {
  AgentFixture f;
  f.start();
  Secrets s;
  REQUIRE(f.client({"auth", "import", write_creds(f, "c.json", single_shape(s))}).exit_code == 0);
  constexpr int kThreads = 8, kRuns = 20;
  std::atomic<int> good{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRuns; ++i) {
        auto r = f.client({"auth", "token"});
        (r.exit_code == 0 && r.out == s.access + "\n" ? good : bad)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(good == kThreads * kRuns);
  CHECK(bad == 0);
}

TEST_CASE("client: profile add, list, remove") {
  AgentFixture f;
  f.start();
  auto add = f.client({"profile", "add", "staging", "--issuer", "https://auth.example.test", "--client-id", "cli",
                       "--api-endpoint", "https://api.example.test", "--scope", "openid", "--scope", "offline_access"});
  REQUIRE_MESSAGE(add.exit_code == 0, add.err);
  CHECK(add.out.empty());

  auto list = f.client({"profile", "list", "--json"});
  REQUIRE(list.exit_code == 0);
  auto doc = nlohmann::json::parse(list.out);
  REQUIRE(doc["profiles"].size() == 1);
  const auto& p = doc["profiles"][0];
  CHECK(p["name"] == "staging");
  CHECK(p["issuer"] == "https://auth.example.test");
  CHECK(p["client_id"] == "cli");
  CHECK(p["api_endpoint"] == "https://api.example.test");
  CHECK(p["scopes"] == nlohmann::json::array({"openid", "offline_access"}));

  auto human = f.client({"profile", "list"});
  CHECK(contains(human.out, "staging"));
  CHECK(contains(human.out, "https://auth.example.test"));

  auto dup = f.client({"profile", "add", "staging", "--issuer", "https://auth.example.test", "--client-id", "cli"});
  CHECK(dup.exit_code == 1);
  CHECK(contains(dup.err, "fluxloop: "));
  auto http = f.client({"profile", "add", "plain", "--issuer", "http://auth.example.test", "--client-id", "cli"});
  CHECK(http.exit_code == 1);

  CHECK(f.client({"profile", "remove", "staging"}).exit_code == 0);
  CHECK(nlohmann::json::parse(f.client({"profile", "list", "--json"}).out)["profiles"].empty());
  auto gone = f.client({"profile", "remove", "staging"});
  CHECK(gone.exit_code == 1);
  CHECK(contains(gone.err, "staging"));
}

TEST_CASE("client: an expired token without a refresh token -> exit 3 with the next step") {
  AgentFixture f;
  f.start();
  const std::string access = "flx_at_" + random_hex(32);
  const std::string file = write_creds(
      f, "old.json", nlohmann::json{{"access_token", access}, {"expires_at", "2020-01-01T00:00:00Z"}}.dump());
  REQUIRE(f.client({"auth", "import", file, "--profile", "old"}).exit_code == 0);
  auto r = f.client({"auth", "token", "--profile", "old"});
  CHECK(r.exit_code == 3);
  CHECK(r.out.empty());
  CHECK(contains(r.err, "fluxloop auth login --profile old"));
  check_no_secret(r.err, access, "the login-required error");
  auto status = f.client({"auth", "status", "--profile", "old"});
  CHECK(status.exit_code == 3);
  check_no_secret(status.out + status.err, access, "auth status");
}

TEST_CASE("client: usage errors exit 2") {
  AgentFixture f;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},
           {"auth"},
           {"auth", "token", "--min-valid", "soon"},
           {"auth", "token", "--min-valid", "-5"},
           {"auth", "token", "--nope"},
           {"auth", "token", "extra"},
           {"auth", "import"},
           {"profile", "add", "x", "--client-id", "cli"},  // an oidc profile needs both
           {"profile", "add", "x", "--issuer", "https://i"},
           {"profile", "remove"},
           {"config", "set", "profile"},
           {"agent", "status", "--jsn"},
       }) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    CAPTURE(joined);
    auto r = f.client(args);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("fluxloop: ", 0) == 0);
    CHECK(contains(r.err, "--help"));
  }
  // Commands this client does not implement belong to the platform CLI (pass-through): without one
  // on PATH they are usage errors too, naming how to install it.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"bogus"}, {"auth", "bogus"}, {"config", "set", "colour", "red"}}) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    CAPTURE(joined);
    auto r = f.client(args, {}, {{"PATH", "/nonexistent"}, {"FLUXLOOP_PLATFORM_CLI", ""}});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(contains(r.err, "pip install fluxloop-cli"));
  }
}

TEST_CASE("client: --help on every command, --version") {
  AgentFixture f;
  for (const auto& path : std::vector<std::vector<std::string>>{
           {}, {"auth"}, {"auth", "import"}, {"auth", "token"}, {"auth", "status"}, {"profile"}, {"profile", "add"},
           {"profile", "list"}, {"profile", "remove"}, {"config"}, {"config", "set"}, {"agent"}, {"agent", "status"},
           {"agent", "stop"}}) {
    for (const char* flag : {"--help", "-h"}) {
      auto args = path;
      args.push_back(flag);
      std::string joined;
      for (const auto& a : args) joined += a + " ";
      CAPTURE(joined);
      auto r = f.client(args);
      CHECK(r.exit_code == 0);
      CHECK(contains(r.out, "Usage: fluxloop"));
      CHECK(r.err.empty());
    }
  }
  auto version = f.client({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out == std::string("fluxloop ") + FLUXLOOP_VERSION + "\n");
}
