// Profiles of kind fluxloop end to end (CONTRACT.md "The FluxLoop platform itself"): the real client
// and agent against the emulator's CLI connect and /api (docs/platform-api.md). Zero set-up login,
// --no-wait, denied and expired logins, the poll interval, refresh with rotation under short
// lifetimes (no reuse, no expired token used), a missing expires_at, logout without revocation, and
// no token in any log. The emulator counts what a client must never do; the tests keep those at 0.
#include <doctest/doctest.h>

#include <regex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "agentd/tokens/refresher.hpp"
#include "tests/support/agent_fixture.hpp"
#include "tests/support/platform_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using testsupport::AgentFixture;
using testsupport::PlatformFixture;
using testsupport::RunResult;
using nlohmann::json;

const std::regex kUserCode("[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}");

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// An emulator and an agent that trusts it, with no profile at all.
struct Stack {
  PlatformFixture p{std::vector<std::string>{"--quiet"}};
  AgentFixture f{p.agent_env()};
  Stack() { f.start(); }
  // `auth login` with the endpoint named the way the platform CLI names it (an alias).
  RunResult login(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"auth", "login", "--no-browser"};
    args.insert(args.end(), extra.begin(), extra.end());
    return f.client(args, {}, {{"FLUXLOOP_API_URL", p.issuer()}});
  }
  json status(const std::string& profile = "production") {
    auto r = f.client({"auth", "status", "--profile", profile, "--json"});
    INFO(r.err);
    return json::parse(r.out).at("profiles").at(0);
  }
  std::string token(const std::string& min_valid = "0") {
    auto r = f.client({"auth", "token", "--min-valid", min_valid});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return r.out.substr(0, r.out.size() - 1);
  }
  // The refresh token the agent holds, read from its file store (never printed).
  std::string stored_refresh_token(const std::string& profile = "production") {
    auto stored = json::parse(testsupport::read_file(f.home() + "/credentials.json"));
    return stored["profiles"][profile].value("refresh_token", "");
  }
};

}  // namespace

TEST_CASE("fluxloop login: zero set-up logs in profile production at FLUXLOOP_API_URL with CLI connect") {
  Stack s;
  auto r = s.login();
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(std::regex_search(r.err, kUserCode));
  CHECK(contains(r.err, "Logged in to profile production"));

  auto list = json::parse(s.f.client({"profile", "list", "--json"}).out);
  REQUIRE(list["profiles"].size() == 1);
  CHECK(list["profiles"][0]["name"] == "production");
  CHECK(list["profiles"][0]["kind"] == "fluxloop");
  CHECK(list["profiles"][0]["api_endpoint"] == s.p.issuer());

  const json status = s.status();
  CHECK(status["kind"] == "fluxloop");
  CHECK(status["state"] == "valid");
  CHECK_FALSE(status.value("user_id", "").empty());
  CHECK(contains(s.f.client({"auth", "status"}).out, "user id"));

  auto me = s.p.api_get("/api/me", s.token());
  CHECK(me.status == 200);
  CHECK(me.json["user_id"] == status["user_id"]);
  // `fluxloop api` passes /api paths through as given.
  auto projects = s.f.client({"api", "GET", "/api/projects"});
  CHECK_MESSAGE(projects.exit_code == 0, projects.err);
  CHECK(json::parse(projects.out).is_array());

  const json stats = s.p.stats();
  CHECK(stats["too_fast_polls"] == 0);
  CHECK(stats["cli_connect_starts"] == 1);
}

TEST_CASE("fluxloop login: --no-wait returns at once, auth status says login pending until approval") {
  Stack s;
  s.p.config({{"cli_connect_auto_approve", false}, {"cli_connect_interval", 1}});
  auto r = s.login({"--no-wait"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  std::smatch code;
  REQUIRE(std::regex_search(r.err, code, kUserCode));
  CHECK(s.status()["state"] == "login_pending");
  CHECK(contains(s.f.client({"auth", "status"}).out, "login pending"));

  s.p.admin("POST", "/_emulator/cli-connect/approve", {{"user_code", code.str(0)}});
  CHECK(testsupport::eventually([&] { return s.status()["state"] == "valid"; }, 15s));
  CHECK(s.p.api_get("/api/me", s.token()).status == 200);
  CHECK(s.p.stats()["too_fast_polls"] == 0);
  CHECK(s.p.stats()["cli_connect_polls"] >= 1);
}

TEST_CASE("fluxloop login: denied and expired logins end with clear errors") {
  Stack s;
  s.p.config({{"cli_connect_deny", true}});
  auto denied = s.login();
  CHECK(denied.exit_code == 5);
  CHECK(contains(denied.err, "denied"));
  CHECK(s.status()["state"] == "no_credentials");

  s.p.config({{"cli_connect_deny", false}, {"cli_connect_auto_approve", false}, {"cli_connect_lifetime", 2}});
  auto expired = s.login();
  CHECK(expired.exit_code == 6);
  CHECK(contains(expired.err, "expired"));
  CHECK(contains(expired.err, "fluxloop auth login"));
  CHECK(s.p.stats()["too_fast_polls"] == 0);
}

TEST_CASE("fluxloop login: a slow interval is respected and the _sec spellings are read") {
  Stack s;
  s.p.config({{"cli_connect_interval", 2}, {"cli_connect_spelling", "sec"}, {"cli_connect_approve_after_polls", 2}});
  auto r = s.login();
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const json stats = s.p.stats();
  CHECK(stats["cli_connect_polls"] >= 3);
  CHECK(stats["too_fast_polls"] == 0);
}

TEST_CASE("fluxloop refresh: rotation under a 3 s lifetime, no refresh-token reuse, no expired token used") {
  Stack s;
  s.p.config({{"token_lifetime", 3}, {"cli_connect_expires_at", "python"}});
  REQUIRE_MESSAGE(s.login().exit_code == 0, "login failed");
  const std::string first_refresh = s.stored_refresh_token();
  const auto until = std::chrono::steady_clock::now() + 8s;
  int used = 0;
  while (std::chrono::steady_clock::now() < until) {
    CHECK(s.p.api_get("/api/me", s.token("1")).status == 200);
    ++used;
    std::this_thread::sleep_for(300ms);  // pacing of the user's requests, not a wait for an outcome
  }
  const json stats = s.p.stats();
  CHECK(used > 5);
  CHECK(stats["cli_connect_refreshes_succeeded"] >= 2);
  CHECK(stats["refresh_token_reuse"] == 0);
  CHECK(stats["cli_connect_refresh_token_reuse"] == 0);
  CHECK(stats["expired_token_used"] == 0);
  const std::string now_refresh = s.stored_refresh_token();
  CHECK_FALSE(now_refresh.empty());
  CHECK(now_refresh != first_refresh);  // rotated, and the rotation persisted

  // An explicit refresh; then a refused one (the login revoked at the platform) is login required.
  CHECK(s.f.client({"auth", "refresh"}).exit_code == 0);
  s.p.admin("POST", "/_emulator/revoke-grants");
  // Past the window in which a forced refresh adopts the one that just landed (issue 13).
  std::this_thread::sleep_for(agentd::tokens::kForcedRefreshWindow + std::chrono::milliseconds(100));
  auto refused = s.f.client({"auth", "refresh"});
  CHECK(refused.exit_code == 3);

  // No token in any log or output.
  const std::string logs = s.f.log() + testsupport::read_file(s.f.home() + "/audit.log") + s.p.log();
  for (const std::string& secret : {first_refresh, now_refresh}) CHECK_FALSE(contains(logs, secret));
  CHECK_FALSE(contains(refused.err, now_refresh));
}

TEST_CASE("fluxloop refresh: a 404 or 422 refusal of the refresh token is login required, a 408 is not") {
  // 422 and 404: refusals the platform would repeat for this refresh token, so asking for a login beats
  // retrying. 408 says "try again": an error, but not a lost login.
  for (int status : {422, 404, 408}) {
    CAPTURE(status);
    Stack s;
    REQUIRE_MESSAGE(s.login().exit_code == 0, "login failed");
    s.p.add_fault({{"kind", "response"}, {"status", status}, {"path_prefix", "/api/cli-connect/refresh"},
                   {"body", R"({"detail": "refresh token not accepted"})"}});
    auto refused = s.f.client({"auth", "refresh"});
    INFO(refused.err);
    if (status == 408) {
      CHECK(contains(refused.err, "HTTP 408"));
      CHECK(refused.exit_code != 0);
      CHECK(refused.exit_code != 3);
    } else {
      CHECK(refused.exit_code == 3);
      CHECK(contains(refused.err, "fluxloop auth login"));
    }
  }
}

TEST_CASE("fluxloop refresh: a credential without expires_at lives one hour") {
  Stack s;
  s.p.config({{"cli_connect_expires_at", "omit"}});
  REQUIRE_MESSAGE(s.login().exit_code == 0, "login failed");
  const json status = s.status();
  CHECK(status["expires_in"] > 3500);
  CHECK(status["expires_in"] <= 3600);
  CHECK(s.f.client({"auth", "refresh"}).exit_code == 0);
  CHECK(s.status()["expires_in"] > 3500);
}

TEST_CASE("fluxloop logout: forgets locally and says the platform has no revocation") {
  Stack s;
  REQUIRE_MESSAGE(s.login().exit_code == 0, "login failed");
  auto out = s.f.client({"auth", "logout"});
  CHECK(out.exit_code == 0);
  CHECK(contains(out.err, "no revocation"));
  CHECK(s.status()["state"] == "no_credentials");
  CHECK(s.f.client({"auth", "token"}).exit_code == 3);
}

TEST_CASE("fluxloop profile add: no issuer makes a fluxloop profile, --api-url is --api-endpoint") {
  Stack s;
  auto added = s.f.client({"profile", "add", "work", "--api-url", s.p.issuer()});
  REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  auto list = json::parse(s.f.client({"profile", "list", "--json"}).out);
  CHECK(list["profiles"][0]["kind"] == "fluxloop");
  auto r = s.f.client({"auth", "login", "--no-browser", "--profile", "work"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(s.status("work")["state"] == "valid");
  // A second profile is no zero set-up: an unknown profile name still gets none created.
  const json config = json::parse(testsupport::read_file(s.f.home() + "/config.json"));
  CHECK(config["profiles"]["work"]["kind"] == "fluxloop");
  CHECK_FALSE(config["profiles"].contains("production"));
}
