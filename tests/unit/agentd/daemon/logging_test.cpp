// The agent's log file under --daemon is rotated by size while the agent runs.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <spdlog/spdlog.h>

#include "agentd/daemon/logging.hpp"
#include "tests/unit/agentd/server/socket_helpers.hpp"

namespace {

std::uintmax_t size_of(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

}  // namespace

TEST_CASE("logging: the daemon's log file is moved to .1 by size while running") {
  servertest::TempDir tmp;
  const std::string path = tmp.path() + "/agent.log";
  constexpr std::uint64_t kMax = 8 * 1024;
  // In a child: it takes over stderr and the default logger.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || ::dup2(fd, STDERR_FILENO) < 0) ::_exit(2);
    agentd::daemon::setup_logging();
    agentd::daemon::rotate_log_file(path, kMax);
    for (int i = 0; i < 500; ++i) spdlog::info("line {} {}", i, std::string(80, 'x'));
    spdlog::info("the last line");
    ::_exit(0);
  }
  int status = -1;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(size_of(path) <= kMax);
  CHECK(size_of(path + ".1") <= kMax);
  CHECK(size_of(path + ".1") > kMax / 2);
  struct stat st{};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::ifstream in(path);
  const std::string current((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(current.find("the last line") != std::string::npos);
}
