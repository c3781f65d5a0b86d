// agentd/daemon/process: the --daemon log file and the shell lines.
#include <doctest/doctest.h>

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "agentd/daemon/process.hpp"
#include "tests/unit/agentd/server/socket_helpers.hpp"

using agentd::daemon::shell_quote;

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st{};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

off_t size_of(const std::string& path) {
  struct stat st{};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_size;
}

}  // namespace

TEST_CASE("daemon: shell_quote leaves plain paths alone and quotes the rest safely") {
  CHECK(shell_quote("/run/user/1000/fluxloop/agent.sock") == "/run/user/1000/fluxloop/agent.sock");
  CHECK(shell_quote("/tmp/my dir/agent.sock") == "'/tmp/my dir/agent.sock'");
  CHECK(shell_quote("/tmp/a;rm -rf ~/x") == "'/tmp/a;rm -rf ~/x'");
  CHECK(shell_quote("/tmp/it's") == "'/tmp/it'\\''s'");
  CHECK(shell_quote("/tmp/$(id)") == "'/tmp/$(id)'");
  CHECK(shell_quote("") == "''");
}

TEST_CASE("daemon: the log file is private and appended to and rotated past its bound") {
  servertest::TempDir tmp;
  const std::string home = tmp.path() + "/state/home";
  std::string path;
  {
    auto fd = agentd::daemon::open_daemon_log(home, path);
    REQUIRE_MESSAGE(fd.ok(), fd.error().message);
    CHECK(path == home + "/agent.log");
    CHECK(mode_of(home) == 0700);
    CHECK(mode_of(path) == 0600);
    REQUIRE(::write(fd->get(), "first\n", 6) == 6);
  }
  {
    auto fd = agentd::daemon::open_daemon_log(home, path);
    REQUIRE(fd.ok());
    REQUIRE(::write(fd->get(), "second\n", 7) == 7);
  }
  CHECK(size_of(path) == 13);  // appended, not truncated

  // Past 1 MiB the old log moves aside (one generation) and a fresh one starts.
  {
    std::ofstream big(path, std::ios::app);
    big << std::string(1100 * 1024, 'x');
  }
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  auto fd = agentd::daemon::open_daemon_log(home, path);
  REQUIRE(fd.ok());
  CHECK(size_of(path) == 0);
  CHECK(size_of(path + ".1") > 1024 * 1024);
  CHECK(mode_of(path) == 0600);
}

TEST_CASE("daemon: the log file is never opened through a symlink") {
  servertest::TempDir tmp;
  const std::string target = tmp.path() + "/elsewhere";
  { std::ofstream(target) << "keep"; }
  REQUIRE(::symlink(target.c_str(), (tmp.path() + "/agent.log").c_str()) == 0);
  std::string path;
  auto fd = agentd::daemon::open_daemon_log(tmp.path(), path);
  CHECK_FALSE(fd.ok());
  CHECK(size_of(target) == 4);
}

TEST_CASE("daemon: core dumps are disabled") {
  // In a child: a non-dumpable test process would upset LeakSanitizer (it ptraces its own process).
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    rlimit limit{};
    const bool ok = agentd::daemon::disable_core_dumps().ok() && ::getrlimit(RLIMIT_CORE, &limit) == 0 &&
                    limit.rlim_cur == 0 && limit.rlim_max == 0 && ::prctl(PR_GET_DUMPABLE) == 0;
    ::_exit(ok ? 0 : 1);
  }
  int status = -1;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
