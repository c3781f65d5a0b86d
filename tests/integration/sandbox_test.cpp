// The agent's seccomp filter (agentd/sandbox, docs/security.md): active in the running agent, kills
// on execve (with a log line in trap mode), refuses other socket families with an error.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/syscall.h>

#include <chrono>
#include <regex>
#include <string>

#include "tests/support/agent_fixture.hpp"

using namespace std::chrono_literals;
using testsupport::AgentFixture;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The value of a "Name:\tvalue" line of /proc/PID/status.
std::string status_field(pid_t pid, const std::string& name) {
  const std::string status = testsupport::read_file("/proc/" + std::to_string(pid) + "/status");
  std::smatch m;
  if (!std::regex_search(status, m, std::regex("(^|\n)" + name + ":\\s*([^\n]*)"))) return "";
  return m[2];
}

// Runs an agent that is expected to die during start-up; returns its exit code (128+N: signal N).
// Not f.start(): the socket accepts (in the kernel) before the filter exists, so start() might return.
int start_expecting_death(AgentFixture& f) {
  f.agent() = testsupport::Process({testsupport::kAgentd, "--foreground", "--socket", f.socket()}, f.env(),
                                   f.dir() + "/agent.log");
  return f.agent().wait(20s);
}

}  // namespace

TEST_CASE("sandbox: the running agent has a seccomp filter and no_new_privs, and serves") {
  AgentFixture f;
  f.start();
  // A served request first: the kernel accepts on the socket before the filter is loaded, but the
  // agent answers nothing until it is (main.cpp enters the sandbox before it runs the I/O loop).
  auto status = f.client({"agent", "status"});
  CHECK_MESSAGE(status.exit_code == 0, status.err);
  CHECK(status_field(f.agent().pid(), "Seccomp") == "2");
  CHECK(status_field(f.agent().pid(), "NoNewPrivs") == "1");
  CHECK(f.stop() == 0);
}

TEST_CASE("sandbox: a --daemon agent is filtered too (the fork comes before the filter)") {
  AgentFixture f;
  auto daemon = testsupport::run({testsupport::kAgentd, "--daemon", "--socket", f.socket()}, f.env());
  REQUIRE_MESSAGE(daemon.exit_code == 0, daemon.err);
  std::smatch m;
  REQUIRE(std::regex_search(daemon.out, m, std::regex("Agent pid ([0-9]+)")));
  const pid_t pid = std::stoi(m[1]);
  CHECK(status_field(pid, "Seccomp") == "2");
  CHECK(status_field(pid, "NoNewPrivs") == "1");
  CHECK(f.client({"agent", "status"}).exit_code == 0);
  CHECK(f.client({"agent", "stop"}).exit_code == 0);
  CHECK(testsupport::eventually([&] { return ::kill(pid, 0) != 0; }, 20s));
}

TEST_CASE("sandbox: execve kills the agent with SIGSYS") {
  AgentFixture f({{"FLUXLOOP_SECCOMP_SELFTEST", "execve"}});
  CHECK(start_expecting_death(f) == 128 + SIGSYS);
  CHECK(contains(f.log(), "seccomp self-test: trying execve"));
  CHECK_FALSE(contains(f.log(), "execve returned"));
}

TEST_CASE("sandbox: execveat of a descriptor that is not a helper program kills the agent with SIGSYS") {
  AgentFixture f({{"FLUXLOOP_SECCOMP_SELFTEST", "execveat"}});
  CHECK(start_expecting_death(f) == 128 + SIGSYS);
  CHECK(contains(f.log(), "seccomp self-test: trying execveat"));
  CHECK_FALSE(contains(f.log(), "execveat returned"));
}

TEST_CASE("sandbox: in trap mode a violation is logged by name before the agent stops") {
  AgentFixture f({{"FLUXLOOP_SECCOMP_SELFTEST", "execve"}, {"FLUXLOOP_SECCOMP", "trap"}});
  CHECK(start_expecting_death(f) == 128 + SIGSYS);
  const std::string line = "fluxloop-agentd: seccomp: blocked system call execve (" + std::to_string(SYS_execve) + ")";
  CHECK_MESSAGE(contains(f.log(), line), f.log());
}

TEST_CASE("sandbox: a socket of another family is refused with an error, and the agent goes on") {
  AgentFixture f({{"FLUXLOOP_SECCOMP_SELFTEST", "netlink"}});
  f.start();  // the socket accepts before the filter and the self-test: poll for the log line
  CHECK_MESSAGE(testsupport::eventually(
                    [&] { return contains(f.log(), "seccomp self-test: socket(AF_NETLINK) refused: Permission denied"); }, 20s),
                f.log());
  CHECK(f.client({"agent", "status"}).exit_code == 0);
}

TEST_CASE("sandbox: an unknown FLUXLOOP_SECCOMP stops start-up with the choices") {
  AgentFixture f;
  auto result = testsupport::run({testsupport::kAgentd, "--foreground", "--socket", f.socket()},
                                 [&] {
                                   auto env = f.env();
                                   env["FLUXLOOP_SECCOMP"] = "off";
                                   return env;
                                 }());
  CHECK(result.exit_code == 1);
  CHECK(contains(result.err, "FLUXLOOP_SECCOMP must be 'kill' (the default) or 'trap'"));
}
