// Interop with an independent, widely used OAuth 2.0 / OIDC server: panva's oidc-provider from npm
// (tests/interop, installed by `npm ci`; docs/interop.md), over TLS on loopback, with the real agent
// and client: discovery, device login completed by a script playing the user, refresh with
// rotation, reuse detection, revocation on logout. Tokens are never printed.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agentd/tokens/refresher.hpp"
#include "tests/support/agent_fixture.hpp"
#include "tests/support/platform_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using testsupport::AgentFixture;
using testsupport::Process;
using nlohmann::json;

const std::string kInteropDir = testsupport::kSourceDir + "/tests/interop";
constexpr const char* kClientId = "fluxloop-cli";
constexpr const char* kProfile = "interop";
constexpr const char* kEmail = "interop-user@example.com";
constexpr int kAccessTokenTtl = 60;

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }
bool same_secret(const std::string& a, const std::string& b) { return a == b; }

// `node` from FLUXLOOP_NODE, else the first on PATH.
std::string find_node() {
  if (const char* explicit_node = std::getenv("FLUXLOOP_NODE")) return explicit_node;
  std::stringstream path(std::getenv("PATH") ? std::getenv("PATH") : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(path, dir, ':');) {
    const std::string candidate = dir + "/node";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// provider.mjs on a free port with the test CA's server certificate.
class Provider {
 public:
  Provider() {
    node_ = find_node();
    REQUIRE_MESSAGE(!node_.empty(), "node is not installed (Node.js 20+ is needed for the interop test)");
    REQUIRE_MESSAGE(std::filesystem::exists(kInteropDir + "/node_modules/oidc-provider/package.json"),
                    "oidc-provider is not installed: run `npm ci --prefix tests/interop` (scripts/test.sh does)");
    testsupport::make_test_pki(pki());
    process_ = Process({node_, kInteropDir + "/provider.mjs", "--cert", pki() + "/server.pem", "--key",
                        pki() + "/server-key.pem", "--port-file", dir_.path() + "/port", "--client-id", kClientId,
                        "--access-token-ttl", std::to_string(kAccessTokenTtl), "--email", kEmail},
                       testsupport::base_env(dir_.path()), log_path());
    const bool up = testsupport::eventually(
        [&] { return !testsupport::read_file(dir_.path() + "/port").empty() || !process_.running(); }, 30s);
    REQUIRE_MESSAGE((up && process_.running()), "provider.mjs did not start:\n" << log());
    issuer_ = "https://127.0.0.1:" + std::to_string(std::stoi(testsupport::read_file(dir_.path() + "/port")));
    auto discovery = testsupport::https_request("GET", issuer_ + "/.well-known/openid-configuration", ca());
    REQUIRE_MESSAGE(discovery.status == 200, discovery.body);
    metadata_ = discovery.json;
  }
  ~Provider() {
    process_.signal(SIGTERM);
    process_.wait(5s);
  }

  const std::string& issuer() const { return issuer_; }
  std::string ca() const { return pki() + "/ca.pem"; }
  std::string log() const { return testsupport::read_file(log_path()); }
  const std::string& node() const { return node_; }

  // RFC 7662 introspection (the public client may introspect its own tokens): "active".
  bool active(const std::string& token) {
    auto r = testsupport::https_form(metadata_.at("introspection_endpoint"), ca(), {{"token", token}, {"client_id", kClientId}});
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return r.json.value("active", false);
  }
  // A refresh grant presented directly, as a thief holding the refresh token would.
  testsupport::HttpReply refresh_directly(const std::string& refresh_token) {
    return testsupport::https_form(metadata_.at("token_endpoint"), ca(),
                                   {{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}, {"client_id", kClientId}});
  }
  bool userinfo_accepts(const std::string& access_token) {
    return testsupport::https_request("GET", metadata_.at("userinfo_endpoint"), ca(), {}, {}, access_token).status == 200;
  }

 private:
  std::string pki() const { return dir_.path() + "/pki"; }
  std::string log_path() const { return dir_.path() + "/provider.log"; }

  testsupport::TempDir dir_;
  std::string node_, issuer_;
  json metadata_;
  Process process_;
};

// Plays the user at the verification page (tests/interop/approve-device.mjs).
void approve(Provider& provider, const std::string& verification_uri, const std::string& user_code) {
  auto r = testsupport::run({provider.node(), kInteropDir + "/approve-device.mjs", "--ca", provider.ca(),
                             "--verification-uri", verification_uri, "--user-code", user_code},
                            testsupport::base_env("/nonexistent"), {}, 30s);
  REQUIRE_MESSAGE(r.exit_code == 0, "approve-device.mjs: " << r.err << "\nprovider log:\n" << provider.log());
}

// A device login of kProfile, completed by the script: with `fluxloop auth login --device
// --no-browser` when this client has it, else with the agent's login_start/login_wait ops.
void device_login(Provider& provider, AgentFixture& f) {
  if (testsupport::client_has(f, {"auth", "login"})) {
    const std::string out = f.dir() + "/login.out";
    Process login({testsupport::kClient, "auth", "login", "--device", "--no-browser", "--profile", kProfile}, f.env(), out);
    // oidc-provider's user codes: ****-**** over the base-20 consonant charset.
    static const std::regex kUserCode("[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}");
    std::smatch match;
    std::string text;
    REQUIRE_MESSAGE(testsupport::eventually([&] {
                      text = testsupport::read_file(out);
                      return std::regex_search(text, match, kUserCode) || !login.running();
                    }, 20s),
                    "no user code shown by `fluxloop auth login --device`:\n" << text);
    REQUIRE_MESSAGE(login.running(), "`fluxloop auth login --device` ended early:\n" << text);
    CHECK(contains(text, provider.issuer() + "/device"));  // the verification URI is shown
    approve(provider, provider.issuer() + "/device", match.str());
    // No `interval` in oidc-provider's answer: the agent polls every 5 s (RFC 8628 default).
    const int code = login.wait(30s);
    REQUIRE_MESSAGE(code == 0, "`fluxloop auth login --device` exit " << code << ":\n" << testsupport::read_file(out));
    return;
  }
  MESSAGE("this client has no `auth login` yet: logging in through the agent's login_start/login_wait ops");
  auto started = testsupport::agent_request(f.socket(), proto::LoginStart{.profile = kProfile, .device = true, .api_endpoint = {}});
  REQUIRE_MESSAGE(started.ok(), (started ? "" : started.error().message));
  CHECK(started->method == proto::LoginMethod::device);
  CHECK(contains(started->verification_uri, provider.issuer() + "/device"));
  approve(provider, started->verification_uri, started->user_code);
  auto done = testsupport::agent_request(f.socket(), proto::LoginWait{.login_id = started->login_id}, 30s);
  REQUIRE_MESSAGE(done.ok(), (done ? "" : done.error().message));
  CHECK(done->user_email == kEmail);
}

// The refresh token the agent holds for kProfile (file store), to ask the provider about it.
std::string stored_refresh_token(AgentFixture& f) {
  auto file = json::parse(testsupport::read_file(f.home() + "/credentials.json"), nullptr, false);
  REQUIRE_FALSE(file.is_discarded());
  return file["profiles"][kProfile].value("refresh_token", "");
}

std::string token_of(AgentFixture& f) {
  auto r = f.client({"auth", "token", "--profile", kProfile});
  INFO("auth token exit " << r.exit_code << ": " << r.err);
  REQUIRE(r.exit_code == 0);
  return r.out.substr(0, r.out.size() - 1);
}

}  // namespace

TEST_CASE("interop: oidc-provider - discovery and device login and refresh rotation and reuse detection and revocation") {
  Provider provider;
  AgentFixture f({{"FLUXLOOP_CA_BUNDLE", provider.ca()}});
  f.start();
  auto added = f.client({"profile", "add", kProfile, "--issuer", provider.issuer(), "--client-id", kClientId,
                         "--api-endpoint", provider.issuer()});
  REQUIRE_MESSAGE(added.exit_code == 0, added.err);

  SUBCASE("device login and two rotations then a replayed refresh token ends the grant") {
    device_login(provider, f);
    const json status = testsupport::profile_status(f, kProfile);
    CHECK(status.value("state", "") == "valid");
    CHECK(status.value("user_email", "") == kEmail);  // from the ID token or userinfo
    const std::string access0 = token_of(f);
    CHECK(provider.userinfo_accepts(access0));
    const std::string refresh0 = stored_refresh_token(f);
    REQUIRE_FALSE(refresh0.empty());
    CHECK(provider.active(refresh0));

    // Two forced refreshes: each rotates; the second one used the refresh token the first one got.
    auto first = testsupport::auth_refresh(f, kProfile);
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    const std::string refresh1 = stored_refresh_token(f);
    CHECK_FALSE(same_secret(refresh1, refresh0));
    // Past the window in which a forced refresh adopts the one that just landed (issue 13).
    std::this_thread::sleep_for(agentd::tokens::kForcedRefreshWindow + std::chrono::milliseconds(100));
    auto second = testsupport::auth_refresh(f, kProfile);
    REQUIRE_MESSAGE(second.exit_code == 0, second.err);
    const std::string refresh2 = stored_refresh_token(f);
    CHECK_FALSE(same_secret(refresh2, refresh1));
    CHECK_FALSE(provider.active(refresh0));
    CHECK_FALSE(provider.active(refresh1));
    CHECK(provider.active(refresh2));
    const std::string access2 = token_of(f);
    CHECK_FALSE(same_secret(access2, access0));
    CHECK(provider.userinfo_accepts(access2));
    CHECK(testsupport::profile_status(f, kProfile).value("last_error", "") == "");

    // A rotated refresh token presented again is refused, and oidc-provider revokes the whole grant
    // (PLATFORM.md): the agent then reports login required with the command to run.
    auto replay = provider.refresh_directly(refresh1);
    CHECK(replay.status == 400);
    CHECK(replay.json.value("error", "") == "invalid_grant");
    CHECK_FALSE(provider.active(refresh2));
    auto after = f.client({"auth", "token", "--profile", kProfile, "--min-valid", std::to_string(2 * kAccessTokenTtl)});
    CHECK(after.exit_code == 3);
    CHECK_MESSAGE(contains(after.err, std::string("fluxloop auth login --profile ") + kProfile), after.err);
    CHECK(f.agent().running());
  }

  SUBCASE("device login then logout revokes at the provider") {
    device_login(provider, f);
    const std::string access = token_of(f);
    const std::string refresh = stored_refresh_token(f);
    REQUIRE(provider.active(access));
    REQUIRE(provider.active(refresh));

    auto out = testsupport::auth_logout(f, kProfile);
    CHECK_MESSAGE(out.exit_code == 0, out.err);
    CHECK_FALSE(provider.active(refresh));
    CHECK_FALSE(provider.active(access));
    auto reuse = provider.refresh_directly(refresh);
    CHECK(reuse.status == 400);
    CHECK(reuse.json.value("error", "") == "invalid_grant");
    CHECK(contains(provider.log(), "POST /token/revocation 200"));
    auto token = f.client({"auth", "token", "--profile", kProfile});
    CHECK(token.exit_code == 3);
    CHECK(token.out.empty());
  }
}
