// One agent per FLUXLOOP_HOME, found by clients through the home; a home and config.json that others
// could write are refused (issue 10, items 2 and 7). Real agents, real client.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/integration/trust_common.hpp"
#include "tests/support/agent_fixture.hpp"

namespace {

using namespace trusttest;
using testsupport::AgentFixture;

std::string second_socket(const AgentFixture& f) { return f.dir() + "/run2/agent.sock"; }

}  // namespace

TEST_CASE("home lock: a second agent on the same home, another socket, exits 1 naming the running one") {
  AgentFixture f;
  f.start();
  const std::string running = "agent already running (pid " + std::to_string(f.agent().pid()) + ") at " + f.socket();

  auto second = testsupport::run({testsupport::kAgentd, "--foreground", "--socket", second_socket(f)}, f.env());
  CHECK(second.exit_code == 1);
  CHECK(contains(second.err, running));
  CHECK(contains(second.err, "FLUXLOOP_HOME " + f.home()));
  CHECK_FALSE(testsupport::socket_accepts(second_socket(f)));

  auto daemon = testsupport::run({testsupport::kAgentd, "--daemon", "--socket", second_socket(f)}, f.env());
  CHECK(daemon.exit_code == 1);
  CHECK(contains(daemon.err, running));
  CHECK(daemon.out.empty());
  CHECK(f.agent().running());
}

TEST_CASE("home lock: the daemonized child holds the lock, and a client on an unused default path finds it") {
  AgentFixture f({{"FLUXLOOP_AGENT_SOCK", ""}});
  auto daemon = testsupport::run({testsupport::kAgentd, "--daemon", "--socket", f.socket()}, f.env());
  REQUIRE_MESSAGE(daemon.exit_code == 0, daemon.err);
  std::smatch pid;
  REQUIRE(std::regex_search(daemon.out, pid, std::regex("Agent pid ([0-9]+)")));
  struct Reaper {  // a failed check must not leave the daemon running
    pid_t pid;
    ~Reaper() { ::kill(pid, SIGTERM); }
  } reaper{static_cast<pid_t>(std::stoi(pid.str(1)))};
  const testsupport::Env own{{"FLUXLOOP_AGENT_SOCK", f.socket()}};

  // The parent has exited: the lock is the child's.
  auto second = testsupport::run({testsupport::kAgentd, "--foreground", "--socket", second_socket(f)}, f.env());
  CHECK(second.exit_code == 1);
  CHECK(contains(second.err, "agent already running (pid " + pid.str(1) + ") at " + f.socket()));

  // An ssh session: another XDG_RUNTIME_DIR (so another default path), the same home.
  const std::string runtime = f.dir() + "/ssh-runtime";
  std::filesystem::create_directories(runtime);
  auto status = f.client({"agent", "status", "--json"}, {}, {{"XDG_RUNTIME_DIR", runtime}});
  CHECK_MESSAGE(status.exit_code == 0, status.err);
  if (status.exit_code == 0) {
    const auto reply = nlohmann::json::parse(status.out);
    CHECK(reply["pid"] == std::stol(pid.str(1)));
    CHECK(reply["socket"] == f.socket());
  }
  CHECK_FALSE(std::filesystem::exists(runtime + "/fluxloop/agent.sock"));  // nothing autostarted

  auto stop = f.client({"agent", "stop"}, {}, own);
  CHECK_MESSAGE(stop.exit_code == 0, stop.err);
  CHECK(testsupport::eventually([&] { return ::kill(std::stoi(pid.str(1)), 0) != 0; }));
  // Gone: the record is emptied and the next agent on this home starts.
  CHECK(testsupport::read_file(f.home() + "/agent.lock").empty());
  testsupport::Process next({testsupport::kAgentd, "--foreground", "--socket", second_socket(f)}, f.env(), f.dir() + "/next.log");
  CHECK(testsupport::eventually([&] { return testsupport::socket_accepts(second_socket(f)) || !next.running(); }));
  CHECK(next.running());
}

TEST_CASE("home: a FLUXLOOP_HOME others can write is refused") {
  AgentFixture f;
  ::chmod(f.home().c_str(), 0777);
  auto r = testsupport::run({testsupport::kAgentd, "--foreground", "--socket", f.socket()}, f.env());
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "refusing FLUXLOOP_HOME " + f.home()));
  CHECK(contains(r.err, "chmod 700 " + f.home()));

  ::chmod(f.home().c_str(), 0755);  // readable by others is no danger to us: accepted
  f.start();
  CHECK(f.agent().running());
}

TEST_CASE("home: a config.json owned by another user is refused by the agent and by the client") {
  AgentFixture f;
  const std::string key = random_key("flx_api_");
  const std::string key_file = f.dir() + "/ci.key";
  testsupport::write_file(key_file, key + "\n", 0600);
  const std::string config = f.home() + "/config.json";
  testsupport::write_file(config, nlohmann::json{{"api_key_file", key_file}}.dump(), 0644);
  REQUIRE(::chown(config.c_str(), kNobody, kNobody) == 0);

  auto agent = testsupport::run({testsupport::kAgentd, "--foreground", "--socket", f.socket()}, f.env());
  CHECK(agent.exit_code == 1);
  CHECK(contains(agent.err, config + " is owned by uid 65534"));

  auto client = f.client({"auth", "token"});  // no agent: the client reads api_key_file itself
  CHECK(client.exit_code == 1);
  CHECK(contains(client.err, config));
  CHECK(contains(client.err, "uid 65534"));
  CHECK(client.out.empty());

  REQUIRE(::chown(config.c_str(), ::getuid(), ::getgid()) == 0);
  ::chmod(config.c_str(), 0666);  // ours, but anyone may write it
  auto writable = f.client({"auth", "token"});
  CHECK(writable.exit_code == 1);
  CHECK(contains(writable.err, "writable by other users"));

  ::chmod(config.c_str(), 0600);
  auto fine = f.client({"auth", "token"});
  CHECK_MESSAGE(fine.exit_code == 0, fine.err);
  CHECK(fine.out == key + "\n");
}
