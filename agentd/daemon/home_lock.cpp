#include "agentd/daemon/home_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <spdlog/spdlog.h>

#include "agentd/util/atomic_file.hpp"
#include "proto/paths.hpp"

namespace agentd::daemon {
namespace {

constexpr mode_t kLockMode = 0600;

std::string read_record(int fd) {
  char text[proto::kMaxHomeLockBytes];
  const ssize_t n = ::pread(fd, text, sizeof text, 0);
  return n > 0 ? std::string(text, static_cast<std::size_t>(n)) : std::string();
}

std::string already_running(const std::string& home, int fd) {
  const auto record = proto::parse_agent_record(read_record(fd));
  // Worded like the per-socket refusal ("agent already running (pid N) at SOCKET"), plus the home.
  std::string who = record ? " (pid " + std::to_string(record->pid) + ") at " + record->socket : std::string(" (starting)");
  std::string use = record ? ", or use it: export FLUXLOOP_AGENT_SOCK=" + record->socket : std::string();
  return "agent already running" + who + " for FLUXLOOP_HOME " + home +
         ": one agent per home (two would refresh the same login, and the server would revoke it on reuse); "
         "stop it with `fluxloop agent stop`" + use;
}

}  // namespace

proto::Status check_home(const std::string& home) {
  if (home.empty() || home == "/.fluxloop") {
    return proto::Error{proto::ErrorCode::invalid_argument, "no home directory: set FLUXLOOP_HOME or HOME"};
  }
  struct stat st{};
  if (::stat(home.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return proto::Error{proto::ErrorCode::store_error, "cannot use FLUXLOOP_HOME " + home + ": " + std::strerror(errno)};
    }
    if (auto made = util::ensure_private_dir(home); !made) return made;
    if (::stat(home.c_str(), &st) != 0) {
      return proto::Error{proto::ErrorCode::store_error, "cannot use FLUXLOOP_HOME " + home + ": " + std::strerror(errno)};
    }
  }
  // stat, not lstat: a home that is a link (dotfiles kept elsewhere) is judged by what it points to.
  if (!S_ISDIR(st.st_mode)) {
    return proto::Error{proto::ErrorCode::invalid_argument, "FLUXLOOP_HOME " + home + " is not a directory"};
  }
  if (st.st_uid != ::geteuid()) {
    return proto::Error{proto::ErrorCode::permission_denied,
                        "refusing FLUXLOOP_HOME " + home + ": it is owned by uid " + std::to_string(st.st_uid) +
                            ", not by you (uid " + std::to_string(::geteuid()) +
                            "); its owner decides which servers get your tokens. Use a directory of your own"};
  }
  if ((st.st_mode & 022) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return proto::Error{proto::ErrorCode::permission_denied,
                        "refusing FLUXLOOP_HOME " + home + ": other users can write to it (mode " + mode +
                            ") and could plant a config.json or replace your credentials; fix it with `chmod 700 " +
                            home + "`"};
  }
  return proto::Ok{};
}

proto::Result<HomeLock> HomeLock::take(const std::string& home, const std::string& socket) {
  const std::string path = home + "/" + std::string(proto::kHomeLockName);
  util::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, kLockMode));
  if (!fd) {
    return proto::Error{proto::ErrorCode::internal, "cannot open the agent lock " + path + ": " + std::strerror(errno)};
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
    return proto::Error{proto::ErrorCode::permission_denied,
                        path + " is not a regular file of yours; remove it and start the agent again"};
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return proto::Error{proto::ErrorCode::busy, already_running(home, fd.get())};
    return proto::Error{proto::ErrorCode::internal, "cannot lock " + path + ": " + std::strerror(errno)};
  }
  ::fchmod(fd.get(), kLockMode);  // an older, wider file is narrowed
  HomeLock lock(std::move(fd), path);
  lock.record(socket);
  return lock;
}

HomeLock::~HomeLock() {
  // The file stays (unlinking it would let a third agent lock a fresh file while a second still holds
  // the old one); an empty record tells clients that nobody serves this home.
  if (fd_) {
    if (::ftruncate(fd_.get(), 0) != 0) { /* the record is then stale; clients find nobody listening there */ }
  }
}

void HomeLock::record(const std::string& socket) const {
  if (!fd_) return;
  const std::string text = proto::format_agent_record({static_cast<long>(::getpid()), socket});
  if (::ftruncate(fd_.get(), 0) != 0 || ::pwrite(fd_.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    spdlog::warn("cannot record the agent in {}: {}", path_, std::strerror(errno));
  }
}

}  // namespace agentd::daemon
