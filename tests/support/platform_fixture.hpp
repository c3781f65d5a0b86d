// The platform emulator (tests/platform, docs/platform-api.md) as a test fixture: a fresh test PKI,
// one `fluxloop-platform` on a free loopback port, and helpers for its /_emulator knobs and OAuth
// endpoints. HTTP goes through the real `curl` (no HTTP library in tests); bodies go over curl's
// stdin, never its argv, because some of them carry refresh tokens.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/codec.hpp"
#include "tests/support/agent_fixture.hpp"
#include "tests/support/process.hpp"

namespace testsupport {

inline const std::string kEmulator = FLUXLOOP_TEST_EMULATOR;
// A stand-in for the platform's own Python CLI (tests/support/platform-cli-standin.py; run it with
// /usr/bin/python3 or directly): reads $HOME/.fluxloop/auth.json like the real one, prints
// "standin: refreshed" on stderr whenever it refreshed by itself.
inline const std::string kPlatformCliStandin =
    std::string(FLUXLOOP_TEST_SOURCE_DIR) + "/tests/support/platform-cli-standin.py";

// Generates the test PKI (tests/platform/make-test-ca.sh) into `dir`: ca.pem, server.pem,
// server-key.pem, wrong-host.pem, self-signed.pem and keys. Throws if the script fails.
void make_test_pki(const std::string& dir);

// One HTTP answer as curl saw it. `status` is 0 when no HTTP answer arrived (connection refused,
// reset, TLS failure); `json` is null when the body is not JSON.
struct HttpReply {
  int status = 0;
  std::string body;
  nlohmann::json json;
};

// Form fields for application/x-www-form-urlencoded bodies (values are percent-encoded here).
using Form = std::vector<std::pair<std::string, std::string>>;

// Minimal HTTPS calls through curl, trusting `ca` (a PEM file). The body and any bearer token are
// passed on curl's stdin. `timeout` bounds the whole exchange.
HttpReply https_request(const std::string& method, const std::string& url, const std::string& ca,
                        const std::string& content_type = {}, const std::string& body = {},
                        const std::string& bearer = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(15));
HttpReply https_form(const std::string& url, const std::string& ca, const Form& form);

// Percent-encodes a form value (RFC 3986 unreserved characters stay as they are).
std::string form_encode(const Form& form);

struct PlatformOptions {
  std::vector<std::string> args;  // extra emulator options, e.g. {"--token-lifetime", "4", "--quiet"}
  std::string pki_dir;            // an existing test PKI to reuse (same CA); empty: generate a new one
  std::string cert = "server";    // the PKI's certificate to serve: "server", "wrong-host", "self-signed"
  int port = 0;                   // 0: a free port; else this one (e.g. to replace a stopped instance)
};

class PlatformFixture {
 public:
  // Starts the emulator with `extra_args` (e.g. {"--token-lifetime", "4"}) on a fresh PKI.
  // Without `--quiet` its request log (never a token or query string) is in log().
  explicit PlatformFixture(std::vector<std::string> extra_args = {});
  explicit PlatformFixture(PlatformOptions options);
  ~PlatformFixture();
  PlatformFixture(const PlatformFixture&) = delete;
  PlatformFixture& operator=(const PlatformFixture&) = delete;

  // SIGTERM and wait (exit code, -1 if it did not stop). Afterwards the port refuses connections.
  int stop();
  bool running() { return process_.running(); }

  int port() const { return port_; }
  // "https://127.0.0.1:PORT" — what discovery reports for a Host header of 127.0.0.1:PORT.
  const std::string& issuer() const { return issuer_; }
  const std::string& ca_path() const { return ca_; }
  const std::string& pki_dir() const { return pki_dir_; }
  std::string log() const { return read_file(log_path_); }
  // {"FLUXLOOP_CA_BUNDLE": ca_path()}: the environment an AgentFixture needs to trust the emulator.
  Env agent_env() const { return {{"FLUXLOOP_CA_BUNDLE", ca_}}; }

  // A knob request (path under the issuer, e.g. "/_emulator/stats"). Throws std::runtime_error
  // unless the answer is a 2xx (knob typos must fail the test loudly); returns the parsed body.
  nlohmann::json admin(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr);
  nlohmann::json stats() { return admin("GET", "/_emulator/stats"); }
  void reset_stats() { admin("POST", "/_emulator/stats/reset"); }
  nlohmann::json config(const nlohmann::json& changes) { return admin("POST", "/_emulator/config", changes); }
  nlohmann::json add_fault(const nlohmann::json& fault) { return admin("POST", "/_emulator/faults", fault); }
  void clear_faults() { admin("DELETE", "/_emulator/faults"); }
  // Mints a grant without a login: the token response (access_token, refresh_token, expires_in…).
  nlohmann::json mint_tokens(const std::string& client_id, const std::string& email = {});

  // POST a form to an OAuth endpoint under the issuer ("/oauth/token", "/oauth/revoke"…).
  HttpReply oauth(const std::string& path, const Form& form) { return https_form(issuer_ + path, ca_, form); }
  // GET an API path with a bearer credential.
  HttpReply api_get(const std::string& path, const std::string& bearer) {
    return https_request("GET", issuer_ + path, ca_, {}, {}, bearer);
  }

  // --- The platform's own surface (/api, CLI connect; docs/platform-api.md). Knobs: config({...}). ---
  // The server a platform CLI talks to (FLUXLOOP_API_URL): the issuer.
  const std::string& api_url() const { return issuer_; }
  // One counter of GET /_emulator/stats ("too_fast_polls", "refresh_token_reuse",
  // "expired_token_used", …); throws if the emulator has no such counter.
  std::uint64_t counter(const std::string& name);
  // GET /_emulator/cli-connect: {"logins": [{"user_code","status","polls","too_fast_polls","interval"}]}.
  nlohmann::json cli_connect_logins() { return admin("GET", "/_emulator/cli-connect"); }
  // Waits until a CLI-connect login is pending (someone called /api/cli-connect/start) and returns its
  // user code (the newest pending one if several). Throws after `timeout`.
  std::string wait_for_cli_connect_login(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // Approves / denies / expires the pending CLI-connect login with `user_code` (empty: every pending
  // one); `email` is the user it logs in. Throws when none matched.
  void approve_cli_connect(const std::string& user_code = {}, const std::string& email = {});
  void deny_cli_connect(const std::string& user_code = {});
  void expire_cli_connect(const std::string& user_code = {});
  // A CLI-connect login without the flow: a credential {"access_token","refresh_token","expires_at",
  // "user_id","user_email"} (for seeding auth.json; never print it).
  nlohmann::json mint_cli_credential(const std::string& email = {});
  // The projects under /api (UUID ids; the first is "Demo project") and seeding one more.
  nlohmann::json platform_projects() { return admin("GET", "/_emulator/projects").at("projects"); }
  nlohmann::json add_platform_project(const std::string& name) { return admin("POST", "/_emulator/projects", {{"name", name}}); }
  // The environment a platform CLI (the stand-in or the real one) needs to reach this emulator:
  // FLUXLOOP_API_URL, FLUXLOOP_CA_BUNDLE and SSL_CERT_FILE.
  Env platform_cli_env() const {
    return {{"FLUXLOOP_API_URL", issuer_}, {"FLUXLOOP_CA_BUNDLE", ca_}, {"SSL_CERT_FILE", ca_}};
  }

  // Writes a credentials file (the multi-profile shape, 0600) at `path` holding profile `profile`
  // with freshly minted tokens plus issuer, client_id and api_endpoint, so the agent can refresh it.
  // Returns the token response (the test may need the refresh token; never print it).
  nlohmann::json seed_credentials(const std::string& path, const std::string& profile, const std::string& client_id);

 private:
  TempDir dir_;
  std::string pki_dir_, ca_, log_path_, port_file_, issuer_;
  int port_ = 0;
  Process process_;
};

// Seeds a refreshable profile (PlatformFixture::seed_credentials into agent.dir()), imports it with the
// real client (`auth import FILE --profile P`) and deletes the file. Returns the token response (the
// test may need the refresh token; never print it). Throws std::runtime_error if the import fails.
nlohmann::json import_seeded(PlatformFixture& platform, AgentFixture& agent, const std::string& profile,
                             const std::string& client_id = "fluxloop-cli");

// One token as a client received it, for ValidityProber.
struct TokenSample {
  std::string token;
  std::chrono::steady_clock::time_point before;  // taken before the client started: the agent answered later
  int min_valid = 0;                             // the --min-valid the client asked for
};

// Checks, while clients run, that every token stayed valid for the --min-valid it was served for:
// for each (min_valid, token) it probes GET /v1/me at (latest request that returned it) +
// min_valid - kMargin, so the probe lands while a correct agent's token must still be valid.
class ValidityProber {
 public:
  static constexpr auto kMargin = std::chrono::milliseconds(400);     // client start-up, curl and TLS before the probe lands
  static constexpr auto kLateLimit = std::chrono::milliseconds(250);  // a probe launched later than this past due is not judged

  explicit ValidityProber(PlatformFixture& platform) : platform_(platform) {}
  // Records a token a client received (thread-safe).
  void add(TokenSample sample);
  // Launches every probe that is due (all pending ones with `flush`); call often from one thread.
  void tick(bool flush);
  // Waits for every launched probe; the figures below are final afterwards.
  void finish();

  int judged = 0, late = 0;
  std::vector<std::string> failures;  // one line per refused token (never the token itself)

 private:
  void probe(const TokenSample& sample);

  PlatformFixture& platform_;
  std::mutex mutex_;
  std::map<std::pair<int, std::string>, TokenSample> pending_;
  std::vector<std::future<void>> probes_;
};

// One raw protocol exchange with the agent at `socket`: sends `frame`, returns the reply body (or an
// Error with code network when the agent is unreachable or silent past `timeout`). For ops the client
// has no command for yet, and for replies the client does not print (expires_at of get_token).
proto::Result<std::string> agent_exchange(const std::string& socket, const std::string& frame,
                                          std::chrono::milliseconds timeout);

// A typed request to the agent over its socket (proto/codec.hpp on both sides).
template <typename Req>
proto::Result<typename Req::Reply> agent_request(const std::string& socket, const Req& request,
                                                 std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  constexpr std::uint64_t kId = 1;
  auto body = agent_exchange(socket, proto::encode_request(kId, request), timeout);
  if (!body) return std::move(body).error();
  return proto::decode_reply<typename Req::Reply>(*body, kId);
}

// True when this build's client has the command (e.g. {"auth", "refresh"}): the parent command's
// --help lists it.
bool client_has(AgentFixture& agent, const std::vector<std::string>& command);

// `fluxloop auth refresh --profile P` / `auth logout --profile P`; while the client lacks the
// command, the same op sent raw (exit code from proto::exit_code_for, the error or the logout
// warning on `err`), so the agent's behaviour is tested either way.
RunResult auth_refresh(AgentFixture& agent, const std::string& profile);
RunResult auth_logout(AgentFixture& agent, const std::string& profile);

// `fluxloop auth status --profile P --json`: that profile's object ({"state", "last_error"…}; empty
// fields are left out, so read them with .value(key, "")).
// Throws std::runtime_error if the output is not the expected JSON document.
nlohmann::json profile_status(AgentFixture& agent, const std::string& profile);

// RFC 3339 UTC ("2024-11-02T10:00:00Z") for now + `from_now`.
std::string rfc3339_from_now(std::chrono::seconds from_now);
// Parses RFC 3339 UTC with a Z suffix (as the agent prints it) to a system_clock time point.
std::chrono::system_clock::time_point parse_rfc3339(const std::string& text);

}  // namespace testsupport
