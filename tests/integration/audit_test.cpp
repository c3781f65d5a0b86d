// Monitoring with the real agent and client (docs/audit.md): audit lines with the peer's pid, uid and
// executable, usage figures in `auth status`, anomalies in `agent status`, and never a secret.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/agent_fixture.hpp"
#include "tests/support/platform_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testsupport::AgentFixture;
using testsupport::PlatformFixture;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A token-shaped random value: a leak of it anywhere is unmistakable.
std::string random_token(const std::string& prefix) {
  static const char digits[] = "0123456789abcdef";
  std::random_device rd;
  std::string token = prefix;
  for (int i = 0; i < 32; ++i) token += digits[rd() % 16];
  return token;
}

std::vector<json> audit_lines(AgentFixture& f) {
  std::vector<json> lines;
  std::istringstream in(testsupport::read_file(f.home() + "/audit.log"));
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

// The first audit line for `op` with `outcome`, waiting for the agent's timed flush.
json find_line(AgentFixture& f, const std::string& op, const std::string& outcome) {
  json found;
  testsupport::eventually(
      [&] {
        if (!std::filesystem::exists(f.home() + "/audit.log")) return false;
        for (const auto& line : audit_lines(f)) {
          if (line.value("op", "") == op && line.value("outcome", "") == outcome) {
            found = line;
            return true;
          }
        }
        return false;
      },
      5s);
  return found;
}

json agent_status(AgentFixture& f) {
  auto result = f.client({"agent", "status", "--json"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  return json::parse(result.out);
}

bool has_anomaly(AgentFixture& f, const std::string& kind) {
  for (const auto& anomaly : agent_status(f).value("anomalies", json::array())) {
    if (anomaly.value("kind", "") == kind) return true;
  }
  return false;
}

int anomaly_count(AgentFixture& f, const std::string& kind) {
  int n = 0;
  for (const auto& anomaly : agent_status(f).value("anomalies", json::array())) n += anomaly.value("kind", "") == kind;
  return n;
}

void write_monitoring(AgentFixture& f, const json& monitoring) {
  testsupport::write_file(f.home() + "/config.json", json{{"monitoring", monitoring}}.dump(), 0600);
}

}  // namespace

TEST_CASE("audit: requests are logged with pid, uid, exe, op, profile and outcome, failures are figured") {
  AgentFixture f;
  f.start();
  const std::string good = random_token("flx_");
  const std::string stale = random_token("flx_");
  const std::string file = f.dir() + "/seed.json";
  testsupport::write_file(
      file, json{{"profiles",
                  {{"prod", {{"access_token", good}, {"expires_at", testsupport::rfc3339_from_now(3600s)}}},
                   {"stale", {{"access_token", stale}, {"expires_at", testsupport::rfc3339_from_now(-3600s)}}}}}}
                .dump());
  auto imported = f.client({"auth", "import", file});
  REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);

  auto token = f.client({"auth", "token", "--profile", "prod"});
  REQUIRE_MESSAGE(token.exit_code == 0, token.err);
  auto refused = f.client({"auth", "token", "--profile", "stale"});
  CHECK(refused.exit_code == 3);  // login required: no refresh token

  const json ok = find_line(f, "get_token", "ok");
  REQUIRE_FALSE(ok.is_null());
  CHECK(ok["profile"] == "prod");
  CHECK(ok["uid"] == ::getuid());
  CHECK(ok["pid"].get<long>() > 0);
  CHECK(ok["pid"].get<long>() != ::getpid());  // the client process, not the test
  CHECK(ok["exe"] == std::filesystem::canonical(testsupport::kClient).string());
  CHECK(std::string(ok["time"]).ends_with("Z"));
  const json failed = find_line(f, "get_token", "login_required");
  REQUIRE_FALSE(failed.is_null());
  CHECK(failed["profile"] == "stale");
  CHECK_FALSE(find_line(f, "auth_import", "ok").is_null());

  // The figures: auth status --json per profile, agent status per credential.
  const json prod = testsupport::profile_status(f, "prod");
  CHECK(prod.value("requests", 0) == 1);
  CHECK(prod.value("failures", 0) == 0);
  CHECK_FALSE(prod.value("last_used", "").empty());
  const json stale_status = testsupport::profile_status(f, "stale");
  CHECK(stale_status.value("requests", 0) == 1);
  CHECK(stale_status.value("failures", 0) == 1);
  const json status = agent_status(f);
  CHECK(status.value("requests", 0) >= 5);
  bool listed = false;
  for (const auto& usage : status.value("usage", json::array())) {
    listed |= usage.value("name", "") == "prod" && usage.value("kind", "") == "profile";
  }
  CHECK(listed);

  // Human forms show the same figures.
  auto human = f.client({"agent", "status"});
  CHECK(contains(human.out + human.err, "requests"));
  CHECK(contains(human.out + human.err, "usage since start"));
  auto auth_human = f.client({"auth", "status", "--profile", "stale"});
  CHECK(contains(auth_human.out + auth_human.err, "1 (1 failed)"));

  // The audit log is private and holds no token; neither does the agent's log.
  CHECK((std::filesystem::status(f.home() + "/audit.log").permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  CHECK(f.stop() == 0);  // shutdown flushes
  const std::string audit = testsupport::read_file(f.home() + "/audit.log");
  CHECK(contains(audit, "\"op\":\"agent_status\""));
  for (const auto& secret : {good, stale}) {
    CHECK_FALSE(contains(audit, secret));
    CHECK_FALSE(contains(f.log(), secret));
    CHECK_FALSE(contains(audit, secret.substr(4, 16)));
  }
}

TEST_CASE("audit: a request-rate spike beyond the configured threshold is one anomaly in agent status") {
  AgentFixture f;
  write_monitoring(f, {{"request_rate_per_minute", 5}});
  f.start();
  CHECK_FALSE(has_anomaly(f, "request_rate"));
  for (int i = 0; i < 30; ++i) {
    auto reply = testsupport::agent_request(f.socket(), proto::AgentStatus{});
    REQUIRE(reply.ok());
  }
  CHECK(anomaly_count(f, "request_rate") == 1);  // once per window, not once per request
  CHECK(contains(f.log(), "anomaly request_rate"));
  auto human = f.client({"agent", "status"});
  CHECK(contains(human.out + human.err, "anomalies:"));
}

TEST_CASE("audit: peers of another uid refused past the threshold become an anomaly") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: needs root to run a client as uid 65534");
    return;
  }
  AgentFixture f;
  write_monitoring(f, {{"rejected_peers", 2}});
  f.start();
  // Open the directories so only the agent's own uid check stands between uid 65534 and the agent.
  const std::string dir = std::filesystem::path(f.socket()).parent_path().string();
  REQUIRE(::chmod(f.dir().c_str(), 0711) == 0);
  REQUIRE(::chmod(dir.c_str(), 0711) == 0);
  REQUIRE(::chmod(f.socket().c_str(), 0666) == 0);
  const std::string script = R"(
import socket, sys
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sys.argv[1])
    try:
        s.recv(1)
    except OSError:
        pass
    s.close()
)";
  auto connect_as_nobody = [&](int times) {
    return testsupport::run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3",
                             "-c", script, f.socket(), std::to_string(times)},
                            testsupport::base_env("/tmp", {{"HOME", "/tmp"}}));
  };
  auto once = connect_as_nobody(1);
  REQUIRE_MESSAGE(once.exit_code == 0, once.err);
  CHECK_FALSE(has_anomaly(f, "rejected_peers"));
  auto more = connect_as_nobody(3);
  REQUIRE_MESSAGE(more.exit_code == 0, more.err);
  CHECK(testsupport::eventually([&] { return has_anomaly(f, "rejected_peers"); }, 5s));
  CHECK(anomaly_count(f, "rejected_peers") == 1);
  CHECK(contains(f.log(), "uid 65534"));
}

TEST_CASE("audit: repeated refresh failures raise an anomaly, and no token reaches the logs") {
  PlatformFixture p({"--token-lifetime", "120", "--quiet"});
  AgentFixture f(p.agent_env());
  write_monitoring(f, {{"refresh_failures", 2}});
  f.start();
  const json tokens = testsupport::import_seeded(p, f, "emu");

  p.add_fault({{"kind", "500"}, {"count", 5}, {"path_prefix", "/oauth/token"}});
  auto refreshed = testsupport::auth_refresh(f, "emu");
  CHECK(refreshed.exit_code == 6);
  // The refresher retries on its own after its backoff (1 s): the second failure is the anomaly.
  CHECK(testsupport::eventually([&] { return has_anomaly(f, "refresh_failures"); }, 5s));
  CHECK(contains(f.log(), "anomaly refresh_failures"));
  p.clear_faults();

  auto token = f.client({"auth", "token", "--profile", "emu"});
  REQUIRE_MESSAGE(token.exit_code == 0, token.err);
  const std::string served = token.out.substr(0, token.out.size() - 1);
  CHECK(f.stop() == 0);
  const std::string audit = testsupport::read_file(f.home() + "/audit.log");
  CHECK(contains(audit, "\"op\":\"auth_refresh\""));
  for (const std::string& secret : {tokens.at("access_token").get<std::string>(),
                                   tokens.at("refresh_token").get<std::string>(), served}) {
    CHECK_FALSE(contains(audit, secret));
    CHECK_FALSE(contains(f.log(), secret));
  }
}
