// The real `fluxloop` against the real `fluxloop-agentd` in a temp FLUXLOOP_HOME: commands, output
// rules, precedence, exit codes, autostart. Secrets used here are random per run and never printed.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/agent_fixture.hpp"

namespace {

using testsupport::AgentFixture;
using testsupport::Env;
using testsupport::RunResult;

constexpr const char* kFarFuture = "2099-01-01T00:00:00Z";

std::string random_hex(std::size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += kHex[rng() % 16];
  return out;
}

struct Secrets {
  std::string access = "flx_at_" + random_hex(32);
  std::string refresh = "flx_refresh_" + random_hex(32);
};

// The single-profile shape of CONTRACT.md's credentials file.
std::string single_shape(const Secrets& s, const std::string& expires_at = kFarFuture) {
  return nlohmann::json{{"access_token", s.access}, {"refresh_token", s.refresh}, {"expires_at", expires_at},
                        {"user_email", "user@example.com"}}
      .dump();
}

// The multi-profile shape.
std::string multi_shape(const Secrets& production, const Secrets& staging) {
  nlohmann::json doc = {
      {"default_profile", "production"},
      {"profiles",
       {{"production", {{"access_token", production.access}, {"refresh_token", production.refresh},
                        {"expires_at", kFarFuture}, {"api_endpoint", "https://api.fluxloop.ai"}}},
        {"staging", {{"access_token", staging.access}, {"refresh_token", staging.refresh},
                     {"expires_at", kFarFuture}, {"api_endpoint", "https://api-staging.fluxloop.ai"}}}}}};
  return doc.dump();
}

std::string write_creds(AgentFixture& f, const std::string& name, const std::string& content) {
  const std::string path = f.dir() + "/" + name;
  testsupport::write_file(path, content, 0600);
  return path;
}

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// Fails the test, without printing the secret, if `text` holds it.
void check_no_secret(const std::string& text, const std::string& secret, const char* where) {
  INFO("an unmasked secret appeared in " << where);
  CHECK_FALSE(contains(text, secret));
}

std::string dirname_of(const std::string& path) { return std::filesystem::path(path).parent_path().string(); }

// True when `pid` has exited (gone, or a zombie waiting for a reaper that is not us).
bool process_gone(pid_t pid) {
  std::string stat = testsupport::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return true;
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

// Ends an agent the test started indirectly (autostart) if the test fails before stopping it.
struct AgentReaper {
  pid_t pid = 0;
  ~AgentReaper() {
    if (pid <= 0 || process_gone(pid)) return;
    ::kill(pid, SIGTERM);
    if (!testsupport::eventually([&] { return process_gone(pid); }, std::chrono::seconds(5))) ::kill(pid, SIGKILL);
  }
};

}  // namespace

TEST_CASE("client: import (single-profile shape) -> token -> status") {
  AgentFixture f;
  f.start();
  Secrets s;
  const std::string file = write_creds(f, "creds.json", single_shape(s));

  auto imported = f.client({"auth", "import", file});
  CHECK_MESSAGE(imported.exit_code == 0, imported.err);
  CHECK(imported.out.empty());
  CHECK(contains(imported.err, "production"));

  auto token = f.client({"auth", "token"});
  CHECK(token.exit_code == 0);
  CHECK(token.out == s.access + "\n");  // the token alone, newline-terminated
  CHECK(token.err.empty());

  auto with_min = f.client({"auth", "token", "--min-valid", "1h"});
  CHECK(with_min.exit_code == 0);
  CHECK(with_min.out == s.access + "\n");

  auto status = f.client({"auth", "status"});
  CHECK(status.exit_code == 0);
  CHECK(contains(status.out, "production"));
  CHECK(contains(status.out, "valid"));
  CHECK(contains(status.out, "user@example.com"));
  CHECK(contains(status.out, "…"));  // masked form shown
  for (const auto* text : {&imported.out, &imported.err, &status.out, &status.err}) {
    check_no_secret(*text, s.access, "import/status output");
    check_no_secret(*text, s.refresh, "import/status output");
  }
  check_no_secret(f.log(), s.access, "the agent log");
  check_no_secret(f.log(), s.refresh, "the agent log");
}

TEST_CASE("client: import (multi-profile shape), --profile picks, config set profile changes the default") {
  AgentFixture f;
  f.start();
  Secrets production, staging;
  const std::string file = write_creds(f, "multi.json", multi_shape(production, staging));
  auto ok = f.client({"auth", "import", file});
  REQUIRE_MESSAGE(ok.exit_code == 0, ok.err);

  CHECK(f.client({"auth", "token", "--profile", "staging"}).out == staging.access + "\n");
  CHECK(f.client({"auth", "token", "--profile", "production"}).out == production.access + "\n");
  CHECK(f.client({"auth", "token"}).out == production.access + "\n");
  auto set = f.client({"config", "set", "profile", "staging"});
  CHECK_MESSAGE(set.exit_code == 0, set.err);
  CHECK(f.client({"auth", "token"}).out == staging.access + "\n");

  auto list = f.client({"profile", "list"});
  CHECK(list.exit_code == 0);
  CHECK(contains(list.out, "production"));
  CHECK(contains(list.out, "staging"));

  auto missing = f.client({"auth", "token", "--profile", "nosuch"});
  CHECK(missing.exit_code == 3);  // no credentials: log in
  CHECK(missing.out.empty());
  CHECK(contains(missing.err, "fluxloop: "));
  CHECK(contains(missing.err, "auth login"));
}

TEST_CASE("client: a relative import path is resolved by the client") {
  AgentFixture f;
  f.start();
  Secrets s;
  write_creds(f, "rel.json", single_shape(s));
  // Run from the fixture directory (no shell: coreutils `env -C DIR`).
  std::vector<std::string> argv{"/usr/bin/env", "-C", f.dir(), testsupport::kClient, "auth", "import", "rel.json",
                                "--profile", "rel"};
  auto r = testsupport::run(argv, f.env());
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(f.client({"auth", "token", "--profile", "rel"}).out == s.access + "\n");
}

TEST_CASE("client: auth status --json is one JSON document without unmasked secrets") {
  AgentFixture f;
  f.start();
  Secrets production, staging;
  REQUIRE(f.client({"auth", "import", write_creds(f, "m.json", multi_shape(production, staging))}).exit_code == 0);

  auto status = f.client({"auth", "status", "--json"});
  REQUIRE(status.exit_code == 0);
  nlohmann::json doc;
  CHECK_NOTHROW(doc = nlohmann::json::parse(status.out));  // throws on a second document or trailing text
  REQUIRE(doc.is_object());
  REQUIRE(doc["profiles"].is_array());
  CHECK(doc["profiles"].size() == 2);
  for (const auto& p : doc["profiles"]) {
    CHECK(p["access_token"].get<std::string>().find("…") != std::string::npos);
  }
  for (const auto& s : {production, staging}) {
    for (const auto* text : {&status.out, &status.err}) {
      check_no_secret(*text, s.access, "auth status --json");
      check_no_secret(*text, s.refresh, "auth status --json");
    }
    check_no_secret(f.log(), s.access, "the agent log");
    check_no_secret(f.log(), s.refresh, "the agent log");
  }

  auto one = f.client({"auth", "status", "--json", "--profile", "staging"});
  REQUIRE(one.exit_code == 0);
  auto one_doc = nlohmann::json::parse(one.out);
  REQUIRE(one_doc["profiles"].size() == 1);
  CHECK(one_doc["profiles"][0]["name"] == "staging");

  auto agent = f.client({"agent", "status", "--json"});
  REQUIRE(agent.exit_code == 0);
  auto agent_doc = nlohmann::json::parse(agent.out);
  CHECK(agent_doc["store"] == "file");
  CHECK(agent_doc["pid"] == f.agent().pid());

  auto list = f.client({"profile", "list", "--json"});
  REQUIRE(list.exit_code == 0);
  CHECK(nlohmann::json::parse(list.out)["profiles"].size() == 2);
}

TEST_CASE("client: FLUXLOOP_TOKEN and FLUXLOOP_API_KEY short-circuit without an agent") {
  AgentFixture f;  // never started: nothing listens, and FLUXLOOP_NO_AUTOSTART=1
  const std::string token = "tok_" + random_hex(24);
  const std::string user_key = "flx_api_" + random_hex(24);
  const std::string sa_key = "flx_sa_" + random_hex(24);

  auto r = f.client({"auth", "token"}, {}, {{"FLUXLOOP_TOKEN", token}});
  CHECK(r.exit_code == 0);
  CHECK(r.out == token + "\n");
  CHECK(r.err.empty());

  r = f.client({"auth", "token"}, {}, {{"FLUXLOOP_API_KEY", user_key}});
  CHECK(r.exit_code == 0);
  CHECK(r.out == user_key + "\n");
  r = f.client({"auth", "token"}, {}, {{"FLUXLOOP_API_KEY", sa_key}});
  CHECK(r.out == sa_key + "\n");

  // FLUXLOOP_TOKEN beats FLUXLOOP_API_KEY (even an invalid one, which then is never looked at).
  r = f.client({"auth", "token"}, {}, {{"FLUXLOOP_TOKEN", token}, {"FLUXLOOP_API_KEY", "garbage"}});
  CHECK(r.out == token + "\n");
  // --api-key beats both.
  r = f.client({"auth", "token", "--api-key", sa_key}, {}, {{"FLUXLOOP_TOKEN", token}});
  CHECK(r.out == sa_key + "\n");
  // The environment's credentials beat FLUXLOOP_PROFILE.
  r = f.client({"auth", "token"}, {}, {{"FLUXLOOP_TOKEN", token}, {"FLUXLOOP_PROFILE", "staging"}});
  CHECK(r.out == token + "\n");
  // --profile beats FLUXLOOP_TOKEN: it asks the agent, which is not running here.
  r = f.client({"auth", "token", "--profile", "production"}, {}, {{"FLUXLOOP_TOKEN", token}});
  CHECK(r.exit_code == 4);
  CHECK(r.out.empty());
  check_no_secret(r.err, token, "an error message");
}

TEST_CASE("client: an invalid FLUXLOOP_API_KEY is exit 1 'Invalid API key', never echoed") {
  AgentFixture f;
  const std::string bad = "sk_live_" + random_hex(24);
  auto r = f.client({"auth", "token"}, {}, {{"FLUXLOOP_API_KEY", bad}});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(contains(r.err, "Invalid API key"));
  check_no_secret(r.err, bad, "the invalid-key error");
  r = f.client({"auth", "token", "--api-key", bad});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "Invalid API key"));
  check_no_secret(r.err, bad, "the invalid-key error");
}

TEST_CASE("client: --profile beats FLUXLOOP_PROFILE, which beats the default") {
  AgentFixture f;
  f.start();
  Secrets production, staging;
  REQUIRE(f.client({"auth", "import", write_creds(f, "m.json", multi_shape(production, staging))}).exit_code == 0);
  const Env env_staging{{"FLUXLOOP_PROFILE", "staging"}};
  CHECK(f.client({"auth", "token"}, {}, env_staging).out == staging.access + "\n");
  CHECK(f.client({"auth", "token", "--profile", "production"}, {}, env_staging).out == production.access + "\n");
  auto status = f.client({"auth", "status", "--json"}, {}, env_staging);
  REQUIRE(status.exit_code == 0);
  auto doc = nlohmann::json::parse(status.out);
  REQUIRE(doc["profiles"].size() == 1);
  CHECK(doc["profiles"][0]["name"] == "staging");
}

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
           {"bogus"},
           {"auth"},
           {"auth", "bogus"},
           {"auth", "token", "--min-valid", "soon"},
           {"auth", "token", "--min-valid", "-5"},
           {"auth", "token", "--nope"},
           {"auth", "token", "extra"},
           {"auth", "import"},
           {"profile", "add", "x"},
           {"profile", "add", "x", "--issuer", "https://i"},
           {"profile", "remove"},
           {"config", "set", "colour", "red"},
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
