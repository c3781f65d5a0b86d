#include "agentd/server/listener.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include <spdlog/spdlog.h>

#include "agentd/server/socket_activation.hpp"

namespace agentd::server {
namespace {

constexpr int kListenBacklog = 128;          // pending connections the kernel queues for us
constexpr mode_t kDirMode = 0700;            // the socket's directory: ours alone
constexpr mode_t kSocketMode = 0600;         // the socket itself
constexpr mode_t kLockMode = 0600;
constexpr mode_t kDirUmask = 077;            // mkdir under this umask can never create a wider dir
constexpr mode_t kSocketUmask = 0177;        // bind() under this umask creates the node 0600 at most
constexpr int kLockAttempts = 5;             // retries when a departing agent unlinks the lock under us
constexpr std::size_t kMaxPidText = 32;

// Sets the process umask for a scope. bind() and mkdir() take their permissions from the umask, and
// a lax one (022) would otherwise leave a window in which the socket or directory is wider than we
// intend, even if we chmod right after.
class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t mask) noexcept : old_(::umask(mask)) {}
  ~UmaskGuard() { ::umask(old_); }
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;

 private:
  mode_t old_;
};

std::string errno_text(int error) { return std::strerror(error); }

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

proto::Error failure(proto::ErrorCode code, std::string message) { return proto::Error{code, std::move(message)}; }

bool fill_address(const std::string& path, sockaddr_un& address) {
  address = {};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) return false;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return true;
}

std::string parent_of(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? std::string("/") : parent;
}

// The pid a running agent wrote into its lock file, or "" when unreadable.
std::string read_pid(int fd) {
  char text[kMaxPidText] = {};
  ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  if (n <= 0) return {};
  std::string pid(text, static_cast<std::size_t>(n));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  for (char c : pid) {
    if (c < '0' || c > '9') return {};
  }
  return pid;
}

std::string already_running(const std::string& pid, const std::string& path) {
  return "agent already running" + (pid.empty() ? std::string() : " (pid " + pid + ")") + " at " + path +
         "; stop it with `fluxloop agent stop` or choose another --socket";
}

// Takes the exclusive lock that serialises agents on one socket path, so two agents starting at once
// cannot both decide the socket is stale and bind it in turn.
proto::Result<util::UniqueFd> take_lock(const std::string& lock_path, const std::string& socket_path) {
  for (int attempt = 0; attempt < kLockAttempts; ++attempt) {
    // O_NOFOLLOW: the directory is ours (checked), but never follow a planted link anyway.
    util::UniqueFd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, kLockMode));
    if (!fd) {
      return failure(proto::ErrorCode::internal, "cannot open lock file " + lock_path + ": " + errno_text(errno));
    }
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) return failure(proto::ErrorCode::busy, already_running(read_pid(fd.get()), socket_path));
      return failure(proto::ErrorCode::internal, "cannot lock " + lock_path + ": " + errno_text(errno));
    }
    // A departing agent unlinks its lock file before closing it: if we locked a file that is no longer
    // at lock_path, a third agent could lock a fresh file there too. Only the file at the path counts.
    struct stat held{}, named{};
    if (::fstat(fd.get(), &held) == 0 && ::lstat(lock_path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino) {
      return fd;
    }
  }
  return failure(proto::ErrorCode::busy, "cannot take the agent lock " + lock_path + ": it keeps changing; retry");
}

// An existing file at the socket path: a live agent's socket (refuse), a dead agent's (remove), or
// something else entirely (refuse: we never unlink what we cannot prove is a stale socket).
proto::Status clear_stale_socket(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return proto::Ok{};
    return failure(proto::ErrorCode::internal, "cannot inspect " + path + ": " + errno_text(errno));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return failure(proto::ErrorCode::invalid_argument,
                   path + " exists and is not a socket; remove it or choose another --socket");
  }
  sockaddr_un address{};
  fill_address(path, address);
  util::UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!probe) return failure(proto::ErrorCode::internal, std::string("socket: ") + errno_text(errno));
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 || errno == EAGAIN) {
    // Accepting (or with a full backlog): somebody serves this path without our lock, e.g. systemd.
    return failure(proto::ErrorCode::busy, already_running("", path));
  }
  if (errno != ECONNREFUSED) {
    return failure(proto::ErrorCode::internal, "cannot probe existing socket " + path + ": " + errno_text(errno));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return failure(proto::ErrorCode::internal, "cannot remove stale socket " + path + ": " + errno_text(errno));
  }
  spdlog::info("removed stale socket {} left by an agent that is gone", path);
  return proto::Ok{};
}

}  // namespace

std::string lock_path_for(const std::string& socket_path) { return socket_path + ".lock"; }

proto::Status check_socket_path(const std::string& path) {
  if (path.empty()) return failure(proto::ErrorCode::invalid_argument, "the socket path is empty");
  constexpr std::size_t kMaxPath = sizeof(sockaddr_un::sun_path) - 1;
  if (path.size() > kMaxPath) {
    return failure(proto::ErrorCode::invalid_argument,
                   "socket path " + path + " is " + std::to_string(path.size()) +
                       " bytes long; a Unix socket path may have at most " + std::to_string(kMaxPath) +
                       ": choose a shorter --socket or FLUXLOOP_AGENT_SOCK");
  }
  return proto::Ok{};
}

proto::Status ensure_private_dir(const std::string& dir) {
  if (dir.empty()) return failure(proto::ErrorCode::invalid_argument, "the socket directory is empty");
  struct stat st{};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return failure(proto::ErrorCode::internal, "cannot access " + dir + ": " + errno_text(errno));
    UmaskGuard guard(kDirUmask);
    std::string prefix;
    for (const auto& part : std::filesystem::path(dir)) {
      prefix = (std::filesystem::path(prefix) / part).string();
      if (::mkdir(prefix.c_str(), kDirMode) != 0 && errno != EEXIST) {
        return failure(proto::ErrorCode::internal, "cannot create directory " + prefix + ": " + errno_text(errno));
      }
    }
    if (::lstat(dir.c_str(), &st) != 0) {
      return failure(proto::ErrorCode::internal, "cannot access " + dir + ": " + errno_text(errno));
    }
  }
  // lstat, not stat: a symlink here could be re-pointed by whoever owns it after we checked.
  if (S_ISLNK(st.st_mode)) {
    return failure(proto::ErrorCode::permission_denied,
                   dir + " is a symbolic link; the socket directory must be a real directory");
  }
  if (!S_ISDIR(st.st_mode)) return failure(proto::ErrorCode::invalid_argument, dir + " exists and is not a directory");
  if (st.st_uid != ::geteuid()) {
    return failure(proto::ErrorCode::permission_denied,
                   dir + " is owned by uid " + std::to_string(st.st_uid) + ", not by you (uid " +
                       std::to_string(::geteuid()) + "); remove it or choose another --socket");
  }
  if ((st.st_mode & 077) != 0) {
    return failure(proto::ErrorCode::permission_denied,
                   dir + " is group/world accessible (mode " + octal_mode(st.st_mode) + "); fix with chmod 700 " + dir);
  }
  return proto::Ok{};
}

proto::Result<Listener> Listener::open(const std::string& requested_path, SocketActivation activation) {
  Listener listener;
  if (activation == SocketActivation::allow) {
    // As sd_listen_fds(1): LISTEN_PID must be our pid, and the variables are unset (children never see them).
    auto count = take_listen_fds();
    if (!count) return std::move(count).error();
    if (*count > 0) {
      const int fd = kListenFdsStart;
      for (int extra = fd + 1; extra < fd + *count; ++extra) ::close(extra);
      auto listening = is_listening_unix_stream(fd);
      if (!listening) return std::move(listening).error();
      if (!*listening) {
        return failure(proto::ErrorCode::invalid_argument,
                       "systemd passed a socket that is not a listening Unix stream socket; check the .socket unit");
      }
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      listener.fd_.reset(fd);
      listener.owner_ = SocketOwner::systemd;
      sockaddr_un address{};
      socklen_t length = sizeof address;
      if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0 && address.sun_path[0] != '\0') {
        listener.path_.assign(address.sun_path, ::strnlen(address.sun_path, sizeof address.sun_path));
      } else {
        listener.path_ = requested_path;
      }
      if (*count > 1) spdlog::warn("systemd passed {} sockets; serving the first only", *count);
      return listener;
    }
  }

  if (auto status = check_socket_path(requested_path); !status) return std::move(status).error();
  std::error_code ec;
  // Absolute, so a daemon's chdir("/") does not change which file we remove at exit.
  const std::string path = std::filesystem::absolute(requested_path, ec).lexically_normal().string();
  if (ec) return failure(proto::ErrorCode::invalid_argument, "bad socket path " + requested_path + ": " + ec.message());
  if (auto status = check_socket_path(path); !status) return std::move(status).error();
  if (auto status = ensure_private_dir(parent_of(path)); !status) return std::move(status).error();

  listener.path_ = path;
  listener.lock_path_ = lock_path_for(path);
  auto lock = take_lock(listener.lock_path_, path);
  if (!lock) {
    listener.lock_path_.clear();  // not ours: never remove it
    listener.path_.clear();
    return std::move(lock).error();
  }
  listener.lock_fd_ = std::move(*lock);
  listener.record_pid();

  if (auto status = clear_stale_socket(path); !status) return std::move(status).error();

  util::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return failure(proto::ErrorCode::internal, std::string("socket: ") + errno_text(errno));
  sockaddr_un address{};
  fill_address(path, address);
  {
    UmaskGuard guard(kSocketUmask);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      return failure(proto::ErrorCode::internal, "cannot bind " + path + ": " + errno_text(errno));
    }
  }
  // Record what we bound first, so remove() cleans up even if a check below fails.
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) {
    listener.socket_dev_ = st.st_dev;
    listener.socket_ino_ = st.st_ino;
  }
  // fchmod on a socket fd does not change the file system node on Linux: chmod the path, then verify.
  if (::chmod(path.c_str(), kSocketMode) != 0 || ::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode) ||
      (st.st_mode & 0777) != kSocketMode || st.st_uid != ::geteuid()) {
    return failure(proto::ErrorCode::internal, "cannot make " + path + " private (mode 0600)");
  }
  if (::listen(fd.get(), kListenBacklog) != 0) {
    return failure(proto::ErrorCode::internal, "cannot listen on " + path + ": " + errno_text(errno));
  }
  listener.fd_ = std::move(fd);
  return listener;
}

Listener::Listener(Listener&& other) noexcept
    : fd_(std::move(other.fd_)),
      lock_fd_(std::move(other.lock_fd_)),
      path_(std::exchange(other.path_, {})),
      lock_path_(std::exchange(other.lock_path_, {})),
      owner_(other.owner_),
      socket_dev_(std::exchange(other.socket_dev_, 0)),
      socket_ino_(std::exchange(other.socket_ino_, 0)) {}

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    remove();
    fd_ = std::move(other.fd_);
    lock_fd_ = std::move(other.lock_fd_);
    path_ = std::exchange(other.path_, {});
    lock_path_ = std::exchange(other.lock_path_, {});
    owner_ = other.owner_;
    socket_dev_ = std::exchange(other.socket_dev_, 0);
    socket_ino_ = std::exchange(other.socket_ino_, 0);
  }
  return *this;
}

Listener::~Listener() { remove(); }

void Listener::record_pid() const {
  if (!lock_fd_) return;
  const std::string text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock_fd_.get(), 0) != 0 || ::pwrite(lock_fd_.get(), text.data(), text.size(), 0) < 0) {
    spdlog::warn("cannot record pid in {}: {}", lock_path_, errno_text(errno));
  }
}

void Listener::remove() noexcept {
  if (owner_ == SocketOwner::agent && socket_ino_ != 0) {
    // Only the node we bound: never remove a socket somebody else put there since.
    struct stat st{};
    if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == socket_dev_ && st.st_ino == socket_ino_) {
      ::unlink(path_.c_str());
    }
    socket_ino_ = 0;
  }
  if (lock_fd_ && !lock_path_.empty()) {
    // Unlink while still holding the lock, then release it (take_lock re-checks the path for this).
    ::unlink(lock_path_.c_str());
  }
  lock_fd_.reset();
  lock_path_.clear();
}

}  // namespace agentd::server
