#include "agentd/helpers/program.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

namespace agentd::helpers {
namespace {

constexpr std::array kPrograms{Program::keyring, Program::https};
// What a child that cannot execute its program exits with (the agent sees EOF, then this status).
constexpr int kExecFailed = 127;
// Pinned by the seccomp filter: execveat's path argument must be this very address.
constexpr char kEmptyPath[] = "";

struct Opened {
  bool tried = false;
  util::UniqueFd fd;
  std::string path;  // where it was looked for, for the error message
};

std::array<Opened, kPrograms.size()>& table() {
  static std::array<Opened, kPrograms.size()> programs;
  return programs;
}

std::string directory() {
  if (const char* dir = std::getenv("FLUXLOOP_HELPER_DIR"); dir && *dir) return dir;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = self.parent_path();
    if (std::filesystem::exists(beside / program_name(Program::https), ec)) return beside.string();
  }
  return FLUXLOOP_LIBEXEC_DIR;
}

Opened& open_program(Program program) {
  auto& entry = table()[static_cast<std::size_t>(program)];
  if (entry.tried) return entry;
  entry.tried = true;
  entry.path = directory() + "/" + std::string(program_name(program));
  entry.fd.reset(::open(entry.path.c_str(), O_PATH | O_CLOEXEC));
  return entry;
}

proto::Error failure(std::string what) { return proto::Error{proto::ErrorCode::internal, std::move(what)}; }

}  // namespace

std::string_view program_name(Program program) noexcept {
  return program == Program::keyring ? "fluxloop-keyring-helper" : "fluxloop-https-helper";
}

void open_programs() {
  for (auto program : kPrograms) open_program(program);
}

std::vector<int> program_fds() {
  std::vector<int> fds;
  for (const auto& entry : table()) {
    if (entry.fd) fds.push_back(entry.fd.get());
  }
  return fds;
}

const char* empty_path() noexcept { return kEmptyPath; }

void pass_through(std::vector<std::string>& environment, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (const char* value = std::getenv(name); value && *value) environment.push_back(std::string(name) + "=" + value);
  }
}

proto::Result<Child> spawn(Program program, const std::vector<std::string>& environment) {
  const auto& entry = open_program(program);
  if (!entry.fd) {
    return failure("cannot run " + std::string(program_name(program)) + ": " + entry.path +
                   " is missing (reinstall fluxloop, or set FLUXLOOP_HELPER_DIR)");
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return failure(std::string("cannot create a socketpair: ") + std::strerror(errno));
  }
  util::UniqueFd ours(pair[0]);
  util::UniqueFd theirs(pair[1]);
  // Everything the child needs is built before fork(): after it, only async-signal-safe calls.
  std::string arg0(program_name(program));
  std::array<char*, 2> argv{arg0.data(), nullptr};
  std::vector<std::string> env_copy = environment;
  std::vector<char*> envp;
  for (auto& entry_text : env_copy) envp.push_back(entry_text.data());
  envp.push_back(nullptr);
  const int exe = entry.fd.get();
  const int child_end = theirs.get();

  const pid_t pid = ::fork();
  if (pid < 0) return failure(std::string("cannot fork: ") + std::strerror(errno));
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the agent blocks stop signals at times
    if (::dup2(child_end, STDIN_FILENO) < 0) ::_exit(kExecFailed);
    const int null = ::open("/dev/null", O_WRONLY);
    if (null < 0 || ::dup2(null, STDOUT_FILENO) < 0) ::_exit(kExecFailed);
    // Every other descriptor (connections, the store, the log file, the lock) is closed at exec.
    ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    ::syscall(SYS_execveat, exe, kEmptyPath, argv.data(), envp.data(), AT_EMPTY_PATH);
    ::_exit(kExecFailed);
  }
  theirs.reset();
  util::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) {
    const int error = errno;
    ::kill(pid, SIGKILL);  // not reaped yet: the pid is still ours
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return failure(std::string("cannot watch the helper process: pidfd_open: ") + std::strerror(error));
  }
  return Child{pid, std::move(ours), std::move(pidfd)};
}

void kill_and_reap(pid_t pid, int pidfd) noexcept {
  if (pid <= 0 || pidfd < 0) return;
  ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

bool exited(pid_t pid) noexcept {
  const pid_t done = ::waitpid(pid, nullptr, WNOHANG);
  return done == pid || (done < 0 && errno == ECHILD);
}

}  // namespace agentd::helpers
