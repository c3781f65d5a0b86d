#include "tests/support/agent_fixture.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace testsupport {

bool socket_accepts(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) return false;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

AgentFixture::AgentFixture(const Env& extra) {
  home_ = dir_.path() + "/home";
  socket_ = dir_.path() + "/run/agent.sock";
  log_path_ = dir_.path() + "/agent.log";
  std::filesystem::create_directories(home_);
  // Private whatever the umask: the agent refuses a home others can write (issue 10).
  std::filesystem::permissions(home_, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
  env_ = base_env(dir_.path(), {{"FLUXLOOP_HOME", home_},
                                {"FLUXLOOP_AGENT_SOCK", socket_},
                                {"FLUXLOOP_STORE", "file"},
                                {"FLUXLOOP_NO_AUTOSTART", "1"}});
  // Sanitizer settings and the keyring bus (when a test runs under with-keyring.sh) pass through.
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS", "DBUS_SESSION_BUS_ADDRESS"}) {
    if (const char* value = std::getenv(name)) env_[name] = value;
  }
  for (const auto& [k, v] : extra) {
    if (v.empty()) env_.erase(k);  // an empty value removes the variable
    else env_[k] = v;
  }
}

AgentFixture::~AgentFixture() {
  if (agent_.running()) stop();
}

void AgentFixture::start(const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv{kAgentd, "--foreground", "--socket", socket_};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  agent_ = Process(argv, env_, log_path_);
  if (!eventually([&] { return socket_accepts(socket_) || !agent_.running(); }, std::chrono::seconds(20)) ||
      !agent_.running()) {
    throw std::runtime_error("agent did not start; log:\n" + log());
  }
}

int AgentFixture::stop() {
  agent_.signal(SIGTERM);
  return agent_.wait(std::chrono::seconds(20));
}

RunResult AgentFixture::client(const std::vector<std::string>& args, std::string_view input, const Env& extra_env) {
  std::vector<std::string> argv{kClient};
  argv.insert(argv.end(), args.begin(), args.end());
  Env env = env_;
  for (const auto& [k, v] : extra_env) {
    if (v.empty()) env.erase(k);
    else env[k] = v;
  }
  return run(argv, env, input);
}

}  // namespace testsupport
