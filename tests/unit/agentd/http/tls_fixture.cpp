#include "tests/unit/agentd/http/tls_fixture.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace tlstest {
namespace {

namespace fs = std::filesystem;

constexpr auto kStartTimeout = std::chrono::seconds(15);
constexpr auto kStopTimeout = std::chrono::seconds(3);

// tests/ of the source tree, from this file's (absolute) path: tests/unit/agentd/http/ -> tests/.
// The source tree as CMake names it (absolute): __FILE__ may be relative (ccache base_dir rewrites it).
fs::path tests_dir() { return fs::path(FLUXLOOP_TEST_SOURCE_DIR) / "tests"; }

std::string python() { return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; }

pid_t spawn(const std::vector<std::string>& args, posix_spawn_file_actions_t* actions) {
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, argv[0], actions, nullptr, argv.data(), environ) != 0) return -1;
  return pid;
}

int wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status;
}

struct Pki {
  Pki() {
    char pattern[] = "/tmp/fluxloop-tls-test-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
    const pid_t pid = spawn({"sh", (tests_dir() / "platform" / "make-test-ca.sh").string(), dir}, nullptr);
    if (pid < 0 || wait_for(pid, std::chrono::seconds(30)) != 0) throw std::runtime_error("make-test-ca.sh failed");
  }
  ~Pki() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string dir;
};

}  // namespace

const std::string& pki_dir() {
  static const Pki pki;
  return pki.dir;
}

std::string ca_bundle() { return pki_dir() + "/ca.pem"; }

TlsServer::TlsServer(std::string_view cert, std::string bind_host) {
  int in[2];
  int out[2];
  if (pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  const std::string dir = pki_dir();
  pid_ = spawn({python(), (tests_dir() / "support" / "tls_server.py").string(), "--cert", dir + "/" + std::string(cert) + ".pem",
                "--key", dir + "/" + std::string(cert) + "-key.pem", "--host", bind_host},
               &actions);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  stdin_fd_ = in[1];
  if (pid_ < 0) {
    close(out[0]);
    return;
  }
  // Read "PORT n\n" (the server prints it once listening).
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{out[0], POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    char buffer[64];
    const ssize_t n = read(out[0], buffer, sizeof buffer);
    if (n <= 0) break;  // exited, e.g. could not bind
    line.append(buffer, static_cast<std::size_t>(n));
  }
  close(out[0]);
  if (line.rfind("PORT ", 0) == 0) port_ = static_cast<std::uint16_t>(std::atoi(line.c_str() + 5));
}

TlsServer::~TlsServer() {
  if (stdin_fd_ >= 0) close(stdin_fd_);  // the server exits when its stdin closes
  if (pid_ > 0 && wait_for(pid_, kStopTimeout) == -1) {
    kill(pid_, SIGKILL);  // only the child this fixture started
    waitpid(pid_, nullptr, 0);
  }
}

TlsServer& shared_server(std::string_view cert) {
  static std::map<std::string, std::unique_ptr<TlsServer>, std::less<>> servers;
  auto it = servers.find(cert);
  if (it == servers.end()) it = servers.emplace(std::string(cert), std::make_unique<TlsServer>(cert)).first;
  return *it->second;
}

std::string TlsServer::url(std::string_view path, std::string_view host) const {
  return "https://" + std::string(host) + ":" + std::to_string(port_) + std::string(path);
}

}  // namespace tlstest
