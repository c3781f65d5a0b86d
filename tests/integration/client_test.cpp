// The real `fluxloop` against the real `fluxloop-agentd` in a temp FLUXLOOP_HOME: commands, output
// rules, precedence (autostart, exit codes and usage: client_agent_test.cpp). Secrets used here are
// random per run and never printed.
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

#include "tests/integration/client_common.hpp"

using namespace clienttest;  // NOLINT(google-build-using-namespace): the helpers of this suite

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
