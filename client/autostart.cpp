#include "client/autostart.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace client {
namespace {

// The agent's --daemon exits once its socket listens; a keyring probe is bounded well below this.
constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr auto kWaitPollInterval = std::chrono::milliseconds(2);
// The variables CONTRACT.md defines as secrets: no child may inherit them ("Security floor").
constexpr std::string_view kSecretVariables[] = {"FLUXLOOP_TOKEN", "FLUXLOOP_API_KEY", "FLUXLOOP_SYNC_API_KEY"};
constexpr std::string_view kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

bool executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

std::string self_executable() {
  char buffer[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

std::string next_step() {
  return "run `" + std::string(kAgentBinary) + " --foreground` to see why it cannot start";
}

Failure start_failure(const std::string& what) {
  return Failure{proto::kExitUnreachable, "could not start the agent: " + what, FailureKind::unreachable};
}

}  // namespace

bool is_secret_variable(std::string_view entry) noexcept {
  for (std::string_view name : kSecretVariables) {
    if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=') return true;
    if (entry == name) return true;
  }
  return false;
}

std::vector<std::string> agent_environment(const char* const* env) {
  std::vector<std::string> out;
  for (; env && *env; ++env) {
    if (!is_secret_variable(*env)) out.emplace_back(*env);
  }
  return out;
}

std::string find_agentd(std::string_view self_exe, std::string_view path_env) {
  if (auto slash = self_exe.rfind('/'); slash != std::string_view::npos) {
    std::string candidate = std::string(self_exe.substr(0, slash + 1)) + std::string(kAgentBinary);
    if (executable(candidate)) return candidate;
  }
  if (path_env.empty()) path_env = kDefaultPath;
  while (!path_env.empty()) {
    auto colon = path_env.find(':');
    std::string_view dir = path_env.substr(0, colon);
    path_env = colon == std::string_view::npos ? std::string_view() : path_env.substr(colon + 1);
    // An empty entry means the current directory: never run a binary found there implicitly.
    if (dir.empty()) continue;
    std::string candidate = std::string(dir) + "/" + std::string(kAgentBinary);
    if (executable(candidate)) return candidate;
  }
  return {};
}

std::vector<char*> c_strings(std::vector<std::string>& items) {
  std::vector<char*> out;
  out.reserve(items.size() + 1);
  for (auto& item : items) out.push_back(item.data());
  out.push_back(nullptr);
  return out;
}

Outcome<proto::Ok> start_agent(const std::string& socket_path) {
  const char* path_env = std::getenv("PATH");
  const std::string binary = find_agentd(self_executable(), path_env ? path_env : "");
  if (binary.empty()) {
    return start_failure(std::string(kAgentBinary) + " was found neither next to fluxloop nor on PATH; install it or start an agent yourself");
  }

  std::vector<std::string> args{binary, "--daemon", "--socket", socket_path};
  std::vector<char*> argv = c_strings(args);
  std::vector<std::string> env = agent_environment(environ);
  std::vector<char*> envp = c_strings(env);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  // stdin, stdout and stderr all on /dev/null: `--daemon` prints shell export lines that must not
  // mix into our stdout (which may be a token being captured), and a daemon holding our pipes open
  // would make callers reading our output wait for the agent to exit.
  for (int fd : {0, 1, 2}) ::posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  // Start the agent with default signal dispositions and an empty mask whatever our caller set.
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attr, &empty);
  ::posix_spawnattr_setsigdefault(&attr, &all);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, binary.c_str(), &actions, &attr, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0) return start_failure("cannot run " + binary + " (" + std::strerror(rc) + ")");

  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return start_failure("lost track of " + binary + " (" + std::strerror(errno) + ")");
    if (std::chrono::steady_clock::now() >= deadline) {
      // Leave it running: it may still become the agent. Its parent (us) exiting reaps nothing
      // important; init adopts it.
      return start_failure(binary + " --daemon did not finish starting within " +
                           std::to_string(std::chrono::seconds(kStartTimeout).count()) + " s; " + next_step());
    }
    timespec ts{0, static_cast<long>(std::chrono::nanoseconds(kWaitPollInterval).count())};
    ::nanosleep(&ts, nullptr);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return proto::Ok{};
  const std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                            : "was killed by signal " + std::to_string(WTERMSIG(status));
  return start_failure(binary + " --daemon " + how + "; " + next_step());
}

}  // namespace client
