#include "agentd/daemon/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "agentd/daemon/logging.hpp"
#include "agentd/util/file_modes.hpp"

namespace agentd::daemon {
namespace {

constexpr mode_t kHomeMode = 0700;
constexpr std::chrono::seconds kStartupWait{30};         // the parent waits this long for the child's report
constexpr std::size_t kMaxReport = 4096;                 // bytes of a start-up error relayed to the parent
constexpr char kReady = 'R';
constexpr char kFailed = 'F';

std::string errno_text() { return std::strerror(errno); }

// mkdir -p with 0700 for every directory created; existing ones are left as they are (the lead's
// configuration code owns FLUXLOOP_HOME's policy).
proto::Status make_dirs(const std::string& dir) {
  const mode_t old = ::umask(077);
  std::string prefix;
  proto::Status status = proto::Ok{};
  for (const auto& part : std::filesystem::path(dir)) {
    prefix = (std::filesystem::path(prefix) / part).string();
    if (::mkdir(prefix.c_str(), kHomeMode) != 0 && errno != EEXIST) {
      status = proto::Error{proto::ErrorCode::internal, "cannot create " + prefix + ": " + errno_text()};
      break;
    }
  }
  ::umask(old);
  return status;
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Parent side: the child's report, or what went wrong waiting for it.
std::string wait_for_report(int fd, bool& timed_out) {
  std::string report;
  const auto deadline = std::chrono::steady_clock::now() + kStartupWait;
  timed_out = false;
  while (report.size() < kMaxReport) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    char buffer[512];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child closed its end (reported, or died)
    report.append(buffer, static_cast<std::size_t>(n));
  }
  return report;
}

[[noreturn]] void parent_finish(const std::string& socket_path, pid_t child, int report_fd, const std::string& log_path) {
  bool timed_out = false;
  const std::string report = wait_for_report(report_fd, timed_out);
  int code = 0;
  if (!report.empty() && report[0] == kReady) {
    std::printf("FLUXLOOP_AGENT_SOCK=%s; export FLUXLOOP_AGENT_SOCK;\necho Agent pid %d;\n",
                shell_quote(socket_path).c_str(), static_cast<int>(child));
  } else if (timed_out) {
    // The socket is bound and listening: clients queue until the agent accepts, so the lines are true.
    std::fprintf(stderr, "fluxloop-agentd: agent pid %d is still starting; see %s\n", static_cast<int>(child),
                 log_path.c_str());
    std::printf("FLUXLOOP_AGENT_SOCK=%s; export FLUXLOOP_AGENT_SOCK;\necho Agent pid %d;\n",
                shell_quote(socket_path).c_str(), static_cast<int>(child));
  } else if (!report.empty() && report[0] == kFailed) {
    std::fprintf(stderr, "fluxloop-agentd: %s\n", report.substr(1).c_str());
    code = 1;
  } else {
    std::fprintf(stderr, "fluxloop-agentd: the agent exited during start-up; see %s\n", log_path.c_str());
    code = 1;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  // _exit: the parent must not run destructors that would remove the socket the child now serves.
  ::_exit(code);
}

}  // namespace

proto::Status disable_core_dumps() {
  rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0) {
    return proto::Error{proto::ErrorCode::internal, "cannot disable core dumps: " + errno_text()};
  }
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return proto::Error{proto::ErrorCode::internal, "cannot mark the process non-dumpable: " + errno_text()};
  }
  return proto::Ok{};
}

std::uint64_t raise_fd_limit() noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised{limit.rlim_max, limit.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

proto::Result<util::UniqueFd> open_daemon_log(const std::string& home, std::string& path_out) {
  FLUXLOOP_CHECK(make_dirs(home));
  path_out = home + "/agent.log";
  struct stat st{};
  if (::lstat(path_out.c_str(), &st) == 0 && S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > kMaxLogFileBytes) {
    // One generation kept: bounded disk use, and the last run's messages survive one restart.
    ::rename(path_out.c_str(), (path_out + ".1").c_str());
  }
  util::UniqueFd fd(::open(path_out.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, util::kPrivateFileMode));
  if (!fd) return proto::Error{proto::ErrorCode::internal, "cannot open log " + path_out + ": " + errno_text()};
  ::fchmod(fd.get(), util::kPrivateFileMode);  // an older, wider file is narrowed
  return fd;
}

void StartupReport::ready() {
  if (!fd_) return;
  write_all(fd_.get(), std::string_view(&kReady, 1));
  fd_.reset();
}

void StartupReport::failed(std::string_view message) {
  if (!fd_) return;
  std::string report(1, kFailed);
  report.append(message.substr(0, kMaxReport - 1));
  write_all(fd_.get(), report);
  fd_.reset();
}

StartupReport daemonize(const std::string& socket_path, util::UniqueFd log, const std::string& log_path) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + errno_text());
  util::UniqueFd read_end(fds[0]), write_end(fds[1]);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error("fork: " + errno_text());
  if (child > 0) {
    write_end.reset();
    parent_finish(socket_path, child, read_end.get(), log_path);
  }
  read_end.reset();
  // A new session: no controlling terminal, so the shell's hang-up does not reach the agent.
  ::setsid();
  if (::chdir("/") != 0) { /* "/" always exists; nothing useful to do otherwise */ }
  util::UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (null) {
    ::dup2(null.get(), STDIN_FILENO);
    ::dup2(null.get(), STDOUT_FILENO);
  }
  ::dup2(log.get(), STDERR_FILENO);
  return StartupReport(std::move(write_end));
}

std::string shell_quote(std::string_view text) {
  bool plain = !text.empty();
  for (char c : text) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      std::strchr("/._-+:@%,=", c) != nullptr;
    if (!safe || c == '\0') plain = false;
  }
  if (plain) return std::string(text);
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') quoted += "'\\''";
    else quoted += c;
  }
  return quoted + "'";
}

}  // namespace agentd::daemon
