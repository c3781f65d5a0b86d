#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "agentd/server/listener.hpp"
#include "tests/unit/agentd/server/socket_helpers.hpp"

using agentd::server::Listener;
using servertest::TempDir;

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st{};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

bool exists(const std::string& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0;
}

// A socket file with nobody accepting on it: what a killed agent leaves behind.
void make_stale_socket(const std::string& path) {
  agentd::util::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  auto address = servertest::address_of(path);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("listener: creates a private directory and a 0600 socket and a lock and removes them") {
  TempDir tmp;
  const std::string dir = tmp.path() + "/a/b";
  const std::string path = dir + "/agent.sock";
  const mode_t old_umask = ::umask(0);  // the laxest umask must not widen anything
  auto listener = Listener::open(path);
  ::umask(old_umask);
  REQUIRE_MESSAGE(listener.ok(), listener.error().message);
  CHECK(listener->owner() == agentd::server::SocketOwner::agent);
  CHECK(listener->path() == path);
  CHECK(mode_of(dir) == 0700);
  CHECK(mode_of(tmp.path() + "/a") == 0700);
  CHECK(mode_of(path) == 0600);
  CHECK(S_ISSOCK([&] { struct stat st{}; ::lstat(path.c_str(), &st); return st.st_mode; }()));
  std::ifstream lock(agentd::server::lock_path_for(path));
  std::string pid;
  lock >> pid;
  CHECK(pid == std::to_string(::getpid()));
  CHECK(servertest::connect_to(path));

  listener->remove();
  CHECK_FALSE(exists(path));
  CHECK_FALSE(exists(agentd::server::lock_path_for(path)));
  CHECK(exists(dir));  // the directory may be shared with the next agent: it stays
}

TEST_CASE("listener: a directory with group or world bits is refused with the fix") {
  TempDir tmp;
  const std::string dir = tmp.path() + "/run";
  REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
  REQUIRE(::chmod(dir.c_str(), 0755) == 0);
  auto listener = Listener::open(dir + "/agent.sock");
  REQUIRE_FALSE(listener.ok());
  CHECK(listener.error().code == proto::ErrorCode::permission_denied);
  CHECK(contains(listener.error().message, "group/world accessible"));
  CHECK(contains(listener.error().message, "chmod 700 " + dir));
  CHECK_FALSE(exists(dir + "/agent.sock"));
  CHECK_FALSE(exists(dir + "/agent.sock.lock"));
}

TEST_CASE("listener: a symlinked or foreign-owned directory is refused") {
  TempDir tmp;
  const std::string real = tmp.path() + "/real";
  REQUIRE(::mkdir(real.c_str(), 0700) == 0);
  const std::string link = tmp.path() + "/link";
  REQUIRE(::symlink(real.c_str(), link.c_str()) == 0);
  auto via_link = Listener::open(link + "/agent.sock");
  REQUIRE_FALSE(via_link.ok());
  CHECK(contains(via_link.error().message, "symbolic link"));

  if (::geteuid() == 0) {
    REQUIRE(::chown(real.c_str(), 65534, 65534) == 0);
    auto foreign = Listener::open(real + "/agent.sock");
    REQUIRE_FALSE(foreign.ok());
    CHECK(contains(foreign.error().message, "owned by uid 65534"));
  }
}

TEST_CASE("listener: a path too long for sun_path is refused clearly") {
  TempDir tmp;
  const std::string path = tmp.path() + "/" + std::string(120, 'x') + "/agent.sock";
  auto listener = Listener::open(path);
  REQUIRE_FALSE(listener.ok());
  CHECK(listener.error().code == proto::ErrorCode::invalid_argument);
  CHECK(contains(listener.error().message, "at most 107"));
  CHECK(contains(listener.error().message, "--socket"));
  CHECK_FALSE(exists(tmp.path() + "/" + std::string(120, 'x')));  // refused before creating anything
  CHECK(agentd::server::check_socket_path(std::string(107, 'a')).ok());
  CHECK_FALSE(agentd::server::check_socket_path(std::string(108, 'a')).ok());
}

TEST_CASE("listener: a stale socket from a dead agent is replaced") {
  TempDir tmp;
  const std::string path = tmp.path() + "/agent.sock";
  make_stale_socket(path);
  REQUIRE(exists(path));
  CHECK_FALSE(servertest::connect_to(path));
  auto listener = Listener::open(path);
  REQUIRE_MESSAGE(listener.ok(), listener.error().message);
  CHECK(servertest::connect_to(path));
  CHECK(mode_of(path) == 0600);
}

TEST_CASE("listener: a live socket is refused and left alone") {
  TempDir tmp;
  const std::string path = tmp.path() + "/agent.sock";
  // Something serving the path without our lock (e.g. systemd's socket).
  agentd::util::UniqueFd live(::socket(AF_UNIX, SOCK_STREAM, 0));
  auto address = servertest::address_of(path);
  REQUIRE(::bind(live.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(live.get(), 4) == 0);
  auto listener = Listener::open(path);
  REQUIRE_FALSE(listener.ok());
  CHECK(contains(listener.error().message, "agent already running at " + path));
  CHECK(servertest::connect_to(path));  // still theirs
  CHECK_FALSE(exists(agentd::server::lock_path_for(path)));
}

TEST_CASE("listener: a second agent on the same path is refused naming the first one's pid") {
  TempDir tmp;
  const std::string path = tmp.path() + "/agent.sock";
  auto first = Listener::open(path);
  REQUIRE(first.ok());
  auto second = Listener::open(path);
  REQUIRE_FALSE(second.ok());
  CHECK(contains(second.error().message, "agent already running (pid " + std::to_string(::getpid()) + ") at " + path));
  // The refused attempt must not have removed the first agent's files.
  CHECK(exists(path));
  CHECK(exists(agentd::server::lock_path_for(path)));
  CHECK(servertest::connect_to(path));

  first->remove();
  auto third = Listener::open(path);
  CHECK_MESSAGE(third.ok(), third.error().message);
}

TEST_CASE("listener: a file that is not a socket is never removed") {
  TempDir tmp;
  const std::string path = tmp.path() + "/agent.sock";
  { std::ofstream(path) << "precious"; }
  auto listener = Listener::open(path);
  REQUIRE_FALSE(listener.ok());
  CHECK(contains(listener.error().message, "is not a socket"));
  std::ifstream in(path);
  std::string text;
  in >> text;
  CHECK(text == "precious");
}

TEST_CASE("listener: remove() leaves a socket it did not bind") {
  TempDir tmp;
  const std::string path = tmp.path() + "/agent.sock";
  auto listener = Listener::open(path);
  REQUIRE(listener.ok());
  // Somebody replaced the socket under us: it is not ours to delete.
  REQUIRE(::unlink(path.c_str()) == 0);
  make_stale_socket(path);
  listener->remove();
  CHECK(exists(path));
}
