// `fluxloop auth login | refresh | logout` end to end: the real client, the real agent and the
// platform emulator over real TLS (docs/platform-api.md). The test plays the user: it approves or
// denies device codes through the emulator's knobs and plays the browser with curl (the emulator's
// auto-approve answers the authorization request with a 302 to the agent's loopback listener).
// Tokens are random per run and never printed; the fake FLUXLOOP_TOKEN/API_KEY values are no secrets.
#include <doctest/doctest.h>

#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/agent_fixture.hpp"
#include "tests/support/platform_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using testsupport::AgentFixture;
using testsupport::Env;
using testsupport::PlatformFixture;
using testsupport::Process;
using testsupport::RunResult;
using nlohmann::json;

constexpr const char* kClientId = "fluxloop-cli";
constexpr const char* kProfile = "dev";
constexpr const char* kEmail = "user@example.com";  // the emulator's default user
const std::string kCurl = "/usr/bin/curl";
const std::regex kUserCode("[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}");  // the emulator's codes
const std::regex kOpenUrl("Open this URL to log in: (https://[^\\s]+)");

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }
bool same_secret(const std::string& a, const std::string& b) { return a == b; }  // never printed by doctest

// An emulator, an agent that trusts its CA, and a profile that points at it.
struct Stack {
  PlatformFixture p;
  AgentFixture f{p.agent_env()};
  Stack() {
    f.start();
    auto added = f.client({"profile", "add", kProfile, "--issuer", p.issuer(), "--client-id", kClientId,
                           "--api-endpoint", p.issuer()});
    REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  }
  std::string log_path(const std::string& name) const { return f.dir() + "/" + name; }
};

std::string token_of(AgentFixture& f) {
  auto r = f.client({"auth", "token", "--profile", kProfile});
  INFO("auth token exit " << r.exit_code << ": " << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.size() > 1);
  return r.out.substr(0, r.out.size() - 1);
}

bool token_works(PlatformFixture& p, const std::string& token) { return p.api_get("/v1/me", token).status == 200; }

// `auth login --device`, auto-approved by the emulator after one pending poll (about 2 s).
RunResult device_login(Stack& s) {
  auto r = s.f.client({"auth", "login", "--device", "--profile", kProfile});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return r;
}

// Waits until the log of a background client matches `pattern`; returns the first group (or match).
std::string wait_for(Process& client, const std::string& log, const std::regex& pattern) {
  std::smatch match;
  std::string text;
  const bool seen = testsupport::eventually([&] {
    text = testsupport::read_file(log);
    return std::regex_search(text, match, pattern) || !client.running();
  }, 15s);
  REQUIRE_MESSAGE((seen && client.running() && !match.empty()), "the client printed no such line, or ended:\n" << text);
  return match.size() > 1 ? match.str(1) : match.str(0);
}

// curl as a browser: GET `url` trusting `ca` (empty: plain http), not following redirects. Returns
// "STATUS REDIRECT_URL".
std::string browse(const std::string& url, const std::string& ca = {}) {
  std::vector<std::string> argv{kCurl, "-q", "-s", "-o", "/dev/null", "--max-time", "10", "-w", "%{http_code} %{redirect_url}"};
  if (!ca.empty()) argv.insert(argv.end(), {"--cacert", ca});
  argv.push_back(url);
  return testsupport::run(argv, testsupport::base_env("/nonexistent"), {}, 15s).out;
}

}  // namespace

TEST_CASE("login: the auth group lists login and refresh and logout") {
  AgentFixture f;
  for (const char* command : {"login", "refresh", "logout"}) {
    CAPTURE(command);
    CHECK(testsupport::client_has(f, {"auth", command}));
  }
  auto help = f.client({"auth", "login", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(contains(help.out, "--device"));
  CHECK(contains(help.out, "--no-browser"));
}

TEST_CASE("login: device login completes and the profile serves a token with the user's e-mail") {
  Stack s;
  const auto started = std::chrono::steady_clock::now();
  auto r = device_login(s);
  MESSAGE("device login took " << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() << " s");
  CHECK(contains(r.err, s.p.issuer() + "/device"));  // the verification URI
  CHECK(std::regex_search(r.err, kUserCode));         // the user code
  CHECK(contains(r.err, "Waiting for approval"));
  CHECK_FALSE(contains(r.err, "\xe2\x96\x80"));  // no QR code (half blocks) when stderr is no terminal
  CHECK(contains(r.err, std::string("Logged in to profile ") + kProfile + " as " + kEmail));
  CHECK(r.out.empty());
  CHECK(s.p.stats()["device_authorizations"] == 1);

  const std::string token = token_of(s.f);
  CHECK(token_works(s.p, token));
  CHECK_FALSE(contains(r.err, token));
  const json status = testsupport::profile_status(s.f, kProfile);
  CHECK(status.value("state", "") == "valid");
  CHECK(status.value("user_email", "") == kEmail);
}

TEST_CASE("login: an SSH session without a display gets the device login and says so") {
  Stack s;
  auto remote = s.f.client({"auth", "login", "--profile", kProfile}, {}, {{"SSH_CONNECTION", "192.0.2.1 50000 192.0.2.2 22"}});
  CHECK_MESSAGE(remote.exit_code == 0, remote.err);
  CHECK(contains(remote.err, "remote session"));
  CHECK(std::regex_search(remote.err, kUserCode));
  CHECK_FALSE(contains(remote.err, "Open this URL"));
  CHECK(s.p.stats()["device_authorizations"] == 1);
  CHECK(s.p.stats()["authorize_requests"] == 0);
}

TEST_CASE("login: browser login with --no-browser completes when the test plays the browser and a wrong state changes nothing") {
  Stack s;
  const std::string log = s.log_path("login.log");
  Process login({testsupport::kClient, "auth", "login", "--no-browser", "--profile", kProfile}, s.f.env(), log);
  const std::string url = wait_for(login, log, kOpenUrl);
  CHECK(url.starts_with(s.p.issuer() + "/oauth/authorize?"));
  CHECK_FALSE(contains(testsupport::read_file(log), "Opening"));

  // The emulator approves at once: 302 to the agent's loopback listener with code and state.
  const std::string answer = browse(url, s.p.ca_path());
  REQUIRE_MESSAGE(answer.starts_with("302 http://127.0.0.1:"), answer);
  const std::string callback = answer.substr(4);
  REQUIRE(contains(callback, "/callback?"));
  REQUIRE(contains(callback, "state="));

  // A forged redirect (wrong state) is refused and the login goes on.
  const std::string forged = std::regex_replace(callback, std::regex("state=[^&]*"), "state=forged");
  CHECK(browse(forged).starts_with("400"));
  std::this_thread::sleep_for(300ms);
  CHECK(login.running());
  CHECK(testsupport::profile_status(s.f, kProfile).value("state", "") == "login_pending");

  // The real one completes it.
  CHECK(browse(callback).starts_with("200"));
  const int code = login.wait(15s);
  const std::string text = testsupport::read_file(log);
  CHECK_MESSAGE(code == 0, text);
  CHECK(contains(text, std::string("Logged in to profile ") + kProfile + " as " + kEmail));
  CHECK(token_works(s.p, token_of(s.f)));
  CHECK(s.p.stats()["token_requests"]["authorization_code"] == 1);
}

TEST_CASE("login: BROWSER opens the URL without the client's secrets in its environment") {
  Stack s;
  const std::string env_dump = s.log_path("browser.env");
  const std::string script = s.log_path("browser.sh");
  // A browser that follows the authorization redirect to the loopback listener, as a real one does.
  testsupport::write_file(script,
                          "#!/bin/sh\n"
                          "env > '" + env_dump + "'\n"
                          "to=$(" + kCurl + " -q -s -o /dev/null --max-time 10 -w '%{redirect_url}' --cacert '" +
                              s.p.ca_path() + "' \"$1\") || exit 1\n"
                          "exec " + kCurl + " -q -s -o /dev/null --max-time 10 \"$to\"\n",
                          0700);
  const std::string fake_token = "flx_at_fakeclienttokenvalue000000000000";
  const std::string fake_key = "flx_api_fakeclientkeyvalue00000000000000";
  auto r = s.f.client({"auth", "login", "--profile", kProfile}, {},
                      {{"BROWSER", script}, {"FLUXLOOP_TOKEN", fake_token}, {"FLUXLOOP_API_KEY", fake_key},
                       {"FLUXLOOP_LOGIN_TEST_MARKER", "inherited"}});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(contains(r.err, "Opening " + s.p.issuer() + "/oauth/authorize?"));
  CHECK_FALSE(contains(r.err, "Open this URL"));  // opening worked
  CHECK(contains(r.err, std::string("Logged in to profile ") + kProfile + " as " + kEmail));

  const std::string env = testsupport::read_file(env_dump);
  CHECK(contains(env, "FLUXLOOP_LOGIN_TEST_MARKER=inherited"));  // the dump is real
  CHECK_FALSE(contains(env, "FLUXLOOP_TOKEN"));
  CHECK_FALSE(contains(env, "FLUXLOOP_API_KEY"));
  CHECK_FALSE(contains(env, fake_token));
  CHECK_FALSE(contains(env, fake_key));
  CHECK(token_works(s.p, token_of(s.f)));
}

TEST_CASE("login: a BROWSER that fails falls back to printing the URL") {
  Stack s;
  const std::string log = s.log_path("login.log");
  Env env = s.f.env();
  env["BROWSER"] = "/nonexistent/browser --flag";
  Process login({testsupport::kClient, "auth", "login", "--profile", kProfile}, env, log);
  const std::string url = wait_for(login, log, kOpenUrl);
  CHECK(contains(testsupport::read_file(log), "could not open a browser"));
  const std::string answer = browse(url, s.p.ca_path());
  REQUIRE_MESSAGE(answer.starts_with("302 "), answer);
  CHECK(browse(answer.substr(4)).starts_with("200"));
  CHECK_MESSAGE(login.wait(15s) == 0, testsupport::read_file(log));
}

TEST_CASE("login: a browser login refused at the authorization server exits 5") {
  Stack s;
  s.p.config({{"deny_authorize", true}});
  const std::string log = s.log_path("login.log");
  Process login({testsupport::kClient, "auth", "login", "--no-browser", "--profile", kProfile}, s.f.env(), log);
  const std::string answer = browse(wait_for(login, log, kOpenUrl), s.p.ca_path());
  REQUIRE_MESSAGE(answer.starts_with("302 "), answer);
  CHECK(contains(answer, "error=access_denied"));
  CHECK(browse(answer.substr(4)).starts_with("200"));  // the listener's "Login failed" page
  const int code = login.wait(15s);
  const std::string text = testsupport::read_file(log);
  CHECK_MESSAGE(code == 5, text);
  CHECK(contains(text, "access_denied"));
  CHECK(s.f.client({"auth", "token", "--profile", kProfile}).exit_code == 3);
}

TEST_CASE("login: a denied device login exits 5 with a clear message") {
  Stack s;
  s.p.config({{"auto_approve", false}});
  const std::string log = s.log_path("login.log");
  Process login({testsupport::kClient, "auth", "login", "--device", "--profile", kProfile}, s.f.env(), log);
  const std::string user_code = wait_for(login, log, kUserCode);
  s.p.admin("POST", "/_emulator/device/deny", {{"user_code", user_code}});
  const int code = login.wait(15s);
  const std::string text = testsupport::read_file(log);
  CHECK_MESSAGE(code == 5, text);
  CHECK(contains(text, "denied"));
  CHECK(contains(text, std::string("fluxloop auth login --profile ") + kProfile));
  CHECK(s.f.client({"auth", "token", "--profile", kProfile}).exit_code == 3);
}

TEST_CASE("login: auth refresh gives a new token and the emulator counts one refresh") {
  Stack s;
  device_login(s);
  const std::string before = token_of(s.f);
  s.p.reset_stats();
  // FLUXLOOP_PROFILE names the profile when --profile is absent.
  auto r = s.f.client({"auth", "refresh"}, {}, {{"FLUXLOOP_PROFILE", kProfile}});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(std::regex_search(r.err, std::regex(std::string("Refreshed profile ") + kProfile +
                                            "; the new token expires at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ")));
  CHECK(r.out.empty());
  const std::string after = token_of(s.f);
  CHECK_FALSE(same_secret(after, before));
  CHECK(token_works(s.p, after));
  CHECK(s.p.stats()["refreshes"] == 1);
  CHECK(s.p.stats()["refreshes_succeeded"] == 1);
}

TEST_CASE("login: refresh and login of profiles that cannot are errors naming the next step") {
  Stack s;
  auto refresh = s.f.client({"auth", "refresh", "--profile", kProfile});
  CHECK(refresh.exit_code == 3);
  CHECK(contains(refresh.err, std::string("fluxloop auth login --profile ") + kProfile));
  auto login = s.f.client({"auth", "login", "--device", "--profile", "nowhere"});
  CHECK(login.exit_code == 1);
  CHECK(contains(login.err, "fluxloop profile add nowhere"));
  auto usage = s.f.client({"auth", "login", "--browser"});
  CHECK(usage.exit_code == 2);
}

TEST_CASE("login: auth logout revokes at the server then auth token asks for a login") {
  Stack s;
  device_login(s);
  const std::string access = token_of(s.f);
  s.p.reset_stats();
  auto r = s.f.client({"auth", "logout", "--profile", kProfile});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(contains(r.err, std::string("Logged out of profile ") + kProfile + " (tokens revoked at the server)"));
  CHECK(s.p.stats()["revocations"].get<int>() >= 1);
  CHECK(s.p.stats()["active_grants"] == 0);
  CHECK_FALSE(token_works(s.p, access));
  auto token = s.f.client({"auth", "token", "--profile", kProfile});
  CHECK(token.exit_code == 3);
  CHECK(token.out.empty());
  CHECK(contains(token.err, std::string("fluxloop auth login --profile ") + kProfile));
}

TEST_CASE("login: auth logout with the server stopped still exits 0 and warns") {
  Stack s;
  device_login(s);
  (void)token_of(s.f);
  CHECK(s.p.stop() == 0);
  auto r = s.f.client({"auth", "logout", "--profile", kProfile});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(contains(r.err, std::string("Logged out of profile ") + kProfile));
  CHECK(contains(r.err, "warning: "));
  CHECK_FALSE(contains(r.err, "revoked at the server"));
  MESSAGE("offline logout said: " << r.err);
  CHECK(s.f.client({"auth", "token", "--profile", kProfile}).exit_code == 3);
}
