// The helper processes (docs/security.md "Helper processes", issue 13): HTTPS runs in
// fluxloop-https-helper, started for the request and gone once idle; the agent itself never maps
// libssl, libsecret or GLib; the helper's argv and environment hold no secret.
#include <doctest/doctest.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agentd/http/https_client.hpp"
#include "tests/integration/lifecycle_common.hpp"

using namespace lifecycle;  // NOLINT(google-build-using-namespace): the helpers of this suite

namespace {

// The libraries that must stay out of the agent's address space.
const std::vector<std::string> kForeignLibraries{"libssl", "libsecret", "libglib", "libgio", "libgobject"};

// Pids of the live processes whose parent is `parent` and whose name starts with `name` (comm is
// cut at 15 characters: "fluxloop-https-").
std::vector<pid_t> children_named(pid_t parent, const std::string& name) {
  std::vector<pid_t> found;
  DIR* proc = ::opendir("/proc");
  REQUIRE(proc != nullptr);
  while (auto* entry = ::readdir(proc)) {
    const std::string pid_text = entry->d_name;
    if (pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string status = testsupport::read_file("/proc/" + pid_text + "/status");
    if (status.find("\nPPid:\t" + std::to_string(parent) + "\n") == std::string::npos) continue;
    if (status.find("Name:\t" + name.substr(0, 15)) != 0) continue;
    if (status.find("\nState:\tZ") != std::string::npos) continue;
    found.push_back(std::stoi(pid_text));
  }
  ::closedir(proc);
  return found;
}

std::string mapped_foreign_library(pid_t pid) {
  const std::string maps = testsupport::read_file("/proc/" + std::to_string(pid) + "/maps");
  REQUIRE_FALSE(maps.empty());
  for (const auto& library : kForeignLibraries) {
    if (contains(maps, "/" + library)) return library;
  }
  return "";
}

// Runs the helper `name` (beside the agent under test) with a terminal as stdin, as someone starting it
// by hand would: its exit code and stderr. Killed after 10 s (a helper that took the terminal for the
// agent's socket would wait for a request).
testsupport::RunResult run_on_terminal(const std::string& name) {
  const std::string path = (std::filesystem::path(testsupport::kAgentd).parent_path() / name).string();
  const int terminal = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  REQUIRE(terminal >= 0);
  REQUIRE(::grantpt(terminal) == 0);
  REQUIRE(::unlockpt(terminal) == 0);
  const std::string side = ::ptsname(terminal);
  int err[2];
  REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int in = ::open(side.c_str(), O_RDWR | O_NOCTTY);
    if (in < 0 || ::dup2(in, STDIN_FILENO) < 0 || ::dup2(err[1], STDERR_FILENO) < 0) ::_exit(127);
    char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
    char* envp[] = {nullptr};
    ::execve(path.c_str(), argv, envp);
    ::_exit(127);
  }
  ::close(err[1]);
  testsupport::RunResult result;
  pollfd wait{err[0], POLLIN, 0};
  char chunk[512];
  while (::poll(&wait, 1, 10'000) > 0) {
    const ssize_t n = ::read(err[0], chunk, sizeof chunk);
    if (n <= 0) break;
    result.err.append(chunk, static_cast<std::size_t>(n));
  }
  ::kill(pid, SIGKILL);  // a no-op once it has exited, which the poll above waited for
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  ::close(err[0]);
  ::close(terminal);
  return result;
}

}  // namespace

TEST_CASE("helpers: started by hand on a terminal, each helper refuses with exit 2 and says who starts it") {
  for (const std::string name : {"fluxloop-https-helper", "fluxloop-keyring-helper"}) {
    CAPTURE(name);
    const auto run = run_on_terminal(name);
    CHECK(run.exit_code == 2);
    CHECK(contains(run.err, name + ": started by fluxloop-agentd only, not by hand"));
  }
}

TEST_CASE("helpers: a refresh runs in the HTTPS helper, which holds no secret in argv or environment, then exits when idle") {
  PlatformFixture p({"--quiet"});
  AgentFixture f(p.agent_env());
  f.start();
  import_profile(p, f);
  const pid_t agent = f.agent().pid();
  CHECK(mapped_foreign_library(agent).empty());

  auto refreshed = f.client({"auth", "refresh", "--profile", kProfile});
  REQUIRE_MESSAGE(refreshed.exit_code == 0, refreshed.err);
  const std::string access = token_of(f);
  const json stored = credentials_file(f);
  const std::string refresh = stored["profiles"][kProfile].value("refresh_token", "");
  REQUIRE_FALSE(refresh.empty());

  // The helper that made the request is still there (idle for http::kHelperIdle).
  const auto helpers = children_named(agent, "fluxloop-https-helper");
  REQUIRE(helpers.size() == 1);
  const std::string proc = "/proc/" + std::to_string(helpers[0]);
  for (const auto* part : {"/cmdline", "/environ"}) {
    const std::string text = testsupport::read_file(proc + part);
    INFO(part << ": " << text);
    CHECK_FALSE(contains(text, access));
    CHECK_FALSE(contains(text, refresh));
    CHECK_FALSE(contains(text, access.substr(6, 20)));
  }
  CHECK(testsupport::read_file(proc + "/cmdline") == std::string("fluxloop-https-helper") + '\0');
  // TLS happened in the helper; the agent still maps none of it.
  CHECK(contains(testsupport::read_file(proc + "/maps"), "/libssl"));
  CHECK_MESSAGE(mapped_foreign_library(agent).empty(), mapped_foreign_library(agent));

  // Idle: it exits and is reaped (no /proc entry, not even a zombie's).
  const auto idle = agentd::http::kHelperIdle + std::chrono::seconds(10);
  CHECK(testsupport::eventually([&] { return ::kill(helpers[0], 0) != 0; }, std::chrono::duration_cast<std::chrono::milliseconds>(idle)));
  CHECK(children_named(agent, "fluxloop-https-helper").empty());

  // The next request starts a fresh helper.
  auto again = f.client({"auth", "refresh", "--profile", kProfile});
  CHECK_MESSAGE(again.exit_code == 0, again.err);
  const auto next = children_named(agent, "fluxloop-https-helper");
  REQUIRE(next.size() == 1);
  CHECK(next[0] != helpers[0]);
  CHECK(mapped_foreign_library(agent).empty());

  // Stopping the agent stops its helper.
  CHECK(f.stop() == 0);
  CHECK(testsupport::eventually([&] { return ::kill(next[0], 0) != 0; }));
}

TEST_CASE("helpers: a killed HTTPS helper costs the request in flight a clear error and the next request works") {
  PlatformFixture p({"--quiet"});
  AgentFixture f(p.agent_env());
  f.start();
  import_profile(p, f);
  REQUIRE(f.client({"auth", "refresh", "--profile", kProfile}).exit_code == 0);
  const auto helpers = children_named(f.agent().pid(), "fluxloop-https-helper");
  REQUIRE(helpers.size() == 1);
  REQUIRE(::kill(helpers[0], SIGKILL) == 0);
  // Killed while idle: the agent notices (EOF, pidfd), reaps it, and the next refresh starts another.
  CHECK(testsupport::eventually([&] { return ::kill(helpers[0], 0) != 0; }));
  auto again = f.client({"auth", "refresh", "--profile", kProfile});
  CHECK_MESSAGE(again.exit_code == 0, again.err);
  CHECK(f.stop() == 0);
}
