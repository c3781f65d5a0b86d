// The monitor: subjects of requests (never a secret), the timed flush, figures and counts.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "agentd/audit/monitor.hpp"
#include "tests/support/process.hpp"

namespace {

using agentd::audit::CredentialKind;
using agentd::audit::Monitor;
using agentd::audit::subject_of;
using nlohmann::json;

// Not a real key: a value shaped like one, long enough for mask_secret to show its tail.
const std::string kKey = "flx_api_" + std::string(24, '7') + "c0ffee42";

std::string resolve(const std::string& profile) { return profile.empty() ? "production" : profile; }

agentd::server::Peer peer() { return {.pid = 4242, .uid = 1000, .gid = 1000, .exe = "/usr/bin/fluxloop"}; }

}  // namespace

TEST_CASE("monitor: subjects resolve the default profile, mask bearers and mark redact chunks") {
  auto token = subject_of(proto::GetToken{.profile = "", .min_valid = 0}, resolve);
  CHECK(token.name == "production");
  CHECK(token.kind == CredentialKind::profile);
  CHECK(token.use);

  proto::ApiRequest api;
  api.target.bearer = kKey;
  api.target.profile = "ignored";
  auto bearer = subject_of(api, resolve);
  CHECK(bearer.kind == CredentialKind::api_key);
  CHECK(bearer.use);
  CHECK(bearer.name == proto::mask_secret(kKey));
  CHECK(bearer.name.find("c0ffee42") == std::string::npos);
  CHECK(bearer.name.find(kKey.substr(0, 12)) == std::string::npos);

  proto::ApiKeyList list;
  list.target.profile = "staging";
  CHECK(subject_of(list, resolve).name == "staging");
  CHECK(subject_of(list, resolve).use);

  // Status of every profile stays "every profile", and is no use of a credential.
  auto status = subject_of(proto::AuthStatus{.profile = ""}, resolve);
  CHECK(status.name.empty());
  CHECK_FALSE(status.use);
  CHECK(subject_of(proto::ProfileRemove{.name = "old"}, resolve).name == "old");
  CHECK_FALSE(subject_of(proto::Redact{.data = "", .final = false}, resolve).audited);
  CHECK(subject_of(proto::Redact{.data = "", .final = true}, resolve).audited);
}

TEST_CASE("monitor: requests are counted, figured per credential, and flushed within the interval") {
  testsupport::TempDir dir;
  const std::string path = dir.path() + "/audit.log";
  boost::asio::io_context io;
  Monitor monitor(io.get_executor(), path);
  const proto::Error login_required{proto::ErrorCode::login_required, "log in"};
  const proto::Error no_profile{proto::ErrorCode::no_such_profile, "no profile"};

  monitor.record(peer(), "get_token", subject_of(proto::GetToken{}, resolve), nullptr);
  monitor.record(peer(), "get_token", subject_of(proto::GetToken{}, resolve), &login_required);
  monitor.record(peer(), "get_token", subject_of(proto::GetToken{.profile = "nope", .min_valid = 0}, resolve), &no_profile);
  proto::ApiRequest api;
  api.target.bearer = kKey;
  monitor.record(peer(), "api_request", subject_of(api, resolve), nullptr);
  monitor.record(peer(), "agent_status", {}, nullptr);
  monitor.record(peer(), "redact", subject_of(proto::Redact{.data = "", .final = false}, resolve), nullptr);

  CHECK(monitor.requests() == 5);  // the redact chunk before the last is no request of its own
  const auto* production = monitor.figures(CredentialKind::profile, "production");
  REQUIRE(production);
  CHECK(production->requests == 2);
  CHECK(production->failures == 1);
  CHECK(monitor.figures(CredentialKind::profile, "nope") == nullptr);  // no credential was involved
  const auto* key = monitor.figures(CredentialKind::api_key, proto::mask_secret(kKey));
  REQUIRE(key);
  CHECK(key->requests == 1);
  CHECK(monitor.usage().size() == 2);

  CHECK_FALSE(std::filesystem::exists(path));  // buffered, no write yet
  const auto start = std::chrono::steady_clock::now();
  io.run();  // returns once the flush timer has fired (no other work)
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited <= agentd::audit::kFlushInterval + std::chrono::milliseconds(500));
  const std::string text = testsupport::read_file(path);
  CHECK(text.find(kKey) == std::string::npos);  // never a secret
  CHECK(text.find("c0ffee42") == std::string::npos);
  int lines = 0;
  std::string outcomes;
  for (std::size_t at = 0, next; (next = text.find('\n', at)) != std::string::npos; at = next + 1) {
    const json line = json::parse(text.substr(at, next - at));
    CHECK(line["pid"] == 4242);
    CHECK(line["exe"] == "/usr/bin/fluxloop");
    outcomes += line["outcome"].get<std::string>() + " ";
    ++lines;
  }
  CHECK(lines == 5);
  CHECK(outcomes == "ok login_required no_such_profile ok ok ");

  // After shutdown every record is written at once (no timer keeps the loop alive).
  monitor.shutdown();
  monitor.record(peer(), "agent_stop", {}, nullptr);
  CHECK(testsupport::read_file(path).find("agent_stop") != std::string::npos);
}

TEST_CASE("monitor: refused peers and refresh failures become anomalies per the configured thresholds") {
  testsupport::TempDir dir;
  boost::asio::io_context io;
  Monitor monitor(io.get_executor(), dir.path() + "/audit.log");
  monitor.configure({.request_rate_per_minute = 0, .rejected_peers = 2, .refresh_failures = 2});
  agentd::server::Peer foreign{.pid = 77, .uid = 65534, .gid = 65534, .exe = ""};
  monitor.rejected_peer(foreign);
  CHECK(monitor.anomalies().empty());
  monitor.rejected_peer(foreign);
  monitor.refresh_failed("prod", proto::ErrorCode::network);
  monitor.refresh_failed("prod", proto::ErrorCode::network);
  const auto anomalies = monitor.anomalies();
  REQUIRE(anomalies.size() == 2);
  CHECK(anomalies[0].kind == proto::AnomalyKind::rejected_peers);
  CHECK(anomalies[1].kind == proto::AnomalyKind::refresh_failures);
}
